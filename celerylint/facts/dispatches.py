"""Call sites that send a task or build a signature."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, Optional

from celerylint.facts.layout import Layout
from celerylint.facts.nodes import NodeBuilder, const_str
from celerylint.facts.schema import (
    CallArgument,
    Dispatch,
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

    def _dispatch(self, call: ast.Call, func: ast.Attribute, scope: Scope) -> None:
        """Record a dispatch; `scope`: the function it is written in (its local imports)."""
        method = func.attr
        if method not in DISPATCH_METHODS and method != "send_task":
            return
        keywords = {
            keyword.arg: self.nodes.build(keyword.value, scope)
            for keyword in call.keywords
            if keyword.arg is not None
        }
        target: Optional[str] = None
        task_name: Optional[str] = None
        if method == "send_task":
            task_name = const_str(call.args[0]) if call.args else None
        else:
            target = scope.qualify(func.value)
            if method == "signature" and call.args:
                task_name = const_str(call.args[0])  # app.signature("proj.tasks.add")
        args_value = None
        if method == "apply_async":
            args_value = self._args_value(call)
        delay = self.nodes.delay(call, scope) if method.startswith("apply_async") else None
        self.dispatches.append(
            Dispatch(
                method,
                self.span(call),
                id(call) in self._discarded,
                keywords,
                target,
                task_name,
                args_value,
                delay,
            )
        )

    def _args_value(self, call: ast.Call) -> Optional[CallArgument]:
        """What `apply_async` is given as `args`: its first argument, or `args=`."""
        value = call.args[0] if call.args else None
        if value is None:
            value = next((k.value for k in call.keywords if k.arg == "args"), None)
        return self.layout.argument(value) if value is not None else None
