"""Fast tree walks and the names a scope binds."""

from __future__ import annotations

import ast

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_AST = ast.AST


def walk_own_scope(body: list[ast.stmt]) -> list[ast.AST]:
    """Every node of a body, not entering nested scopes (whose def nodes are included)."""
    return _walk(list(body), into_scopes=False)


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
