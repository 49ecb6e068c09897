"""CL202 soft-time-limit-not-below-hard: a soft limit that gives no time to clean up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.model.tasks import Option, Task
from celerylint.rules._time_limits import limit_seconds
from celerylint.rules.base import diagnostic, task_apps, task_label
from celerylint.rules.registry import rule


def _from_task(option: Option) -> bool:
    return option.origin in ("task", "base", "annotation")


def _message(soft: float, hard: float) -> str:
    """What Celery 5.7 does (tests/test_premise_time_limits.py runs it)."""
    # Either way a worker gives the task no time to clean up: a prefork pool
    # kills it at the hard limit without raising SoftTimeLimitExceeded, or,
    # with an event loop (Redis, RabbitMQ), kills it as soon as it raises it.
    worker = (
        "a worker kills it with no time to clean up (`SoftTimeLimitExceeded` is never "
        "raised, or only as the task is killed)"
    )
    if soft == hard:
        return f"soft time limit {soft:g}s equals the hard limit: {worker}"
    return (
        f"soft time limit {soft:g}s is above the hard limit {hard:g}s: Celery 5.5+ refuses to "
        "send the task (`delay()`/`apply_async()` raise `ValueError`), and if it is sent "
        f"anyway (`send_task`, older Celery) {worker}"
    )


@rule("CL202", "soft-time-limit-not-below-hard")
def soft_not_below_hard(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        for app in task_apps(task):
            yield from _check_task(project, task, app)


def _check_task(project: Project, task: Task, app: Optional[App]) -> Iterator[Diagnostic]:
    soft_option = project.option(task, "soft_time_limit", app)
    hard_option = project.option(task, "time_limit", app)
    try:
        soft, hard = limit_seconds(soft_option), limit_seconds(hard_option)
    except LookupError:
        return
    if soft is None or hard is None or soft < hard:
        return
    message = _message(soft, hard)
    if _from_task(soft_option) or _from_task(hard_option):
        yield diagnostic("CL202", f"Task {task_label(task)}: {message}", task.path, task.span)
        return
    if app is None:
        return
    located = app.setting("task_soft_time_limit").location
    if located:
        yield diagnostic(
            "CL202",
            f"`{app.setting_key('task_soft_time_limit')}`: {message}",
            *located,
        )
