"""CL302 result-get-in-task: a task waits on another task's result."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.rules.base import diagnostic, task_label
from celerylint.rules.registry import rule


@rule("CL302", "result-get-in-task")
def result_get_in_task(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        function = task.function
        if function is None:
            continue
        for wait in function.waits:
            yield diagnostic(
                "CL302",
                f"`.{wait.method}()` on a task result inside task {task_label(task)}: Celery "
                "raises RuntimeError ('Never call result.get() within a task!'), and forcing it "
                "can deadlock the worker pool; use a chain or chord callback instead",
                task.path,
                wait.span,
            )
