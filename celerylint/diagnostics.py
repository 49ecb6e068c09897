"""What a rule reports: diagnostics, their locations and the fixes they carry.

Everything here is plain, immutable data so that diagnostics can be sorted,
compared, cached and printed without touching the source again.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Optional

import msgspec

from celerylint.facts.schema import Span as Span  # diagnostics are located by facts' spans
from celerylint.severity import Severity as Severity


class Applicability(str, Enum):
    """How much a fix can be trusted (ruff's vocabulary)."""

    SAFE = "safe"  # cannot change behaviour in any case the linter cannot see
    UNSAFE = "unsafe"  # the usual remedy; applied with --unsafe-fixes, after a human look
    DISPLAY_ONLY = "display-only"  # shown as a suggestion, never applied


class Edit(msgspec.Struct, frozen=True):
    """Replace the text of `span` in `path` with `content` (empty: delete)."""

    path: str
    span: Span
    content: str


class Fix(msgspec.Struct, frozen=True):
    message: str
    applicability: Applicability
    edits: tuple[Edit, ...]


if TYPE_CHECKING:
    from celerylint.fixes.call_layout import CallLayouts

# Builds a fix from the layout of calls in the source (None: no fix after all).
PendingFix = Callable[["CallLayouts"], Optional[Fix]]


class Related(msgspec.Struct, frozen=True):
    """A second location a diagnostic talks about (the other side of a mismatch)."""

    path: str
    span: Span
    message: str


class Diagnostic(msgspec.Struct, frozen=True):
    """One finding. `path` is absolute; reporters decide how to display it."""

    code: str
    name: str
    message: str
    path: str
    span: Span
    severity: Severity = Severity.ERROR
    fix: Optional[Fix] = None
    related: tuple[Related, ...] = ()
    # A fix that needs the layout of a call: built after the rules, only for the
    # findings that are reported (`pipeline.build_fixes`), then moved to `fix`.
    pending_fix: Optional[PendingFix] = None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.span.line, self.span.col, self.code, self.message)


class AppliedFix(msgspec.Struct, frozen=True):
    """One fix applied to one file, for reporting what changed file by file.

    A fix that edits several files is one AppliedFix per file; `finding_path`
    is where its finding is, which is another file for a cross-file fix (a
    task's finding fixed by a global setting in the configuration module).
    """

    path: str
    code: str
    name: str
    finding_path: str
