"""CL501 result-not-ignored: results stored that nobody reads."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.fixes.task_decorator import decorator_keyword_fix
from celerylint.model.project import Project
from celerylint.rules.base import backend_configured, diagnostic, task_label
from celerylint.rules.registry import rule

# Dispatch methods whose result is a signature or canvas part: the result may be read.
SIGNATURES = frozenset({"s", "si", "signature", "map", "starmap", "chunks"})


def _used_tasks(project: Project) -> tuple[set[str], set[str]]:
    """Qualified names and task names whose results some code keeps or reads."""
    qualnames: set[str] = set()
    names: set[str] = set()
    for site in project.dispatches:
        call = site.call
        kept = not call.discarded or call.method in SIGNATURES
        if not kept:
            continue
        if call.task_name:
            names.add(call.task_name)  # send_task("proj.tasks.x"), app.signature("proj.tasks.x")
        if not call.target:
            continue
        symbol = project.modules.resolve(call.target, site.module)
        if symbol.kind in ("function", "class") and symbol.module and symbol.name:
            qualnames.add(f"{symbol.module}.{symbol.name}")
    return qualnames, names


@rule("CL501", "result-not-ignored")
def result_not_ignored(project: Project) -> Iterator[Diagnostic]:
    used_qualnames, used_names = _used_tasks(project)
    for task in project.tasks:
        function = task.function
        if not task.apps or function is None or function.returns_value:
            continue
        if task.qualname in used_qualnames or (task.name and task.name in used_names):
            continue
        if function.is_async:
            continue
        stored = []
        for app in task.apps:
            ignore = project.option(task, "ignore_result", app)
            if not backend_configured(app) or not ignore.known or ignore.value.value:
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
