"""CL101 pickle-accepted: pickle accepted from, or sent to, the broker."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Optional

from celerylint import catalog
from celerylint.diagnostics import Applicability, Diagnostic, Fix
from celerylint.facts.schema import Node, Seq, Span
from celerylint.facts.values import Value
from celerylint.fixes.edits import make_fix, remove_element
from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.rules._result_backends import ResultBackends
from celerylint.rules._serializers import serializer_name, serializer_set
from celerylint.rules.base import diagnostic, task_apps, task_label
from celerylint.rules.registry import rule

ACCEPT_LISTS = ("accept_content", "result_accept_content")
PRODUCERS = ("task_serializer", "result_serializer", "event_serializer")


# Read and written only by a result backend: without one, no result is serialized.
_RESULTS_ONLY = frozenset({"result_accept_content", "result_serializer"})


@rule("CL101", "pickle-accepted")
def pickle_accepted(project: Project) -> Iterator[Diagnostic]:
    backends = ResultBackends(project)
    sends = _pickled_sends(project)
    for app in project.apps:
        for name in ACCEPT_LISTS:
            setting = app.setting(name)
            if setting.is_default or not setting.known:
                continue
            found = _pickle_elements(
                project, setting.value, functools.partial(_may_send_pickle, project, app, sends)
            )
            if found and name in _RESULTS_ONLY and _no_results(backends, app):
                continue
            for span, fix in found:
                yield diagnostic(
                    "CL101",
                    f"`{app.setting_key(name)}` accepts pickle: anyone who can publish to the "
                    "broker can run code in the worker",
                    setting.value.path or app.path,
                    span,
                    fix,
                )
        for name in PRODUCERS:
            setting = app.setting(name)
            located = setting.location
            if not located or serializer_name(setting.value) != "pickle":
                continue
            if name in _RESULTS_ONLY and _no_results(backends, app):
                continue  # pontoon: `CELERY_RESULT_SERIALIZER = "pickle"`, no backend
            yield diagnostic(
                "CL101",
                f"`{app.setting_key(name)}` is pickle: consumers must then accept pickle, "
                "which lets anyone who can publish to the broker run code",
                *located,
            )
    for task in project.tasks:
        for task_app in task_apps(task):
            option = project.option(task, "serializer", task_app)
            option_span = option.node.span if option.node else None
            if (
                option.origin in ("task", "base")
                and option.path
                and option_span
                and serializer_name(option.value) == "pickle"
            ):
                yield diagnostic(
                    "CL101",
                    f"Task {task_label(task)} is serialized with pickle: its workers must "
                    "accept pickle, which lets anyone who can publish run code",
                    option.path,
                    option_span,
                )
    for path, span in sends:
        yield diagnostic(
            "CL101",
            "Message sent with `serializer='pickle'`: the worker must accept pickle, which "
            "lets anyone who can publish to the broker run code",
            path,
            span,
        )


def _no_results(backends: ResultBackends, app: App) -> bool:
    """No result is serialized: the app has no result backend, certainly or by its
    configuration's own choice."""
    return backends.none(app) or backends.switched_off(app)


def _pickled_sends(project: Project) -> list[tuple[str, Span]]:
    """Where a call sends a message with `serializer='pickle'`."""
    found = []
    for site in project.dispatches:
        node = site.call.keywords.get("serializer")
        if node is None or site.call.method not in ("apply_async", "send_task", "signature"):
            continue
        value = project.evaluator.evaluate(node, site.path)
        if serializer_name(value) == "pickle" and node.span is not None:
            found.append((site.path, node.span))
    return found


def _may_send_pickle(project: Project, app: App, sends: list[tuple[str, Span]]) -> bool:
    """Whether `app` may send pickle itself, so that taking pickle out of what it accepts
    would refuse its own messages (courtlistener: `CELERY_TASK_SERIALIZER = "pickle"` beside
    `CELERY_ACCEPT_CONTENT = {"json", "pickle"}`): its result serializer or a task's (the
    task's option, else the app's `task_serializer`) is pickle or not known, or a call
    sends pickle (to whichever app)."""
    if sends or serializer_name(app.setting("result_serializer").value) in (None, "pickle"):
        return True
    if serializer_name(app.setting("task_serializer").value) in (None, "pickle"):
        return True
    return any(
        serializer_name(project.option(task, "serializer", app).value) in (None, "pickle")
        for task in project.tasks
        if app in (task.apps or ())
    )


def _pickle_elements(
    project: Project, value: Value, may_send_pickle: Callable[[], bool]
) -> list[tuple[Span, Optional[Fix]]]:
    """Pickle entries of a known accept list (or the whole value), with a removal fix
    unless the app may send pickle itself (`may_send_pickle`, asked only then)."""
    node: Optional[Node] = value.node
    path = value.path
    if node is None or path is None:
        return []
    if isinstance(node, Seq):
        elements = node.items
        names = [project.evaluator.evaluate(element, path) for element in elements]
        serializers = [
            catalog.canonical_serializer(item.value)
            if item.known and isinstance(item.value, str)
            else None
            for item in names
        ]
        keeps_other = any(s not in (None, "pickle") for s in serializers)
        fixable = keeps_other and "pickle" in serializers and not may_send_pickle()
        found = []
        for index, (element, serializer) in enumerate(zip(elements, serializers, strict=True)):
            if serializer != "pickle":
                continue
            fix = None
            edit = remove_element(path, node, index) if fixable else None
            if edit is not None:
                fix = make_fix(
                    "Remove pickle from the accepted content types", Applicability.UNSAFE, [edit]
                )
            if element.span is not None:
                found.append((element.span, fix))
        return found
    names_set = serializer_set(value)
    if names_set and "pickle" in names_set and value.span:
        return [(value.span, None)]
    return []
