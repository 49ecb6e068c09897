"""Premises of CL203 (visibility-timeout-exceeded) and CL604 (always-eager), on real Celery.

- kombu's default visibility timeouts are 3600 s for Redis and 1800 s for SQS
  (read from the installed kombu's source: importing the transports needs
  redis-py / boto3), and Redis restores every message left unacknowledged
  for longer than the timeout; CL203 uses the same numbers.
- A real worker (kombu's in-memory transport, threads of this process)
  acknowledges a task as it starts it, holds an `acks_late` task's message
  unacknowledged while the task runs, and holds a message with a countdown
  unacknowledged until it is due, whatever `acks_late` says: on Redis or SQS
  such a message is redelivered once the timeout passes.
- An eager app runs `.delay()` inline, in the calling process, and ignores
  `countdown`: nothing reaches a worker.
"""

from __future__ import annotations

import ast
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from celerylint.rules.cl203_visibility_timeout_exceeded import DEFAULT_TIMEOUTS

pytestmark = pytest.mark.real_celery


def _kombu_source(relative: str) -> ast.Module:
    import kombu

    return ast.parse((Path(kombu.__file__).parent / relative).read_text(encoding="utf-8"))


def _class_constant(tree: ast.Module, cls: str, attribute: str) -> Any:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and isinstance(statement.targets[0], ast.Name)
                    and statement.targets[0].id == attribute
                ):
                    return ast.literal_eval(statement.value)
    raise AssertionError(f"{cls}.{attribute} not found")


def test_kombu_default_visibility_timeouts_are_the_rules() -> None:
    redis = _kombu_source("transport/redis.py")
    sqs = _kombu_source("transport/SQS/__init__.py")
    assert _class_constant(redis, "Channel", "visibility_timeout") == 3600
    assert _class_constant(sqs, "Channel", "default_visibility_timeout") == 1800
    assert DEFAULT_TIMEOUTS == {"redis": 3600, "rediss": 3600, "sentinel": 3600, "sqs": 1800}


def test_redis_restores_messages_unacknowledged_past_the_timeout() -> None:
    redis = _kombu_source("transport/redis.py")
    restore = next(
        node
        for node in ast.walk(redis)
        if isinstance(node, ast.FunctionDef) and node.name == "restore_visible"
    )
    assert "time() - self.visibility_timeout" in ast.unparse(restore)


def _app() -> Celery:
    return Celery("premise", broker="memory://", backend="cache+memory://", set_as_current=False)


def _wait(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _unacknowledged(worker: Any) -> list[str]:
    qos = worker.consumer.task_consumer.channel.qos
    return [tag for tag in list(qos._delivered) if tag not in qos._dirty]


@pytest.mark.slow
def test_a_worker_holds_late_acked_and_countdown_messages_unacknowledged() -> None:
    app = _app()
    running = threading.Event()
    release = threading.Event()

    @app.task
    def quick() -> int:
        return 1

    @app.task(acks_late=True)
    def late() -> int:
        running.set()
        release.wait(10)
        return 2

    @app.task
    def early() -> int:
        running.set()
        release.wait(10)
        return 3

    with start_worker(app, perform_ping_check=False, pool="solo") as worker:
        assert quick.apply_async().get(timeout=10) == 1
        assert _wait(lambda: not _unacknowledged(worker))

        # acks_late: unacknowledged for as long as the task runs.
        result = late.apply_async()
        assert running.wait(10)
        assert len(_unacknowledged(worker)) == 1
        release.set()
        assert result.get(timeout=10) == 2
        assert _wait(lambda: not _unacknowledged(worker))

        # Without acks_late: acknowledged as the task starts.
        running.clear()
        release.clear()
        result = early.apply_async()
        assert running.wait(10)
        assert _unacknowledged(worker) == []
        release.set()
        assert result.get(timeout=10) == 3

        # A countdown: received at once, held unacknowledged until due (acks_late or not).
        quick.apply_async(countdown=60)
        assert _wait(lambda: len(_unacknowledged(worker)) == 1)
        time.sleep(0.3)
        assert len(_unacknowledged(worker)) == 1


def test_an_eager_app_runs_delay_inline_and_ignores_countdown() -> None:
    app = _app()
    app.conf.task_always_eager = True

    @app.task
    def where() -> tuple[int, int]:
        return os.getpid(), threading.get_ident()

    started = time.monotonic()
    result = where.apply_async(countdown=60)
    assert time.monotonic() - started < 5
    assert result.get() == (os.getpid(), threading.get_ident())
    assert type(result).__name__ == "EagerResult"
