"""CL301 process-pool-in-task: a process pool created inside a prefork worker's task."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Optional

from celerylint.diagnostics import Diagnostic, Span
from celerylint.model.project import Project
from celerylint.model.tasks import Task
from celerylint.rules.base import diagnostic, task_label
from celerylint.rules.registry import rule

NON_FORKING_POOLS = frozenset({"threads", "solo", "gevent", "eventlet", "custom"})


def _runs_in_prefork(task: Task) -> bool:
    """False only when every app of the task is known to use a pool without children."""
    if not task.apps:
        return True
    for app in task.apps:
        pool = app.setting("worker_pool")
        if not (pool.known and str(pool.value.value).lower() in NON_FORKING_POOLS):
            return True
    return False


def _reachable(project: Project, task: Task) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """The task's code and the same-module functions/methods it calls, with call paths."""
    entry = task.function
    if entry is None:
        return
    facts = project.modules.facts(task.module) or {}
    functions = facts.get("functions", {})
    methods = task.body["methods"] if task.kind == "class" else {}
    start = task.qualname.rsplit(".", 1)[1] + (".run" if task.kind == "class" else "")
    queue: list[tuple[dict[str, Any], list[str]]] = [(entry, [start])]
    seen = {id(entry)}
    while queue:
        function, path = queue.pop(0)
        yield function, path
        for kind, name, _span in function["calls"]:
            target: Optional[dict[str, Any]] = None
            if kind == "f":
                target = functions.get(name)
                label = name
            else:
                target = methods.get(name)
                label = f"self.{name}"
            if target is not None and id(target) not in seen and len(path) < 20:
                seen.add(id(target))
                queue.append((target, [*path, label]))


@rule("CL301", "process-pool-in-task")
def process_pool_in_task(project: Project) -> Iterator[Diagnostic]:
    reported: set[tuple[str, tuple[int, ...]]] = set()
    if project.workers.all_without_children:
        return  # every worker found is started with -P threads/solo/gevent/eventlet
    for task in project.tasks:
        if not _runs_in_prefork(task):
            continue
        for function, call_path in _reachable(project, task):
            for factory, span in function["pools"]:
                key = (task.path, tuple(span))
                if key in reported:
                    continue
                reported.add(key)
                via = " -> ".join(call_path)
                shown = factory.replace("get_context().", "get_context(...).")
                yield diagnostic(
                    "CL301",
                    f"`{shown}` created inside task {task_label(task)} (via {via}): prefork "
                    "workers are daemonic processes, which cannot have children "
                    "(AssertionError), and forking there can deadlock; use threads or "
                    "billiard, or split the work into tasks",
                    task.path,
                    Span.from_list(span),
                )
