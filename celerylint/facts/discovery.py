"""What a worker imports, and the task names written as strings (facts for CL602, CL605).

Celery registers a task when the worker imports its module: through
`include`/`imports`, `autodiscover_tasks()`, or a module-level import chain
from a module it imports (CELERY_FACTS.md, "Tasks"). Import statements are
recorded with the function they run in (None: when the module is imported),
so the model can follow only what runs at import time. A task named by a
string (`send_task("proj.tasks.add")`) is recorded with the string's span.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from typing import Any, Optional

from celerylint.facts.nodes import NodeBuilder, const_str, keyword_value
from celerylint.facts.schema import (
    AutodiscoverCall,
    Discovery,
    DynamicImport,
    FunctionalTask,
    ModuleImport,
    Node,
    Span,
    TaskNameUse,
)
from celerylint.facts.scope import Scope, resolve_relative
from celerylint.facts.walk import Function, TreeIndex, calls_under, walk_own_scope

# Calls that import the module named by their first argument.
_DYNAMIC_IMPORTS = frozenset(
    {
        "importlib.import_module",
        "builtins.__import__",
        "django.utils.module_loading.import_string",
        "django.utils.module_loading.autodiscover_modules",
        "celery.utils.imports.symbol_by_name",
        "celery.utils.imports.import_from_cwd",
        "kombu.utils.imports.symbol_by_name",
        "werkzeug.utils.import_string",
        "pkgutil.walk_packages",
    }
)
_FUNCTION_REFS = (ast.Name, ast.Attribute)
# Signals a worker sends as it starts, in its main process, before it consumes: what
# their handlers import registers tasks (`import_modules` is sent by the loader's
# `import_default_modules`, the others around it). Not `worker_process_init`: it runs
# in the pool's children, and the parent, which receives messages, never sees it.
_WORKER_START_SIGNALS = frozenset(
    f"celery.signals.{name}"
    for name in ("import_modules", "celeryd_init", "worker_init", "celeryd_after_setup")
)
# An app's own signals (`@app.on_after_finalize.connect`): the worker configures and
# finalizes its app as it starts.
_APP_SIGNALS = frozenset({"on_configure", "on_after_configure", "on_after_finalize"})
# Methods that name a task by their first argument (or `name=`).
_NAMING_METHODS = frozenset({"send_task", "signature", "Signature", "subtask"})
# What a call inside a function is called by, when it is one `_d_call` may record.
_RECORDED_IN_FUNCTIONS = (
    frozenset({name.rsplit(".", 1)[-1] for name in _DYNAMIC_IMPORTS} | {"autodiscover_tasks"})
    | _NAMING_METHODS
)


class DiscoveryFacts:
    """Imports, dynamic imports, autodiscovery and task names of one module."""

    # Provided by the extractor this is mixed into.
    tree: ast.Module
    module: str
    is_package: bool
    scope: Scope
    nodes: NodeBuilder
    span: Callable[[Any], Span]
    function_scope: Callable[..., Scope]
    index: TreeIndex

    def _discovery(self) -> Discovery:
        self._imports: list[ModuleImport] = []
        self._dynamic: list[DynamicImport] = []
        self._autodiscovers: list[AutodiscoverCall] = []
        self._called: set[str] = set()
        self._imported_called: set[str] = set()
        self._at_worker_start: set[str] = set()
        self._names: list[TaskNameUse] = []
        self._functional: list[FunctionalTask] = []
        self._d_recording = self._d_functions_recording()
        # Where nothing is recorded but imports, a function with no import in it is not
        # walked: most are (discovery on the 880 corpus files: 0.127 -> 0.089 s).
        self._d_importing = _with_enclosing(self.index.imports, self.index.enclosing)
        self._d_top = {id(stmt) for stmt in self.tree.body}
        self._d_body(self.tree.body, None, self.scope)
        return Discovery(
            tuple(self._imports),
            tuple(self._dynamic),
            tuple(self._autodiscovers),
            tuple(sorted(self._called)),
            tuple(self._names),
            tuple(self._functional),
            tuple(sorted(self._at_worker_start)),
            tuple(sorted(self._imported_called)),
            self._called_by_handlers(),
        )

    def _called_by_handlers(self) -> tuple[str, ...]:
        """What the module's worker-start handlers call, qualified: a function of the
        project may import anything there."""
        called: set[str] = set()
        for stmt in self.tree.body:
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if stmt.name not in self._at_worker_start:
                continue
            body = walk_own_scope(stmt.body)
            scope = self.function_scope(stmt, self.scope, body)
            for node in body:
                if type(node) is ast.Call:
                    callee = scope.qualify(node.func)
                    if callee and not callee.startswith("builtins."):
                        called.add(callee)
        return tuple(sorted(called))

    def _d_functions_recording(self) -> set[int]:
        """The functions and lambdas (by id) in whose code a call may be recorded.

        Inside a function only a dynamic import, `autodiscover_tasks()` or a method
        naming a task is: a call by one of their names, as an attribute or a name, or
        by a name one of them is imported as (`from importlib import import_module as
        im`). The calls of other functions are not walked (most functions are such).
        """
        names = set(_RECORDED_IN_FUNCTIONS)
        for statement, _ in self.index.imports:
            for alias in statement.names:
                if alias.name.rsplit(".", 1)[-1] in _RECORDED_IN_FUNCTIONS:
                    names.add(alias.asname or alias.name.split(".")[0])
        calling: list[tuple[ast.Call, Optional[Function]]] = []
        for call, function in self.index.calls:
            func = call.func
            if isinstance(func, ast.Attribute):
                called = func.attr
            elif isinstance(func, ast.Name):
                called = func.id
            else:
                continue
            if called in names:
                calling.append((call, function))
        return _with_enclosing(calling, self.index.enclosing)

    def _d_body(
        self, body: list[ast.stmt], function: Optional[str], scope: Optional[Scope]
    ) -> None:
        """`scope` None: no call here is recorded, only imports."""
        for stmt in body:
            if type(stmt) in _SIMPLE_STATEMENTS:
                self._d_nodes([stmt], function, scope)
                continue
            if isinstance(stmt, ast.If) and _is_type_checking(stmt.test):
                self._d_body(stmt.orelse, function, scope)
                continue
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._d_nodes(stmt.decorator_list, function, scope)
                if (
                    function is None
                    and scope is not None
                    and any(_connects_worker_start(d, scope) for d in stmt.decorator_list)
                ):
                    self._at_worker_start.add(stmt.name)
                inner = function or stmt.name
                self._d_scope(stmt, inner, scope)
                continue
            if isinstance(stmt, ast.ClassDef):
                self._d_nodes([*stmt.decorator_list, *stmt.bases], function, scope)
                for item in stmt.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self._d_nodes(item.decorator_list, function, scope)
                        self._d_scope(item, function or f"{stmt.name}.{item.name}", scope)
                    else:
                        self._d_body([item], function, scope)
                continue
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self._d_import(stmt, function)
                continue
            nested = [getattr(stmt, f, None) or [] for f in ("body", "orelse", "finalbody")]
            nested.extend(h.body for h in getattr(stmt, "handlers", None) or [])
            nested.extend(c.body for c in getattr(stmt, "cases", None) or [])
            if any(nested):
                for field in ast.iter_fields(stmt):
                    name, value = field
                    if name in _BLOCKS:
                        continue
                    if isinstance(value, ast.AST):
                        self._d_nodes([value], function, scope)
                    elif isinstance(value, list):
                        self._d_nodes([v for v in value if isinstance(v, ast.AST)], function, scope)
                for block in nested:
                    self._d_body(block, function, scope)
                continue
            self._d_nodes([stmt], function, scope)

    def _d_scope(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        function: str,
        outer: Optional[Scope],
    ) -> None:
        if outer is None or id(node) not in self._d_recording:
            if id(node) in self._d_importing:
                self._d_body(node.body, function, None)
            return
        scope = self.function_scope(node, outer, walk_own_scope(node.body))
        self._d_body(node.body, function, scope)

    def _d_nodes(
        self, roots: Sequence[ast.AST], function: Optional[str], scope: Optional[Scope]
    ) -> None:
        """Calls in expressions (lambdas included: they run where they are called)."""
        if scope is None:
            return
        for call in calls_under(roots):
            self._d_call(call, function, scope)

    def _d_import(self, stmt: ast.Import | ast.ImportFrom, function: Optional[str]) -> None:
        span = self.span(stmt)
        certain = function is None and id(stmt) in self._d_top
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                self._imports.append(ModuleImport(alias.name, (), function, span, certain))
            return
        base = resolve_relative(self.module, self.is_package, stmt.level, stmt.module)
        names = tuple(alias.name for alias in stmt.names if alias.name != "*")
        if base:
            self._imports.append(ModuleImport(base, names, function, span, certain))

    def _d_call(self, call: ast.Call, function: Optional[str], scope: Scope) -> None:
        func = call.func
        callee = scope.qualify(func)
        first = call.args[0] if call.args else None
        if function is None and isinstance(func, ast.Name):
            if func.id in scope.module_names:
                self._called.add(func.id)
            elif func.id in scope.imports:
                self._imported_called.add(scope.imports[func.id])
        if (
            function is None
            and isinstance(first, ast.Name)
            and first.id in scope.module_names
            and _connects_worker_start(func, scope)
        ):
            self._at_worker_start.add(first.id)  # `import_modules.connect(handler)`
        if callee in _DYNAMIC_IMPORTS:
            self._dynamic.append(DynamicImport(const_str(first), function, self.span(call)))
            return
        if isinstance(func, ast.Call) and function is None:
            # In a function it is a decorator of the project's own (a factory the
            # model follows); at import time it makes a task by itself.
            self._d_functional_task(func, call, scope)
        method = func.attr if isinstance(func, ast.Attribute) else None
        if isinstance(func, ast.Name) and callee and callee.startswith("celery."):
            method = callee.rsplit(".", 1)[-1]
        if method == "autodiscover_tasks" and isinstance(func, ast.Attribute):
            self._d_autodiscover(call, func, function, scope)
        elif method in _NAMING_METHODS:
            named = first if first is not None else keyword_value(call, "name")
            if method != "send_task" and first is None:
                named = None  # `x.signature(name=...)`: not how a task is named
            text = const_str(named)
            if text is not None and named is not None:
                receiver = scope.qualify(func.value) if isinstance(func, ast.Attribute) else callee
                self._names.append(TaskNameUse(method, receiver, text, self.span(named)))
        elif function is None and _is_maker(callee) and isinstance(first, _FUNCTION_REFS):
            # `shared_task(impl)`: a task made without a decorator, named after impl.
            self._functional.append(FunctionalTask(callee or "", None, self.span(call)))

    def _d_functional_task(self, maker: ast.Call, call: ast.Call, scope: Scope) -> None:
        """`app.task(name="x")(impl)`: the maker call applied to a function."""
        callee = scope.qualify(maker.func)
        if callee is None or not _is_maker(callee) or not call.args:
            return
        name = keyword_value(maker, "name")
        node: Optional[Node] = self.nodes.build(name, scope) if name is not None else None
        self._functional.append(FunctionalTask(callee, node, self.span(call)))

    def _d_autodiscover(
        self, call: ast.Call, func: ast.Attribute, function: Optional[str], scope: Scope
    ) -> None:
        receiver = scope.qualify(func.value)
        if receiver is None:
            return
        packages_expr = call.args[0] if call.args else keyword_value(call, "packages")
        related_expr = call.args[1] if len(call.args) > 1 else keyword_value(call, "related_name")
        lazy = False
        packages: Optional[Node] = None
        if isinstance(packages_expr, ast.Lambda) and not packages_expr.args.args:
            lazy = True
            packages_expr = packages_expr.body
        if packages_expr is not None:
            packages = self.nodes.build(packages_expr, scope)
        related = self.nodes.build(related_expr, scope) if related_expr is not None else None
        self._autodiscovers.append(
            AutodiscoverCall(receiver, packages, lazy, related, function, self.span(call))
        )


# The fields of statements that hold statements.
_BLOCKS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
# Statements with no statements in them, and not imports: only their calls matter.
_SIMPLE_STATEMENTS = frozenset(
    cls
    for cls in ast.stmt.__subclasses__()
    if not _BLOCKS & set(cls._fields) and cls not in (ast.Import, ast.ImportFrom)
)


def _with_enclosing(
    found: Sequence[tuple[ast.AST, Optional[Function]]], enclosing: dict[int, Optional[Function]]
) -> set[int]:
    """The ids of the functions that `found` nodes are in (with the function they are
    in, None: the module), and of the functions around those."""
    functions: set[int] = set()
    for _, function in found:
        while function is not None and id(function) not in functions:
            functions.add(id(function))
            function = enclosing[id(function)]
    return functions


def _is_maker(callee: Optional[str]) -> bool:
    """`app.task` or `shared_task`, as far as a name tells (the model decides)."""
    return bool(callee) and (callee.endswith(".task") or callee.endswith("shared_task"))  # type: ignore[union-attr]


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _connects_worker_start(expr: ast.expr, scope: Scope) -> bool:
    """`signal.connect` or `signal.connect(...)` (a decorator, or the callee of a call)
    for a signal the worker sends as it starts."""
    target = expr.func if isinstance(expr, ast.Call) else expr
    if not isinstance(target, ast.Attribute) or target.attr != "connect":
        return False
    signal = target.value
    if isinstance(signal, ast.Attribute) and signal.attr in _APP_SIGNALS:
        return True
    return scope.qualify(signal) in _WORKER_START_SIGNALS
