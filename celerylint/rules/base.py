"""What most rule modules share: diagnostic construction, task labels, where settings are."""

from __future__ import annotations

from typing import Optional

from celerylint.diagnostics import Diagnostic, Fix, PendingFix, Related, Span
from celerylint.facts.values import Value
from celerylint.model.settings import App, Setting
from celerylint.model.tasks import Task
from celerylint.rules.meta import BY_CODE


def diagnostic(
    code: str,
    message: str,
    path: str,
    span: Span,
    fix: Optional[Fix] = None,
    related: tuple[Related, ...] = (),
    *,
    pending_fix: Optional[PendingFix] = None,
) -> Diagnostic:
    meta = BY_CODE[code]
    return Diagnostic(
        meta.code, meta.name, message, path, span, meta.severity, fix, related, pending_fix
    )


def task_label(task: Task) -> str:
    return f"`{task.name or task.qualname}`"


def task_apps(task: Task) -> list[Optional[App]]:
    """The apps a task runs in, or [None] when they cannot be seen."""
    return list(task.apps) if task.apps else [None]


def setting_key(app: App, name: str) -> str:
    """How `name` is spelled in the app's configuration source."""
    if app.namespace:
        prefix = app.namespace.rstrip("_")
        prefix = prefix.upper() if prefix.isupper() else prefix
        spelled = f"{prefix}_{name}"
        return spelled.upper() if prefix.isupper() else spelled
    return name


def setting_home(app: App) -> str:
    """Where a user would add a global setting for this app, for messages."""
    import os

    layers = app.source.layers
    path = layers[0].path if layers and app.source.kind in ("module", "django") else None
    if path is None:
        return f"app.conf of `{app.id}`"
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def value_location(value: Value) -> Optional[tuple[str, Span]]:
    if value.path is None or value.span is None:
        return None
    return value.path, value.span


def setting_location(setting: Setting) -> Optional[tuple[str, Span]]:
    """The span of the value that set a setting (None for defaults)."""
    if setting.is_default:
        return None
    located = value_location(setting.value)
    if located:
        return located
    entry = setting.entry
    if entry is not None and entry.node.span is not None:
        return entry.path, entry.node.span
    return None


def backend_configured(app: App) -> bool:
    """A result backend is certainly configured.

    A literal, or an environment variable the app cannot start without
    (`os.environ["X"]`, `env("X")`), or one whose literal default is a backend.
    Which backend it is stays unknown; only its presence is relied on.
    """
    backend = app.setting("result_backend")
    if backend.is_default:
        return False
    if backend.known:
        return bool(backend.value.value)
    if backend.value.env_required:
        return True
    default = backend.value.env_default
    return default is not None and default.known and bool(default.value)


def related_to(located: Optional[tuple[str, Span]], message: str) -> tuple[Related, ...]:
    if located is None:
        return ()
    return (Related(located[0], located[1], message),)
