"""Edits of a test project's files, made after a recorded run (`test_reuse`,
`test_command_reuse`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def appending(name: str, text: str) -> Callable[[Path], None]:
    """An edit that appends `text` to `proj/<name>` of the project at the given root."""

    def change(root: Path) -> None:
        with open(root / "proj" / name, "a") as handle:
            handle.write(text)

    return change
