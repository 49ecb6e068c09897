"""CL802 apply-async-args-not-tuple: `apply_async(args=...)` given a single value."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Applicability, Diagnostic
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
    for site in project.dispatches:
        call = site.call
        if call.method != "apply_async":
            continue
        if any(name in _POOL_KEYWORDS for name in call.keywords):
            continue
        if call.target:
            symbol = project.modules.resolve(call.target, site.module)
            if symbol.kind == "external" and symbol.qualname.startswith(_FOREIGN_APPLY_ASYNC):
                continue
        value = call.args_value
        if value is None or value.starred:
            continue
        span = value.span
        shape, wrapped = value.shape, value.wrapped
        shown = value.source if "\n" not in value.source and len(value.source) <= 40 else "x"
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
                edit = insert(site.path, span.end_line, span.end_col, ",")
            else:
                edit = replace(site.path, span, f"({value.source},)")
            fix = make_fix("Make `args` a one-element tuple", Applicability.UNSAFE, [edit])
        yield diagnostic(
            "CL802",
            f"`apply_async()` is given {what} as `args`, not a tuple: Celery refuses it "
            f"(`TypeError: task args must be a list or tuple`) and a signature splits it "
            f"into its items; {hint}",
            site.path,
            span,
            fix,
        )
