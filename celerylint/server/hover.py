"""Hover: settings with their resolved values and origins, tasks with their options,
and the task a task-name string names.

Everything comes from the latest check's model: nothing is imported or run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from celerylint import catalog
from celerylint.facts.values import Value
from celerylint.model.describe import TASK_OPTIONS, plain_value
from celerylint.model.project import Project
from celerylint.model.settings import App, Setting
from celerylint.model.tasks import Task
from celerylint.server.cursor import name_at, string_at

LAYERS = {
    "changes": "set on the app",
    "added": "from add_defaults",
    "source": "from its configuration",
    "default": "default",
}


def shown_path(path: str, root: Path) -> str:
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:
        return path


def _value(value: Value) -> str:
    if value.known:
        return f"`{plain_value(value.value)!r}`"
    why = value.reason or "cannot be known statically"
    if value.env and value.env not in why:
        why += f" (environment variable `{value.env}`)"
    return f"unknown: {why}"


def _where(located: Optional[tuple[str, Any]], root: Path) -> str:
    if located is None:
        return ""
    path, span = located
    return f" at {shown_path(path, root)}:{span.line}"


# -- settings --------------------------------------------------------------------


def settings_at(project: Project, path: str, line: int, col: int, text: str) -> list[str]:
    """Settings whose key is under the cursor: a key written in a configuration layer
    (settings module, `app.conf` write, `Celery(...)` keyword), or a setting's name
    written in a file that configures an app."""
    found: list[str] = []
    configures = False
    for app in project.apps:
        for layer in app.configured_layers:
            configures = configures or layer.path == path or app.path == path
            # Keyed by the name Celery reads (`broker_url` for `Celery(broker=...)`).
            for key, entry in layer.entries.items():
                span = entry.key_span
                if entry.path != path or span is None:
                    continue
                configures = True
                if span.line <= line <= span.end_line and span.col <= col <= span.end_col:
                    setting = _setting_of(key, app)
                    if setting and setting not in found:
                        found.append(setting)
    if found or not configures:
        return found
    word = name_at(text, col)
    if word is None:
        return []
    named = {_setting_of(word, app) for app in project.apps}
    return sorted(name for name in named if name)


def _setting_of(key: str, app: App) -> Optional[str]:
    _kind, setting = catalog.classify_source_key(key, app.namespace)
    return setting


def setting_hover(project: Project, name: str, root: Path) -> str:
    rows = [f"**{name}** (Celery setting)", ""]
    for app in project.apps:
        setting: Setting = app.setting(name)
        origin = LAYERS.get(setting.layer, setting.layer)
        if setting.layer == "source" and app.source.description:
            origin = f"from {app.source.description}"
        rows.append(
            f"- `{app.id}`: {_value(setting.value)} ({origin}{_where(setting.location, root)})"
        )
    return "\n".join(rows)


# -- tasks -----------------------------------------------------------------------


def task_at(project: Project, path: str, line: int) -> Optional[Task]:
    """The task whose decorators or `def`/`class` line is `line`."""
    for task in project.tasks:
        if task.path != path:
            continue
        first = min([d.span.line for d in task.decorators] + [task.span.line])
        if first <= line <= task.span.line:
            return task
    return None


def tasks_named(project: Project, text: str, col: int) -> list[Task]:
    """The tasks a task-name string at `col` names (`send_task("x")`, beat entries)."""
    name = string_at(text, col)
    if not name:
        return []
    return [task for task in project.tasks if task.name == name]


def task_hover(project: Project, task: Task, root: Path) -> str:
    label = task.name or task.qualname
    rows = [f"**{label}** (Celery task `{task.qualname}`)", ""]
    apps: list[Optional[App]] = list(task.apps) if task.apps else [None]
    for app in apps:
        rows.append(f"Options for app `{app.id}`:" if app else "Options (app unknown):")
        for name in TASK_OPTIONS:
            option = project.option(task, name, app)
            where = _where(option.located, root)
            rows.append(f"- `{name}` = {_value(option.value)} ({option.origin}{where})")
    return "\n".join(rows)


def named_task_hover(tasks: list[Task], root: Path) -> str:
    rows = []
    for task in tasks:
        apps = ", ".join(f"`{app.id}`" for app in task.apps or []) or "unknown app"
        rows.append(
            f"Task **{task.name}**: `{task.qualname}` at "
            f"{shown_path(task.path, root)}:{task.span.line} ({apps})"
        )
    return "\n\n".join(rows)


def hover_text(
    project: Project, path: str, line: int, col: int, text: str, root: Path
) -> Optional[str]:
    """Markdown for the cursor at 1-based `line`, character `col` (`text`: that line)."""
    named = tasks_named(project, text, col)
    if named:
        return named_task_hover(named, root)
    names = settings_at(project, path, line, col, text)
    if names:
        return "\n\n---\n\n".join(setting_hover(project, name, root) for name in names)
    task = task_at(project, path, line)
    if task is not None:
        return task_hover(project, task, root)
    return None
