"""Whether a task retries at all (CL402, CL403, CL405)."""

from __future__ import annotations

from typing import Optional

from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.model.tasks import Task


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
