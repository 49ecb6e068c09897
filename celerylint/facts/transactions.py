"""Task calls made while a Django transaction is open (CL601).

`with transaction.atomic():` (any spelling of `django.db.transaction.atomic`,
called with any arguments) and functions decorated `@transaction.atomic` /
`@atomic(...)` open a transaction; a `.delay()`, `.apply_async()` or
`send_task()` written in that block, or in a function of the same module
called from it (`helper()`, `self.helper()`, also a method inherited from a
class of the module), publishes the message at once, before the commit. Its
receiver is the task of a signature too: `task.s(...).delay()`, or `sig.delay()`
for a `sig = task.s(...)` that certainly ran before and is the only binding. Nested
functions and lambdas (the callbacks given to `transaction.on_commit`) run later:
they are not in the block.

A request's transaction counts too: with ATOMIC_REQUESTS, Django runs every sync view
in `transaction.atomic()` (`BaseHandler.make_view_atomic`). The code a request may
run is recorded as such a block, with the view (`RequestView`) the rule decides on
from the project's classes and settings: the instance methods of a module's classes,
functions decorated with DRF's `@api_view`, and functions taking `request` first.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable
from typing import Literal, Optional

import msgspec

from celerylint.c3 import c3_merge
from celerylint.facts.nodes import unpacks
from celerylint.facts.results import SENDING_METHODS, SIGNATURE_METHODS, signature_receiver
from celerylint.facts.schema import RequestView, Span, TransactionDispatch
from celerylint.facts.scope import Scope
from celerylint.facts.walk import bound_in, walk_all, walk_own_scope

ATOMIC = frozenset({"django.db.transaction.atomic"})
API_VIEW = "rest_framework.decorators.api_view"
NON_ATOMIC = "non_atomic_requests"
_CLASS_BOUND = frozenset({"staticmethod", "classmethod"})
_DJANGO_TRANSACTION = "django.db.transaction"
READ_ONLY = re.compile(r"replica|read_?only", re.IGNORECASE)
_LOOPS = (
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# The classes of the nodes each loop looks at (a cheap test before the exact one).
_NAMING = frozenset({ast.Attribute, ast.alias})
_WITH = frozenset({ast.With, ast.AsyncWith})
_DEFINITIONS = frozenset({*_FUNCTIONS, ast.ClassDef})
_OPENERS = frozenset({*_FUNCTIONS, *_WITH})
_MAX_DEPTH = 4
# What writes rows: a model's or a serializer's `save()`, a manager's or a queryset's
# `create()`/`delete()`/bulk methods; `update()` only on what a call returned
# (`Model.objects.filter(...).update(...)`: a dict's `update` writes no row).
_WRITING_METHODS = frozenset(
    {"save", "create", "delete", "bulk_create", "bulk_update", "get_or_create"}
    | {"update_or_create"}
)


def _writes(nodes: list[ast.AST]) -> bool:
    """Whether code visibly writes to the database (`_WRITING_METHODS`)."""
    for node in nodes:
        if type(node) is not ast.Call:
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and (
            func.attr in _WRITING_METHODS
            or (func.attr == "update" and isinstance(func.value, ast.Call))
        ):
            return True
    return False


# What a block may call and still write nothing: queryset methods that read, what
# builds a query or a value, and list and string methods on the block's own values.
_READING_METHODS = frozenset(
    {"filter", "exclude", "annotate", "alias", "values", "values_list", "iterator"}
    | {"all", "order_by", "only", "defer", "select_related", "prefetch_related", "using"}
    | {"count", "exists", "first", "last", "get", "distinct", "aggregate", "in_bulk"}
    | {"latest", "earliest", "none", "reverse", "dates", "datetimes"}
    | {"append", "items", "keys", "copy", "format", "join", "split", "strip", "lower"}
    | {"debug", "info", "warning", "error", "exception"}  # a logger's
)
_READING_BUILTINS = frozenset(
    {"len", "enumerate", "range", "list", "tuple", "set", "dict", "str", "int", "float"}
    | {"bool", "sorted", "min", "max", "sum", "zip", "isinstance", "any", "all", "print"}
)
_READING_MODULES = ("django.db.models.", "django.utils.timezone.")

Function = ast.FunctionDef | ast.AsyncFunctionDef


class _Block(msgspec.Struct, frozen=True):
    """Code that runs with the transaction open: a block's or a function's own nodes."""

    nodes: list[ast.AST]
    body: list[ast.stmt]  # its statements: the `with` block's, the function's
    function: Optional[Function]  # the function the code is written in
    atomic: Span
    decorated: bool
    via: tuple[str, ...] = ()
    # Nodes of the function that cannot run on this path: the body of `if flag:` for a
    # parameter `flag` the call leaves at a false default.
    unreachable: frozenset[int] = frozenset()
    # The class `self.m()` is looked up in: the caller's, kept while its inherited
    # methods run (None: the class the function is written in).
    cls: Optional[ast.ClassDef] = None
    view: Optional[RequestView] = None  # the transaction is the request's, if a view's


class TransactionExtraction:
    """The task calls of one file made inside `transaction.atomic()`."""

    def __init__(
        self,
        span: Callable[[ast.AST], Span],
        scopes: dict[int, Scope],
        module_scope: Scope,
        discarded: set[int],
    ) -> None:
        self.span = span
        self.scopes = scopes
        self.module_scope = module_scope
        self.discarded = discarded
        self.tree = ast.Module([], [])  # the module `dispatches` reads
        # The module's classes by name (`_module_classes`), read when a method is looked
        # up in a base class.
        self._classes: Optional[dict[str, ast.ClassDef]] = None
        self._class_binders: dict[int, tuple[ast.ClassDef, dict[str, list[ast.AST]]]] = {}

    def dispatches(
        self, tree: ast.Module, all_nodes: list[ast.AST], atomic_text: bool, views: bool = False
    ) -> list[TransactionDispatch]:
        """`atomic_text`: the text holds `atomic`; `views`: also the calls code a request
        runs may make (the text may hold some)."""
        atomic = atomic_text and any(
            _mentions_atomic(node) for node in all_nodes if type(node) in _NAMING
        )
        if not atomic and not views:
            return []
        functions = {s.name: s for s in tree.body if isinstance(s, _FUNCTIONS)}
        self.tree, self._classes = tree, None
        owners: dict[int, ast.ClassDef] = {}  # method -> its class
        enclosing: dict[int, Function] = {}  # a `with` -> the function it is written in
        definitions = [node for node in all_nodes if type(node) in _DEFINITIONS]
        for node in definitions:
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if isinstance(stmt, _FUNCTIONS):
                        owners[id(stmt)] = node
            elif isinstance(node, _FUNCTIONS):
                for inner in walk_own_scope(node.body):
                    if type(inner) in _WITH:
                        enclosing[id(inner)] = node
        blocks = self._blocks(all_nodes, enclosing) if atomic else []
        if views:
            blocks.extend(self._view_blocks(tree.body))
        # A block's calls and a view's apart: the rule may find the function no view.
        found: dict[tuple[Span, bool], TransactionDispatch] = {}
        # A view's functions walked, with what cannot run: each method of a view is one,
        # and may be called from every other (the first walk has the shortest path).
        walked: set[tuple[int, Optional[str], frozenset[int]]] = set()
        while blocks:
            block = blocks.pop(0)
            # The loops of the block's function, found when a send is (most blocks of a
            # view's methods send nothing).
            body = block.function.body if block.function else tree.body
            loops = functools.cache(functools.partial(_in_loops, body))
            # A `try` inside the block: a send moved to the commit leaves it. (One around
            # the whole `with` block still catches what the commit raises: plane's.)
            tries = functools.cache(functools.partial(_in_handled_tries, block.body))
            for node in block.nodes:
                if type(node) is not ast.Call or id(node) in block.unreachable:
                    continue
                record = self._dispatch(node, block, loops, tries)
                if record is not None:
                    key = (record.span, record.view is None)
                    known = found.get(key)
                    if known is None or _closer(record, known):
                        found[key] = record
                    continue
                if len(block.via) < _MAX_DEPTH:
                    helper = self._helper(node, block, functions, owners)
                    if helper is not None and helper[0] is not block.function:
                        function, name, cls = helper
                        nodes = walk_own_scope(function.body)
                        via = (*block.via, name)
                        off = _unreachable(function, node, nodes)
                        if block.view is not None:
                            walk = (id(function), block.view.cls, off)
                            if walk in walked:
                                continue
                            walked.add(walk)
                        blocks.append(
                            _Block(
                                nodes,
                                function.body,
                                function,
                                block.atomic,
                                block.decorated,
                                via,
                                off,
                                cls,
                                block.view,
                            )
                        )
        in_blocks = {span for span, of_block in found if of_block}
        return sorted(
            (
                record
                for (span, of_block), record in found.items()
                if of_block or span not in in_blocks
            ),
            key=lambda d: d.span,
        )

    def _blocks(self, all_nodes: list[ast.AST], enclosing: dict[int, Function]) -> list[_Block]:
        blocks: list[_Block] = []
        for node in all_nodes:
            if type(node) not in _OPENERS:
                continue
            if isinstance(node, _FUNCTIONS):
                for decorator in node.decorator_list:
                    if self._is_atomic(decorator):
                        nodes = walk_own_scope(node.body)
                        if not self._reads_only(nodes):  # as a `with` block's (baserow)
                            blocks.append(
                                _Block(nodes, node.body, node, self.span(decorator), True)
                            )
                        break
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    context = item.context_expr
                    if isinstance(context, ast.Call) and self._is_atomic(context):
                        nodes = walk_own_scope(node.body)
                        if self._reads_only(nodes):
                            break
                        function = enclosing.get(id(node))
                        atomic = self.span(context)
                        blocks.append(_Block(nodes, node.body, function, atomic, False))
                        break
        return blocks

    def _view_blocks(self, body: list[ast.stmt]) -> list[_Block]:
        """The code of the module a request may run, each with the view it would be: the
        instance methods of its top-level classes (a class with an `async def` is an async
        view, which Django does not run in a transaction: it raises instead), and its
        top-level functions decorated with DRF's `@api_view` or taking `request` first."""
        blocks: list[Optional[_Block]] = []
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                methods = [s for s in stmt.body if isinstance(s, _FUNCTIONS)]
                if not stmt.bases or any(isinstance(m, ast.AsyncFunctionDef) for m in methods):
                    continue  # no view (none has no base), or an async one
                blocks.extend(
                    self._view_block(method, RequestView(f"{stmt.name}.{method.name}", stmt.name))
                    for method in methods
                    if not any(_named(d) in _CLASS_BOUND for d in method.decorator_list)
                )
            elif isinstance(stmt, ast.FunctionDef):
                view = self._function_view(stmt)
                if view is not None:
                    blocks.append(self._view_block(stmt, view))
        return [block for block in blocks if block is not None]

    def _view_block(self, function: Function, view: RequestView) -> Optional[_Block]:
        """The function's own code, when it writes to the database (`_writes`). A view
        runs in the request's transaction whatever it does, and a send from one that
        writes nothing holds back no data: jumpserver's views send tasks about rows
        committed long before (9 sends, none of them a bug)."""
        nodes = walk_own_scope(function.body)
        if not _writes(nodes):
            return None
        return _Block(nodes, function.body, function, self.span(function), False, view=view)

    def _function_view(self, function: ast.FunctionDef) -> Optional[RequestView]:
        """A function decorated with DRF's `@api_view`, or one taking `request` first."""
        for decorator in function.decorator_list:
            called = decorator.func if isinstance(decorator, ast.Call) else decorator
            if self.module_scope.qualify(called) == API_VIEW:
                return RequestView(function.name, api_view=True)
        args = function.args
        first = [*args.posonlyargs, *args.args][:1]
        return RequestView(function.name) if first and first[0].arg == "request" else None

    def _reads_only(self, nodes: list[ast.AST]) -> bool:
        """Whether a block only reads: every call it makes sends a task or is a query,
        Django expression or builtin that writes nothing (glitchtip opens a transaction
        only for `.iterator()`'s server-side cursor behind pgbouncer). A transaction
        that writes nothing holds nothing a task could run too early to see."""
        for node in nodes:
            if type(node) is not ast.Call:
                continue
            assert isinstance(node, ast.Call)
            func = node.func
            if isinstance(func, ast.Attribute) and (
                func.attr in _READING_METHODS
                or func.attr in SENDING_METHODS
                or func.attr in SIGNATURE_METHODS
            ):
                continue
            if isinstance(func, ast.Name) and func.id in _READING_BUILTINS:
                continue
            scope = self.scopes.get(id(node), self.module_scope)
            qualified = scope.qualify(func) or ""
            if not qualified.startswith(_READING_MODULES):
                return False
        return True

    def _is_atomic(self, expr: ast.expr) -> bool:
        """`transaction.atomic`, `atomic(using=...)`, `transaction.atomic(savepoint=False)`.

        Not a transaction on a read replica (`using=settings.REPLICA_DB`): it
        holds no writes for a task to wait for.
        """
        if isinstance(expr, ast.Call):
            scope = self.scopes.get(id(expr), self.module_scope)
            using = next((k.value for k in expr.keywords if k.arg == "using"), None)
            if using is None and expr.args:
                using = expr.args[0]
            if using is not None and READ_ONLY.search(ast.unparse(using)):
                return False
            return scope.qualify(expr.func) in ATOMIC
        return self.module_scope.qualify(expr) in ATOMIC

    def _dispatch(
        self,
        call: ast.Call,
        block: _Block,
        loops: Callable[[], set[int]],
        tries: Callable[[], set[int]],
    ) -> Optional[TransactionDispatch]:
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr not in SENDING_METHODS:
            return None
        scope = self.scopes.get(id(call), self.module_scope)
        receiver = func.value
        method_span: Optional[Span] = None
        named_in = scope
        if func.attr != "send_task":
            kept = _kept_signature(receiver, call, block)  # sig = x.s(...); sig.delay()
            if kept is not None:
                receiver = kept
                named_in = self.scopes.get(id(kept), scope)
            signed = signature_receiver(receiver)  # x.s(...).delay()
            if signed is None:
                end = self.span(func)
                method_span = Span(
                    end.end_line, end.end_col - len(func.attr), end.end_line, end.end_col
                )
            receiver = signed or receiver
        return TransactionDispatch(
            self.span(call),
            func.attr,
            named_in.qualify(receiver),
            block.atomic,
            block.decorated,
            block.via,
            id(call) in self.discarded,
            id(call) in loops(),
            _transaction_name(scope),
            method_span,
            block.view,
            id(call) in tries(),
        )

    def _helper(
        self,
        call: ast.Call,
        block: _Block,
        functions: dict[str, Function],
        owners: dict[int, ast.ClassDef],
    ) -> Optional[tuple[Function, str, Optional[ast.ClassDef]]]:
        """The function of this module a call in the block runs: `helper()`, `self.m()`
        (and the class later `self.m()` calls are looked up in)."""
        func = call.func
        scope = self.scopes.get(id(call), self.module_scope)
        if isinstance(func, ast.Name) and func.id in functions:
            if scope.is_local(func.id) or func.id in scope.local_imports:
                return None  # a local name shadows the module's function
            return functions[func.id], f"{func.id}()", None
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return None
        caller = block.function
        if caller is None or id(caller) not in owners:
            return None
        owner = block.cls or owners[id(caller)]
        args = caller.args
        first = [*args.posonlyargs, *args.args][:1]
        if not first or first[0].arg != func.value.id:
            return None
        if any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in caller.decorator_list):
            return None
        method = self._method(owner, func.attr)
        return (method, f"{func.value.id}.{func.attr}()", owner) if method else None

    def _method(self, owner: ast.ClassDef, name: str) -> Optional[Function]:
        """The method `self.name()` calls on an instance of `owner`: its own, or one it
        inherits from a class of this module, found along the MRO. None when a class
        before it binds the name otherwise, or a base of another module (which may
        define it) comes first."""
        binds, found = self._defined(owner, name)
        if binds:
            return found
        if owner not in self.tree.body:
            return None  # a nested class: its bases are not the module's names
        mro = self._linearize(owner, ())
        for key in (mro or [])[1:]:
            cls = self._module_classes().get(key)
            if cls is None:
                return None  # another module's class, which may define it
            binds, found = self._defined(cls, name)
            if binds:
                return found
        return None

    def _defined(self, cls: ast.ClassDef, name: str) -> tuple[bool, Optional[Function]]:
        """Whether the class body binds `name`, and the method it is: the last `def` of
        the body's top level, when nothing else binds it (an attribute, a `def` under
        `if`)."""
        binders = self._binders(cls).get(name)
        if binders is None:
            return False, None
        defs = [node for node in binders if isinstance(node, _FUNCTIONS) and node in cls.body]
        if len(defs) != len(binders):
            return True, None
        return True, max(defs, key=lambda node: node.lineno)

    def _binders(self, cls: ast.ClassDef) -> dict[str, list[ast.AST]]:
        """The nodes of the class body's own scope binding each name, read once a class:
        every method of a view is followed from each of its `self.m()` calls."""
        known = self._class_binders.get(id(cls))
        if known is not None and known[0] is cls:
            return known[1]
        binders: dict[str, list[ast.AST]] = {}
        for node in walk_own_scope(cls.body):
            for name in bound_in([node]):
                binders.setdefault(name, []).append(node)
        self._class_binders[id(cls)] = (cls, binders)
        return binders

    def _linearize(self, cls: ast.ClassDef, seen: tuple[str, ...]) -> Optional[list[str]]:
        """The class's MRO by name: the module's classes (bound once, by a `class`
        statement at top level, undecorated) followed through their bases; any other
        base is one opaque entry ("?name"). None when it cannot be told: a metaclass or
        other class keyword, a `*bases`, a cycle, an inconsistent order."""
        if cls.keywords or cls.name in seen:
            return None
        heads: list[list[str]] = []
        for base in cls.bases:
            if isinstance(base, ast.Starred):
                return None
            if self.module_scope.qualify(base) == "builtins.object":
                continue
            known = self._module_classes().get(base.id) if isinstance(base, ast.Name) else None
            if known is None:
                heads.append([f"?{ast.unparse(base)}"])
                continue
            linear = self._linearize(known, (*seen, cls.name))
            if linear is None:
                return None
            heads.append(linear)
        merged = c3_merge([*heads, [head[0] for head in heads]], lambda key: key)
        return None if merged is None else [cls.name, *merged]

    def _module_classes(self) -> dict[str, ast.ClassDef]:
        """The undecorated classes of the module's top level whose name nothing else
        binds: a name for one of them means that class (a decorator may return another,
        a star import may rebind any name: none then)."""
        if self._classes is None:
            body = self.tree.body
            bindings: dict[str, int] = {}
            for node in walk_own_scope(body):
                for name in bound_in([node]):
                    bindings[name] = bindings.get(name, 0) + 1
            self._classes = {
                s.name: s
                for s in body
                if isinstance(s, ast.ClassDef)
                and not s.decorator_list
                and bindings.get(s.name) == 1
                and "*" not in bindings
            }
        return self._classes


def non_atomic_views(body: list[ast.stmt], all_nodes: list[ast.AST]) -> tuple[str, ...]:
    """The names of views `transaction.non_atomic_requests` exempts, or may: the module's
    classes and functions that mention it (`@non_atomic_requests`, `@method_decorator(
    non_atomic_requests, name="dispatch")`), and every name inside the views a call of it
    wraps (`non_atomic_requests(views.Upload.as_view())`, `non_atomic_requests(using=
    "db")(view)`). By name, whatever it is imported as: a view left out is a miss only."""
    names: set[str] = set()
    for stmt in body:
        if isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)) and any(
            _named(node) == NON_ATOMIC for node in walk_all(stmt)
        ):
            names.add(stmt.name)
    for node in all_nodes:
        if type(node) is not ast.Call:
            continue
        assert isinstance(node, ast.Call)
        func = node.func.func if isinstance(node.func, ast.Call) else node.func
        if _named(func) == NON_ATOMIC:
            names.update(filter(None, (_named(n) for a in node.args for n in walk_all(a))))
    return tuple(sorted(names))


def _named(node: ast.AST) -> Optional[str]:
    """The name a `Name` or an `Attribute` ends with."""
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def _kept_signature(receiver: ast.expr, call: ast.Call, block: _Block) -> Optional[ast.expr]:
    """What `sig` of `sig.delay()` holds: the `task.s(...)` of `sig = task.s(...)`.

    Only when that statement has certainly run before the call: it is written
    before it, at the top level of the block or of the function (not under an
    `if`), and nothing else in the function binds `sig` (a reassignment, a loop
    target, a parameter, `global`), so the name holds that signature when the
    call runs. None for any other receiver.
    """
    function = block.function
    if not isinstance(receiver, ast.Name) or function is None:
        return None
    name = receiver.id
    # The statements are looked at first: most receivers are a task's name, bound by
    # an import, and are told apart here at no cost.
    for stmt in (*block.body, *function.body):
        signature = _signature_assigned(stmt, name)
        if signature is not None:
            ran_before = (stmt.end_lineno or 0, stmt.end_col_offset or 0) <= (
                call.lineno,
                call.col_offset,
            )
            return signature if ran_before and _bound_once(function, name) else None
    return None


def _signature_assigned(stmt: ast.stmt, name: str) -> Optional[ast.expr]:
    """`task.s(...)` of `name = task.s(...)` (`.si`, `.signature`), also annotated."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        target, value = stmt.target, stmt.value
    else:
        return None
    named = isinstance(target, ast.Name) and target.id == name
    return value if named and signature_receiver(value) is not None else None


def _bound_once(function: Function, name: str) -> bool:
    """One statement of the function's own code binds `name`, which is no parameter
    and is declared `global` or `nonlocal` nowhere in it (a nested function may
    rebind it then)."""
    args = function.args
    parameters = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    if any(parameter is not None and parameter.arg == name for parameter in parameters):
        return False
    declared = (n for n in walk_all(function) if isinstance(n, (ast.Global, ast.Nonlocal)))
    if any(name in node.names for node in declared):
        return False
    nodes = walk_own_scope(function.body)
    return sum(1 for node in nodes if name in bound_in([node])) == 1


_FALSE = (None, False, 0, "")


def _unreachable(function: Function, call: ast.Call, nodes: list[ast.AST]) -> frozenset[int]:
    """The nodes of `function` that cannot run when `call` calls it: the body of an `if
    flag:` (or `if flag and ...:`) for a parameter `flag` whose default is false, that
    the call does not pass and the function does not rebind (micromasters calls
    `update_cached_enrollment(...)` in a transaction without `index_user=True`)."""
    if unpacks(call):
        return frozenset()
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    # `self.helper(...)` passes its first parameter itself.
    given = len(call.args) + (1 if isinstance(call.func, ast.Attribute) else 0)
    named = {k.arg for k in call.keywords}
    defaults = dict(
        zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
    )
    defaults.update(
        (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
    )
    rebound = {
        node.id
        for node in nodes
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)
    }
    off = {
        a.arg
        for a, default in defaults.items()
        if isinstance(default, ast.Constant)
        and default.value in _FALSE
        and a.arg not in named
        and a.arg not in rebound
        and (a not in positional or positional.index(a) >= given)
    }
    if not off:
        return frozenset()
    unreachable: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.If) and _tests_flag(node.test, off):
            unreachable.update(id(inner) for stmt in node.body for inner in walk_all(stmt))
    return frozenset(unreachable)


def _tests_flag(test: ast.expr, flags: set[str]) -> bool:
    """`if flag:`, or `if flag and ...:`: false whenever the flag is."""
    if isinstance(test, ast.Name):
        return test.id in flags
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_tests_flag(value, flags) for value in test.values)
    return False


def _closer(record: TransactionDispatch, known: TransactionDispatch) -> bool:
    """Prefer a call written in the block itself, then the innermost block."""
    if len(record.via) != len(known.via):
        return len(record.via) < len(known.via)
    return record.atomic > known.atomic


def _mentions_atomic(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "atomic") or (
        isinstance(node, ast.alias) and (node.name == "atomic" or node.name.endswith(".atomic"))
    )


def _in_loops(body: list[ast.stmt]) -> set[int]:
    """Ids of the nodes inside a loop or comprehension of one function body."""
    inside: set[int] = set()
    for node in walk_own_scope(body):
        if isinstance(node, _LOOPS):
            inside.update(id(n) for n in walk_all(node))
    return inside


def _in_handled_tries(body: list[ast.stmt]) -> set[int]:
    """Ids of the nodes of `body` (not entering functions) inside the body of a `try`
    that handles exceptions."""
    inside: set[int] = set()
    for node in walk_own_scope(body):
        if isinstance(node, _TRIES) and node.handlers:
            for stmt in node.body:
                inside.update(id(n) for n in walk_all(stmt))
    return inside


_TRIES = tuple(getattr(ast, name) for name in ("Try", "TryStar") if hasattr(ast, name))


def _transaction_name(scope: Scope) -> Literal["django", "free", "other"]:
    """What `transaction` means where the call is written."""
    name = "transaction"
    if not (
        name in scope.local_imports
        or name in scope.local_names
        or name in scope.imports
        or name in scope.module_names
    ):
        return "free"
    return "django" if scope.qualify_name(name) == _DJANGO_TRANSACTION else "other"
