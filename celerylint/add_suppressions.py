"""`--add-suppressions`: accept every current finding with a comment on its line.

ruff's `--add-noqa` for celerylint: each reported line gets
`# celerylint: ignore[CODE, ...]` (with `-- reason` when given). A line that
already has a celerylint directive gets the codes added inside its brackets;
other tools' comments stay. The edits go through the fixer's session, so files
keep their encoding and line endings, every result must still parse, and a
file changed meanwhile is not overwritten. A comment can only go where it is a
comment: a line whose end lies inside a multi-line string, or that continues
with a backslash, is skipped and reported.
"""

from __future__ import annotations

import re
import tokenize
from collections.abc import Sequence

import msgspec

from celerylint.diagnostics import Applicability, Diagnostic, Edit, Fix, Span
from celerylint.facts.schema import Suppression
from celerylint.facts.suppressions import find_suppressions
from celerylint.fixer import FixSession
from celerylint.rules.meta import lookup

# The rows `ast` and the fixer count (not str.splitlines, which also splits on \f).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ROW = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
# Findings about suppressions themselves or a file that cannot be read: a
# suppression is not the answer (remove the stale one, fix the syntax).
NOT_SUPPRESSIBLE = frozenset({"CL000", "CL001", "CL002"})


class Outcome(msgspec.Struct):
    added: int = 0  # codes written into comments
    files: list[str] = msgspec.field(default_factory=list)
    skipped: list[str] = msgspec.field(default_factory=list)  # "path:line: why"


def add_suppressions(diagnostics: Sequence[Diagnostic], reason: str | None) -> Outcome:
    by_line: dict[str, dict[int, list[str]]] = {}
    for d in diagnostics:
        if d.code in NOT_SUPPRESSIBLE:
            continue
        codes = by_line.setdefault(d.path, {}).setdefault(d.span.line, [])
        if d.code not in codes:
            codes.append(d.code)
    session = FixSession(unsafe=False)
    outcome = Outcome()
    pending: list[tuple[Diagnostic, int]] = []
    for path, lines in sorted(by_line.items()):
        try:
            text = session.source(path).text
        except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as exc:
            outcome.skipped.append(f"{path}: cannot read: {exc}")
            continue
        edits, skipped = suppression_edits(path, text, lines, reason)
        outcome.skipped.extend(skipped)
        for edit, codes, added in edits:
            row = edit.span.line
            fix = Fix("add suppression", Applicability.SAFE, (edit,))
            pending.append(
                (Diagnostic(codes[0], "", "", path, Span(row, 0, row, 0), fix=fix), added)
            )
    session.round([d for d, _ in pending])
    applied = {id(d) for d, _ in session.applied}
    outcome.files = session.write()
    written = set(outcome.files)
    outcome.added = sum(count for d, count in pending if id(d) in applied and d.path in written)
    outcome.skipped.extend(str(problem) for problem in session.problems)
    outcome.skipped.extend(str(failure) for failure in session.write_failures)
    return outcome


def suppression_edits(
    path: str, text: str, lines: dict[int, list[str]], reason: str | None
) -> tuple[list[tuple[Edit, list[str], int]], list[str]]:
    """Edits that suppress each row's codes in `text` (with the codes and how many
    each adds), and the rows that cannot take a comment, as "path:line: why".

    The language server's "suppress this finding" action uses it too.
    """
    blocked = _lines_without_comment_room(text)
    if blocked is None:
        return [], [f"{path}: cannot tokenize; no suppressions added"]
    physical = _LINE_BREAK.split(text)
    existing = {s.line: s for s in reversed(find_suppressions(text))}
    edits: list[tuple[Edit, list[str], int]] = []
    skipped: list[str] = []
    for row, codes in sorted(lines.items()):
        if row in blocked or row > len(physical):
            skipped.append(
                f"{path}:{row}: the line ends inside a string or continues with a backslash"
            )
            continue
        edit = _edit(path, row, physical[row - 1], codes, existing.get(row), reason)
        if edit is not None:
            edits.append((edit[0], codes, edit[1]))
    return edits, skipped


def _edit(
    path: str,
    row: int,
    line: str,
    codes: list[str],
    existing: Suppression | None,
    reason: str | None,
) -> tuple[Edit, int] | None:
    """The edit that suppresses `codes` on `row`, and how many codes it adds."""
    if existing is not None:
        named = {meta.code for meta in map(lookup, existing.names) if meta is not None}
        missing = [code for code in codes if code not in named]
        if not missing:
            return None
        end = existing.span.end_col
        if line[end - 1 : end] == "]":
            text = ", ".join(missing)
            at = end - 1
            text = f", {text}" if existing.names else text
        else:  # a bare `# celerylint: ignore`: give it brackets
            text, at = f"[{', '.join(missing)}]", end
        return Edit(path, Span(row, at, row, at), text), len(missing)
    content = line.rstrip(" \t")
    comment = f"  # celerylint: ignore[{', '.join(codes)}]"
    if reason:
        comment += f" -- {' '.join(reason.split())}"
    return Edit(path, Span(row, len(content), row, len(line)), comment), len(codes)


def _lines_without_comment_room(text: str) -> set[int] | None:
    """Rows a comment cannot end: inside a multi-line string, or joined by a backslash.

    tokenize ends every row that can take a comment with a NEWLINE or NL token
    (also inside brackets); the rows of a multi-line string and rows continued
    with a backslash have none. An f-string is blocked from start to end, as
    Python 3.12 tokenizes its parts separately.
    """
    try:
        # Rows split as `ast` splits them, also for old Mac line endings.
        rows = iter(_ROW.findall(text))
        tokens = list(tokenize.generate_tokens(lambda: next(rows, "")))
    except (tokenize.TokenError, SyntaxError):
        return None
    fstring_start = getattr(tokenize, "FSTRING_START", None)
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    ended: set[int] = set()
    blocked: set[int] = set()
    opened: list[int] = []
    for token in tokens:
        if token.type in (tokenize.NEWLINE, tokenize.NL):
            ended.add(token.start[0])
        elif token.type == fstring_start:
            opened.append(token.start[0])
        elif token.type == fstring_end and opened:
            blocked.update(range(opened.pop(), token.end[0]))
    last = max((token.end[0] for token in tokens), default=0)
    blocked.update(row for row in range(1, last + 1) if row not in ended)
    return blocked
