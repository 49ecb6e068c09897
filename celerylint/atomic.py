"""Write a file whole or not at all: a temporary file beside it, then `os.replace`."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def atomic_write(target: Path, data: bytes) -> None:
    """Replace `target` with `data`; readers see the old or the new file, never half of one.

    A new file gets the permissions the umask gives; an existing one keeps its mode.
    """
    directory = os.path.dirname(os.path.abspath(target))
    fd, temp = _new_file(directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        try:
            mode = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _new_file(directory: str) -> tuple[int, str]:
    """A new, private temporary file in `directory`, as `tempfile.mkstemp` makes one
    (O_EXCL, mode 0600) without importing tempfile (random, hashlib: 1.5 ms a run)."""
    for attempt in range(100):
        temp = os.path.join(directory, f".celerylint-{os.getpid()}-{attempt}.tmp")
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), temp
        except FileExistsError:
            continue  # left by a crashed run of a process with the same id
    raise FileExistsError(f"no free temporary file name in {directory}")
