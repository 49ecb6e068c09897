"""CL801 delay-with-execution-options: `.delay()` given an execution option."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Optional, Union

from celerylint.diagnostics import Applicability, Diagnostic, Edit, Fix, PendingFix
from celerylint.facts.schema import CallArgument, FunctionFacts, Span
from celerylint.fixes.call_layout import CallKeyword, CallLayouts, DispatchSyntax
from celerylint.fixes.edits import insert, make_fix, replace
from celerylint.model.project import Project
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


def _code(names: Sequence[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


@rule("CL801", "delay-with-execution-options")
def delay_with_execution_options(project: Project) -> Iterator[Diagnostic]:
    for site in project.dispatches:
        call = site.call
        if call.method != "delay":
            continue
        options = [name for name in call.keywords if name in EXECUTION_OPTIONS]
        if not options:
            continue
        task = project.task_for(call.target, site.module)
        if task is None or not celery_task(project, task):
            continue
        function = task.body
        assert isinstance(function, FunctionFacts)  # a function task
        if function.kwarg or len(function.decorators) != 1:
            continue  # **kwargs takes anything; other decorators hide the real signature
        if overrides(project, task, ("delay", "apply_async", "__call__")):
            continue
        params = set(function.params)
        misplaced = [name for name in options if name not in params]
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
            site.path,
            call.span,
            pending_fix=_delay_fix(site.path, call.span, set(misplaced)),
        )


Argument = Union[CallArgument, CallKeyword]


def _expr(item: Argument) -> str:
    """An argument's source as an expression that can stand in a display."""
    src = item.source
    if item.wrapped:
        return f"({src})"
    if item.shape == "iterable" and not src.startswith(("(", "[", "{")):
        return f"({src})"  # f(x for x in y): the generator borrowed the call's parentheses
    return src


def _extent(item: Argument) -> Optional[Span]:
    """The span of an argument's value with its wrapping parentheses; None if unknown."""
    if item.wrapped:
        return item.outer
    return item.span if isinstance(item, CallArgument) else item.value_span


def _simple_unpacking(src: str, stars: str) -> Optional[str]:
    """`*args` / `**kw` of a plain (dotted) name: the name, else None."""
    if not src.startswith(stars):
        return None
    name = src[len(stars) :].strip()
    return name if _DOTTED.match(name) else None


def _args_text(args: Sequence[CallArgument]) -> str:
    if not args:
        return "()"
    if len(args) == 1 and args[0].starred:
        name = _simple_unpacking(args[0].source, "*")
        if name is not None:
            return name
    elements = [_expr(arg) for arg in args]
    return "(" + ", ".join(elements) + ("," if len(elements) == 1 else "") + ")"


def _kwargs_text(kwargs: Sequence[CallKeyword]) -> Optional[str]:
    if not kwargs:
        return None
    only = kwargs[0]
    if len(kwargs) == 1 and only.name is None and not only.wrapped:
        name = only.source.strip()
        if _DOTTED.match(name):
            return name
    entries = [f"**{_expr(k)}" if k.name is None else f'"{k.name}": {_expr(k)}' for k in kwargs]
    return "{" + ", ".join(entries) + "}"


def _delay_fix(path: str, span: Span, moved: set[str]) -> PendingFix:
    def build(layouts: CallLayouts) -> Optional[Fix]:
        syntax = layouts.dispatch(path, span)
        return _apply_async_fix(path, syntax, moved) if syntax else None

    return build


def _apply_async_fix(path: str, syntax: DispatchSyntax, moved: set[str]) -> Optional[Fix]:
    if any(k.span is None for k in syntax.kwargs):
        return None
    args = syntax.args
    task_kwargs = [k for k in syntax.kwargs if k.name not in moved]
    options = [k for k in syntax.kwargs if k.name in moved]
    message = "Use `.apply_async()` with the task's arguments and the execution options"
    extents = [_extent(a) for a in args]
    if any(extent is None for extent in extents):
        return None
    first = min([e.start for e in extents if e] + [k.span.start for k in syntax.kwargs if k.span])
    comments = syntax.comments
    if comments is None or any(comment >= first for comment in comments):
        # A comment among the arguments: edit around them, or give no fix.
        edits = _delay_edits_in_place(path, syntax, task_kwargs)
        return make_fix(message, Applicability.UNSAFE, edits) if edits else None
    items = [_args_text(args)]
    kwargs_text = _kwargs_text(task_kwargs)
    if kwargs_text is not None:
        items.append(kwargs_text)
    items.extend(f"{k.name}={_expr(k)}" for k in options)
    shape = syntax.shape
    close_line, close_col = shape.close
    if close_line != first[0] and shape.close_alone:
        # One item a line, with a trailing comma, as the call was laid out.
        indent = shape.last_indent
        text = f",\n{indent}".join(items) + f",\n{shape.close_indent})"
    else:
        text = ", ".join(items) + ")"
    edits = [
        replace(path, syntax.method_span, "apply_async"),
        replace(path, Span(*first, close_line, close_col + 1), text),
    ]
    return make_fix(message, Applicability.UNSAFE, edits)


def _delay_edits_in_place(
    path: str, syntax: DispatchSyntax, task_kwargs: Sequence[CallKeyword]
) -> list[Edit]:
    """Edits that leave every comment and line break of the call where it is.

    Only for calls written in the usual order (arguments, then the task's keywords,
    then the options); anything else gets no fix rather than losing a comment.
    """
    args = syntax.args
    kinds: list[tuple[tuple[int, int], str]] = [(a.span.start, "a") for a in args]
    staying = {id(k) for k in task_kwargs}
    kinds += [(k.span.start, "k" if id(k) in staying else "o") for k in syntax.kwargs if k.span]
    order = "".join(kind for _position, kind in sorted(kinds))
    if not re.fullmatch(r"a*k*o*", order):
        return []
    inserts: dict[tuple[int, int], str] = {}
    edits: list[Edit] = []

    def add(position: tuple[int, int], text: str) -> None:
        inserts[position] = inserts.get(position, "") + text

    edits.append(replace(path, syntax.method_span, "apply_async"))
    first_keyword = syntax.kwargs[0].span if syntax.kwargs else None
    if args:
        first_arg, last_arg = _extent(args[0]), _extent(args[-1])
        if first_arg is None or last_arg is None:
            return []
        add(first_arg.start, "(")
        add(last_arg.end, ",)" if len(args) == 1 else ")")
    elif first_keyword is not None:
        add(first_keyword.start, "(), ")
    if task_kwargs:
        first_task_keyword = task_kwargs[0].span
        assert first_task_keyword is not None  # checked by the caller
        add(first_task_keyword.start, "{")
        for keyword in task_kwargs:
            span, value = keyword.span, _extent(keyword)
            if value is None or span is None:
                return []
            if keyword.name is None:
                continue  # `**kw` stays as it is, inside the dict display
            if span.line != value.line:
                return []  # `k=` and its value on different lines: a comment may sit between
            name_to_value = Span(*span.start, *value.start)
            edits.append(replace(path, name_to_value, f'"{keyword.name}": '))
        last_value = _extent(task_kwargs[-1])
        if last_value is None:
            return []
        add(last_value.end, "}")
    edits.extend(insert(path, line, col, text) for (line, col), text in inserts.items())
    return edits
