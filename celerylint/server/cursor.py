"""What is under the cursor: a string literal's text or a name, from the line alone.

The line is read, not parsed: it works while the file does not parse (mid-edit).
"""

from __future__ import annotations

import re
from typing import Optional

# A one-line string literal without escapes (task names and setting keys are plain).
_STRING = re.compile(r"""(?P<q>['"])(?P<text>[^'"\\\r\n]*)(?P=q)""")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def string_at(line: str, col: int) -> Optional[str]:
    """The text of the string literal at character `col` of `line`."""
    for match in _STRING.finditer(line):
        if match.start() <= col < match.end():
            return match.group("text")
    return None


def name_at(line: str, col: int) -> Optional[str]:
    """The identifier (or identifier-like string content) at character `col`."""
    for match in _NAME.finditer(line):
        if match.start() <= col <= match.end():
            return match.group()
    return None
