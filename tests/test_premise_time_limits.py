"""CL202's premise, on real Celery: a soft time limit not below the hard one.

- Sending: since Celery 5.5, `Task.apply_async` (and so `delay`) raises
  `ValueError` when the task's soft limit is above its hard limit, wherever the
  limits come from (decorator, settings); equal limits are sent. Limits given
  to `apply_async` itself are not checked.
- Running (a real prefork worker on kombu's filesystem transport): with the
  soft limit equal to or above the hard one, the hard limit kills the task
  and `SoftTimeLimitExceeded` is never raised; below it, the task gets it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from celery import Celery

pytestmark = pytest.mark.real_celery


def _app() -> Celery:
    return Celery("premise", broker="memory://", set_as_current=False)


def test_sending_a_task_whose_soft_limit_is_above_its_hard_limit_raises() -> None:
    app = _app()

    @app.task(soft_time_limit=10, time_limit=5)
    def above() -> None: ...

    @app.task(soft_time_limit=5, time_limit=5)
    def equal() -> None: ...

    @app.task
    def plain() -> None: ...

    message = "soft_time_limit must be less than or equal to time_limit"
    with pytest.raises(ValueError, match=message):
        above.delay()
    with pytest.raises(ValueError, match=message):
        above.apply_async(soft_time_limit=1, time_limit=5)  # the task's own limits decide
    equal.delay()
    plain.apply_async(soft_time_limit=10, time_limit=5)  # call options are not checked
    app.send_task(above.name)  # by name: nothing to check


def test_limits_from_settings_are_checked_too() -> None:
    app = _app()
    app.conf.task_soft_time_limit = 10
    app.conf.task_time_limit = 5

    @app.task
    def job() -> None: ...

    with pytest.raises(ValueError):
        job.delay()


WORKER_PROJECT = """
    import os
    import time

    from celery import Celery
    from celery.exceptions import SoftTimeLimitExceeded

    HERE = os.path.dirname(os.path.abspath(__file__))
    app = Celery("limits", set_as_current=False)
    app.conf.broker_url = "filesystem://"
    app.conf.broker_transport_options = {
        "data_folder_in": os.path.join(HERE, "queue"),
        "data_folder_out": os.path.join(HERE, "queue"),
        "processed_folder": os.path.join(HERE, "processed"),
    }


    def mark(tag, what):
        open(os.path.join(HERE, "out", f"{tag}.{what}"), "w").close()


    @app.task
    def sleeper(tag):
        mark(tag, "started")
        try:
            time.sleep(10)
        except SoftTimeLimitExceeded:
            mark(tag, "soft")
            time.sleep(10)
        mark(tag, "finished")
"""


@pytest.mark.slow
def test_prefork_worker_never_raises_a_soft_limit_not_below_the_hard(tmp_path: Path) -> None:
    (tmp_path / "limits.py").write_text(textwrap.dedent(WORKER_PROJECT))
    for folder in ("queue", "processed", "out"):
        (tmp_path / folder).mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY")}
    send = (
        "from limits import sleeper\n"
        "sleeper.apply_async(('equal',), soft_time_limit=2, time_limit=2)\n"
        "sleeper.apply_async(('above',), soft_time_limit=3, time_limit=2)\n"
        # The pool checks limits about once a second: a wide gap, or a loaded
        # machine could see both expired at one check (and the hard one wins).
        "sleeper.apply_async(('below',), soft_time_limit=1, time_limit=4)\n"
    )
    subprocess.run([sys.executable, "-c", send], cwd=tmp_path, env=env, check=True)
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "limits", "worker"),
            *("-P", "prefork", "-c", "3", "-l", "info"),
            *("--without-heartbeat", "--without-gossip", "--without-mingle"),
            *("--logfile", str(log)),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, ended below
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
            # Every task ends by its hard limit: the worker logs each kill.
            if log.exists() and log.read_text().count("Hard time limit") >= 3:
                break
    finally:
        # The worker and its pool children, at once: a clean shutdown takes seconds.
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    out = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert out == [
        "above.started",
        "below.soft",
        "below.started",
        "equal.started",
    ], f"{out}\n{log.read_text()}"
