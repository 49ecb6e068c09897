"""Functions and classes: signatures, decorators, class attributes, analyzed bodies."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Optional

import msgspec

from celerylint.facts.app_classes import conf_writes
from celerylint.facts.bodies import BodyAnalysis, attrs_used_on, returns_value
from celerylint.facts.guards import lifted
from celerylint.facts.layout import Layout
from celerylint.facts.nodes import NodeBuilder
from celerylint.facts.schema import (
    ClassFacts,
    Decorator,
    FunctionFacts,
    MakerCall,
    Node,
    Span,
    TaskFactory,
    Unknown,
)
from celerylint.facts.scope import Scope, import_bindings
from celerylint.facts.settings_classes import exporters
from celerylint.facts.walk import TreeIndex, bound_in, walk_all, walk_own_scope

_PARTIAL = frozenset({"functools.partial"})
_CALLS_AND_FUNCTIONS = frozenset({ast.Call, ast.FunctionDef, ast.AsyncFunctionDef})
_YIELDS = frozenset({ast.Yield, ast.YieldFrom})


# The methods that run when a class decorates: `@C` makes an instance, `@C(...)` then
# calls it; a dataclass's `__init__` calls `__post_init__`; a descriptor's `__get__`.
_DECORATION_METHODS = frozenset({"__new__", "__init__", "__post_init__", "__call__", "__get__"})


def _decorating_methods(
    node: ast.ClassDef,
) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The methods of a class that run when it is used as a decorator: those of
    `_DECORATION_METHODS` and the methods they reach through `self.x` or `cls.x`.
    A method nothing of those reaches (`Celery.task`, say) makes no task at `@C`."""
    methods = {
        s.name: s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    reached = [name for name in methods if name in _DECORATION_METHODS]
    seen = set(reached)
    while reached:
        method = methods[reached.pop()]
        params = method.args.posonlyargs + method.args.args
        owner = {params[0].arg} if params else set()
        for inner in walk_all(method):
            if (
                type(inner) is ast.Attribute
                and type(inner.value) is ast.Name
                and inner.value.id in owner
                and inner.attr in methods
                and inner.attr not in seen
            ):
                seen.add(inner.attr)
                reached.append(inner.attr)
    return [method for name, method in methods.items() if name in seen]


class Definitions(BodyAnalysis):
    """Facts of `def` and `class` statements."""

    # Provided by the extractor this is mixed into.
    module: str
    is_package: bool
    layout: Layout
    nodes: NodeBuilder
    decorator_names: frozenset[str]
    _lines: list[str]
    _maker_hints: tuple[str, ...]
    _source_mentions_setattr: bool  # a settings class may export itself (`exporters`)
    # Each function's scope by the def node's id, with the outer scope it was made in:
    # discovery, dispatches and definitions each ask for every function's scope.
    _function_scopes: dict[int, tuple[Scope, Scope]]
    index: TreeIndex

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

    def _may_make_tasks(self, callee: Optional[str]) -> bool:
        """A callee named like a task decorator (`shared_task`, `app.task`, `retrying_task`)."""
        last = (callee or "").rsplit(".", 1)[-1]
        return "task" in last.lower() or last in self.decorator_names

    def _maker_call(
        self, call: ast.Call, maker: str, scope: Scope, forwarded: Optional[str]
    ) -> MakerCall:
        """`maker(...)` with its keywords; `**<forwarded>` passes on the use site's keywords."""
        unpacked = [k.value for k in call.keywords if k.arg is None]
        passes_on = [isinstance(v, ast.Name) and v.id == forwarded for v in unpacked]
        return MakerCall(
            maker,
            {k.arg: self.nodes.build(k.value, scope) for k in call.keywords if k.arg is not None},
            {k.arg: self.span(k) for k in call.keywords if k.arg is not None},
            self.span(call),
            any(passes_on),
            not all(passes_on),
        )

    def _ready_factory(self, call: ast.Call) -> Optional[TaskFactory]:
        """`x = shared_task(...)`, `x = app.task(...)`, `x = partial(shared_task, ...)`."""
        callee = self.scope.qualify(call.func)
        if callee in _PARTIAL:
            maker = self.scope.qualify(call.args[0]) if len(call.args) == 1 else None
            if maker is None or not self._may_make_tasks(maker):
                return None
            made = self._maker_call(call, maker, self.scope, None)
            made = msgspec.structs.replace(made, forwards=True)  # a partial passes keywords on
            return TaskFactory("partial", (made,), span=self.span(call))
        if callee is None or call.args or not self._may_make_tasks(callee):
            return None
        made = self._maker_call(call, callee, self.scope, None)
        return TaskFactory("ready", (made,), span=self.span(call))

    def _wrapper_factory(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ) -> Optional[TaskFactory]:
        """A project decorator (function or class) whose code calls task decorators.

        A function's keywords reach the calls that pass on its `**kwargs`; how
        a class hands its options on (through `self`) is not followed: the
        options of the tasks it makes are unknown.
        """
        if not self._may_call_makers(node):
            return None
        if isinstance(node, ast.ClassDef):
            functions = _decorating_methods(node)
            init = next((f for f in functions if f.name == "__init__"), None)
            params = _param_names(init)[1:] if init else ()
            forwarded = None
        else:
            if not self._may_decorate(node):
                return None
            functions = [node]
            params = _param_names(node)
            forwarded = node.args.kwarg.arg if node.args.kwarg else None
        calls: list[MakerCall] = []
        stack = [(function, self.scope) for function in functions]
        while stack:
            function, outer = stack.pop()
            nodes = walk_own_scope(function.body)
            scope = self.function_scope(function, outer, nodes)
            for inner in nodes:
                if type(inner) not in _CALLS_AND_FUNCTIONS:
                    continue
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    stack.append((inner, scope))
                    calls.extend(self._decorator_calls(inner, scope, forwarded))
                elif isinstance(inner, ast.Call):
                    func = inner.func
                    # `x.m()` qualifies to a name ending in m, if any: callees qualified on
                    # the corpus 34,340 -> 13,836 (this loop 0.118 -> 0.100 s).
                    if isinstance(func, ast.Attribute) and not self._may_make_tasks(func.attr):
                        continue
                    callee = scope.qualify(func)
                    if callee is not None and self._may_make_tasks(callee):
                        calls.append(self._maker_call(inner, callee, scope, forwarded))
        if not calls:
            return None
        if isinstance(node, ast.ClassDef):
            calls = [msgspec.structs.replace(c, opaque=True) for c in calls]
        return TaskFactory("wrapper", tuple(calls), params, self.layout.name_span(node))

    def _may_decorate(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """A function used as `@f` binds the decorated name to what it returns: one that
        returns nothing (None, a generator, a coroutine) leaves no task there, and a
        pytest fixture cannot be called at all. Test suites define mock tasks in such
        fixtures; taken for factories, every module naming them was read and parsed
        (treeherder)."""
        if isinstance(node, ast.AsyncFunctionDef):
            return False
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if self.scope.qualify(target) == "pytest.fixture":
                return False
        nodes = walk_own_scope(node.body)
        if any(type(inner) in _YIELDS for inner in nodes):
            return False
        return any(
            type(inner) is ast.Return
            and inner.value is not None
            and not (type(inner.value) is ast.Constant and inner.value.value is None)
            for inner in nodes
        )

    def _may_call_makers(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
        """The text of `node` may call a task decorator: `_may_make_tasks` only accepts a
        callee whose last name says `task`, is a configured decorator, or is imported under
        one of `_maker_hints`, and each of those is written in the text. Most functions are
        ruled out without a walk (13% of extraction on saleor)."""
        text = "\n".join(self._lines[node.lineno - 1 : node.end_lineno])
        return "task" in text.lower() or any(hint in text for hint in self._maker_hints)

    def _decorator_calls(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope, forwarded: Optional[str]
    ) -> list[MakerCall]:
        """`@shared_task(**kw)` on a function defined inside a wrapper: evaluated outside it."""
        found = []
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            callee = scope.qualify(target)
            if callee is None or not self._may_make_tasks(callee):
                continue
            if isinstance(decorator, ast.Call):
                found.append(self._maker_call(decorator, callee, scope, forwarded))
            else:
                found.append(MakerCall(callee, {}, {}, self.span(decorator), False, False))
        return found

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
                    tuple(self.nodes.build(k.value, self.scope) for k in keywords if k.arg is None),
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
        # An import guard that always passes where Celery runs (`guards`): what it runs.
        body = lifted(node.body)
        scope = self._class_scope(body)
        for stmt in body:
            targets: list[ast.expr] = []
            if isinstance(stmt, ast.Assign):
                targets = stmt.targets
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets = [stmt.target]
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods[stmt.name] = self._function(stmt, self.scope, task_like)
                attrs.pop(stmt.name, None)
                continue
            if type(stmt) in _BLOCKS:
                # `try: ... else: task_ignore_result = True` (OSF's CeleryConfig): which
                # of a block's assignments ran cannot be told.
                for name, span in _assigned_in_block(stmt, self.span):
                    attrs[name] = Unknown(span, "set in a block of the class body")
                    attr_spans[name] = span
                continue
            value = getattr(stmt, "value", None)
            for target in targets:
                if isinstance(target, ast.Name) and value is not None:
                    attrs[target.id] = self.nodes.build(value, scope)
                    attr_spans[target.id] = self.span(target)
        return ClassFacts(
            self.layout.name_span(node),
            tuple(self.scope.qualify(base) for base in node.bases),
            any(self.scope.qualify(b) is None for b in node.bases)
            or any(k.arg == "metaclass" for k in node.keywords),
            attrs,
            attr_spans,
            methods,
            self._decorators(node),
            conf_writes(node) if any("celery" in name for name in base_names) else (),
            exporters(node) if self._source_mentions_setattr else (),
        )

    def _class_scope(self, body: list[ast.stmt]) -> Scope:
        """The names a class body's statements see: the module's, and what the body imports
        itself (`Queue` in `task_queues = (Queue(...),)` after a guard's `from kombu import
        Queue`)."""
        imported = {
            local: qualified
            for stmt in body
            if isinstance(stmt, (ast.Import, ast.ImportFrom))
            for local, qualified in import_bindings(stmt, self.module, self.is_package)
        }
        return self.scope.child(imported, set(imported)) if imported else self.scope

    def function_scope(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda,
        outer: Scope,
        body_nodes: list[ast.AST],
    ) -> Scope:
        """The names inside a function: its parameters, its locals, its own imports."""
        known = self._function_scopes.get(id(node))
        if known is not None and known[0] is outer:
            return known[1]
        args = node.args
        local_names = set(bound_in(body_nodes))
        local_names.update(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])
        if args.vararg:
            local_names.add(args.vararg.arg)
        if args.kwarg:
            local_names.add(args.kwarg.arg)
        imported = {}
        if id(node) in self.index.importing:
            imported = local_imports(body_nodes, self.module, self.is_package)
        scope = outer.child(imported, local_names)
        self._function_scopes[id(node)] = (outer, scope)
        return scope

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, outer: Scope, body: bool = True
    ) -> FunctionFacts:
        """Facts of a function; `body=False` skips the body (it cannot reach a task)."""
        args = node.args
        positional = tuple(a.arg for a in [*args.posonlyargs, *args.args])
        facts = FunctionFacts(
            span=self.layout.name_span(node),
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
        body_nodes = walk_own_scope(node.body)
        scope = self.function_scope(node, outer, body_nodes)
        first = facts.positional[0] if facts.positional else None
        calls = [inner for inner in body_nodes if type(inner) is ast.Call]
        return msgspec.structs.replace(
            facts,
            light=False,
            returns_value=returns_value(body_nodes),
            pools=self._pool_calls(body_nodes, calls, scope),
            calls=self._local_calls(calls, first),
            waits=self._result_waits(body_nodes, calls, scope),
            retries=self._retries(body_nodes, first, scope, node.name),
            self_attrs=tuple(sorted(attrs_used_on(body_nodes, first))) if first else (),
        )


def local_imports(nodes: list[ast.AST], module: str, is_package: bool) -> dict[str, str]:
    """What names imported inside one function scope refer to, where that is certain.

    `try: from a import t` / `except ImportError: t = None` still makes `t` the
    imported object wherever it can be used; two imports of different objects
    under one name, or any other assignment to it, make it a plain local.
    """
    targets: dict[str, set[str]] = {}
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for local, qualified in import_bindings(node, module, is_package):
                targets.setdefault(local, set()).add(qualified)
    if not targets:
        return {}
    fallbacks = {
        id(target)
        for node in nodes
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and node.value.value is None
        for target in node.targets
    }
    rebound: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            if id(node) not in fallbacks:
                rebound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            rebound.add(node.name)
        elif isinstance(node, ast.ExceptHandler):
            rebound.add(node.name or "")
    return {
        local: next(iter(found))
        for local, found in targets.items()
        if len(found) == 1 and local not in rebound
    }


def _param_names(node: Optional[ast.FunctionDef | ast.AsyncFunctionDef]) -> tuple[str, ...]:
    if node is None:
        return ()
    args = node.args
    return tuple(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])


# The compound statements of a class body whose assignments may or may not run.
_BLOCKS = frozenset(
    {ast.If, ast.Try, ast.With, ast.For, ast.While}
    | {getattr(ast, name) for name in ("TryStar", "Match") if hasattr(ast, name)}
)


def _assigned_in_block(block: ast.stmt, span: Callable[[ast.AST], Span]) -> list[tuple[str, Span]]:
    """The names a class body's block binds, not entering functions or classes."""
    found: list[tuple[str, Span]] = []
    for node in walk_own_scope([block]):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            found.append((node.id, span(node)))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append((node.name, span(node)))
    return found
