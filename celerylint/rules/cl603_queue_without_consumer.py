"""CL603 queue-without-consumer: tasks routed to a queue no deployed worker consumes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint.diagnostics import Diagnostic, Related
from celerylint.facts.schema import Span
from celerylint.model.project import Project
from celerylint.model.services import Service
from celerylint.model.settings import App
from celerylint.rules._fleet import consumed_queues, workers_of
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule


@rule("CL603", "queue-without-consumer")
def queue_without_consumer(project: Project) -> Iterator[Diagnostic]:
    for app in project.apps:
        workers = workers_of(project, app)
        if not workers:
            continue  # no deployment of this app's workers, or one that cannot be read
        consumed = consumed_queues(workers)
        if consumed is None:
            continue
        related = tuple(
            Related(service.path, service.span, f"worker {service.label} starts here")
            for service, _ in workers
        )
        for queue, path, span, what in _routed(project, app):
            if queue in consumed:
                continue
            yield diagnostic(
                "CL603",
                f"{what} routed to queue {queue!r}, which no deployed worker of `{app.id}` "
                f"consumes ({_consuming(workers)}): the messages wait in the broker forever",
                path,
                span,
                related=related,
            )


def _consuming(workers: list[tuple[Service, App]]) -> str:
    parts = []
    for service, _ in workers:
        queues = ", ".join(service.queues or ()) or "the default queue"
        parts.append(f"{service.label}: {queues}")
    return "; ".join(parts)


def _routed(project: Project, app: App) -> Iterator[tuple[str, str, Span, str]]:
    """(queue, file, span, what) for every place that names a queue for the app's tasks."""
    for task in project.tasks:
        if task.apps != [app]:
            continue
        option = project.option(task, "queue", app)
        queue = _name(option.value.value) if option.value.known else None
        if option.origin in ("task", "base") and queue and option.span and option.path:
            yield queue, option.path, option.span, f"Task `{task.qualname}` is"
    routes = app.setting("task_routes")
    located = routes.location
    if routes.known and isinstance(routes.value.value, dict) and located is not None:
        for name, route in routes.value.value.items():
            queue = _name(route.get("queue") if isinstance(route, dict) else route)
            if queue and isinstance(name, str):
                yield queue, *located, f"`{name}` is (task_routes)"
    by_qualname = {task.qualname: task for task in project.tasks}
    for site in project.dispatches:
        node = site.call.keywords.get("queue")
        if node is None or site.call.target is None:
            continue
        symbol = project.modules.resolve(site.call.target, site.module)
        called = by_qualname.get(f"{symbol.module}.{symbol.name}")
        if called is None or called.apps != [app]:
            continue
        value = project.evaluator.evaluate(node, site.path)
        queue = _name(value.value) if value.known else None
        if queue and node.span is not None:
            yield queue, site.path, node.span, f"A call of `{called.qualname}` is"


def _name(value: object) -> Optional[str]:
    return value if isinstance(value, str) and value else None
