"""Settings writes and app creation: `Celery(...)`, `app.conf` changes, `config_from_object`.

Mixed into the extractor, which provides the file's scope, its layout, the IR
node builder and the lists these methods fill.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, Optional

from celerylint.facts.app_classes import conf_key
from celerylint.facts.layout import Layout
from celerylint.facts.nodes import NodeBuilder, const_str, keyword_value
from celerylint.facts.schema import (
    AppCall,
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
    Event,
    FactoryCall,
    FlaskFactory,
    Map,
    Mutate,
    NamespaceSet,
    Node,
    Rebind,
    SetItems,
    SettingsModuleDefault,
    Span,
    StarImport,
    TaskClassSet,
    TaskRegistration,
)
from celerylint.facts.scope import Scope
from celerylint.facts.walk import bound_names, returned_instance, walk_all, walk_own_scope

Def = ast.FunctionDef | ast.AsyncFunctionDef

# Methods of a Flask config that only read it.
_CONFIG_READS = frozenset({"get", "get_namespace", "copy", "keys", "items", "values"})
_MUTATORS = frozenset(
    {"append", "extend", "update", "insert", "remove", "setdefault", "pop", "clear", "add"}
)


class ConfigurationWrites:
    """What configures apps, wherever it is written."""

    # Provided by the extractor this is mixed into.
    tree: ast.Module
    module: str
    scope: Scope
    layout: Layout
    span: Callable[[Any], Span]
    nodes: NodeBuilder
    events: list[Event]
    apps: list[AppCall]
    conf_ops: list[ConfOp]
    settings_module_defaults: list[SettingsModuleDefault]
    registrations: list[TaskRegistration]
    dynamic: bool
    flask_factories: dict[str, FlaskFactory]
    factory_calls: list[FactoryCall]
    _flask_names: Optional[frozenset[str]] = None  # module-level `name = Flask(...)`
    # While a Flask factory is read: its local `app = Flask(...)` and the receiver
    # its config ops are recorded under.
    _flask_local: Optional[tuple[str, str]] = None
    _read_calls: set[int]  # calls already read (app factories' bodies)
    _function_nodes: dict[str, Def]  # the module-level functions, by name
    function_scope: Callable[..., Scope]
    # Module-level names last bound to parsed e-mail settings (`_email_settings`).
    _email_configs: set[str]
    _loops: list[tuple[str, ast.expr]]  # the module-level `for name in x:` being read
    _module_values: dict[str, Optional[ast.expr]]  # what module names are bound to

    def _subscript_store(
        self,
        target: ast.Subscript,
        value: ast.expr,
        conditional: bool,
        module_level: bool = False,
    ) -> None:
        # app.conf['key'] = v
        base = target.value
        if self._this_namespace(base):
            # `globals()[name] = value`, in a loop over names mostly: SEED's docker settings
            # bind their environment variables so, `for loc in ENV_VARS + OPTIONAL: locals()
            # [loc] = env_var(loc)`. Those of a list written in the module may be replaced;
            # which names others bind cannot be told (those bound before are left alone).
            names = self._namespace_keys(target.slice)
            if names is None:
                self.dynamic = True
            else:
                self.events.append(Rebind("the module's namespace written by a loop", names))
            return
        if isinstance(base, ast.Attribute) and base.attr == "conf":
            receiver = self.scope.qualify(base.value)
            key = const_str(target.slice)
            if receiver is None:
                return
            span = self.span(target)
            if key is None:
                self.conf_ops.append(ConfOpaque(receiver, span, conditional))
            else:
                node = self.nodes.build(value, self.scope)
                key_span = self.layout.string_key_span(target.slice)
                self.conf_ops.append(ConfSet(receiver, span, conditional, key, node, key_span))
            return
        flask = self._flask_config(base)
        if flask is not None:
            # flask_app.config["KEY"] = v: one entry of the Flask config.
            key = const_str(target.slice)
            span = self.span(target)
            if key is None:
                self.conf_ops.append(ConfOpaque(flask, span, conditional))
            else:
                node = self.nodes.build(value, self.scope)
                key_span = self.layout.string_key_span(target.slice)
                self.conf_ops.append(ConfSet(flask, span, conditional, key, node, key_span))
            return
        if self.scope.qualify(base) == "os.environ":
            if const_str(target.slice) == "DJANGO_SETTINGS_MODULE":
                self._django_default(value)
            return
        root = base
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if isinstance(root, ast.Name):
            scope = self.scope
            if root.id not in scope.local_imports and not scope.is_local(root.id):
                # `app.extensions["celery"] = x` in a factory changes its parameter, not
                # a module-level `app`. A function's `NAME[key] = v` runs when it is
                # called, if ever: only the module's own sets an item for certain.
                if module_level and root is base:
                    self.events.append(self._item_set(root.id, target, value, conditional))
                else:
                    self.events.append(Mutate(root.id))
            self._conf_key_mutation(base, conditional)

    def _item_set(
        self, name: str, target: ast.Subscript, value: ast.expr, conditional: bool
    ) -> SetItems:
        """`NAME[key] = value`: a one-item mapping merged over what NAME is bound to."""
        item = (self.nodes.build(target.slice, self.scope), self.nodes.build(value, self.scope))
        return SetItems(name, (Map(self.span(target), (item,)),), conditional)

    def _attribute_store(self, target: ast.Attribute, value: ast.expr, conditional: bool) -> None:
        # app.conf.key = v  /  app.conf = {...}
        if isinstance(target.value, ast.Attribute) and target.value.attr == "conf":
            receiver = self.scope.qualify(target.value.value)
            if receiver:
                span = self.span(target)
                key_span = Span(span.end_line, span.end_col - len(target.attr), *span.end)
                node = self.nodes.build(value, self.scope)
                self.conf_ops.append(
                    ConfSet(receiver, span, conditional, target.attr, node, key_span)
                )
        elif target.attr == "conf":
            receiver = self.scope.qualify(target.value)
            if receiver:
                self.conf_ops.append(ConfOpaque(receiver, self.span(target), conditional))
        elif target.attr in ("Task", "namespace"):
            receiver = self.scope.qualify(target.value)
            if receiver:
                node = self.nodes.build(value, self.scope)
                op = TaskClassSet if target.attr == "Task" else NamespaceSet
                self.conf_ops.append(op(receiver, self.span(target), conditional, node))
        else:
            self._conf_key_mutation(target, conditional)

    def _conf_key_mutation(self, expr: ast.expr, conditional: bool) -> None:
        """`app.conf.beat_schedule['x'] = ...`: that setting is no longer known."""
        found = conf_key(expr)
        receiver = self.scope.qualify(found[0]) if found is not None else None
        if found is not None and receiver:
            self.conf_ops.append(ConfUnset(receiver, self.span(expr), conditional, found[1]))

    def _this_namespace(self, expr: ast.expr) -> bool:
        """`globals()`, `vars()`, `locals()`: at module level, the module's own names."""
        return (
            isinstance(expr, ast.Call)
            and not expr.args
            and self.scope.qualify(expr.func) in _NAMESPACE_BUILTINS
        )

    def _namespace_keys(self, key: ast.expr) -> Optional[tuple[str, ...]]:
        """The names `globals()[key] = v` may bind: a string, or the target of an
        enclosing module-level loop over a list of strings written in the module."""
        written = const_str(key)
        if written is not None:
            return (written,)
        if not isinstance(key, ast.Name):
            return None
        loop = next((over for name, over in reversed(self._loops) if name == key.id), None)
        names = _strings_listed(loop, self._module_values, 0) if loop is not None else None
        return tuple(names) if names else None

    def _module_call(self, call: ast.Call, conditional: bool) -> None:
        func = call.func
        callee = self.scope.qualify(func)
        if callee == "builtins.exec":
            self._rebinds("exec")
        elif callee in _NAMESPACE_BUILTINS:
            # `"SF_INSTANCE" not in vars()` (SEED) reads the namespace; a use that writes
            # it (`vars().update(...)`, `globals()[k] = v`, handed to a helper) is read
            # where it is written. Which names an alias of it sets is not known.
            self.dynamic = True
        if callee in _SETTINGS_IMPORTERS:
            # mitol-django-common's `import_settings_modules("main.celery_settings")`
            # copies the named modules' upper-case names into this module (ocw-studio).
            for arg in call.args:
                named = const_str(arg)
                if named is None:
                    self._rebinds("a helper importing settings modules it names at run time")
                else:
                    self.events.append(StarImport(named, conditional, upper=True))
            return
        if callee and callee.startswith("split_settings."):
            # django-split-settings' include() assembles settings at runtime.
            self._rebinds("django-split-settings' include()")
        if callee not in _KNOWN_SETTINGS_HELPERS and any(
            _names_this_module(arg) for arg in [*call.args, *(k.value for k in call.keywords)]
        ):
            # `Settings.load_settings(__name__)`, `export(globals())`: a helper that is
            # handed this module can set any name in it (readthedocs does exactly that),
            # or those it is given (baserow's `set_settings_from_env_if_present(
            # AttrDict(vars()), ["AWS_ACCESS_KEY_ID", Setting("AWS_...", ...)])`).
            exporter = self._class_exporter(call)
            if exporter is not None:
                cls, method = exporter
                self.events.append(
                    Rebind(_HANDED, exports=cls, method=method, conditional=conditional)
                )
            else:
                self._rebinds(_HANDED, _names_given(call))
        if not isinstance(func, ast.Attribute):
            return
        if self._this_namespace(func.value):
            # `vars().update(yaml.safe_load(f))` (edx-platform's production settings); not
            # django-environ's e-mail settings, which bind EMAIL_* names only (glitchtip).
            if not (func.attr == "update" and self._email_settings(call)):
                self._rebinds("the module's namespace updated at run time")
            return
        if isinstance(func.value, ast.Name) and func.attr in _MUTATORS:
            parts = self._update_parts(call) if func.attr == "update" else None
            name = func.value.id
            self.events.append(
                Mutate(name) if parts is None else SetItems(name, parts, conditional)
            )
            return
        # A mutation of a setting through app.conf: app.conf.task_routes.update(...)
        if func.attr in _MUTATORS and isinstance(func.value, ast.Attribute):
            self._conf_key_mutation(func.value, conditional)

    def _update_parts(self, call: ast.Call) -> Optional[tuple[Node, ...]]:
        """The mappings `NAME.update(mapping, k=v)` merges, in order: its argument, then
        its keywords; None for a call whose entries cannot be told so (`*args`,
        `**more`, several arguments: a TypeError on a dict)."""
        args, keywords = call.args, call.keywords
        if len(args) > 1 or any(isinstance(a, ast.Starred) for a in args):
            return None
        if any(k.arg is None for k in keywords):
            return None
        parts = [self.nodes.build(arg, self.scope) for arg in args]
        if keywords:
            # No key span: a keyword is no string literal a rename could edit.
            named = tuple(
                (Const(None, k.arg), self.nodes.build(k.value, self.scope))
                for k in keywords
                if k.arg
            )
            parts.append(Map(self.span(call), named))
        return tuple(parts)

    def _class_exporter(self, call: ast.Call) -> Optional[tuple[str, str]]:
        """The class and method of `Cls.method(__name__)`, its only argument naming this
        module: a settings class that may export its members here (readthedocs), as
        the model tells once it sees the method (`ClassFacts.exporters`)."""
        func, args = call.func, call.args
        if not isinstance(func, ast.Attribute) or len(args) != 1 or call.keywords:
            return None
        if not isinstance(args[0], ast.Name) or args[0].id != "__name__":
            return None  # `helpers.settings(locals())`: a namespace, not a class's own
        cls = self.scope.qualify(func.value)
        return (cls, func.attr) if cls else None

    def _rebinds(self, reason: str, names: tuple[str, ...] = ()) -> None:
        """A statement here may bind any name (or any of `names`): those bound before it
        too."""
        if not names:
            self.dynamic = True
        self.events.append(Rebind(reason, names))

    def _email_settings(self, call: ast.Call) -> bool:
        """`update(env.email_url("EMAIL_URL"))`, or of a name bound to that: the mapping
        of `EMAIL_*` settings django-environ (or dj-email-url) parses from a URL."""
        if len(call.args) != 1 or call.keywords:
            return False
        given = call.args[0]
        if isinstance(given, ast.Name):
            return given.id in self._email_configs
        return self._parses_email_url(given)

    def _parses_email_url(self, expr: ast.expr) -> bool:
        if not isinstance(expr, ast.Call):
            return False
        # python-decouple's `config("EMAIL_URL", cast=dj_email_url.parse)` (kuma): what
        # the parser makes of the value is returned.
        cast = keyword_value(expr, "cast")
        if cast is not None and self.scope.qualify(cast) in _EMAIL_URL_PARSERS:
            return True
        func = expr.func
        if getattr(func, "attr", getattr(func, "id", "")) not in _EMAIL_URL_LAST_NAMES:
            return False  # most calls: no qualified name needed
        callee = self.scope.qualify(func) or ""
        return callee.endswith(".email_url") or callee in _EMAIL_URL_PARSERS

    def _maybe_app(self, name: str, call: ast.Call, conditional: bool) -> None:
        callee = self.scope.qualify(call.func)
        if not callee:
            return
        last = callee.rsplit(".", 1)[-1]
        local_class = callee == f"{self.module}.{last}" and last in self.scope.module_names
        if "celery" not in last.lower() and not local_class:
            return
        kwargs: dict[str, Node] = {}
        keys: dict[str, Optional[Span]] = {}
        mappings: list[Node] = []
        for keyword in call.keywords:
            if keyword.arg is None:
                mappings.append(self.nodes.build(keyword.value, self.scope))
                continue
            kwargs[keyword.arg] = self.nodes.build(keyword.value, self.scope)
            keys[keyword.arg] = self.layout.keyword_name_span(keyword)
        args = tuple(self.nodes.build(arg, self.scope) for arg in call.args)
        opaque = bool(mappings)
        span = self.span(call)
        self.apps.append(
            AppCall(name, callee, span, kwargs, keys, args, opaque, conditional, tuple(mappings))
        )

    def _django_default(self, value: ast.expr) -> None:
        # A value that is no literal (kpi's `f"{PROJECT_NAME}.settings.prod_celery"`) is
        # recorded as "" with what it is computed from: the model evaluates it.
        module = const_str(value)
        computed = None if module is not None else self.nodes.build(value, self.scope)
        self.settings_module_defaults.append(
            SettingsModuleDefault(module or "", self.span(value), computed)
        )

    def _flask_config(self, expr: ast.expr) -> Optional[str]:
        """`app.config` of a module-level `app = Flask(...)`: the receiver its ops are
        recorded under (`module.app.config`), which names no Celery app."""
        if not (isinstance(expr, ast.Attribute) and expr.attr == "config"):
            return None
        owner = expr.value
        if not isinstance(owner, ast.Name):
            return None
        local = self._flask_local
        if local is not None:
            return local[1] if owner.id == local[0] else None
        if owner.id not in self._flask_apps():
            return None
        return f"{self.module}.{owner.id}.config"

    def _flask_apps(self) -> frozenset[str]:
        names = self._flask_names
        if names is None:
            found: set[str] = set()
            for stmt in self.tree.body:
                value = stmt.value if isinstance(stmt, ast.Assign) else None
                if isinstance(value, ast.Call) and self.scope.qualify(value.func) in _FLASK_CLASSES:
                    assert isinstance(stmt, ast.Assign)
                    found.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
            names = self._flask_names = frozenset(found)
        return names

    def _flask_config_call(
        self, call: ast.Call, func: ast.Attribute, receiver: str, conditional: bool
    ) -> None:
        """`app.config.from_object(...)`, `.update(...)`, `.from_mapping(...)`, `.setdefault(...)`;
        any other method (`from_pyfile`, `from_envvar`, `from_prefixed_env`) is opaque."""
        span = self.span(call)
        attr = func.attr
        picked = call.args[0] if len(call.args) == 1 else None
        if attr == "from_object" and isinstance(picked, ast.Subscript) and not call.keywords:
            # config[config_name]: one config class of a dict, by a key.
            table = self.nodes.build(picked.value, self.scope)
            chooser = self.nodes.build(picked.slice, self.scope)
            self.conf_ops.append(ConfigFromItem(receiver, span, conditional, table, chooser))
        elif attr == "from_object" and len(call.args) == 1 and not call.keywords:
            node = self.nodes.build(call.args[0], self.scope)
            self.conf_ops.append(ConfigFromObject(receiver, span, conditional, node, None))
        elif attr in ("update", "from_mapping"):
            self.conf_ops.append(self._update(call, receiver, conditional))
        elif attr == "setdefault" and len(call.args) == 2 and const_str(call.args[0]):
            key = const_str(call.args[0])
            assert key is not None
            node = self.nodes.build(call.args[1], self.scope)
            key_span = self.layout.string_key_span(call.args[0])
            self.conf_ops.append(ConfSetDefault(receiver, span, conditional, key, node, key_span))
        elif attr not in _CONFIG_READS:
            self.conf_ops.append(ConfOpaque(receiver, span, conditional))

    def _config_writers(self) -> tuple[str, ...]:
        """The module-level functions that change their first parameter's `.config`."""
        found = []
        for function in self.tree.body:
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            positional = [*function.args.posonlyargs, *function.args.args]
            if positional and _writes_config(walk_own_scope(function.body), positional[0].arg):
                found.append(function.name)
        return tuple(found)

    def _flask_factories(self) -> None:
        """Module-level functions that build `app = Flask(...)` and return it
        (`create_app`): what they do to `app.config`, for the Celery app given it.

        Only the factory's own top-level statements certainly run; a parameter
        read stands as `Ref("module.function.param")`, for the call's argument.
        A function returning what another call made (dify's `DifyApp(__name__)`) is
        one too when it hands that to a function, for `app.extensions` only.
        """
        for function in self.tree.body:
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            found = returned_instance(function, lambda call: True)
            if found is None:
                continue
            local, made = found
            args = function.args
            positional = [*args.posonlyargs, *args.args]
            params = tuple(a.arg for a in [*positional, *args.kwonlyargs])
            passed = self._handed_app(function, local)
            if self.scope.qualify(made.func) not in _FLASK_CLASSES:
                if passed:
                    self.flask_factories[function.name] = FlaskFactory(
                        params, {}, passed, flask=False
                    )
                continue
            qualified = f"{self.module}.{function.name}"
            module_scope = self.scope
            mapped = {param: f"{qualified}.{param}" for param in params}
            others = bound_names(function.body) - set(params)
            self.scope = module_scope.child(mapped, others)
            defaults: dict[str, Node] = {}
            for arg, default in zip(positional[::-1], args.defaults[::-1], strict=False):
                defaults[arg.arg] = self.nodes.build(default, module_scope)
            for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
                if kw_default is not None:
                    defaults[arg.arg] = self.nodes.build(kw_default, module_scope)
            celery_ops = self._celery_ops_run(function, qualified, params, local)
            self.flask_factories[function.name] = FlaskFactory(
                params, defaults, passed, celery_ops=celery_ops, local=local
            )
            self._flask_local = (local, f"{qualified}.config")
            certain = certainly_run(function.body)
            try:
                for node in walk_own_scope(function.body):
                    conditional = id(node) not in certain
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                        receiver = self._flask_config(node.func.value)
                        if receiver is not None:
                            self._read_calls.add(id(node))
                            self._flask_config_call(
                                call=node,
                                func=node.func,
                                receiver=receiver,
                                conditional=conditional,
                            )
                    elif isinstance(node, ast.Assign):
                        for target in node.targets:
                            if isinstance(target, ast.Subscript) and self._flask_config(
                                target.value
                            ):
                                self._subscript_store(target, node.value, conditional)
            finally:
                self.scope = module_scope
                self._flask_local = None

    def _celery_ops_run(
        self,
        function: Def,
        qualified: str,
        params: tuple[str, ...],
        local: str,
    ) -> tuple[ConfOp, ...]:
        """What the statements a call of the Flask factory `function` certainly runs do to
        the Celery apps it names but does not hold (a module-level `celery_app`): its
        parameters and its Flask app `local` stand as `qualified.name`, its other locals
        for nothing. Their twins, read where they are written, stay as they were: ops of a
        function, which may never run (`_scan_calls`)."""
        if not _runs_when_called(function):
            return ()
        module_scope = self.scope
        placeholders = {name: f"{qualified}.{name}" for name in (*params, local)}
        self.scope = module_scope.child(placeholders, bound_names(function.body) - {*placeholders})
        self._flask_local = (local, f"{qualified}.config")
        start = len(self.conf_ops)
        try:
            for stmt in _certainly_run_prefix(function.body):
                self._certain_conf_op(stmt)
            found = self.conf_ops[start:]
        finally:
            del self.conf_ops[start:]
            self.scope = module_scope
            self._flask_local = None
        return tuple(op for op in found if not op.receiver.startswith(f"{qualified}."))

    def _certain_conf_op(self, stmt: ast.stmt) -> None:
        """A statement's change to an `app.conf` (an op, unconditional), if it makes one:
        a method of the app's configuration (`config_from_object`, `conf.update`), a
        method changing one setting's value in place (`conf.beat_schedule.update`), an
        assignment or augmented assignment to `conf` or to one of its keys."""
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            if not isinstance(func, ast.Attribute):
                return
            if func.attr in _MUTATORS and conf_key(func.value) is not None:
                self._conf_key_mutation(func.value, conditional=False)
            elif func.attr in _CELERY_CONF_METHODS:
                self._conf_call(stmt.value, func, conditional=False)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Attribute):
                    self._attribute_store(target, stmt.value, conditional=False)
                elif (
                    isinstance(target, ast.Subscript)
                    and getattr(target.value, "attr", "") == "conf"
                ):
                    self._subscript_store(target, stmt.value, conditional=False)
                elif isinstance(target, ast.Subscript):
                    self._conf_key_mutation(target.value, conditional=False)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Attribute):
            self._conf_key_mutation(stmt.target, conditional=False)

    def _handed_app(self, function: Def, local: str) -> tuple[str, ...]:
        """The functions a factory may hand the app it returns (`local`, made by its one
        assignment) to; () when `local` is bound again, and may be another object."""
        handed = tuple(dict.fromkeys(self._handed_to(function, local, {function.name})))
        return handed if _stores(walk_own_scope(function.body))[local] == 1 else ()

    def _handed_to(self, function: Def, local: str, seen: set[str]) -> Iterator[str]:
        """The callees `function` may hand `local` to as their first argument, qualified in
        its own scope (dify imports its extensions inside `initialize_extensions`).

        A call anywhere in the body counts, under an `if` too: reading what it stores
        (`app.extensions["celery"]`) fails unless it ran. So do a method of each item
        of a literal list a loop goes through (dify: `for ext in extensions:
        ext.init_app(app)`), and, followed through, what a function of this module
        handed the app does with it (dify's `initialize_extensions(app)`).
        """
        nodes = walk_own_scope(function.body)
        calls = [
            node
            for node in nodes
            if isinstance(node, ast.Call) and node.args and _is_name(node.args[0], local)
        ]
        if not calls:
            return  # most functions: no scope to build
        scope = self.function_scope(function, self.scope, nodes)
        items = _loop_items(nodes)
        for call in calls:
            for callee in _callees(call.func, scope, items):
                yield callee
                module, _, name = callee.rpartition(".")
                helper = self._function_nodes.get(name) if module == self.module else None
                if helper is None or name in seen:
                    continue
                seen.add(name)
                first = [*helper.args.posonlyargs, *helper.args.args][:1]
                if first and _stores(walk_own_scope(helper.body))[first[0].arg] == 0:
                    yield from self._handed_to(helper, first[0].arg, seen)

    def _update(self, call: ast.Call, receiver: str, conditional: bool) -> ConfUpdate:
        """`x.update(mapping, key=v, **more)` on `app.conf` or a Flask config."""
        items: dict[str, Node] = {}
        keys: dict[str, Optional[Span]] = {}
        sources = list(call.args)
        for keyword in call.keywords:
            if keyword.arg is None:
                sources.append(keyword.value)
            else:
                items[keyword.arg] = self.nodes.build(keyword.value, self.scope)
                keys[keyword.arg] = self.layout.keyword_name_span(keyword)
        mappings = tuple(self.nodes.build(source, self.scope) for source in sources)
        return ConfUpdate(receiver, self.span(call), conditional, items, keys, mappings)

    def _conf_call(self, call: ast.Call, func: ast.Attribute, conditional: bool) -> None:
        attr = func.attr
        if attr not in _CONF_METHODS and getattr(func.value, "attr", None) != "config":
            # Most method calls: no conf op, and not one of a Flask config (`_scan_calls`
            # 0.131 -> 0.111 s on the corpus).
            return
        flask = self._flask_config(func.value)
        if flask is not None:
            self._flask_config_call(call, func, flask, conditional)
            return
        if attr == "update" and isinstance(func.value, ast.Attribute) and func.value.attr == "conf":
            receiver = self.scope.qualify(func.value.value)
            if not receiver:
                return
            self.conf_ops.append(self._update(call, receiver, conditional))
            return
        if attr == "setdefault" and isinstance(func.value, ast.Attribute):
            if func.value.attr == "conf" and len(call.args) == 2 and not call.keywords:
                receiver = self.scope.qualify(func.value.value)
                key = const_str(call.args[0])
                if receiver is None:
                    return
                span = self.span(call)
                if key is None:
                    self.conf_ops.append(ConfOpaque(receiver, span, conditional))
                    return
                node = self.nodes.build(call.args[1], self.scope)
                key_span = self.layout.string_key_span(call.args[0])
                self.conf_ops.append(
                    ConfSetDefault(receiver, span, conditional, key, node, key_span)
                )
            return
        if attr == "config_from_object" and call.args:
            receiver = self.scope.qualify(func.value)
            if not receiver:
                return
            namespace = keyword_value(call, "namespace")
            item = call.args[0]
            if isinstance(item, ast.Subscript) and namespace is None and len(call.args) == 1:
                # config_from_object(flask_app.config["CELERY"]): one entry of a mapping.
                table = self.nodes.build(item.value, self.scope)
                entry = self.nodes.build(item.slice, self.scope)
                span = self.span(call)
                self.conf_ops.append(ConfigFromItem(receiver, span, conditional, table, entry))
                return
            self.conf_ops.append(
                ConfigFromObject(
                    receiver,
                    self.span(call),
                    conditional,
                    self.nodes.build(call.args[0], self.scope),
                    self.nodes.build(namespace, self.scope) if namespace else None,
                )
            )
            return
        if attr == "add_defaults" and len(call.args) == 1 and not call.keywords:
            receiver = self.scope.qualify(func.value)
            if receiver:
                node = self.nodes.build(call.args[0], self.scope)
                self.conf_ops.append(ConfAddDefaults(receiver, self.span(call), conditional, node))
            return
        if attr in ("config_from_envvar", "add_defaults", "config_from_cmdline"):
            receiver = self.scope.qualify(func.value)
            if receiver:
                self.conf_ops.append(ConfOpaque(receiver, self.span(call), conditional))
            return
        if attr in ("register_task", "register") and call.args:
            registry = func.value
            if attr == "register":
                if not (isinstance(registry, ast.Attribute) and registry.attr == "tasks"):
                    return
                registry = registry.value
            registered = call.args[0]
            if isinstance(registered, ast.Call):
                registered = registered.func
            recv_name = self.scope.qualify(registry)
            cls_name = self.scope.qualify(registered)
            if recv_name and cls_name:
                self.registrations.append(TaskRegistration(recv_name, cls_name, self.span(call)))


def certainly_run(body: list[ast.stmt]) -> set[int]:
    """The ids of a function body's own statements, and of the calls made as statements
    there: what certainly runs when the function does (a factory's)."""
    return {id(s) for s in body} | {id(s.value) for s in body if isinstance(s, ast.Expr)}


def _runs_when_called(function: Def) -> bool:
    """Calling the function runs its body: no decorator (which may run anything instead,
    or nothing), not async, no generator."""
    if function.decorator_list or isinstance(function, ast.AsyncFunctionDef):
        return False
    return not any(isinstance(node, _YIELDS) for node in walk_own_scope(function.body))


def _certainly_run_prefix(body: list[ast.stmt]) -> list[ast.stmt]:
    """A body's own statements up to the first that returns or raises, or may (`if x:
    return app`): those a call certainly runs, barring an exception."""
    prefix = []
    for stmt in body:
        if any(isinstance(node, _EXITS) for node in walk_own_scope([stmt])):
            break
        prefix.append(stmt)
    return prefix


def _stores(nodes: list[ast.AST]) -> Counter[str]:
    """How many times each name is assigned (or deleted) among one scope's nodes."""
    return Counter(
        node.id for node in nodes if isinstance(node, ast.Name) and type(node.ctx) is not ast.Load
    )


def _is_name(expr: ast.expr, name: str) -> bool:
    return isinstance(expr, ast.Name) and expr.id == name


def _loop_items(nodes: list[ast.AST]) -> dict[str, list[ast.expr]]:
    """`for ext in [a, b]:`, or over a name assigned such a list once (and no method
    of it called: `extensions.append(x)`): each loop target (assigned nowhere else)
    with the items it takes."""
    stores = _stores(nodes)
    used = {
        n.value.id for n in nodes if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
    }
    lists = {
        target.id: node.value.elts
        for node in nodes
        if isinstance(node, ast.Assign)
        and isinstance(node.value, (ast.List, ast.Tuple))
        and len(node.targets) == 1
        and isinstance(target := node.targets[0], ast.Name)
        and stores[target.id] == 1
        and target.id not in used
    }
    items: dict[str, list[ast.expr]] = {}
    for node in nodes:
        if not (isinstance(node, ast.For) and isinstance(node.target, ast.Name)):
            continue
        over = node.iter
        if isinstance(over, ast.Name) and over.id in lists:
            items[node.target.id] = lists[over.id]
        elif isinstance(over, (ast.List, ast.Tuple)):
            items[node.target.id] = over.elts
    return {name: elts for name, elts in items.items() if stores[name] == 1}


def _callees(func: ast.expr, scope: Scope, items: dict[str, list[ast.expr]]) -> list[str]:
    """What a call of `func` may call: `f` qualified, or for `ext.init_app`, `ext` a
    loop's target, the method of each item the loop takes."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        taken = items.get(func.value.id)
        if taken is not None:
            qualified = (scope.qualify(item) for item in taken)
            return [f"{item}.{func.attr}" for item in qualified if item]
    callee = scope.qualify(func)
    return [callee] if callee else []


def _strings_listed(
    expr: ast.expr, values: dict[str, Optional[ast.expr]], depth: int
) -> Optional[list[str]]:
    """The strings of a list (tuple, set) of string literals, of names bound to one, of
    `+` between such lists, and of `*name` items in one; None for anything else."""
    if depth > 20:
        return None
    if isinstance(expr, ast.Name):
        bound = values.get(expr.id)
        return _strings_listed(bound, values, depth + 1) if bound is not None else None
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        left = _strings_listed(expr.left, values, depth + 1)
        right = _strings_listed(expr.right, values, depth + 1)
        return left + right if left is not None and right is not None else None
    if not isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return None
    found: list[str] = []
    for item in expr.elts:
        if isinstance(item, ast.Starred):
            inner = _strings_listed(item.value, values, depth + 1)
            if inner is None:
                return None
            found.extend(inner)
        elif (text := const_str(item)) is not None:
            found.append(text)
        else:
            return None
    return found


def _names_this_module(expr: ast.expr) -> bool:
    """`__name__`, `globals()`, `vars()`, `sys.modules[...]`: this module, handed over."""
    for node in walk_all(expr):
        if isinstance(node, ast.Name) and node.id == "__name__":
            return True
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in _NAMESPACES:
            return True
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "modules"
            and getattr(node.value, "id", None) == "sys"
        ):
            return True
    return False


# The methods `_conf_call` records, besides those of a Flask `app.config`.
_CONF_METHODS = frozenset(
    {"update", "setdefault", "config_from_object", "config_from_envvar", "add_defaults"}
    | {"config_from_cmdline", "register_task", "register"}
)
# The methods of an app changing its configuration (`register_task` changes no setting).
_CELERY_CONF_METHODS = _CONF_METHODS - {"register_task", "register"}
_YIELDS = (ast.Yield, ast.YieldFrom)
_EXITS = (ast.Return, ast.Raise)
_NAMESPACES = frozenset({"globals", "vars", "locals"})
_HANDED = "a helper handed this module"
_NAMESPACE_BUILTINS = frozenset(f"builtins.{name}" for name in _NAMESPACES)
_FLASK_CLASSES = frozenset({"flask.Flask", "flask.app.Flask"})
_EMAIL_URL_PARSERS = frozenset({"dj_email_url.parse", "dj_email_url.config"})
# Helpers handed the settings module's namespace that set no Celery setting:
# django-heroku's `settings(locals())` sets the database, hosts, logging and static
# files (open-humans).
_KNOWN_SETTINGS_HELPERS = frozenset({"django_heroku.settings"})
# Helpers that copy the settings of the modules they name into the calling module.
_SETTINGS_IMPORTERS = frozenset({"mitol.common.envs.import_settings_modules"})
_EMAIL_URL_LAST_NAMES = frozenset({"email_url", "parse", "config"})


def _writes_config(nodes: list[ast.AST], owner: str) -> bool:
    """Whether the nodes change `owner.config`: a method that is no read, an item set
    or deleted, the attribute itself assigned."""

    def is_config(expr: ast.expr) -> bool:
        return (
            isinstance(expr, ast.Attribute)
            and expr.attr == "config"
            and isinstance(expr.value, ast.Name)
            and expr.value.id == owner
        )

    for node in nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if is_config(node.func.value) and node.func.attr not in _CONFIG_READS:
                return True
        elif isinstance(node, (ast.Subscript, ast.Attribute)):
            stored = not isinstance(node.ctx, ast.Load)
            target = node.value if isinstance(node, ast.Subscript) else node
            if stored and is_config(target):
                return True
    return False


def _names_given(call: ast.Call) -> tuple[str, ...]:
    """The setting names a call lists (a list or tuple of names, or of calls whose first
    argument is one); () when it lists none, or one cannot be read."""
    names: list[str] = []
    for arg in call.args:
        if not isinstance(arg, (ast.List, ast.Tuple)):
            continue
        for element in arg.elts:
            item = element.args[0] if isinstance(element, ast.Call) and element.args else element
            name = const_str(item)
            if name is None:
                return ()
            names.append(name)
    return tuple(names)
