"""Results: CL501, CL502."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.rules.base import (
    backend_configured,
    diagnostic,
    rule,
    setting_key,
    setting_location,
    task_label,
)
from celerylint.rules.retries import decorator_keyword_fix

# Dispatch methods whose result is a signature or canvas part: the result may be read.
SIGNATURES = frozenset({"s", "si", "signature", "map", "starmap", "chunks"})


def _used_tasks(project: Project) -> tuple[set[str], set[str]]:
    """Qualified names and task names whose results some code keeps or reads."""
    qualnames: set[str] = set()
    names: set[str] = set()
    for dispatch in project.dispatches:
        record = dispatch.record
        kept = record["usage"] != "discarded" or record["m"] in SIGNATURES
        if not kept:
            continue
        if record.get("name"):
            names.add(record["name"])  # send_task("proj.tasks.x"), app.signature("proj.tasks.x")
        target = record.get("t")
        if not target:
            continue
        symbol = project.modules.resolve(target, dispatch.module)
        if symbol.kind in ("function", "class") and symbol.module and symbol.name:
            qualnames.add(f"{symbol.module}.{symbol.name}")
    return qualnames, names


@rule("CL501")
def result_not_ignored(project: Project) -> Iterator[Diagnostic]:
    used_qualnames, used_names = _used_tasks(project)
    for task in project.tasks:
        function = task.function
        if not task.apps or function is None or function["returns_value"]:
            continue
        if task.qualname in used_qualnames or (task.name and task.name in used_names):
            continue
        if function.get("async"):
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
                decorator_keyword_fix(task, "ignore_result", "True", "Add `ignore_result=True`"),
            )


@rule("CL502")
def result_expires_disabled(project: Project) -> Iterator[Diagnostic]:
    for app in project.apps:
        if not backend_configured(app):
            continue
        setting = app.setting("result_expires")
        located = setting_location(setting)
        if located and setting.known and setting.value.value in (None, 0):
            yield diagnostic(
                "CL502",
                f"`{setting_key(app, 'result_expires')}` is {setting.value.value!r}: results "
                "never expire and the result backend grows until it fills up",
                *located,
            )
