"""Whether a task retries at all (CL402, CL403, CL405)."""

from __future__ import annotations

from typing import Optional

from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.model.tasks import Option, Task
from celerylint.rules._fleet import worker_sets_time_limit
from celerylint.rules._time_limits import limit_seconds

# Raised in the worker's main process once it has killed the child running the task:
# the task body, and so the retry wrapper, never sees it (a real prefork worker: one
# run, "Hard time limit exceeded", no retry).
_HARD_LIMIT = frozenset(
    {"celery.exceptions.TimeLimitExceeded", "billiard.exceptions.TimeLimitExceeded"}
)
# Raised in the task only where a soft limit is set.
_SOFT_LIMIT = frozenset(
    {"celery.exceptions.SoftTimeLimitExceeded", "billiard.exceptions.SoftTimeLimitExceeded"}
)


def never_retries(project: Project, task: Task, app: Optional[App]) -> bool:
    """`max_retries=0` (on the task, or in the `retry_kwargs` automatic retries use):
    `Task.retry` re-raises the exception on the first retry, so the task runs once
    (grafana oncall's `autoretry_for=(...,), max_retries=0` tasks). When the app's
    `task_annotations` cannot be read (oncall's settings module is not in the
    repository), the task's own `max_retries=0` still counts: annotations would have
    to set another value for it to retry, and the rules stay silent rather than guess."""
    limit = project.option(task, "max_retries", app)
    if limit.origin == "annotation" and not limit.known:
        limit = project.options.declared(task, "max_retries") or limit
    if limit.known and limit.value.value == 0:
        return True
    given = project.option(task, "retry_kwargs", app).value
    return given.known and isinstance(given.value, dict) and given.value.get("max_retries") == 0


def retries_nothing_raised(
    project: Project, task: Task, app: Optional[App], autoretry: Option
) -> bool:
    """`autoretry_for` lists only time-limit exceptions the task never sees: the hard
    limit's, and the soft limit's where no soft limit is set (on the task, in the
    settings, or by a worker's `--soft-time-limit`). warehouse's
    `autoretry_for=(SoftTimeLimitExceeded, TimeLimitExceeded)` with only `time_limit`."""
    if autoretry.node is None or autoretry.path is None:
        return False
    names = project.refs_in(autoretry.node, autoretry.path)
    if not names or not set(names) <= _HARD_LIMIT | _SOFT_LIMIT:
        return False
    if _SOFT_LIMIT.isdisjoint(names):
        return True
    try:
        soft = limit_seconds(project.option(task, "soft_time_limit", app))
    except LookupError:
        return False
    return soft is None and not worker_sets_time_limit(project, app, "soft_time_limit")
