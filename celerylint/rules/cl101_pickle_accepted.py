"""CL101 pickle-accepted: pickle accepted from, or sent to, the broker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint import catalog
from celerylint.diagnostics import Applicability, Diagnostic, Fix
from celerylint.facts.schema import Node, Seq, Span
from celerylint.facts.values import Value
from celerylint.fixes.edits import make_fix, remove_element
from celerylint.model.project import Project
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
    for app in project.apps:
        for name in ACCEPT_LISTS:
            setting = app.setting(name)
            if setting.is_default or not setting.known:
                continue
            found = _pickle_elements(project, setting.value)
            if found and name in _RESULTS_ONLY and backends.none(app):
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
            if name in _RESULTS_ONLY and backends.none(app):
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
    for site in project.dispatches:
        node = site.call.keywords.get("serializer")
        if node is None or site.call.method not in ("apply_async", "send_task", "signature"):
            continue
        value = project.evaluator.evaluate(node, site.path)
        if serializer_name(value) == "pickle" and node.span is not None:
            yield diagnostic(
                "CL101",
                "Message sent with `serializer='pickle'`: the worker must accept pickle, which "
                "lets anyone who can publish to the broker run code",
                site.path,
                node.span,
            )


def _pickle_elements(project: Project, value: Value) -> list[tuple[Span, Optional[Fix]]]:
    """Pickle entries of a known accept list (or the whole value), with a removal fix."""
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
        found = []
        for index, (element, serializer) in enumerate(zip(elements, serializers, strict=True)):
            if serializer != "pickle":
                continue
            fix = None
            edit = remove_element(path, node, index) if keeps_other else None
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
