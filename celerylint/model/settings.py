"""Celery apps and their settings, resolved the way Celery resolves them.

Celery's `app.conf` is a chain of layers, looked up in this order whatever the
order of the statements that filled them (celery.app.base, `_load_config` /
`detect_settings`; celery.utils.collections, `ChainMap.add_defaults`):

1. changes: `Celery(broker=..., backend=..., **kwargs)`, `app.conf.x = v`,
   `app.conf['x'] = v`, `app.conf.update(...)`;
2. the mappings given to `app.add_defaults(...)`, the last call's first: each is
   inserted right after the changes when the settings load;
3. the configuration source of the last `config_from_object(...)`;
4. Celery's defaults.

In each layer the keys Celery tries for a setting are, in order, the
namespaced key, the new name and the old name (`catalog.lookup_keys`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from types import NoneType
from typing import Optional

import msgspec

from celerylint import catalog
from celerylint.facts.app_classes import ANY_KEY, TASK_CLASS
from celerylint.facts.nodes import called
from celerylint.facts.schema import (
    AppCall,
    ClassFacts,
    ConfAddDefaults,
    ConfigFromItem,
    ConfigFromObject,
    ConfOp,
    ConfOpaque,
    ConfSet,
    ConfSetDefault,
    ConfUnset,
    ConfUpdate,
    Const,
    FactoryCall,
    Globals,
    Item,
    Map,
    Merge,
    Name,
    NamespaceSet,
    Node,
    Ref,
    Span,
    TaskClassSet,
    Unknown,
)
from celerylint.facts.values import Evaluator, Value, certainly_set, known, unknown
from celerylint.model.factories import made_apps
from celerylint.model.import_time import run_at_import
from celerylint.model.namespace import Modules, Mro

DJANGO_SETTINGS = "django.conf.settings"
_FLASK_CALLS = frozenset({"call to flask.Flask", "call to flask.app.Flask"})


# Celery's app class, under each name it is importable by.
CELERY_CLASSES = frozenset({"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"})


class Entry(msgspec.Struct, frozen=True):
    """One key written in one configuration layer."""

    key: str
    node: Node
    path: str
    key_span: Optional[Span]
    conditional: bool = False


class Setting(msgspec.Struct):
    """A resolved setting: its value, and where it was set (None for defaults)."""

    name: str
    value: Value
    entry: Optional[Entry] = None
    layer: str = "default"  # "changes", "added" (add_defaults), "source", "default"

    @property
    def known(self) -> bool:
        return self.value.known

    @property
    def is_default(self) -> bool:
        return self.layer == "default"

    @property
    def location(self) -> Optional[tuple[str, Span]]:
        """The file and span of the value that set the setting (None for defaults)."""
        if self.is_default:
            return None
        located = self.value.location
        if located:
            return located
        entry = self.entry
        if entry is not None and entry.node.span is not None:
            return entry.path, entry.node.span
        return None


class Layer(msgspec.Struct):
    """Keys of one configuration layer; `open_ended` when other keys may exist."""

    entries: dict[str, Entry] = msgspec.field(default_factory=dict)
    open_ended: bool = False
    unknown_keys: set[str] = msgspec.field(default_factory=set)
    description: str = ""
    path: Optional[str] = None  # the file to edit to add a setting to this layer
    span: Optional[Span] = None

    def find(self, keys: tuple[str, ...]) -> Optional[Entry]:
        """The entry of the first of `keys` (Celery's lookup order) written here."""
        for key in keys:
            entry = self.entries.get(key)
            if entry is not None:
                return entry
        return None


class ConfigSource(msgspec.Struct):
    """What `config_from_object` loads; several candidates for Django settings."""

    kind: str  # "none", "module", "class", "dict", "flask", "django", "opaque"
    layers: list[Layer]
    description: str = ""
    # A dict display written in the config_from_object call itself, each key once:
    # no other code can read its keys, so renaming one edits that key alone.
    inline: bool = False


class App:
    """One `name = Celery(...)` and everything that configures it."""

    def __init__(self, module: str, path: str, record: AppCall) -> None:
        self.module = module
        self.var = record.var
        self.path = path
        self.record = record
        self.key = f"{module}:{self.var}"  # unique in the project
        self.id = f"{Modules.display(module)}:{self.var}"  # as users write it (`proj.celery:app`)
        self.span = record.span
        self.namespace: Optional[str] = None
        self.changes = Layer(description=f"app.conf of {self.id}", path=path)
        self.source = ConfigSource("none", [])
        # The dicts `app.add_defaults(...)` gives, in call order (the last is read first).
        self.added: list[Layer] = []
        # The app.conf operations on this app, (file, operation): what configures it
        # again in a deployment's environment.
        self.conf_ops: list[tuple[str, ConfOp]] = []
        self._settings: dict[str, Setting] = {}
        self.evaluator: Optional[Evaluator] = None
        # The keys methods of the app's class write (`ANY_KEY`: any): when one runs
        # (indico's `init_app`), and with what, is not known, whatever else sets them.
        self.written_by_class: set[str] = set()
        # `app.Task = Cls` after the app is made, (file, operation), in order; whether
        # the app's own class chooses its task class in a way not followed (a `Task`
        # attribute, a method passing `task_cls`); else its `task_cls` attribute and the
        # module it is written in (`TaskOptions`).
        self.task_class_sets: list[tuple[str, TaskClassSet]] = []
        self.class_sets_task_class = False
        self.class_task_cls: Optional[tuple[Node, str]] = None

    def load_source(self, source: ConfigSource) -> None:
        """Take `source` as the configuration Celery's loader reads (settings resolved
        before are forgotten)."""
        self.source = source
        self._settings.clear()

    def setting(self, name: str) -> Setting:
        cached = self._settings.get(name)
        if cached is None:
            cached = self._resolve(name)
            self._settings[name] = cached
        return cached

    def _resolve(self, name: str) -> Setting:
        assert self.evaluator is not None
        keys = catalog.lookup_keys(name, self.namespace)
        written = self.written_by_class
        if written and (ANY_KEY in written or written.intersection(keys)):
            return Setting(name, unknown("a method of the app's class sets it"))
        found = self.changes.find(keys)
        if found is not None:
            return self._from_entry(name, found, "changes")
        if self.changes.open_ended or self.changes.unknown_keys.intersection(keys):
            return Setting(name, unknown("app.conf is changed dynamically"))
        for layer in reversed(self.added):
            entry = layer.find(keys)
            if entry is not None:
                return self._from_entry(name, entry, "added")
            if layer.open_ended or layer.unknown_keys.intersection(keys):
                return Setting(name, unknown(f"{layer.description} is not fully static"))
        if self.source.kind == "opaque":
            return Setting(name, unknown(self.source.description))
        candidates: list[Setting] = []
        for layer in self.source.layers:
            entry = layer.find(keys)
            if entry is not None:
                candidates.append(self._from_entry(name, entry, "source"))
            elif layer.open_ended or layer.unknown_keys.intersection(keys):
                return Setting(name, unknown(f"{layer.description} is not fully static"))
            else:
                candidates.append(self._default(name))
        if not candidates:
            return self._default(name)
        first = candidates[0]
        if first.entry is not None and all(other.entry == first.entry for other in candidates):
            # One line that every candidate star-imports (cookiecutter-django's base.py):
            # the same value, known or not, with its own reason.
            return first
        for other in candidates[1:]:
            if not (first.known and other.known and first.value.value == other.value.value):
                return Setting(name, unknown("differs between Django settings modules"))
        return first

    def _from_entry(self, name: str, entry: Entry, layer: str) -> Setting:
        assert self.evaluator is not None
        if entry.conditional:
            value = unknown("set conditionally", entry.node, entry.path)
        else:
            value = self.evaluator.evaluate(entry.node, entry.path)
        return Setting(name, value, entry, layer)

    def _default(self, name: str) -> Setting:
        try:
            return Setting(name, known(catalog.default(name)))
        except KeyError:
            return Setting(name, unknown(f"{name} is not a Celery setting"))

    def setting_key(self, name: str) -> str:
        """How the setting `name` is spelled in the app's configuration source: with its
        namespace; in Django settings without one, its old upper-case name (Django shows
        Celery upper-case names only: a `task_time_limit` there is never read)."""
        if self.namespace:
            prefix = self.namespace.rstrip("_")
            prefix = prefix.upper() if prefix.isupper() else prefix
            spelled = f"{prefix}_{name}"
            return spelled.upper() if prefix.isupper() else spelled
        if self.source.kind == "django":
            return catalog.old_name(name) or name
        return name

    @property
    def backend_configured(self) -> bool:
        """A result backend is certainly configured.

        A literal, or an environment variable the app cannot start without
        (`os.environ["X"]`, `env("X")`), or one whose default (a literal, or
        another such lookup) is a backend, or a URL built with text of its own
        (`f"redis://{host}/1"`: `values.certainly_set`).
        Which backend it is stays unknown; only its presence is relied on.
        """
        backend = self.setting("result_backend")
        return not backend.is_default and certainly_set(backend.value)

    @property
    def configured_layers(self) -> list[Layer]:
        """The layers a user writes settings into, most specific last."""
        return [*self.source.layers, *self.added, self.changes]

    def read_before(self, layer: Layer) -> list[Layer]:
        """The layers Celery reads a key in before `layer`, first read first (the
        source's layers are alternatives: none is read before another)."""
        chain = [self.changes, *reversed(self.added)]
        for index, read in enumerate(chain):
            if read is layer:
                return chain[:index]
        return chain


def inner_string_span(node: Node) -> Optional[Span]:
    """The span inside the quotes of a plain, one-line string literal key."""
    span = node.span
    if not isinstance(node, Const) or not isinstance(node.value, str) or span is None:
        return None
    if span.line != span.end_line or span.end_col - span.col != len(node.value) + 2:
        return None  # a prefix, escapes or implicit concatenation: not a plain literal
    return Span(span.line, span.col + 1, span.end_line, span.end_col - 1)


def _inline_dict(node: Node, source: ConfigSource) -> bool:
    """Whether a source is the dict display `node` itself, every key a distinct string."""
    if source.kind != "dict" or not isinstance(node, Map):
        return False
    return len(source.layers[0].entries) == len(node.pairs)


def _overwritten(layer: Layer) -> None:
    """A step that may set any key (`from_envvar`, `from_pyfile`): what came before is unknown."""
    layer.unknown_keys.update(layer.entries)
    layer.entries.clear()
    layer.open_ended = True


class _Arguments(msgspec.Struct):
    """A Flask factory's parameters: what the call gave each (None: not known)."""

    function: str = ""  # the factory's qualified name; "" outside a factory
    values: dict[str, Optional[tuple[Node, str]]] = msgspec.field(default_factory=dict)

    def argument(self, node: Node, path: str) -> Optional[tuple[Node, str]]:
        """The node itself, or the argument when it reads a parameter (None: not known)."""
        if self.function and isinstance(node, Ref):
            owner, _, param = node.qualname.rpartition(".")
            if owner == self.function and param in self.values:
                return self.values[param]
        return node, path


class AppBuilder:
    """Finds apps and fills their configuration layers from the facts."""

    def __init__(
        self,
        modules: Modules,
        evaluator: Evaluator,
        django_settings: list[tuple[str, Optional[str]]],
    ) -> None:
        self.modules = modules
        self.evaluator = evaluator
        self.django_settings = django_settings
        # (module, upper-case names only) -> the module's names as entries: the same
        # in every environment, and a Django settings module may hold thousands.
        self._module_entries: dict[tuple[str, bool], dict[str, Entry]] = {}

    def in_environment(
        self, evaluator: Evaluator, django_settings: list[tuple[str, Optional[str]]]
    ) -> AppBuilder:
        """A builder resolving values with `evaluator` (a deployment's environment)."""
        builder = AppBuilder(self.modules, evaluator, django_settings)
        builder._module_entries = self._module_entries
        return builder

    def configured(self, app: App) -> App:
        """`app` configured again by this builder: its call and its app.conf operations
        resolved with this builder's evaluator and Django settings."""
        again = App(app.module, app.path, app.record)
        again.evaluator = self.evaluator
        again.conf_ops = app.conf_ops
        self._configure(again, again.conf_ops)
        return again

    def build(
        self,
        app_modules: list[str],
        conf_modules: list[str],
        in_tests: Callable[[str], bool] = lambda path: False,
        imported: Callable[[list[App]], dict[str, set[str]]] = lambda apps: {},
    ) -> list[App]:
        """The apps `app_modules` make, configured by `conf_modules`, and by the Flask
        factories called at import by the modules every process of the app certainly
        imports (`imported`: app key -> those modules). What a test file (`in_tests`)
        does to an app made elsewhere configures only test runs (OSF's
        `TestCase.setUp` calls `celery_app.conf.update(task_always_eager=True)`)."""
        apps: list[App] = []
        # What the factory that made an app does to it, before anything else can.
        factory_ops: dict[str, list[tuple[str, ConfOp]]] = {}
        for module in app_modules:
            facts = self.modules.facts(module)
            if not facts:
                continue
            made = [_remade_in_branch(r, facts.apps) for r in facts.apps if not r.conditional]
            path = self.modules.paths[module]
            made += _made_in_every_branch(
                facts.apps, {r.var for r in made}, functools.partial(self._literal, path=path)
            )
            made_here: list[tuple[AppCall, str, list[tuple[str, ConfOp]]]] = [
                (record, path, []) for record in made
            ]
            if facts.factory_calls or facts.extension_reads:
                made_here += [
                    (app.record, app.path, app.conf_ops)
                    for app in made_apps(self.modules, module, facts)
                ]
            for record, record_path, ops_made in made_here:
                if not self._is_celery_class(record.callee, module):
                    continue
                app = App(module, record_path, record)
                app.evaluator = self.evaluator
                apps.append(app)
                factory_ops[app.key] = ops_made
        by_key = {app.key: app for app in apps}
        # Each app's ops, with where they run: (file, span) of the op, or of the call
        # of the Flask factory that runs it, with its place among the factory's.
        ops: dict[str, list[tuple[tuple[str, Span, int], str, ConfOp]]] = {
            app.key: [] for app in apps
        }
        for module in conf_modules:
            facts = self.modules.facts(module)
            path = self.modules.paths[module]
            for op in facts.conf_ops if facts else ():
                target = self._app_for(op.receiver, by_key, module)
                if target is not None and (not in_tests(path) or in_tests(target.path)):
                    ops[target.key].append(((path, op.span, 0), path, op))
        self._add_run_at_import(ops, by_key, imported(apps))
        for app in apps:
            written = [(path, op) for _, path, op in sorted(ops[app.key], key=lambda i: i[0])]
            app.conf_ops = [*factory_ops[app.key], *written]
            self._configure(app, app.conf_ops)
        return apps

    def _add_run_at_import(
        self,
        ops: dict[str, list[tuple[tuple[str, Span, int], str, ConfOp]]],
        by_key: dict[str, App],
        imported: dict[str, set[str]],
    ) -> None:
        """Into each app's `ops`, what the Flask factories called at import by a module
        every process of the app imports do to it, at their call. The same op read
        where it is written, as an op of a function that may never run, goes."""
        for module in sorted(set().union(*imported.values())):
            for index, run in enumerate(run_at_import(self.modules, module), start=1):
                near = self.modules.module_of(run.path)
                target = self._app_for(run.op.receiver, by_key, near or module)
                if target is None or module not in imported[target.key]:
                    continue
                twin = (run.path, run.op.span, True)
                ops[target.key] = [
                    item
                    for item in ops[target.key]
                    if (item[1], item[2].span, item[2].conditional) != twin
                ]
                ops[target.key].append(((run.caller, run.call, index), run.path, run.op))

    def _is_celery_class(self, callee: str, near: Optional[str]) -> bool:
        return any(found is None for found in self._ancestry(callee, near))

    def _from_class(self, app: App) -> None:
        """What a project `Celery` subclass (and its project bases) does to the app: the
        configuration keys its methods write (`facts.app_classes`), and its task class
        (`App.class_task_cls`)."""
        ancestry = [found for found in self._ancestry(app.record.callee, app.module) if found]
        app.written_by_class = {
            key for _, cls in ancestry for key in cls.conf_writes if key != TASK_CLASS
        }
        chosen: Optional[tuple[Node, str]] = None
        for module, cls in ancestry:
            if "Task" in cls.attrs or TASK_CLASS in cls.conf_writes:
                app.class_sets_task_class = True  # `Task = X`, or chosen by a method
                return
            if chosen is None and TASK_CLASS in cls.attrs:
                chosen = (cls.attrs[TASK_CLASS], module)  # nautobot's string attribute
        app.class_task_cls = chosen

    def _ancestry(
        self, callee: str, near: Optional[str], depth: int = 0
    ) -> Iterator[Optional[tuple[str, ClassFacts]]]:
        """The project classes an app class is built from, itself first, along every
        base, each with its module; None where a base is Celery's own app class."""
        if callee in CELERY_CLASSES:
            yield None
            return
        if depth > 5:
            return
        symbol = self.modules.resolve(callee, near)
        if symbol.kind == "external" and symbol.qualname in CELERY_CLASSES:
            yield None  # `Celery = celery.Celery` (kpi), then `Celery(...)`
            return
        if symbol.kind != "class" or symbol.module is None or symbol.name is None:
            return
        cls = self.modules.class_facts(symbol.module, symbol.name)
        if cls is None:
            return
        yield symbol.module, cls
        for base in cls.bases:
            if base:
                yield from self._ancestry(base, symbol.module, depth + 1)

    def _app_for(self, receiver: str, by_key: dict[str, App], near: str) -> Optional[App]:
        symbol = self.modules.resolve(receiver, near)
        if symbol.kind == "binding" and not symbol.rest:
            return by_key.get(f"{symbol.module}:{symbol.name}")
        return None

    def app_for(self, receiver: str, apps: list[App], near: str) -> Optional[App]:
        return self._app_for(receiver, {app.key: app for app in apps}, near)

    def _configure(self, app: App, ops: list[tuple[str, ConfOp]]) -> None:
        record = app.record
        changes = app.changes
        changes.span = record.span
        kwargs = record.kwargs
        renamed = {"broker": "broker_url", "backend": "result_backend"}
        structural = {"main", "loader", "amqp", "events", "log", "control", "set_as_current"}
        structural |= {"tasks", "fixups", "task_cls", "autofinalize", "strict_typing"}
        structural |= {"config_source", "config_source_silent", "namespace", "changes"}
        if "changes" in kwargs:
            self._add_mapping(changes, kwargs["changes"], app.path)
        for mapping in record.mappings:
            # Celery(**SETTINGS): keyword arguments, which Celery skips when None.
            self._add_mapping(changes, mapping, app.path, skip_none=True)
        for key, node in kwargs.items():
            if key in structural:
                continue
            key_span = record.keyword_spans.get(key)
            changes.entries[renamed.get(key, key)] = Entry(key, node, app.path, key_span)
        if "namespace" in kwargs:
            app.namespace = self._string(kwargs["namespace"], app.path)
        source_node: Optional[tuple[Node, str]] = None
        if "config_source" in kwargs:
            source_node = (kwargs["config_source"], app.path)
        source_calls = 0
        picked: Optional[tuple[ConfigFromItem, str]] = None
        for path, op in ops:
            if isinstance(op, ConfSet):
                entry = Entry(op.key, op.node, path, op.key_span, op.conditional)
                changes.entries[op.key] = entry
            elif isinstance(op, ConfUnset):
                changes.unknown_keys.add(op.key)
            elif isinstance(op, ConfSetDefault):
                self._setdefault(changes, op, path)
            elif isinstance(op, ConfUpdate):
                for key, node in op.items.items():
                    key_span = op.keyword_spans.get(key)
                    changes.entries[key] = Entry(key, node, path, key_span, op.conditional)
                for mapping in op.mappings:
                    self._add_mapping(changes, mapping, path, op.conditional)
            elif isinstance(op, ConfAddDefaults):
                self._add_defaults(app, op, path)
            elif isinstance(op, ConfOpaque):
                changes.open_ended = True
            elif isinstance(op, TaskClassSet):
                app.task_class_sets.append((path, op))
            elif isinstance(op, NamespaceSet):
                # Read when the settings are loaded: the last one written wins.
                given = self.evaluator.evaluate(op.node, path)
                if (
                    op.conditional
                    or not given.known
                    or not isinstance(given.value, (str, NoneType))
                ):
                    app.source = ConfigSource("opaque", [], "the namespace is not known")
                else:
                    app.namespace = given.value
            elif isinstance(op, (ConfigFromObject, ConfigFromItem)):
                source_calls += 1
                if op.conditional or source_calls > 1:
                    why = (
                        "config_from_object is called more than once"
                        if source_calls > 1
                        else "config_from_object runs only in a branch or a function"
                    )
                    app.source = ConfigSource("opaque", [], why)
                    source_node = picked = None
                    continue
                if isinstance(op, ConfigFromItem):
                    source_node, picked = None, (op, path)
                    continue
                source_node, picked = (op.obj, path), None
                if op.namespace is not None:
                    app.namespace = self._string(op.namespace, path)
        if app.source.kind != "opaque" and source_node is not None:
            app.source = self.source_for(source_node[0], source_node[1], app.namespace)
            app.source.inline = _inline_dict(source_node[0], app.source)
        elif app.source.kind != "opaque" and picked is not None:
            app.source = self._flask_item_source(*picked)
        self._from_class(app)

    def _flask_item_source(self, op: ConfigFromItem, path: str) -> ConfigSource:
        """`config_from_object(flask_app.config["CELERY"])` (Celery's Flask guide):
        the dict the Flask config holds under that key."""
        flask = self._flask_config(op.table, path)
        key = self._string(op.key, path)
        entry = flask.entries.get(key) if flask is not None and key is not None else None
        if flask is None or key is None or entry is None or entry.conditional:
            return ConfigSource("opaque", [], "the Flask config's entry is not known")
        return self.source_for(entry.node, entry.path, None)

    def _add_defaults(self, app: App, op: ConfAddDefaults, path: str) -> None:
        """`app.add_defaults(...)`: a dict display, or a name bound to one, is a layer of
        its own. Anything else (a callable Celery calls when the settings load, a
        mapping computed at run time) may hold any key: as an opaque change."""
        followed = self._follow(op.mapping, path)
        if followed is None or not isinstance(followed[0], (Map, Merge)):
            app.changes.open_ended = True
            return
        layer = Layer(description="the dict passed to add_defaults", path=followed[1])
        self._add_mapping(layer, op.mapping, path, op.conditional)
        app.added.append(layer)

    @staticmethod
    def _setdefault(changes: Layer, op: ConfSetDefault, path: str) -> None:
        """`app.conf.setdefault(key, v)`, with Celery 5.7's behaviour.

        Before the configuration is finalised it writes into the pending
        changes, over the configuration source, unless a change already holds
        the key; after, it is a no-op (every setting has a default). A module-level
        call runs before (reading `app.conf` at import time is rare); one in a
        function may run after, so the key is unknown.
        """
        if op.conditional or op.key in changes.unknown_keys:
            changes.unknown_keys.add(op.key)
        elif op.key not in changes.entries:
            changes.entries[op.key] = Entry(op.key, op.node, path, op.key_span)

    def _literal(self, node: Node, path: str) -> Optional[tuple[str, str]]:
        """A node's known value as (type, repr): two nodes alike give the same; None if
        unknown."""
        value = self.evaluator.evaluate(node, path)
        return (type(value.value).__name__, repr(value.value)) if value.known else None

    def _string(self, node: Node, path: str) -> Optional[str]:
        value = self.evaluator.evaluate(node, path)
        return value.value if value.known and isinstance(value.value, str) else None

    def _add_mapping(
        self,
        layer: Layer,
        node: Node,
        path: str,
        conditional: bool = False,
        skip_none: bool = False,
        depth: int = 0,
    ) -> None:
        """Add the entries of a dict display (followed through names), keeping each key's span."""
        flask = self._flask_config(node, path)
        if flask is not None:
            # conf.update(flask_app.config): Celery reads only its own names among Flask's keys.
            layer.open_ended = layer.open_ended or flask.open_ended
            layer.unknown_keys.update(flask.unknown_keys)
            for name, entry in flask.entries.items():
                if catalog.new_name(name) is not None:
                    # No key span: a rename fix would have to keep Flask's upper-case
                    # convention (from_object loads nothing else), so none is offered.
                    layer.entries[name] = msgspec.structs.replace(
                        entry, key_span=None, conditional=entry.conditional or conditional
                    )
            return
        target = self._follow(node, path)
        map_node, map_path = target or (None, path)
        if isinstance(map_node, Merge) and depth < 10:
            # {**Base.CELERY, "k": v}: each part in order, later keys winning.
            for part in map_node.parts:
                self._add_mapping(layer, part, map_path, conditional, skip_none, depth + 1)
            return
        if isinstance(map_node, Globals):
            self._add_globals(layer, map_node, map_path, conditional)
            return
        if not isinstance(map_node, Map):
            # `conf.update(json.loads(os.environ[...]))`: any key, those set before too.
            _overwritten(layer)
            return
        for key_node, value_node in map_node.pairs:
            key = self.evaluator.evaluate(key_node, map_path)
            if not key.known or not isinstance(key.value, str):
                _overwritten(layer)
                continue
            if skip_none:
                value = self.evaluator.evaluate(value_node, map_path)
                if value.known and value.value is None:
                    continue
            layer.entries[key.value] = Entry(
                key.value,
                value_node,
                map_path,
                inner_string_span(key_node),
                conditional,
            )

    def _add_globals(self, layer: Layer, node: Globals, path: str, conditional: bool) -> None:
        """`{k: v for k, v in settings.__dict__.items() if k.startswith("CELERY")}`
        (jumpserver): the names the module binds that start with the prefix, as
        `config_from_object` of that module would read them. Any key where the object is
        no module of the project: `django.conf.settings.__dict__` holds a lazy object's
        attributes, not the settings, and a class's `__dict__` not what it inherits."""
        source = self.source_for(node.module, path, None)
        if source.kind != "module" or len(source.layers) != 1:
            _overwritten(layer)
            return
        (module,) = source.layers
        if module.open_ended:
            _overwritten(layer)  # a name it may bind, unseen, replaces what came before
        for key in module.unknown_keys:
            if key.startswith(node.prefix):
                layer.entries.pop(key, None)
                layer.unknown_keys.add(key)
        for key, entry in module.entries.items():
            if key.startswith(node.prefix):
                layer.entries[key] = msgspec.structs.replace(
                    entry, conditional=entry.conditional or conditional
                )

    def mapping_entries(self, node: Node, path: str) -> Optional[list[tuple[str, Node, str]]]:
        """The entries (key, value, file) of the dict display a node is bound to (through
        names, `dict(k=v)` included); None when it is no such display or a key is not a
        known string."""
        target = self._follow(node, path)
        mapping = target[0] if target is not None else None
        if target is None or not isinstance(mapping, Map):
            return None
        where = target[1]
        entries: list[tuple[str, Node, str]] = []
        for key_node, value_node in mapping.pairs:
            key = self.evaluator.evaluate(key_node, where)
            if not key.known or not isinstance(key.value, str):
                return None
            entries.append((key.value, value_node, where))
        return entries

    def _follow(self, node: Node, path: str) -> Optional[tuple[Node, str]]:
        """Follow names, and a Flask config's items, to the node they are bound to (for
        dict literals): `conf.update(flask_app.config.get("CELERY_CONFIG", {}))`."""
        for _ in range(10):
            if isinstance(node, Name):
                module = self.modules.module_of(path)
                qualname = f"{module}.{node.id}" if module else node.id
            elif isinstance(node, Ref):
                module = self.modules.module_of(path)
                qualname = node.qualname
            elif isinstance(node, Item):
                bound = self.flask_item(node.container, node.key, path)
                if bound is None:
                    return node, path  # no Flask config's item
                value_node, where = bound
                if value_node is None:  # certainly not set: `.get`'s default, or a KeyError
                    if node.default is None:
                        return None
                    value_node, where = node.default, path
                node, path = value_node, where
                continue
            else:
                return node, path
            target = self.modules.binding_of(qualname, module)
            if target is None:
                return None
            node, path = target
        return None

    # -- configuration sources ----------------------------------------------

    def named_source(self, app: App, named: tuple[bool, Optional[str]], by: str) -> ConfigSource:
        """What an app that loads no configuration itself reads from the module a
        process names (`celery --config X`, CELERY_CONFIG_MODULE=X): Celery's loader
        imports it then, and only then (`named`: (known, module); `by`: who names it)."""
        known, module = named
        if not known or not module:
            return ConfigSource("opaque", [], f"{by} names a configuration module not known")
        source = self.source_for(Const(None, module), app.path, app.namespace)
        return msgspec.structs.replace(source, description=f"{source.description}, named by {by}")

    def source_for(self, node: Node, path: str, namespace: Optional[str]) -> ConfigSource:
        flask = self._flask_config(node, path)
        if flask is not None:
            return ConfigSource("flask", [flask], flask.description)
        if not isinstance(node, Const):
            followed = self._follow(node, path)
            if followed is not None and isinstance(followed[0], (Map, Merge)):
                return self._mapping_source(*followed)
            if followed is not None and isinstance(followed[0], Const):
                node, path = followed  # CONFIG = "proj.celeryconfig"
        if isinstance(node, Const) and isinstance(node.value, str):
            text = node.value
            if text in ("django.conf:settings", "django.conf.settings"):
                return self._django(self.modules.module_of(path))
            module_part, _, attr = text.partition(":")
            qualname = f"{module_part}.{attr}" if attr else module_part
            near = self.modules.module_of(path)
            module = self.modules.find(qualname, near)
            if module is not None:
                return self._module_source(module)
            if attr or "." in qualname:
                owner = self.modules.find(qualname.rsplit(".", 1)[0], near)
                if owner is not None:
                    name = qualname.rsplit(".", 1)[1]
                    return self._symbol_source(f"{owner}.{name}", owner)
            return ConfigSource(
                "opaque", [], f"configuration module {text!r} is not in the project"
            )
        if isinstance(node, Ref):
            if node.qualname == DJANGO_SETTINGS:
                return self._django(self.modules.module_of(path))
            owner, _, name = node.qualname.rpartition(".")
            if owner == DJANGO_SETTINGS:
                return self._django_setting_source(name, self.modules.module_of(path))
            return self._symbol_source(node.qualname, self.modules.module_of(path))
        if isinstance(node, Name):
            module = self.modules.module_of(path)
            return self._symbol_source(f"{module}.{node.id}" if module else node.id, module)
        return ConfigSource("opaque", [], "the configuration object is computed at runtime")

    def _django_setting_source(self, name: str, loader: Optional[str]) -> ConfigSource:
        """`config_from_object(settings.CELERY)`, `settings` Django's (learningequality
        studio): the dict display each candidate settings module binds to that name,
        unconditionally (the candidates stay alternatives, as for the settings)."""
        django = self._django(loader)
        if django.kind != "django":
            return ConfigSource("opaque", [], f"settings.{name}: {django.description}")
        layers: list[Layer] = []
        for candidate in django.layers:
            entry = candidate.entries.get(name)
            followed = self._follow(entry.node, entry.path) if entry is not None else None
            if entry is None or entry.conditional or followed is None:
                return ConfigSource("opaque", [], f"settings.{name} is not known")
            if not isinstance(followed[0], (Map, Merge)):
                return ConfigSource("opaque", [], f"settings.{name} is no dict display")
            layers.extend(self._mapping_source(*followed).layers)
        return ConfigSource("dict", layers, f"settings.{name} of {django.description}")

    def _symbol_source(self, qualname: str, near: Optional[str]) -> ConfigSource:
        symbol = self.modules.resolve(qualname, near)
        if symbol.kind == "module" and symbol.module:
            return self._module_source(symbol.module)
        if symbol.kind == "class" and symbol.module and symbol.name and not symbol.rest:
            return self._class_source(symbol.module, symbol.name)
        if symbol.kind == "external" and symbol.qualname == DJANGO_SETTINGS:
            return self._django(near)
        return ConfigSource("opaque", [], f"cannot resolve the configuration object {qualname}")

    def _module_source(self, module: str, uppercase_only: bool = False) -> ConfigSource:
        namespace = self.modules.namespace(module)
        layer = Layer(
            dict(self._entries_of(module, uppercase_only)),
            open_ended=namespace.open_ended,
            description=f"module {module}",
            path=self.modules.paths[module],
        )
        return ConfigSource("module", [layer], f"module {module}")

    def _entries_of(self, module: str, uppercase_only: bool) -> dict[str, Entry]:
        """A module's names as configuration entries (shared: callers copy them)."""
        entries = self._module_entries.get((module, uppercase_only))
        if entries is None:
            entries = {}
            for name, binding in self.modules.namespace(module).bindings.items():
                if uppercase_only and not name.isupper():
                    continue
                entries[name] = Entry(
                    name,
                    binding.node,
                    self.modules.paths[binding.module],
                    binding.key_span,
                    binding.conditional,
                )
            self._module_entries[(module, uppercase_only)] = entries
        return entries

    def flask_item(
        self, container: Node, key: str, path: str
    ) -> Optional[tuple[Optional[Node], str]]:
        """`flask_app.config["KEY"]` as the module fills that config (`Evaluator`'s item
        resolver): the node bound to KEY, None when KEY is certainly not set, or an
        unknown node when it cannot be told; None when `container` is no Flask config."""
        layer = self._flask_config(container, path)
        if layer is None:
            return None
        entry = layer.entries.get(key)
        if entry is None:
            if not layer.open_ended:
                return None, path
            return Unknown(container.span, "Flask config not static"), path
        if entry.conditional or key in layer.unknown_keys:
            return Unknown(entry.node.span, "set conditionally"), entry.path
        return entry.node, entry.path

    def _flask_config(self, node: Node, path: str) -> Optional[Layer]:
        """`flask_app.config` of a module-level `flask_app = Flask(...)`, filled in its module
        by `config[...] = v`, `update`, `from_mapping`, `from_object`, `setdefault`; or of
        `flask_app = create_app(...)`, a factory that builds the Flask app and fills it so
        (`create_app()` itself when a Celery factory is handed the call)."""
        if not isinstance(node, Ref) or not node.qualname.endswith(".config"):
            return None
        near = self.modules.module_of(path)
        owner = node.qualname[: -len(".config")]
        if owner.endswith("()"):
            return self._factory_config(
                owner[:-2], near, FactoryCall("", owner, (), {}, False), path
            )
        symbol = self.modules.resolve(node.qualname, near)
        binding = symbol.binding
        if symbol.kind != "binding" or symbol.rest != "config" or binding is None:
            return None
        made = binding.node
        if not isinstance(made, Unknown) or binding.conditional or symbol.module is None:
            return None
        module = symbol.module
        if made.reason not in _FLASK_CALLS:
            factory = called(made)
            if factory is None:
                return None
            facts = self.modules.facts(module)
            calls = [c for c in (facts.factory_calls if facts else ()) if c.var == symbol.name]
            caller = self.modules.paths[module]
            return self._factory_config(factory, module, calls[-1] if calls else None, caller)
        receiver = f"{module}.{symbol.name}.config"
        name = f"{Modules.display(module)}.{symbol.name}"
        layer = Layer(description=f"the Flask config of {name}", path=self.modules.paths[module])
        self._fill_flask(layer, module, receiver, _Arguments())
        return layer

    def _factory_config(
        self, callee: str, near: Optional[str], call: Optional[FactoryCall], caller: str
    ) -> Optional[Layer]:
        """The config a Flask factory builds, given the call that made the app
        (None: a call whose arguments are not known)."""
        symbol = self.modules.resolve(callee, near)
        if symbol.kind != "function" or symbol.module is None or symbol.name is None:
            return None
        facts = self.modules.facts(symbol.module)
        factory = facts.flask_factories.get(symbol.name) if facts else None
        if factory is None or symbol.rest or not factory.flask:
            return None
        qualified = f"{symbol.module}.{symbol.name}"
        owner = self.modules.paths[symbol.module]
        arguments = _Arguments(qualified)
        for index, param in enumerate(factory.params):
            given: Optional[tuple[Node, str]] = None
            if call is not None and not call.opaque:
                if index < len(call.args):
                    given = (call.args[index], caller)
                elif param in call.kwargs:
                    given = (call.kwargs[param], caller)
                elif param in factory.defaults:
                    given = (factory.defaults[param], owner)
            arguments.values[param] = given
        name = f"{Modules.display(symbol.module)}.{symbol.name}()"
        layer = Layer(description=f"the Flask config built by {name}", path=owner)
        self._fill_flask(layer, symbol.module, f"{qualified}.config", arguments)
        if any(self._configures(callee, symbol.module) for callee in factory.passes_app_to):
            _overwritten(layer)  # lemur's `configure_app(app, config)`: any key, any time
        return layer

    def _configures(self, callee: str, near: str) -> bool:
        """The function a Flask factory hands its app to is the project's, and changes
        the app's config."""
        symbol = self.modules.resolve(callee, near)
        if symbol.kind != "function" or symbol.module is None or symbol.rest:
            return False
        facts = self.modules.facts(symbol.module)
        return facts is not None and symbol.name in facts.config_writers

    def _fill_flask(self, layer: Layer, module: str, receiver: str, arguments: _Arguments) -> None:
        """Apply, in order, what the module (or factory) does to one Flask config."""
        owner = self.modules.paths[module]
        facts = self.modules.facts(module)
        ops = sorted(
            (op for op in (facts.conf_ops if facts else ()) if op.receiver == receiver),
            key=lambda op: op.span,
        )
        for op in ops:
            if op.conditional:
                if isinstance(op, (ConfSet, ConfSetDefault)):
                    layer.unknown_keys.add(op.key)
                else:
                    layer.open_ended = True
            elif isinstance(op, ConfSet):
                layer.entries[op.key] = Entry(op.key, op.node, owner, op.key_span)
            elif isinstance(op, ConfSetDefault):
                if op.key not in layer.entries and op.key not in layer.unknown_keys:
                    layer.entries[op.key] = Entry(op.key, op.node, owner, op.key_span)
            elif isinstance(op, ConfUpdate):
                for key, item in op.items.items():
                    layer.entries[key] = Entry(key, item, owner, op.keyword_spans.get(key))
                for mapping in op.mappings:
                    self._add_mapping(layer, mapping, owner)
            elif isinstance(op, ConfigFromObject):
                given = arguments.argument(op.obj, owner)
                if given is None:
                    _overwritten(layer)
                else:
                    self._flask_from_object(layer, *given)
            elif isinstance(op, ConfigFromItem):
                self._flask_pick(layer, op, owner, arguments)
            else:
                _overwritten(layer)

    def _flask_pick(
        self, layer: Layer, op: ConfigFromItem, path: str, arguments: _Arguments
    ) -> None:
        """`from_object(config[config_name])`: the class the key picks; when the key is
        chosen at run time, every class of the table, keeping what they agree on."""
        table = self._follow(op.table, path)
        map_node = table[0] if table is not None else None
        if table is None or not isinstance(map_node, Map):
            _overwritten(layer)
            return
        map_path = table[1]
        choices: list[tuple[object, Node]] = []
        for key_node, value_node in map_node.pairs:
            key = self.evaluator.evaluate(key_node, map_path)
            if not key.known:
                _overwritten(layer)
                return
            choices.append((key.value, value_node))
        given = arguments.argument(op.key, path)
        picked = self.evaluator.evaluate(*given) if given is not None else None
        if picked is not None and picked.known:
            chosen = [node for key, node in choices if key == picked.value]
            if not chosen:
                _overwritten(layer)  # a KeyError at run time
                return
            self._flask_from_object(layer, chosen[-1], map_path)
            return
        candidates: list[Layer] = []
        for _key, node in choices:
            candidate = Layer(dict(layer.entries), layer.open_ended, set(layer.unknown_keys))
            self._flask_from_object(candidate, node, map_path)
            candidates.append(candidate)
        if not candidates:
            _overwritten(layer)
            return
        self._agreed(layer, candidates)

    def _agreed(self, layer: Layer, candidates: list[Layer]) -> None:
        """Into `layer`, what every candidate sets alike; other keys become unknown."""
        keys = set().union(*(candidate.entries for candidate in candidates))
        layer.entries.clear()
        for candidate in candidates:
            layer.open_ended = layer.open_ended or candidate.open_ended
            layer.unknown_keys.update(candidate.unknown_keys)
        for key in sorted(keys):
            entries = [candidate.entries.get(key) for candidate in candidates]
            first = entries[0]
            values = [self.evaluator.evaluate(e.node, e.path) if e else None for e in entries]
            if first is not None and all(
                v is not None
                and v.known
                and values[0] is not None
                and values[0].known
                and v.value == values[0].value
                for v in values
            ):
                layer.entries[key] = first
            else:
                layer.unknown_keys.add(key)

    def _flask_from_object(self, layer: Layer, obj: Node, path: str) -> None:
        """Flask's `config.from_object(x)`: the upper-case attributes of a module or class."""
        source = self.source_for(obj, path, None)
        if source.kind not in ("module", "class"):
            _overwritten(layer)
            return
        for loaded in source.layers:
            if loaded.open_ended:
                _overwritten(layer)
            layer.entries.update((k, e) for k, e in loaded.entries.items() if k.isupper())

    def _mapping_source(self, node: Node, path: str) -> ConfigSource:
        """`config_from_object({...})` or of a name bound to a dict."""
        layer = Layer(description="the dict passed to config_from_object", path=path)
        self._add_mapping(layer, node, path)
        return ConfigSource("dict", [layer], layer.description)

    def _class_source(self, module: str, name: str) -> ConfigSource:
        layer = Layer(description=f"class {module}.{name}", path=self.modules.paths[module])
        mro = self.modules.project_mro(module, name)
        if mro is None:
            layer.open_ended = True
            mro = []
        for cls_module, _name, cls in reversed(mro):
            for key, node in cls.attrs.items():
                key_span = cls.attr_spans.get(key)
                layer.entries[key] = Entry(key, node, self.modules.paths[cls_module], key_span)
        return ConfigSource("class", [layer], layer.description)

    def _django(self, loader: Optional[str]) -> ConfigSource:
        """The Django settings modules the app may load (`loader`: the module loading them)."""
        candidates = self._own_settings(loader)
        if not candidates:
            return ConfigSource("opaque", [], "the Django settings module is not known")
        layers: list[Layer] = []
        for dotted, module in candidates:
            if module is None:
                why = f"Django settings {dotted!r} not in the project" if dotted else _COMPUTED
                return ConfigSource("opaque", [], why)
            settings = self._module_source(module, uppercase_only=True).layers
            configurations = self._configuration_classes(module)
            if configurations:
                # The class DJANGO_CONFIGURATION names is one more candidate each: what
                # they all set alike is known (marsha's `class Base(Configuration)`).
                layers.extend(self._configuration_layer(settings[0], c) for c in configurations)
            else:
                layers.extend(settings)
        names = ", ".join(dotted for dotted, _ in candidates)
        return ConfigSource("django", layers, f"Django settings {names}")

    def _configuration_classes(self, module: str) -> list[tuple[str, Mro]]:
        """The django-configurations classes of a settings module (marsha's `class
        Base(Configuration)` and its subclasses), each with its MRO: Django reads the
        one DJANGO_CONFIGURATION names, over the module's own names."""
        found: list[tuple[str, Mro]] = []
        bindings = self.modules.namespace(module).bindings
        # Imported names are followed only where a django-configurations name is bound
        # too: resolving every name saleor's settings import loaded modules on demand.
        imports = any(
            type(b.node) is Ref and f"{b.node.qualname}.".startswith(_CONFIGURATIONS)
            for b in bindings.values()
        )
        # The classes the module's namespace holds: its own, those a star import brings
        # (codalab's `from .default import *`, whose `__all__` is `['Dev']`), and those
        # imported by name.
        for name, binding in bindings.items():
            node = binding.node
            if isinstance(node, Unknown) and node.reason == "class":
                where: tuple[Optional[str], Optional[str]] = (binding.module, name)
            elif isinstance(node, Ref) and imports:
                symbol = self.modules.resolve(node.qualname, binding.module)
                if symbol.kind != "class" or symbol.rest:
                    continue
                where = (symbol.module, symbol.name)
            else:
                continue
            if where[0] is None or where[1] is None:
                continue
            mro = self.modules.mro(where[0], where[1])
            if mro is not None and any(entry.key.startswith(_CONFIGURATIONS) for entry in mro):
                found.append((name, mro))
        return found

    def _configuration_layer(self, settings: Layer, configuration: tuple[str, Mro]) -> Layer:
        """The settings a django-configurations class gives: the module's names, then
        the upper-case attributes along its MRO (django-configurations' own classes set
        no Celery setting; any other class outside the project may set anything)."""
        name, mro = configuration
        layer = Layer(
            dict(settings.entries),
            open_ended=settings.open_ended,
            description=f"configuration class {name}",
            path=settings.path,
        )
        layer.unknown_keys.update(settings.unknown_keys)
        for entry in reversed(mro):
            if entry.facts is None or entry.module is None:
                layer.open_ended |= not entry.key.startswith(_CONFIGURATIONS)
                continue
            path = self.modules.paths[entry.module]
            for key, node in entry.facts.attrs.items():
                if key.isupper():
                    layer.entries[key] = Entry(key, node, path, entry.facts.attr_spans.get(key))
        return layer

    def _own_settings(self, loader: Optional[str]) -> list[tuple[str, Optional[str]]]:
        """The settings candidates of the app's own project: (dotted name, module or None).

        In a monorepo of several Django projects side by side, `manage.py` and
        `wsgi.py` of each name that project's settings; an app reads only the
        candidates in its own source root. A candidate not in the project
        counts where it was named from the app's root (it may be what runs).
        When no candidate of the project is in the
        app's root (settings kept in another root), every candidate counts;
        disagreeing ones make values unknown.
        """
        found = [
            (dotted, near, self.modules.find(dotted, near) if dotted else None)
            for dotted, near in self.django_settings
        ]
        root = self.modules.roots.get(loader) if loader else None

        def own(near: Optional[str], module: Optional[str]) -> bool:
            where = module if module is not None else near
            return where is None or self.modules.roots.get(where) == root

        mine = [(dotted, module) for dotted, near, module in found if own(near, module)]
        if root is None or all(module is None for _, module in mine):
            return [(dotted, module) for dotted, _near, module in found]
        return mine


# Why settings are not known when DJANGO_SETTINGS_MODULE is set to a computed value.
_COMPUTED = "DJANGO_SETTINGS_MODULE is computed at run time"

# django-configurations' base classes (`configurations.Configuration`, its `values`).
_CONFIGURATIONS = ("configurations.",)

# Why a keyword of an app made in several branches is not known.
_BRANCHES = "given differently where the app is made"


_REMADE = "the app is made again in a branch"


def _remade_in_branch(record: AppCall, records: tuple[AppCall, ...]) -> AppCall:
    """An app made, then made again under the same name in a branch (quivr: `celery =
    Celery(__name__)`, then `if url.startswith("redis"): celery = Celery(__name__,
    broker=url, backend=url, ...)`): what configures it cannot be told from either
    call, so every value its call gives, and every other key, is unknown."""
    if not any(
        other.conditional and other.var == record.var and other.span > record.span
        for other in records
    ):
        return record
    return msgspec.structs.replace(
        record,
        kwargs={key: Unknown(node.span, _REMADE) for key, node in record.kwargs.items()},
        mappings=(*record.mappings, Unknown(record.span, _REMADE)),
    )


def _made_in_every_branch(
    records: tuple[AppCall, ...],
    made: set[str],
    literal: Callable[[Node], Optional[tuple[str, str]]],
) -> list[AppCall]:
    """One app for each name that only conditional calls make, in two branches or more
    (papermerge: `if url: app = Celery("pm", broker=url)` / `else: app = Celery("pm")`):
    its code is the same whichever branch ran. Its call keeps what every branch gives
    alike (`literal`: a known value, as type and repr); any other keyword is unknown.
    Its span runs from the first call to the last, so what is added after it comes
    after every branch."""
    by_var: dict[str, list[AppCall]] = {}
    for record in records:
        if record.conditional and record.var not in made:
            by_var.setdefault(record.var, []).append(record)
    merged: list[AppCall] = []
    for calls in by_var.values():
        first, last = calls[0], calls[-1]
        mains = [literal(c.args[0]) if c.args else None for c in calls]
        if len(calls) < 2 or len(set(mains)) > 1:
            continue  # one branch only (the name may be unbound), or apps of other names
        if any(m is None for m, c in zip(mains, calls, strict=True) if c.args) or any(
            c.mappings for c in calls
        ):
            continue
        kwargs: dict[str, Node] = {}
        for key in dict.fromkeys(k for c in calls for k in c.kwargs):
            nodes = [c.kwargs.get(key) for c in calls]
            values = {literal(n) if n is not None else None for n in nodes}
            given = next(n for n in nodes if n is not None)
            if len(values) == 1 and None not in values and None not in nodes:
                kwargs[key] = given
            else:
                kwargs[key] = Unknown(given.span, _BRANCHES)
        spans = [c.keyword_spans for c in calls]
        merged.append(
            msgspec.structs.replace(
                first,
                span=Span(first.span.line, first.span.col, last.span.end_line, last.span.end_col),
                kwargs=kwargs,
                keyword_spans={k: spans[0].get(k) for k in kwargs},
                opaque=any(c.opaque for c in calls),
                conditional=False,
            )
        )
    return merged
