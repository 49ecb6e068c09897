"""CL602 unknown-task-name: a task named by a string that no app of the project registers."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.model.registry import BUILTIN_TASKS, TYPO_RATIO, TaskNameRef, TaskRegistry
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule

_GLOB = frozenset("*?[")

_WHERE = {
    "send_task": "`send_task` sends",
    "signature": "This signature names",
    "beat": "This beat entry schedules",
    "route": "This `task_routes` key names",
    "annotation": "This `task_annotations` key names",
}
_REFUSED = 'the worker refuses the message ("Received unregistered task")'
# What a name that matches no task does: sent, it is refused; a configuration key
# under it matches nothing, and the task it meant runs without it.
_CONSEQUENCE = {
    "route": "the route never applies",
    "annotation": "the annotation never applies",
}


@rule("CL602", "unknown-task-name")
def unknown_task_name(project: Project) -> Iterator[Diagnostic]:
    registry = project.task_registry
    if registry.incomplete is not None or not registry.names:
        return
    for ref in project.task_name_refs:
        if not _reportable(project, registry, ref):
            continue
        meant = registry.suggestion(ref.name)
        hint = f"; did you mean `{meant}`?" if meant else ""
        yield diagnostic(
            "CL602",
            f"{_WHERE[ref.kind]} task `{ref.name}`, which no app of the project registers: "
            f"{_CONSEQUENCE.get(ref.kind, _REFUSED)}{hint}",
            ref.path,
            ref.span,
        )


def _reportable(project: Project, registry: TaskRegistry, ref: TaskNameRef) -> bool:
    name = ref.name
    if not name or _GLOB & set(name) or name in BUILTIN_TASKS or registry.registers(name):
        return False
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in project.external_tasks):
        return False
    if registry.in_project(name):
        return True
    # Not under the project's packages: another service's task, unless it is a near
    # miss of a name the project registers.
    return registry.closest_ratio(name) >= TYPO_RATIO
