"""CL603 queue-without-consumer: tasks routed to a queue no deployed worker consumes,
or to a queue `task_queues` does not declare while `task_create_missing_queues` is off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple, Optional

from celerylint.diagnostics import Diagnostic, Related
from celerylint.facts.schema import Span
from celerylint.model.project import Project
from celerylint.model.queues import Declared, declared_queues
from celerylint.model.routes import Route, exact_keys, route_for
from celerylint.model.services import Service, worker_queues
from celerylint.model.settings import App
from celerylint.rules._fleet import consumed_queues, workers_of
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule


@rule("CL603", "queue-without-consumer")
def queue_without_consumer(project: Project) -> Iterator[Diagnostic]:
    written = _queues_of_any_worker_command(project)
    for app in project.apps:
        routed = list(_routed(project, app))
        declared = _declared_queues(app)
        if declared is not None:
            names = declared.names
            here = Related(declared.path, declared.span, "task_queues is declared here")
            undeclared = [r for r in [*routed, *_default_queue(app)] if r.queue not in names]
            for queue, path, span, what in undeclared:
                yield diagnostic(
                    "CL603",
                    f"{what} routed to queue {queue!r}, which `task_queues` does not declare "
                    "while `task_create_missing_queues` is False: publishing raises "
                    f'QueueNotFound ("Queue {queue!r} missing from task_queues")',
                    path,
                    span,
                    related=(here,),
                )
            routed = [r for r in routed if r.queue in names]  # one finding a place
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
        for queue, path, span, what in routed:
            if queue in consumed or queue in written:
                continue
            yield diagnostic(
                "CL603",
                f"{what} routed to queue {queue!r}, which no deployed worker of `{app.id}` "
                f"consumes ({_consuming(workers)}): the messages wait in the broker forever",
                path,
                span,
                related=related,
            )


def _queues_of_any_worker_command(project: Project) -> set[str]:
    """The queues any worker command of the deployment files names with `-Q`, whether a
    known service runs it or not: treeherder's `entrypoint_prod.sh` has a branch for
    each production worker, run by a deployment outside the repository (`docker run
    image worker_misc`). Such a worker exists somewhere."""
    return {q for process in project.deployment.processes for q in worker_queues(process.argv)}


class Routed(NamedTuple):
    """A place that names a queue for an app's tasks."""

    queue: str
    path: str
    span: Span
    what: str


def _declared_queues(app: App) -> Optional[Declared]:
    """The queues `task_queues` declares, when their names are static and Celery creates
    no other queue (`task_create_missing_queues` known False); None otherwise."""
    create = app.setting("task_create_missing_queues")
    if not create.known or create.value.value:
        return None
    return declared_queues(app)


def _default_queue(app: App) -> Iterator[Routed]:
    """`task_default_queue` when the project sets it: every task not routed elsewhere goes there."""
    default = app.setting("task_default_queue")
    queue = _name(default.value.value) if default.known else None
    if queue and default.location is not None:
        yield Routed(
            queue, *default.location, "Every task not routed elsewhere is (task_default_queue)"
        )


def _consuming(workers: list[tuple[Service, App]]) -> str:
    parts = []
    for service, app in workers:
        if service.queues:
            queues = ", ".join(service.queues)
        elif (declared := declared_queues(app)) is not None:  # consumed without `-Q`
            queues = f"task_queues ({', '.join(declared.names)})"
        else:
            queues = "the default queue"
        parts.append(f"{service.label}: {queues}")
    return "; ".join(parts)


def _routed(project: Project, app: App) -> Iterator[Routed]:
    """Every place that names a queue for the app's tasks."""
    for task in project.tasks:
        if task.apps != [app]:
            continue
        option = project.option(task, "queue", app)
        queue = _name(option.value.value) if option.value.known else None
        if option.origin in ("task", "base") and queue and option.span and option.path:
            yield Routed(queue, option.path, option.span, f"Task `{task.qualname}` is")
    yield from _routes(project, app)
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
            yield Routed(queue, site.path, node.span, f"A call of `{called.qualname}` is")


def _routes(project: Project, app: App) -> Iterator[Routed]:
    """The `task_routes` entries that decide a queue, as Celery's router picks them: an
    exact name (a task the code may not define can be sent by that name), and a glob or
    a compiled pattern for the app's tasks it is the first match of (unless a task names
    its own queue)."""
    routes = app.setting("task_routes")
    located = routes.location
    if not routes.known or located is None:
        return
    # A task named so by default, whose decorator's options cannot be seen, may be
    # named otherwise (treeherder's `@retryable_task(name="store-pulse-tasks")`): the
    # route may never apply.
    renamed = {
        task.name
        for task in project.tasks
        if task.opaque_options and "name" not in task.own_options
    }
    for name in exact_keys(routes.value.value) or ():
        if name in renamed:
            continue
        known, route = route_for(routes.value.value, name)
        if known and route is not None and route.key == name and route.queue:
            yield Routed(route.queue, *located, f"`{name}` is (task_routes)")
    globbed: dict[Route, list[str]] = {}
    for task in project.tasks:
        own = project.option(task, "queue", app)
        if task.apps != [app] or (own.origin != "default" and (not own.known or own.value.value)):
            continue  # the task's own queue wins over any route
        if task.name in renamed:
            continue
        known, route = route_for(routes.value.value, task.name)
        if known and route is not None and not route.exact and route.queue:
            globbed.setdefault(route, []).append(f"`{task.name}`")
    for route, names in globbed.items():
        tasks = f"Task {names[0]} is" if len(names) == 1 else f"Tasks {', '.join(names)} are"
        assert route.queue is not None
        yield Routed(route.queue, *located, f"{tasks} (task_routes `{route.key}`)")


def _name(value: object) -> Optional[str]:
    return value if isinstance(value, str) and value else None
