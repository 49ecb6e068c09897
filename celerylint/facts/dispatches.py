"""Call sites that send a task or build a signature."""

from __future__ import annotations

import ast
from typing import Any, Callable, Optional

from celerylint.facts.layout import Layout, value_shape
from celerylint.facts.nodes import NodeBuilder, const_str
from celerylint.facts.schema import (
    CallArgument,
    CallKeyword,
    Dispatch,
    DispatchSyntax,
    Span,
)
from celerylint.facts.scope import Scope

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


class Dispatches:
    """`.delay()`, `.apply_async()`, `send_task()`, signatures."""

    # Provided by the extractor this is mixed into.
    scope: Scope
    layout: Layout
    span: Callable[[Any], Span]
    nodes: NodeBuilder
    dispatches: list[Dispatch]
    _discarded: set[int]

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
                self.layout.source(arg),
                isinstance(arg, ast.Starred),
                value_shape(arg),
                self.layout.parenthesized(arg),
                self.layout.outer(arg),
            )
            for arg in call.args
        )
        kwargs = tuple(
            CallKeyword(
                keyword.arg,
                self.span(keyword) if hasattr(keyword, "end_lineno") else None,
                self.layout.source(keyword.value),
                self.span(keyword.value),
                value_shape(keyword.value),
                self.layout.parenthesized(keyword.value),
                self.layout.outer(keyword.value),
            )
            for keyword in call.keywords
        )
        shape = self.layout.call_shape(call)
        return DispatchSyntax(method_span, args, kwargs, shape, self.layout.comments(call))
