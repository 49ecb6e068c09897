"""Reading a whole file's bytes, fast: every check reads every file of the tree
(the prefilter, a rename's `mentioning`), and `open().read()` costs twice
`os.read` for a small file (it builds a buffered reader and asks its size)."""

from __future__ import annotations

import os
from typing import Optional

_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
# Most source files fit in one read; a larger one takes a few.
_CHUNK = 1 << 18


def read_bytes(path: str) -> bytes:
    """The file's bytes; OSError as `open` raises it (missing, a directory, ...)."""
    fd = os.open(path, _FLAGS)
    try:
        return _read_all(fd)
    finally:
        os.close(fd)


def read_or_none(path: str) -> Optional[bytes]:
    """The file's bytes; None if it cannot be read (its finding says why elsewhere)."""
    try:
        return read_bytes(path)
    except OSError:
        return None


def read_keyed(path: str) -> tuple[bytes, tuple[int, int]]:
    """The file's bytes and the (mtime_ns, size) of what was read, as `os.stat` gives
    them for the same file (a cache entry's key)."""
    fd = os.open(path, _FLAGS)
    try:
        status = os.fstat(fd)
        return _read_all(fd), (status.st_mtime_ns, status.st_size)
    finally:
        os.close(fd)


def _read_all(fd: int) -> bytes:
    data = os.read(fd, _CHUNK)
    if len(data) < _CHUNK:
        return data
    chunks = [data]
    while chunk := os.read(fd, _CHUNK):
        chunks.append(chunk)
    return b"".join(chunks)


def unreadable(exc: OSError) -> str:
    """How a file that cannot be read is reported (a CL000 finding)."""
    return f"cannot read: {exc.strerror or exc}"
