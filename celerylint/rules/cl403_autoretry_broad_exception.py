"""CL403 autoretry-broad-exception: automatic retries on Exception or BaseException."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.model.tasks import Option, Task
from celerylint.rules._deciding_line import by_deciding_line
from celerylint.rules._retries import never_retries
from celerylint.rules.base import diagnostic, task_apps
from celerylint.rules.registry import rule

BROAD = {"builtins.Exception": "Exception", "builtins.BaseException": "BaseException"}


def _broad(project: Project, option: Option) -> list[str]:
    if option.node is None or option.path is None:
        return []
    names = project.refs_in(option.node, option.path) or []
    return [BROAD[name] for name in names if name in BROAD]


@rule("CL403", "autoretry-broad-exception")
def autoretry_broad_exception(project: Project) -> Iterator[Diagnostic]:
    found: list[tuple[Task, Option]] = []
    for task in project.tasks:
        for app in task_apps(task):
            option = project.option(task, "autoretry_for", app)
            if _broad(project, option) and not never_retries(project, task, app):
                found.append((task, option))
                break
    for decided in by_deciding_line(found):
        broad = _broad(project, decided.option)[0]
        subject = decided.subject("retries", "retry")
        yield diagnostic(
            "CL403",
            f"{subject} automatically on `{broad}`: bugs (TypeError, KeyError...) are retried "
            "like transient failures; list the exceptions that are worth retrying",
            decided.path,
            decided.span,
        )
