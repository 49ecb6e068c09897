"""ruff's JSON output schema, plus `rule`, `severity` and `related`; and JSON lines.

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


def _fix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability.value,
        "edits": [
            {
                "content": edit.content,
                "end_location": _end(edit.span),
                # Not in ruff's schema: celerylint fixes may edit another file
                # (a global setting for a task's finding, a whole-config rename).
                "filename": printable(edit.path),
                "location": _start(edit.span),
            }
            for edit in fix.edits
        ],
        "message": fix.message,
    }


def to_json_object(diagnostic: Diagnostic) -> dict[str, Any]:
    span = diagnostic.span
    return {
        "cell": None,
        "code": diagnostic.code,
        "end_location": _end(span),
        "filename": printable(diagnostic.path),
        "fix": _fix(diagnostic.fix),
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
