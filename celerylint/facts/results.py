"""Reads of task results, and chords: what needs a result backend (CL503).

A read is `.get()`, `.wait()`, `.ready()`, `.successful()`, `.failed()` or
`.state`, `.status`, `.result`, `.info` on a task's result: the value of
`.delay()`, `.apply_async()`, `send_task()` or `AsyncResult(id)`, read
directly or through a local variable that every assignment in its function
binds to such a call. (`.id` needs no backend, and neither does `.revoke()`.)

A chord is `chord(header, body)`, `chord(header)(body)`, or `group(...) | x`,
which Celery turns into a chord (celery.canvas `group.__or__`). Applying
either needs a result backend; building one is where the code decides it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import Optional

from celerylint.facts.nodes import keyword_value
from celerylint.facts.schema import ChordBuild, ResultRead, ResultSource, Span
from celerylint.facts.scope import Scope
from celerylint.facts.walk import Function, TreeIndex, walk_own_scope

SENDING_METHODS = frozenset({"delay", "apply_async", "send_task"})
SIGNATURE_METHODS = frozenset({"s", "si", "signature"})
_READ_METHODS = frozenset({"get", "wait", "ready", "successful", "failed"})
_READ_ATTRIBUTES = frozenset({"state", "status", "result", "info"})
_ASYNC_RESULT = frozenset({"celery.result.AsyncResult", "celery.AsyncResult"})
_CHORD = frozenset({"celery.chord", "celery.canvas.chord"})
_GROUP = frozenset({"celery.group", "celery.canvas.group"})
_CANVAS = _CHORD | _GROUP | {"celery.chain", "celery.canvas.chain"}
_CHORD_OR_GROUP_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in _CHORD | _GROUP)
# The classes of the nodes each loop looks at (a cheap test before the exact one).
_READ_CLASSES = frozenset({ast.Call, ast.Attribute})
_ASSIGNMENTS = frozenset({ast.Assign, ast.AnnAssign})
_BINDERS = frozenset(
    {ast.Name, ast.Global, ast.Nonlocal, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef}
    | {ast.Import, ast.ImportFrom}
    | {
        cls  # `except ... as e`, match captures, ...: a string field `name` or `rest`
        for cls in vars(ast).values()
        if isinstance(cls, type) and issubclass(cls, ast.AST) and {"name", "rest"} & {*cls._fields}
    }
)

Spanner = Callable[[ast.AST], Span]


def signature_receiver(call: ast.expr) -> Optional[ast.expr]:
    """`x` in `x.s(...)`, `x.si(...)`, `x.signature(...)`; None for anything else."""
    if (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in SIGNATURE_METHODS
    ):
        return call.func.value
    return None


class ResultExtraction:
    """Result reads and chords of one file; `scopes`: each call's scope (by node id)."""

    def __init__(self, span: Spanner, scopes: dict[int, Scope]) -> None:
        self.span = span
        self.scopes = scopes

    # -- where results come from -------------------------------------------------

    def source(self, expr: ast.expr) -> Optional[ResultSource]:
        """The result-producing call `expr` is, if it is one."""
        if not isinstance(expr, ast.Call):
            return None
        scope = self.scopes.get(id(expr))
        if scope is None:
            return None
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr in SENDING_METHODS:
            receiver = func.value
            if func.attr != "send_task":
                receiver = signature_receiver(receiver) or receiver  # x.s(...).delay()
            return ResultSource("call", self.span(expr), func.attr, scope.qualify(receiver))
        if isinstance(func, ast.Attribute) and func.attr == "AsyncResult":
            if _given_backend(expr, 1):
                return None
            return ResultSource("handle", self.span(expr), "AsyncResult", scope.qualify(func.value))
        if scope.qualify(func) in _ASYNC_RESULT:
            # AsyncResult(id, backend=None, task_name=None, app=None, ...)
            if _given_backend(expr, 1):
                return None
            app = keyword_value(expr, "app")
            if app is None:
                return ResultSource("handle", self.span(expr), "AsyncResult", None, True)
            return ResultSource("handle", self.span(expr), "AsyncResult", scope.qualify(app))
        return None

    # -- reads ---------------------------------------------------------------------

    def reads(self, tree: ast.Module, index: TreeIndex) -> list[ResultRead]:
        """Every read of a result, in the module body and in every function."""
        if not any(_may_produce(call.func) for call, _ in index.calls):
            return []
        # A read needs a result-making call in its own scope (its variable's value, or
        # the read's receiver): scopes without one are not looked at.
        producing: set[Optional[Function]] = set()
        for call, function in index.calls:
            if (
                function not in producing
                and (isinstance(call.func, ast.Name) or _may_produce(call.func))
                and self.source(call) is not None
            ):
                producing.add(function)
        bodies: list[tuple[list[ast.AST], set[str]]] = [
            (index.own_nodes(function), _params(function.args))
            for function in index.functions
            if function in producing
        ]
        if None in producing:
            module_globals = {
                name for node in index.nodes if isinstance(node, ast.Global) for name in node.names
            }
            bodies.append((walk_own_scope(tree.body), module_globals))
        found: list[ResultRead] = []
        for nodes, poisoned in bodies:
            variables = self._result_variables(nodes, poisoned)
            for node in nodes:
                if type(node) in _READ_CLASSES:
                    read = self._read(node, variables)
                    if read is not None:
                        found.append(read)
        return sorted(found, key=lambda read: read.span)

    def _read(
        self, node: ast.AST, variables: dict[str, tuple[ResultSource, ...]]
    ) -> Optional[ResultRead]:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _READ_METHODS
        ):
            what, target = node.func.attr, node.func.value
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in _READ_ATTRIBUTES
            and isinstance(node.ctx, ast.Load)
        ):
            what, target = node.attr, node.value
        else:
            return None
        if isinstance(target, ast.Name):
            sources = variables.get(target.id)
        else:
            source = self.source(target)
            sources = (source,) if source is not None else None
        return ResultRead(what, self.span(node), sources) if sources else None

    def _result_variables(
        self, nodes: list[ast.AST], poisoned: set[str]
    ) -> dict[str, tuple[ResultSource, ...]]:
        """Local names that every binding in the scope binds to a result-producing call."""
        sources: dict[str, list[ResultSource]] = {}
        stores: set[int] = set()
        for node in nodes:
            if type(node) not in _ASSIGNMENTS:
                continue
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            source = self.source(value)
            if source is None:
                continue
            for target in targets:
                if isinstance(target, ast.Name):
                    stores.add(id(target))
                    sources.setdefault(target.id, []).append(source)
        poisoned = set(poisoned)
        for node in nodes:
            if type(node) not in _BINDERS:
                continue
            if isinstance(node, ast.Name):
                if not isinstance(node.ctx, ast.Load) and id(node) not in stores:
                    poisoned.add(node.id)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                poisoned.update(node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                poisoned.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                poisoned.update((a.asname or a.name).split(".")[0] for a in node.names)
            else:
                # `except ... as e`, match captures (`case x`, `case {**rest}`)
                for field in ("name", "rest"):
                    captured = getattr(node, field, None)
                    if isinstance(captured, str):
                        poisoned.add(captured)
        return {name: tuple(found) for name, found in sources.items() if name not in poisoned}

    # -- chords --------------------------------------------------------------------

    def chords(self, calls: Iterable[ast.Call], index: TreeIndex) -> list[ChordBuild]:
        """`chord(...)` calls and `group(...) | x` expressions, once each."""
        pipes: Optional[dict[int, ast.BinOp]] = None  # `x | y` by x's id, once a group asks
        found: list[ChordBuild] = []
        inner_done: set[int] = set()
        for call in calls:  # an outer call comes before the calls inside it
            scope = self.scopes.get(id(call))
            if scope is None or id(call) in inner_done:
                continue
            func = call.func
            if (
                isinstance(func, ast.Call)
                and _may_name(func.func)
                and scope.qualify(func.func) in _CHORD
            ):
                inner_done.add(id(func))  # chord(header)(body)
                parts: list[ast.expr] = [*func.args, *call.args]
                parts += [k.value for k in (*func.keywords, *call.keywords)]
                found.append(self._chord(call, "chord", parts, scope))
                continue
            callee = scope.qualify(func) if _may_name(func) else None
            if callee in _CHORD:
                parts = [*call.args, *(k.value for k in call.keywords)]
                found.append(self._chord(call, "chord", parts, scope))
            elif callee in _GROUP:
                if pipes is None:
                    pipes = {
                        id(node.left): node
                        for node in index.nodes
                        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr)
                    }
                pipe = pipes.get(id(call))
                if pipe is not None and not _empty_group(pipe.right, scope):
                    found.append(self._chord(pipe, "pipe", [call, pipe.right], scope))
        return sorted(found, key=lambda chord: chord.span)

    def _chord(self, node: ast.expr, form: str, parts: list[ast.expr], scope: Scope) -> ChordBuild:
        tasks: list[str] = []
        opaque = not all([self._signature_tasks(part, scope, tasks) for part in parts])
        return ChordBuild(
            self.span(node), "chord" if form == "chord" else "pipe", tuple(tasks), opaque
        )

    def _signature_tasks(self, expr: ast.expr, scope: Scope, tasks: list[str]) -> bool:
        """Collect the tasks of the signatures in `expr`; False if some part is not one."""
        receiver = signature_receiver(expr)
        if receiver is not None:
            qualified = scope.qualify(receiver)
            if qualified is not None:
                tasks.append(qualified)
            return qualified is not None
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return all([self._signature_tasks(e, scope, tasks) for e in expr.elts])
        if isinstance(expr, (ast.GeneratorExp, ast.ListComp)):
            return self._signature_tasks(expr.elt, scope, tasks)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            left = self._signature_tasks(expr.left, scope, tasks)
            return self._signature_tasks(expr.right, scope, tasks) and left
        if isinstance(expr, ast.Call) and scope.qualify(expr.func) in _CANVAS:
            parts = [*expr.args, *(k.value for k in expr.keywords)]
            return all([self._signature_tasks(part, scope, tasks) for part in parts])
        return False


def names_result_backend(nodes: Iterable[ast.AST]) -> bool:
    """Some code among `nodes` names a result backend (a name, attribute, keyword or string)."""
    for node in nodes:
        if isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.keyword):
            text = node.arg or ""
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        lowered = text.lower()
        if "result_backend" in lowered or "result-backend" in lowered:
            return True
    return False


def _may_name(func: ast.expr) -> bool:
    """`func` may qualify to a chord or a group: an attribute only if named as one (callees
    qualified on the corpus: 71,595 -> 30,428, chords 0.051 -> 0.039 s)."""
    return not isinstance(func, ast.Attribute) or func.attr in _CHORD_OR_GROUP_NAMES


def _may_produce(func: ast.expr) -> bool:
    """A callee that may make a result (cheap: decides whether reads are looked for)."""
    if isinstance(func, ast.Attribute):
        return func.attr in SENDING_METHODS or func.attr == "AsyncResult"
    return isinstance(func, ast.Name) and func.id == "AsyncResult"


def _given_backend(call: ast.Call, positional: int) -> bool:
    """A backend passed explicitly (or possibly, through `*` / `**`)."""
    if len(call.args) > positional or any(isinstance(a, ast.Starred) for a in call.args):
        return True
    return any(k.arg is None or k.arg == "backend" for k in call.keywords)


def _empty_group(expr: ast.expr, scope: Scope) -> bool:
    """`group()` / `group([])`: `g | group()` is `g` itself, no chord."""
    if not isinstance(expr, ast.Call) or scope.qualify(expr.func) not in _GROUP:
        return False
    if expr.keywords or len(expr.args) > 1:
        return False
    return not expr.args or (
        isinstance(expr.args[0], (ast.List, ast.Tuple)) and not expr.args[0].elts
    )


def _params(args: ast.arguments) -> set[str]:
    names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    names.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    return names
