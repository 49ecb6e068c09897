"""Serialization and security: CL101, CL102, CL103."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional

from celerylint import catalog
from celerylint.diagnostics import Diagnostic, Fix, Span
from celerylint.facts.values import Node, Value
from celerylint.model.project import Project
from celerylint.model.settings import App, Setting
from celerylint.rules.base import (
    backend_configured,
    diagnostic,
    related_to,
    rule,
    serializer_name,
    serializer_set,
    setting_key,
    setting_location,
    task_apps,
    task_label,
)
from celerylint.rules.fixes import make_fix, remove_element

ACCEPT_LISTS = ("accept_content", "result_accept_content")
PRODUCERS = ("task_serializer", "result_serializer", "event_serializer")


@rule("CL101")
def pickle_accepted(project: Project) -> Iterator[Diagnostic]:
    for app in project.apps:
        for name in ACCEPT_LISTS:
            setting = app.setting(name)
            if setting.is_default or not setting.known:
                continue
            for span, fix in _pickle_elements(project, setting.value):
                yield diagnostic(
                    "CL101",
                    f"`{setting_key(app, name)}` accepts pickle: anyone who can publish to the "
                    "broker can run code in the worker",
                    setting.value.path or app.path,
                    span,
                    fix,
                )
        for name in PRODUCERS:
            setting = app.setting(name)
            located = setting_location(setting)
            if located and serializer_name(setting.value) == "pickle":
                yield diagnostic(
                    "CL101",
                    f"`{setting_key(app, name)}` is pickle: consumers must then accept pickle, "
                    "which lets anyone who can publish to the broker run code",
                    *located,
                )
    for task in project.tasks:
        for app in task_apps(task):
            option = project.option(task, "serializer", app)
            declared = option.origin in ("task", "base") and option.node and option.path
            if declared and serializer_name(option.value) == "pickle":
                yield diagnostic(
                    "CL101",
                    f"Task {task_label(task)} is serialized with pickle: its workers must "
                    "accept pickle, which lets anyone who can publish run code",
                    option.path,
                    Span.from_list(option.node[1]),
                )
    for dispatch in project.dispatches:
        node = dispatch.record["kw"].get("serializer")
        if node is None or dispatch.record["m"] not in ("apply_async", "send_task", "signature"):
            continue
        value = project.evaluator.evaluate(node, dispatch.path)
        if serializer_name(value) == "pickle":
            yield diagnostic(
                "CL101",
                "Message sent with `serializer='pickle'`: the worker must accept pickle, which "
                "lets anyone who can publish to the broker run code",
                dispatch.path,
                Span.from_list(node[1]),
            )


def _pickle_elements(project: Project, value: Value) -> list[tuple[Span, Optional[Fix]]]:
    """Pickle entries of a known accept list (or the whole value), with a removal fix."""
    node: Optional[Node] = value.node
    path = value.path
    if node is None or path is None:
        return []
    if node[0] == "seq":
        elements = node[2]
        names = [project.evaluator.evaluate(element, path) for element in elements]
        serializers = [
            catalog.canonical_serializer(item.value)
            if item.known and isinstance(item.value, str)
            else None
            for item in names
        ]
        keeps_other = any(s not in (None, "pickle") for s in serializers)
        found = []
        for index, (element, serializer) in enumerate(zip(elements, serializers)):
            if serializer != "pickle":
                continue
            fix = None
            edit = remove_element(path, node, index) if keeps_other else None
            if edit is not None:
                fix = make_fix("Remove pickle from the accepted content types", False, [edit])
            found.append((Span.from_list(element[1]), fix))
        return found
    names_set = serializer_set(value)
    if names_set and "pickle" in names_set and value.span:
        return [(value.span, None)]
    return []


def _result_accept(app: App) -> Setting:
    setting = app.setting("result_accept_content")
    if setting.known and setting.value.value is None:
        return app.setting("accept_content")
    return setting


@dataclass(frozen=True)
class _Mismatch:
    serializer: str
    accepted: set[str]
    here: tuple[str, Span]  # where to report: the producer's setting, else the accept list
    other: Optional[tuple[str, Span]]  # the accept list, when it is not `here`


def _mismatch(produced: Setting, accepted: Setting) -> Optional[_Mismatch]:
    """A known serializer missing from a known accept list, with where each is set."""
    serializer = serializer_name(produced.value)
    names = serializer_set(accepted.value)
    if serializer is None or names is None or serializer in names:
        return None
    producer_at, accepted_at = setting_location(produced), setting_location(accepted)
    here = producer_at or accepted_at
    if here is None:
        return None  # both are Celery's defaults: they agree
    return _Mismatch(serializer, names, here, accepted_at if producer_at else None)


def _listing(names: set[str]) -> str:
    return ", ".join(sorted(names)) or "nothing"


@rule("CL102")
def serializer_not_accepted(project: Project) -> Iterator[Diagnostic]:
    for app in project.apps:
        accept = app.setting("accept_content")
        pairs = [("task_serializer", accept, "tasks", "accept_content")]
        if backend_configured(app):
            pairs.append(
                ("result_serializer", _result_accept(app), "results", "result_accept_content")
            )
        for producer, accepted, what, accept_name in pairs:
            found = _mismatch(app.setting(producer), accepted)
            if found is None:
                continue
            yield diagnostic(
                "CL102",
                f"App `{app.id}` sends {what} as {found.serializer} "
                f"(`{setting_key(app, producer)}`) but only accepts {_listing(found.accepted)} "
                f"(`{setting_key(app, accept_name)}`): every message is refused with "
                "ContentDisallowed",
                *found.here,
                related=related_to(found.other, f"`{setting_key(app, accept_name)}` is set here"),
            )
    for task in project.tasks:
        for app in task.apps or []:
            option = project.option(task, "serializer", app)
            if option.origin not in ("task", "base") or not option.node or not option.path:
                continue
            serializer = serializer_name(option.value)
            names = serializer_set(app.setting("accept_content").value)
            if serializer is None or names is None or serializer in names:
                continue
            yield diagnostic(
                "CL102",
                f"Task {task_label(task)} is sent as {serializer}, but app `{app.id}` only accepts "
                f"{_listing(names)}: its messages are refused with ContentDisallowed",
                option.path,
                Span.from_list(option.node[1]),
                related=related_to(
                    setting_location(app.setting("accept_content")), "accept list set here"
                ),
            )


@rule("CL103")
def cross_service_mismatch(project: Project) -> Iterator[Diagnostic]:
    for producer, consumer, reason in project.links:
        checks = [
            ("task_serializer", producer, consumer.setting("accept_content"), "tasks"),
        ]
        if backend_configured(producer):
            checks.append(("result_serializer", consumer, _result_accept(producer), "results"))
        for key, sender, accepted, what in checks:
            receiver = consumer if sender is producer else producer
            found = _mismatch(sender.setting(key), accepted)
            if found is None:
                continue
            yield diagnostic(
                "CL103",
                f"`{sender.id}` sends {what} as {found.serializer}, but `{receiver.id}` (linked "
                f"by {reason}) only accepts {_listing(found.accepted)}: they are refused with "
                "ContentDisallowed",
                *found.here,
                related=related_to(found.other, f"what `{receiver.id}` accepts is set here"),
            )
