"""CL502 result-expires-disabled: results that never expire."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule


@rule("CL502", "result-expires-disabled")
def result_expires_disabled(project: Project) -> Iterator[Diagnostic]:
    for app in project.apps:
        if not app.backend_configured:
            continue
        setting = app.setting("result_expires")
        located = setting.location
        if located and setting.known and setting.value.value in (None, 0):
            if _deletes_results(project):
                return
            if _own_result_model(project, app):
                continue
            yield diagnostic(
                "CL502",
                f"`{app.setting_key('result_expires')}` is {setting.value.value!r}: results "
                "never expire and the result backend grows until it fills up",
                *located,
            )


def _deletes_results(project: Project) -> bool:
    """Whether the project deletes django-celery-results' rows itself (grand-challenge's
    hourly task deletes `TaskResult` rows older than a week): a module outside the tests
    that names the model and calls `.delete(`."""
    found = project.modules_mentioning([*_RESULT_MODELS, ".delete("])
    deleting = set(found[".delete("])
    return any(
        module in deleting and project.modules.paths[module] not in project.test_paths
        for model in _RESULT_MODELS
        for module in found[model]
    )


def _own_result_model(project: Project, app: App) -> bool:
    """Whether the app's result backend is a class of the project that stores results
    as rows of a model of its own (`TaskModel = JobResult`: nautobot's job history,
    kept on purpose and cleaned up by a job of its own), not a store of results
    nobody keeps."""
    backend = app.setting("result_backend")
    name = backend.value.value if backend.known else None
    if not isinstance(name, str) or "://" in name or "." not in name:
        return False
    symbol = project.modules.resolve(name.replace(":", "."))  # `module:Class` too
    if symbol.kind != "class" or symbol.rest or symbol.module is None:
        return False
    facts = project.modules.facts(symbol.module)
    own = facts.classes.get(symbol.name) if facts is not None and symbol.name else None
    return own is not None and "TaskModel" in own.attrs


# django-celery-results' models of stored results.
_RESULT_MODELS = ("TaskResult", "GroupResult")
