"""CL404 retry-args-not-tuple: `self.retry(exc)` passes the exception as the task's arguments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint.diagnostics import Applicability, Diagnostic, Fix
from celerylint.facts.schema import RetryCall
from celerylint.fixes.edits import insert, make_fix
from celerylint.model.project import Project
from celerylint.rules._plain_tasks import retry_receivers
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule


@rule("CL404", "retry-args-not-tuple")
def retry_args_not_tuple(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        function = task.function
        if function is None or not any(retry.args for retry in function.retries):
            continue
        receivers = retry_receivers(project, task)
        for retry in function.retries:
            if retry.args_span is None or retry.receiver not in receivers:
                continue
            yield diagnostic(
                "CL404", _message(retry), task.path, retry.args_span, _fix(task.path, retry)
            )


def _message(retry: RetryCall) -> str:
    receiver = retry.receiver
    if retry.args == "exception":
        return (
            f"`{receiver}.retry(...)` is given the exception as `args`, the task's arguments: "
            "Celery makes a tuple of it and fails with TypeError instead of retrying; "
            "pass it as `exc=`"
        )
    return (
        f"`{receiver}.retry(...)` is given a string as `args`, the task's arguments: the task "
        "is sent again with one argument per character; pass an exception as `exc=`"
    )


def _fix(path: str, retry: RetryCall) -> Optional[Fix]:
    if retry.args != "exception" or not retry.exc_movable or retry.args_span is None:
        return None
    line, col = retry.args_span.start
    edit = insert(path, line, col, "exc=")
    return make_fix("Pass the exception as `exc=`", Applicability.UNSAFE, [edit])
