"""`celerylint server`: a language server (LSP over stdio) on the project model.

pygls is an optional dependency (`celerylint[server]`); this module imports it
only when the server starts, so the CLI stays fast and works without it.
"""

from __future__ import annotations

import sys

MISSING = "celerylint: the language server needs pygls: install celerylint[server]"


def main() -> int:
    """Serve on stdin/stdout until the client exits; 2 when pygls is missing."""
    try:
        import pygls  # noqa: F401
    except ImportError:
        print(MISSING, file=sys.stderr)
        return 2
    from celerylint.server.protocol import serve

    serve()
    return 0
