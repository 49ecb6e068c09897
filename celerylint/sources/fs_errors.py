"""File system errors as the walk reports them: short, lower-case, no errno."""

from __future__ import annotations

import errno
import os

from celerylint.config import display_path


def os_message(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (too many levels of symbolic links)"
    if exc.errno == errno.ENOENT:
        return "no such file or directory"
    return (exc.strerror or exc.__class__.__name__).lower()


def link_message(path: str, exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        try:
            target = os.readlink(path)
        except OSError:
            return "broken symbolic link"
        return f"broken symbolic link to '{display_path(target)}'"
    return os_message(exc)


def may_hold_python(path: str, exc: OSError) -> bool:
    """Whether a link that cannot be followed is worth a warning: it may have led
    to Python code (its name or its target ends in `.py`, or the target has no
    extension and may be a directory). A broken link to `notes.txt` or a socket
    is noise; a loop or a permission problem is always worth saying."""
    if exc.errno != errno.ENOENT:
        return True
    try:
        target = os.path.basename(os.readlink(path).rstrip("/\\"))
    except OSError:
        return True
    name = os.path.basename(path)
    return name.endswith(".py") or target.endswith(".py") or "." not in target.lstrip(".")
