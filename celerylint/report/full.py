"""The default human format: a header per diagnostic, a code frame, fix hint and notes.

The only module of celerylint that imports rich.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from celerylint.diagnostics import Applicability, Diagnostic, Severity
from celerylint.report import (
    ReportContext,
    display_path,
    is_fixable,
    sanitize,
    summary_lines,
)
from celerylint.report.lines import SourceCache

TAB_WIDTH = 4

_GUTTER = "blue bold"
_SEVERITY_STYLE = {Severity.ERROR: "red bold", Severity.WARNING: "yellow bold"}


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
        width += cell_len(shown)
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
) -> tuple[list[Text], int] | None:
    """The code frame and the width of its line-number gutter."""
    span = diagnostic.span
    row = span.line
    if not 1 <= row <= len(lines):
        return None
    first = max(row - 1, 1)
    last = min(row + 1, len(lines))
    width = len(str(last))
    blank_gutter = Text()
    blank_gutter.append(f"{' ' * width} |", style=_GUTTER)
    frame = [blank_gutter.copy()]
    for number in range(first, last + 1):
        source = lines[number - 1]
        shown, starts = _display(source)
        # Invisible anyway, and rich versions disagree on printing it.
        shown = shown.rstrip()
        text = Text()
        text.append(f"{number:>{width}} |", style=_GUTTER)
        if shown:
            text.append(" " + shown)
        frame.append(text)
        if number == row:
            # Only the first line of a multi-line span is underlined, to its end.
            end_col = span.end_col if span.end_line == span.line else None
            start, stop = _caret_range(source, starts, span.col, end_col)
            carets = blank_gutter.copy()
            carets.append(" " + " " * start)
            carets.append("^" * (stop - start), style=caret_style)
            frame.append(carets)
    frame.append(blank_gutter.copy())
    return frame, width


def _header(diagnostic: Diagnostic, ctx: ReportContext, code_style: str) -> Text:
    span = diagnostic.span
    text = Text()
    text.append(sanitize(display_path(diagnostic.path, ctx.cwd)), style="bold")
    text.append(f":{span.line}:{span.col + 1}: ")
    text.append(diagnostic.code, style=code_style)
    if is_fixable(diagnostic, ctx):
        text.append(" [")
        text.append("*", style="cyan")
        text.append("]")
    text.append(f" [{sanitize(diagnostic.name)}] {sanitize(diagnostic.message)}")
    return text


def _diagnostic_block(
    diagnostic: Diagnostic, ctx: ReportContext, sources: SourceCache
) -> list[Text]:
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
        help_line = Text(" " * indent + " = ")
        help_line.append("help", style="cyan bold")
        help_line.append(f": {sanitize(diagnostic.fix.message)}")
        elsewhere = sorted({e.path for e in diagnostic.fix.edits if e.path != diagnostic.path})
        if elsewhere:
            shown = ", ".join(sanitize(display_path(path, ctx.cwd)) for path in elsewhere)
            help_line.append(f" (in {shown})")
        if diagnostic.fix.applicability == Applicability.UNSAFE:
            help_line.append(" (unsafe)", style="yellow")
        block.append(help_line)
    for related in diagnostic.related:
        note = Text(" " * indent + " = ")
        note.append("note", style="bold")
        place = f"{display_path(related.path, ctx.cwd)}:{related.span.line}:{related.span.col + 1}"
        note.append(f": {sanitize(place)}: {sanitize(related.message)}")
        block.append(note)
    return block


def _console(out: TextIO, ctx: ReportContext) -> Console:
    if ctx.color is None:
        # rich decides: a terminal, and neither NO_COLOR nor TERM=dumb.
        force_terminal: bool | None = None
        no_color: bool | None = None
        color_system: Literal["auto", "standard"] | None = "auto"
    elif ctx.color:
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
    console = _console(out, ctx)
    sources = SourceCache(ctx.overlay)
    for diagnostic in diagnostics:
        for line in _diagnostic_block(diagnostic, ctx, sources):
            console.print(line)
        console.print()
    for summary in summary_lines(diagnostics, ctx):
        text = Text(summary)
        if summary.startswith("[*]"):
            text.stylize("cyan", 1, 2)
        elif summary == "All checks passed!":
            text.stylize("green bold")
        console.print(text)
