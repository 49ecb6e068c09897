"""Suppression comments: `# celerylint: ignore[CL101, pickle-accepted]` on the reported line.

Parsing only: where each directive is, what it names, and what to delete to
remove it. Applying them to diagnostics (and reporting unused or invalid
ones) is a later stage, `celerylint.suppress`.
"""

from __future__ import annotations

import re
import tokenize
from collections.abc import Iterator

from celerylint.facts.schema import Span, Suppression

# The directive starts at a `#` (the comment's own or a later one, after another
# tool's directive), so prose that merely mentions the words does not count; and
# `ignore` must be a whole word, so `ignored` or `ignore-file` are no directive.
_DIRECTIVE = re.compile(r"#\s*(?P<tool>celerylint:\s*ignore)(?![\w-])(?:\s*\[(?P<names>[^\]]*)\])?")
_NAME = re.compile(r"[^\s,]+")
# The line breaks `ast` and `tokenize` count, so rows agree with diagnostics.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def find_suppressions(source: str) -> list[Suppression]:
    """Every `celerylint: ignore` directive in the comments of `source`; never raises."""
    if "celerylint:" not in source:
        return []
    lines = _LINE.findall(source)
    try:
        comments = list(_tokenize_comments(lines))
    except Exception:
        # tokenize gives up on broken files (unclosed brackets or strings,
        # bad indentation); their suppressions still have to work.
        comments = list(_scan_comments(lines))
    found: list[Suppression] = []
    for row, col, comment in comments:
        if "celerylint:" not in comment:
            continue
        line = lines[row - 1] if row <= len(lines) else comment
        for match in _DIRECTIVE.finditer(comment):
            found.append(_parse(match, row, col, line))
    return found


def _tokenize_comments(lines: list[str]) -> Iterator[tuple[int, int, str]]:
    # Our own lines rather than StringIO.readline, which splits only on "\n":
    # rows must match what `ast` reports for files with old Mac line endings.
    iterator = iter(lines)

    def readline() -> str:
        return next(iterator, "")

    for token in tokenize.generate_tokens(readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.start[1], token.string


def _scan_comments(lines: list[str]) -> Iterator[tuple[int, int, str]]:
    """Find comments with a small quote-aware scan, for what tokenize cannot read."""
    quote = ""
    for row, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        index = 0
        while index < len(line):
            char = line[index]
            if quote:
                if char == "\\":
                    index += 2
                elif line.startswith(quote, index):
                    index += len(quote)
                    quote = ""
                else:
                    index += 1
            elif char == "#":
                yield row, index, line[index:]
                break
            elif char in "'\"":
                quote = char * 3 if line.startswith(char * 3, index) else char
                index += len(quote)
            else:
                index += 1
        if len(quote) == 1 and not line.endswith("\\"):
            # An unterminated one-line string ends with its line.
            quote = ""


def _parse(match: re.Match[str], row: int, col: int, raw_line: str) -> Suppression:
    names: list[str] = []
    name_spans: list[Span] = []
    if match.group("names") is not None:
        base = col + match.start("names")
        for name in _NAME.finditer(match.group("names")):
            names.append(name.group())
            name_spans.append(Span(row, base + name.start(), row, base + name.end()))
    start = col + match.start()
    end = col + match.end()
    return Suppression(
        line=row,
        span=Span(row, start, row, end),
        names=tuple(names),
        name_spans=tuple(name_spans),
        removal=_removal(raw_line, row, start, col + match.start("tool"), end),
    )


def _removal(raw_line: str, row: int, start: int, tool: int, end: int) -> Span:
    line = raw_line.rstrip("\r\n")
    has_break = len(line) != len(raw_line)
    before = line[:start]
    after = line[end:]
    after_ws = end + len(after) - len(after.lstrip())
    alone = not before.strip()
    if not after.strip():
        if alone:
            return Span(row, 0, row + 1, 0) if has_break else Span(row, 0, row, len(line))
        return Span(row, len(before.rstrip()), row, len(line))
    if after.lstrip().startswith("#"):
        # Another comment follows: keep it, and keep the indentation of a comment line.
        if alone:
            return Span(row, start, row, after_ws)
        return Span(row, len(before.rstrip()), row, end)
    # The same comment goes on with an explanation; keep its `#` and the words.
    return Span(row, tool, row, after_ws)
