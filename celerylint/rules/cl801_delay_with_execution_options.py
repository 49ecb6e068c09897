"""CL801 delay-with-execution-options: `.delay()` given an execution option."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, Optional

from celerylint.diagnostics import Diagnostic, Edit, Fix, Span
from celerylint.fixes.edits import insert, make_fix, replace
from celerylint.model.project import Dispatch, Project
from celerylint.model.tasks import Task
from celerylint.rules._plain_tasks import celery_task, overrides
from celerylint.rules.base import diagnostic, task_label
from celerylint.rules.registry import rule

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


_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")


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


@rule("CL801", "delay-with-execution-options")
def delay_with_execution_options(project: Project) -> Iterator[Diagnostic]:
    for dispatch in project.dispatches:
        record = dispatch.record
        if record.get("m") != "delay" or "kwargs" not in record:
            continue
        options = [k for k in record["kwargs"] if k["name"] in EXECUTION_OPTIONS]
        if not options:
            continue
        task = _task_for(project, record.get("t"), dispatch.module)
        if task is None or not celery_task(project, task):
            continue
        function = task.body
        if function.get("kwarg") or len(function.get("decorators", [])) != 1:
            continue  # **kwargs takes anything; other decorators hide the real signature
        if overrides(project, task, ("delay", "apply_async", "__call__")):
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
