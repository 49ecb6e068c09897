"""Retries: CL401, CL402, CL403."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.model.tasks import Task
from celerylint.rules.base import diagnostic, rule, task_apps, task_label

BROAD = {"builtins.Exception": "Exception", "builtins.BaseException": "BaseException"}



@rule("CL401")
def unbounded_retries(project: Project) -> Iterator[Diagnostic]:
    for task in project.tasks:
        for app in task_apps(task):
            option = project.option(task, "max_retries", app)
            if option.origin != "default" and option.known and option.value.value is None:
                yield diagnostic(
                    "CL401",
                    f"Task {task_label(task)} has `max_retries=None`: it retries forever, and a "
                    "permanent failure becomes a retry storm; set a ceiling",
                    task.path,
                    task.span,
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
