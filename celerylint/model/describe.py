"""A JSON view of the model: resolved settings and task options, with origins."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from celerylint.facts.schema import Node
from celerylint.facts.values import Value
from celerylint.model.project import Project
from celerylint.model.settings import Setting

SETTINGS = (
    "broker_url",
    "result_backend",
    "task_serializer",
    "result_serializer",
    "accept_content",
    "result_accept_content",
    "event_serializer",
    "task_time_limit",
    "task_soft_time_limit",
    "result_expires",
    "task_ignore_result",
    "task_acks_late",
    "worker_prefetch_multiplier",
    "task_default_queue",
    "task_always_eager",
    "worker_pool",
    "task_annotations",
)
TASK_OPTIONS = (
    "time_limit",
    "soft_time_limit",
    "max_retries",
    "ignore_result",
    "serializer",
    "autoretry_for",
    "retry_backoff",
    "acks_late",
    "rate_limit",
    "typing",
)


def plain_value(value: Any) -> Any:
    """A resolved value as JSON-able data (tuples and sets as lists, keys as strings)."""
    if isinstance(value, (tuple, list, set, frozenset)):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    return value


def _origin(path: Optional[str], node: Optional[Node], root: Path) -> Optional[str]:
    if path is None or node is None or node.span is None:
        return None
    try:
        shown = Path(os.path.relpath(path, root)).as_posix()
    except ValueError:
        shown = path
    return f"{shown}:{node.span.line}"


def _value(
    value: Value, root: Path, node: Optional[Node] = None, path: Optional[str] = None
) -> dict[str, Any]:
    """`node` and `path`: where the value is given, when not where it is defined (a
    task's keyword naming a constant of another module points at the keyword)."""
    return {
        "known": value.known,
        "value": plain_value(value.value) if value.known else None,
        "reason": value.reason or None,
        "origin": _origin(path or value.path, node or value.node, root),
    }


def _setting(setting: Setting, root: Path) -> dict[str, Any]:
    entry = setting.entry
    node = entry.node if entry else None
    path = entry.path if entry else None
    view = _value(setting.value, root)
    view["origin"] = _origin(path, node, root) if not setting.is_default else None
    view["layer"] = setting.layer
    return view


def describe_project(project: Project, root: Path) -> dict[str, Any]:
    apps: dict[str, Any] = {}
    for app in project.apps:
        names = sorted(set(SETTINGS) | _written_settings(app))
        apps[app.id] = {
            "namespace": app.namespace,
            "source": app.source.description or app.source.kind,
            "settings": {name: _setting(app.setting(name), root) for name in names},
        }
    tasks: dict[str, Any] = {}
    for task in project.tasks:
        label = task.name or task.qualname
        first_app = task.apps[0] if task.apps else None
        options: dict[str, Any] = {}
        for name in TASK_OPTIONS:
            option = project.option(task, name, first_app)
            view = _value(option.value, root, option.node, option.path if option.node else None)
            view["from"] = option.origin
            options[name] = view
        tasks[label] = {
            "qualname": task.qualname,
            "apps": [a.id for a in task.apps or []],
            "options": options,
        }
    return {"apps": apps, "tasks": tasks}


def _written_settings(app: Any) -> set[str]:
    from celerylint import catalog

    found = set()
    for layer in app.configured_layers:
        for key in layer.entries:
            _kind, setting = catalog.classify_source_key(key, app.namespace)
            if setting:
                found.add(setting)
    return found
