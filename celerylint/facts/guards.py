"""Import guards that always pass where Celery runs.

OSF's `CeleryConfig` sets its queues and routes behind one::

    try:
        from kombu import Queue, Exchange
    except ImportError:
        pass
    else:
        task_queues = (...)
        task_ignore_result = True

Every process that loads such a configuration into an app has Celery installed, and
with it kombu: the `try` body and its `else` run, the handlers never do. Read as a
block whose branches may or may not run, all those settings were unknown.

A guard counts only when each name it imports is one every supported Celery release
(4.x and 5.x) and the kombu it requires have: `from celery.task import task` is a
version guard too, and on Celery 5 its handler is what runs.
"""

from __future__ import annotations

import ast

__all__ = ["always_passes", "lifted"]

# Modules that exist wherever Celery is installed (Celery and what it requires), and the
# names imported from them that a guard may ask for; `import kombu` itself too.
_PRESENT: dict[str, frozenset[str]] = {
    "celery": frozenset(
        {"Celery", "Task", "shared_task", "chain", "chord", "group", "signature", "states"}
    ),
    "celery.schedules": frozenset({"crontab", "schedule", "solar"}),
    "celery.exceptions": frozenset({"Retry", "Reject", "Ignore", "SoftTimeLimitExceeded"}),
    "kombu": frozenset({"Queue", "Exchange", "Connection", "binding"}),
    "kombu.common": frozenset({"Broadcast"}),
    "billiard": frozenset(),
    "vine": frozenset(),
    "amqp": frozenset(),
}


def _imports_what_is_present(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Import):
        return all(alias.name in _PRESENT for alias in stmt.names)
    if isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module in _PRESENT:
        names = _PRESENT[stmt.module]
        return all(alias.name in names for alias in stmt.names)
    return False


def always_passes(stmt: ast.stmt) -> bool:
    """Whether `stmt` is a `try` whose body only imports what Celery always brings."""
    return (
        isinstance(stmt, ast.Try)
        and bool(stmt.body)
        and all(_imports_what_is_present(inner) for inner in stmt.body)
    )


def lifted(body: list[ast.stmt]) -> list[ast.stmt]:
    """`body` with each guard that always passes replaced by what of it runs: its `try`
    body, its `else` and its `finally`, in that order (guards inside them lifted too)."""
    if not any(always_passes(stmt) for stmt in body):
        return body
    out: list[ast.stmt] = []
    for stmt in body:
        if always_passes(stmt):
            assert isinstance(stmt, ast.Try)
            out.extend(lifted([*stmt.body, *stmt.orelse, *stmt.finalbody]))
        else:
            out.append(stmt)
    return out
