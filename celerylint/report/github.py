"""GitHub Actions workflow commands: one `::error`/`::warning` annotation per diagnostic."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from celerylint.diagnostics import Diagnostic, Severity
from celerylint.report import ReportContext, display_path, printable


def escape_data(text: str) -> str:
    """Escape a command's message, as @actions/core's escapeData does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value, as @actions/core's escapeProperty does."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation_path(path: str, repository: Path | None) -> str:
    """GitHub places annotations by repository-relative path: relative to the git
    work tree root when the file is in it, else absolute (not relative to the
    working directory, which a job may have changed)."""
    if repository is not None:
        shown = display_path(path, repository)
        if not os.path.isabs(shown):
            return Path(shown).as_posix()
    return printable(path)


def format_command(diagnostic: Diagnostic, ctx: ReportContext, repository: Path | None) -> str:
    span = diagnostic.span
    path = annotation_path(diagnostic.path, repository)
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
    from celerylint.config import git_work_tree

    repository = git_work_tree(ctx.cwd)
    out.write(
        "".join(format_command(diagnostic, ctx, repository) + "\n" for diagnostic in diagnostics)
    )
