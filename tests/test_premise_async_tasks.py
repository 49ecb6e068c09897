"""CL806's premise, on real Celery 5.7: a worker never awaits an `async def` task.

Its pool calls the function, which returns a coroutine, and takes that for the result:
the body never runs. With a JSON result backend the task then fails, as the coroutine
cannot be stored; with no result kept, it just "succeeds".
"""

from __future__ import annotations

import time
import warnings

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

pytestmark = pytest.mark.real_celery


def test_a_worker_never_runs_the_body_of_an_async_task() -> None:
    ran: list[str] = []
    app = Celery("premise", broker="memory://", backend="cache+memory://", set_as_current=False)
    app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])

    @app.task
    async def ping(word: str) -> str:
        ran.append(word)
        return f"pong {word}"

    @app.task(ignore_result=True)
    async def fire(word: str) -> None:
        ran.append(word)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "coroutine ... never awaited"
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            result = ping.delay("a")
            outcome = result.get(timeout=10, propagate=False)
            fire.delay("b")
            deadline = time.monotonic() + 1
            while not ran and time.monotonic() < deadline:
                time.sleep(0.05)
    assert ran == []
    assert result.state == "FAILURE"
    assert "Object of type coroutine is not JSON serializable" in str(outcome)
