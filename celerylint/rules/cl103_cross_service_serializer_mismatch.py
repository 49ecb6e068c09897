"""CL103 cross-service-serializer-mismatch: a service sends what a linked one refuses."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic, Related
from celerylint.model.project import Project
from celerylint.rules._fleet import differing_lines, pairs
from celerylint.rules._serializers import listing, mismatch, result_accept
from celerylint.rules.base import diagnostic, related_to
from celerylint.rules.registry import rule


@rule("CL103", "cross-service-serializer-mismatch")
def cross_service_mismatch(project: Project) -> Iterator[Diagnostic]:
    yield from _linked_apps(project)
    yield from _deployed_services(project)


def _linked_apps(project: Project) -> Iterator[Diagnostic]:
    """Distinct apps linked by a broker or a services group."""
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


def _deployed_services(project: Project) -> Iterator[Diagnostic]:
    """Services deployed from the same code whose environments make them disagree."""
    seen: set[tuple[object, ...]] = set()
    for pair in pairs(project):
        checks = [("task_serializer", "accept_content", pair.sent, pair.consumed, "tasks")]
        if pair.sent.backend_configured:
            checks.append(
                ("result_serializer", "result_accept_content", pair.consumed, pair.sent, "results")
            )
        for key, accept_key, sender, receiver, what in checks:
            accepted = (
                receiver.setting("accept_content") if what == "tasks" else result_accept(receiver)
            )
            found = mismatch(sender.setting(key), accepted)
            if found is None:
                continue
            if what == "tasks":
                as_written = mismatch(pair.app.setting(key), pair.app.setting("accept_content"))
            else:
                as_written = mismatch(pair.app.setting(key), result_accept(pair.app))
            if as_written is not None:
                continue  # the code alone disagrees: CL102 says so
            sending, receiving = (
                (pair.producer, pair.worker) if what == "tasks" else (pair.worker, pair.producer)
            )
            lines = differing_lines(pair, (key, "accept_content", accept_key))
            message = (
                f"Deployed service {sending.label} sends {what} as {found.serializer}, but "
                f"{receiving.label} only accepts {listing(found.accepted)}: they are refused "
                "with ContentDisallowed"
            )
            identity = (found.here, message)
            if identity in seen:
                continue
            seen.add(identity)
            related = tuple(
                Related(path, span, "the deployments differ here") for path, span in lines
            )
            yield diagnostic("CL103", message, *found.here, related=related)
