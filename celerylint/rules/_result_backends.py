"""Which apps certainly have no result backend (CL101, CL503).

Without one, Celery gives a `DisabledBackend`: no result is stored, read or
serialized. Deciding that needs more than the resolved setting: a deployment's
environment or another settings module of the app's packages may name one.
"""

from __future__ import annotations

from typing import Optional

from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.rules._fleet import may_run

# The variables a process's environment names a result backend with: Celery's own
# override, and the name settings modules read it from (`os.environ["RESULT_BACKEND"]`).
_BACKEND_VARIABLES = ("CELERY_RESULT_BACKEND", "RESULT_BACKEND")
# Texts of code that names a result backend, and of code that loads a `.env` file
# into the process's environment (python-dotenv, django-environ, django-dotenv).
_NAMING = ("RESULT_BACKEND", "result_backend", "result-backend")
_LOADING = ("load_dotenv(", "read_env(", "read_dotenv(")


class ResultBackends:
    """Which apps certainly have no result backend: `none`; `missing` when they do not
    run tasks eagerly either (an EagerResult needs no backend)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._missing_by_app: dict[str, bool] = {}
        self._none_by_app: dict[str, bool] = {}
        self._mentions: Optional[tuple[set[str], set[str]]] = None

    def missing(self, apps: list[App]) -> bool:
        return bool(apps) and all(self._missing(app) for app in apps)

    def _missing(self, app: App) -> bool:
        found = self._missing_by_app.get(app.key)
        if found is None:
            found = self._missing_by_app[app.key] = self._decide(app)
        return found

    def _decide(self, app: App) -> bool:
        eager = app.setting("task_always_eager")
        if not eager.known or eager.value.value:
            return False  # an EagerResult needs no backend
        return self.none(app)

    def none(self, app: App) -> bool:
        """The app certainly has no result backend, wherever it runs."""
        found = self._none_by_app.get(app.key)
        if found is None:
            backend = app.setting("result_backend")
            # Set, or set from somewhere that cannot be seen: not none.
            unset = backend.known and not backend.value.value
            found = self._none_by_app[app.key] = unset and not self._named_elsewhere(app)
        return found

    def switched_off(self, app: App) -> bool:
        """The app's configuration sets no result backend on purpose (pontoon's
        `CELERY_RESULT_BACKEND = None  # We don't store results`) and no deployment
        certainly gives it one. Unlike `none`, what might set one (a `.env` file the
        code loads, an environment not all read) does not count: nothing says it does,
        and a rule reporting what results use (CL101) reports only what is."""
        backend = app.setting("result_backend")
        return (
            backend.known
            and not backend.is_default
            and not backend.value.value
            and not _deployed_backend(self.project, app, maybe=False)
        )

    def _named_elsewhere(self, app: App) -> bool:
        """A backend may come from where the settings resolution does not look.

        `CELERY_RESULT_BACKEND` in a deployment's environment overrides every
        config source, and so does `--result-backend`; `app.conf.result_backend
        = ...` in a function, or another Django settings module chosen by
        `DJANGO_SETTINGS_MODULE`, is code of the app's packages that names a
        result backend without being part of the configuration resolved; and
        code that loads a `.env` file into the environment (`load_dotenv()`,
        django-environ's `read_env()`: pontoon's app module) may put
        `CELERY_RESULT_BACKEND` there.
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
        naming, loading = self._mentioning()
        for module in sorted({*naming, *loading}):
            path = project.modules.paths.get(module, "")
            if path in project.test_paths or _package(project, module) not in packages:
                continue
            if module in loading:
                return True
            if path in resolved:
                continue
            facts = project.modules.facts(module)
            if facts is None or facts.names_result_backend:
                return True
        return False

    def _mentioning(self) -> tuple[set[str], set[str]]:
        """The modules naming a result backend, and those loading a `.env` file."""
        if self._mentions is None:
            found = self.project.modules_mentioning([*_NAMING, *_LOADING])
            self._mentions = (
                {module for text in _NAMING for module in found[text]},
                {module for text in _LOADING for module in found[text]},
            )
        return self._mentions


def _package(project: Project, module: str) -> str:
    """The top-level package (or module) a module belongs to."""
    return project.modules.display(module).split(".", 1)[0]


def _deployed_backend(project: Project, app: App, maybe: bool = True) -> bool:
    """A deployed service that runs the app (or one whose app cannot be told) is given a
    result backend: `--result-backend`, a backend variable in its environment, or
    settings that resolve to a backend in that environment; with `maybe`, also where
    that cannot be told (an environment not all read, an unknown value)."""
    for service in project.services:
        if not may_run(project, service, app):
            continue
        if "result_backend" in service.options:
            return True
        for name in _BACKEND_VARIABLES:
            known, value = service.env_value(name)
            if value or (maybe and not known):  # maybe: an `env_file` not in the repository
                return True
        running = project.service_app(service)
        if running is not None:
            backend = project.as_deployed(running, service).setting("result_backend")
            if (backend.known and backend.value.value) or (maybe and not backend.known):
                return True
    return False
