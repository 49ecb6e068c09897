"""Deployed services of one app, paired: who sends, who consumes (model.services)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

import msgspec

from celerylint.facts.schema import Span
from celerylint.model.project import Project
from celerylint.model.queues import consumed_by
from celerylint.model.routes import route_for
from celerylint.model.services import Service
from celerylint.model.settings import App
from celerylint.model.tasks import Task

PRODUCERS = ("web", "beat", "worker")  # workers send subtasks and callbacks too


class Pair(msgspec.Struct, frozen=True):
    """A sending service and a worker service of the same app, each as deployed."""

    app: App  # as the code alone resolves it
    producer: Service
    sent: App
    worker: Service
    consumed: App


def pairs(project: Project) -> Iterator[Pair]:
    """Every (producer, worker) pair of distinct services running the same app in the
    same deployment (a development compose file and a production one never talk)."""
    deployed = project.deployed(PRODUCERS)
    for producer, sent in deployed:
        for worker, consumed in deployed:
            if worker.role != "worker" or worker is producer or sent.key != consumed.key:
                continue
            if worker.deployment == producer.deployment:
                plain = next(app for app in project.apps if app.key == sent.key)
                yield Pair(plain, producer, sent, worker, consumed)


def differing_lines(pair: Pair, settings: tuple[str, ...]) -> list[tuple[str, Span]]:
    """The deployment lines that set the variables these settings read, per service,
    where the two services' values differ."""
    found: list[tuple[str, Span]] = []
    variables = [pair.app.setting(name).value.env for name in settings]
    for variable in [*variables, "DJANGO_SETTINGS_MODULE"]:
        if variable is None:
            continue
        if pair.producer.env_value(variable) == pair.worker.env_value(variable):
            continue
        for service in (pair.producer, pair.worker):
            located = service.variable_origin(variable)
            if located is not None and located not in found:
                found.append(located)
    return found


def workers_of(project: Project, app: App) -> Optional[list[tuple[Service, App]]]:
    """The worker services that run `app`, each as deployed; None when some worker
    service's app or command cannot be told (it may consume anything)."""
    found = []
    for service in project.services:
        if service.role not in ("worker", "other") and service.command_known:
            continue
        if not service.command_known:
            return None
        if service.role == "other":
            continue
        running = project.service_app(service)
        if running is None:
            return None
        if running.key == app.key:
            found.append((service, project.as_deployed(running, service)))
    return found


def consumed_queues(workers: list[tuple[Service, App]]) -> Optional[set[str]]:
    """The queues these workers consume by name; None when any is unknown."""
    consumed: set[str] = set()
    for service, app in workers:
        queues = consumed_by(service, app)
        if queues is None:
            return None
        consumed |= queues
    return consumed


# Pools that enforce each kind of limit (CELERY_FACTS.md, "Workers").
ENFORCES_HARD = frozenset({"prefork", "gevent"})  # gevent: only when the task yields
ENFORCES_SOFT = frozenset({"prefork"})


def may_run(project: Project, service: Service, app: Optional[App]) -> bool:
    """Whether `service` may run (or configure) `app`'s tasks: it runs that app, or one
    that cannot be told. `app` None: any app."""
    if app is None:
        return True
    running = project.service_app(service)
    return running is None or running.key == app.key


def worker_sets_time_limit(
    project: Project, app: Optional[App], option: str = "time_limit"
) -> bool:
    """Some worker service that may run `app`'s tasks is started with `--time-limit` (or
    CELERY_WORKER_TIME_LIMIT), or the project's code starts one so (`app.worker_main(
    ["worker", "--time-limit=1800"])`, libretime): a global hard limit the settings
    cannot show; an unreadable value counts too, an unreadable word does not.
    `option="soft_time_limit"`: the same of `--soft-time-limit`."""
    flag = "--" + option.replace("_", "-")
    return any(
        service.role == "worker" and service.gives(option) and may_run(project, service, app)
        for service in project.services
    ) or any(
        (started is None or app is None or started.key == app.key)
        and any(word and word.partition("=")[0] == flag for word in start.words)
        for started, start in project.worker_starts
    )


def fleet_pools(project: Project, app: Optional[App]) -> Optional[set[str]]:
    """The pools of every worker service that may run `app`'s tasks (every worker when
    `app` is None); None when no worker is deployed or some pool cannot be told."""
    pools: set[str] = set()
    for service in project.services:
        if service.role != "worker" or not may_run(project, service, app):
            continue
        running = project.service_app(service)
        if running is not None:
            pool = project.service_pool(service, project.as_deployed(running, service))
        else:
            try:
                written = service.pool_written
            except LookupError:
                return None
            # Without `-P` (or with prefork) the app's `worker_pool` decides: unknown here.
            pool = written if written not in (None, "prefork", "processes") else None
        if pool is None:
            return None
        pools.add(pool)
    return pools or None


def task_queue(project: Project, task: Task, app: App) -> Optional[str]:
    """The queue a task's messages go to by default; None when unknown."""
    option = project.option(task, "queue", app)
    if option.origin != "default":  # Task.queue is None unless something sets it
        if not option.value.known:
            return None
        if isinstance(option.value.value, str) and option.value.value:
            return option.value.value
    routes = app.setting("task_routes")
    if not routes.known:
        return None
    known, route = route_for(routes.value.value, task.name)
    if not known:
        return None
    if route is not None and route.queue is not None:
        return route.queue
    default = app.setting("task_default_queue")
    return str(default.value.value) if default.known else None


def consumer_pools(project: Project, task: Task, app: App) -> Optional[set[str]]:
    """The pools of every deployed worker that consumes the task's queue; None when any
    of them, or which ones they are, cannot be told (or no worker consumes it)."""
    workers = workers_of(project, app)
    queue = task_queue(project, task, app)
    if not workers or queue is None:
        return None
    pools: set[str] = set()
    for worker in workers:
        consumed = consumed_queues([worker])
        if consumed is None:
            return None
        if queue not in consumed:
            continue
        pool = project.service_pool(*worker)
        if pool is None:
            return None
        pools.add(pool)
    return pools or None
