"""What the methods of a `Celery` subclass write to the app's own configuration.

Such a class may configure its apps when a method runs (indico's and OpenCVE's
`init_app(flask_app)` write `self.conf[...]` or `self.conf.update(...)` from the
Flask config): the keys those methods write are not known where the app is made.
"""

from __future__ import annotations

import ast

from celerylint.facts.nodes import const_str

# Any key at all: `self.conf.update(mapping)`, `self.config_from_object(...)`.
ANY_KEY = "*"
# Not a setting: a method chooses the app's task class (`super().__init__(*a,
# task_cls=LimitedTask)`, `kwargs.setdefault("task_cls", ...)`, `self.task_cls = X`).
TASK_CLASS = "task_cls"
# The app's methods that load a whole configuration.
_LOADERS = frozenset({"config_from_object", "config_from_envvar", "add_defaults"})


def conf_writes(cls: ast.ClassDef) -> tuple[str, ...]:
    """The configuration keys the class's methods write on `self` (ANY_KEY: keys that
    cannot be told; TASK_CLASS: they choose the task class), sorted."""
    keys: set[str] = set()
    for method in cls.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        positional = [*method.args.posonlyargs, *method.args.args]
        if not positional:
            continue
        own = positional[0].arg
        for node in ast.walk(method):
            keys.update(_written(node, own))
    return tuple(sorted(keys))


def writes_conf_of(function: ast.FunctionDef | ast.AsyncFunctionDef, param: str) -> bool:
    """Whether a function may change the configuration of the app its parameter `param`
    is (`celery_app.config_from_object(...)`, `app.conf.x = v`), or hands it on."""
    for node in ast.walk(function):
        if _written(node, param):
            return True
        if isinstance(node, ast.Call) and any(
            isinstance(arg, ast.Name) and arg.id == param
            for arg in [*node.args, *(k.value for k in node.keywords)]
        ):
            return True
    return False


def _written(node: ast.AST, own: str) -> list[str]:
    if _chooses_task_class(node, own):
        return [TASK_CLASS]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        func = node.func
        if _is_own(func.value, own) and func.attr in _LOADERS:
            return [ANY_KEY]  # self.config_from_object(...)
        conf = _conf_key(func.value, own)
        if conf is not None:
            return [conf]  # self.conf.beat_schedule.update(...): that key
        if _is_conf(func.value, own) and func.attr in ("update", "setdefault"):
            if func.attr == "setdefault":
                key = const_str(node.args[0]) if node.args else None
                return [key or ANY_KEY]
            named = [k.arg for k in node.keywords if k.arg is not None]
            given = node.args or any(k.arg is None for k in node.keywords)
            return [*named, ANY_KEY] if given else named
        return []
    targets: list[ast.expr] = []
    if isinstance(node, (ast.Assign, ast.Delete)):
        targets = node.targets
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    written: list[str] = []
    for target in targets:
        if _is_conf(target, own):
            written.append(ANY_KEY)  # self.conf = ...
        elif isinstance(target, ast.Subscript) and _is_conf(target.value, own):
            written.append(const_str(target.slice) or ANY_KEY)  # self.conf["key"] = v
        else:
            conf = _conf_key(target, own)
            if conf is not None:
                written.append(conf)  # self.conf.key = v, self.conf.key["x"] = v
    return written


def _chooses_task_class(node: ast.AST, own: str) -> bool:
    """`f(..., task_cls=X)`, `kwargs["task_cls"] = X`, `kwargs.setdefault("task_cls", X)`,
    `self.task_cls = X` or `self.Task = X` in a method."""
    if isinstance(node, ast.Call):
        if any(keyword.arg == TASK_CLASS for keyword in node.keywords):
            return True
        func = node.func
        return (
            isinstance(func, ast.Attribute)
            and func.attr == "setdefault"
            and bool(node.args)
            and const_str(node.args[0]) == TASK_CLASS
        )
    if not isinstance(node, ast.Assign):
        return False
    for target in node.targets:
        if isinstance(target, ast.Subscript) and const_str(target.slice) == TASK_CLASS:
            return True
        if (
            isinstance(target, ast.Attribute)
            and target.attr in (TASK_CLASS, "Task")
            and _is_own(target.value, own)
        ):
            return True
    return False


def _is_own(expr: ast.expr, own: str) -> bool:
    return isinstance(expr, ast.Name) and expr.id == own


def _is_conf(expr: ast.expr, own: str) -> bool:
    """`self.conf`."""
    return isinstance(expr, ast.Attribute) and expr.attr == "conf" and _is_own(expr.value, own)


def _conf_key(expr: ast.expr, own: str) -> str | None:
    """The key of `self.conf.key`, or of anything inside it (`self.conf.key["x"]`)."""
    found = conf_key(expr)
    return found[1] if found is not None and _is_own(found[0], own) else None


def conf_key(expr: ast.expr) -> tuple[ast.expr, str] | None:
    """(`app`, `key`) of `app.conf.key`, or of anything inside it
    (`app.conf.beat_schedule["x"]`); None when the expression holds no such key."""
    while isinstance(expr, (ast.Attribute, ast.Subscript)):
        inner = expr.value
        if (
            isinstance(expr, ast.Attribute)
            and isinstance(inner, ast.Attribute)
            and inner.attr == "conf"
        ):
            return inner.value, expr.attr
        expr = inner
    return None
