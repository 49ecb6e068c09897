"""Findings grouped under a header per file, as ruff's grouped format: plain text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from celerylint.diagnostics import Diagnostic
from celerylint.report import ReportContext, display_path, is_fixable, sanitize, summary_lines


def render_grouped(diagnostics: Sequence[Diagnostic], out: TextIO, ctx: ReportContext) -> None:
    by_file: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        by_file.setdefault(diagnostic.path, []).append(diagnostic)
    lines: list[str] = []
    for path, found in by_file.items():
        lines.append(sanitize(display_path(path, ctx.cwd)) + ":")
        row_width = max(len(str(d.span.line)) for d in found)
        col_width = max(len(str(d.span.col + 1)) for d in found)
        for diagnostic in found:
            span = diagnostic.span
            marker = " [*]" if is_fixable(diagnostic, ctx) else ""
            lines.append(
                sanitize(
                    f"  {span.line:>{row_width}}:{span.col + 1:<{col_width}} {diagnostic.code}"
                    f"{marker} [{diagnostic.name}] {diagnostic.message}"
                )
            )
        lines.append("")
    lines.extend(summary_lines(diagnostics, ctx))
    out.write("".join(line + "\n" for line in lines))
