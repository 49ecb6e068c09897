"""Per-file extraction: Python source -> typed facts (`facts.schema`).

Nothing here knows about other files. Everything a rule may point at carries
a span; everything a rule may reason about is an IR node (`facts.schema.Node`)
so that values defined elsewhere (star imports, imported constants) can be
resolved later by the project model. The output is cached by content hash.
"""

from __future__ import annotations

import ast
import io
import tokenize
from typing import Any, Optional

import msgspec

from celerylint.facts.bodies import (
    _GET_CONTEXT,
    BodyAnalysis,
    attrs_used_on,
    returns_value,
)
from celerylint.facts.nodes import NodeBuilder, Positions, const_str, keyword_value
from celerylint.facts.schema import (
    AppCall,
    Assign,
    CallArgument,
    CallKeyword,
    CallShape,
    ClassFacts,
    ConfigFromObject,
    ConfOp,
    ConfOpaque,
    ConfSet,
    ConfUnset,
    ConfUpdate,
    Decorator,
    Dispatch,
    DispatchSyntax,
    Event,
    FileFacts,
    FunctionFacts,
    Mutate,
    Node,
    Ref,
    SettingsModuleDefault,
    Span,
    StarImport,
    TaskRegistration,
    Unknown,
    ValueShape,
)
from celerylint.facts.scope import Scope, import_bindings, resolve_relative
from celerylint.facts.walk import bound_in, bound_names, walk_all, walk_own_scope

DISPATCH_METHODS = frozenset(
    {
        "delay",
        "apply_async",
        "s",
        "si",
        "signature",
        "map",
        "starmap",
        "chunks",
        "delay_on_commit",
        "apply_async_on_commit",
    }
)
_MUTATORS = frozenset(
    {"append", "extend", "update", "insert", "remove", "setdefault", "pop", "clear", "add"}
)


class Extractor(BodyAnalysis):
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
        self.module = module
        self.is_package = is_package
        self.positions = Positions(source)
        self.nodes = NodeBuilder(self.positions)
        imports: dict[str, str] = {}
        module_names: set[str] = set()
        for stmt in _module_level_statements(tree.body):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                imports.update(import_bindings(stmt, module, is_package))
        for name in bound_names(tree.body):
            if name not in imports:
                module_names.add(name)
        self.scope = Scope(module, imports, module_names)
        self.events: list[Event] = []
        self.apps: list[AppCall] = []
        self.conf_ops: list[ConfOp] = []
        self.settings_module_defaults: list[SettingsModuleDefault] = []
        self.functions: dict[str, FunctionFacts] = {}
        self.classes: dict[str, ClassFacts] = {}
        self.dispatches: list[Dispatch] = []
        self.registrations: list[TaskRegistration] = []
        self.dynamic = False
        self._discarded: set[int] = set()
        self._ctx_names: set[str] = set()
        self._function_nodes: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self._factory_calls: list[tuple[str, str]] = []  # `app = make_app()` at module level

    def span(self, node: Any) -> Span:
        return self.positions.span(node)

    def name_span(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> Span:
        """The span of the `name` in `def name` / `class name` (its own line)."""
        keyword = (
            "class"
            if isinstance(node, ast.ClassDef)
            else ("async def" if isinstance(node, ast.AsyncFunctionDef) else "def")
        )
        line = node.lineno
        col = self.positions.col(line, node.col_offset)
        lines = self.positions.lines
        start = col + len(keyword) + 1
        if line - 1 < len(lines):
            found = lines[line - 1].find(node.name, col + len(keyword))
            if found >= 0:
                start = found
        return Span(line, start, line, start + len(node.name))

    def source(self, node: Any) -> str:
        """The exact source text of a node."""
        start_line, start_col, end_line, end_col = msgspec.structs.astuple(self.span(node))
        lines = self.positions.lines[start_line - 1 : end_line]
        if not lines:
            return ""
        if len(lines) == 1:
            return lines[0][start_col:end_col]
        return "\n".join([lines[0][start_col:], *lines[1:-1], lines[-1][:end_col]])

    def string_key_span(self, node: ast.expr) -> Optional[Span]:
        """The span inside the quotes of a plain one-line string literal, for renames."""
        text = const_str(node)
        if text is None:
            return None
        line, col, end_line, end_col = msgspec.structs.astuple(self.span(node))
        if end_line != line or self.source(node)[1:-1] != text:
            return None
        return Span(line, col + 1, line, end_col - 1)

    def keyword_name_span(self, keyword: ast.keyword) -> Optional[Span]:
        if keyword.arg is None or not hasattr(keyword, "lineno"):
            return None
        line = keyword.lineno
        col = self.positions.col(line, keyword.col_offset)
        return Span(line, col, line, col + len(keyword.arg))

    def call_shape(self, call: ast.Call) -> CallShape:
        """Where and how a keyword can be appended to a call, for fixes."""
        end_line, end_col = self.span(call).end
        close = (end_line, end_col - 1)
        items: list[Any] = [*call.args, *call.keywords]
        items.sort(key=lambda n: (n.lineno, n.col_offset))
        if not items:
            return CallShape(close)
        last = self.span(items[-1])
        between = self._text_between(last.end, close)
        return CallShape(
            close,
            last.end,
            trailing_comma="," in between.split("#")[0],
            last_indent=_indent(self.positions.lines[last.line - 1]),
            close_indent=_indent(self.positions.lines[end_line - 1]),
            close_alone=not self.positions.lines[end_line - 1][: end_col - 1].strip(),
        )

    def _parenthesized(self, node: ast.expr) -> bool:
        """`(x)`: the node's own text is wrapped in parentheses (not a tuple's)."""
        span = self.span(node)
        before = self.positions.lines[span.line - 1][: span.col].rstrip()
        after = self.positions.lines[span.end_line - 1][span.end_col :].lstrip()
        if not (before.endswith("(") and after.startswith(")")):
            return False
        # `f(x)`: that parenthesis is the call's own, not a wrapper around x.
        head = before[:-1].rstrip()
        return head == "" or head.endswith(("(", ",", "=", "[", ":"))

    def _text_between(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        lines = self.positions.lines
        if start[0] == end[0]:
            return lines[start[0] - 1][start[1] : end[1]]
        parts = [lines[start[0] - 1][start[1] :], *lines[start[0] : end[0] - 1]]
        parts.append(lines[end[0] - 1][: end[1]])
        return "\n".join(parts)

    # -- entry point ---------------------------------------------------------

    def extract(self) -> FileFacts:
        self._all_nodes = walk_all(self.tree)
        for node in self._all_nodes:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                self._discarded.add(id(node.value))
        self._module_body(self.tree.body, conditional=False)
        self._factory_apps()
        self._analyze_reachable()
        self._scan_calls()
        return FileFacts(
            events=tuple(self.events),
            apps=tuple(self.apps),
            conf_ops=tuple(self.conf_ops),
            settings_module_defaults=tuple(self.settings_module_defaults),
            functions=self.functions,
            classes=self.classes,
            dispatches=tuple(self.dispatches),
            registrations=tuple(self.registrations),
            dynamic=self.dynamic,
        )

    def _factory_apps(self) -> None:
        """`app = create_app()`, where create_app builds, configures and returns a Celery.

        The factory's top-level statements run when the module is imported, so
        they configure the module-level app: they are read with the factory's
        local name standing for it.
        """
        for name, factory in self._factory_calls:
            function = self._function_nodes.get(factory)
            found = _returned_instance(function) if function else None
            if function is None or found is None:
                continue
            local, call = found
            module_scope = self.scope
            args = function.args
            params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
            others = (bound_names(function.body) | params) - {local}
            self.scope = module_scope.child({local: f"{self.module}.{name}"}, others)
            # Only the factory's own top-level statements certainly run.
            certain = {id(s) for s in function.body}
            certain |= {id(s.value) for s in function.body if isinstance(s, ast.Expr)}
            try:
                self._maybe_app(name, call, conditional=False)
                for node in walk_own_scope(function.body):
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                        self._conf_call(node, node.func, id(node) not in certain)
                    elif isinstance(node, ast.Assign):
                        for target in node.targets:
                            if isinstance(target, ast.Subscript):
                                self._subscript_store(target, node.value, id(node) not in certain)
                            elif isinstance(target, ast.Attribute):
                                self._attribute_store(target, node.value, id(node) not in certain)
            finally:
                self.scope = module_scope

    def _may_define_task(self, decorator: ast.expr) -> bool:
        """`@app.task`, `@shared_task(...)`, `@job` (configured): worth a body analysis."""
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        qualified = self.scope.qualify(target) or ""
        last = qualified.rsplit(".", 1)[-1]
        return (
            "task" in name.lower()
            or "task" in last.lower()
            or bool({name, last} & self.decorator_names)
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

    # -- module level --------------------------------------------------------

    def _module_body(self, body: list[ast.stmt], conditional: bool) -> None:
        for stmt in body:
            self._module_statement(stmt, conditional)

    def _module_statement(self, stmt: ast.stmt, conditional: bool) -> None:
        events = self.events
        if isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
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
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self._module_body(stmt.body, True)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                self._module_body(handler.body, True)
            self._module_body(stmt.orelse, True)  # type: ignore[attr-defined]
            self._module_body(stmt.finalbody, conditional)  # type: ignore[attr-defined]
            return
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            imported = resolve_relative(self.module, self.is_package, stmt.level, stmt.module)
            events.append(StarImport(imported, conditional))
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
            return
        if isinstance(stmt, ast.ClassDef):
            events.append(Assign(stmt.name, Unknown(self.span(stmt), "class"), conditional))
            self.classes[stmt.name] = self._class(stmt)
            return
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            self._module_assign(stmt, conditional)
            return
        if isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.target, ast.Name):
                events.append(Mutate(stmt.target.id))
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
                node = self.nodes.build(value, self.scope)
                events.append(Assign(target.id, node, conditional, self.span(target)))
                if isinstance(value, ast.Call):
                    self._maybe_app(target.id, value, conditional)
                    if isinstance(value.func, ast.Name) and not conditional:
                        self._factory_calls.append((target.id, value.func.id))
                    if self.scope.qualify(value.func) in _GET_CONTEXT:
                        self._ctx_names.add(target.id)
            elif isinstance(target, (ast.Tuple, ast.List)):
                for element in ast.walk(target):
                    if isinstance(element, ast.Name):
                        events.append(Mutate(element.id))
            elif isinstance(target, ast.Subscript):
                self._subscript_store(target, value, conditional)
            elif isinstance(target, ast.Attribute):
                self._attribute_store(target, value, conditional)

    def _subscript_store(self, target: ast.Subscript, value: ast.expr, conditional: bool) -> None:
        # app.conf['key'] = v
        base = target.value
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
                key_span = self.string_key_span(target.slice)
                self.conf_ops.append(ConfSet(receiver, span, conditional, key, node, key_span))
            return
        if self.scope.qualify(base) == "os.environ":
            if const_str(target.slice) == "DJANGO_SETTINGS_MODULE":
                self._django_default(value)
            return
        root = base
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if isinstance(root, ast.Name):
            self.events.append(Mutate(root.id))
            self._conf_key_mutation(base, conditional)

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
        else:
            self._conf_key_mutation(target, conditional)

    def _conf_key_mutation(self, expr: ast.expr, conditional: bool) -> None:
        """`app.conf.beat_schedule['x'] = ...`: that setting is no longer known."""
        chain = expr
        while isinstance(chain, (ast.Attribute, ast.Subscript)):
            inner = chain.value
            conf_attribute = isinstance(inner, ast.Attribute) and inner.attr == "conf"
            if isinstance(chain, ast.Attribute) and conf_attribute:
                assert isinstance(inner, ast.Attribute)
                receiver = self.scope.qualify(inner.value)
                if receiver:
                    span = self.span(expr)
                    self.conf_ops.append(ConfUnset(receiver, span, conditional, chain.attr))
                return
            chain = inner

    def _module_call(self, call: ast.Call, conditional: bool) -> None:
        func = call.func
        callee = self.scope.qualify(func)
        if callee in ("builtins.exec", "builtins.globals", "builtins.locals", "builtins.vars"):
            self.dynamic = True
        if callee and callee.startswith("split_settings."):
            # django-split-settings' include() assembles settings at runtime.
            self.dynamic = True
        if any(_names_this_module(arg) for arg in [*call.args, *(k.value for k in call.keywords)]):
            # `Settings.load_settings(__name__)`, `export(globals())`: a helper that is
            # handed this module can set any name in it (readthedocs does exactly that).
            self.dynamic = True
        if not isinstance(func, ast.Attribute):
            return
        if isinstance(func.value, ast.Name) and func.attr in _MUTATORS:
            self.events.append(Mutate(func.value.id))
            return
        # A mutation of a setting through app.conf: app.conf.task_routes.update(...)
        if func.attr in _MUTATORS and isinstance(func.value, ast.Attribute):
            self._conf_key_mutation(func.value, conditional)

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
        opaque = False
        for keyword in call.keywords:
            if keyword.arg is None:
                opaque = True
                continue
            kwargs[keyword.arg] = self.nodes.build(keyword.value, self.scope)
            keys[keyword.arg] = self.keyword_name_span(keyword)
        args = tuple(self.nodes.build(arg, self.scope) for arg in call.args)
        self.apps.append(
            AppCall(name, callee, self.span(call), kwargs, keys, args, opaque, conditional)
        )

    def _django_default(self, value: ast.expr) -> None:
        module = const_str(value)
        if module:
            self.settings_module_defaults.append(SettingsModuleDefault(module, self.span(value)))

    # -- calls anywhere ------------------------------------------------------

    def _scan_calls(self) -> None:
        """Conf calls, dispatches and Django defaults, wherever they appear."""
        toplevel = {id(s.value) for s in self.tree.body if isinstance(s, ast.Expr)}
        for node in self._all_nodes:
            if not isinstance(node, ast.Call):
                continue
            scope = self.scope
            callee = scope.qualify(node.func)
            if callee == "os.environ.setdefault" and len(node.args) >= 2:
                if const_str(node.args[0]) == "DJANGO_SETTINGS_MODULE":
                    self._django_default(node.args[1])
                continue
            func = node.func
            if not isinstance(func, ast.Attribute):
                continue
            conditional = id(node) not in toplevel
            self._conf_call(node, func, conditional)
            self._dispatch(node, func)

    def _conf_call(self, call: ast.Call, func: ast.Attribute, conditional: bool) -> None:
        attr = func.attr
        if attr == "update" and isinstance(func.value, ast.Attribute) and func.value.attr == "conf":
            receiver = self.scope.qualify(func.value.value)
            if not receiver:
                return
            items: dict[str, Node] = {}
            keys: dict[str, Optional[Span]] = {}
            sources = list(call.args)
            for keyword in call.keywords:
                if keyword.arg is None:
                    sources.append(keyword.value)
                else:
                    items[keyword.arg] = self.nodes.build(keyword.value, self.scope)
                    keys[keyword.arg] = self.keyword_name_span(keyword)
            mappings = tuple(self.nodes.build(source, self.scope) for source in sources)
            self.conf_ops.append(
                ConfUpdate(
                    receiver,
                    self.span(call),
                    conditional,
                    items,
                    keys,
                    mappings,
                    self.call_shape(call),
                )
            )
            return
        if attr == "config_from_object" and call.args:
            receiver = self.scope.qualify(func.value)
            if not receiver:
                return
            namespace = keyword_value(call, "namespace")
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

    def _dispatch(self, call: ast.Call, func: ast.Attribute) -> None:
        method = func.attr
        if method not in DISPATCH_METHODS and method != "send_task":
            return
        keywords = {
            keyword.arg: self.nodes.build(keyword.value, self.scope)
            for keyword in call.keywords
            if keyword.arg is not None
        }
        target: Optional[str] = None
        task_name: Optional[str] = None
        if method == "send_task":
            task_name = const_str(call.args[0]) if call.args else None
        else:
            target = self.scope.qualify(func.value)
            if method == "signature" and call.args:
                task_name = const_str(call.args[0])  # app.signature("proj.tasks.add")
        syntax = None
        if method in ("delay", "apply_async"):
            syntax = self._dispatch_syntax(call, func)
        self.dispatches.append(
            Dispatch(
                method,
                self.span(call),
                id(call) in self._discarded,
                keywords,
                target,
                task_name,
                syntax,
            )
        )

    def _dispatch_syntax(self, call: ast.Call, func: ast.Attribute) -> DispatchSyntax:
        end_line, end_col = self.span(func).end
        method_span = Span(end_line, end_col - len(func.attr), end_line, end_col)
        args = tuple(
            CallArgument(
                self.span(arg),
                self.source(arg),
                isinstance(arg, ast.Starred),
                _value_shape(arg),
                self._parenthesized(arg),
                self._outer(arg),
            )
            for arg in call.args
        )
        kwargs = tuple(
            CallKeyword(
                keyword.arg,
                self.span(keyword) if hasattr(keyword, "end_lineno") else None,
                self.source(keyword.value),
                self.span(keyword.value),
                _value_shape(keyword.value),
                self._parenthesized(keyword.value),
                self._outer(keyword.value),
            )
            for keyword in call.keywords
        )
        shape = self.call_shape(call)
        return DispatchSyntax(method_span, args, kwargs, shape, self._comments(call))

    def _outer(self, node: ast.expr) -> Optional[Span]:
        """`(x)`: the span of the value with its wrapping parentheses, for rewrites."""
        if not self._parenthesized(node):
            return None
        line, col, end_line, end_col = msgspec.structs.astuple(self.span(node))
        before = self.positions.lines[line - 1][:col].rstrip()
        after = self.positions.lines[end_line - 1][end_col:]
        close = end_col + len(after) - len(after.lstrip())
        return Span(line, len(before) - 1, end_line, close + 1)

    def _comments(self, call: ast.Call) -> Optional[tuple[tuple[int, int], ...]]:
        """Where comments sit inside the call; None if unknown: a rewrite must keep them."""
        text = self.source(call)
        if "#" not in text:
            return ()
        line, col = self.span(call).start
        try:
            return tuple(
                (line + row - 1, col + column if row == 1 else column)
                for kind, _text, (row, column), _end, _line in tokenize.generate_tokens(
                    io.StringIO(text).readline
                )
                if kind == tokenize.COMMENT
            )
        except (tokenize.TokenError, SyntaxError):
            return None

    # -- functions and classes -----------------------------------------------

    def _decorators(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ) -> tuple[Decorator, ...]:
        decorators = []
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call else decorator
            keywords = call.keywords if call else []
            kwargs = {
                k.arg: self.nodes.build(k.value, self.scope) for k in keywords if k.arg is not None
            }
            decorators.append(
                Decorator(
                    self.scope.qualify(target),
                    call is not None,
                    kwargs,
                    {
                        k.arg: self.span(k)
                        for k in keywords
                        if k.arg is not None and hasattr(k, "end_lineno")
                    },
                    len(call.args) if call else 0,
                    any(k.arg is None for k in keywords),
                    self.span(decorator),
                    self.call_shape(call) if call else None,
                )
            )
        return tuple(decorators)

    def _class(self, node: ast.ClassDef) -> ClassFacts:
        attrs: dict[str, Node] = {}
        attr_spans: dict[str, Span] = {}
        methods: dict[str, FunctionFacts] = {}
        # Only a Task subclass's methods can run as a task: bases named *Task*, or a run().
        base_names = [(self.scope.qualify(b) or "").rsplit(".", 1)[-1].lower() for b in node.bases]
        task_like = any("task" in name for name in base_names) or any(
            isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "run"
            for s in node.body
        )
        for stmt in node.body:
            targets: list[ast.expr] = []
            if isinstance(stmt, ast.Assign):
                targets = stmt.targets
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets = [stmt.target]
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods[stmt.name] = self._function(stmt, self.scope, task_like)
                attrs.pop(stmt.name, None)
                continue
            value = getattr(stmt, "value", None)
            for target in targets:
                if isinstance(target, ast.Name) and value is not None:
                    attrs[target.id] = self.nodes.build(value, self.scope)
                    attr_spans[target.id] = self.span(target)
        return ClassFacts(
            self.name_span(node),
            tuple(self.scope.qualify(base) for base in node.bases),
            any(self.scope.qualify(b) is None for b in node.bases)
            or any(k.arg == "metaclass" for k in node.keywords),
            attrs,
            attr_spans,
            methods,
            self._decorators(node),
        )

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, outer: Scope, body: bool = True
    ) -> FunctionFacts:
        """Facts of a function; `body=False` skips the body (it cannot reach a task)."""
        args = node.args
        positional = tuple(a.arg for a in [*args.posonlyargs, *args.args])
        facts = FunctionFacts(
            span=self.name_span(node),
            params=(*positional, *(a.arg for a in args.kwonlyargs)),
            positional=positional,
            kwonly=tuple(a.arg for a in args.kwonlyargs),
            vararg=args.vararg is not None,
            kwarg=args.kwarg is not None,
            is_async=isinstance(node, ast.AsyncFunctionDef),
            decorators=self._decorators(node),
            light=True,
        )
        return self._with_body(facts, node, outer) if body else facts

    def _with_body(
        self, facts: FunctionFacts, node: ast.FunctionDef | ast.AsyncFunctionDef, outer: Scope
    ) -> FunctionFacts:
        """`facts` with its body analyzed."""
        args = node.args
        body_nodes = walk_own_scope(node.body)
        local_imports: dict[str, str] = {}
        for stmt in body_nodes:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                local_imports.update(import_bindings(stmt, self.module, self.is_package))
        local_names = bound_in(body_nodes)
        local_names.update(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])
        if args.vararg:
            local_names.add(args.vararg.arg)
        if args.kwarg:
            local_names.add(args.kwarg.arg)
        scope = outer.child(local_imports, local_names)
        first = facts.positional[0] if facts.positional else None
        return msgspec.structs.replace(
            facts,
            light=False,
            returns_value=returns_value(body_nodes),
            pools=self._pool_calls(body_nodes, scope),
            calls=self._local_calls(body_nodes, first),
            waits=self._result_waits(body_nodes, scope),
            retries=self._retries(body_nodes, first),
            self_attrs=tuple(sorted(attrs_used_on(body_nodes, first))) if first else (),
        )


def _names_this_module(expr: ast.expr) -> bool:
    """`__name__`, `globals()`, `vars()`, `sys.modules[...]`: this module, handed over."""
    for node in ast.walk(expr):
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


_NAMESPACES = frozenset({"globals", "vars", "locals"})


def _returned_instance(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
) -> Optional[tuple[str, ast.Call]]:
    """(local, call) for a body that does `local = SomethingCelery(...)` ... `return local`."""
    created: dict[str, ast.Call] = {}
    for stmt in function.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call)
        ):
            func = stmt.value.func
            callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if "celery" in callee.lower():
                created[stmt.targets[0].id] = stmt.value
        elif (
            isinstance(stmt, ast.Return)
            and isinstance(stmt.value, ast.Name)
            and stmt.value.id in created
        ):
            return stmt.value.id, created[stmt.value.id]
    return None


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _value_shape(node: ast.expr) -> ValueShape:
    """What kind of value an argument is, as far as syntax tells."""
    if isinstance(node, (ast.Tuple, ast.List)):
        return "sequence"
    if isinstance(node, (ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.Set)):
        return "iterable"
    if isinstance(node, ast.Dict):
        return "dict"
    if isinstance(node, ast.Constant):
        if node.value is None:
            return "none"
        return "string" if isinstance(node.value, (str, bytes)) else "scalar"
    if isinstance(node, ast.JoinedStr):
        return "string"
    if isinstance(node, ast.Starred):
        return "starred"
    return "expression"


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
        for field in ("body", "orelse", "finalbody"):
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                break
            stack.extend(reversed(getattr(stmt, field, []) or []))
        for handler in getattr(stmt, "handlers", []) or []:
            stack.extend(reversed(handler.body))
    return out


def extract(
    tree: ast.Module,
    source: str,
    module: str,
    is_package: bool,
    task_decorators: tuple[str, ...] = (),
) -> FileFacts:
    """The facts of one parsed module."""
    return Extractor(tree, source, module, is_package, task_decorators).extract()
