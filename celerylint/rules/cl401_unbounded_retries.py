"""CL401 unbounded-retries: a task that retries forever."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Applicability, Diagnostic
from celerylint.fixes.edits import make_fix, replace
from celerylint.model.project import Project
from celerylint.rules.base import diagnostic, task_apps, task_label
from celerylint.rules.registry import rule


@rule("CL401", "unbounded-retries")
def unbounded_retries(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        for app in task_apps(task):
            option = project.option(task, "max_retries", app)
            if option.origin != "default" and option.known and option.value.value is None:
                fix = None
                ceiling = project.fix_defaults["max_retries"]
                span = option.node.span if option.node else None
                if option.origin in ("task", "base") and span and option.path:
                    fix = make_fix(
                        f"Set `max_retries={ceiling}`",
                        Applicability.UNSAFE,
                        [replace(option.path, span, str(ceiling))],
                    )
                yield diagnostic(
                    "CL401",
                    f"Task {task_label(task)} has `max_retries=None`: it retries forever, and a "
                    "permanent failure becomes a retry storm; set a ceiling",
                    task.path,
                    task.span,
                    fix,
                )
                break
