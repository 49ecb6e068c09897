"""CL404's and CL405's premises, on real Celery 5.7: how `Task.retry` retries.

CL404: `retry`'s first parameter is the task's arguments.

`self.retry(exc)` makes a tuple of the exception and fails with TypeError before
any retry is sent; a string is split into one argument per character, and the
task refuses them. Only `exc=exc` retries (here eagerly, `Task.apply`, which runs
the retries in turn until `max_retries` and then re-raises the exception).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from celery import Celery
from celery.canvas import Signature
from celery.exceptions import Retry

pytestmark = pytest.mark.real_celery


def _attempts_and_outcome(how: str) -> tuple[int, BaseException]:
    app = Celery("premise", broker="memory://", set_as_current=False)
    attempts: list[int] = []

    @app.task(bind=True, max_retries=3)
    def sync(self, account_id: int) -> int:
        attempts.append(self.request.retries)
        try:
            raise ConnectionError("broker down")
        except ConnectionError as exc:
            if how == "exception":
                raise self.retry(exc) from None
            if how == "string":
                raise self.retry(f"HTTP {exc}") from None
            raise self.retry(exc=exc) from None

    outcome = sync.apply((1,)).result
    assert isinstance(outcome, BaseException)
    return len(attempts), outcome


def test_the_exception_as_args_fails_before_any_retry() -> None:
    attempts, outcome = _attempts_and_outcome("exception")
    assert attempts == 1
    assert isinstance(outcome, TypeError)
    assert "'ConnectionError' object is not iterable" in str(outcome)


def test_a_string_as_args_sends_one_argument_per_character() -> None:
    attempts, outcome = _attempts_and_outcome("string")
    assert attempts == 1  # the retry was refused: the task takes one argument
    assert isinstance(outcome, TypeError)
    # The characters, and the bound task itself.
    assert f"{len('HTTP broker down') + 1} were given" in str(outcome)


def test_the_exception_given_as_exc_is_retried_then_raised() -> None:
    attempts, outcome = _attempts_and_outcome("keyword")
    assert attempts == 4  # the call and its three retries
    assert isinstance(outcome, ConnectionError)


def _countdowns(task: Any, call: Callable[[], Any]) -> list[Any]:
    """The countdown of each retry the task sends, as a worker would, retries 0 to 3."""
    seen: list[Any] = []

    def sent(signature: Signature, *args: Any, **kwargs: Any) -> None:
        seen.append(signature.options.get("countdown"))

    with mock.patch.object(Signature, "apply_async", sent):
        for retries in range(4):
            task.push_request(
                id="i",
                retries=retries,
                args=(),
                kwargs={},
                is_eager=False,
                called_directly=False,
                delivery_info={},
            )
            try:
                call()
            except Retry:
                pass
            finally:
                task.pop_request()
    return seen


def test_retry_backoff_applies_to_automatic_retries_only() -> None:
    """CL405's premise: `self.retry()` waits `default_retry_delay` whatever
    `retry_backoff` says; `autoretry_for` retries back off."""
    app = Celery("premise", broker="memory://", set_as_current=False)

    @app.task(bind=True, retry_backoff=True, retry_jitter=False, max_retries=5)
    def manual(self: Any) -> None:
        raise self.retry(exc=ConnectionError("down"))

    @app.task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=False, max_retries=5)
    def automatic() -> None:
        raise ConnectionError("down")

    assert _countdowns(manual, manual.run) == [180, 180, 180, 180]
    assert _countdowns(automatic, automatic.run) == [1, 2, 4, 8]
