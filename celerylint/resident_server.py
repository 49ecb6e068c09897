"""The resident process: `celerylint daemon start|stop|status|run`.

It listens on a Unix socket in a directory only its user can enter
(`resident.socket_path`) and answers one request at a time:

- `check`: run `celerylint <argv>` from the client's directory with the
  client's environment, exactly as the client would (the same CLI), and send
  back its output and exit code. Runs that do more than report (fixes,
  baselines, stdin, `--no-cache`, `--output-file`) are refused: the client
  runs those itself, so files are only ever written by the process the user
  started. A client whose code differs (`resident.build`: another version, or
  celerylint's own sources edited) is refused too, and the daemon then exits:
  its code is out of date.
- `status`, `stop`.

What it keeps between runs: imported modules, and the records it decoded while
their files stay the same (`cache.keep_decoded`). The facts, run and command
records are written on disk as by any run, so a run with or without the daemon
sees the same cache; it writes them after answering (`cache.writes_deferred`).
It exits after `--idle-timeout` seconds without a request (default 30 minutes),
on `stop`, and on SIGTERM, removing its socket.
"""

from __future__ import annotations

import contextlib
import io
import marshal
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from typing import Optional

from celerylint import resident

IDLE_TIMEOUT = 30 * 60.0
# How `start` passes --idle-timeout to the process `resident.spawn` starts.
TIMEOUT_ENV = "CELERYLINT_DAEMON_IDLE_TIMEOUT"
_START_WAIT = 10.0  # seconds `start` waits for the daemon to answer


class DaemonError(Exception):
    """What `celerylint daemon` could not do, for the one-line message."""


def start(idle_timeout: float) -> str:
    """Start a daemon in the background and wait until it answers; its pid."""
    path = resident.socket_path()
    running = resident.call({"op": "status"}, path)
    if running is not None:
        raise DaemonError(f"already running (pid {running.get('pid')})")
    _private_directory(path)
    os.environ[TIMEOUT_ENV] = f"{idle_timeout}"
    pid = resident.spawn(path)
    deadline = time.monotonic() + _START_WAIT
    while time.monotonic() < deadline:
        answer = resident.call({"op": "status"}, path)
        if answer is not None:
            return str(answer.get("pid"))
        finished, status = os.waitpid(pid, os.WNOHANG)
        if finished:
            code = os.waitstatus_to_exitcode(status)
            raise DaemonError(f"it exited at once (code {code}); see {resident.log_path(path)}")
        time.sleep(0.02)
    raise DaemonError(
        f"it did not answer within {_START_WAIT:.0f} s; see {resident.log_path(path)}"
    )


def stop() -> Optional[str]:
    """Ask the daemon to exit; its pid, None when none was running."""
    answer = resident.call({"op": "stop"})
    return None if answer is None else str(answer.get("pid"))


def status() -> Optional[dict[str, object]]:
    return resident.call({"op": "status"})


def _private_directory(path: str) -> str:
    """The socket's directory, made private to this user (refused if it is not)."""
    if not hasattr(socket, "AF_UNIX") or not hasattr(os, "posix_spawn"):
        raise DaemonError("needs Unix domain sockets and posix_spawn, which this platform lacks")
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    if not resident.private(directory):
        raise DaemonError(f"{directory} is not private to this user; remove it or fix its mode")
    return directory


def serve(idle_timeout: float) -> None:
    """Answer requests until stopped, refused by a newer client, or idle too long."""
    path = resident.socket_path()
    _private_directory(path)
    if resident.call({"op": "status"}, path) is not None:
        return  # two `check --daemon` runs both started one: the first one serves
    os.chdir("/")  # no hold on a directory that may be removed or unmounted
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Bound under a temporary name and renamed into place: a client never finds the
    # path without a daemon behind it, and a stale socket left by a killed one is
    # replaced in one step.
    temporary = f"{path}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)
    server.bind(temporary)
    server.listen(16)
    os.replace(temporary, path)
    bound = os.stat(path).st_ino
    server.settimeout(idle_timeout)
    # `kill` (SIGTERM, a service manager's stop) ends it as `stop` does: socket removed.
    signal.signal(signal.SIGTERM, _terminate)
    from celerylint.cache import keep_decoded

    keep_decoded()
    daemon = _Daemon(resident.build())
    _warm_up()
    try:
        while daemon.running:
            try:
                connection, _ = server.accept()
            except TimeoutError:
                break
            with connection:
                connection.settimeout(None)
                daemon.answer(connection)
    finally:
        server.close()
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == bound:  # not a newer daemon's
                os.unlink(path)


def _terminate(_signal: int, _frame: object) -> None:
    sys.exit(0)


def _warm_up() -> None:
    """Import what every check imports, before the first request rather than during it."""
    import celerylint.cli
    import celerylint.facts.python
    import celerylint.pipeline
    from celerylint.rules.registry import load_checks

    celerylint.cli.parse(["check"])
    load_checks()


class _Daemon:
    def __init__(self, build: str) -> None:
        self.build = build
        self.running = True
        self.served = 0
        self.started = time.time()

    def answer(self, connection: socket.socket) -> None:
        chunks = []
        while chunk := connection.recv(1 << 20):
            chunks.append(chunk)
        try:
            request = marshal.loads(b"".join(chunks))
        except (ValueError, EOFError, TypeError):
            return
        if not isinstance(request, dict):
            return
        from celerylint.cache import writes_deferred

        with writes_deferred() as writes:
            reply = self.reply(request)
        with contextlib.suppress(OSError):  # the client gave up (Ctrl-C)
            connection.sendall(marshal.dumps(reply))
            connection.shutdown(socket.SHUT_WR)
        if writes:
            # The client has its answer; the records are written from its directory, as
            # a run there would have (every path in them is absolute: this is belt and
            # braces). A directory removed meanwhile loses them, as a read-only one does.
            with contextlib.suppress(OSError), _as_client(request["cwd"], request["env"]):
                for write in writes:
                    write()

    def reply(self, request: dict[str, object]) -> dict[str, object]:
        op = request.get("op")
        if op == "status":
            return {"pid": os.getpid(), "served": self.served, "since": self.started}
        if op == "stop":
            self.running = False
            return {"pid": os.getpid()}
        if op != "check":
            return {"served": False}
        if request.get("build") != self.build:
            self.running = False  # the client's code is newer (or older): ours is stale
            return {"served": False}
        argv, cwd, env = request.get("argv"), request.get("cwd"), request.get("env")
        if not (
            isinstance(argv, list)
            and all(isinstance(a, str) for a in argv)
            and isinstance(cwd, str)
            and isinstance(env, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
            and _reports_only(argv)
        ):
            return {"served": False}
        from celerylint.cli import outcome

        try:
            with _as_client(cwd, env) as (stdout, stderr):
                code = outcome(argv)
        except OSError:
            return {"served": False}  # its directory is gone: the client says so
        except SystemExit:
            return {"served": False}  # argparse, though the arguments parsed before
        self.served += 1
        return {
            "served": True,
            "code": code,
            "stdout": stdout.getvalue(),
            "stderr": stderr.getvalue(),
        }


def _reports_only(argv: list[str]) -> bool:
    """A `check` that writes nothing but its report (`check_options.replayable`)."""
    from celerylint import check_options
    from celerylint.cli import parse

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            args = parse(argv)
    except SystemExit:
        return False  # the client says what is wrong
    return args.command == "check" and check_options.replayable(args)


@contextlib.contextmanager
def _as_client(cwd: str, env: dict[str, str]) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """Run in the client's directory and environment, writing into buffers."""
    saved_cwd, saved_env = os.getcwd(), dict(os.environ)
    saved_streams = sys.stdout, sys.stderr
    stdout, stderr = io.StringIO(), io.StringIO()
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.stdout, sys.stderr = stdout, stderr
    try:
        yield stdout, stderr
    finally:
        sys.stdout, sys.stderr = saved_streams
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
