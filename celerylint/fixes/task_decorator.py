"""Adding a keyword to a function task's decorator, for the rules whose remedy it is."""

from __future__ import annotations

from typing import Optional

from celerylint.diagnostics import Fix
from celerylint.fixes.edits import add_keyword, make_fix
from celerylint.model.tasks import Task


def decorator_keyword_fix(task: Task, name: str, value: str, message: str) -> Optional[Fix]:
    """An unsafe fix adding `name=value` to a function task's decorator, if not there yet."""
    decorator = task.decorator
    if decorator is None or name in decorator.kwargs or decorator.opaque:
        return None
    bare_end = decorator.span.end if not decorator.called else None
    edits = add_keyword(task.path, decorator.shape, f"{name}={value}", bare_end)
    return make_fix(message, False, edits) if edits else None
