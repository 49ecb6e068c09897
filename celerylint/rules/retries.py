"""Retries: CL401, CL402, CL403."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint.diagnostics import Diagnostic, Fix
from celerylint.model.project import Project
from celerylint.model.tasks import Task
from celerylint.rules.base import diagnostic, rule, task_apps, task_label
from celerylint.rules.fixes import add_keyword, make_fix, replace

BROAD = {"builtins.Exception": "Exception", "builtins.BaseException": "BaseException"}


@rule("CL401")
def unbounded_retries(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        for app in task_apps(task):
            option = project.option(task, "max_retries", app)
            if option.origin != "default" and option.known and option.value.value is None:
                fix = None
                ceiling = project.fix_defaults["max_retries"]
                if option.origin in ("task", "base") and option.node and option.path:
                    fix = make_fix(
                        f"Set `max_retries={ceiling}`",
                        False,
                        [replace(option.path, option.node[1], str(ceiling))],
                    )
                yield diagnostic(
                    "CL401",
                    f"Task {task_label(task)} has `max_retries=None`: it retries forever, and a "
                    "permanent failure becomes a retry storm; set a ceiling",
                    task.path,
                    task.span,
                    fix,
                )
                break


@rule("CL402")
def retry_without_backoff(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        for app in task_apps(task):
            autoretry = project.option(task, "autoretry_for", app)
            backoff = project.option(task, "retry_backoff", app)
            if not (autoretry.known and backoff.known):
                continue
            if autoretry.value.value and not backoff.value.value:
                yield diagnostic(
                    "CL402",
                    f"Task {task_label(task)} retries automatically without `retry_backoff`: "
                    "every failure is retried at a fixed delay, hammering a struggling "
                    "dependency; add `retry_backoff=True`",
                    task.path,
                    task.span,
                    decorator_keyword_fix(
                        task, "retry_backoff", "True", "Add `retry_backoff=True`"
                    ),
                )
                break


@rule("CL403")
def autoretry_broad_exception(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        for app in task_apps(task):
            option = project.option(task, "autoretry_for", app)
            if option.node is None or option.path is None:
                continue
            names = project.refs_in(option.node, option.path) or []
            broad = [BROAD[name] for name in names if name in BROAD]
            if broad:
                yield diagnostic(
                    "CL403",
                    f"Task {task_label(task)} retries automatically on `{broad[0]}`: bugs "
                    "(TypeError, KeyError...) are retried like transient failures; list the "
                    "exceptions that are worth retrying",
                    task.path,
                    task.span,
                )
                break


def decorator_keyword_fix(task: Task, name: str, value: str, message: str) -> Optional[Fix]:
    """An unsafe fix adding `name=value` to a function task's decorator, if not there yet."""
    decorator = task.decorator
    if decorator is None or name in decorator["kwargs"] or decorator.get("opaque"):
        return None
    bare_end = decorator["span"][2:] if not decorator["called"] else None
    edits = add_keyword(task.path, decorator.get("shape"), f"{name}={value}", bare_end)
    return make_fix(message, False, edits) if edits else None
