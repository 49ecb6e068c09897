"""Task calls handed to code that runs them and drops the result.

`app.add_periodic_task(schedule, task.s(...))` (usually in an
`on_after_configure`/`on_after_finalize` handler, on `sender`) gives beat a
signature: beat sends it on schedule and never reads the result.
`transaction.on_commit(lambda: task.delay(...))` runs the call after the
commit and discards what the lambda returns. Either way nobody can read the
result, even though the call is not a statement of its own.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from typing import Optional

from celerylint.facts.dispatches import DISPATCH_METHODS
from celerylint.facts.schema import DroppedResult, Span


def dropped_results(
    calls: Iterable[ast.Call], span: Callable[[ast.AST], Span]
) -> Iterator[DroppedResult]:
    """The dispatches handed to one of `calls` that drops their result."""
    for node in calls:
        callee = _callee_name(node.func)
        if callee == "add_periodic_task":
            # add_periodic_task(schedule, sig, args=(), kwargs=(), name=None, **opts)
            signature = _dispatch_call(_argument(node, 1, "sig"))
            if signature is not None:
                yield DroppedResult(span(signature), "beat")
        elif callee == "on_commit":
            callback = _argument(node, 0, "func")
            call = _dispatch_call(callback.body) if isinstance(callback, ast.Lambda) else None
            if call is not None:
                yield DroppedResult(span(call), "on_commit")


def _callee_name(func: ast.expr) -> Optional[str]:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _argument(call: ast.Call, index: int, keyword: str) -> Optional[ast.expr]:
    positional = call.args[: index + 1]
    if len(positional) > index and not any(isinstance(a, ast.Starred) for a in positional):
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _dispatch_call(node: Optional[ast.expr]) -> Optional[ast.Call]:
    """`node` if it is a call the extractor records as a `Dispatch`."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return None
    return node if node.func.attr in {*DISPATCH_METHODS, "send_task"} else None
