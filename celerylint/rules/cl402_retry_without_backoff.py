"""CL402 retry-without-backoff: automatic retries at a fixed delay."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.fixes.task_decorator import decorator_keyword_fix
from celerylint.model.project import Project
from celerylint.rules.base import diagnostic, task_apps, task_label
from celerylint.rules.registry import rule


@rule("CL402", "retry-without-backoff")
def retry_without_backoff(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        for app in task_apps(task):
            autoretry = project.option(task, "autoretry_for", app)
            backoff = project.option(task, "retry_backoff", app)
            if not (autoretry.known and backoff.known):
                continue
            if autoretry.value.value and not backoff.value.value:
                yield diagnostic(
                    "CL402",
                    f"Task {task_label(task)} retries automatically without `retry_backoff`: "
                    "every failure is retried at a fixed delay, hammering a struggling "
                    "dependency; add `retry_backoff=True`",
                    task.path,
                    task.span,
                    pending_fix=decorator_keyword_fix(
                        task, "retry_backoff", "True", "Add `retry_backoff=True`"
                    ),
                )
                break
