"""SARIF 2.1.0, the format GitHub code scanning (and other code hosts) upload.

Rules come from the rule index (no YAML is read); paths are relative to the
repository (`%SRCROOT%`), columns are 1-based code points, end columns
exclusive, as SARIF defines them. Each result carries the baseline
fingerprint, so code scanning follows a finding across commits.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from celerylint import __version__
from celerylint.diagnostics import Diagnostic, Fix, Severity, Span
from celerylint.fingerprint import fingerprints, repository_path
from celerylint.report import ReportContext, docs_url
from celerylint.report.lines import SourceCache
from celerylint.rules.meta import ALL_RULES

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/celerylint/celerylint"
SRCROOT = "%SRCROOT%"


def _level(severity: Severity) -> str:
    return "warning" if severity == Severity.WARNING else "error"


def _region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.line,
        "startColumn": span.col + 1,
        "endLine": span.end_line,
        "endColumn": span.end_col + 1,
    }


def _artifact(path: str, ctx: ReportContext) -> dict[str, str]:
    relative = repository_path(path, ctx.repository)
    if os.path.isabs(relative):
        # Outside the repository: an absolute file URI, with no base.
        return {"uri": Path(relative).as_uri()}
    # Undecodable bytes of a file name go back to those bytes, percent-encoded.
    return {"uri": quote(relative, errors="surrogateescape"), "uriBaseId": SRCROOT}


def _location(path: str, span: Span, ctx: ReportContext) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": _artifact(path, ctx), "region": _region(span)}}


def _fix(fix: Fix, ctx: ReportContext) -> dict[str, Any]:
    by_file: dict[str, list[dict[str, Any]]] = {}
    for edit in fix.edits:
        by_file.setdefault(edit.path, []).append(
            {"deletedRegion": _region(edit.span), "insertedContent": {"text": edit.content}}
        )
    return {
        "description": {"text": f"{fix.message} ({fix.applicability.value})"},
        "artifactChanges": [
            {"artifactLocation": _artifact(path, ctx), "replacements": replacements}
            for path, replacements in by_file.items()
        ],
    }


def _rules() -> list[dict[str, Any]]:
    return [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "helpUri": docs_url(rule.name),
            "defaultConfiguration": {"level": _level(rule.severity)},
            "properties": {"fixable": rule.fixable},
        }
        for rule in ALL_RULES
    ]


def sarif_log(diagnostics: Sequence[Diagnostic], ctx: ReportContext) -> dict[str, Any]:
    index = {rule.code: position for position, rule in enumerate(ALL_RULES)}
    prints = fingerprints(diagnostics, SourceCache(ctx.overlay))
    results = []
    for diagnostic, fingerprint in zip(diagnostics, prints, strict=True):
        result: dict[str, Any] = {
            "ruleId": diagnostic.code,
            "level": _level(diagnostic.severity),
            "message": {"text": f"[{diagnostic.name}] {diagnostic.message}"},
            "locations": [_location(diagnostic.path, diagnostic.span, ctx)],
            "partialFingerprints": {"celerylint/v1": fingerprint},
        }
        if diagnostic.code in index:
            result["ruleIndex"] = index[diagnostic.code]
        if diagnostic.related:
            result["relatedLocations"] = [
                {
                    "id": number,
                    **_location(related.path, related.span, ctx),
                    "message": {"text": related.message},
                }
                for number, related in enumerate(diagnostic.related)
            ]
        if diagnostic.fix is not None and diagnostic.fix.edits:
            result["fixes"] = [_fix(diagnostic.fix, ctx)]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "celerylint",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": _rules(),
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render_sarif(diagnostics: Sequence[Diagnostic], out: TextIO, ctx: ReportContext) -> None:
    out.write(json.dumps(sarif_log(diagnostics, ctx), indent=2, ensure_ascii=False) + "\n")
