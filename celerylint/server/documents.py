"""The editor's view of files: open buffers over the files on disk.

Every check overlays the unsaved text of open documents on the project read
from disk; positions are converted with the text the editor sees.
"""

from __future__ import annotations

import os
from typing import Optional

from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import Workspace


def path_of(uri: str) -> Optional[str]:
    """The absolute file path of a `file:` URI (None for other schemes)."""
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return os.path.abspath(path) if path else None


def uri_of(path: str) -> str:
    return from_fs_path(path) or f"file://{path}"


def open_paths(workspace: Workspace) -> dict[str, str]:
    """Path -> URI of the open documents that are files."""
    found = {}
    for uri in workspace.text_documents:
        path = path_of(uri)
        if path is not None:
            found[path] = uri
    return found


def overlay(workspace: Workspace) -> dict[str, bytes]:
    """The open buffers' text, to check instead of the files on disk."""
    return {
        path: workspace.get_text_document(uri).source.encode("utf-8")
        for path, uri in open_paths(workspace).items()
    }


def lines_of(workspace: Workspace, path: str) -> list[str]:
    """The rows of `path` as the editor sees them: its buffer if open, else the disk."""
    uri = open_paths(workspace).get(path)
    if uri is not None:
        return list(workspace.get_text_document(uri).lines)
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as handle:
            return handle.read().splitlines(keepends=True)
    except OSError:
        return []
