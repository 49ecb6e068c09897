"""Per-file extraction: Python source -> plain, JSON-able facts.

Nothing here knows about other files. Everything a rule may point at carries
a span; everything a rule may reason about is an IR node (`facts.values`) so
that values defined elsewhere (star imports, imported constants) can be
resolved later by the project model. The output is cached by content hash.
"""

from __future__ import annotations

import ast
from typing import Any, Optional

from celerylint.facts.bodies import (
    _GET_CONTEXT,
    BodyAnalysis,
    attrs_used_on,
    returns_value,
)
from celerylint.facts.nodes import NodeBuilder, Positions, const_str, keyword_value
from celerylint.facts.scope import Scope, import_bindings, resolve_relative
from celerylint.facts.walk import bound_in, bound_names, walk_all, walk_own_scope

FACTS_VERSION = 12

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
        self.facts: dict[str, Any] = {
            "v": FACTS_VERSION,
            "events": [],
            "apps": [],
            "conf_ops": [],
            "django_settings": [],
            "functions": {},
            "classes": {},
            "dispatches": [],
            "register_task": [],
            "dynamic": False,
        }
        self._discarded: set[int] = set()
        self._ctx_names: set[str] = set()
        self._function_nodes: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self._factory_calls: list[tuple[str, str]] = []  # `app = make_app()` at module level

    def span(self, node: Any) -> list[int]:
        return self.positions.span(node)

    def name_span(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[int]:
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
        return [line, start, line, start + len(node.name)]

    def source(self, node: Any) -> str:
        """The exact source text of a node."""
        start_line, start_col, end_line, end_col = self.span(node)
        lines = self.positions.lines[start_line - 1 : end_line]
        if not lines:
            return ""
        if len(lines) == 1:
            return lines[0][start_col:end_col]
        return "\n".join([lines[0][start_col:], *lines[1:-1], lines[-1][:end_col]])

    def string_key_span(self, node: ast.expr) -> Optional[list[int]]:
        """The span inside the quotes of a plain one-line string literal, for renames."""
        text = const_str(node)
        if text is None:
            return None
        line, col, end_line, end_col = self.span(node)
        if end_line != line or self.source(node)[1:-1] != text:
            return None
        return [line, col + 1, line, end_col - 1]

    def keyword_name_span(self, keyword: ast.keyword) -> Optional[list[int]]:
        if keyword.arg is None or not hasattr(keyword, "lineno"):
            return None
        line = keyword.lineno
        col = self.positions.col(line, keyword.col_offset)
        return [line, col, line, col + len(keyword.arg)]

    def call_shape(self, call: ast.Call) -> dict[str, Any]:
        """Where and how a keyword can be appended to a call, for fixes."""
        end_line, end_col = self.span(call)[2:]
        items: list[Any] = [*call.args, *call.keywords]
        items.sort(key=lambda n: (n.lineno, n.col_offset))
        shape: dict[str, Any] = {"close": [end_line, end_col - 1], "last": None}
        if items:
            last = items[-1]
            last_end = self.span(last)[2:]
            between = self._text_between(last_end, [end_line, end_col - 1])
            shape["last"] = last_end
            shape["trailing_comma"] = "," in between.split("#")[0]
            shape["last_indent"] = _indent(self.positions.lines[self.span(last)[0] - 1])
            shape["close_indent"] = _indent(self.positions.lines[end_line - 1])
            shape["close_alone"] = not self.positions.lines[end_line - 1][: end_col - 1].strip()
        return shape

    def _parenthesized(self, node: ast.expr) -> bool:
        """`(x)`: the node's own text is wrapped in parentheses (not a tuple's)."""
        line, col, end_line, end_col = self.span(node)
        before = self.positions.lines[line - 1][:col].rstrip()
        after = self.positions.lines[end_line - 1][end_col:].lstrip()
        if not (before.endswith("(") and after.startswith(")")):
            return False
        # `f(x)`: that parenthesis is the call's own, not a wrapper around x.
        head = before[:-1].rstrip()
        return head == "" or head.endswith(("(", ",", "=", "[", ":"))

    def _text_between(self, start: list[int], end: list[int]) -> str:
        lines = self.positions.lines
        if start[0] == end[0]:
            return lines[start[0] - 1][start[1] : end[1]]
        parts = [lines[start[0] - 1][start[1] :], *lines[start[0] : end[0] - 1]]
        parts.append(lines[end[0] - 1][: end[1]])
        return "\n".join(parts)

    # -- entry point ---------------------------------------------------------

    def extract(self) -> dict[str, Any]:
        self._all_nodes = walk_all(self.tree)
        for node in self._all_nodes:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                self._discarded.add(id(node.value))
        self._module_body(self.tree.body, conditional=False)
        self._factory_apps()
        self._analyze_reachable()
        self._scan_calls()
        return self.facts

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
        functions = self.facts["functions"]
        pending = [f for f in functions.values() if not f["light"]]
        for cls in self.facts["classes"].values():
            pending.extend(m for m in cls["methods"].values() if not m["light"])
        while pending:
            current = pending.pop()
            for kind, name, _span in current["calls"]:
                target = functions.get(name) if kind == "f" else None
                if target is not None and target["light"]:
                    node = self._function_nodes[name]
                    target.update(self._body(node, self.scope, target["positional"]))
                    target["light"] = False
                    pending.append(target)

    # -- module level --------------------------------------------------------

    def _module_body(self, body: list[ast.stmt], conditional: bool) -> None:
        for stmt in body:
            self._module_statement(stmt, conditional)

    def _module_statement(self, stmt: ast.stmt, conditional: bool) -> None:
        events = self.facts["events"]
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
                events.append(
                    ["assign", name.id, ["u", self.span(stmt), "type alias"], conditional]
                )
            return
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self._module_body(stmt.body, True)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                self._module_body(handler.body, True)
            self._module_body(stmt.orelse, True)  # type: ignore[attr-defined]
            self._module_body(stmt.finalbody, conditional)  # type: ignore[attr-defined]
            return
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            target = resolve_relative(self.module, self.is_package, stmt.level, stmt.module)
            events.append(["star", target, conditional])
            return
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for local, qualified in import_bindings(stmt, self.module, self.is_package):
                events.append(["assign", local, ["ref", self.span(stmt), qualified], conditional])
            return
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            events.append(["assign", stmt.name, ["u", self.span(stmt), "function"], conditional])
            analyze = any(self._may_define_task(d) for d in stmt.decorator_list)
            self.facts["functions"][stmt.name] = self._function(stmt, self.scope, analyze)
            self._function_nodes[stmt.name] = stmt
            return
        if isinstance(stmt, ast.ClassDef):
            events.append(["assign", stmt.name, ["u", self.span(stmt), "class"], conditional])
            self.facts["classes"][stmt.name] = self._class(stmt)
            return
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            self._module_assign(stmt, conditional)
            return
        if isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.target, ast.Name):
                events.append(["mutate", stmt.target.id])
            return
        if isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    events.append(["mutate", target.id])
            return
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            self._module_call(stmt.value, conditional)

    def _module_assign(self, stmt: ast.Assign | ast.AnnAssign, conditional: bool) -> None:
        events = self.facts["events"]
        value = stmt.value
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if value is None:
            return
        for target in targets:
            if isinstance(target, ast.Name):
                node = self.nodes.build(value, self.scope)
                events.append(["assign", target.id, node, conditional, self.span(target)])
                if isinstance(value, ast.Call):
                    self._maybe_app(target.id, value, conditional)
                    if isinstance(value.func, ast.Name) and not conditional:
                        self._factory_calls.append((target.id, value.func.id))
                    if self.scope.qualify(value.func) in _GET_CONTEXT:
                        self._ctx_names.add(target.id)
            elif isinstance(target, (ast.Tuple, ast.List)):
                for element in ast.walk(target):
                    if isinstance(element, ast.Name):
                        events.append(["mutate", element.id])
            elif isinstance(target, ast.Subscript):
                self._subscript_store(target, value, conditional)
            elif isinstance(target, ast.Attribute):
                self._attribute_store(target, value, conditional)

    def _subscript_store(self, target: ast.Subscript, value: ast.expr, conditional: bool) -> None:
        # app.conf['key'] = v
        base = target.value
        if isinstance(base, ast.Attribute) and base.attr == "conf":
            receiver = self.scope.qualify(base.value)
            key = const_str(target.slice)  # type: ignore[arg-type]
            if receiver:
                self._conf_op(
                    "set" if key is not None else "opaque",
                    receiver,
                    target,
                    conditional,
                    key=key,
                    node=self.nodes.build(value, self.scope),
                    key_span=self.string_key_span(target.slice),  # type: ignore[arg-type]
                )
            return
        if self.scope.qualify(base) == "os.environ":
            if const_str(target.slice) == "DJANGO_SETTINGS_MODULE":  # type: ignore[arg-type]
                self._django_default(value)
            return
        root = base
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if isinstance(root, ast.Name):
            self.facts["events"].append(["mutate", root.id])
            self._conf_key_mutation(base, conditional)

    def _attribute_store(self, target: ast.Attribute, value: ast.expr, conditional: bool) -> None:
        # app.conf.key = v  /  app.conf = {...}
        if isinstance(target.value, ast.Attribute) and target.value.attr == "conf":
            receiver = self.scope.qualify(target.value.value)
            if receiver:
                end_line, end_col = self.span(target)[2:]
                self._conf_op(
                    "set",
                    receiver,
                    target,
                    conditional,
                    key=target.attr,
                    node=self.nodes.build(value, self.scope),
                    key_span=[end_line, end_col - len(target.attr), end_line, end_col],
                )
        elif target.attr == "conf":
            receiver = self.scope.qualify(target.value)
            if receiver:
                self._conf_op("opaque", receiver, target, conditional)
        else:
            self._conf_key_mutation(target, conditional)

    def _conf_key_mutation(self, expr: ast.expr, conditional: bool) -> None:
        """`app.conf.beat_schedule['x'] = ...`: that setting is no longer known."""
        chain = expr
        while isinstance(chain, (ast.Attribute, ast.Subscript)):
            inner = chain.value
            conf_attribute = isinstance(inner, ast.Attribute) and inner.attr == "conf"
            if isinstance(chain, ast.Attribute) and conf_attribute:
                receiver = self.scope.qualify(inner.value)  # type: ignore[attr-defined]
                if receiver:
                    self._conf_op("unset", receiver, expr, conditional, key=chain.attr)
                return
            chain = inner

    def _module_call(self, call: ast.Call, conditional: bool) -> None:
        func = call.func
        callee = self.scope.qualify(func)
        if callee in ("builtins.exec", "builtins.globals", "builtins.locals", "builtins.vars"):
            self.facts["dynamic"] = True
        if callee and callee.startswith("split_settings."):
            # django-split-settings' include() assembles settings at runtime.
            self.facts["dynamic"] = True
        if any(_names_this_module(arg) for arg in [*call.args, *(k.value for k in call.keywords)]):
            # `Settings.load_settings(__name__)`, `export(globals())`: a helper that is
            # handed this module can set any name in it (readthedocs does exactly that).
            self.facts["dynamic"] = True
        if not isinstance(func, ast.Attribute):
            return
        if isinstance(func.value, ast.Name) and func.attr in _MUTATORS:
            self.facts["events"].append(["mutate", func.value.id])
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
        kwargs: dict[str, list] = {}
        keys: dict[str, Optional[list[int]]] = {}
        opaque = False
        for keyword in call.keywords:
            if keyword.arg is None:
                opaque = True
                continue
            kwargs[keyword.arg] = self.nodes.build(keyword.value, self.scope)
            keys[keyword.arg] = self.keyword_name_span(keyword)
        args = [self.nodes.build(arg, self.scope) for arg in call.args]
        self.facts["apps"].append(
            {
                "var": name,
                "callee": callee,
                "span": self.span(call),
                "kwargs": kwargs,
                "keys": keys,
                "args": args,
                "opaque": opaque,
                "conditional": conditional,
            }
        )

    def _conf_op(
        self,
        kind: str,
        receiver: str,
        where: ast.AST,
        conditional: bool,
        key: Optional[str] = None,
        **extra: Any,
    ) -> None:
        op: dict[str, Any] = {
            "kind": kind,
            "recv": receiver,
            "span": self.span(where),
            "cond": conditional,
        }
        if key is not None:
            op["key"] = key
        op.update(extra)
        self.facts["conf_ops"].append(op)

    def _django_default(self, value: ast.expr) -> None:
        module = const_str(value)
        if module:
            self.facts["django_settings"].append([module, self.span(value)])

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
            items: dict[str, list] = {}
            keys: dict[str, Optional[list[int]]] = {}
            sources = list(call.args)
            for keyword in call.keywords:
                if keyword.arg is None:
                    sources.append(keyword.value)
                else:
                    items[keyword.arg] = self.nodes.build(keyword.value, self.scope)
                    keys[keyword.arg] = self.keyword_name_span(keyword)
            extra_nodes = [self.nodes.build(source, self.scope) for source in sources]
            self._conf_op(
                "update",
                receiver,
                call,
                conditional,
                items=items,
                keys=keys,
                maps=extra_nodes,
                shape=self.call_shape(call),
            )
            return
        if attr == "config_from_object" and call.args:
            receiver = self.scope.qualify(func.value)
            if not receiver:
                return
            namespace = keyword_value(call, "namespace")
            self._conf_op(
                "cfo",
                receiver,
                call,
                conditional,
                obj=self.nodes.build(call.args[0], self.scope),
                namespace=self.nodes.build(namespace, self.scope) if namespace else None,
            )
            return
        if attr in ("config_from_envvar", "add_defaults", "config_from_cmdline"):
            receiver = self.scope.qualify(func.value)
            if receiver:
                self._conf_op("opaque", receiver, call, conditional)
            return
        if attr in ("register_task", "register") and call.args:
            receiver = func.value
            if attr == "register":
                if not (isinstance(receiver, ast.Attribute) and receiver.attr == "tasks"):
                    return
                receiver = receiver.value
            target = call.args[0]
            if isinstance(target, ast.Call):
                target = target.func
            recv_name = self.scope.qualify(receiver)
            cls_name = self.scope.qualify(target)
            if recv_name and cls_name:
                self.facts["register_task"].append(
                    {"recv": recv_name, "cls": cls_name, "span": self.span(call)}
                )

    def _dispatch(self, call: ast.Call, func: ast.Attribute) -> None:
        method = func.attr
        if method not in DISPATCH_METHODS and method != "send_task":
            return
        record: dict[str, Any] = {
            "m": method,
            "span": self.span(call),
            "usage": "discarded" if id(call) in self._discarded else "used",
            "kw": {},
        }
        for keyword in call.keywords:
            if keyword.arg is not None:
                record["kw"][keyword.arg] = self.nodes.build(keyword.value, self.scope)
        if method in ("delay", "apply_async"):
            end_line, end_col = self.span(func)[2:]
            record["method_span"] = [end_line, end_col - len(method), end_line, end_col]
            record["args"] = [
                {
                    "span": self.span(arg),
                    "src": self.source(arg),
                    "starred": isinstance(arg, ast.Starred),
                    "shape": _value_shape(arg),
                    "wrapped": self._parenthesized(arg),
                }
                for arg in call.args
            ]
            record["kwargs"] = [
                {
                    "name": keyword.arg,
                    "span": self.span(keyword) if hasattr(keyword, "end_lineno") else None,
                    "src": self.source(keyword.value),
                    "value_span": self.span(keyword.value),
                    "shape": _value_shape(keyword.value),
                    "wrapped": self._parenthesized(keyword.value),
                }
                for keyword in call.keywords
            ]
            # `(x)`: the span of the value with its wrapping parentheses, for rewrites.
            for item in [*record["args"], *record["kwargs"]]:
                if item["wrapped"]:
                    key = "value_span" if "value_span" in item else "span"
                    line, col, end_line, end_col = item[key]
                    before = self.positions.lines[line - 1][:col].rstrip()
                    after = self.positions.lines[end_line - 1][end_col:]
                    close = end_col + len(after) - len(after.lstrip())
                    item["outer"] = [line, len(before) - 1, end_line, close + 1]
            record["shape"] = self.call_shape(call)
            # Where comments sit inside the call ([line, col] each; None if unknown): a
            # rewrite must keep them.
            text = self.source(call)
            comments: Optional[list[list[int]]] = []
            if "#" in text:
                import io
                import tokenize

                line, col = self.span(call)[:2]
                try:
                    comments = [
                        [line + row - 1, col + column if row == 1 else column]
                        for kind, _text, (row, column), _end, _line in tokenize.generate_tokens(
                            io.StringIO(text).readline
                        )
                        if kind == tokenize.COMMENT
                    ]
                except (tokenize.TokenError, SyntaxError):
                    comments = None
            record["comments"] = comments
        if method == "send_task":
            record["name"] = const_str(call.args[0]) if call.args else None
        else:
            record["t"] = self.scope.qualify(func.value)
            if method == "signature" and call.args and const_str(call.args[0]):
                record["name"] = const_str(call.args[0])  # app.signature("proj.tasks.add")
        self.facts["dispatches"].append(record)

    # -- functions and classes -----------------------------------------------

    def _decorators(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list:
        decorators = []
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call else decorator
            kwargs: dict[str, list] = {}
            opaque = False
            if call:
                for keyword in call.keywords:
                    if keyword.arg is None:
                        opaque = True
                    else:
                        kwargs[keyword.arg] = self.nodes.build(keyword.value, self.scope)
            decorators.append(
                {
                    "q": self.scope.qualify(target),
                    "called": call is not None,
                    "kwargs": kwargs,
                    "kwspans": {
                        k.arg: self.span(k)
                        for k in (call.keywords if call else [])
                        if k.arg is not None and hasattr(k, "end_lineno")
                    },
                    "nargs": len(call.args) if call else 0,
                    "opaque": opaque,
                    "span": self.span(decorator),
                    "shape": self.call_shape(call) if call else None,
                }
            )
        return decorators

    def _class(self, node: ast.ClassDef) -> dict[str, Any]:
        attrs: dict[str, list] = {}
        attr_spans: dict[str, list[int]] = {}
        methods: dict[str, Any] = {}
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
        return {
            "span": self.name_span(node),
            "bases": [self.scope.qualify(base) for base in node.bases],
            "opaque_bases": any(self.scope.qualify(b) is None for b in node.bases)
            or any(k.arg == "metaclass" for k in node.keywords),
            "attrs": attrs,
            "attr_spans": attr_spans,
            "methods": methods,
            "decorators": self._decorators(node),
        }

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, outer: Scope, body: bool = True
    ) -> dict[str, Any]:
        """Facts of a function; `body=False` skips the body (it cannot reach a task).

        Without a body analysis `returns_value` is True: rules that need a
        function to return nothing then stay silent.
        """
        args = node.args
        params = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
        positional = [a.arg for a in [*args.posonlyargs, *args.args]]
        facts: dict[str, Any] = {
            "span": self.name_span(node),
            "params": params,
            "positional": positional,
            "kwonly": [a.arg for a in args.kwonlyargs],
            "vararg": args.vararg is not None,
            "kwarg": args.kwarg is not None,
            "async": isinstance(node, ast.AsyncFunctionDef),
            "decorators": self._decorators(node),
            "light": not body,
            "returns_value": True,
            "pools": [],
            "calls": [],
            "waits": [],
            "retries": [],
            "self_attrs": [],
        }
        if body:
            facts.update(self._body(node, outer, positional))
        return facts

    def _body(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, outer: Scope, positional: list[str]
    ) -> dict[str, Any]:
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
        first = positional[0] if positional else None
        return {
            "returns_value": returns_value(body_nodes),
            "pools": self._pool_calls(body_nodes, scope),
            "calls": self._local_calls(body_nodes, first),
            "waits": self._result_waits(body_nodes, scope),
            "retries": self._retries(body_nodes, first),
            "self_attrs": sorted(attrs_used_on(body_nodes, first)) if first else [],
        }


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


def _value_shape(node: ast.expr) -> str:
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
) -> dict[str, Any]:
    """The facts of one parsed module."""
    return Extractor(tree, source, module, is_package, task_decorators).extract()
