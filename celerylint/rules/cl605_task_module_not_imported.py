"""CL605 task-module-not-imported: a module defines tasks its app's worker never imports."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.model.tasks import Task
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule


@rule("CL605", "task-module-not-imported")
def task_module_not_imported(project: Project) -> Iterator[Diagnostic]:
    if not project.apps:
        return
    if any(project.worker_imports_start(app).open_reason for app in project.apps):
        return  # some worker imports modules that cannot be seen: any module may be one
    first: dict[str, Task] = {}
    for task in project.tasks:
        if task.kind != "function" or not task.apps:
            continue
        if task.path in project.test_paths:
            continue  # run by the test suite in its own process (eager, or a test worker)
        if task.module not in first or task.span < first[task.module].span:
            first[task.module] = task
    unreached = set(first)
    for app in project.apps:  # one at a time: each closure may parse hundreds of modules
        if not unreached:
            return  # every task module is imported: no closure needs finishing
        found = project.worker_imports(app, reaching=unreached)
        if found.open_reason is not None:
            return  # some worker imports modules that cannot be seen: any module may be one
        unreached -= found.modules
    for module in sorted(unreached):
        task = first[module]
        owner = task.apps[0] if task.apps else None
        if owner is None:
            continue
        how = "; ".join(project.worker_imports(owner).how)  # built whole above, and kept
        display = project.modules.display(module)
        yield diagnostic(
            "CL605",
            f"No worker of `{owner.id}` imports `{display}` ({how}), so its tasks are never "
            f'registered: the worker refuses them ("Received unregistered task of type '
            f"'{task.name or task.qualname}'\"); add the module to `include` or import it "
            "from a module the worker imports",
            task.path,
            task.span,
        )
