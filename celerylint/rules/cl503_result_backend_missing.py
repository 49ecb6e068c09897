"""CL503 result-backend-missing: a result is read, or a chord started, with no result backend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint.diagnostics import Diagnostic, Related
from celerylint.facts.schema import ChordBuild, ResultRead, ResultSource
from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.rules._call_apps import (
    Receiver,
    app_list,
    current_app,
    receiver,
)
from celerylint.rules._result_backends import ResultBackends
from celerylint.rules.base import diagnostic, task_label
from celerylint.rules.registry import rule

# What Celery 5.7 raises on each read with the DisabledBackend (tests/test_premise_results.py).
_GET_ERROR = "`NotImplementedError: No result backend is configured`"
_META_ERROR = "`AttributeError` ('DisabledBackend' object has no attribute '_get_task_meta_for')"
_CHORD_ERROR = "`NotImplementedError: Starting chords requires a result backend to be configured`"


@rule("CL503", "result-backend-missing")
def result_backend_missing(project: Project) -> Iterator[Diagnostic]:
    backends = ResultBackends(project)
    for module in project.relevant:
        facts = project.modules.facts(module)
        path = project.modules.paths[module]
        if facts is None or path in project.test_paths:
            continue
        for read in facts.result_reads:
            found = _read(project, backends, module, path, read)
            if found is not None:
                yield found
        for chord in facts.chords:
            found = _chord(project, backends, module, path, chord)
            if found is not None:
                yield found


def _source_receiver(project: Project, source: ResultSource, module: str) -> Optional[Receiver]:
    if source.current_app:
        return current_app(project)
    found = receiver(project, source.receiver, module)
    if found is None or found.task is None:
        return found
    # A task may keep its results in a backend of its own: `@app.task(backend=...)`.
    option = project.option(found.task, "backend", found.apps[0])
    return found if option.origin == "default" else None


def _read(
    project: Project, backends: ResultBackends, module: str, path: str, read: ResultRead
) -> Optional[Diagnostic]:
    apps: list[App] = []
    described: list[str] = []
    for source in read.sources:
        found = _source_receiver(project, source, module)
        if found is None:
            return None
        apps.extend(app for app in found.apps if app not in apps)
        if source.kind == "handle":
            described.append("`AsyncResult(...)`")
        elif found.task is not None:
            described.append(f"`.{source.method}()` of task {task_label(found.task)}")
        else:
            described.append(f"`.{source.method}()`")
    if not backends.missing(apps):
        return None
    method = read.what in ("get", "wait", "ready", "successful", "failed")
    what = f"`.{read.what}()`" if method else f"`.{read.what}`"
    error = _GET_ERROR if read.what in ("get", "wait") else _META_ERROR
    origin = " or ".join(dict.fromkeys(described))
    return diagnostic(
        "CL503",
        f"{what} reads the result of {origin}, but {app_list(apps)} has no result backend "
        f"(`result_backend` is not set): Celery raises {error}; configure `result_backend` "
        "or stop reading the result",
        path,
        read.span,
        related=_app_locations(apps),
    )


def _chord(
    project: Project,
    backends: ResultBackends,
    module: str,
    path: str,
    chord: ChordBuild,
) -> Optional[Diagnostic]:
    apps: list[App] = []
    for name in chord.tasks:
        found = receiver(project, name, module)  # a task, or an app (`app.signature(...)`)
        if found is None:
            return None
        apps.extend(app for app in found.apps if app not in apps)
    if not apps:
        return None
    if chord.opaque:
        # Other parts may belong to any app: every app of the project must lack a backend.
        apps = list(project.apps)
    if not backends.missing(apps):
        return None
    shape = "This chord" if chord.form == "chord" else "`group(...) | ...` makes a chord, which"
    return diagnostic(
        "CL503",
        f"{shape} needs a result backend to collect its header's results, but "
        f"{app_list(apps)} has none (`result_backend` is not set): starting it raises "
        f"{_CHORD_ERROR}",
        path,
        chord.span,
        related=_app_locations(apps),
    )


def _app_locations(apps: list[App]) -> tuple[Related, ...]:
    return tuple(
        Related(app.path, app.span, f"app `{app.id}` has no result backend") for app in apps
    )
