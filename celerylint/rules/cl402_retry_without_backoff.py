"""CL402 retry-without-backoff: automatic retries at a fixed delay."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint.diagnostics import Applicability, Diagnostic, Fix, PendingFix
from celerylint.fixes.call_layout import CallLayouts
from celerylint.fixes.edits import make_fix
from celerylint.fixes.task_decorator import decorator_keyword_edits
from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.model.tasks import Option, Task
from celerylint.rules._deciding_line import Decided, by_deciding_line
from celerylint.rules._retries import never_retries, retries_nothing_raised
from celerylint.rules.base import diagnostic, task_apps
from celerylint.rules.registry import rule


@rule("CL402", "retry-without-backoff")
def retry_without_backoff(project: Project) -> Iterator[Diagnostic]:
    found: list[tuple[Task, Option]] = []
    unset: set[int] = set()  # tasks with no `retry_backoff` anywhere
    for task in project.tasks:
        for app in task_apps(task):
            autoretry = project.option(task, "autoretry_for", app)
            backoff = project.option(task, "retry_backoff", app)
            if not backoff.known:
                continue
            if (
                autoretry.nonempty
                and not backoff.value.value
                and not _own_countdown(project, task, app)
                and not never_retries(project, task, app)
                and not retries_nothing_raised(project, task, app, autoretry)
            ):
                # An explicit `retry_backoff=False` decides; else where retries are turned on.
                explicit = backoff.origin in ("task", "base") and backoff.located
                found.append((task, backoff if explicit else autoretry))
                if backoff.origin == "default":
                    unset.add(id(task))
                break
    for decided in by_deciding_line(found):
        subject = decided.subject("retries", "retry")
        yield diagnostic(
            "CL402",
            f"{subject} automatically without `retry_backoff`: every failure is retried at a "
            "fixed delay, hammering a struggling dependency; add `retry_backoff=True`",
            decided.path,
            decided.span,
            pending_fix=_backoff_fix(decided, unset),
        )


def _own_countdown(project: Project, task: Task, app: Optional[App]) -> bool:
    """`retry_kwargs={"countdown": 5}` (mitxpro) or `default_retry_delay=2` (mit-learn's
    search tasks, retrying a race): the task chose its retries' delay, as one that calls
    `self.retry(countdown=...)` does. `retry_backoff=True` would replace it."""
    delay = project.option(task, "default_retry_delay", app)
    if delay.origin != "default" and (delay.known or delay.origin != "annotation"):
        return True
    if project.options.declared(task, "default_retry_delay") is not None:
        return True  # set on the task or its class, whatever annotations may say
    given = project.option(task, "retry_kwargs", app).value
    return given.known and isinstance(given.value, dict) and "countdown" in given.value


def _backoff_fix(decided: Decided, unset: set[int]) -> Optional[PendingFix]:
    """Add `retry_backoff=True` to the call that turns retries on, if no task sets it."""
    option = decided.option
    call, path = option.call, option.path
    if call is None or path is None or call.opaque or "retry_backoff" in call.kwargs:
        return None
    if any(id(task) not in unset for task in decided.tasks):
        return None  # a task sets `retry_backoff=False` elsewhere: adding it here is not enough

    def build(layouts: CallLayouts) -> Optional[Fix]:
        assert call is not None and path is not None  # narrowed above, for mypy
        edits = decorator_keyword_edits(path, call, "retry_backoff=True", layouts)
        return make_fix("Add `retry_backoff=True`", Applicability.UNSAFE, edits) if edits else None

    return build
