"""Fast tree walks and the names a scope binds.

Extraction time is dominated by tree traversal, so the tree is traversed once
(`TreeIndex`): every node, each function's own nodes and each call's function
come out of one pass. The walks skip what no analysis looks at: expression
contexts and operators (`Load()`, `Add()`, a third of all nodes) and fields
that hold no nodes, read from each node class's ASDL signature.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Optional, Union

_AST = ast.AST
_SCOPE_CLASSES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})

Function = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda]

# Walks of bodies during one extraction, by the body's id: discovery, dispatches,
# definitions, results and transactions each ask for every function body's (the
# traversal fills them in; another body's is walked when first asked). The body
# is kept with its walk, so its id cannot be reused by another list while the memo
# lives. None outside `remembered_walks`.
_walks: Optional[dict[int, tuple[list[ast.stmt], list[ast.AST]]]] = None
# The names the traversal found bound by the nodes of a walk, by the walk's id (kept
# with the walk, as above): `bound_in` is asked about each function's walk.
_bindings: Optional[dict[int, tuple[list[ast.AST], set[str]]]] = None


@contextmanager
def remembered_walks() -> Iterator[None]:
    """Within the block, a body's walk and the names it binds are computed once (callers
    never mutate walks nor `bound_in` sets)."""
    global _walks, _bindings
    _walks, _bindings = {}, {}
    try:
        yield
    finally:
        _walks = _bindings = None


# -- which fields hold nodes ---------------------------------------------------------

# ASDL types whose values are no nodes, and the node types no analysis looks at.
_SKIPPED_TYPES = frozenset(
    {"identifier", "int", "string", "constant", "expr_context", "boolop", "operator"}
    | {"unaryop", "cmpop"}
)
_SIGNATURE = re.compile(r"(\w+)\((.*)\)")


def _node_fields(cls: type) -> Optional[tuple[str, ...]]:
    """The fields of `cls` that hold a node, a list of nodes or None, in field order,
    from the ASDL signature `ast` gives as the class's doc (`Call(expr func, expr* args,
    keyword* keywords)`); None if the doc does not say (then walks inspect each value)."""
    fields: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    if not fields:
        return ()
    match = _SIGNATURE.fullmatch((cls.__doc__ or "").strip())
    if match is None or match.group(1) != cls.__name__:
        return None
    declared = [part.split() for part in match.group(2).split(",")]
    if [part[-1] for part in declared] != list(fields) or any(len(p) != 2 for p in declared):
        return None
    return tuple(name for kind, name in declared if kind.rstrip("*?") not in _SKIPPED_TYPES)


def _node_classes() -> Iterator[type]:
    pending = [ast.AST]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        yield cls


# Node fields by node class: list fields may hold None (`Dict.keys`, `kw_defaults`).
_FIELDS: dict[type, tuple[str, ...]] = {}
for _cls in _node_classes():
    _found = _node_fields(_cls)
    if _found is not None:
        _FIELDS[_cls] = _found


def _children_of_unknown(node: ast.AST) -> list[ast.AST]:
    """The children of a node whose class `_FIELDS` does not know (exact, and slow)."""
    return [
        child
        for child in ast.iter_child_nodes(node)
        if not isinstance(child, (ast.expr_context, ast.boolop, ast.operator))
        and not isinstance(child, (ast.unaryop, ast.cmpop))
    ]


def _walk(stack: list[ast.AST], into_scopes: bool, only: Optional[type] = None) -> list[ast.AST]:
    """Like `ast.walk` (depth first, the last child first), without contexts and
    operators; with `only`, the nodes of that class."""
    out: list[ast.AST] = []
    pop, push, extend, append = stack.pop, stack.append, stack.extend, out.append
    table = _FIELDS
    while stack:
        node = pop()
        cls = node.__class__
        fields = table.get(cls)
        if fields is None:
            if node is None:  # a list field's None (`{**x}`'s key)
                continue
            fields = ()
            extend(_children_of_unknown(node))
        if only is None or cls is only:
            append(node)
        if not into_scopes and cls in _SCOPE_CLASSES:
            continue
        # Children pushed inline, here and in TreeIndex: a helper call per node made
        # this walk 8 % slower (160,000 nodes of saleor: 61 -> 66 ms).
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                extend(value)
            elif value is not None:
                push(value)
    return out


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


def walk_all(node: ast.AST) -> list[ast.AST]:
    """Every node under `node`, itself included (`ast.walk`'s nodes but contexts and
    operators, in `TreeIndex` order)."""
    return _walk([node], into_scopes=True)


def calls_under(roots: Sequence[ast.AST]) -> list[ast.Call]:
    """The calls in the trees of `roots`, in `walk_all` order (the last root first)."""
    return _walk(list(roots), into_scopes=True, only=ast.Call)  # type: ignore[return-value]


# -- one pass over a module ----------------------------------------------------------


class _Region:
    """Where the nodes being walked belong: the function whose body holds them (None:
    the module), the list of that body's own nodes and the names they bind (or a list
    and a set that are thrown away). Also the marker, on the walk's stack, that sets
    the region walked from there on."""

    __slots__ = ("bound", "nodes", "owner")

    def __init__(self, owner: Optional[Function], nodes: list[ast.AST], bound: set[str]) -> None:
        self.owner = owner
        self.nodes = nodes
        self.bound = bound


# The fields of the node classes the traversal only walks through (`_traverse` notes
# more of names, calls and the others, found in `_FIELDS`): one lookup tells both.
_PLAIN_FIELDS = {
    cls: fields
    for cls, fields in _FIELDS.items()
    if cls not in _SCOPE_CLASSES
    and cls not in (ast.Name, ast.Call, ast.Expr, ast.Import, ast.ImportFrom, ast.ExceptHandler)
}


class TreeIndex:
    """One traversal of a module.

    `nodes`: every node, in `walk_all` order. `calls`: every call with the function
    or lambda whose body holds it (None: the module; decorators, defaults and
    annotations run in the enclosing one), in the same order. `functions`: the
    functions and lambdas, in the same order, and `imports`: the import statements,
    each with its function as for calls (`importing`: those functions' ids).
    `statement_calls`: the ids of the calls made as statements (what they return
    is dropped). Each function's own nodes
    (what `walk_own_scope(body)` gives) come out of the same pass, and are
    remembered as its body's walk.
    """

    def __init__(self, tree: ast.Module) -> None:
        self.nodes: list[ast.AST] = [tree]
        self.calls: list[tuple[ast.Call, Optional[Function]]] = []
        self.functions: list[Function] = []
        self.imports: list[tuple[Union[ast.Import, ast.ImportFrom], Optional[Function]]] = []
        self.statement_calls: set[int] = set()
        self.enclosing: dict[int, Optional[Function]] = {}  # by a function's id
        self._lambdas: dict[int, list[ast.AST]] = {}  # a lambda's own nodes, by its id
        # The nodes of no function's own body (a class body, a def's decorators).
        self._elsewhere = _Region(None, [], set())
        self._traverse(tree)
        self._elsewhere.nodes.clear()
        self._elsewhere.bound.clear()
        # An import in a class body counts for the function around it: a superset of
        # the functions with an import among their own nodes.
        self.importing = {id(function) for _, function in self.imports if function is not None}

    def own_nodes(self, function: Function) -> list[ast.AST]:
        """The nodes of a function's (or lambda's) body, not entering nested scopes."""
        if isinstance(function, ast.Lambda):
            return self._lambdas[id(function)]
        return walk_own_scope(function.body)

    def _traverse(self, tree: ast.Module) -> None:
        # Nodes, None (in a list field: `{**x}`'s key) and region markers.
        stack: list[Any] = []
        push, pop, extend = stack.append, stack.pop, stack.extend
        append, calls = self.nodes.append, self.calls.append
        plain, name_class, call_class, load = _PLAIN_FIELDS, ast.Name, ast.Call, ast.Load
        module = _own_region(None, tree.body)
        region = _push_children(tree, self._elsewhere, stack, module)
        owner, own, bind = region.owner, region.nodes.append, region.bound.add
        while stack:
            node = pop()
            cls = node.__class__
            fields = plain.get(cls)
            if fields is None:
                # Names and calls first: 40 % of all nodes. The names a walk binds are
                # noted here, as `bound_in` would find them in it (`bound_in` took 0.13 s
                # of the corpus's 1.2 s of extraction; the traversal 0.42 s, as before).
                if cls is name_class:
                    append(node)
                    own(node)
                    if node.ctx.__class__ is not load:
                        bind(node.id)
                    continue
                if cls is _Region:
                    region = node
                    owner, own, bind = region.owner, region.nodes.append, region.bound.add
                    continue
                if node is None:
                    continue
                append(node)
                own(node)
                if cls is call_class:
                    calls((node, owner))
                elif cls in _SCOPE_CLASSES:
                    if cls is not ast.Lambda:
                        bind(node.name)
                    region = self._enter_scope(node, region, stack)
                    owner, own, bind = region.owner, region.nodes.append, region.bound.add
                    continue
                fields = _FIELDS.get(cls)
                if fields is None:
                    extend(_children_of_unknown(node))
                    continue
                if cls is not call_class:
                    self._note(node, owner, bind)
            else:
                append(node)
                own(node)
            for name in fields:
                value = getattr(node, name, None)
                if value.__class__ is list:
                    extend(value)
                elif value is not None:
                    push(value)

    def _note(
        self,
        node: Union[ast.Expr, ast.Import, ast.ImportFrom, ast.ExceptHandler],
        owner: Optional[Function],
        bind: Callable[[str], None],
    ) -> None:
        """Note a statement call, an import or what an `except` binds."""
        if isinstance(node, ast.Expr):
            if node.value.__class__ is ast.Call:
                self.statement_calls.add(id(node.value))
        elif isinstance(node, ast.ExceptHandler):
            if node.name:
                bind(node.name)
        else:
            self.imports.append((node, owner))
            for alias in node.names:
                bind((alias.asname or alias.name).split(".")[0])

    def _enter_scope(
        self,
        node: Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef],
        region: _Region,
        stack: list[Any],
    ) -> _Region:
        """Push a def's children, each under its region; the region the walk goes on in."""
        outer = _Region(region.owner, self._elsewhere.nodes, self._elsewhere.bound)
        if isinstance(node, ast.ClassDef):
            return _push_children(node, region, stack, outer)
        self.functions.append(node)
        self.enclosing[id(node)] = region.owner
        if isinstance(node, ast.Lambda):
            own = _Region(node, [], set())
            self._lambdas[id(node)] = own.nodes
            _remember_bindings(own)
        else:
            own = _own_region(node, node.body)
        return _push_children(node, region, stack, outer, own)


def _own_region(owner: Optional[Function], body: list[ast.stmt]) -> _Region:
    """The region of `body`, with an empty list that the traversal fills with its walk
    (not entering nested scopes), remembered as that body's `walk_own_scope`."""
    region = _Region(owner, [], set())
    if _walks is not None:
        _walks[id(body)] = (body, region.nodes)
    _remember_bindings(region)
    return region


def _remember_bindings(region: _Region) -> None:
    if _bindings is not None:
        _bindings[id(region.nodes)] = (region.nodes, region.bound)


def _push_children(
    node: ast.AST,
    restore: _Region,
    stack: list[Any],
    outer: _Region,
    body: Optional[_Region] = None,
) -> _Region:
    """Push the children of a scope's node: those of its `body` field under the `body`
    region, the others under `outer`. Below each run of children of one region goes
    a marker that sets it, popped once the run above it is walked; `restore` comes
    back when all are. Returns the region the walk goes on in."""
    stack.append(restore)
    previous: Optional[_Region] = None
    for name in _FIELDS.get(node.__class__, node._fields):
        value = getattr(node, name, None)
        values = value if isinstance(value, list) else [value]
        children = [child for child in values if isinstance(child, _AST)]
        if not children:
            continue
        region = body if body is not None and name == "body" else outer
        if previous is not None and region is not previous:
            stack.append(previous)
        stack.extend(children)
        previous = region
    return previous if previous is not None else restore


# The classes of the nodes that bind a name (a cheap test before the exact one).
_BINDERS = frozenset(
    {ast.Name, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom}
    | {ast.ExceptHandler}
)


def bound_in(nodes: list[ast.AST]) -> set[str]:
    """Names bound by the nodes of one scope (see `walk_own_scope`): a set not to be
    changed (in `remembered_walks`, the traversal's)."""
    if _bindings is not None:
        known = _bindings.get(id(nodes))
        if known is not None and known[0] is nodes:
            return known[1]
    names: set[str] = set()
    for node in nodes:
        if node.__class__ not in _BINDERS:
            continue
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
