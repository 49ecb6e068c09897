"""CL405 retry-backoff-without-autoretry: `retry_backoff` on a task without `autoretry_for`."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.model.tasks import Option, Task
from celerylint.rules._deciding_line import by_deciding_line
from celerylint.rules._plain_tasks import overrides
from celerylint.rules._retries import never_retries
from celerylint.rules.base import diagnostic, task_apps
from celerylint.rules.registry import rule


@rule("CL405", "retry-backoff-without-autoretry")
def retry_backoff_without_autoretry(project: Project) -> Iterator[Diagnostic]:
    found: list[tuple[Task, Option]] = []
    for task in project.tasks:
        if task.path in project.test_paths or overrides(project, task, ("retry",)):
            continue  # a base class's own `retry` may read the backoff options
        for app in task_apps(task):
            backoff = project.option(task, "retry_backoff", app)
            if not (backoff.known and backoff.value.value and backoff.located):
                break
            if backoff.origin not in ("task", "base") or never_retries(project, task, app):
                break
            autoretry = project.option(task, "autoretry_for", app)
            if not autoretry.value.known or autoretry.nonempty:
                break  # retried automatically (or maybe): the backoff applies
        else:
            found.append((task, backoff))
    for decided in by_deciding_line(found):
        subject = decided.subject("sets", "set")
        yield diagnostic(
            "CL405",
            f"{subject} `retry_backoff` but no `autoretry_for`: Celery applies the backoff "
            "only to automatic retries, so `self.retry()` waits `default_retry_delay` (180 s) "
            "or its own `countdown` every time; retry with "
            "`countdown=2 ** self.request.retries`, or set `autoretry_for`",
            decided.path,
            decided.span,
        )
