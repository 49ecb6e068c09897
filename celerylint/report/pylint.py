"""pylint's parseable format, `path:row: [CODE(name), ] message`, for tools that read it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from celerylint.diagnostics import Diagnostic
from celerylint.report import ReportContext, display_path, sanitize


def format_line(diagnostic: Diagnostic, ctx: ReportContext) -> str:
    path = display_path(diagnostic.path, ctx.cwd)
    return sanitize(
        f"{path}:{diagnostic.span.line}: [{diagnostic.code}({diagnostic.name}), ]"
        f" {diagnostic.message}"
    )


def render_pylint(diagnostics: Sequence[Diagnostic], out: TextIO, ctx: ReportContext) -> None:
    out.write("".join(format_line(diagnostic, ctx) + "\n" for diagnostic in diagnostics))
