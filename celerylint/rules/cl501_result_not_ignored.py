"""CL501 result-not-ignored: results stored that nobody reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint.diagnostics import Diagnostic
from celerylint.fixes.task_decorator import decorator_keyword_fix
from celerylint.model.project import Project
from celerylint.model.services import Service
from celerylint.model.settings import App
from celerylint.model.tasks import Task
from celerylint.rules._fleet import consumed_queues, task_queue, workers_of
from celerylint.rules.base import diagnostic, task_label
from celerylint.rules.registry import rule


@rule("CL501", "result-not-ignored")
def result_not_ignored(project: Project) -> Iterator[Diagnostic]:
    readers = project.result_readers
    if readers.any_task:
        return  # a kept result of a task picked at run time: whose is read cannot be told
    read_by_id: Optional[bool] = None  # asked only once a task would be reported
    for task in project.tasks:
        function = task.function
        if not task.apps or function is None or function.returns_value:
            continue
        if task.path in project.test_paths:
            continue  # a test suite's task, not production's
        if _sends_itself(project, task):
            continue
        if readers.reads(task):
            continue
        if function.is_async:
            continue
        stored = []
        for app in task.apps:
            ignore = project.option(task, "ignore_result", app)
            if not ignore.known or ignore.value.value:
                break
            if not app.backend_configured and not _backend_where_deployed(project, task, app):
                break
            if _project_backend(project, app):
                break
            stored.append(app)
        else:
            if read_by_id is None:
                read_by_id = _results_read_by_ids_tasks_gave_out(project)
            if read_by_id:
                return
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


def _sends_itself(project: Project, task: Task) -> bool:
    """A base class of the project overrides how the task is sent, or sends it or reads
    its results in a method of its own: it may choose the task's id and read the result
    by it (learningequality studio's base class checked `TaskResult` rows for a duplicate
    in its `apply_async`; now its `enqueue` sends with `self.apply_async(task_id=...)` and
    its `fetch` reads `self.AsyncResult(task_id)`)."""
    for entry in project.options.base_mro(task) or ():
        if entry.terminal:
            return False
        if entry.facts is None:
            continue
        methods = entry.facts.methods
        if not _SENDING.isdisjoint(methods) or any(
            not _BY_ID.isdisjoint(method.self_attrs) for method in methods.values()
        ):
            return True
    return False


_SENDING = frozenset({"apply_async", "delay"})
# What a method uses on `self` to send the task under an id it picks, or read a result.
_BY_ID = frozenset({*_SENDING, "AsyncResult", "backend"})


def _project_backend(project: Project, app: App) -> bool:
    """Whether the app's result backend is a class of the project (`"share.celery:
    CeleryDatabaseBackend"`): what it stores, where, and who reads it is the project's
    own code (SHARE's admin lists and retries the stored results)."""
    backend = app.setting("result_backend").value
    return backend.known and isinstance(backend.value, str) and _names_class(project, backend.value)


def _names_class(project: Project, written: str) -> bool:
    """Whether a result backend as written names a class of the project, not a URL."""
    if "://" in written:
        return False
    module = written.partition(":")[0] if ":" in written else written.rpartition(".")[0]
    return bool(module) and project.modules.find(module) is not None


def _backend_where_deployed(project: Project, task: Task, app: App) -> bool:
    """Whether every deployed worker of the app that may consume the task's queue is
    certainly given a result backend (kuma's compose file sets `CELERY_RESULT_BACKEND`
    on its worker alone). False when no worker is deployed, or some worker of the app
    cannot be told."""
    workers = workers_of(project, app)
    if not workers:
        return False
    queue = task_queue(project, task, app)
    consuming = [
        worker
        for worker in workers
        if queue is None or (consumed := consumed_queues([worker])) is None or queue in consumed
    ]
    return bool(consuming) and all(
        _given_backend(project, service, deployed) for service, deployed in consuming
    )


def _given_backend(project: Project, service: Service, deployed: App) -> bool:
    """Whether the worker stores results in a backend that is not the project's own:
    `--result-backend`, or `CELERY_RESULT_BACKEND` in its environment (Celery reads both
    over every config source), or settings that read its environment."""
    try:
        written = service.option("result_backend")
    except LookupError:
        return False  # given, but its value cannot be read
    if not written:
        known, written = service.env_value("CELERY_RESULT_BACKEND")
        if not known:
            return False  # maybe set, to what cannot be told
    if written:  # an empty one leaves the settings to decide, as Celery does
        return not _names_class(project, written)
    return deployed.backend_configured and not _project_backend(project, deployed)


def _results_read_by_ids_tasks_gave_out(project: Project) -> bool:
    """Whether code outside tests reads results by id (`AsyncResult(task_id)`) and tasks
    give their own id out (`current_task.request.id`, `self.request.id`): weblate caches
    the running task's id and polls its state. Whose results are read is then unknown.

    Only the files the prefilter kept are read for it: `AsyncResult(` keeps a file, and a
    task's own code is kept by its decorator."""
    texts = ["AsyncResult(", "current_task.request", ".request.id"]
    found = {
        text: [m for m in modules if project.modules.paths.get(m) not in project.test_paths]
        for text, modules in project.relevant_modules_mentioning(texts).items()
    }
    return bool(found["AsyncResult("]) and bool(
        found["current_task.request"] or found[".request.id"]
    )
