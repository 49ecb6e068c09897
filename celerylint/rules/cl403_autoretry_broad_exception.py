"""CL403 autoretry-broad-exception: automatic retries on Exception or BaseException."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.rules.base import diagnostic, task_apps, task_label
from celerylint.rules.registry import rule

BROAD = {"builtins.Exception": "Exception", "builtins.BaseException": "BaseException"}


@rule("CL403", "autoretry-broad-exception")
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
