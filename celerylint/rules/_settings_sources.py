"""The configuration sources the setting-name rules (CL901, CL902, CL903) examine.

Every configuration source of every app is examined the way Celery reads it:
the layers of its configuration source (a module, a class, a dict, the
Django settings) and its `app.conf` writes. Keys set through `Celery(...)`
keywords (`broker=`, `backend=`, `**kwargs`) are left out of the old/new
checks, as Celery leaves them out of its "Cannot mix new and old setting
keys" check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

import msgspec

from celerylint.diagnostics import Diagnostic, Fix
from celerylint.facts.schema import Const, Node, Span
from celerylint.model.namespace import Modules
from celerylint.model.project import Project
from celerylint.model.settings import App, Entry, Layer
from celerylint.rules.base import diagnostic

# Celery(...) keywords that are not settings (celery.app.base.Celery.__init__).
_STRUCTURAL = frozenset(
    {
        "main",
        "loader",
        "amqp",
        "events",
        "log",
        "control",
        "set_as_current",
        "tasks",
        "fixups",
        "task_cls",
        "autofinalize",
        "strict_typing",
        "config_source",
        "config_source_silent",
        "namespace",
        "changes",
    }
)
_CONSTRUCTOR_RENAMED = {"broker": "broker_url", "backend": "result_backend"}


class SettingsSource(msgspec.Struct):
    """One configuration layer of one app, with how Celery reads it."""

    app: App
    kind: str  # "module", "class", "dict", "django", "changes"
    layer: Layer
    prefix: Optional[str]  # the app's namespace
    module: Optional[str] = None  # the module of a module / Django source
    cls: Optional[tuple[str, str]] = None  # (module, class name) of a class source
    # Keys set by Celery(...) keywords: not counted in the mixing check.
    ignore_keys: frozenset[str] = frozenset()
    # Keys of the changes layer written by Celery(...) keywords.
    constructor_keys: frozenset[str] = frozenset()
    extra: dict[str, Entry] = msgspec.field(default_factory=dict)  # lowercase Django names

    @property
    def namespaced(self) -> bool:
        return bool(self.prefix and self.prefix.rstrip("_"))

    @property
    def label(self) -> str:
        if self.kind == "changes":
            return f"the app.conf settings of `{self.app.id}`"
        if self.kind == "dict":
            return f"the dict passed to config_from_object for `{self.app.id}`"
        if self.kind == "class" and self.cls is not None:
            return f"the class `{Modules.display(self.cls[0])}.{self.cls[1]}`"
        if self.module is not None:
            kind = "Django settings" if self.kind == "django" else "module"
            return f"the {kind} `{Modules.display(self.module)}`"
        return f"the {self.layer.description}"

    def setting_keys(self, *, conditional: bool = True) -> list[str]:
        """The layer's keys (without constructor keywords), optionally unconditional only."""
        return [
            key
            for key, entry in self.layer.entries.items()
            if key not in self.constructor_keys and (conditional or not entry.conditional)
        ]

    @property
    def mixing_checked(self) -> bool:
        """Whether Celery's "Cannot mix new and old setting keys" check reads this layer."""
        if self.namespaced:
            return False
        if self.kind in ("module", "class", "dict"):
            return True
        return self.kind == "changes" and self.app.source.kind == "none"


def _constructor(app: App) -> tuple[frozenset[str], frozenset[str]]:
    """(keys Celery leaves out of the mixing check, changes keys written by keywords)."""
    kwargs: dict[str, Node] = app.record.kwargs
    ignored: set[str] = set()
    written: set[str] = set()
    for keyword, node in kwargs.items():
        if keyword in _STRUCTURAL:
            continue
        key = _CONSTRUCTOR_RENAMED.get(keyword, keyword)
        entry = app.changes.entries.get(key)
        if entry is not None and entry.node is node and entry.path == app.path:
            written.add(key)
        # Celery.__autoset skips None values.
        if not (isinstance(node, Const) and node.value is None):
            ignored.add(key)
    return frozenset(ignored), frozenset(written)


def settings_sources(project: Project) -> Iterator[SettingsSource]:
    for app in project.apps:
        ignored, written = _constructor(app)
        source = app.source
        if source.kind in ("module", "class", "dict", "django"):
            for layer in source.layers:
                item = SettingsSource(app, source.kind, layer, app.namespace, ignore_keys=ignored)
                if source.kind == "class":
                    item.cls = _class_of(layer)
                elif source.kind != "dict" and layer.path is not None:
                    # (a dict's keys are no names of the module it is written in)
                    item.module = project.modules.module_of(layer.path)
                if source.kind == "django" and item.module is not None:
                    item.extra = _lowercase_names(project, item.module)
                yield item
        yield SettingsSource(
            app,
            "changes",
            app.changes,
            app.namespace,
            ignore_keys=ignored,
            constructor_keys=written,
        )


def _class_of(layer: Layer) -> Optional[tuple[str, str]]:
    prefix = "class "
    if not layer.description.startswith(prefix):
        return None
    dotted = layer.description[len(prefix) :]
    if "." not in dotted:
        return None
    module, name = dotted.rsplit(".", 1)
    return module, name


def _lowercase_names(project: Project, module: str) -> dict[str, Entry]:
    """Lower-case module names of a Django settings module (the model keeps upper-case only)."""
    found: dict[str, Entry] = {}
    for name, binding in project.modules.namespace(module).bindings.items():
        if name.islower():
            path = project.modules.paths[binding.module]
            found[name] = Entry(name, binding.node, path, binding.key_span, binding.conditional)
    return found


def _key_span(entry: Entry) -> Optional[Span]:
    return entry.key_span or entry.node.span


class Reporter:
    """Reports each (code, file, position) once, however many apps share a layer."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str, Span]] = set()

    def __call__(
        self, code: str, message: str, entry: Entry, fix: Optional[Fix] = None
    ) -> Optional[Diagnostic]:
        span = _key_span(entry)
        if span is None:
            return None
        marker = (code, entry.path, span)
        if marker in self.seen:
            return None
        self.seen.add(marker)
        return diagnostic(code, message, entry.path, span, fix)
