"""One line per diagnostic, then the summary: plain text, no rich."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from celerylint.diagnostics import Diagnostic
from celerylint.report import ReportContext, is_fixable, location_text, sanitize, summary_lines


def format_line(diagnostic: Diagnostic, ctx: ReportContext) -> str:
    marker = " [*]" if is_fixable(diagnostic, ctx) else ""
    return sanitize(
        f"{location_text(diagnostic, ctx)}: {diagnostic.code}{marker}"
        f" [{diagnostic.name}] {diagnostic.message}"
    )


def render_concise(diagnostics: Sequence[Diagnostic], out: TextIO, ctx: ReportContext) -> None:
    lines = [format_line(diagnostic, ctx) for diagnostic in diagnostics]
    lines.extend(summary_lines(diagnostics, ctx))
    out.write("".join(line + "\n" for line in lines))
