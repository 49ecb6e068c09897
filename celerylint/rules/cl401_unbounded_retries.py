"""CL401 unbounded-retries: a task that retries forever."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Applicability, Diagnostic
from celerylint.fixes.edits import make_fix, replace
from celerylint.model.project import Project
from celerylint.model.tasks import Option, Task
from celerylint.rules._deciding_line import by_deciding_line
from celerylint.rules.base import diagnostic, task_apps
from celerylint.rules.registry import rule


@rule("CL401", "unbounded-retries")
def unbounded_retries(project: Project) -> Iterator[Diagnostic]:
    found: list[tuple[Task, Option]] = []
    for task in project.tasks:
        for app in task_apps(task):
            option = project.option(task, "max_retries", app)
            if option.origin != "default" and option.known and option.value.value is None:
                found.append((task, option))
                break
    for decided in by_deciding_line(found):
        option = decided.option
        fix = None
        ceiling = project.fix_defaults["max_retries"]
        span = option.node.span if option.node else None
        if option.origin in ("task", "base") and span and option.path:
            fix = make_fix(
                f"Set `max_retries={ceiling}`",
                Applicability.UNSAFE,
                [replace(option.path, span, str(ceiling))],
            )
        subject = decided.subject("has `max_retries=None`: it retries", "retry")
        yield diagnostic(
            "CL401",
            f"{subject} forever, and a permanent failure becomes a retry storm; set a ceiling",
            decided.path,
            decided.span,
            fix,
        )
