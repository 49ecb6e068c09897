"""CL103 cross-service-serializer-mismatch: a service sends what a linked one refuses."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.rules._serializers import listing, mismatch, result_accept
from celerylint.rules.base import diagnostic, related_to
from celerylint.rules.registry import rule


@rule("CL103", "cross-service-serializer-mismatch")
def cross_service_mismatch(project: Project) -> Iterator[Diagnostic]:
    for producer, consumer, reason in project.links:
        checks = [
            ("task_serializer", producer, consumer.setting("accept_content"), "tasks"),
        ]
        if producer.backend_configured:
            checks.append(("result_serializer", consumer, result_accept(producer), "results"))
        for key, sender, accepted, what in checks:
            receiver = consumer if sender is producer else producer
            found = mismatch(sender.setting(key), accepted)
            if found is None:
                continue
            yield diagnostic(
                "CL103",
                f"`{sender.id}` sends {what} as {found.serializer}, but `{receiver.id}` (linked "
                f"by {reason}) only accepts {listing(found.accepted)}: they are refused with "
                "ContentDisallowed",
                *found.here,
                related=related_to(found.other, f"what `{receiver.id}` accepts is set here"),
            )
