"""Deployed services of one app, paired: who sends, who consumes (model.services)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from celerylint.facts.schema import Span
from celerylint.model.project import Project
from celerylint.model.services import Service
from celerylint.model.settings import App

PRODUCERS = ("web", "beat", "worker")  # workers send subtasks and callbacks too


@dataclass(frozen=True)
class Pair:
    """A sending service and a worker service of the same app, each as deployed."""

    app: App  # as the code alone resolves it
    producer: Service
    sent: App
    worker: Service
    consumed: App


def pairs(project: Project) -> Iterator[Pair]:
    """Every (producer, worker) pair of distinct services running the same app."""
    deployed = project.deployed(PRODUCERS)
    for producer, sent in deployed:
        for worker, consumed in deployed:
            if worker.role == "worker" and worker is not producer and sent.key == consumed.key:
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
