"""Is a checkout's top (or a directory holding Django's `manage.py`), holding an
`__init__.py`, a package?

Usually not: code runs with the checkout's top on `sys.path` (`celery -A
main.celery` started there; manage.py beside it), and the top's `__init__.py`
is a build tool's marker or a leftover (mitxonline, Mayan EDMS). Its name is
then only what the clone was called, and `name.orders.tasks` would be no module
the worker knows, nor a task name it registers.

But a project cloned as a package runs from the directory above (Celery's
guide's `proj/`, made a repository as it is: `celery -A proj`). Its own files
say so: they import relatively (`from .celery import app`, which fails in a
module that is in no package) or by the top's name (`from proj.celery import
app`, `include=["proj.tasks"]`). Only the `.py` files directly in the top are
read, once per top.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Optional

__all__ = ["runs_from_above"]

# A relative import at the start of a line: the module is in a package.
_RELATIVE = rb"^[ \t]*from[ \t]+\."


def runs_from_above(
    directory: str, name: str, on_read: Optional[Callable[[str], None]] = None
) -> bool:
    """Whether the files directly in `directory` (named `name`, an identifier) import
    it as a package. `on_read(path)` is told of each file before it is read."""
    escaped = re.escape(name.encode())
    tests = [_RELATIVE]
    # With a package of the same name inside (Mayan EDMS cloned as `mayan/`, holding
    # `mayan/`), `mayan.settings` in `manage.py` names the inner one: run from the top,
    # the top is `sys.path[0]`. Only a relative import says the top is a package.
    if not os.path.isfile(os.path.join(directory, name, "__init__.py")):
        tests += [
            rb"^[ \t]*import[ \t]+" + escaped + rb"\b",
            rb"^[ \t]*from[ \t]+" + escaped + rb"[ \t.]",
            rb"""["']""" + escaped + rb"\.\w",
        ]
    evidence = re.compile(rb"|".join(tests), re.MULTILINE)
    try:
        with os.scandir(directory) as entries:
            sources = sorted(
                entry.path
                for entry in entries
                if entry.name.endswith(".py") and entry.is_file(follow_symlinks=False)
            )
    except OSError:
        return False
    for path in sources:
        if on_read is not None:
            on_read(path)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        if evidence.search(data) is not None:
            return True
    return False
