"""What most rule modules share: diagnostic construction, task labels, related locations."""

from __future__ import annotations

from typing import NamedTuple, Optional

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


class Anchor(NamedTuple):
    """Where a global setting is best added: after the last of the app's Celery settings
    in the file holding most of them, indented as that one's line (a settings class's
    body: django-configurations)."""

    path: str
    last_line: int
    key_line: int  # the line that setting's key is written on
    old_style: bool  # the settings there use old names


def settings_anchor(app: App) -> Optional[Anchor]:
    """The anchor of the app's unconditional Celery settings, if it has any."""
    from celerylint import catalog

    best: dict[str, list[tuple[int, int]]] = {}
    old = new = 0
    for layer in app.source.layers:
        for key, entry in layer.entries.items():
            kind, setting = catalog.classify_source_key(key, app.namespace)
            span = entry.node.span
            if setting is None or entry.conditional or span is None:
                continue
            old += kind == "old"
            new += kind in ("new", "namespaced")
            key_line = entry.key_span.line if entry.key_span else span.line
            best.setdefault(entry.path, []).append((span.end_line, key_line))
    if not best:
        return None
    path = max(best, key=lambda p: (len(best[p]), p))
    last_line, key_line = max(best[path])
    return Anchor(path, last_line, key_line, bool(old > new and not app.namespace))


def setting_home(app: App) -> str:
    """Where a user would add a global setting for this app, for messages: where its
    Celery settings are written (where a fix adds one), else its settings module; the
    class, dict or Flask config it loads (`class proj.config.CeleryConfig
    (proj/config.py)`); else its app.conf."""
    layers = app.source.layers
    kind = app.source.kind
    if layers and kind in ("module", "django"):
        anchor = settings_anchor(app)
        path = anchor.path if anchor is not None else layers[0].path
        if path is not None:
            return shown(path)
    # One layer, or alternatives written in one file (the dict each candidate Django
    # settings module holds, star-imported from one module: studio's `settings.CELERY`).
    paths = {layer.path for layer in layers}
    if len(paths) == 1 and kind in ("class", "dict", "flask") and layers[0].path is not None:
        return f"{layers[0].description} ({shown(layers[0].path)})"
    return f"app.conf of `{app.id}`"


def shown(path: str) -> str:
    """A path as messages show it: relative to the working directory where it can be."""
    import os

    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def related_to(located: Optional[tuple[str, Span]], message: str) -> tuple[Related, ...]:
    if located is None:
        return ()
    return (Related(located[0], located[1], message),)
