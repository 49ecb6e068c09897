"""GitLab Code Quality: a JSON array GitLab shows in merge requests.

https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format
Paths are relative to the repository; the fingerprint is stable across
unrelated edits (see `celerylint.fingerprint`), so GitLab can tell new
findings from old ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, TextIO

from celerylint.diagnostics import Diagnostic, Severity
from celerylint.fingerprint import fingerprints, repository_path
from celerylint.report import ReportContext, printable
from celerylint.report.lines import SourceCache


def _severity(severity: Severity) -> str:
    return "minor" if severity == Severity.WARNING else "major"


def gitlab_issues(diagnostics: Sequence[Diagnostic], ctx: ReportContext) -> list[dict[str, Any]]:
    prints = fingerprints(diagnostics, SourceCache(ctx.overlay))
    issues = []
    for diagnostic, fingerprint in zip(diagnostics, prints, strict=True):
        path = printable(repository_path(diagnostic.path, ctx.repository))
        identity = f"{diagnostic.code}\0{path}\0{fingerprint}"
        issues.append(
            {
                "description": f"{diagnostic.code} [{diagnostic.name}] {diagnostic.message}",
                "check_name": diagnostic.code,
                "fingerprint": hashlib.sha256(identity.encode("utf-8", "replace")).hexdigest(),
                "severity": _severity(diagnostic.severity),
                "location": {
                    "path": path,
                    "lines": {"begin": diagnostic.span.line, "end": diagnostic.span.end_line},
                },
            }
        )
    return issues


def render_gitlab(diagnostics: Sequence[Diagnostic], out: TextIO, ctx: ReportContext) -> None:
    out.write(json.dumps(gitlab_issues(diagnostics, ctx), indent=2, ensure_ascii=False) + "\n")
