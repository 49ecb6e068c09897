"""Task definitions and call sites: CL801, CL802, CL803, CL804."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, Optional

from celerylint.diagnostics import Diagnostic, Edit, Fix, Span
from celerylint.model.project import Dispatch, Project
from celerylint.model.settings import App
from celerylint.model.tasks import SHARED_TASK, Task
from celerylint.rules.base import diagnostic, rule, task_label
from celerylint.rules.fixes import add_keyword, insert, make_fix, replace

# `apply_async` keywords that `delay` would hand to the task as arguments.
EXECUTION_OPTIONS = frozenset(
    {
        "countdown",
        "eta",
        "expires",
        "queue",
        "priority",
        "routing_key",
        "exchange",
        "retry",
        "retry_policy",
        "serializer",
        "compression",
        "headers",
        "link",
        "link_error",
        "shadow",
        "task_id",
        "time_limit",
        "soft_time_limit",
        "ignore_result",
        "add_to_parent",
        "publisher",
    }
)

# Public attributes of celery.app.task.Task (Celery 5.x): `self.<one of these>` in
# a task function says that `self` was meant to be the task.
TASK_ATTRIBUTES = frozenset(
    {
        "AsyncResult",
        "MaxRetriesExceededError",
        "OperationalError",
        "Request",
        "Strategy",
        "abstract",
        "acks_late",
        "acks_on_failure",
        "acks_on_failure_or_timeout",
        "acks_on_timeout",
        "add_around",
        "add_to_chord",
        "add_trail",
        "after_return",
        "annotate",
        "app",
        "apply",
        "apply_async",
        "backend",
        "before_start",
        "bind",
        "chunks",
        "default_retry_delay",
        "delay",
        "expires",
        "from_config",
        "ignore_result",
        "map",
        "max_retries",
        "name",
        "on_bound",
        "on_failure",
        "on_replace",
        "on_retry",
        "on_success",
        "pop_request",
        "priority",
        "push_request",
        "rate_limit",
        "reject_on_worker_lost",
        "replace",
        "request",
        "request_stack",
        "resultrepr_maxsize",
        "retry",
        "retry_on_worker_lost",
        "run",
        "s",
        "send_event",
        "send_events",
        "serializer",
        "shadow_name",
        "si",
        "signature",
        "signature_from_request",
        "soft_time_limit",
        "starmap",
        "start_strategy",
        "store_errors_even_if_ignored",
        "subtask",
        "subtask_from_request",
        "throws",
        "time_limit",
        "track_started",
        "trail",
        "typing",
        "update_state",
    }
)

CELERY_CLASSES = frozenset({"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"})
# What a `Celery` subclass may override to change how tasks are made or called.
_APP_HOOKS = frozenset({"task", "_task_from_fun", "create_task_cls", "subclass_with_self"})
_APP_ATTRS = frozenset({"task_cls", "Task"})

# Receivers whose `apply_async(func, args=...)` is not Celery's.
_FOREIGN_APPLY_ASYNC = ("multiprocessing.", "billiard.", "concurrent.")
# `multiprocessing.Pool.apply_async` keywords that Celery's apply_async does not take.
_POOL_KEYWORDS = frozenset({"func", "kwds", "callback", "error_callback"})

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")


# --------------------------------------------------------------------------- helpers


def _celery_task(project: Project, task: Task) -> bool:
    """A function task made by Celery's own decorator, in apps that are plain `Celery`."""
    decorator = task.decorator
    if task.kind != "function" or decorator is None:
        return False
    if decorator["q"] in project.task_decorators:
        return False  # a project decorator: what it adds (bind, wrappers) is not visible
    if task.apps is None and decorator["q"] not in SHARED_TASK:
        return False  # `<something>.task` of an app we cannot see
    return all(_plain_app(project, app) for app in task.apps or [])


def _plain_app(project: Project, app: App) -> bool:
    """The app is a `Celery`, or a project subclass that leaves task creation alone."""
    callee = app.record.get("callee")
    near: Optional[str] = app.module
    for _depth in range(10):
        if callee in CELERY_CLASSES:
            return True
        if not callee:
            return False
        symbol = project.modules.resolve(callee, near)
        if symbol.kind != "class" or not symbol.module or not symbol.name or symbol.rest:
            return False
        cls = (project.modules.facts(symbol.module) or {}).get("classes", {}).get(symbol.name)
        if cls is None or len(cls.get("bases", [])) != 1:
            return False
        if _APP_HOOKS & set(cls.get("methods", {})) or _APP_ATTRS & set(cls.get("attrs", {})):
            return False
        callee, near = cls["bases"][0], symbol.module
    return False


def _decorators_below(task: Task) -> bool:
    """Decorators applied before the task decorator: they may change the signature."""
    decorators = task.body.get("decorators", [])
    for index, decorator in enumerate(decorators):
        if decorator is task.decorator:
            return index + 1 < len(decorators)
    return True


def _bind(project: Project, task: Task) -> Optional[bool]:
    """Whether the task decorator binds the task; None if unknown."""
    decorator = task.decorator
    if decorator is None or decorator.get("opaque"):
        return None
    node = decorator["kwargs"].get("bind")
    if node is None:
        return False
    value = project.evaluator.evaluate(node, task.path)
    if not value.known:
        return None
    return bool(value.value)


def _overrides(project: Project, task: Task, methods: Sequence[str]) -> bool:
    """The task's base classes define one of `methods`, or cannot be seen."""
    chain = project.options.base_chain(task)
    if chain is None:
        return True
    return any(name in cls.get("methods", {}) for _module, _name, cls in chain for name in methods)


def _task_for(project: Project, target: Optional[str], near: str) -> Optional[Task]:
    """The function task a dispatch's receiver (`t`, written in module `near`) names."""
    if not target:
        return None
    symbol = project.modules.resolve(target, near)
    if symbol.kind != "function" or symbol.rest or not symbol.module or not symbol.name:
        return None
    qualname = f"{symbol.module}.{symbol.name}"
    for task in project.tasks:
        if task.qualname == qualname and task.kind == "function":
            return task
    return None


def _code(names: Sequence[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


# --------------------------------------------------------------------------- CL801


@rule("CL801")
def delay_with_execution_options(project: Project) -> Iterator[Diagnostic]:
    for dispatch in project.dispatches:
        record = dispatch.record
        if record.get("m") != "delay" or "kwargs" not in record:
            continue
        options = [k for k in record["kwargs"] if k["name"] in EXECUTION_OPTIONS]
        if not options:
            continue
        task = _task_for(project, record.get("t"), dispatch.module)
        if task is None or not _celery_task(project, task):
            continue
        function = task.body
        if function.get("kwarg") or len(function.get("decorators", [])) != 1:
            continue  # **kwargs takes anything; other decorators hide the real signature
        if _overrides(project, task, ("delay", "apply_async", "__call__")):
            continue
        params = set(function.get("params", []))
        misplaced = [k["name"] for k in options if k["name"] not in params]
        if not misplaced:
            continue
        options_text = ", ".join(f"{name}=..." for name in misplaced)
        plural = len(misplaced) > 1
        yield diagnostic(
            "CL801",
            f"`.delay()` passes {_code(misplaced)} to task {task_label(task)} as "
            f"{'task arguments' if plural else 'a task argument'}, not as "
            f"{'execution options' if plural else 'an execution option'}, and the task "
            f"does not take {'them' if plural else 'it'} (`TypeError`); use "
            f"`.apply_async(args, kwargs, {options_text})`",
            dispatch.path,
            Span.from_list(record["span"]),
            _delay_fix(dispatch, set(misplaced)),
        )


def _expr(item: dict[str, Any]) -> str:
    """An argument's source as an expression that can stand in a display."""
    src = item["src"]
    if item.get("wrapped"):
        return f"({src})"
    if item.get("shape") == "iterable" and not src.startswith(("(", "[", "{")):
        return f"({src})"  # f(x for x in y): the generator borrowed the call's parentheses
    return src


def _extent(item: dict[str, Any], key: str) -> Optional[list[int]]:
    """The span of an argument (`key`) with its wrapping parentheses; None if unknown."""
    if item.get("wrapped"):
        return item.get("outer")
    return item[key]


def _simple_unpacking(src: str, stars: str) -> Optional[str]:
    """`*args` / `**kw` of a plain (dotted) name: the name, else None."""
    if not src.startswith(stars):
        return None
    name = src[len(stars) :].strip()
    return name if _DOTTED.match(name) else None


def _args_text(args: list[dict[str, Any]]) -> str:
    if not args:
        return "()"
    if len(args) == 1 and args[0].get("starred"):
        name = _simple_unpacking(args[0]["src"], "*")
        if name is not None:
            return name
    elements = [_expr(arg) for arg in args]
    return "(" + ", ".join(elements) + ("," if len(elements) == 1 else "") + ")"


def _kwargs_text(kwargs: list[dict[str, Any]]) -> Optional[str]:
    if not kwargs:
        return None
    only = kwargs[0]
    if len(kwargs) == 1 and only["name"] is None and not only.get("wrapped"):
        name = only["src"].strip()
        if _DOTTED.match(name):
            return name
    entries = [
        f"**{_expr(k)}" if k["name"] is None else f'"{k["name"]}": {_expr(k)}' for k in kwargs
    ]
    return "{" + ", ".join(entries) + "}"


def _delay_fix(dispatch: Dispatch, moved: set[str]) -> Optional[Fix]:
    record = dispatch.record
    shape = record.get("shape")
    method_span = record.get("method_span")
    if not shape or not method_span or any(k.get("span") is None for k in record["kwargs"]):
        return None
    args = record["args"]
    task_kwargs = [k for k in record["kwargs"] if k["name"] not in moved]
    options = [k for k in record["kwargs"] if k["name"] in moved]
    message = "Use `.apply_async()` with the task's arguments and the execution options"
    extents = [_extent(a, "span") for a in args]
    if any(extent is None for extent in extents):
        return None
    first = min([e[:2] for e in extents if e] + [k["span"][:2] for k in record["kwargs"]])
    comments = record.get("comments")
    if not isinstance(comments, list) or any(comment >= first for comment in comments):
        # A comment among the arguments: edit around them, or give no fix.
        edits = _delay_edits_in_place(dispatch.path, record, args, task_kwargs)
        return make_fix(message, False, edits) if edits else None
    items = [_args_text(args)]
    kwargs_text = _kwargs_text(task_kwargs)
    if kwargs_text is not None:
        items.append(kwargs_text)
    items.extend(f"{k['name']}={_expr(k)}" for k in options)
    close_line, close_col = shape["close"]
    if close_line != first[0] and shape.get("close_alone"):
        # One item a line, with a trailing comma, as the call was laid out.
        indent = shape.get("last_indent", "    ")
        text = f",\n{indent}".join(items) + f",\n{shape.get('close_indent', '')})"
    else:
        text = ", ".join(items) + ")"
    edits = [
        replace(dispatch.path, method_span, "apply_async"),
        replace(dispatch.path, [first[0], first[1], close_line, close_col + 1], text),
    ]
    return make_fix(message, False, edits)


def _delay_edits_in_place(
    path: str,
    record: dict[str, Any],
    args: list[dict[str, Any]],
    task_kwargs: list[dict[str, Any]],
) -> list[Edit]:
    """Edits that leave every comment and line break of the call where it is.

    Only for calls written in the usual order (arguments, then the task's keywords,
    then the options); anything else gets no fix rather than losing a comment.
    """
    kinds: list[tuple[list[int], str]] = [(a["span"][:2], "a") for a in args]
    staying = {id(k) for k in task_kwargs}
    kinds += [(k["span"][:2], "k" if id(k) in staying else "o") for k in record["kwargs"]]
    order = "".join(kind for _position, kind in sorted(kinds))
    if not re.fullmatch(r"a*k*o*", order):
        return []
    inserts: dict[tuple[int, int], str] = {}
    edits: list[Edit] = []

    def add(position: Sequence[int], text: str) -> None:
        key = (position[0], position[1])
        inserts[key] = inserts.get(key, "") + text

    method_span = record["method_span"]
    edits.append(replace(path, method_span, "apply_async"))
    first_keyword = record["kwargs"][0]["span"] if record["kwargs"] else None
    if args:
        first_arg, last_arg = _extent(args[0], "span"), _extent(args[-1], "span")
        if first_arg is None or last_arg is None:
            return []
        add(first_arg[:2], "(")
        add(last_arg[2:], ",)" if len(args) == 1 else ")")
    elif first_keyword is not None:
        add(first_keyword[:2], "(), ")
    if task_kwargs:
        add(task_kwargs[0]["span"][:2], "{")
        for keyword in task_kwargs:
            span, value = keyword["span"], _extent(keyword, "value_span")
            if value is None:
                return []
            if keyword["name"] is None:
                continue  # `**kw` stays as it is, inside the dict display
            if span[0] != value[0]:
                return []  # `k=` and its value on different lines: a comment may sit between
            name_to_value = [span[0], span[1], value[0], value[1]]
            edits.append(replace(path, name_to_value, f'"{keyword["name"]}": '))
        last_value = _extent(task_kwargs[-1], "value_span")
        if last_value is None:
            return []
        add(last_value[2:], "}")
    edits.extend(insert(path, line, col, text) for (line, col), text in inserts.items())
    return edits


# --------------------------------------------------------------------------- CL802


@rule("CL802")
def apply_async_args_not_tuple(project: Project) -> Iterator[Diagnostic]:
    for dispatch in project.dispatches:
        record = dispatch.record
        if record.get("m") != "apply_async" or "args" not in record:
            continue
        if any(k["name"] in _POOL_KEYWORDS for k in record["kwargs"]):
            continue
        target = record.get("t")
        if target:
            symbol = project.modules.resolve(target, dispatch.module)
            if symbol.kind == "external" and symbol.qualname.startswith(_FOREIGN_APPLY_ASYNC):
                continue
        value: Optional[dict[str, Any]] = None
        span: Optional[list[int]] = None
        if record["args"]:
            value = record["args"][0]
            span = value["span"]
        else:
            named = [k for k in record["kwargs"] if k["name"] == "args"]
            if named:
                value = named[0]
                span = value["value_span"]
        if value is None or span is None or value.get("starred"):
            continue
        shape, wrapped = value.get("shape"), bool(value.get("wrapped"))
        shown = value["src"] if "\n" not in value["src"] and len(value["src"]) <= 40 else "x"
        if shape == "string":
            what = "a string"
        elif shape == "scalar":
            what = "a single constant"
        elif shape == "dict":
            what = "a dict"
        elif shape == "expression" and wrapped:
            what = f"`({shown})`, a single value in parentheses,"
        else:
            continue
        fix = None
        if shape == "dict":
            hint = "pass the task's keyword arguments as `kwargs=`, or a tuple as `args`"
        else:
            hint = f"write a one-element tuple: `({shown},)`"
            if wrapped:
                edit = insert(dispatch.path, span[2], span[3], ",")
            else:
                edit = replace(dispatch.path, span, f"({value['src']},)")
            fix = make_fix("Make `args` a one-element tuple", False, [edit])
        yield diagnostic(
            "CL802",
            f"`apply_async()` is given {what} as `args`, not a tuple: Celery refuses it "
            f"(`TypeError: task args must be a list or tuple`) and a signature splits it "
            f"into its items; {hint}",
            dispatch.path,
            Span.from_list(span),
            fix,
        )


# --------------------------------------------------------------------------- CL803


@rule("CL803")
def task_self_without_bind(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        if task.kind != "function" or not _celery_task(project, task):
            continue
        function = task.body
        positional = function.get("positional", [])
        if not positional or positional[0] != "self":
            continue
        used = sorted(set(function.get("self_attrs", [])) & TASK_ATTRIBUTES)
        if not used or _decorators_below(task):
            continue
        if _bind(project, task) is not False:
            continue  # bound, or not known
        yield diagnostic(
            "CL803",
            f"Task {task_label(task)} takes `self` and uses `self.{used[0]}`, but is not "
            "bound: Celery passes the caller's first argument as `self`; add `bind=True` "
            "to the task decorator",
            task.path,
            task.span,
            _bind_fix(task),
        )


def _bind_fix(task: Task) -> Optional[Fix]:
    decorator = task.decorator
    if decorator is None:
        return None
    message = "Add `bind=True` to the task decorator"
    if "bind" in decorator["kwargs"]:
        span = decorator.get("kwspans", {}).get("bind")
        if span is None:
            return None
        return make_fix(message, False, [replace(task.path, span, "bind=True")])
    bare_end = decorator["span"][2:] if not decorator["called"] else None
    edits = add_keyword(task.path, decorator.get("shape"), "bind=True", bare_end)
    return make_fix(message, False, edits) if edits else None


# --------------------------------------------------------------------------- CL804


@rule("CL804")
def retry_not_raised(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        function = task.function
        if function is None or not _bound_task(project, task):
            continue
        for retry in function.get("retries", []):
            if retry.get("stmt") != "expr" or retry.get("throw_false"):
                continue
            if not retry.get("throws"):
                continue  # `throw=` given a value we cannot read: it may not raise
            first = function["positional"][0]
            line, col = retry["stmt_span"][:2]
            yield diagnostic(
                "CL804",
                f"`{first}.retry(...)` is called but not raised: it raises `Retry` itself, "
                f"but the code reads as if execution went on; write `raise {first}.retry(...)`",
                task.path,
                Span.from_list(retry["span"]),
                make_fix(
                    f"Write `raise {first}.retry(...)`",
                    True,
                    [insert(task.path, line, col, "raise ")],
                ),
            )


def _bound_task(project: Project, task: Task) -> bool:
    """A task whose first parameter is the task itself and whose `retry` is Celery's."""
    if task.kind == "class":
        if not task.apps or not all(_plain_app(project, app) for app in task.apps):
            return False
        function = task.function
        if function is None or not function.get("positional"):
            return False
    else:
        if not _celery_task(project, task) or _decorators_below(task):
            return False
        if _bind(project, task) is not True or not task.body.get("positional"):
            return False
    return not _overrides(project, task, ("retry",))
