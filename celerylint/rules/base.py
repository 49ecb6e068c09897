"""What most rule modules share: diagnostic construction, task labels, related locations."""

from __future__ import annotations

from typing import Optional

from celerylint.diagnostics import Diagnostic, Fix, PendingFix, Related, Span
from celerylint.model.settings import App
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


def related_to(located: Optional[tuple[str, Span]], message: str) -> tuple[Related, ...]:
    if located is None:
        return ()
    return (Related(located[0], located[1], message),)
