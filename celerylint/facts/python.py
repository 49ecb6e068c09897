"""Per-file extraction: Python source -> typed facts (`facts.schema`).

Nothing here knows about other files. Everything a rule may point at carries
a span; everything a rule may reason about is an IR node (`facts.schema.Node`)
so that values defined elsewhere (star imports, imported constants) can be
resolved later by the project model. The output is cached by content hash.

The extractor walks the module-level statements in order (they become the
events the model replays) and then every call; what it finds is recorded by
the mixins: settings writes and apps (`configuration`), functions and classes
(`definitions`), task calls (`dispatches`).
"""

from __future__ import annotations

import ast
import re
from typing import Optional

from celerylint.facts.app_classes import writes_conf_of
from celerylint.facts.bodies import _GET_CONTEXT
from celerylint.facts.celery_factories import CeleryFactories
from celerylint.facts.definitions import Definitions
from celerylint.facts.discovery import DiscoveryFacts
from celerylint.facts.dispatches import Dispatches
from celerylint.facts.guards import always_passes
from celerylint.facts.handoffs import dropped_results
from celerylint.facts.layout import Layout
from celerylint.facts.nodes import (
    NodeBuilder,
    Positions,
    const_str,
    file_directory,
    keyword_value,
    operator_symbol,
)
from celerylint.facts.results import ResultExtraction, names_result_backend
from celerylint.facts.schema import (
    AppCall,
    Assign,
    AtomicRequestsSet,
    Augment,
    CeleryFactory,
    ClassFacts,
    ConfOp,
    ConfOpaque,
    ConfUnset,
    Dispatch,
    Event,
    ExtensionRead,
    FactoryCall,
    FileFacts,
    FlaskFactory,
    FunctionFacts,
    Mutate,
    Ref,
    SettingsModuleDefault,
    StarImport,
    TaskFactory,
    TaskRegistration,
    Unknown,
    WorkerStart,
)
from celerylint.facts.scope import Scope, import_bindings, resolve_relative
from celerylint.facts.transactions import NON_ATOMIC, TransactionExtraction, non_atomic_views
from celerylint.facts.walk import (
    Function,
    TreeIndex,
    bound_names,
    remembered_walks,
    walk_own_scope,
)


class Extractor(CeleryFactories, Definitions, Dispatches, DiscoveryFacts):
    """Extracts the facts of one module. Use `extract()`."""

    def __init__(
        self,
        tree: ast.Module,
        source: str,
        module: str,
        is_package: bool,
        task_decorators: tuple[str, ...] = (),
    ) -> None:
        # Last segments of the configured task decorators, to tell task bodies apart.
        self.decorator_names = frozenset(d.rsplit(".", 1)[-1] for d in task_decorators)
        self.tree = tree
        # One traversal for the walks every analysis below shares.
        self.index = TreeIndex(tree)
        self._source_names_backend = _names_backend(source)
        # No `atomic` in the text, no transaction to look for (a walk of every node saved).
        self._source_mentions_atomic = "atomic" in source
        # A view may send a task in a request's transaction (ATOMIC_REQUESTS): its code
        # sends, and names a view class, `api_view` or the request (`_REQUEST_FIRST`).
        self._source_may_send_in_view = _SENDS.search(source) is not None and (
            "View" in source or "api_view" in source or _REQUEST_FIRST.search(source) is not None
        )
        self._source_mentions_non_atomic = NON_ATOMIC in source
        # `Celery` or `celery` (a factory's app class is named so: `_creates_celery`).
        self._source_mentions_celery = "elery" in source
        # A call qualifies to Celery's `chord` or `group` only through a name or import
        # the text holds (20 ms of the corpus's extraction asked every call).
        self._source_mentions_canvas = "chord" in source or "group" in source
        self._source_mentions_config = ".config" in source
        # `app.tasks[name]`: a task looked up in a registry (`Dispatches._picked_by_name`);
        # an app's `send_task` handed over (`Dispatches._hands_a_picked_send`).
        self._source_mentions_tasks = ".tasks" in source or ".send_task" in source
        self._source_mentions_setattr = "setattr" in source
        self._source_mentions_conf = _CONF_STORE.search(source) is not None
        self.module = module
        self.is_package = is_package
        positions = Positions(source)
        self.layout = Layout(positions)
        self.span = self.layout.span
        self.nodes = NodeBuilder(positions, file_directory(module, is_package))
        imports: dict[str, str] = {}
        module_names: set[str] = set()
        for stmt in _module_level_statements(tree.body):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                imports.update(import_bindings(stmt, module, is_package))
        for name in bound_names(tree.body):
            if name not in imports:
                module_names.add(name)
        self.scope = Scope(module, imports, module_names)
        self._lines = positions.lines
        # Besides `task` and the configured decorators, the names a task maker is imported
        # under here: a function whose text has none of them calls none (`_may_call_makers`).
        self._maker_hints = tuple(
            {*self.decorator_names, *(n for n, q in imports.items() if self._may_make_tasks(q))}
        )
        self.events: list[Event] = []
        self.apps: list[AppCall] = []
        self.conf_ops: list[ConfOp] = []
        self.settings_module_defaults: list[SettingsModuleDefault] = []
        self.functions: dict[str, FunctionFacts] = {}
        self.classes: dict[str, ClassFacts] = {}
        self.dispatches: list[Dispatch] = []
        self.registrations: list[TaskRegistration] = []
        self.factories: dict[str, TaskFactory] = {}
        self.dynamic = False
        self._discarded = self.index.statement_calls
        self._lookup_names: dict[Optional[int], frozenset[str]] = {}
        self.hands_picked_sends = False
        self.atomic_requests_sets: list[AtomicRequestsSet] = []
        self.worker_starts: list[WorkerStart] = []
        self._ctx_names: set[str] = set()
        # The ids of the statements of `except` handlers at module level.
        self._fallbacks: set[int] = set()
        self._function_nodes: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self._function_scopes = {}
        # Calls of an app factory's body, already read with its local app standing for
        # the module-level one: not to be read again as writes to a same-named global.
        self._read_calls: set[int] = set()
        self._email_configs: set[str] = set()
        # The module-level `for name in ...:` loops being read, innermost last; the
        # expressions module-level names are bound to unconditionally (None: otherwise).
        self._loops: list[tuple[str, ast.expr]] = []
        self._module_values: dict[str, Optional[ast.expr]] = {}
        self.flask_factories: dict[str, FlaskFactory] = {}
        self.factory_calls: list[FactoryCall] = []
        self.celery_factories: dict[str, CeleryFactory] = {}
        self.extension_reads: list[ExtensionRead] = []
        self._branches: list[list[ast.stmt]] = []

    def extract(self) -> FileFacts:
        self._module_body(self.tree.body, conditional=False)
        self._branch_extension_reads()
        self._celery_factories()
        self._flask_factories()
        self._analyze_reachable()
        calls = self._scan_calls()
        if self._source_mentions_conf:
            self._scan_conf_stores()
        results = ResultExtraction(self.span, calls)
        transactions = TransactionExtraction(self.span, calls, self.scope, self._discarded)
        return FileFacts(
            events=tuple(self.events),
            apps=tuple(self.apps),
            conf_ops=tuple(self.conf_ops),
            settings_module_defaults=tuple(self.settings_module_defaults),
            functions=self.functions,
            classes=self.classes,
            dispatches=tuple(self.dispatches),
            registrations=tuple(self.registrations),
            factories=self.factories,
            flask_factories=self.flask_factories,
            factory_calls=tuple(self.factory_calls),
            celery_factories=self.celery_factories,
            extension_reads=tuple(self.extension_reads),
            config_writers=self._config_writers() if self._source_mentions_config else (),
            at_import=self._import_time(),
            dropped_results=tuple(
                sorted(dropped_results(self._call_nodes, self.span), key=lambda d: d.span)
            ),
            dynamic=self.dynamic,
            result_reads=tuple(results.reads(self.tree, self.index)),
            chords=tuple(results.chords(self._call_nodes, self.index))
            if self._source_mentions_canvas
            else (),
            transaction_dispatches=tuple(
                transactions.dispatches(
                    self.tree,
                    self.index.nodes,
                    self._source_mentions_atomic,
                    self._source_may_send_in_view,
                )
            )
            if self._source_mentions_atomic or self._source_may_send_in_view
            else (),
            non_atomic_views=non_atomic_views(self.tree.body, self.index.nodes)
            if self._source_mentions_non_atomic
            else (),
            names_result_backend=self._source_names_backend
            and names_result_backend(self.index.nodes),
            hands_picked_sends=self.hands_picked_sends,
            atomic_requests_sets=tuple(self.atomic_requests_sets),
            worker_starts=tuple(self.worker_starts),
            discovery=self._discovery(),
        )

    def _analyze_reachable(self) -> None:
        """Analyze the bodies of module functions that analyzed code calls (helpers of tasks)."""
        functions = self.functions
        pending = [f for f in functions.values() if not f.light]
        for cls in self.classes.values():
            pending.extend(m for m in cls.methods.values() if not m.light)
        while pending:
            current = pending.pop()
            for call in current.calls:
                target = functions.get(call.name) if call.kind == "function" else None
                if target is not None and target.light:
                    node = self._function_nodes[call.name]
                    analyzed = self._with_body(target, node, self.scope)
                    functions[call.name] = analyzed
                    pending.append(analyzed)

    def _module_body(self, body: list[ast.stmt], conditional: bool) -> None:
        if conditional:
            self._branches.append(body)
        for stmt in body:
            self._module_statement(stmt, conditional)

    def _module_statement(self, stmt: ast.stmt, conditional: bool) -> None:
        events = self.events
        if isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
            return
        if isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name):
            self._loops.append((stmt.target.id, stmt.iter))
            try:
                self._module_body(stmt.body, True)
            finally:
                self._loops.pop()
            self._module_body(stmt.orelse, True)
            return
        if isinstance(stmt, (ast.If, ast.For, ast.While, ast.AsyncFor)):
            self._module_body(stmt.body, True)
            self._module_body(stmt.orelse, True)
            return
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            self._module_body(stmt.body, True)
            return
        if type(stmt).__name__ == "Match":  # 3.10+: each case is a branch
            for case in stmt.cases:  # type: ignore[attr-defined]
                self._module_body(case.body, True)
            return
        if type(stmt).__name__ == "TypeAlias":  # 3.12+ `type X = ...`: a lazy alias
            name = stmt.name  # type: ignore[attr-defined]
            if isinstance(name, ast.Name):
                events.append(Assign(name.id, Unknown(self.span(stmt), "type alias"), conditional))
            return
        if always_passes(stmt):
            # `try: from kombu import Queue` where Celery runs: no handler runs (`guards`).
            assert isinstance(stmt, ast.Try)
            self._module_body([*stmt.body, *stmt.orelse, *stmt.finalbody], conditional)
            return
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self._module_body(stmt.body, True)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                self._fallbacks.update(id(s) for s in handler.body)
                self._module_body(handler.body, True)
            self._module_body(stmt.orelse, True)  # type: ignore[attr-defined]
            self._module_body(stmt.finalbody, conditional)  # type: ignore[attr-defined]
            return
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            imported = resolve_relative(self.module, self.is_package, stmt.level, stmt.module)
            events.append(StarImport(imported, conditional, fallback=id(stmt) in self._fallbacks))
            return
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for local, qualified in import_bindings(stmt, self.module, self.is_package):
                events.append(Assign(local, Ref(self.span(stmt), qualified), conditional))
            return
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            events.append(Assign(stmt.name, Unknown(self.span(stmt), "function"), conditional))
            analyze = any(self._may_define_task(d) for d in stmt.decorator_list)
            self.functions[stmt.name] = self._function(stmt, self.scope, analyze)
            self._function_nodes[stmt.name] = stmt
            self._record_factory(stmt.name, self._wrapper_factory(stmt))
            return
        if isinstance(stmt, ast.ClassDef):
            events.append(Assign(stmt.name, Unknown(self.span(stmt), "class"), conditional))
            self.classes[stmt.name] = self._class(stmt)
            self._record_factory(stmt.name, self._wrapper_factory(stmt))
            return
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            self._module_assign(stmt, conditional)
            return
        if isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.target, ast.Name):
                events.append(self._augment(stmt.target, stmt.op, stmt.value, conditional))
            return
        if isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    events.append(Mutate(target.id))
            return
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            self._module_call(stmt.value, conditional)

    def _module_assign(self, stmt: ast.Assign | ast.AnnAssign, conditional: bool) -> None:
        events = self.events
        value = stmt.value
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if value is None:
            return
        for target in targets:
            if isinstance(target, ast.Name):
                self._module_values[target.id] = None if conditional else value
                if self._parses_email_url(value):
                    self._email_configs.add(target.id)
                else:
                    self._email_configs.discard(target.id)
                if (
                    isinstance(value, ast.BinOp)
                    and isinstance(value.left, ast.Name)
                    and value.left.id == target.id
                ):
                    # `INSTALLED_APPS = INSTALLED_APPS + [...]`: as `+=`.
                    events.append(self._augment(target, value.op, value.right, conditional))
                else:
                    node = self.nodes.build(value, self.scope)
                    events.append(Assign(target.id, node, conditional, self.span(target)))
                if isinstance(value, ast.Call):
                    func = value.func
                    if isinstance(func, ast.Attribute) and func.attr in (
                        "register_task",
                        "register",
                    ):
                        self._conf_call(value, func, conditional)  # `X = app.register_task(X())`
                    self._maybe_app(target.id, value, conditional)
                    self._record_factory(target.id, self._ready_factory(value))
                    if not conditional:
                        self._factory_call(target.id, value)
                    if self.scope.qualify(value.func) in _GET_CONTEXT:
                        self._ctx_names.add(target.id)
                if not conditional:
                    self._extension_read(target.id, value)
            elif isinstance(target, (ast.Tuple, ast.List)):
                for element in ast.walk(target):
                    if isinstance(element, ast.Name):
                        events.append(Mutate(element.id))
            elif isinstance(target, ast.Subscript):
                alias = _atomic_requests_alias(target)
                if alias is not None:
                    node = self.nodes.build(value, self.scope)
                    span = self.span(stmt)
                    self.atomic_requests_sets.append(
                        AtomicRequestsSet(alias, node, conditional, span)
                    )
                self._subscript_store(target, value, conditional, module_level=True)
            elif isinstance(target, ast.Attribute):
                self._attribute_store(target, value, conditional)

    def _augment(
        self, target: ast.Name, op: ast.operator, value: ast.expr, conditional: bool
    ) -> Mutate:
        """`name += value` (`INSTALLED_APPS += ("proj.b",)`): the earlier value combined
        with this one, where the operator is one the evaluator follows."""
        symbol = operator_symbol(op)
        if symbol is None:
            return Mutate(target.id)
        node = self.nodes.build(value, self.scope)
        return Augment(target.id, symbol, node, conditional, self.span(target))

    def _record_factory(self, name: str, factory: Optional[TaskFactory]) -> None:
        """The name's latest definition: a factory, or (None) something else."""
        if factory is None:
            self.factories.pop(name, None)
        else:
            self.factories[name] = factory

    def _scan_calls(self) -> dict[int, Scope]:
        """Conf calls, dispatches and Django defaults, wherever they appear.

        A dispatch is qualified in the scope it is written in, so that a task
        imported inside a function (`from .tasks import send; send.delay()`)
        is the task, and a local variable is no module-level name. Returns
        each call's scope, by node id (calls in `_call_nodes`, outer first).
        """
        toplevel = {id(s.value) for s in self.tree.body if isinstance(s, ast.Expr)}
        app_like = self._app_like_names()
        scopes: dict[int, Scope] = {}
        self._call_nodes: list[ast.Call] = []
        for node, function, local in self._calls_in_scopes():
            scopes[id(node)] = local
            self._call_nodes.append(node)
            func = node.func
            # A method call other than `.setdefault()` is no `os.environ.setdefault()`.
            environ = not isinstance(func, ast.Attribute) or func.attr == "setdefault"
            if (
                environ
                and len(node.args) >= 2
                and self.scope.qualify(func) == "os.environ.setdefault"
            ):
                if const_str(node.args[0]) == "DJANGO_SETTINGS_MODULE":
                    self._django_default(node.args[1])
                continue
            conditional = id(node) not in toplevel
            if (
                self._source_mentions_tasks
                and not self.hands_picked_sends
                and self._hands_a_picked_send(node, function)
            ):
                self.hands_picked_sends = True
            if app_like and node.args and _hands_a_name(node, app_like):
                self._app_handed_over(node, local, conditional, app_like)
            if not isinstance(func, ast.Attribute):
                continue
            if func.attr == "worker_main":
                self._worker_start(node, func, local, function)
            if id(node) not in self._read_calls:
                self._conf_call(node, func, conditional)
            self._dispatch(node, func, local, function)
        return scopes

    def _worker_start(
        self, call: ast.Call, func: ast.Attribute, scope: Scope, function: Optional[Function]
    ) -> None:
        """`app.worker_main(argv)`: the literal strings of a list written in the call, or
        bound once to the name it is given in the same function (elements appended
        later add nothing readable)."""
        given = call.args[0] if call.args else keyword_value(call, "argv")
        if isinstance(given, ast.Name):
            own = self.index.own_nodes(function) if function else walk_own_scope(self.tree.body)
            bound = [
                node.value
                for node in own
                if type(node) is ast.Assign
                and any(isinstance(t, ast.Name) and t.id == given.id for t in node.targets)
            ]
            given = bound[0] if len(bound) == 1 else None
        words = (
            tuple(_written_start(element) for element in given.elts)
            if isinstance(given, (ast.List, ast.Tuple))
            else ()
        )
        self.worker_starts.append(WorkerStart(scope.qualify(func.value), words, self.span(call)))

    def _scan_conf_stores(self) -> None:
        """`app.conf.task_time_limit = 60` inside a function: the setting may be changed
        when it runs (a store at module level is read where it is written)."""
        scopes: dict[int, Scope] = {}
        module_scope = self.scope
        try:
            for function in self.index.functions:
                for node in self.index.own_nodes(function):
                    if type(node) is ast.Assign:
                        targets = node.targets
                    elif type(node) in (ast.AugAssign, ast.AnnAssign):
                        targets = [node.target]  # type: ignore[attr-defined]
                    else:
                        continue
                    for target in targets:
                        if _stores_into_conf(target):
                            self.scope = self._scope_of(function, scopes)
                            self._function_conf_store(target)
        finally:
            self.scope = module_scope

    def _function_conf_store(self, target: ast.expr) -> None:
        """A store into an app's configuration in a function: the key it may change, or
        any (`app.conf = {...}`, `app.conf[name] = v`)."""
        span = self.span(target)
        if isinstance(target, ast.Attribute) and target.attr == "conf":
            receiver = self.scope.qualify(target.value)
            if receiver:
                self.conf_ops.append(ConfOpaque(receiver, span, True))
            return
        if isinstance(target, ast.Subscript) and getattr(target.value, "attr", "") == "conf":
            receiver = self.scope.qualify(target.value.value)  # type: ignore[attr-defined]
            key = const_str(target.slice)
            if receiver and key:
                self.conf_ops.append(ConfUnset(receiver, span, True, key))
            elif receiver:
                self.conf_ops.append(ConfOpaque(receiver, span, True))
            return
        self._conf_key_mutation(target, conditional=True)

    def _app_like_names(self) -> frozenset[str]:
        """The names an app may be handed over by here: the apps made here, and the names
        imports bind that read like one (`app`, `celery` in the imported name)."""
        names = {app.var for app in self.apps}
        for statement, _function in self.index.imports:
            for alias in statement.names:
                last = alias.name.rsplit(".", 1)[-1].lower()
                # Not Django's `apps` registry, imported by most Django modules.
                if last == "app" or last.endswith("_app") or "celery" in last:
                    names.add(alias.asname or alias.name.split(".")[0])
        return frozenset(names)

    def _app_handed_over(
        self, call: ast.Call, scope: Scope, conditional: bool, app_like: frozenset[str]
    ) -> None:
        """`configure_celery(celery_app)` (ichnaea): a function handed an app may change its
        configuration (`celery_app.config_from_object(...)` there). A name of
        `app_like` that is no local variable; not a builtin's argument, nor a signal's
        `sender=`."""
        callee = scope.qualify(call.func) or ""
        if callee.startswith("builtins.") or callee.endswith(".connect"):
            return
        own = self._function_nodes.get(callee.rpartition(".")[2])
        if own is not None and callee != f"{self.module}.{own.name}":
            own = None  # not this module's function
        params = [*own.args.posonlyargs, *own.args.args] if own is not None else []
        given = [*enumerate(call.args), *((k.arg, k.value) for k in call.keywords)]
        for where, arg in given:
            if not isinstance(arg, ast.Name) or arg.id not in app_like:
                continue
            receiver = scope.qualify(arg)
            if receiver is None:
                continue  # a local variable
            # A function of this module that only reads the app it is given changes nothing.
            param = params[where].arg if isinstance(where, int) and where < len(params) else where
            if own is not None and isinstance(param, str) and not writes_conf_of(own, param):
                continue
            self.conf_ops.append(ConfOpaque(receiver, self.span(call), conditional))

    def _calls_in_scopes(self) -> list[tuple[ast.Call, Optional[Function], Scope]]:
        """Every call, with the function it is written in (None: the module) and its
        scope."""
        scopes: dict[int, Scope] = {}
        # Most calls are in the function of the call before (71,520 calls, 18,889
        # functions on the corpus: 0.052 -> 0.038 s).
        previous: Optional[Function] = None
        scope = self.scope
        found: list[tuple[ast.Call, Optional[Function], Scope]] = []
        for call, function in self.index.calls:
            if function is not previous:
                scope = self._scope_of(function, scopes)
                previous = function
            found.append((call, function, scope))
        return found

    def _scope_of(self, function: Optional[Function], known: dict[int, Scope]) -> Scope:
        """The scope inside `function` (None: the module's), remembered in `known`."""
        pending: list[Function] = []  # the function, then the ones it is written in
        while function is not None and id(function) not in known:
            pending.append(function)
            function = self.index.enclosing[id(function)]
        scope = self.scope if function is None else known[id(function)]
        for inner in reversed(pending):
            scope = self.function_scope(inner, scope, self.index.own_nodes(inner))
            known[id(inner)] = scope
        return scope


_BACKEND_TEXT = re.compile("result[-_]backend", re.IGNORECASE)


def _written_start(element: ast.expr) -> Optional[str]:
    """A literal string, or what an f-string writes before its first value (the option
    of `f"--time-limit={limit}"`, its value not known); None otherwise."""
    if isinstance(element, ast.JoinedStr) and element.values:
        return const_str(element.values[0])
    return const_str(element)


def _atomic_requests_alias(target: ast.Subscript) -> Optional[str]:
    """The alias of `DATABASES[alias]["ATOMIC_REQUESTS"]`, both keys literal strings."""
    owner = target.value
    if const_str(target.slice) != "ATOMIC_REQUESTS" or not isinstance(owner, ast.Subscript):
        return None
    if not (isinstance(owner.value, ast.Name) and owner.value.id == "DATABASES"):
        return None
    return const_str(owner.slice)


def _hands_a_name(call: ast.Call, names: frozenset[str]) -> bool:
    """Whether a call is given one of `names` as a positional argument (as an app is)."""
    return any(isinstance(arg, ast.Name) and arg.id in names for arg in call.args)


def _stores_into_conf(target: ast.expr) -> bool:
    """`x.conf.key = v`, `x.conf["key"] = v`, `x.conf = ...` and deeper (`x.conf.y["k"]`)."""
    node = target
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Attribute) and node.attr == "conf":
            return True
        node = node.value
    return False


# An app's configuration assigned to (`app.conf.x =`, `app.conf["x"] =`, `app.conf =`,
# `app.conf.beat_schedule["x"] =`), not read or updated.
_CONF_STORE = re.compile(r"\.conf(?:\.\w+)*(?:\[[^\]\n]*\])*\s*[-+*/|&]?=(?!=)")


def _names_backend(source: str) -> bool:
    """`_BACKEND_TEXT` is in `source`. In an ASCII text, the same found in its lower-case
    copy: a case-insensitive search was 5 % of the corpus's extraction (48 of 950 ms)."""
    if source.isascii():
        lowered = source.lower()
        return "result_backend" in lowered or "result-backend" in lowered
    return _BACKEND_TEXT.search(source) is not None


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and const_str(test.comparators[0]) == "__main__"
    )


def _module_level_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements executed at import time, including inside if/try blocks."""
    out: list[ast.stmt] = []
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        out.append(stmt)
        if stmt.__class__ not in _NESTING_STATEMENTS:
            continue
        for field in ("body", "orelse", "finalbody"):
            stack.extend(reversed(getattr(stmt, field, []) or []))
        for handler in getattr(stmt, "handlers", []) or []:
            stack.extend(reversed(handler.body))
    return out


# The statements `_module_level_statements` looks into (asking every statement for its
# blocks: 0.021 -> 0.002 s on the corpus).
_NESTING_STATEMENTS = frozenset(
    cls
    for cls in ast.stmt.__subclasses__()
    if {"body", "orelse", "finalbody", "handlers"} & set(cls._fields)
    and cls not in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
)


def extract(
    tree: ast.Module,
    source: str,
    module: str,
    is_package: bool,
    task_decorators: tuple[str, ...] = (),
) -> FileFacts:
    """The facts of one parsed module."""
    with remembered_walks():
        return Extractor(tree, source, module, is_package, task_decorators).extract()


# A task sent by name: `.delay(`, `.apply_async(`, `.send_task(`.
_SENDS = re.compile(r"\.(?:delay|apply_async|send_task)\s*\(")
# What a view's code holds besides: a class named like a view among its bases (`APIView`,
# `ModelViewSet`, a project's `BaseView`), DRF's `@api_view`, or a function taking the
# request first (half the files that send and mention `request` at all, on the corpus).
_REQUEST_FIRST = re.compile(r"def\s+\w+\s*\(\s*(?:self\s*,\s*)?request\b")
