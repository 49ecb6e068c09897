"""Functions that make Celery apps: `make_celery(app)`, `celery_init_app(app)`.

A factory's app exists once per call, and the call may be in another module (the
worker's `celery = make_celery(create_app())`, or Celery's Flask guide, whose
`make_celery.py` reads `flask_app.extensions["celery"]`). So the factory is read
where it is defined, with its app and parameters standing as placeholders, and the
project model makes one app of each call (`model.factories`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Optional

import msgspec

from celerylint.facts.configuration import ConfigurationWrites, Def, certainly_run
from celerylint.facts.nodes import const_str, unpacks
from celerylint.facts.schema import (
    AppCall,
    CeleryFactory,
    ExtensionRead,
    FactoryCall,
    ImportTime,
)
from celerylint.facts.walk import TreeIndex, bound_in, bound_names, walk_own_scope


class CeleryFactories(ConfigurationWrites):
    """Celery factories, the module-level calls that may run one, and the reads of a
    Flask app's `extensions` that may return what one stored."""

    celery_factories: dict[str, CeleryFactory]
    extension_reads: list[ExtensionRead]
    _source_mentions_celery: bool
    _function_nodes: dict[str, Def]
    is_package: bool
    index: TreeIndex
    # Blocks of module-level statements that may not run (`_branch_extension_reads`).
    _branches: list[list[ast.stmt]]

    def _celery_factories(self) -> None:
        if not self._source_mentions_celery:
            return  # `Celery(...)`, `MyCelery(...)`: no factory makes an app here
        for name, function in self._function_nodes.items():
            args = function.args
            params = tuple(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])
            made = _made_celery(function, frozenset(params))
            if made is None:
                continue
            local, call, extension = made
            qualified = f"{self.module}.{name}"
            module_scope = self.scope
            placeholders = {param: f"{qualified}.{param}" for param in (*params, local)}
            self.scope = module_scope.child(placeholders, bound_names(function.body) - {local})
            apps, ops = len(self.apps), len(self.conf_ops)
            certain = certainly_run(function.body)
            try:
                self._maybe_app(local, call, conditional=False)
                for node in walk_own_scope(function.body):
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                        self._read_calls.add(id(node))
                        self._conf_call(node, node.func, id(node) not in certain)
                    elif isinstance(node, ast.Assign):
                        for target in node.targets:
                            if isinstance(target, ast.Subscript):
                                self._subscript_store(target, node.value, id(node) not in certain)
                            elif isinstance(target, ast.Attribute):
                                value = node.value
                                if target.attr == "Task":  # `celery.Task = ContextTask`
                                    value = _hooks_only_base(value, function) or value
                                self._attribute_store(target, value, id(node) not in certain)
            finally:
                self.scope = module_scope
            receiver = placeholders[local]
            made_apps = self.apps[apps:]
            own_ops = tuple(op for op in self.conf_ops[ops:] if op.receiver == receiver)
            del self.apps[apps:], self.conf_ops[ops:]
            if made_apps:
                app = self._with_local_task_class(made_apps[0], call, function)
                factory = CeleryFactory(params, local, app, own_ops, extension)
                self.celery_factories[name] = factory

    def _with_local_task_class(self, app: AppCall, call: ast.Call, function: Def) -> AppCall:
        """`Celery(..., task_cls=FlaskTask)`, `FlaskTask` a class of the factory's own
        (Celery's Flask guide: its `__call__` runs the task in the app's context): its
        base, when the class only overrides methods that change no option of a task."""
        given = next((k.value for k in call.keywords if k.arg == "task_cls"), None)
        base = _hooks_only_base(given, function) if given is not None else None
        if base is None:
            return app
        node = self.nodes.build(base, self.scope)
        return msgspec.structs.replace(app, kwargs={**app.kwargs, "task_cls": node})

    def _factory_call(self, name: str, call: ast.Call) -> None:
        """`app = create_app("production")`, `celery = make_celery(app)` at module level:
        the arguments, should the callee be a Flask or a Celery factory."""
        record = self._factory_call_record(name, call)
        if record is not None:
            self.factory_calls.append(record)

    def _factory_call_record(self, name: str, call: ast.Call) -> Optional[FactoryCall]:
        """A module-level call bound to `name` (""), if the callee is named like an app
        factory (`app` or `celery` in its name)."""
        callee = self.scope.qualify(call.func)
        last = callee.rsplit(".", 1)[-1].lower() if callee else ""
        if callee is None or ("app" not in last and "celery" not in last):
            return None
        args = tuple(self.nodes.build(arg, self.scope) for arg in call.args)
        kwargs = {
            k.arg: self.nodes.build(k.value, self.scope) for k in call.keywords if k.arg is not None
        }
        objects = tuple(self._object_named(arg) for arg in call.args)
        named = {k.arg: self._object_named(k.value) for k in call.keywords if k.arg is not None}
        return FactoryCall(
            name,
            callee,
            args,
            kwargs,
            unpacks(call),
            objects if any(objects) else (),
            {k: v for k, v in named.items() if v is not None},
            self.span(call),
        )

    def _import_time(self) -> ImportTime:
        """The app factories the module's own top-level statements certainly call."""
        calls: list[FactoryCall] = []
        for stmt in self.tree.body:
            if not isinstance(stmt, (ast.Expr, ast.Assign, ast.AnnAssign)) or stmt.value is None:
                continue
            value = stmt.value
            targets = (
                [stmt.target] if isinstance(stmt, ast.AnnAssign) else getattr(stmt, "targets", [])
            )
            bound = targets[0].id if len(targets) == 1 and isinstance(targets[0], ast.Name) else ""
            for call in certainly_called(value):
                record = self._factory_call_record(bound if call is value else "", call)
                if record is not None:
                    calls.append(record)
        return ImportTime(tuple(calls))

    def _object_named(self, value: ast.expr) -> Optional[str]:
        """What a factory's argument stands for, if a factory may read it: a name (its
        qualified name), or an argument-less call (`create_app()`)."""
        if isinstance(value, ast.Name):
            return self.scope.qualify_name(value.id)
        if isinstance(value, ast.Call) and not value.args and not value.keywords:
            callee = self.scope.qualify(value.func)
            return f"{callee}()" if callee else None
        return None

    def _extension_read(self, name: str, value: ast.expr) -> None:
        """`celery_app = flask_app.extensions["celery"]` at module level."""
        read = self._read_of_extension(value)
        qualified = self.scope.qualify(read[0]) if read else None
        if read and qualified:
            self.extension_reads.append(ExtensionRead(name, qualified, read[1]))

    def _read_of_extension(self, value: ast.expr) -> Optional[tuple[ast.expr, str]]:
        """(owner, key) of `owner.extensions["key"]`, also inside `typing.cast(T, ...)`
        (dify's `cast("Celery", app.extensions["celery"])`), which returns its value."""
        if isinstance(value, ast.Call) and len(value.args) == 2 and not value.keywords:
            func = value.func
            if getattr(func, "attr", getattr(func, "id", "")) == "cast":  # no need to qualify
                value = value.args[1] if self.scope.qualify(func) in _CASTS else value
        if not isinstance(value, ast.Subscript):
            return None
        owner, key = value.value, const_str(value.slice)
        if key is None or not (isinstance(owner, ast.Attribute) and owner.attr == "extensions"):
            return None
        return owner.value, key

    def _branch_extension_reads(self) -> None:
        """`app = create_app()`, then `celery = app.extensions["celery"]`, in one branch
        of a module-level statement (dify: `if is_db_command(): app =
        create_migrations_app()` / `else: app = create_app(); celery = ...`).

        Which branch runs is not known. But when no other statement binds `celery`, a
        process that loads it (the worker's `-A app.celery`) ran this branch: the read is
        of what the call just before, in the same branch, made (rebound by nothing in
        between). Read after the whole module: its namespace may be written at run time.
        """
        for block in self._branches:
            made: dict[str, str] = {}  # a name, and the callee of the call that bound it
            for stmt in block:
                read = self._read_in_branch(stmt, made)
                if read is not None:
                    self.extension_reads.append(read)
                for name in bound_names([stmt]):
                    made.pop(name, None)
                target = _single_name_target(stmt)
                value = stmt.value if isinstance(stmt, ast.Assign) else None
                callee = self.scope.qualify(value.func) if isinstance(value, ast.Call) else None
                if target is not None and callee:
                    made[target] = callee

    def _read_in_branch(self, stmt: ast.stmt, made: dict[str, str]) -> Optional[ExtensionRead]:
        """`var = owner.extensions[key]`, `owner` bound by a call in `made`, `var` bound by
        this statement only."""
        var = _single_name_target(stmt)
        if var is None or not isinstance(stmt, ast.Assign):
            return None
        read = self._read_of_extension(stmt.value)
        owner = read[0] if read else None
        if read is None or not (isinstance(owner, ast.Name) and owner.id in made):
            return None
        if self.dynamic or not self._bound_once(var):
            return None
        return ExtensionRead(var, f"{self.module}.{owner.id}", read[1], made[owner.id])

    def _bound_once(self, name: str) -> bool:
        """Whether one statement of the module binds `name`: counted over the module's
        own statements (`celery: Celery` under `if TYPE_CHECKING:` binds nothing), none
        of its functions declaring it `global`."""
        declared = (n for n in self.index.nodes if isinstance(n, (ast.Global, ast.Nonlocal)))
        if any(name in node.names for node in declared):
            return False
        nodes = walk_own_scope(self.tree.body)
        annotated = {
            id(n.target) for n in nodes if isinstance(n, ast.AnnAssign) and n.value is None
        }
        return sum(1 for n in nodes if id(n) not in annotated and name in bound_in([n])) == 1


def _single_name_target(stmt: ast.stmt) -> Optional[str]:
    """`name` of `name = value`."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    return None


def certainly_called(expr: ast.expr) -> Iterator[ast.Call]:
    """The calls evaluating `expr` certainly makes, barring an exception: a call, those
    of its callee's chain and of its arguments (`make_celery(create_app())`,
    `create_app().app_context().push()`); not those of a lambda, of one branch of
    `x if c else y`, of the right of `and`/`or`, of a comprehension."""
    if isinstance(expr, ast.Call):
        yield expr
        yield from certainly_called(expr.func)
        for arg in expr.args:
            yield from certainly_called(arg.value if isinstance(arg, ast.Starred) else arg)
        for keyword in expr.keywords:
            yield from certainly_called(keyword.value)
    elif isinstance(expr, ast.Attribute):
        yield from certainly_called(expr.value)


def _made_celery(
    function: Def, params: frozenset[str]
) -> Optional[tuple[str, ast.Call, Optional[tuple[str, str]]]]:
    """(local, call, extension) for a body that does `local = Celery(...)` at its top
    level and returns `local` (the first return decides) or stores it as
    `param.extensions[key]` (extension: (param, key))."""
    created: dict[str, ast.Call] = {}
    stored: Optional[tuple[str, str, str]] = None
    for stmt in function.body:
        if isinstance(stmt, ast.Return):
            returned = stmt.value.id if isinstance(stmt.value, ast.Name) else None
            if returned is not None and returned in created:
                extension = stored[1:] if stored and stored[0] == returned else None
                return returned, created[returned], extension
            break
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
            continue
        target, value = stmt.targets[0], stmt.value
        if isinstance(target, ast.Name) and isinstance(value, ast.Call) and _creates_celery(value):
            created[target.id] = value
        elif isinstance(target, ast.Subscript) and isinstance(value, ast.Name):
            owner, key = target.value, const_str(target.slice)
            if (
                value.id in created
                and key is not None
                and isinstance(owner, ast.Attribute)
                and owner.attr == "extensions"
                and isinstance(owner.value, ast.Name)
                and owner.value.id in params
            ):
                stored = (value.id, owner.value.id, key)
    if stored is None:
        return None
    return stored[0], created[stored[0]], stored[1:]


_CASTS = frozenset({"typing.cast", "typing_extensions.cast"})

# Methods a task class may override without changing what it is sent with, how it
# retries or which options it has: they run around or after the task's body.
_HOOKS = frozenset(
    {"__call__", "on_failure", "on_success", "on_retry", "after_return", "before_start"}
)


def _hooks_only_base(given: ast.expr, function: Def) -> Optional[ast.expr]:
    """The base of `given` when it names a class of the factory's own that only
    overrides hooks (the Flask guide's `FlaskTask`, the older `ContextTask`): what its
    tasks' options come from."""
    if not isinstance(given, ast.Name):
        return None
    defined = [
        stmt for stmt in function.body if isinstance(stmt, ast.ClassDef) and stmt.name == given.id
    ]
    if len(defined) != 1 or not _only_hooks(defined[0]):
        return None
    base = defined[0].bases[0]
    if isinstance(base, ast.Name):
        # `TaskBase = celery.Task`, then `class ContextTask(TaskBase)` (security_monkey).
        aliases = [
            stmt.value
            for stmt in function.body
            if isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == base.id for t in stmt.targets)
        ]
        if len(aliases) == 1:
            return aliases[0]
    return base


def _only_hooks(cls: ast.ClassDef) -> bool:
    """One plain base, and a body of docstrings and `_HOOKS` methods only."""
    if len(cls.bases) != 1 or cls.keywords or cls.decorator_list:
        return False
    return all(
        (isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name in _HOOKS)
        or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
        or isinstance(stmt, ast.Pass)
        or _abstract(stmt)
        for stmt in cls.body
    )


def _abstract(stmt: ast.stmt) -> bool:
    """`abstract = True`: Celery 3's mark of a base class, which sets no task option."""
    return (
        isinstance(stmt, ast.Assign)
        and [t.id for t in stmt.targets if isinstance(t, ast.Name)] == ["abstract"]
        and isinstance(stmt.value, ast.Constant)
        and stmt.value.value is True
    )


def _creates_celery(call: ast.Call) -> bool:
    """`Celery(...)`, `celery.Celery(...)`, `MyCelery(...)`: named like a Celery app class."""
    func = call.func
    callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return "celery" in callee.lower()
