"""Source lines of reported files, read the way `ast` numbers them (no rich here).

Shared by the full format's code frames and by fingerprints (baseline, gitlab,
sarif), which hash the text of the reported line.
"""

from __future__ import annotations

import io
import re
import tokenize

# The line breaks `ast` counts; str.splitlines() also splits on \f, \v, \x1c…
# and would put the frame on the wrong line.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class SourceCache:
    """Source lines read lazily, once per file; None for a file that cannot be read.

    `overlay` maps paths to contents that replace the disk (text from stdin).
    """

    def __init__(self, overlay: dict[str, bytes] | None = None) -> None:
        self._files: dict[str, list[str] | None] = {}
        self._overlay = overlay or {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self._files:
            data = self._overlay.get(path)
            self._files[path] = read_lines(path) if data is None else decode_lines(data)
        return self._files[path]

    def line(self, path: str, row: int) -> str:
        """The text of 1-based `row`, or "" when the file or the row is not there."""
        lines = self.lines(path)
        if lines is None or not 1 <= row <= len(lines):
            return ""
        return lines[row - 1]


def read_lines(path: str) -> list[str] | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        return None
    return decode_lines(data)


def decode_lines(data: bytes) -> list[str]:
    """The lines of a Python source (declared encoding, BOM dropped, bad bytes replaced)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except (SyntaxError, LookupError):
        encoding = "utf-8"
    try:
        text = data.decode(encoding, errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = _LINE_BREAK.split(text)
    # A final line break ends the last line; it does not start an empty one.
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines
