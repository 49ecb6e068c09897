"""CL806 async-task: a task is an `async def` function, which Celery never awaits."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.model.tasks import Task
from celerylint.rules._plain_tasks import celery_task, decorators_below, overrides
from celerylint.rules.base import diagnostic, task_label
from celerylint.rules.registry import rule

# The pools Celery ships: each calls the task's function and takes what it returns as
# the result. A custom pool (`celery_aio_pool`, `celery_pool_asyncio`) may await it.
_CELERYS_POOLS = frozenset({"prefork", "processes", "threads", "solo", "eventlet", "gevent"})


@rule("CL806", "async-task")
def async_task(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        function = task.function
        if function is None or not function.is_async or not _run_as_written(project, task):
            continue
        yield diagnostic(
            "CL806",
            f"Task {task_label(task)} is an `async def` function: Celery calls it and gets a "
            "coroutine that it never awaits, so the body never runs (and the task still "
            "succeeds); make it a plain `def` that runs the coroutine with `asyncio.run(...)`",
            task.path,
            task.span,
        )


def _run_as_written(project: Project, task: Task) -> bool:
    """Whether Celery's own task class runs the function, in Celery's own pools: not
    through a decorator below the task's, nor a base class or app class that defines
    how it is called, nor a pool that may await it."""
    if not celery_task(project, task) or decorators_below(task):
        return False
    if overrides(project, task, ("__call__", "run")):
        return False
    return all(_celerys_pools(project, app) for app in task.apps or [])


def _celerys_pools(project: Project, app: App) -> bool:
    """Every deployed worker of the app runs one of Celery's pools, as far as can be told;
    without any, the pool its settings choose."""
    workers = [
        (service, deployed)
        for service, deployed in project.deployed(("worker",))
        if deployed.key == app.key
    ]
    if not workers:
        setting = app.setting("worker_pool")
        return setting.known and setting.value.value in _CELERYS_POOLS
    return all(
        project.service_pool(service, deployed) in _CELERYS_POOLS for service, deployed in workers
    )
