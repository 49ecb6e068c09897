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


def is_deployment_file(name: str) -> bool:
    """A file name deployment files are read from (discovery collects them)."""
    return _NAMES.match(name) is not None
