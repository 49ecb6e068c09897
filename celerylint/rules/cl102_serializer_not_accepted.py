"""CL102 serializer-not-accepted: an app sends what its own consumers refuse."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.rules._serializers import (
    listing,
    mismatch,
    result_accept,
    serializer_name,
    serializer_set,
)
from celerylint.rules.base import diagnostic, related_to, task_label
from celerylint.rules.registry import rule


@rule("CL102", "serializer-not-accepted")
def serializer_not_accepted(project: Project) -> Iterator[Diagnostic]:
    for app in project.apps:
        accept = app.setting("accept_content")
        pairs = [("task_serializer", accept, "tasks", "accept_content")]
        if app.backend_configured:
            pairs.append(
                ("result_serializer", result_accept(app), "results", "result_accept_content")
            )
        for producer, accepted, what, accept_name in pairs:
            found = mismatch(app.setting(producer), accepted)
            if found is None:
                continue
            yield diagnostic(
                "CL102",
                f"App `{app.id}` sends {what} as {found.serializer} "
                f"(`{app.setting_key(producer)}`) but only accepts {listing(found.accepted)} "
                f"(`{app.setting_key(accept_name)}`): every message is refused with "
                "ContentDisallowed",
                *found.here,
                related=related_to(found.other, f"`{app.setting_key(accept_name)}` is set here"),
            )
    for task in project.tasks:
        for app in task.apps or []:
            option = project.option(task, "serializer", app)
            if option.origin not in ("task", "base") or not option.node or not option.path:
                continue
            span = option.node.span
            if span is None:
                continue
            serializer = serializer_name(option.value)
            names = serializer_set(app.setting("accept_content").value)
            if serializer is None or names is None or serializer in names:
                continue
            yield diagnostic(
                "CL102",
                f"Task {task_label(task)} is sent as {serializer}, but app `{app.id}` only accepts "
                f"{listing(names)}: its messages are refused with ContentDisallowed",
                option.path,
                span,
                related=related_to(app.setting("accept_content").location, "accept list set here"),
            )
