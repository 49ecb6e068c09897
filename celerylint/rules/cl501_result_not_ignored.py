"""CL501 result-not-ignored: results stored that nobody reads."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.fixes.task_decorator import decorator_keyword_fix
from celerylint.model.project import Project
from celerylint.rules.base import diagnostic, task_label
from celerylint.rules.registry import rule


@rule("CL501", "result-not-ignored")
def result_not_ignored(project: Project) -> Iterator[Diagnostic]:
    readers = project.result_readers
    for task in project.tasks:
        function = task.function
        if not task.apps or function is None or function.returns_value:
            continue
        if readers.reads(task):
            continue
        if function.is_async:
            continue
        stored = []
        for app in task.apps:
            ignore = project.option(task, "ignore_result", app)
            if not app.backend_configured or not ignore.known or ignore.value.value:
                break
            stored.append(app)
        else:
            yield diagnostic(
                "CL501",
                f"Task {task_label(task)} returns nothing and no code reads its result, yet "
                "each run stores a result in the backend; set `ignore_result=True`",
                task.path,
                task.span,
                pending_fix=decorator_keyword_fix(
                    task, "ignore_result", "True", "Add `ignore_result=True`"
                ),
            )
