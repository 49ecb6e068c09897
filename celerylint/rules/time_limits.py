"""Time limits: CL201, CL202."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint import catalog
from celerylint.diagnostics import Diagnostic, Fix
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
from celerylint.rules.fixes import insert, make_fix, replace


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
    if project.workers.sets_time_limit:
        return  # a worker started with --time-limit has a global limit the code cannot show
    highest_soft: dict[str, float] = {}  # per app: the same for each of its findings
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
                _time_limit_fix(project, task, app, highest_soft) if len(lacking) == 1 else None,
            )


def _time_limit_fix(
    project: Project, task: Task, app: App, highest_soft: dict[str, float]
) -> Optional[Fix]:
    """Set a limit where "no limit" is decided: the task's own option, else the app's.

    A task's own `time_limit=0` or an explicit `task_time_limit = None` wins
    over anything added elsewhere, so that value is what gets replaced.
    """
    hard = project.fix_defaults["time_limit"]
    option = project.option(task, "time_limit", app)
    try:
        soft = _limit(project.option(task, "soft_time_limit", app))
    except LookupError:
        return None
    if soft is not None and soft >= hard:
        return None  # the new hard limit would not be above the task's soft limit (CL202)
    if option.origin in ("task", "base"):
        if option.node is None or option.path is None:
            return None
        edit = replace(option.path, option.node[1], str(hard))
        return make_fix(f"Set `time_limit={hard}` on the task", False, [edit])
    if option.origin == "annotation":
        return None
    if app.key not in highest_soft:
        highest_soft[app.key] = _highest_soft_limit(project, app)
    if highest_soft[app.key] >= hard:
        return None  # some soft limit would reach the new global hard limit (CL202)
    setting = app.setting("task_time_limit")
    if not setting.is_default:
        located = setting_location(setting)
        if located is None:
            return None
        path, span = located
        edit = replace(path, span.to_list(), str(hard))
        return make_fix(f"Set `{setting_key(app, 'task_time_limit')} = {hard}`", False, [edit])
    return global_limit_fix(project, app)


def global_limit_fix(project: Project, app: App) -> Optional[Fix]:
    """Add `task_time_limit` (and a soft limit below it) where the app is configured."""
    hard = project.fix_defaults["time_limit"]
    soft = project.fix_defaults["soft_time_limit"]
    names = ["task_time_limit"]
    soft_setting = app.setting("task_soft_time_limit")
    hard_limits = _task_hard_limits(project, app)
    if soft_setting.is_default and soft < min(hard_limits, default=hard + 1):
        # A global soft limit at or above some task's own hard limit would be CL202.
        names.append("task_soft_time_limit")
    values = {"task_time_limit": hard, "task_soft_time_limit": soft}
    if app.source.kind in ("module", "django"):
        anchor = _last_setting(app)
        if anchor is None:
            return None
        path, end_line, old_style = anchor
        lines = []
        for name in names:
            key = catalog.old_name(name) if old_style else setting_key(app, name)
            lines.append(f"{key or name} = {values[name]}\n")
    elif app.source.kind == "none":
        path, end_line = app.path, app.span.end_line
        lines = [f"{app.var}.conf.{name} = {values[name]}\n" for name in names]
    else:
        return None
    return make_fix(
        f"Add a global `{setting_key(app, 'task_time_limit')} = {hard}`",
        False,
        [insert(path, end_line + 1, 0, "".join(lines))],
    )


def _highest_soft_limit(project: Project, app: App) -> float:
    """The highest soft limit in force for the app: its global one or any task's own."""
    options = [
        project.option(task, "soft_time_limit", app)
        for task in project.tasks
        if app in (task.apps or ())
    ]
    global_soft = Option("soft_time_limit", app.setting("task_soft_time_limit").value, "config")
    highest = 0.0
    for option in [*options, global_soft]:
        try:
            highest = max(highest, _limit(option) or 0.0)
        except LookupError:
            return float("inf")
    return highest


def _task_hard_limits(project: Project, app: App) -> list[float]:
    """The `time_limit`s the app's tasks set themselves.

    An unknown one counts as 0, the worst case for a global soft limit being
    added, so the fix can never create a CL202.
    """
    limits = []
    for task in project.tasks:
        if app not in (task.apps or ()):
            continue
        option = project.option(task, "time_limit", app)
        if option.origin in ("task", "base", "annotation"):
            try:
                limit = _limit(option)
            except LookupError:
                limits.append(0.0)
                continue
            if limit is not None:
                limits.append(limit)
    return limits


def _last_setting(app: App) -> Optional[tuple[str, int, bool]]:
    """(file, last line, uses old names) of the module-level Celery settings to add after."""
    best: dict[str, list[int]] = {}
    old = new = 0
    for layer in app.source.layers:
        for key, entry in layer.entries.items():
            kind, setting = catalog.classify_source_key(key, app.namespace)
            if setting is None or entry.conditional or entry.node[1] is None:
                continue
            old += kind == "old"
            new += kind in ("new", "namespaced")
            best.setdefault(entry.path, []).append(entry.node[1][2])
    if not best:
        return None
    path = max(best, key=lambda p: (len(best[p]), p))
    return path, max(best[path]), bool(old > new and not app.namespace)


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
