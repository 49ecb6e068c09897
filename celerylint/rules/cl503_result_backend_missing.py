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
from celerylint.rules._fleet import may_run
from celerylint.rules.base import diagnostic, task_label
from celerylint.rules.registry import rule

# What Celery 5.7 raises on each read with the DisabledBackend (tests/test_premise_results.py).
_GET_ERROR = "`NotImplementedError: No result backend is configured`"
_META_ERROR = "`AttributeError` ('DisabledBackend' object has no attribute '_get_task_meta_for')"
_CHORD_ERROR = "`NotImplementedError: Starting chords requires a result backend to be configured`"


class _Backends:
    """Which apps certainly have no result backend (and do not run tasks eagerly)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._missing_by_app: dict[str, bool] = {}
        self._mentions: Optional[list[str]] = None

    def missing(self, apps: list[App]) -> bool:
        return bool(apps) and all(self._missing(app) for app in apps)

    def _missing(self, app: App) -> bool:
        found = self._missing_by_app.get(app.key)
        if found is None:
            found = self._missing_by_app[app.key] = self._decide(app)
        return found

    def _decide(self, app: App) -> bool:
        backend = app.setting("result_backend")
        if not backend.known or backend.value.value:
            return False  # set, or set from somewhere that cannot be seen
        eager = app.setting("task_always_eager")
        if not eager.known or eager.value.value:
            return False  # an EagerResult needs no backend
        return not self._named_elsewhere(app)

    def _named_elsewhere(self, app: App) -> bool:
        """A backend may come from where the settings resolution does not look.

        `CELERY_RESULT_BACKEND` in a deployment's environment overrides every
        config source, and so does `--result-backend`; `app.conf.result_backend
        = ...` in a function, or another Django settings module chosen by
        `DJANGO_SETTINGS_MODULE`, is code of the app's packages that names a
        result backend without being part of the configuration resolved.
        """
        project = self.project
        if _deployed_backend(project, app):
            return True
        resolved = {app.path}
        for layer in app.configured_layers:
            resolved.update(entry.path for entry in layer.entries.values())
            resolved.update([layer.path] if layer.path else [])
        packages = {_package(project, app.module)}
        packages.update(
            _package(project, m) for p in resolved if (m := project.modules.module_of(p))
        )
        for module in self._mentioning():
            path = project.modules.paths.get(module, "")
            if (
                path in resolved
                or path in project.test_paths
                or _package(project, module) not in packages
            ):
                continue
            facts = project.modules.facts(module)
            if facts is None or facts.names_result_backend:
                return True
        return False

    def _mentioning(self) -> list[str]:
        if self._mentions is None:
            texts = ["RESULT_BACKEND", "result_backend", "result-backend"]
            found = self.project.modules_mentioning(texts).values()
            self._mentions = sorted({module for modules in found for module in modules})
        return self._mentions


def _package(project: Project, module: str) -> str:
    """The top-level package (or module) a module belongs to."""
    return project.modules.display(module).split(".", 1)[0]


@rule("CL503", "result-backend-missing")
def result_backend_missing(project: Project) -> Iterator[Diagnostic]:
    backends = _Backends(project)
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
    project: Project, backends: _Backends, module: str, path: str, read: ResultRead
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
    backends: _Backends,
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


# The variables a process's environment names a result backend with: Celery's own
# override, and the name settings modules read it from (`os.environ["RESULT_BACKEND"]`).
_BACKEND_VARIABLES = ("CELERY_RESULT_BACKEND", "RESULT_BACKEND")


def _deployed_backend(project: Project, app: App) -> bool:
    """A deployed service that runs the app (or one whose app cannot be told) is given a
    result backend: `--result-backend`, a backend variable in its environment, or
    settings that resolve to a backend (or to an unknown value) in that environment."""
    for service in project.services:
        if not may_run(project, service, app):
            continue
        if "result_backend" in service.options:
            return True
        if any(service.environment.get(name, "") != "" for name in _BACKEND_VARIABLES):
            return True
        running = project.service_app(service)
        if running is not None:
            backend = project.as_deployed(running, service).setting("result_backend")
            if not backend.known or backend.value.value:
                return True
    return False
