"""The client of the resident process (`celerylint daemon start`).

A one-file pre-commit run spends most of its time starting up: the interpreter,
then importing argparse, msgspec, the pipeline and thirty rules, then reading
the cache, all before checking one file. A resident process has done all that
once; a run it serves only stats the project and checks what changed.

When `celerylint daemon start` (or a `check --daemon`: pre-commit's hooks run
from an installation of their own) has started one for this installation, every
`check` that only writes its report (the runs `command_replay` may record: no
fixes, no stdin buffer, cache on, no terminal) is sent to it and answered with
the same output and exit code as a run here. Anything else, and any failure to
reach it, runs here as usual: the daemon only ever makes a run faster.

Imports only `os`, `sys`, `marshal` and the digest, and CPython's `_socket` when a
daemon is there (`socket` costs 10 ms, `json` 4). marshal is no format to read
from a stranger; the socket's directory admits this user's processes only.
"""

from __future__ import annotations

import marshal
import os
import sys

from celerylint import __version__
from celerylint.digest import name_digest

# Bumped when requests or answers change shape.
PROTOCOL = 1
# Seconds a client waits for an answer (a cold check of a big tree takes a few).
ANSWER_TIMEOUT = 120.0
# Commands the daemon never runs: not worth a round trip.
_OTHER_COMMANDS = frozenset({"daemon", "server", "rule", "rules", "clean", "inspect"})
_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def runtime_directory() -> str:
    """Where the sockets live: private to this user (made 0700 by the daemon)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isabs(base):
        return os.path.join(base, "celerylint")
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return os.path.join("/tmp", f"celerylint-{uid}")


def socket_path() -> str:
    """This installation's socket: one daemon per interpreter and celerylint copy."""
    install = name_digest((sys.executable, _PACKAGE))
    return os.path.join(runtime_directory(), f"daemon-{install}.sock")


def build() -> str:
    """What the code of this installation is: its version and every module's (mtime,
    size), so that a daemon started before an upgrade or an edit of celerylint
    itself never answers for the new code."""
    stamps: list[tuple[str, int, int]] = []
    for directory, subdirectories, files in os.walk(_PACKAGE):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(directory, name))
                stamps.append((name, stat.st_mtime_ns, stat.st_size))
    return name_digest((PROTOCOL, __version__, sys.version, stamps))


def private(directory: str) -> bool:
    """The directory is ours alone: a socket in it cannot be someone else's."""
    try:
        stat = os.lstat(directory)
    except OSError:
        return False
    owner = os.getuid() if hasattr(os, "getuid") else stat.st_uid
    return stat.st_uid == owner and stat.st_mode & 0o077 == 0 and os.path.isdir(directory)


def private_or_absent(directory: str) -> bool:
    return not os.path.lexists(directory) or private(directory)


def call(request: dict[str, object], path: str | None = None) -> dict[str, object] | None:
    """Send one request to the daemon and return its answer; None when there is no
    daemon, it is not ours, or it went away before answering."""
    path = path or socket_path()
    if not os.path.exists(path) or not private(os.path.dirname(path)):
        return None
    try:
        import _socket
    except ImportError:  # not CPython, or no Unix sockets
        return None
    if not hasattr(_socket, "AF_UNIX"):
        return None
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    # A daemon that hangs must not hang every check: past this, the client runs it.
    connection.settimeout(ANSWER_TIMEOUT)
    try:
        connection.connect(path)
        connection.sendall(marshal.dumps(request))
        connection.shutdown(_socket.SHUT_WR)
        chunks = []
        while chunk := connection.recv(1 << 20):
            chunks.append(chunk)
        answer = marshal.loads(b"".join(chunks))
    except (OSError, ValueError, EOFError, TypeError):
        return None  # stale socket, a daemon that died mid-run: run here instead
    finally:
        connection.close()
    return answer if isinstance(answer, dict) else None


def log_path(path: str) -> str:
    """Where the daemon of the socket `path` writes its errors."""
    return path[: -len(".sock")] + ".log"


def spawn(path: str) -> int:
    """Start `celerylint daemon run` in a session of its own, without waiting for it;
    its pid. `os.posix_spawn`: `subprocess` costs 10 ms to import."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    log = log_path(path)
    streams = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
    ]
    argv = [sys.executable, "-m", "celerylint", "daemon", "run"]
    try:
        return os.posix_spawn(sys.executable, argv, os.environ, file_actions=streams, setsid=True)
    except NotImplementedError:  # no POSIX_SPAWN_SETSID: it then ends with the terminal
        return os.posix_spawn(sys.executable, argv, os.environ, file_actions=streams)


def _start_for_next_runs(path: str) -> None:
    """`spawn`; if it cannot, this run and the next ones run in their own process."""
    import contextlib

    with contextlib.suppress(OSError):
        spawn(path)


def _left_behind(path: str) -> bool:
    """Nothing listens on the socket (its daemon was killed): not just a busy one."""
    import _socket

    probe = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    finally:
        probe.close()
    return False


def _should_start(argv: list[str], path: str) -> bool:
    """`--daemon`, where a daemon can run and would outlive this run usefully: not in
    CI (a job's checkout goes away with it; nothing would use the daemon again)."""
    return (
        "--daemon" in argv
        and not os.environ.get("CI")
        and hasattr(os, "posix_spawn")
        and private_or_absent(os.path.dirname(path))
    )


def ask(argv: list[str]) -> int | None:
    """Have the daemon run `celerylint <argv>` as this process would; write its output
    and return its exit code. None: run it here (with `--daemon` and no daemon yet,
    one is started for the next run)."""
    from celerylint.entry import on_terminal

    if (argv and argv[0] in _OTHER_COMMANDS) or on_terminal():
        return None
    path = socket_path()
    if not os.path.exists(path):
        if _should_start(argv, path):
            _start_for_next_runs(path)
        return None
    try:
        cwd = os.getcwd()
    except OSError:
        return None
    request: dict[str, object] = {
        "op": "check",
        "build": build(),
        "argv": argv,
        "cwd": cwd,
        "env": dict(os.environ),
    }
    answer = call(request, path)
    if answer is None and _should_start(argv, path) and _left_behind(path):
        _start_for_next_runs(path)  # its daemon was killed: another replaces its socket
    if answer is None or answer.get("served") is not True:
        return None
    stdout, stderr, code = answer.get("stdout"), answer.get("stderr"), answer.get("code")
    if not (isinstance(stdout, str) and isinstance(stderr, str) and isinstance(code, int)):
        return None
    from celerylint.entry import emit

    return code if emit(stdout, stderr) else 2
