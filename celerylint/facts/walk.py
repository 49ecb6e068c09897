"""Fast tree walks and the names a scope binds."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Optional

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_AST = ast.AST

# Walks of bodies during one extraction, by the body's id: discovery, dispatches,
# definitions, results and transactions each walk every function body, and
# walking was a third of extraction. The body is kept with its walk, so its id
# cannot be reused by another list while the memo lives. None outside `remembered_walks`.
_walks: Optional[dict[int, tuple[list[ast.stmt], list[ast.AST]]]] = None


@contextmanager
def remembered_walks() -> Iterator[None]:
    """Within the block, a body's walk is computed once (callers never mutate walks)."""
    global _walks
    _walks = {}
    try:
        yield
    finally:
        _walks = None


def walk_own_scope(body: list[ast.stmt]) -> list[ast.AST]:
    """Every node of a body, not entering nested scopes (whose def nodes are included)."""
    memo = _walks
    if memo is None:
        return _walk(list(body), into_scopes=False)
    known = memo.get(id(body))
    if known is not None and known[0] is body:
        return known[1]
    nodes = _walk(list(body), into_scopes=False)
    memo[id(body)] = (body, nodes)
    return nodes


def walk_all(tree: ast.AST) -> list[ast.AST]:
    """Every node of the tree."""
    return _walk([tree], into_scopes=True)


def _walk(stack: list[ast.AST], into_scopes: bool) -> list[ast.AST]:
    """Like `ast.walk`, but faster: extraction time is dominated by tree traversal."""
    out: list[ast.AST] = []
    pop, push, append = stack.pop, stack.append, out.append
    while stack:
        node = pop()
        append(node)
        if not into_scopes and isinstance(node, _SCOPES):
            continue
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, _AST):
                        push(item)
            elif isinstance(value, _AST):
                push(value)
    return out


def children(node: ast.AST) -> list[ast.AST]:
    """The node's direct children, like `ast.iter_child_nodes` but as a list, and faster."""
    out: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            out.extend(item for item in value if isinstance(item, _AST))
        elif isinstance(value, _AST):
            out.append(value)
    return out


def bound_in(nodes: list[ast.AST]) -> set[str]:
    """Names bound by the nodes of one scope (see `_walk_own_scope`)."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def bound_names(body: list[ast.stmt]) -> set[str]:
    """Names assigned anywhere in a body (excluding nested scopes)."""
    return bound_in(walk_own_scope(body))


def returned_instance(
    function: ast.FunctionDef | ast.AsyncFunctionDef, creates: Callable[[ast.Call], bool]
) -> Optional[tuple[str, ast.Call]]:
    """(local, call) for a body that does `local = <call that creates>` ... `return local`
    at its top level (a factory: `create_app`, `make_celery`); the first return decides."""
    created: dict[str, ast.Call] = {}
    for stmt in function.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call)
            and creates(stmt.value)
        ):
            created[stmt.targets[0].id] = stmt.value
        elif isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Name):
            local = stmt.value.id
            return (local, created[local]) if local in created else None
    return None
