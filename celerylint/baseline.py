"""Baseline files: accept today's findings, report only new ones.

`--write-baseline FILE` records every current finding by rule, file
(relative to the repository) and fingerprint (`celerylint.fingerprint`);
`--baseline FILE` then hides the findings it records. Line numbers are kept
for people reading the file, never matched: a finding that moves because
lines were added above it stays accepted, a new one on an identical line is
the next occurrence and is reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import msgspec

from celerylint.atomic import atomic_write
from celerylint.diagnostics import Diagnostic
from celerylint.fingerprint import fingerprints, repository_path
from celerylint.report.lines import SourceCache

VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read; `str(e)` names the file."""


class Entry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: str
    path: str
    fingerprint: str
    # For people reading the file (and reviewing its diff); never matched.
    rule: str = ""
    line: int = 0
    message: str = ""


class BaselineFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    version: int
    findings: list[Entry]


Key = tuple[str, str, str]


def _entries(
    diagnostics: Sequence[Diagnostic], repository: Path, sources: SourceCache
) -> list[Entry]:
    prints = fingerprints(diagnostics, sources)
    return [
        Entry(
            code=d.code,
            path=repository_path(d.path, repository),
            fingerprint=fingerprint,
            rule=d.name,
            line=d.span.line,
            message=d.message,
        )
        for d, fingerprint in zip(diagnostics, prints, strict=True)
    ]


def write_baseline(
    target: Path, diagnostics: Sequence[Diagnostic], repository: Path, sources: SourceCache
) -> int:
    """Write the baseline of `diagnostics` to `target` (atomically); returns how many."""
    entries = sorted(
        _entries(diagnostics, repository, sources),
        key=lambda e: (e.path, e.line, e.code, e.fingerprint),
    )
    data = msgspec.json.format(msgspec.json.encode(BaselineFile(VERSION, entries)), indent=2)
    try:
        atomic_write(target, data + b"\n")
    except OSError as exc:
        raise BaselineError(f"{target}: cannot write: {exc.strerror or exc}") from None
    return len(entries)


def load_baseline(source: Path) -> Counter[Key]:
    """How many findings of each (code, path, fingerprint) the baseline accepts."""
    try:
        with open(source, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise BaselineError(f"{source}: cannot read: {exc.strerror or exc}") from None
    try:
        baseline = msgspec.json.decode(data, type=BaselineFile)
    except msgspec.DecodeError as exc:
        raise BaselineError(f"{source}: not a celerylint baseline: {exc}") from None
    if baseline.version != VERSION:
        raise BaselineError(
            f"{source}: baseline version {baseline.version} (this celerylint reads {VERSION});"
            " write it again with --write-baseline"
        )
    return Counter((e.code, e.path, e.fingerprint) for e in baseline.findings)


def new_findings(
    diagnostics: Sequence[Diagnostic],
    accepted: Counter[Key],
    repository: Path,
    sources: SourceCache,
) -> list[Diagnostic]:
    """The diagnostics the baseline does not accept (each entry accepts one finding)."""
    left = Counter(accepted)
    kept = []
    for diagnostic, entry in zip(
        diagnostics, _entries(diagnostics, repository, sources), strict=True
    ):
        key = (entry.code, entry.path, entry.fingerprint)
        if left[key] > 0:
            left[key] -= 1
        else:
            kept.append(diagnostic)
    return kept


__all__ = ["BaselineError", "load_baseline", "new_findings", "write_baseline"]
