"""CL401 unbounded-retries: a task that retries forever."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint.diagnostics import Applicability, Diagnostic
from celerylint.facts.schema import FunctionFacts, RetryCall
from celerylint.fixes.edits import make_fix, replace
from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.model.tasks import Option, Task
from celerylint.rules._deciding_line import by_deciding_line
from celerylint.rules.base import diagnostic, task_apps
from celerylint.rules.registry import rule


@rule("CL401", "unbounded-retries")
def unbounded_retries(project: Project) -> Iterator[Diagnostic]:
    found: list[tuple[Task, Option]] = []
    for task in project.tasks:
        for app in task_apps(task):
            option = project.option(task, "max_retries", app)
            unbounded = option.origin != "default" and option.known and option.value.value is None
            if unbounded and _retries_by_its_limit(project, task, app):
                found.append((task, option))
                break
    for decided in by_deciding_line(found):
        option = decided.option
        fix = None
        ceiling = project.fix_defaults["max_retries"]
        span = option.node.span if option.node else None
        if option.origin in ("task", "base") and span and option.path:
            fix = make_fix(
                f"Set `max_retries={ceiling}`",
                Applicability.UNSAFE,
                [replace(option.path, span, str(ceiling))],
            )
        subject = decided.subject("has `max_retries=None`: it retries", "retry")
        yield diagnostic(
            "CL401",
            f"{subject} forever, and a permanent failure becomes a retry storm; set a ceiling",
            decided.path,
            decided.span,
            fix,
        )


def _retries_by_its_limit(project: Project, task: Task, app: Optional[App]) -> bool:
    """Whether a retry of the task obeys its `max_retries`: autoretry with no
    `max_retries` of its own in `retry_kwargs`, or a `retry()` call in the task's code
    that passes none. Without one, `max_retries=None` changes nothing: a task that never
    retries, or one whose every `retry(max_retries=9)` sets its own bound."""
    autoretry = project.option(task, "autoretry_for", app)
    if autoretry.origin != "default" and autoretry.nonempty:
        given = project.option(task, "retry_kwargs", app).value
        if given.known and isinstance(given.value, dict) and given.value.get("max_retries") is None:
            return True
    return any(retry.limit == "task" for retry in _own_retries(project, task))


def _own_retries(project: Project, task: Task) -> Iterator[RetryCall]:
    """The `retry()` calls on the task in its code: its function's, or its class's
    methods' (on `self`)."""
    if isinstance(task.body, FunctionFacts):
        functions = [task.body]
        bound = project.is_bound(task) is not False
    else:
        functions = list(task.body.methods.values())
        bound = True
    own = task.qualname.rsplit(".", 1)[-1]
    for function in functions:
        first = function.positional[0] if bound and function.positional else None
        yield from (retry for retry in function.retries if retry.receiver in (own, first))
