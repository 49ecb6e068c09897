"""CL803 task-self-without-bind: a task takes `self` but is not bound."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint.diagnostics import Applicability, Diagnostic, Fix, PendingFix
from celerylint.fixes.call_layout import CallLayouts
from celerylint.fixes.edits import make_fix, replace
from celerylint.fixes.task_decorator import decorator_keyword_edits
from celerylint.model.project import Project
from celerylint.model.tasks import Task
from celerylint.rules._plain_tasks import celery_task, decorators_below
from celerylint.rules._task_attributes import TASK_ATTRIBUTES
from celerylint.rules.base import diagnostic, task_label
from celerylint.rules.registry import rule


@rule("CL803", "task-self-without-bind")
def task_self_without_bind(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        if task.kind != "function" or not celery_task(project, task):
            continue
        function = task.function
        if function is None or function.positional[:1] != ("self",):
            continue
        used = sorted(set(function.self_attrs) & TASK_ATTRIBUTES)
        if not used or decorators_below(task):
            continue
        if project.is_bound(task) is not False:
            continue  # bound, or not known
        yield diagnostic(
            "CL803",
            f"Task {task_label(task)} takes `self` and uses `self.{used[0]}`, but is not "
            "bound: Celery passes the caller's first argument as `self`; add `bind=True` "
            "to the task decorator",
            task.path,
            task.span,
            pending_fix=_bind_fix(task),
        )


def _bind_fix(task: Task) -> Optional[PendingFix]:
    decorator = task.options_call
    if decorator is None:
        return None
    message = "Add `bind=True` to the task decorator"
    if "bind" in decorator.kwargs:
        span = decorator.keyword_spans.get("bind")
        if span is None:
            return None
        # `bind=False` becomes `bind=True`: no layout needed.
        fix = make_fix(message, Applicability.UNSAFE, [replace(task.path, span, "bind=True")])
        return lambda layouts: fix

    def build(layouts: CallLayouts) -> Optional[Fix]:
        assert decorator is not None
        edits = decorator_keyword_edits(task.path, decorator, "bind=True", layouts)
        return make_fix(message, Applicability.UNSAFE, edits) if edits else None

    return build
