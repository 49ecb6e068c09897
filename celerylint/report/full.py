"""The default human format: a header per diagnostic, a code frame, fix hint and notes.

The only module of celerylint that imports rich, and only to colour: without
colour (a pipe, a file, CI logs, pre-commit) the lines are written as they are,
which is what rich writes then, and rich's import (30 ms) is not paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Literal, Optional, TextIO

from celerylint.diagnostics import Applicability, Diagnostic, Severity
from celerylint.report import (
    ReportContext,
    display_path,
    is_fixable,
    sanitize,
    summary_lines,
)
from celerylint.report.lines import SourceCache

if TYPE_CHECKING:
    from rich.console import Console

TAB_WIDTH = 4

_GUTTER = "blue bold"
_SEVERITY_STYLE = {Severity.ERROR: "red bold", Severity.WARNING: "yellow bold"}

# A printed line: its pieces of text, each with a rich style or None.
Piece = tuple[str, Optional[str]]
Line = list[Piece]


def _cells(shown: str) -> int:
    """Terminal cells of a printable character: one, unless it is wide or combining."""
    if shown.isascii():
        return len(shown)
    from rich.cells import cell_len  # rich's own count, so the carets line up as printed

    return cell_len(shown)


def _display(line: str) -> tuple[str, list[int]]:
    """`line` as printed (tabs expanded, control characters made visible) and,
    for each character index 0..len(line), the terminal cell where it starts."""
    parts: list[str] = []
    starts: list[int] = []
    width = 0
    for char in line:
        starts.append(width)
        if char == "\t":
            pad = TAB_WIDTH - width % TAB_WIDTH
            parts.append(" " * pad)
            width += pad
            continue
        shown = sanitize(char)
        parts.append(shown)
        width += _cells(shown)
    starts.append(width)
    return "".join(parts), starts


def _caret_range(line: str, starts: list[int], col: int, end_col: int | None) -> tuple[int, int]:
    """Terminal cells [start, stop) to underline for characters [col, end_col)."""
    length = len(line)

    def cell(index: int) -> int:
        # Past the end (a span pointing at the line break): one cell per character.
        return starts[index] if index <= length else starts[length] + index - length

    start = cell(max(col, 0))
    stop = cell(length if end_col is None else max(end_col, col))
    return start, max(stop, start + 1)


def _frame(
    diagnostic: Diagnostic, lines: list[str], caret_style: str
) -> tuple[list[Line], int] | None:
    """The code frame and the width of its line-number gutter."""
    span = diagnostic.span
    row = span.line
    if not 1 <= row <= len(lines):
        return None
    first = max(row - 1, 1)
    last = min(row + 1, len(lines))
    width = len(str(last))
    blank_gutter: Piece = (f"{' ' * width} |", _GUTTER)
    frame: list[Line] = [[blank_gutter]]
    for number in range(first, last + 1):
        source = lines[number - 1]
        shown, starts = _display(source)
        # Invisible anyway, and rich versions disagree on printing it.
        shown = shown.rstrip()
        text: Line = [(f"{number:>{width}} |", _GUTTER)]
        if shown:
            text.append((" " + shown, None))
        frame.append(text)
        if number == row:
            # Only the first line of a multi-line span is underlined, to its end.
            end_col = span.end_col if span.end_line == span.line else None
            start, stop = _caret_range(source, starts, span.col, end_col)
            carets = [blank_gutter, (" " + " " * start, None), ("^" * (stop - start), caret_style)]
            frame.append(carets)
    frame.append([blank_gutter])
    return frame, width


def _header(diagnostic: Diagnostic, ctx: ReportContext, code_style: str) -> Line:
    span = diagnostic.span
    text: Line = [
        (sanitize(display_path(diagnostic.path, ctx.cwd)), "bold"),
        (f":{span.line}:{span.col + 1}: ", None),
        (diagnostic.code, code_style),
    ]
    if is_fixable(diagnostic, ctx):
        text.extend([(" [", None), ("*", "cyan"), ("]", None)])
    text.append((f" [{sanitize(diagnostic.name)}] {sanitize(diagnostic.message)}", None))
    return text


def _diagnostic_block(
    diagnostic: Diagnostic, ctx: ReportContext, sources: SourceCache
) -> list[Line]:
    style = _SEVERITY_STYLE.get(diagnostic.severity, "red bold")
    block = [_header(diagnostic, ctx, style)]
    lines = sources.lines(diagnostic.path)
    framed = _frame(diagnostic, lines, style) if lines is not None else None
    if framed is not None:
        frame, indent = framed
        block.extend(frame)
    else:
        indent = len(str(diagnostic.span.line))
    if diagnostic.fix is not None:
        help_line: Line = [(" " * indent + " = ", None), ("help", "cyan bold")]
        help_line.append((f": {sanitize(diagnostic.fix.message)}", None))
        elsewhere = sorted({e.path for e in diagnostic.fix.edits if e.path != diagnostic.path})
        if elsewhere:
            shown = ", ".join(sanitize(display_path(path, ctx.cwd)) for path in elsewhere)
            help_line.append((f" (in {shown})", None))
        if diagnostic.fix.applicability == Applicability.UNSAFE:
            help_line.append((" (unsafe)", "yellow"))
        block.append(help_line)
    for related in diagnostic.related:
        place = f"{display_path(related.path, ctx.cwd)}:{related.span.line}:{related.span.col + 1}"
        note: Line = [(" " * indent + " = ", None), ("note", "bold")]
        note.append((f": {sanitize(place)}: {sanitize(related.message)}", None))
        block.append(note)
    return block


def _summary(summary: str) -> Line:
    if summary.startswith("[*]"):
        return [("[", None), ("*", "cyan"), (summary[2:], None)]
    if summary == "All checks passed!":
        return [(summary, "green bold")]
    return [(summary, None)]


def report_lines(diagnostics: Sequence[Diagnostic], ctx: ReportContext) -> Iterator[Line]:
    """Every line of the report, a blank one after each diagnostic's block, made as
    they are written: a report of 500 findings is never held whole."""
    sources = SourceCache(ctx.overlay)
    for diagnostic in diagnostics:
        yield from _diagnostic_block(diagnostic, ctx, sources)
        yield []
    yield from (_summary(summary) for summary in summary_lines(diagnostics, ctx))


def write_plain(lines: Iterable[Line], out: TextIO) -> None:
    write = out.write
    for line in lines:
        write("".join(text for text, _ in line) + "\n")


def write_rich(lines: Iterable[Line], out: TextIO, color: Optional[bool]) -> None:
    from rich.text import Text

    console = _console(out, color)
    for line in lines:
        text = Text()
        for piece, style in line:
            text.append(piece, style=style)
        console.print(text)


def _console(out: TextIO, color: Optional[bool]) -> Console:
    from rich.console import Console

    if color is None:
        # rich decides: a terminal, and neither NO_COLOR nor TERM=dumb.
        force_terminal: bool | None = None
        no_color: bool | None = None
        color_system: Literal["auto", "standard"] | None = "auto"
    elif color:
        # Asked for explicitly (--color=always in CI): do not let TERM/NO_COLOR veto it.
        force_terminal, no_color, color_system = True, False, "standard"
    else:
        force_terminal, no_color, color_system = False, True, None
    return Console(
        file=out,
        force_terminal=force_terminal,
        no_color=no_color,
        color_system=color_system,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )


def render_full(diagnostics: Sequence[Diagnostic], out: TextIO, ctx: ReportContext) -> None:
    lines = report_lines(diagnostics, ctx)
    if ctx.color is False:
        write_plain(lines, out)
    else:
        write_rich(lines, out, ctx.color)
