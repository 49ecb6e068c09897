"""CL804 retry-not-raised: `self.retry(...)` called but not raised."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Applicability, Diagnostic
from celerylint.fixes.edits import insert, make_fix
from celerylint.model.project import Project
from celerylint.rules._plain_tasks import retry_receivers
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule


@rule("CL804", "retry-not-raised")
def retry_not_raised(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        function = task.function
        if function is None:
            continue
        receivers = retry_receivers(project, task)
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
