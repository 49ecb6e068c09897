"""The resident process (`celerylint daemon`): the same answers as a run in the
client's process, only for runs that write nothing but their report, and never
with out-of-date code. Real processes throughout: the console script, a daemon
started by `celerylint daemon start`, in a private runtime directory of its own."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from celerylint import resident

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="Unix sockets")

APP = "from celery import Celery\n\napp = Celery('proj', broker='redis://r/0')\n"
TASK = "from proj.celery import app\n\n\n@app.task\ndef work():\n    return 1\n"
CONSOLE = (
    "import sys; sys.argv = ['celerylint', *sys.argv[1:]]\n"
    "from celerylint.entry import run\nrun()\n"
)


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A runtime directory of this test's own (short: a socket path has 107 bytes)."""
    directory = tempfile.mkdtemp(prefix="cl-")
    env = {**os.environ, "XDG_RUNTIME_DIR": directory}
    env.pop("CELERYLINT_CACHE_DIR", None)
    env.pop("CI", None)  # `check --daemon` starts none in CI; these tests run in one
    monkeypatch.setenv("XDG_RUNTIME_DIR", directory)
    try:
        yield env
    finally:
        subprocess.run([sys.executable, "-c", CONSOLE, "daemon", "stop"], env=env, timeout=60)
        shutil.rmtree(directory, ignore_errors=True)


def celerylint(
    env: dict[str, str], *argv: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CONSOLE, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def served(env: dict[str, str]) -> int | None:
    """How many checks the daemon has answered; None when none is running."""
    run = celerylint(env, "daemon", "status")
    if run.returncode != 0:
        return None
    return int(run.stdout.split(", ")[1].split()[0])


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("still not so after 10 s")
        time.sleep(0.05)


def start_then_kill(env: dict[str, str], how: signal.Signals) -> None:
    """A daemon started, then signalled; returns once it no longer answers."""
    assert celerylint(env, "daemon", "start").returncode == 0
    pid = int(celerylint(env, "daemon", "status").stdout.split("pid ")[1].split(",")[0])
    os.kill(pid, how)
    wait_until(lambda: served(env) is None)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    (tmp_path / "proj" / "celery.py").write_text(APP)
    (tmp_path / "proj" / "tasks.py").write_text(TASK)
    return tmp_path


def test_a_check_is_answered_as_this_process_would(runtime: dict[str, str], project: Path) -> None:
    started = celerylint(runtime, "daemon", "start")
    assert started.returncode == 0 and "celerylint daemon started (pid" in started.stderr
    assert served(runtime) == 0
    by_daemon = [
        celerylint(runtime, "check", *argv, cwd=project)
        for argv in (["--output-format", "json", "."], ["proj/tasks.py"], ["--statistics"])
    ]
    assert served(runtime) == 3
    # An edit is seen at once: the finding moves with the line.
    (project / "proj" / "tasks.py").write_text("\n" + TASK)
    edited = celerylint(runtime, "check", "--output-format", "concise", cwd=project)
    assert served(runtime) == 4
    assert edited.returncode == 1 and "proj/tasks.py:6:5: CL201" in edited.stdout
    (project / "proj" / "tasks.py").write_text(TASK)
    assert celerylint(runtime, "daemon", "stop").returncode == 0
    assert served(runtime) is None
    shutil.rmtree(project / ".celerylint_cache")
    here = [
        celerylint(runtime, "check", *argv, cwd=project)
        for argv in (["--output-format", "json", "."], ["proj/tasks.py"], ["--statistics"])
    ]
    for daemon_run, local_run in zip(by_daemon, here, strict=True):
        assert (daemon_run.returncode, daemon_run.stdout, daemon_run.stderr) == (
            local_run.returncode,
            local_run.stdout,
            local_run.stderr,
        )
    assert by_daemon[0].returncode == 1 and '"code": "CL201"' in by_daemon[0].stdout


def test_runs_that_write_more_than_a_report_stay_in_the_client(
    runtime: dict[str, str], project: Path
) -> None:
    assert celerylint(runtime, "daemon", "start").returncode == 0
    fixed = celerylint(runtime, "check", "--fix", "--unsafe-fixes", cwd=project)
    uncached = celerylint(runtime, "check", "--no-cache", cwd=project)
    wrong = celerylint(runtime, "check", "--no-such-flag", cwd=project)
    assert served(runtime) == 0
    fixed_text = (project / "proj" / "celery.py").read_text()
    assert "task_time_limit" in fixed_text  # fixed, here
    assert fixed.returncode == 0 and uncached.returncode == 0
    assert wrong.returncode == 2 and "unrecognized arguments: --no-such-flag" in wrong.stderr


def test_a_client_with_other_code_is_refused_and_the_daemon_exits(
    runtime: dict[str, str], project: Path
) -> None:
    assert celerylint(runtime, "daemon", "start").returncode == 0
    request = {"op": "check", "build": "another", "argv": ["check"], "cwd": str(project)}
    answer = resident.call({**request, "env": dict(runtime)})
    assert answer == {"served": False}
    wait_until(lambda: served(runtime) is None)
    assert served(runtime) is None
    assert not os.path.exists(resident.socket_path())
    assert celerylint(runtime, "check", cwd=project).returncode == 1  # runs here


def test_a_killed_daemon_costs_nothing_and_is_replaced(
    runtime: dict[str, str], project: Path
) -> None:
    start_then_kill(runtime, signal.SIGKILL)
    assert os.path.exists(resident.socket_path())  # left behind
    run = celerylint(runtime, "check", "--output-format", "concise", cwd=project)
    assert run.returncode == 1 and "CL201" in run.stdout
    assert celerylint(runtime, "daemon", "start").returncode == 0
    assert served(runtime) == 0


def test_terminated_it_removes_its_socket(runtime: dict[str, str]) -> None:
    start_then_kill(runtime, signal.SIGTERM)
    wait_until(lambda: not os.path.exists(resident.socket_path()))
    assert not os.path.exists(resident.socket_path())


def test_start_twice_and_stop_without_one_say_so(runtime: dict[str, str]) -> None:
    assert celerylint(runtime, "daemon", "start").returncode == 0
    again = celerylint(runtime, "daemon", "start")
    assert again.returncode == 2
    assert again.stderr.startswith("celerylint: error: daemon start: already running (pid ")
    assert celerylint(runtime, "daemon", "stop").returncode == 0
    stopped = celerylint(runtime, "daemon", "stop")
    assert (stopped.returncode, stopped.stderr) == (0, "no daemon running\n")
    status = celerylint(runtime, "daemon", "status")
    assert (status.returncode, status.stderr) == (1, "no daemon running\n")


def test_it_exits_when_idle(runtime: dict[str, str]) -> None:
    assert celerylint(runtime, "daemon", "start", "--idle-timeout", "0.5").returncode == 0
    # The socket, not `status`: a request would keep it busy.
    wait_until(lambda: not os.path.exists(resident.socket_path()))
    assert served(runtime) is None
    bad = celerylint(runtime, "daemon", "start", "--idle-timeout", "0")
    assert bad.returncode == 2 and "expected a number of seconds above 0" in bad.stderr


def test_a_runtime_directory_others_can_enter_is_not_used(
    runtime: dict[str, str], project: Path
) -> None:
    directory = Path(runtime["XDG_RUNTIME_DIR"]) / "celerylint"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    refused = celerylint(runtime, "daemon", "start")
    assert refused.returncode == 2
    assert "is not private to this user" in refused.stderr
    # A socket planted there is never spoken to: the check runs here.
    (directory / os.path.basename(resident.socket_path())).write_text("")
    assert resident.call({"op": "status"}) is None
    assert celerylint(runtime, "check", cwd=project).returncode == 1


def test_check_daemon_starts_one_for_the_next_runs(runtime: dict[str, str], project: Path) -> None:
    """pre-commit's hook runs from an installation of its own: `args: [--daemon]`."""
    first = celerylint(runtime, "check", "--daemon", "--output-format", "concise", cwd=project)
    assert first.returncode == 1 and "CL201" in first.stdout  # answered here
    wait_until(lambda: os.path.exists(resident.socket_path()))
    second = celerylint(runtime, "check", "--daemon", "--output-format", "concise", cwd=project)
    assert served(runtime) == 1
    assert (second.returncode, second.stdout) == (first.returncode, first.stdout)


def test_check_daemon_starts_none_in_ci(runtime: dict[str, str], project: Path) -> None:
    ci = {**runtime, "CI": "true"}
    for _ in range(2):
        assert celerylint(ci, "check", "--daemon", cwd=project).returncode == 1
    time.sleep(0.3)
    assert not os.path.exists(resident.socket_path())


def test_a_daemon_that_does_not_answer_is_given_up_on(
    runtime: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import threading

    path = resident.socket_path()
    os.makedirs(os.path.dirname(path), mode=0o700)
    hung = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hung.bind(path)
    hung.listen(1)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(hung.accept()[0]), daemon=True).start()
    monkeypatch.setattr(resident, "ANSWER_TIMEOUT", 0.3)
    started = time.monotonic()
    assert resident.call({"op": "status"}) is None
    assert time.monotonic() - started < 5
    hung.close()
    for connection in accepted:
        connection.close()


def test_check_daemon_replaces_a_killed_one(runtime: dict[str, str], project: Path) -> None:
    start_then_kill(runtime, signal.SIGKILL)
    assert os.path.exists(resident.socket_path())  # left behind
    run = celerylint(runtime, "check", "--daemon", cwd=project)
    assert run.returncode == 1  # checked here
    wait_until(lambda: served(runtime) is not None)
    assert served(runtime) == 0  # a new one, for the next runs
