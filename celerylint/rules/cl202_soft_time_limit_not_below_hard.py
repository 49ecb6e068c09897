"""CL202 soft-time-limit-not-below-hard: a soft limit that gives no time to clean up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

import msgspec

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.model.tasks import Option, Task
from celerylint.rules._deciding_line import by_deciding_line, tasks_list
from celerylint.rules._time_limits import limit_seconds
from celerylint.rules.base import diagnostic, task_apps
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
    found: list[tuple[Task, Option, str]] = []
    for task in project.tasks:
        for app in task_apps(task):
            decided = _check_task(project, task, app)
            if isinstance(decided, Diagnostic):
                yield decided
            elif decided is not None:
                found.append((task, *decided))
                break
    # By task: tasks that set neither limit share one Option (`TaskOptions`).
    messages = {id(task): message for task, _option, message in found}
    for group in by_deciding_line([(task, option) for task, option, _message in found]):
        tasks = group.tasks
        if len(tasks) == 1:
            subject = f"Task {tasks_list(tasks)}"
        else:
            subject = f"{len(tasks)} tasks ({tasks_list(tasks)})"
        message = messages[id(tasks[0])]  # the task whose option `group.option` is
        yield diagnostic("CL202", f"{subject}: {message}", group.path, group.span)


def _check_task(
    project: Project, task: Task, app: Optional[App]
) -> Optional[Diagnostic | tuple[Option, str]]:
    """A finding of the task's own limits (the soft option, placed where it is
    decided), one at the app's soft limit setting, or None."""
    soft_option = project.option(task, "soft_time_limit", app)
    hard_option = project.option(task, "time_limit", app)
    try:
        soft, hard = limit_seconds(soft_option), limit_seconds(hard_option)
    except LookupError:
        return None
    if soft is None or hard is None or soft < hard:
        return None
    message = _message(soft, hard)
    if _from_task(soft_option) or _from_task(hard_option):
        if not _same_line(project, soft_option, hard_option):
            # No one line: the task's name.
            soft_option = msgspec.structs.replace(soft_option, span=None)
        return soft_option, message
    if app is None:
        return None
    located = app.setting("task_soft_time_limit").location
    if located:
        return diagnostic(
            "CL202",
            f"`{app.setting_key('task_soft_time_limit')}`: {message}",
            *located,
        )
    return None


def _same_line(project: Project, soft: Option, hard: Option) -> bool:
    """Both limits are written in one decorator call, or in one class."""
    if soft.origin == hard.origin == "task":
        return soft.call is not None and soft.call == hard.call and soft.path == hard.path
    if soft.origin != "base" or hard.origin != "base" or soft.path != hard.path:
        return False
    module = project.modules.module_of(soft.path) if soft.path else None
    facts = project.modules.facts(module) if module else None
    spans = (soft.span, hard.span)
    return facts is not None and any(
        all(span in cls.attr_spans.values() for span in spans) for cls in facts.classes.values()
    )
