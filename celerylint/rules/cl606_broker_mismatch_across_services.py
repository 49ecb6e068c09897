"""CL606 broker-mismatch-across-services: a producer and a worker of one app disagree on brokers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint.diagnostics import Diagnostic, Related
from celerylint.facts.schema import Span
from celerylint.model.project import Project
from celerylint.model.services import Service
from celerylint.model.settings import App
from celerylint.rules._broker_urls import certainly_different
from celerylint.rules._fleet import Pair, differing_lines, pairs
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule

# The `celery` command's own overrides (click options), and the variables Celery's
# settings read before any configuration.
_COMMAND = {
    "broker_url": ("broker", "CELERY_BROKER_URL"),
    "result_backend": ("result_backend", "CELERY_RESULT_BACKEND"),
}


@rule("CL606", "broker-mismatch-across-services")
def broker_mismatch_across_services(project: Project) -> Iterator[Diagnostic]:
    seen: set[tuple[str, str, str]] = set()
    for pair in pairs(project):
        if pair.producer.role == "worker":
            continue  # a worker's own subtasks go to its own broker
        checks = ["broker_url"]
        if _reads_results(project, pair.app):
            checks.append("result_backend")
        for name in checks:
            sent = _effective(pair.producer, pair.sent, name)
            consumed = _effective(pair.worker, pair.consumed, name)
            if sent is None or consumed is None or not certainly_different(sent, consumed):
                continue
            identity = (name, pair.producer.name, pair.worker.name)
            if identity in seen:
                continue
            seen.add(identity)
            where = _where(pair, name)
            if where is None:
                continue
            what = "tasks never reach it" if name == "broker_url" else "results are never found"
            yield diagnostic(
                "CL606",
                f"Deployed service {pair.producer.label} uses {name} {_shown(sent)}, but worker "
                f"{pair.worker.label} of the same app `{pair.app.id}` uses {_shown(consumed)}: "
                f"{what}",
                *where[0],
                related=where[1],
            )


def _effective(service: Service, app: App, name: str) -> Optional[str]:
    """The service's value of a broker setting; None when unknown. The `celery`
    command's option wins; then its variable, which Celery's settings read first in
    every process (`Settings.broker_url`), a web server's too."""
    option, variable = _COMMAND[name]
    if service.role in ("worker", "beat"):
        try:
            written = service.option(option)
        except LookupError:
            return None
        if written is not None:
            return written
    known, value = service.env_value(variable)
    if not known:
        return None
    if value is not None:
        return value
    setting = app.setting(name)
    value = setting.value.value if setting.known else None
    return value if isinstance(value, str) and value else None


def _where(pair: Pair, name: str) -> Optional[tuple[tuple[str, Span], tuple[Related, ...]]]:
    """The producer's deployment line that differs, the worker's as related; else the setting."""
    lines = differing_lines(pair, (name,))
    if lines:
        related = tuple(
            Related(path, span, "the worker's value is set here") for path, span in lines[1:]
        )
        return lines[0], related
    located = pair.app.setting(name).location
    return (located, ()) if located is not None else None


def _reads_results(project: Project, app: App) -> bool:
    readers = project.result_readers
    return any(app in (task.apps or ()) and readers.reads(task) for task in project.tasks)


def _shown(url: str) -> str:
    """A URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"`{scheme}://{user + ':***@' if ':' in credentials else credentials + '@'}{host}`"
    return f"`{url}`"
