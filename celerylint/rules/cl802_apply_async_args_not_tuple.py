"""CL802 apply-async-args-not-tuple: `apply_async(args=...)` given a single value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Optional

from celerylint.diagnostics import Diagnostic, Span
from celerylint.fixes.edits import insert, make_fix, replace
from celerylint.model.project import Project
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule

# Receivers whose `apply_async(func, args=...)` is not Celery's.
_FOREIGN_APPLY_ASYNC = ("multiprocessing.", "billiard.", "concurrent.")
# `multiprocessing.Pool.apply_async` keywords that Celery's apply_async does not take.
_POOL_KEYWORDS = frozenset({"func", "kwds", "callback", "error_callback"})


@rule("CL802", "apply-async-args-not-tuple")
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
