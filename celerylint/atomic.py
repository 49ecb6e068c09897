"""Write a file whole or not at all: a temporary file beside it, then `os.replace`."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def atomic_write(target: Path, data: bytes) -> None:
    """Replace `target` with `data`; readers see the old or the new file, never half of one.

    A new file gets the permissions the umask gives; an existing one keeps its mode.
    """
    import tempfile  # here: a replayed run imports this module but never writes

    directory = os.path.dirname(os.path.abspath(target))
    fd, temp = tempfile.mkstemp(prefix=".celerylint-", suffix=".tmp", dir=directory)
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
