"""Settings hygiene: CL901, CL902, CL903.

Every configuration source of every app is examined the way Celery reads it:
the layers of its configuration source (a module, a class, the Django
settings) and its `app.conf` writes. Keys set through `Celery(...)` keywords
(`broker=`, `backend=`, `**kwargs`) are left out of the old/new checks, as
Celery leaves them out of its "Cannot mix new and old setting keys" check.

Renames are computed on parsed code: the spans of assignment targets,
attribute names, keywords and plain string keys, plus the module-level names
that refer to a renamed setting. Comments and other strings are never
touched. A configuration that mixes old and new names refuses to start, so
old names are renamed for a whole configuration source at once.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

from celerylint import catalog
from celerylint.diagnostics import Diagnostic, Edit, Fix, Span
from celerylint.facts.values import Node, Value
from celerylint.model.namespace import Modules, Symbol
from celerylint.model.project import Project
from celerylint.model.settings import App, Entry, Layer
from celerylint.rules.base import diagnostic, rule
from celerylint.rules.fixes import make_fix, replace

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

# Django settings hold the project's own keys next to Celery's. Only old names
# carrying one of Celery's marks are reported there: an unmarked old name such
# as S3_BUCKET (Celery's upper-cased spelling of s3_bucket) is far more often
# the project's own setting.
_DJANGO_OLD_MARKS = ("CELERY", "BROKER_")


@dataclass
class _Source:
    """One configuration layer of one app, with how Celery reads it."""

    app: App
    kind: str  # "module", "class", "django", "changes"
    layer: Layer
    prefix: Optional[str]  # the app's namespace
    module: Optional[str] = None  # the module of a module / Django source
    cls: Optional[tuple[str, str]] = None  # (module, class name) of a class source
    # Keys set by Celery(...) keywords: not counted in the mixing check.
    ignore_keys: frozenset[str] = frozenset()
    # Keys of the changes layer written by Celery(...) keywords.
    constructor_keys: frozenset[str] = frozenset()
    extra: dict[str, Entry] = field(default_factory=dict)  # lowercase Django names

    @property
    def namespaced(self) -> bool:
        return bool(self.prefix and self.prefix.rstrip("_"))

    @property
    def label(self) -> str:
        if self.kind == "changes":
            return f"the app.conf settings of `{self.app.id}`"
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
        if self.kind in ("module", "class"):
            return True
        return self.kind == "changes" and self.app.source.kind == "none"


# --------------------------------------------------------------------------- sources


def _constructor(app: App) -> tuple[frozenset[str], frozenset[str]]:
    """(keys Celery leaves out of the mixing check, changes keys written by keywords)."""
    kwargs: dict[str, Node] = app.record.get("kwargs", {})
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
        if not (node[0] == "c" and node[2] is None):
            ignored.add(key)
    return frozenset(ignored), frozenset(written)


def _sources(project: Project) -> Iterator[_Source]:
    for app in project.apps:
        ignored, written = _constructor(app)
        source = app.source
        if source.kind in ("module", "class", "django"):
            for layer in source.layers:
                item = _Source(app, source.kind, layer, app.namespace, ignore_keys=ignored)
                if source.kind == "class":
                    item.cls = _class_of(layer)
                elif layer.path is not None:
                    item.module = project.modules.module_of(layer.path)
                if source.kind == "django" and item.module is not None:
                    item.extra = _lowercase_names(project, item.module)
                yield item
        yield _Source(
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


# --------------------------------------------------------------------------- references


@dataclass
class _References:
    """Where names are used, from every fact of the relevant modules."""

    # module -> name -> spans of module-level name references (["name", span, X])
    names: dict[str, dict[str, list[list[int]]]] = field(default_factory=dict)
    # last component of every qualified reference -> (what it is an attribute
    # of, the module it is written in): ["ref", span, "a.b.X"] in m -> {"X": {("a.b", m)}}
    ref_leaves: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    # module -> modules it star-imports
    stars: dict[str, set[str]] = field(default_factory=dict)
    scanned: set[str] = field(default_factory=set)
    mentions: dict[str, set[str]] = field(default_factory=dict)


_REFERENCES: weakref.WeakKeyDictionary[Project, _References] = weakref.WeakKeyDictionary()


def _references(project: Project) -> _References:
    refs = _REFERENCES.get(project)
    if refs is None:
        refs = _References()
        for module in project.relevant:
            _scan(project, refs, module)
        _REFERENCES[project] = refs
    return refs


def _scan(project: Project, refs: _References, module: str) -> None:
    if module in refs.scanned:
        return
    refs.scanned.add(module)
    facts = project.modules.facts(module) or {}
    names = refs.names.setdefault(module, {})
    stars = refs.stars.setdefault(module, set())
    for event in facts.get("events", ()):
        if event and event[0] == "star":
            target = project.modules.find(event[1], module)
            if target is not None:
                stars.add(target)
    stack: list[Any] = [value for key, value in facts.items() if key != "events"]
    stack.extend(event[2] for event in facts.get("events", ()) if event[0] == "assign")
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            if _is_node(item, "name"):
                names.setdefault(item[2], []).append(item[1])
            elif _is_node(item, "ref"):
                owner, _, leaf = item[2].rpartition(".")
                refs.ref_leaves.setdefault(leaf, set()).add((owner, module))
            else:
                stack.extend(item)


def _is_node(item: list[Any], kind: str) -> bool:
    return (
        len(item) == 3
        and item[0] == kind
        and isinstance(item[2], str)
        and (item[1] is None or isinstance(item[1], list))
    )


def _star_chain(project: Project, refs: _References, module: str) -> list[str]:
    """`module` and every project module it star-imports, transitively."""
    chain: list[str] = []
    pending = [module]
    while pending:
        current = pending.pop()
        if current in chain:
            continue
        chain.append(current)
        _scan(project, refs, current)
        pending.extend(sorted(refs.stars.get(current, ())))
    return chain


def _referenced(project: Project, source: _Source, key: str) -> bool:
    """Whether code reads `key` itself (a helper variable, `settings.CELERY_TASK_QUEUE`)."""
    refs = _references(project)
    modules: list[str] = []
    classes: list[tuple[str, str]] = []
    if source.module is not None:
        modules = _star_chain(project, refs, source.module)
    elif source.cls is not None:
        chain = project.modules.class_chain(*source.cls, stop=_external) or []
        classes = [(module, name) for module, name, _cls in chain]
        modules = [module for module, _name in classes]
        for module in modules:
            _scan(project, refs, module)
    if key in refs.ref_leaves:
        return True  # imported, or read as an attribute at module level
    if any(key in refs.names.get(module, {}) for module in modules):
        return True  # a module-level helper the source uses itself
    return _read_elsewhere(project, refs, [key], modules, classes)


# --------------------------------------------------------------------------- renames


def _rename_edits(
    project: Project, source: _Source, renames: dict[str, str], *, allow_existing: bool = False
) -> Optional[list[Edit]]:
    """Edits renaming every key of `renames` in one source, or None when not provable.

    Every binding of a renamed key is renamed (also those shadowed in a
    star-imported module), with the module-level names that refer to it; a key
    bound in a way that has no renamable span, or read from code outside the
    source, blocks the whole rename.
    """
    if not renames:
        return None
    layer = source.layer
    if layer.open_ended:
        return None
    for new in renames.values():
        if not allow_existing and (new in layer.entries or new in source.extra):
            return None
    edits: dict[tuple[str, tuple[int, ...]], Edit] = {}

    def add(path: str, span: Optional[list[int]], text: str) -> bool:
        if span is None:
            return False
        edits.setdefault((path, tuple(span)), replace(path, span, text))
        return True

    if source.kind == "changes":
        if not _changes_edits(project, source, renames, add):
            return None
    elif source.kind == "class":
        if not _class_edits(project, source, renames, add):
            return None
    elif not _module_edits(project, source, renames, add):
        return None
    for old in renames:
        entry = layer.entries.get(old) or source.extra.get(old)
        if entry is None or not add(entry.path, entry.key_span, renames[old]):
            return None
    return [edits[key] for key in sorted(edits)]


def _mentions(project: Project, refs: _References, text: str) -> set[str]:
    """Project modules whose source contains `text`, parsed by the prefilter or not."""
    found = refs.mentions.get(text)
    if found is None:
        found = set(project.modules_mentioning(text))
        refs.mentions[text] = found
    return found


def _read_elsewhere(
    project: Project,
    refs: _References,
    keys: Iterable[str],
    modules: list[str],
    classes: list[tuple[str, str]],
) -> bool:
    """Whether code outside the source (`modules`, `classes`) may read one of `keys`.

    Any module outside the source that contains `.KEY` (an attribute read such
    as `settings.KEY` or `celeryconfig.KEY`, also inside a function) counts. So
    does one that imports `KEY` from the source or from anything unresolved, or
    star-imports the source and mentions `KEY`; `other.KEY` of another project
    module or class does not.
    """
    inside = set(modules) | {module for module, _name in classes}
    for key in keys:
        if _mentions(project, refs, "." + key) - inside:
            return True
        for module in sorted(_mentions(project, refs, key) - inside):
            _scan(project, refs, module)
            if refs.stars.get(module, set()) & inside:
                return True  # `from source import *` and then uses of KEY
        for owner, near in sorted(refs.ref_leaves.get(key, ())):
            symbol = project.modules.resolve(owner, near)
            if symbol.rest:
                return True
            if symbol.kind == "module" and symbol.module not in modules:
                continue
            if symbol.kind == "class" and (symbol.module, symbol.name) not in classes:
                continue
            return True
    return False


def _module_edits(project: Project, source: _Source, renames: dict[str, str], add: Any) -> bool:
    if source.module is None:
        return False
    refs = _references(project)
    chain = _star_chain(project, refs, source.module)
    if _read_elsewhere(project, refs, renames, chain, []):
        return False  # imported or read as an attribute somewhere else
    for module in chain:
        facts = project.modules.facts(module) or {}
        path = project.modules.paths[module]
        for event in facts.get("events", ()):
            if event[0] == "mutate" and event[1] in renames:
                return False
            if event[0] == "assign" and event[1] in renames:
                span = event[4] if len(event) > 4 else None
                if not add(path, span, renames[event[1]]):
                    return False
        for key, spans in refs.names.get(module, {}).items():
            if key in renames:
                for span in spans:
                    if not add(path, span, renames[key]):
                        return False
    return True


def _class_edits(project: Project, source: _Source, renames: dict[str, str], add: Any) -> bool:
    chain = project.modules.class_chain(*source.cls, stop=_external) if source.cls else None
    if chain is None:
        return False
    refs = _references(project)
    if _read_elsewhere(project, refs, renames, [], [(module, name) for module, name, _ in chain]):
        return False
    for module, _name, cls in chain:
        _scan(project, refs, module)
        if any(key in refs.names.get(module, {}) for key in renames):
            return False  # a class body cannot be told from module code here
        if any(key in cls.get("methods", {}) for key in renames):
            return False
        path = project.modules.paths[module]
        for key, span in cls.get("attr_spans", {}).items():
            if key in renames and not add(path, span, renames[key]):
                return False
    return True


def _external(base: str, symbol: Symbol) -> bool:
    """A library's base class holds none of the project's names: the chain ends there."""
    return symbol.kind == "external"


def _changes_edits(project: Project, source: _Source, renames: dict[str, str], add: Any) -> bool:
    """Every app.conf write of a renamed key, also those overwritten later."""
    app = source.app
    for module in project.relevant:
        facts = project.modules.facts(module) or {}
        path = project.modules.paths[module]
        for op in facts.get("conf_ops", ()):
            if _app_key(project, op.get("recv"), module) != app.key:
                continue
            kind = op.get("kind")
            key = op.get("key")
            if kind == "unset" and key in renames:
                return False  # app.conf.KEY.update(...) reads the old name
            if kind == "set" and key in renames and not add(path, op.get("key_span"), renames[key]):
                return False
            if kind == "update":
                spans = op.get("keys", {})
                for item in op.get("items", {}):
                    if item in renames and not add(path, spans.get(item), renames[item]):
                        return False
                for mapping in op.get("maps", ()):
                    if not _map_edits(mapping, path, renames, add):
                        return False
    return True


def _map_edits(node: Node, path: str, renames: dict[str, str], add: Any) -> bool:
    if node[0] != "map":
        return True  # followed by the model; its keys are the layer's entries
    for key_node, _value in node[2]:
        renamed = key_node[0] == "c" and key_node[2] in renames
        if renamed and not add(path, _inner_string_span(key_node), renames[key_node[2]]):
            return False
    return True


def _inner_string_span(node: Node) -> Optional[list[int]]:
    span = node[1]
    text = node[2]
    if span is None or span[0] != span[2] or span[3] - span[1] != len(text) + 2:
        return None
    return [span[0], span[1] + 1, span[2], span[3] - 1]


def _app_key(project: Project, receiver: Optional[str], near: str) -> Optional[str]:
    if not receiver:
        return None
    symbol = project.modules.resolve(receiver, near)
    if symbol.kind == "binding" and not symbol.rest:
        return f"{symbol.module}:{symbol.name}"
    return None


# --------------------------------------------------------------------------- shared helpers


def _key_span(entry: Entry) -> Optional[Span]:
    if entry.key_span is not None:
        return Span.from_list(entry.key_span)
    if entry.node[1] is not None:
        return Span.from_list(entry.node[1])
    return None


class _Reporter:
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


def _first_index(keys: tuple[str, ...], key: str) -> int:
    return keys.index(key) if key in keys else len(keys)


def _winner(source: _Source, key: str, setting: str) -> Optional[str]:
    """Another key of the layer that Celery reads before `key` for `setting`.

    Not for app.conf keys: Celery converts them all to one style, the later
    write winning, so renaming one of them changes nothing.
    """
    if source.kind == "changes":
        return None
    keys = catalog.lookup_keys(setting, source.prefix)
    mine = _first_index(keys, key)
    for other in dict.fromkeys(keys):
        if other != key and other in source.layer.entries and _first_index(keys, other) < mine:
            return other
    return None


def _old_keys(source: _Source) -> dict[str, str]:
    """Old key -> setting, for the keys of the source Celery reads as old names."""
    found: dict[str, str] = {}
    for key in source.setting_keys():
        kind, setting = catalog.classify_source_key(key, source.prefix)
        if kind == "old" and setting is not None:
            found[key] = setting
    return found


def _whole_rename(project: Project, source: _Source) -> tuple[dict[str, str], Optional[Fix]]:
    """Renames of every (not shadowed) old name of a non-namespaced source, and its fix."""
    renames: dict[str, str] = {}
    for key, setting in sorted(_old_keys(source).items()):
        if _winner(source, key, setting) is None:
            renames[key] = setting
    edits = _rename_edits(project, source, renames, allow_existing=source.kind == "changes")
    if not edits:
        return renames, None
    listing = ", ".join(f"`{old}` -> `{new}`" for old, new in renames.items())
    fix = make_fix(
        f"Rename every old setting name of {source.label} to its new name: {listing}",
        False,
        edits,
    )
    return renames, fix


def _style(source: _Source, exclude: str) -> str:
    """The style ("old" or "new") a renamed key should take: mostly old names -> old."""
    if source.kind == "django":
        return "old"  # Django exposes upper-case names only
    if source.kind == "changes" and source.app.source.kind != "none":
        return "new"  # Celery converts app.conf keys to the source's style
    old = new = 0
    for key in source.setting_keys():
        if key == exclude or key in source.ignore_keys:
            continue
        kind, _setting = catalog.classify_source_key(key, None)
        old += kind == "old"
        new += kind == "new"
    return "old" if old > new else "new"


# --------------------------------------------------------------------------- CL901


@rule("CL901")
def deprecated_setting_name(project: Project) -> Iterator[Diagnostic]:
    report = _Reporter()
    for source in _sources(project):
        if source.app.source.kind == "opaque" and source.kind != "changes":
            continue
        yield from _deprecated_in(project, source, report)


def _deprecated_in(project: Project, source: _Source, report: _Reporter) -> Iterator[Diagnostic]:
    olds = _old_keys(source)
    if not olds:
        return
    whole: Optional[tuple[dict[str, str], Optional[Fix]]] = None
    for key, setting in olds.items():
        entry = source.layer.entries[key]
        if source.kind == "django" and not key.startswith(_DJANGO_OLD_MARKS):
            continue
        winner = _winner(source, key, setting)
        if winner is not None and source.kind == "django" and not key.startswith("CELERY"):
            continue  # BROKER_URL next to CELERY_BROKER_URL: maybe the project's own key
        if winner is not None:
            found = report(
                "CL901",
                f"`{key}` is an old setting name that Celery never reads here: `{winner}` "
                f"is also set in {source.label} and wins; remove `{key}`",
                entry,
            )
        elif source.kind == "django" and not source.namespaced:
            target = catalog.lookup_keys(setting, "CELERY")[0]
            then = f"`{key}` keeps its name" if target == key else f"rename it to `{target}`"
            found = report(
                "CL901",
                f"`{key}` is read as the old name of `{setting}` because the Django settings "
                "are loaded without a namespace; old names are deprecated (Celery 6 drops "
                "them) and Django hides lower-case names: load the settings with "
                "`config_from_object('django.conf:settings', namespace='CELERY')`, "
                f"then {then}",
                entry,
            )
        elif source.namespaced and source.kind != "changes":
            target = catalog.lookup_keys(setting, source.prefix)[0]
            edits = _rename_edits(project, source, {key: target})
            fix = make_fix(f"Rename `{key}` to `{target}`", False, edits) if edits else None
            found = report(
                "CL901",
                f"`{key}` is the old name of `{setting}`, deprecated (Celery 6 drops old "
                f"names); under namespace={source.prefix!r} write `{target}`",
                entry,
                fix,
            )
        else:
            if source.namespaced:
                # app.conf of a namespaced app: no mixing check, one key at a time.
                edits = _rename_edits(project, source, {key: setting}, allow_existing=True)
                fix = make_fix(f"Rename `{key}` to `{setting}`", False, edits) if edits else None
            else:
                if whole is None:
                    whole = _whole_rename(project, source)
                fix = whole[1]
            found = report(
                "CL901",
                f"`{key}` is the old name of `{setting}`, deprecated (Celery 6 drops old "
                f"names); rename it to `{setting}` together with the other old names of "
                f"{source.label}: a mix of old and new names stops the worker",
                entry,
                fix,
            )
        if found is not None:
            yield found


# --------------------------------------------------------------------------- CL902


@rule("CL902")
def mixed_setting_names(project: Project) -> Iterator[Diagnostic]:
    report = _Reporter()
    for source in _sources(project):
        if not source.mixing_checked or source.layer.open_ended:
            continue
        if source.app.record.get("opaque"):
            continue  # Celery(**kwargs): the keys left out of the check are unknown
        errors = catalog.mixing_error(
            source.setting_keys(conditional=False), ignore_keys=source.ignore_keys
        )
        if not errors:
            continue
        _renames, fix = _whole_rename(project, source)
        into_new = all(catalog.is_old_name(key) for key, _replacement in errors)
        for key, replacement in errors:
            entry = source.layer.entries[key]
            if into_new:
                message = (
                    f"`{key}` is an old setting name in {source.label}, which otherwise "
                    'uses new names: Celery raises ImproperlyConfigured ("Cannot mix new '
                    'and old setting keys") and the worker does not start; rename '
                    f"`{key}` to `{replacement}`"
                )
            else:
                message = (
                    f"`{key}` is a new setting name in {source.label}, which otherwise "
                    'uses old names: Celery raises ImproperlyConfigured ("Cannot mix new '
                    'and old setting keys") and the worker does not start; rename the old '
                    f"names to new ones (Celery's own suggestion is `{key}` -> `{replacement}`)"
                )
            found = report("CL902", message, entry, fix)
            if found is not None:
                yield found


# --------------------------------------------------------------------------- CL903


def _looks_like_setting(key: str, entry: Entry) -> bool:
    """A lower-case name that may be meant as a setting, not a helper of the module."""
    if key.startswith("_") or "_" not in key:
        return False
    node = entry.node
    if node[0] == "ref":
        return False  # an imported name
    return not (node[0] == "u" and node[2] in ("function", "class"))


def _unknown_candidates(source: _Source) -> Iterable[tuple[str, Entry]]:
    """The keys of a source that are plausibly meant as Celery settings."""
    entries = source.layer.entries
    if source.kind == "changes":
        # Everything written on app.conf is meant for Celery.
        yield from entries.items()
        return
    if source.kind == "django":
        prefix = (source.prefix or "CELERY").rstrip("_").upper() + "_"
        for key, entry in entries.items():
            if key.startswith(prefix) or key.startswith("CELERY"):
                yield key, entry
        for key, entry in source.extra.items():
            if key.startswith("celery_") and _looks_like_setting(key, entry):
                yield key, entry
        return
    for key, entry in entries.items():
        if key.isupper():
            if key.startswith("CELERY"):
                yield key, entry
        elif key.islower() and _looks_like_setting(key, entry):
            yield key, entry


# Python types a setting of each Celery type may plausibly hold. Celery's types
# are loose (task_queues is "dict" but holds a list of queues, broker_url is
# "string" but may be a list of fail-over URLs), so only a value of a clearly
# different kind rules a candidate out: `CELERY_QUEUE = "reports"` is the
# project's own queue name, not a misspelt `task_queues`.
_FITTING: dict[str, tuple[type, ...]] = {
    "bool": (bool, int, str),
    "int": (int, float, str),
    "float": (int, float, str),
    "dict": (dict, list, tuple),
    "list": (list, tuple, str, frozenset, set),
    "tuple": (list, tuple, str, frozenset, set),
    "string": (str, list, tuple),
    "str": (str, list, tuple),
}


def _fits(value: Value, setting: Optional[str]) -> bool:
    """Whether a key's value could be meant for `setting` (unknown values always could)."""
    if setting is None:
        return False
    if not value.known or value.value is None:
        return True
    try:
        kind = catalog.setting_type(setting)
    except KeyError:
        return False
    allowed = _FITTING.get(kind)
    return allowed is None or isinstance(value.value, allowed)


def _configured(source: _Source, setting: str) -> Optional[str]:
    """A key of the layer that Celery reads for `setting`, if any."""
    for key in catalog.lookup_keys(setting, source.prefix):
        if key in source.layer.entries:
            return key
    return None


@rule("CL903")
def unknown_setting(project: Project) -> Iterator[Diagnostic]:
    report = _Reporter()
    for source in _sources(project):
        if source.app.source.kind == "opaque" and source.kind != "changes":
            continue
        for key, entry in sorted(_unknown_candidates(source)):
            found = _unknown(project, source, key, entry, report)
            if found is not None:
                yield found


def _unknown(
    project: Project, source: _Source, key: str, entry: Entry, report: _Reporter
) -> Optional[Diagnostic]:
    if catalog.classify_source_key(key, source.prefix)[0] != "ignored":
        return None
    # app.conf keys are spelled with new (or old) names whatever the namespace.
    prefix = None if source.kind == "changes" else source.prefix
    namespaced = bool(prefix and prefix.rstrip("_"))
    style = None if namespaced else _style(source, key)
    value = project.evaluator.evaluate(entry.node, entry.path)
    candidates = [
        candidate
        for candidate in catalog.closest_settings(key, prefix, style=style)
        if _fits(value, catalog.classify_source_key(candidate, prefix)[1])
    ]
    if not candidates:
        return None
    # Last, as it may read every file of the project.
    if source.kind != "changes" and _referenced(project, source, key):
        return None  # a helper the module uses itself, or a key other code reads
    fix = None
    present: Optional[str] = None
    if len(candidates) == 1:
        target = candidates[0]
        if key in source.extra and target in source.layer.entries:
            return None  # a lower-case helper next to the real Django setting
        setting = catalog.classify_source_key(target, source.prefix)[1]
        present = _configured(source, setting) if setting else target
        if present is None:
            edits = _rename_edits(project, source, {key: target})
            if edits:
                fix = make_fix(f"Rename `{key}` to `{target}`", False, edits)
    if source.kind == "changes":
        where = source.label
    elif namespaced:
        where = f"{source.label} (loaded with namespace={source.prefix!r})"
    else:
        where = f"{source.label} (loaded without a namespace)"
    suggestion = " or ".join(f"`{candidate}`" for candidate in candidates[:3])
    message = f"`{key}` is not a setting Celery reads from {where}: it is silently ignored"
    if present is not None:
        message += f"; Celery reads `{present}` (also set) instead"
    else:
        message += f"; did you mean {suggestion}?"
    if source.kind == "django" and not source.namespaced and key.upper().startswith("CELERY_"):
        message += " (or load the settings with namespace='CELERY')"
    return report("CL903", message, entry, fix)
