"""Time limits: CL201, CL202."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.model.tasks import Option, Task
from celerylint.rules.base import (
    diagnostic,
    rule,
    setting_home,
    setting_key,
    setting_location,
    task_label,
)


def _limit(option: Option) -> Optional[float]:
    """A known limit in seconds; 0 and None mean no limit; None if unknown."""
    if not option.known:
        raise LookupError
    value = option.value.value
    if value is None or value is False:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    raise LookupError


@rule("CL201")
def missing_time_limit(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        if not task.apps or task.function is None:
            continue  # the app's settings are not visible: a global limit may exist
        lacking: list[App] = []
        for app in task.apps:
            try:
                limit = _limit(project.option(task, "time_limit", app))
            except LookupError:
                break
            if limit is not None:
                break
            lacking.append(app)
        else:
            app = lacking[0]
            yield diagnostic(
                "CL201",
                f"Task {task_label(task)} has no hard time limit: a hung call blocks a worker "
                f"process forever; set `time_limit=` on the task or "
                f"`{setting_key(app, 'task_time_limit')}` in {setting_home(app)}",
                task.path,
                task.span,
            )


def _from_task(option: Option) -> bool:
    return option.origin in ("task", "base", "annotation")


@rule("CL202")
def soft_not_below_hard(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        for app in task.apps or [None]:
            yield from _check_task(project, task, app)


def _check_task(project: Project, task: Task, app: Optional[App]) -> Iterator[Diagnostic]:
    soft_option = project.option(task, "soft_time_limit", app)
    hard_option = project.option(task, "time_limit", app)
    try:
        soft, hard = _limit(soft_option), _limit(hard_option)
    except LookupError:
        return
    if soft is None or hard is None or soft < hard:
        return
    message = (
        f"soft time limit {soft:g}s is not below the hard limit {hard:g}s, so "
        "SoftTimeLimitExceeded is never raised and the task gets no chance to clean up"
    )
    if _from_task(soft_option) or _from_task(hard_option):
        yield diagnostic("CL202", f"Task {task_label(task)}: {message}", task.path, task.span)
        return
    if app is None:
        return
    located = setting_location(app.setting("task_soft_time_limit"))
    if located:
        yield diagnostic(
            "CL202",
            f"`{setting_key(app, 'task_soft_time_limit')}`: {message}",
            *located,
        )
