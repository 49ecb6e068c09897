"""GitHub Actions workflow commands: one `::error`/`::warning` annotation per diagnostic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from celerylint.diagnostics import Diagnostic, Severity
from celerylint.report import ReportContext, display_path


def escape_data(text: str) -> str:
    """Escape a command's message, as @actions/core's escapeData does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value, as @actions/core's escapeProperty does."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_command(diagnostic: Diagnostic, ctx: ReportContext) -> str:
    span = diagnostic.span
    path = display_path(diagnostic.path, ctx.cwd)
    command = "warning" if diagnostic.severity == Severity.WARNING else "error"
    properties = ",".join(
        f"{key}={escape_property(value)}"
        for key, value in (
            ("title", f"celerylint ({diagnostic.code})"),
            ("file", path),
            ("line", str(span.line)),
            ("col", str(span.col + 1)),
            ("endLine", str(span.end_line)),
            ("endColumn", str(span.end_col + 1)),
        )
    )
    message = (
        f"{path}:{span.line}:{span.col + 1}: {diagnostic.code} [{diagnostic.name}]"
        f" {diagnostic.message}"
    )
    return f"::{command} {properties}::{escape_data(message)}"


def render_github(diagnostics: Sequence[Diagnostic], out: TextIO, ctx: ReportContext) -> None:
    out.write("".join(format_command(diagnostic, ctx) + "\n" for diagnostic in diagnostics))
