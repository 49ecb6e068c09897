"""CL503's premise, on real Celery 5.7: no result backend, no result.

An app without `result_backend` gets a `DisabledBackend`. Sending works (no
broker is needed to show it: kombu's in-memory transport), but reading the
result fails: `.get()` / `.wait()` raise `NotImplementedError` and the state
reads raise `AttributeError`, also on `AsyncResult(id)`; starting a chord
(also `group(...) | task.s()`, upgraded to a chord) raises
`NotImplementedError`. An eager app's `EagerResult` needs no backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from celery import Celery, chain, chord, group
from celery.backends.base import DisabledBackend

from celerylint.rules.cl503_result_backend_missing import _CHORD_ERROR, _GET_ERROR

pytestmark = pytest.mark.real_celery


def _app(**conf: Any) -> tuple[Celery, Any, Any]:
    app = Celery("premise", broker="memory://", set_as_current=False)
    app.conf.update(conf)

    @app.task
    def add(x: int, y: int) -> int:
        return x + y

    @app.task
    def total(numbers: list[int]) -> int:
        return sum(numbers)

    return app, add, total


def _message(error: str) -> str:
    return error.split(": ", 1)[1].rstrip("`")


READS: dict[str, Callable[[Any], Any]] = {
    "get": lambda r: r.get(timeout=0.1),
    "wait": lambda r: r.wait(timeout=0.1),
    "ready": lambda r: r.ready(),
    "successful": lambda r: r.successful(),
    "failed": lambda r: r.failed(),
    "state": lambda r: r.state,
    "status": lambda r: r.status,
    "result": lambda r: r.result,
    "info": lambda r: r.info,
}


@pytest.mark.parametrize("what", sorted(READS))
def test_reading_a_result_without_a_backend_raises(what: str) -> None:
    app, add, _ = _app()
    sent = add.delay(1, 2)
    assert isinstance(sent.backend, DisabledBackend)
    assert sent.id  # the id needs no backend
    expected = NotImplementedError if what in ("get", "wait") else AttributeError
    for result in (sent, app.AsyncResult(sent.id), add.AsyncResult(sent.id)):
        with pytest.raises(expected) as raised:
            READS[what](result)
        if expected is NotImplementedError:
            assert _message(_GET_ERROR) in str(raised.value)
        else:
            assert "_get_task_meta_for" in str(raised.value)


def test_send_task_results_need_a_backend_too() -> None:
    app, _, _ = _app()
    with pytest.raises(NotImplementedError):
        app.send_task("premise.add", args=(1, 2)).get(timeout=0.1)


def test_starting_a_chord_without_a_backend_raises() -> None:
    _, add, total = _app()
    message = _message(_CHORD_ERROR)
    built = chord([add.s(1, 1), add.s(2, 2)], total.s())  # building alone does not raise
    with pytest.raises(NotImplementedError, match=message):
        built.apply_async()
    with pytest.raises(NotImplementedError, match=message):
        chord([add.s(1, 1)])(total.s())
    piped = group([add.s(1, 1)]) | total.s()
    assert isinstance(piped, chord)  # group | task is upgraded to a chord
    with pytest.raises(NotImplementedError, match=message):
        piped.delay()
    # A plain chain and a lone group need no backend to be sent.
    chain(add.s(1, 1), add.s(2)).delay()
    group([add.s(1, 1)]).delay()


def test_a_backend_or_eager_mode_makes_results_readable() -> None:
    app, add, total = _app(result_backend="cache+memory://")
    assert not isinstance(add.delay(1, 2).backend, DisabledBackend)
    assert app.AsyncResult("unknown").state == "PENDING"

    _, add, total = _app(task_always_eager=True)
    result = add.delay(1, 2)
    assert (result.get(), result.state, result.ready()) == (3, "SUCCESS", True)
    assert chord([add.s(1, 1), add.s(2, 2)], total.s()).apply_async().get() == 6


def test_a_task_can_keep_results_in_a_backend_of_its_own() -> None:
    app = Celery("premise", broker="memory://", set_as_current=False)
    stores = Celery("stores", backend="cache+memory://", set_as_current=False)

    @app.task(backend=stores.backend)
    def add(x: int, y: int) -> int:
        return x + y

    assert isinstance(app.backend, DisabledBackend)
    assert add.delay(1, 2).state == "PENDING"  # read from the task's own backend
