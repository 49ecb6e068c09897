"""celerylint's locations and findings as LSP structures.

celerylint counts 1-based lines and 0-based *character* columns; LSP counts
0-based lines and columns in the negotiated encoding's code units (UTF-16
unless the client offers UTF-32 or UTF-8), so a column is converted with the
text of its line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lsprotocol import types
from pygls.workspace import PositionCodec

from celerylint.diagnostics import Diagnostic, Severity, Span
from celerylint.report import docs_url
from celerylint.server.documents import uri_of

SOURCE = "celerylint"


def position(codec: PositionCodec, lines: Sequence[str], line: int, col: int) -> types.Position:
    """The client position of 1-based `line`, 0-based character `col`."""
    row = max(line - 1, 0)
    if row >= len(lines):
        return types.Position(line=row, character=0)
    text = lines[row].rstrip("\r\n")
    return types.Position(line=row, character=codec.client_num_units(text[: max(col, 0)]))


def to_range(codec: PositionCodec, lines: Sequence[str], span: Span) -> types.Range:
    return types.Range(
        start=position(codec, lines, span.line, span.col),
        end=position(codec, lines, span.end_line, span.end_col),
    )


def from_position(
    codec: PositionCodec, lines: Sequence[str], at: types.Position
) -> tuple[int, int]:
    """(1-based line, 0-based character column) of a client position."""
    if at.line >= len(lines):
        return at.line + 1, 0
    text = lines[at.line].rstrip("\r\n")
    units = 0
    for index, char in enumerate(text):
        if units >= at.character:
            return at.line + 1, index
        units += codec.client_num_units(char)
    return at.line + 1, len(text)


def to_lsp(
    codec: PositionCodec,
    lines: Sequence[str],
    found: Diagnostic,
    lines_of: Callable[[str], Sequence[str]],
) -> types.Diagnostic:
    """The LSP diagnostic; `lines_of` gives the rows of the files its related locations are in."""
    span = found.span
    if span.end_line == span.line and span.end_col <= span.col:
        # A point (a parse error): LSP shows nothing for an empty range; mark the line's rest.
        row = lines[span.line - 1] if 0 < span.line <= len(lines) else ""
        span = Span(span.line, span.col, span.line, max(len(row.rstrip("\r\n")), span.col + 1))
    return types.Diagnostic(
        range=to_range(codec, lines, span),
        message=found.message,
        severity=(
            types.DiagnosticSeverity.Error
            if found.severity is Severity.ERROR
            else types.DiagnosticSeverity.Warning
        ),
        code=found.code,
        code_description=types.CodeDescription(href=docs_url(found.name)),
        source=SOURCE,
        related_information=[
            types.DiagnosticRelatedInformation(
                location=types.Location(
                    uri=uri_of(other.path), range=to_range(codec, lines_of(other.path), other.span)
                ),
                message=other.message,
            )
            for other in found.related
        ]
        or None,
    )
