"""Which task or app a call's receiver names, for rules about call sites (CL503, CL601).

A receiver (`x` in `x.delay()`, `x.send_task()`, `x.AsyncResult()`) is a task of
the project, an app of the project, or Celery's `current_app`, which is the
project's app only when the project has exactly one. Anything else is unknown.
Test code is left alone: it runs under test settings (eager mode, a backend or
a transaction set up by fixtures) that the production configuration does not show.
"""

from __future__ import annotations

from typing import Optional

import msgspec

from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.model.tasks import CURRENT_APP, Task


class Receiver(msgspec.Struct, frozen=True):
    """What a call is made on: a task (with its apps) or an app."""

    apps: list[App]
    task: Optional[Task] = None


def receiver(project: Project, qualname: Optional[str], near: str) -> Optional[Receiver]:
    """The task or app `qualname` (written in module `near`) names; None if unknown."""
    if qualname is None:
        return None
    task = project.task_for(qualname, near)
    if task is not None:
        return Receiver(list(task.apps), task) if task.apps else None
    app = app_named(project, qualname, near)
    if app is not None:
        return Receiver([app])
    if qualname in CURRENT_APP:
        return current_app(project)
    return None


def current_app(project: Project) -> Optional[Receiver]:
    """Celery's current app: the project's app, if it has exactly one."""
    return Receiver([project.apps[0]]) if len(project.apps) == 1 else None


def app_named(project: Project, qualname: str, near: str) -> Optional[App]:
    symbol = project.modules.resolve(qualname, near)
    if symbol.kind != "binding" or symbol.rest:
        return None
    key = f"{symbol.module}:{symbol.name}"
    return next((app for app in project.apps if app.key == key), None)


def app_list(apps: list[App]) -> str:
    names = [f"`{app.id}`" for app in apps]
    return ("app " if len(names) == 1 else "apps ") + ", ".join(names)
