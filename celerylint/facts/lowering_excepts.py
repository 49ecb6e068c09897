"""Python 3.14's `except A, B:` (PEP 758), parenthesized where the parser says.

Older parsers reject the construct with a SyntaxError that spans the exception
types, on the clause's own line. The token scan (`lowering_tokens`) finds the
same groups by tokenizing the whole file, which costs three times the parse:
on the corpus, seven modules of kitsune and readthedocs took 0.15 s of a cold
check that way. Here each error is mended where it points, and the file parsed
again, until it parses (a few groups) or the parser stops somewhere this path
does not handle; then the caller goes the token scan's way, as before.

The edits and features are the ones the token scan would record: the same
text is parsed, and `restore_positions` maps it back the same way.
"""

from __future__ import annotations

import re
from typing import Optional

from celerylint.facts import parse_quietly
from celerylint.facts.lowering_positions import apply_edits
from celerylint.facts.lowering_results import RUNNING, Feature, Lowering

__all__ = ["parenthesize_excepts"]

MESSAGE = "multiple exception types must be parenthesized"
# Re-parses before the token scan is cheaper: each costs up to two parses.
MAX_GROUPS = 4
_CLAUSE_START = re.compile(r"[ \t]*except[ \t]*(?:\*[ \t]*)?")
_AS = re.compile(r"\bas\b")


def parenthesize_excepts(source: str, error: SyntaxError) -> Optional[Lowering]:
    """The lowering of `source` whose only newer construct is `except A, B:`, or None
    when the errors lead elsewhere (then nothing is known, and the token scan runs)."""
    if RUNNING >= (3, 14) or source.count("\r") != source.count("\r\n"):
        return None  # a lone "\r" ends a line for `ast`, not for the offsets below
    lines = source.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    edits: list[tuple[int, int, str]] = []
    features: list[Feature] = []
    for _ in range(MAX_GROUPS):
        group = _group(error, lines)
        if group is None or group[0] in (feature.line for feature in features):
            return None
        row, first, last = group
        start = starts[row - 1]
        edits += [(start + first, start + first, "("), (start + last, start + last, ")")]
        features.append(Feature((3, 14), "unparenthesized except groups", row))
        edits.sort()
        text = apply_edits(source, edits)
        try:
            tree = parse_quietly(text)
        except SyntaxError as again:
            error = again
            continue
        except (ValueError, RecursionError, MemoryError):
            return None
        features.sort(key=lambda feature: feature.line)
        return Lowering(text, tuple(features), edits=tuple(edits), tree=tree)
    return None


def _group(error: SyntaxError, lines: list[str]) -> Optional[tuple[int, int, int]]:
    """(row, start column, end column) of the types of the unparenthesized group
    `error` is about, when it is one the token scan would parenthesize."""
    row, offset, end_offset = error.lineno, error.offset, error.end_offset
    if error.msg != MESSAGE or row is None or offset is None or end_offset is None:
        return None
    if error.end_lineno != row or not 0 < row <= len(lines):
        return None  # continued on the next line: the token scan's case
    line = lines[row - 1].rstrip("\r")
    if not line.isascii():
        return None  # where characters and bytes differ, an offset could mean either
    first = offset - 1
    types = line[first : end_offset - 1].rstrip()
    if (
        _CLAUSE_START.fullmatch(line, 0, first) is None
        or not line[first + len(types) :].lstrip().startswith(":")
        or _AS.search(types) is not None  # `except A, B as e:` is an error on 3.14 too
    ):
        return None
    return row, first, first + len(types)
