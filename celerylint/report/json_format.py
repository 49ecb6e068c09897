"""ruff's JSON schema plus `rule`, `severity`, `related` and `cross_file_fix`; JSON lines.

A fix that edits another file than its finding's cannot be written in ruff's
schema, whose edits have no file name: a ruff consumer would apply it to the
finding's file. Such a fix is `"fix": null` there (nothing to misapply, and
never half of it), and is given whole, with a `filename` per edit, under
`cross_file_fix` (docs/ci.md).

Not named json.py: importing a submodule binds its name in the package, and
`celerylint.report.json` would then shadow the standard library module for
any code in the package that uses `json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from celerylint.diagnostics import Diagnostic, Fix, Span
from celerylint.report import ReportContext, docs_url, printable


def _start(span: Span) -> dict[str, int]:
    return {"column": span.col + 1, "row": span.line}


def _end(span: Span) -> dict[str, int]:
    return {"column": span.end_col + 1, "row": span.end_line}


def _edits(fix: Fix, with_filename: bool) -> list[dict[str, Any]]:
    edits = []
    for edit in fix.edits:
        entry = {
            "content": edit.content,
            "end_location": _end(edit.span),
            "location": _start(edit.span),
        }
        if with_filename:
            entry["filename"] = printable(edit.path)
        edits.append(entry)
    return edits


def _fix(fix: Fix, with_filename: bool) -> dict[str, Any]:
    return {
        "applicability": fix.applicability.value,
        "edits": _edits(fix, with_filename),
        "message": fix.message,
    }


def to_json_object(diagnostic: Diagnostic) -> dict[str, Any]:
    span = diagnostic.span
    fix = diagnostic.fix
    cross_file = fix is not None and any(edit.path != diagnostic.path for edit in fix.edits)
    return {
        "cell": None,
        "code": diagnostic.code,
        "cross_file_fix": _fix(fix, with_filename=True) if fix and cross_file else None,
        "end_location": _end(span),
        "filename": printable(diagnostic.path),
        "fix": _fix(fix, with_filename=False) if fix and not cross_file else None,
        "location": _start(span),
        "message": diagnostic.message,
        "noqa_row": span.line,
        "related": [
            {
                "end_location": _end(related.span),
                "filename": printable(related.path),
                "location": _start(related.span),
                "message": related.message,
            }
            for related in diagnostic.related
        ],
        "rule": diagnostic.name,
        "severity": diagnostic.severity.value,
        "url": docs_url(diagnostic.name),
    }


def render_json(diagnostics: Sequence[Diagnostic], out: TextIO, ctx: ReportContext) -> None:
    payload = [to_json_object(diagnostic) for diagnostic in diagnostics]
    out.write(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def render_json_lines(diagnostics: Sequence[Diagnostic], out: TextIO, ctx: ReportContext) -> None:
    """One compact object per line, the same objects as the json format (for streaming)."""
    out.write(
        "".join(
            json.dumps(to_json_object(diagnostic), sort_keys=True, ensure_ascii=False) + "\n"
            for diagnostic in diagnostics
        )
    )
