"""Function-body analysis: process pools, result waits, retries, local calls.

Mixed into the extractor: it needs the file's positions (`span`), its
module-level scope, and the module-level names bound to
`multiprocessing.get_context(...)`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, Literal, Optional

from celerylint.facts.nodes import NodeBuilder, keyword_value, unpacks
from celerylint.facts.schema import LocalCall, PoolCreation, ResultWait, RetryCall, Span
from celerylint.facts.scope import Scope
from celerylint.facts.walk import walk_all

_RESULT_METHODS = frozenset({"delay", "apply_async", "send_task"})
_WAIT_METHODS = frozenset({"get", "join", "join_native", "wait"})
POOL_FACTORIES = frozenset(
    {
        "multiprocessing.Pool",
        "multiprocessing.Process",
        "multiprocessing.pool.Pool",
        "multiprocessing.process.BaseProcess",
        "multiprocessing.context.Process",
        "concurrent.futures.ProcessPoolExecutor",
        "concurrent.futures.process.ProcessPoolExecutor",
    }
)
_GET_CONTEXT = frozenset({"multiprocessing.get_context", "multiprocessing.context.get_context"})
_CANVAS = frozenset(
    {
        "celery.group",
        "celery.chord",
        "celery.chain",
        "celery.canvas.group",
        "celery.canvas.chord",
        "celery.canvas.chain",
    }
)


_STATEMENTS: dict[type, Literal["expr", "raise", "return"]] = {
    ast.Expr: "expr",
    ast.Raise: "raise",
    ast.Return: "return",
}
# The classes of the nodes each analysis looks at (a cheap test before the exact one).
_BINDING_STATEMENTS = frozenset(
    {ast.Assign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.AugAssign}
    | {ast.NamedExpr}
)
_WITH = frozenset({ast.With, ast.AsyncWith})
_RETURNS = frozenset({ast.Return, ast.Yield, ast.YieldFrom})


class BodyAnalysis:
    """Analyses of one function body's nodes (see `walk.walk_own_scope`)."""

    # Provided by the extractor this is mixed into.
    scope: Scope
    _ctx_names: set[str]
    span: Callable[[Any], Span]
    nodes: NodeBuilder

    def _pool_calls(
        self, body_nodes: list[ast.AST], calls: list[ast.Call], scope: Scope
    ) -> tuple[PoolCreation, ...]:
        """`calls`: the calls among `body_nodes`."""
        contexts = set(self._ctx_names)
        for node in body_nodes:
            if (
                type(node) is ast.Assign
                and type(node.value) is ast.Call
                and scope.qualify(node.value.func) in _GET_CONTEXT
            ):
                contexts.update(t.id for t in node.targets if isinstance(t, ast.Name))
        found = []
        for node in calls:
            func = node.func
            callee = scope.qualify(func)
            if callee is None and isinstance(func, ast.Attribute):
                receiver = func.value
                from_context = (
                    isinstance(receiver, ast.Call) and scope.qualify(receiver.func) in _GET_CONTEXT
                ) or (isinstance(receiver, ast.Name) and receiver.id in contexts)
                if from_context and func.attr in ("Pool", "Process"):
                    callee = f"multiprocessing.get_context().{func.attr}"
            elif (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in contexts
                and func.attr in ("Pool", "Process")
            ):
                callee = f"multiprocessing.get_context().{func.attr}"
            if callee is not None and (
                callee in POOL_FACTORIES or callee.startswith("multiprocessing.get_context().")
            ):
                found.append(PoolCreation(callee, self.span(node)))
        return tuple(found)

    def _local_calls(self, calls: list[ast.Call], first: Optional[str]) -> tuple[LocalCall, ...]:
        """Of a body's calls, those that may reach code of this module: `helper()` and
        `self.method()`."""
        local = []
        for node in calls:
            func = node.func
            if isinstance(func, ast.Name) and func.id in self.scope.module_names:
                local.append(LocalCall("function", func.id, self.span(node)))
            elif (
                first
                and isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == first
            ):
                local.append(LocalCall("method", func.attr, self.span(node)))
        return tuple(local)

    def _result_waits(
        self, body_nodes: list[ast.AST], calls: list[ast.Call], scope: Scope
    ) -> tuple[ResultWait, ...]:
        """`calls`: the calls among `body_nodes`."""
        result_vars: dict[str, bool] = {}
        for node in body_nodes:
            if type(node) not in _BINDING_STATEMENTS:
                continue
            targets: list[ast.expr] = []
            value: Optional[ast.expr] = None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
                for element in walk_all(node.target if isinstance(node, ast.For) else node):
                    if isinstance(element, ast.Name) and isinstance(element.ctx, ast.Store):
                        result_vars[element.id] = False
                continue
            elif isinstance(node, (ast.AugAssign, ast.NamedExpr)):
                if isinstance(node.target, ast.Name):
                    result_vars[node.target.id] = False
                continue
            for target in targets:
                if isinstance(target, ast.Name):
                    producing = value is not None and self._produces_result(value, scope)
                    result_vars[target.id] = result_vars.get(target.id, True) and producing
                else:
                    for element in walk_all(target):
                        if isinstance(element, ast.Name):
                            result_vars[element.id] = False
        waits = []
        exempt = self._allow_join_ranges(body_nodes, scope)
        for node in calls:
            if not isinstance(node.func, ast.Attribute):
                continue
            if node.func.attr not in _WAIT_METHODS:
                continue
            receiver = node.func.value
            is_result = (
                isinstance(receiver, ast.Name) and result_vars.get(receiver.id, False)
            ) or (isinstance(receiver, ast.Call) and self._produces_result(receiver, scope))
            if not is_result:
                continue
            flag = keyword_value(node, "disable_sync_subtasks")
            if isinstance(flag, ast.Constant) and flag.value is False:
                continue
            if flag is not None and not isinstance(flag, ast.Constant):
                continue
            if any(start <= node.lineno <= end for start, end in exempt):
                continue
            waits.append(ResultWait(node.func.attr, self.span(node)))
        return tuple(waits)

    def _produces_result(self, expr: ast.expr, scope: Scope) -> bool:
        if not isinstance(expr, ast.Call):
            return False
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr in _RESULT_METHODS:
            return True
        callee = scope.qualify(func) or ""
        if callee.endswith("AsyncResult") or callee.endswith("GroupResult.restore"):
            return True
        if isinstance(func, ast.Attribute) and func.attr == "AsyncResult":
            return True
        return isinstance(func, ast.Call) and (scope.qualify(func.func) or "") in _CANVAS

    def _allow_join_ranges(self, body_nodes: list[ast.AST], scope: Scope) -> list[tuple[int, int]]:
        ranges = []
        for node in body_nodes:
            if type(node) in _WITH and isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    context = item.context_expr
                    target = context.func if isinstance(context, ast.Call) else context
                    name = scope.qualify(target) or ""
                    if name.endswith("allow_join_result"):
                        ranges.append((node.lineno, node.end_lineno or node.lineno))
        return ranges

    def _retries(
        self, body_nodes: list[ast.AST], first: Optional[str], scope: Scope, own: str
    ) -> tuple[RetryCall, ...]:
        """`first.retry(...)` and `own.retry(...)` (`own`: the function's name), as
        statements (bare, raised or returned)."""
        receivers = {own, first} if first else {own}
        handlers = [node for node in body_nodes if type(node) is ast.ExceptHandler and node.name]
        retries = []
        for node in body_nodes:
            if type(node) not in _STATEMENTS:
                continue
            statement: Optional[ast.stmt] = None
            call: Optional[ast.expr] = None
            if isinstance(node, ast.Expr):
                statement, call = node, node.value
            elif isinstance(node, ast.Raise):
                statement, call = node, node.exc
            elif isinstance(node, ast.Return):
                statement, call = node, node.value
            if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
                continue
            func = call.func
            if func.attr != "retry" or not (
                isinstance(func.value, ast.Name) and func.value.id in receivers
            ):
                continue
            throw = keyword_value(call, "throw")
            # Certainly raises: no `throw` but a literal True (by keyword, as the 4th
            # positional argument, or hidden in * / ** unpacking).
            throws = (
                len(call.args) < 4
                and not any(isinstance(arg, ast.Starred) for arg in call.args)
                and all(keyword.arg is not None for keyword in call.keywords)
                and (throw is None or (isinstance(throw, ast.Constant) and throw.value is True))
            )
            retries.append(
                RetryCall(
                    _STATEMENTS[type(statement)],
                    self.span(call),
                    self.span(statement),
                    isinstance(throw, ast.Constant) and throw.value is False,
                    throws,
                    self.nodes.delay(call, scope),
                    func.value.id,
                    _retry_limit(call),
                    *self._retry_args(call, handlers, body_nodes),
                )
            )
        return tuple(retries)

    def _retry_args(
        self, call: ast.Call, handlers: list[ast.ExceptHandler], body_nodes: list[ast.AST]
    ) -> tuple[Literal["", "exception", "string"], Optional[Span], bool]:
        """`RetryCall.args`, `args_span` and `exc_movable` of a `retry(...)` call."""
        if not call.args or isinstance(call.args[0], ast.Starred):
            return "", None, False
        given = call.args[0]
        kind: Literal["", "exception", "string"] = ""
        if isinstance(given, ast.JoinedStr) or (
            isinstance(given, ast.Constant) and isinstance(given.value, str)
        ):
            kind = "string"
        elif isinstance(given, ast.Name) and _caught(given, handlers, body_nodes):
            kind = "exception"
        if not kind:
            return "", None, False
        movable = len(call.args) == 1 and all(
            keyword.arg not in (None, "exc") for keyword in call.keywords
        )
        return kind, self.span(given), movable


def _caught(name: ast.Name, handlers: list[ast.ExceptHandler], body_nodes: list[ast.AST]) -> bool:
    """`name` is read inside an `except ... as name` block that binds it, and nothing in
    the function's own body assigns that name there."""
    line = name.lineno
    for handler in handlers:
        end = handler.end_lineno or handler.lineno
        if handler.name != name.id or not handler.lineno <= line <= end:
            continue
        return not any(
            type(node) is ast.Name
            and node.id == name.id
            and type(node.ctx) is not ast.Load
            and handler.lineno <= node.lineno <= end
            for node in body_nodes
        )
    return False


# `Task.retry(args, kwargs, exc, throw, eta, countdown, max_retries, **options)`
_MAX_RETRIES_POSITION = 6


def _retry_limit(call: ast.Call) -> Literal["task", "own", "unknown"]:
    """`RetryCall.limit` of a `retry(...)` call."""
    given = keyword_value(call, "max_retries")
    if given is None:
        if unpacks(call):
            return "unknown"
        if len(call.args) <= _MAX_RETRIES_POSITION:
            return "task"
        given = call.args[_MAX_RETRIES_POSITION]
    return "task" if isinstance(given, ast.Constant) and given.value is None else "own"


def returns_value(body_nodes: list[ast.AST]) -> bool:
    for node in body_nodes:
        if type(node) not in _RETURNS:
            continue
        value = node.value if isinstance(node, ast.Return) else None
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            return True
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
    return False


def attrs_used_on(body_nodes: list[ast.AST], name: Optional[str]) -> set[str]:
    return {
        node.attr
        for node in body_nodes
        if type(node) is ast.Attribute and type(node.value) is ast.Name and node.value.id == name
    }
