"""Call sites that send a task or build a signature."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, Optional

from celerylint.facts.layout import Layout
from celerylint.facts.nodes import NodeBuilder, const_str, keyword_value
from celerylint.facts.schema import (
    CallArgument,
    Dispatch,
    Span,
)
from celerylint.facts.scope import Scope
from celerylint.facts.walk import Function, TreeIndex, walk_own_scope

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
    tree: ast.Module
    index: TreeIndex
    _discarded: set[int]
    _source_mentions_tasks: bool
    _lookup_names: dict[Optional[int], frozenset[str]]

    def _dispatch(
        self, call: ast.Call, func: ast.Attribute, scope: Scope, function: Optional[Function]
    ) -> None:
        """Record a dispatch; `function` (None: the module) and `scope`: where it is
        written (its locals, its local imports)."""
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
        picked = False
        if method == "send_task":
            name = call.args[0] if call.args else keyword_value(call, "name")
            task_name = const_str(name) if name is not None else None
            picked = name is not None and task_name is None
        else:
            target = scope.qualify(func.value)
            if method == "signature" and call.args:
                task_name = const_str(call.args[0])  # app.signature("proj.tasks.add")
                # Whether the receiver is an app (not a task given its args) the model tells.
                picked = task_name is None and not isinstance(call.args[0], _NOT_NAMES)
            elif target is None and self._source_mentions_tasks:
                task_name, picked = self._picked_by_name(func.value, function)
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
                picked,
            )
        )

    def _picked_by_name(
        self, receiver: ast.expr, function: Optional[Function]
    ) -> tuple[Optional[str], bool]:
        """The task's name if `receiver` looks it up by a literal (`app.tasks["x"]`), and
        whether it looks it up by a name known at run time only: flower's API sends any
        task it is asked for (`task = self.capp.tasks[name]; task.apply_async(...)`)."""
        if isinstance(receiver, ast.Name) and receiver.id in self._names_of_lookups(function):
            return None, True
        key = _registry_key(receiver)
        if key is None:
            return None, False
        name = const_str(key)
        return name, name is None

    def _hands_a_picked_send(self, call: ast.Call, function: Optional[Function]) -> bool:
        """Whether `call` is handed the sending method of a task picked at run time
        (flower: `run_blocking(..., task.apply_async, ...)` with `task =
        self.capp.tasks[name]`), or an app's `send_task` with a name that is no literal
        string: it sends whatever task it is asked for, and may keep the result."""
        given = [*call.args, *(keyword.value for keyword in call.keywords)]
        for value in given:
            if not isinstance(value, ast.Attribute):
                continue
            if value.attr == "send_task" and not all(
                const_str(other) is not None for other in call.args if other is not value
            ):
                return True
            if (
                value.attr in _SENDING
                and isinstance(value.value, ast.Name)
                and value.value.id in self._names_of_lookups(function)
            ):
                return True
        return False

    def _names_of_lookups(self, function: Optional[Function]) -> frozenset[str]:
        """The local names some assignment in `function` (None: the module body) binds
        to a lookup in a task registry (`task = app.tasks[name]`)."""
        key = id(function) if function is not None else None
        found = self._lookup_names.get(key)
        if found is None:
            nodes = (
                self.index.own_nodes(function)
                if function is not None
                else walk_own_scope(self.tree.body)
            )
            found = frozenset(
                target.id
                for node in nodes
                if isinstance(node, ast.Assign) and _looked_up_at_run_time(node.value)
                for target in node.targets
                if isinstance(target, ast.Name)
            )
            self._lookup_names[key] = found
        return found

    def _args_value(self, call: ast.Call) -> Optional[CallArgument]:
        """What `apply_async` is given as `args`: its first argument, or `args=`."""
        value = call.args[0] if call.args else None
        if value is None:
            value = next((k.value for k in call.keywords if k.arg == "args"), None)
        return self.layout.argument(value) if value is not None else None


# The methods of a task that send it.
_SENDING = frozenset({"apply_async", "delay"})
# A first argument of `signature` that is a task's arguments or options, not its name.
_NOT_NAMES = (ast.Constant, ast.Tuple, ast.List, ast.Dict, ast.ListComp, ast.GeneratorExp)


def _registry_key(expr: ast.expr) -> Optional[ast.expr]:
    """`name` in `x.tasks[name]` or `x.tasks.get(name)`: a task looked up by its name."""
    if isinstance(expr, ast.Subscript):
        registry, key = expr.value, expr.slice
    elif (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "get"
        and expr.args
    ):
        registry, key = expr.func.value, expr.args[0]
    else:
        return None
    return key if isinstance(registry, ast.Attribute) and registry.attr == "tasks" else None


def _looked_up_at_run_time(expr: ast.expr) -> bool:
    """`x.tasks[name]` with a name that is no literal string."""
    key = _registry_key(expr)
    return key is not None and const_str(key) is None
