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
