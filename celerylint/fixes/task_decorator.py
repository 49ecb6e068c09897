"""Adding a keyword to a function task's decorator, for the rules whose remedy it is."""

from __future__ import annotations

from typing import Optional

from celerylint.diagnostics import Applicability, Edit, Fix, PendingFix
from celerylint.facts.schema import Decorator
from celerylint.fixes.call_layout import CallLayouts
from celerylint.fixes.edits import add_keyword, make_fix
from celerylint.model.tasks import Task


def decorator_keyword_fix(task: Task, name: str, value: str, message: str) -> Optional[PendingFix]:
    """An unsafe fix adding `name=value` to a function task's decorator, if not there yet.

    Only where the task's own options are written (`@app.task(...)`, a partial
    used as `@p(...)`): a keyword added to a ready-made decorator (`@retrying`)
    would break it, and one added to a shared factory changes other tasks too.
    """
    decorator = task.options_call
    if decorator is None or name in task.own_options or task.opaque_options:
        return None

    def build(layouts: CallLayouts) -> Optional[Fix]:
        edits = decorator_keyword_edits(task.path, decorator, f"{name}={value}", layouts)
        return make_fix(message, Applicability.UNSAFE, edits) if edits else None

    return build


def decorator_keyword_edits(
    path: str, decorator: Decorator, keyword: str, layouts: CallLayouts
) -> list[Edit]:
    """Edits appending `keyword` to `@x(...)`, or turning `@x` into `@x(keyword)`."""
    if not decorator.called:
        return add_keyword(path, None, keyword, decorator.span.end)
    return add_keyword(path, layouts.shape(path, decorator.span), keyword)
