"""CL204 time-limit-not-enforced: a task's time limit under workers whose pool ignores it."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.facts.schema import Span
from celerylint.model.project import Project
from celerylint.rules._fleet import ENFORCES_HARD, ENFORCES_SOFT, consumer_pools
from celerylint.rules._time_limits import limit_seconds
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule

_KINDS = (
    ("time_limit", "task_time_limit", "hard", ENFORCES_HARD),
    ("soft_time_limit", "task_soft_time_limit", "soft", ENFORCES_SOFT),
)


@rule("CL204", "time-limit-not-enforced")
def time_limit_not_enforced(project: Project) -> Iterator[Diagnostic]:
    found: dict[tuple[str, Span], list[str]] = {}
    messages: dict[tuple[str, Span], str] = {}
    for task in project.tasks:
        if not task.apps or len(task.apps) != 1:
            continue
        app = task.apps[0]
        pools = consumer_pools(project, task, app)
        if pools is None:
            continue
        for option_name, setting_name, kind, enforcing in _KINDS:
            if pools & enforcing:
                continue
            option = project.option(task, option_name, app)
            try:
                limit = limit_seconds(option)
            except LookupError:
                continue
            if limit is None:
                continue
            if option.origin in ("task", "base") and option.span and option.path:
                where = (option.path, option.span)
            else:
                located = app.setting(setting_name).location
                if located is None:
                    continue
                where = located
            found.setdefault(where, []).append(task.qualname)
            shown = ", ".join(sorted(pools))
            messages[where] = (
                f"{{tasks}} relies on a {kind} time limit, but every deployed worker that "
                f"consumes {{its}} queue runs the {shown} pool, which does not enforce {kind} "
                "limits: a stuck task runs forever"
            )
    for (path, span), tasks in found.items():
        names = ", ".join(f"`{name}`" for name in tasks[:3]) + (
            f" and {len(tasks) - 3} more" if len(tasks) > 3 else ""
        )
        message = messages[(path, span)].format(
            tasks=f"Task {names}" if len(tasks) == 1 else f"Tasks {names}",
            its="its" if len(tasks) == 1 else "their",
        )
        yield diagnostic("CL204", message, path, span)
