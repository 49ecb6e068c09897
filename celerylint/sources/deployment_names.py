"""Which file names discovery collects as deployment files (`facts.deploy` reads them).

Apart from the reader: a run whose walk is remembered imports discovery, never the
reader and its parsers (2 ms of a pre-commit run).
"""

from __future__ import annotations

import re

# The files `facts.deploy.kind_of` reads, and the `.env` files compose names.
_NAMES = re.compile(
    r"^(procfile(\..+)?|dockerfile(\..+)?|.+\.dockerfile|.+\.(ya?ml|sh|bash|conf|ini|service|env)"
    # entrypoint scripts often have no extension: start-worker, run_celery, entrypoint
    r"|[^.]*(worker|celery|entrypoint|start|run|docker)[^.]*)$",
    re.IGNORECASE,
)


# What a name `_NAMES` matches has: no dot, one of these starts, or one of these last
# extensions (after at least one character). Most names of a tree (`.js`, `.html`,
# `.json`) have none: told so without the regex (13,600 names: 13.5 -> 3 ms).
_STARTS = ("procfile", "dockerfile")
_LAST_EXTENSIONS = frozenset(
    {"yaml", "yml", "sh", "bash", "conf", "ini", "service", "env", "dockerfile"}
)


def is_deployment_file(name: str) -> bool:
    """A file name deployment files are read from (discovery collects them)."""
    lower = name.lower()
    if (
        "." in lower
        and "\n" not in lower  # `$` matches before a last newline
        and not lower.startswith(_STARTS)
        and lower.rpartition(".")[2] not in _LAST_EXTENSIONS
    ):
        return False
    return _NAMES.match(name) is not None
