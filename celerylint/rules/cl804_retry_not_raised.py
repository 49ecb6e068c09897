"""CL804 retry-not-raised: `self.retry(...)` called but not raised."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Applicability, Diagnostic
from celerylint.fixes.edits import insert, make_fix
from celerylint.model.project import Project
from celerylint.model.tasks import Task
from celerylint.rules._plain_tasks import celery_task, decorators_below, overrides, plain_app
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule


@rule("CL804", "retry-not-raised")
def retry_not_raised(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        function = task.function
        if function is None:
            continue
        receivers = _task_names(project, task)
        for retry in function.retries:
            if retry.statement != "expr" or retry.throw_false:
                continue
            if not retry.throws or retry.receiver not in receivers:
                continue  # `throw=` given a value we cannot read: it may not raise
            first = retry.receiver
            line, col = retry.statement_span.start
            yield diagnostic(
                "CL804",
                f"`{first}.retry(...)` is called but not raised: it raises `Retry` itself, "
                f"but the code reads as if execution went on; write `raise {first}.retry(...)`",
                task.path,
                retry.span,
                make_fix(
                    f"Write `raise {first}.retry(...)`",
                    Applicability.SAFE,
                    [insert(task.path, line, col, "raise ")],
                ),
            )


def _task_names(project: Project, task: Task) -> set[str]:
    """The names the task's code calls it by: its first parameter when it is bound, its
    own name when Celery's decorator is the outermost (the module binds the task)."""
    names: set[str] = set()
    function = task.function
    if function is None:
        return names
    if _bound_task(project, task):
        names.add(function.positional[0])
    if (
        task.kind == "function"
        and task.decorators
        and task.decorators[0] is task.decorator
        and celery_task(project, task)
        and not overrides(project, task, ("retry",))
    ):
        own = task.qualname.rsplit(".", 1)[-1]
        if own not in function.positional and own not in function.kwonly:
            names.add(own)
    return names


def _bound_task(project: Project, task: Task) -> bool:
    """A task whose first parameter is the task itself and whose `retry` is Celery's."""
    if task.kind == "class":
        if not task.apps or not all(plain_app(project, app) for app in task.apps):
            return False
        function = task.function
        if function is None or not function.positional:
            return False
    else:
        if not celery_task(project, task) or decorators_below(task):
            return False
        if project.is_bound(task) is not True or not task.function or not task.function.positional:
            return False
    return not overrides(project, task, ("retry",))
