"""CL201 missing-time-limit: a task with no hard time limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint import catalog
from celerylint.diagnostics import Applicability, Diagnostic, Fix
from celerylint.fixes.edits import insert, make_fix, replace
from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.model.tasks import Option, Task
from celerylint.rules._deciding_line import by_deciding_line
from celerylint.rules._fleet import ENFORCES_HARD, consumer_pools, worker_sets_time_limit
from celerylint.rules._time_limits import limit_seconds
from celerylint.rules.base import Anchor, diagnostic, setting_home, settings_anchor
from celerylint.rules.registry import rule


@rule("CL201", "missing-time-limit")
def missing_time_limit(project: Project) -> Iterator[Diagnostic]:
    per_app = _PerApp(project)
    found: list[tuple[Task, Option]] = []
    fixes: dict[int, Optional[Fix]] = {}
    apps: dict[int, App] = {}
    for task in project.tasks:
        if not task.apps or task.function is None:
            continue  # the app's settings are not visible: a global limit may exist
        if task.path in project.test_paths:
            continue  # a test suite's task, not production's
        if any(per_app.deployed_limit(app) for app in task.apps):
            continue  # its workers are started with --time-limit: a global limit
        if _bounded_by_a_decorator(task):
            continue
        lacking: list[App] = []
        for app in task.apps:
            try:
                limit = limit_seconds(project.option(task, "time_limit", app))
            except LookupError:
                break
            if limit is not None:
                break
            lacking.append(app)
        else:
            app = lacking[0]
            found.append((task, project.option(task, "time_limit", app)))
            apps[id(task)] = app
            fixes[id(task)] = (
                _time_limit_fix(project, task, app, per_app) if len(lacking) == 1 else None
            )
    for decided in by_deciding_line(found):
        first = decided.tasks[0]
        app = apps[id(first)]
        subject = decided.subject("has", "have")
        yield diagnostic(
            "CL201",
            f"{subject} no hard time limit: a hung call blocks a worker process forever; set "
            f"`time_limit=` on the task or `{app.setting_key('task_time_limit')}` in "
            f"{per_app.home(app)}{_unenforced(project, first, app)}",
            decided.path,
            decided.span,
            fixes[id(first)],
        )


def _bounded_by_a_decorator(task: Task) -> bool:
    """A decorator of the task's function named for a timeout bounds its run itself
    (safe-transaction-service's `@task_timeout(timeout_seconds=LOCK_TIMEOUT)`, a
    `gevent.Timeout` around the call, as Celery's own gevent pool does for `time_limit`;
    `timeout_decorator.timeout`, `func_timeout`): what it enforces is not seen, but a limit
    is meant."""
    assert task.function is not None
    return any(
        decorator.qualname is not None
        and any(
            word in decorator.qualname.rsplit(".", 1)[-1].lower()
            for word in ("timeout", "time_limit")
        )
        for decorator in task.function.decorators
    )


def _unenforced(project: Project, task: Task, app: App) -> str:
    """What to add when the deployed workers could not enforce a limit anyway (CL204)."""
    pools = consumer_pools(project, task, app)
    if not pools or pools & ENFORCES_HARD:
        return ""
    return (
        f", but its deployed workers run the {', '.join(sorted(pools))} pool, which does not "
        "enforce time limits: a limit alone will not help (bound the blocking call itself)"
    )


class _PerApp:
    """What depends only on the app (its deployed workers' limit, parts of a fix):
    computed once, not per task."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._deployed_limit: dict[str, bool] = {}
        self._highest_soft: dict[str, float] = {}
        self._self_bounded: dict[str, bool] = {}
        self._global_fix: dict[str, Optional[Fix]] = {}
        self._home: dict[str, str] = {}

    def deployed_limit(self, app: App) -> bool:
        if app.key not in self._deployed_limit:
            self._deployed_limit[app.key] = worker_sets_time_limit(self.project, app)
        return self._deployed_limit[app.key]

    def highest_soft(self, app: App) -> float:
        if app.key not in self._highest_soft:
            self._highest_soft[app.key] = _highest_soft_limit(self.project, app)
        return self._highest_soft[app.key]

    def self_bounded(self, app: App) -> bool:
        """Whether a task of the app bounds its run with a timeout decorator (its bound
        not seen, maybe above the limit a fix would set for the whole app)."""
        if app.key not in self._self_bounded:
            self._self_bounded[app.key] = any(
                app in (task.apps or ())
                and task.function is not None
                and _bounded_by_a_decorator(task)
                for task in self.project.tasks
            )
        return self._self_bounded[app.key]

    def home(self, app: App) -> str:
        """Where the message says to add a global limit (120 findings on saleor, one app)."""
        if app.key not in self._home:
            self._home[app.key] = setting_home(app)
        return self._home[app.key]

    def global_fix(self, app: App) -> Optional[Fix]:
        if app.key not in self._global_fix:
            self._global_fix[app.key] = global_limit_fix(self.project, app)
        return self._global_fix[app.key]


def _time_limit_fix(project: Project, task: Task, app: App, per_app: _PerApp) -> Optional[Fix]:
    """Set a limit where "no limit" is decided: the task's own option, else the app's.

    A task's own `time_limit=0` or an explicit `task_time_limit = None` wins
    over anything added elsewhere, so that value is what gets replaced.
    """
    hard = project.fix_defaults["time_limit"]
    option = project.option(task, "time_limit", app)
    try:
        soft = limit_seconds(project.option(task, "soft_time_limit", app))
    except LookupError:
        return None
    if soft is not None and soft >= hard:
        return None  # the new hard limit would not be above the task's soft limit (CL202)
    if option.origin in ("task", "base"):
        if option.node is None or option.node.span is None or option.path is None:
            return None
        edit = replace(option.path, option.node.span, str(hard))
        return make_fix(f"Set `time_limit={hard}` on the task", Applicability.UNSAFE, [edit])
    if option.origin == "annotation":
        return None
    if per_app.highest_soft(app) >= hard:
        return None  # some soft limit would reach the new global hard limit (CL202)
    if per_app.self_bounded(app):
        return None  # an app-wide limit may cut a task's own longer timeout short
    setting = app.setting("task_time_limit")
    if not setting.is_default:
        located = setting.location
        if located is None:
            return None
        path, span = located
        edit = replace(path, span, str(hard))
        return make_fix(
            f"Set `{app.setting_key('task_time_limit')} = {hard}`", Applicability.UNSAFE, [edit]
        )
    return per_app.global_fix(app)


def _indentation(project: Project, anchor: Anchor) -> Optional[str]:
    """The indentation of the anchor's key line, for the lines added after it; None if
    the file cannot be read."""
    data = project.read(anchor.path)
    lines = data.decode("utf-8", "replace").splitlines() if data is not None else []
    if not 0 < anchor.key_line <= len(lines):
        return None
    line = lines[anchor.key_line - 1]
    return line[: len(line) - len(line.lstrip(" \t"))]


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
    if app.source.kind == "django" and not app.namespace:
        # Django settings without a namespace: Celery reads only the old upper-case
        # names there (`CELERYD_TASK_TIME_LIMIT`), which CL901 reports (pontoon: the fix
        # was refused once per task).
        return None
    if app.source.kind in ("module", "django"):
        anchor = settings_anchor(app)
        indent = _indentation(project, anchor) if anchor is not None else None
        if anchor is None or indent is None:
            return None
        path, end_line = anchor.path, anchor.last_line
        lines = []
        for name in names:
            key = catalog.old_name(name) if anchor.old_style else app.setting_key(name)
            lines.append(f"{indent}{key or name} = {values[name]}\n")
    elif app.source.kind == "none":
        path, end_line = app.path, app.span.end_line
        lines = [f"{app.var}.conf.{name} = {values[name]}\n" for name in names]
    else:
        return None
    return make_fix(
        f"Add a global `{app.setting_key('task_time_limit')} = {hard}`",
        Applicability.UNSAFE,
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
            highest = max(highest, limit_seconds(option) or 0.0)
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
                limit = limit_seconds(option)
            except LookupError:
                limits.append(0.0)
                continue
            if limit is not None:
                limits.append(limit)
    return limits
