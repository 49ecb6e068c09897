"""The queues an app's `task_queues` declares and those a worker consumes, as Celery's
`Queues` reads them (celery/app/amqp.py, 5.7).

`task_queues` unset or empty declares the default queue alone (`task_default_queue`).
A worker started without `-Q` consumes every declared queue (`Queues.consume_from`,
a copy taken when the queues are built: one `task_create_missing_queues` adds later
for routing is not consumed); `-Q` selects queues by name, `-X` removes some.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

from celerylint.facts.schema import QueueDecl, Seq, Span
from celerylint.facts.values import Value
from celerylint.model.services import Service
from celerylint.model.settings import App


class Declared(NamedTuple):
    """The queue names `task_queues` declares, in order, and where it is set."""

    names: tuple[str, ...]
    path: str
    span: Span


def declared_queues(app: App) -> Optional[Declared]:
    """The queues `task_queues` declares when their names are static: a list or tuple
    of `kombu.Queue(<known name>, ...)` calls set unconditionally, or Celery's older
    mapping of names to options. None otherwise: unset or empty (the default queue
    alone), or anything else, which may declare any queue."""
    setting = app.setting("task_queues")
    value, where = setting.value, setting.value.location
    if where is None:
        return None
    if value.known:
        names = _mapping_names(value.value)
    elif setting.entry is not None and setting.entry.conditional:
        names = None  # it may not be set at all
    else:
        names = _queue_names(app, value)
    return Declared(names, *where) if names else None


def _mapping_names(declared: object) -> Optional[tuple[str, ...]]:
    """The names of `{"name": {"exchange": ..., ...}}` (each built by `Queue.from_dict`)."""
    if not isinstance(declared, dict):
        return None
    if not all(isinstance(k, str) and k and isinstance(v, dict) for k, v in declared.items()):
        return None
    return tuple(declared)


def _queue_names(app: App, value: Value) -> Optional[tuple[str, ...]]:
    """The names of a list of `kombu.Queue` calls: no plain value, so the list evaluates
    to unknown, and the names are read from its nodes."""
    node = value.node
    if not isinstance(node, Seq) or value.path is None:
        return None
    assert app.evaluator is not None  # the app's settings are resolved
    names: list[str] = []
    for item in node.items:
        if not isinstance(item, QueueDecl):
            return None
        name = app.evaluator.evaluate(item.name, value.path)
        if not name.known or not isinstance(name.value, str) or not name.value:
            return None
        names.append(name.value)
    return tuple(dict.fromkeys(names))


def default_only(app: App) -> bool:
    """Whether `task_queues` is unset or empty: Celery declares the default queue alone."""
    setting = app.setting("task_queues")
    return setting.known and not setting.value.value


def queues_without_q(app: App) -> Optional[tuple[str, ...]]:
    """The queues a worker of `app` (as deployed for it) consumes when started without
    `-Q`: those `task_queues` declares, else the default queue; None when unknown."""
    if default_only(app):
        default = app.setting("task_default_queue")
        if not default.known or not isinstance(default.value.value, str):
            return None
        return (default.value.value,)
    declared = declared_queues(app)
    return declared.names if declared is not None else None


def consumed_by(service: Service, app: App) -> Optional[set[str]]:
    """The queues a worker service consumes by name, `app` as deployed for it; None
    when unknown."""
    queues = service.queues
    if queues is None:
        return None
    consumed = queues or queues_without_q(app)
    if consumed is None:
        return None
    return set(consumed) - set(service.excluded)
