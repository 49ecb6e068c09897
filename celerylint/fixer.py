"""`--fix` and `--diff`: apply fixes to a fixpoint, losslessly and atomically.

Rules express fixes as text edits on exact source spans (computed from the
parse tree at extraction time), so everything outside the edited spans —
comments, blank lines, quotes, formatting — is kept byte for byte. Each round
applies the non-overlapping fixes, checks that every changed file still
parses (with `ast`, or libcst's newer grammar for files `ast` cannot read),
then re-analyzes; overlapping fixes wait for the next round. Files keep their
encoding, BOM, line endings and mode, are written through a temporary file
and `os.replace`, and are never overwritten if they changed on disk since
they were read.

A fix must not leave a worse problem behind: a round after which a file has
more findings of some rule than before is undone, the fixes that cause it are
found by trying them one at a time, and those are reported and not applied.
(Counted per rule and file, not matched by message: a fix may rightly change
another finding's message, as a rename changes a "did you mean" hint.) After
writing, what remains is checked again on disk, so a file that could not be
written keeps its findings.

Nothing here prints: `fix_to_fixpoint` returns what it did (`FixResult`) and
the CLI decides what to show.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
import tempfile
import tokenize
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Optional, Protocol

import msgspec

from celerylint.diagnostics import AppliedFix, Diagnostic, Edit, Fix
from celerylint.report import fix_applies

if TYPE_CHECKING:  # the result type only: the fixer runs checks through a callback
    from celerylint.check_result import CheckResult

MAX_ROUNDS = 10
_NEWLINE = re.compile(r"\r\n|\r|\n")


class FixOptions(msgspec.Struct, frozen=True):
    # Also apply fixes marked unsafe (`--unsafe-fixes`).
    unsafe: bool = False
    # Compute the fixed text and its diff, but write nothing (`--diff`).
    diff: bool = False


class FixedFile(msgspec.Struct, frozen=True):
    path: str
    # Fixes applied to this file (a fix that edits several files counts in each).
    fixes: int


# What makes two findings the same one across rounds: positions move as fixes
# insert lines, messages name no lines.
FindingKey = tuple[str, str, str]


def finding_key(diagnostic: Diagnostic) -> FindingKey:
    return (diagnostic.code, diagnostic.path, diagnostic.message)


def unmatched(ours: Sequence[Diagnostic], theirs: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The findings of `ours` that `theirs` has no counterpart for: per rule and
    file, as many as `ours` has more than `theirs`, those with an identical
    message in `theirs` last in line to be counted."""
    groups: dict[tuple[str, str], list[Diagnostic]] = {}
    for diagnostic in ours:
        groups.setdefault((diagnostic.code, diagnostic.path), []).append(diagnostic)
    counts = Counter((d.code, d.path) for d in theirs)
    messages = Counter(map(finding_key, theirs))
    found: list[Diagnostic] = []
    for group, members in groups.items():
        surplus = len(members) - counts[group]
        if surplus <= 0:
            continue
        unpaired = []
        for diagnostic in members:
            if messages[finding_key(diagnostic)] > 0:
                messages[finding_key(diagnostic)] -= 1
            else:
                unpaired.append(diagnostic)
        found.extend((unpaired + [d for d in members if d not in unpaired])[:surplus])
    return found


class NotApplied(msgspec.Struct, frozen=True):
    """Fixes that could not be applied, and why."""

    # None when it concerns the whole run (fixes that never converged).
    path: Optional[str]
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path is not None else self.reason


class FixResult(msgspec.Struct):
    # The check after fixing, of the files on disk (with `diff`, as if the fixes were written).
    remaining: CheckResult
    # The findings that are gone (a cross-file fix may resolve several), in the order found.
    fixed: list[Diagnostic] = msgspec.field(default_factory=list)
    # Files written, or with `diff` the files that would be, in path order.
    files: list[FixedFile] = msgspec.field(default_factory=list)
    # With `diff`: a unified diff of every change.
    diff: str = ""
    # Fixes left out (would not parse, would introduce a finding, never converged).
    not_applied: list[NotApplied] = msgspec.field(default_factory=list)
    # What was changed, file by file: one entry per fix and file it edited.
    applied: list[AppliedFix] = msgspec.field(default_factory=list)
    # Files whose fixes could not be written: an error of the run, not a warning.
    write_failures: list[NotApplied] = msgspec.field(default_factory=list)


class SourceText(msgspec.Struct):
    """A file's decoded text and what is needed to write it back identically."""

    path: str
    original: bytes
    text: str
    encoding: str
    bom: bool
    newline: str
    mode: int

    @classmethod
    def read(cls, path: str) -> SourceText:
        with open(path, "rb") as handle:
            data = handle.read()
            stat = os.fstat(handle.fileno())
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        bom = data.startswith(b"\xef\xbb\xbf")
        text = data.decode(encoding)
        if text.startswith("\ufeff"):
            text = text[1:]
        match = _NEWLINE.search(text)
        newline = match.group(0) if match else "\n"
        return cls(path, data, text, encoding, bom, newline, stat.st_mode)

    def encode(self, text: str) -> bytes:
        encoding = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        data = text.encode(encoding)
        return (b"\xef\xbb\xbf" + data) if self.bom else data


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(match.end() for match in _NEWLINE.finditer(text))
    return starts


def apply_edits(source: SourceText, text: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits (spans in lines/character columns) to `text`."""
    starts = _line_starts(text)

    def offset(line: int, col: int) -> int:
        if line - 1 >= len(starts):
            return len(text)
        return min(starts[line - 1] + col, len(text))

    pieces: list[str] = []
    cursor = 0
    ordered = sorted(
        edits, key=lambda e: (e.span.line, e.span.col, e.span.end_line, e.span.end_col)
    )
    for edit in ordered:
        begin = offset(edit.span.line, edit.span.col)
        end = offset(edit.span.end_line, edit.span.end_col)
        pieces.append(text[cursor:begin])
        content = edit.content
        if source.newline != "\n":
            content = content.replace("\n", source.newline)
        pieces.append(content)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _overlaps(a: Edit, b: Edit) -> bool:
    a_start, a_end = (a.span.line, a.span.col), (a.span.end_line, a.span.end_col)
    b_start, b_end = (b.span.line, b.span.col), (b.span.end_line, b.span.end_col)
    if a_start == a_end and b_start == b_end:
        return a_start == b_start  # two insertions at one point: order would be arbitrary
    return (a_start < b_end and b_start < a_end) or a_start == b_start


def parses(text: str, original: str) -> bool:
    """Whether fixed text is still Python: for `ast` and the compiler, or, for a file
    written in newer syntax than this interpreter reads, after the same lowering the
    linter uses."""
    from celerylint.facts import parse_quietly

    errors = (SyntaxError, ValueError, RecursionError, MemoryError)
    try:
        parse_quietly(text)
    except errors:
        pass
    else:
        # What only the compiler rejects: two fixes of a round giving one keyword twice
        # (`ignore_result=True, ignore_result=True`, CL501's and CL805's) parse.
        return _compiles(text) or not _compiles(original)
    try:
        parse_quietly(original)
        return False  # we broke a file the running Python could read
    except errors:
        pass
    from celerylint.facts.syntax import lower_source

    return lower_source(text) is not None


def _compiles(text: str) -> bool:
    """Whether the compiler accepts `text` (its warnings are the analyzed code's business)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


class _Mark(NamedTuple):
    texts: dict[str, str]
    applied: int
    problems: int


class FixSession:
    """Rounds of fixing over one project, in memory until `write`."""

    def __init__(self, unsafe: bool) -> None:
        self.unsafe = unsafe
        self.sources: dict[str, SourceText] = {}
        self.texts: dict[str, str] = {}  # current text of every file changed so far
        # Per fix and file it edited, in the order applied.
        self.applied: list[tuple[Diagnostic, AppliedFix]] = []
        self.problems: list[NotApplied] = []
        self.write_failures: list[NotApplied] = []
        # Findings whose fix would introduce another finding: never applied again.
        # Findings whose fix would introduce another one, with that one: skipped until
        # another fix changes the project (`retry_rejected`), and reported if still there.
        self.rejected: dict[FindingKey, tuple[Diagnostic, Diagnostic]] = {}
        self.skipped: set[FindingKey] = set()

    def source(self, path: str) -> SourceText:
        if path not in self.sources:
            self.sources[path] = SourceText.read(path)
        # Also after a rollback to a state from before the file was first read.
        self.texts.setdefault(path, self.sources[path].text)
        return self.sources[path]

    def mark(self) -> _Mark:
        """The state to go back to if a round turns out to make things worse."""
        return _Mark(dict(self.texts), len(self.applied), len(self.problems))

    def rollback(self, mark: _Mark) -> None:
        self.texts = dict(mark.texts)
        del self.applied[mark.applied :]
        del self.problems[mark.problems :]

    def applied_since(self, mark: _Mark) -> list[Diagnostic]:
        return list(dict.fromkeys(d for d, _ in self.applied[mark.applied :]))

    def reject(self, diagnostic: Diagnostic, introduced: Diagnostic) -> None:
        self.rejected[finding_key(diagnostic)] = (diagnostic, introduced)
        self.skipped.add(finding_key(diagnostic))

    def retry_rejected(self) -> None:
        """After a round that changed the project: a rejected fix may fit now (the
        other fixes may have removed what it clashed with)."""
        self.skipped.clear()

    def rejections(self, remaining: Sequence[Diagnostic]) -> list[NotApplied]:
        """The rejected fixes whose finding is still there (not fixed another way later)."""
        left = set(map(finding_key, remaining))
        return [
            NotApplied(
                diagnostic.path,
                f"fix for {diagnostic.code} at line {diagnostic.span.line} not applied: it "
                f"would introduce {new.code} at {new.path}:{new.span.line}: {new.message}",
            )
            for key, (diagnostic, new) in self.rejected.items()
            if key in left
        ]

    def round(self, diagnostics: Sequence[Diagnostic]) -> int:
        """Apply one round of fixes; returns how many were applied."""
        accepted: dict[str, list[tuple[Diagnostic, Fix]]] = {}
        taken: dict[str, list[Edit]] = {}
        for diagnostic in diagnostics:
            fix = diagnostic.fix
            if fix is None or not fix_applies(fix, self.unsafe) or not fix.edits:
                continue
            if finding_key(diagnostic) in self.skipped:
                continue
            if any(
                _overlaps(edit, other) for edit in fix.edits for other in taken.get(edit.path, ())
            ):
                continue  # next round, against the updated text
            for edit in fix.edits:
                taken.setdefault(edit.path, []).append(edit)
            accepted.setdefault(diagnostic.path, []).append((diagnostic, fix))
        by_file: dict[str, list[tuple[Diagnostic, list[Edit]]]] = {}
        for pairs in accepted.values():
            for diagnostic, fix in pairs:
                for path in sorted({edit.path for edit in fix.edits}):
                    edits = [edit for edit in fix.edits if edit.path == path]
                    by_file.setdefault(path, []).append((diagnostic, edits))
        applied: set[int] = set()
        for path, fixes in sorted(by_file.items()):
            try:
                source = self.source(path)
            except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as exc:
                self.problems.append(NotApplied(path, f"cannot read for fixing: {exc}"))
                continue
            for diagnostic, _edits in self._parseable_subset(source, path, fixes):
                applied.add(id(diagnostic))
                change = AppliedFix(path, diagnostic.code, diagnostic.name, diagnostic.path)
                self.applied.append((diagnostic, change))
        return len(applied)

    def _parseable_subset(
        self, source: SourceText, path: str, fixes: list[tuple[Diagnostic, list[Edit]]]
    ) -> list[tuple[Diagnostic, list[Edit]]]:
        """Apply the fixes whose result still parses; report the others."""
        before = self.texts[path]
        after = apply_edits(source, before, [e for _, edits in fixes for e in edits])
        if parses(after, before):
            self.texts[path] = after
            return fixes
        kept: list[tuple[Diagnostic, list[Edit]]] = []
        for candidate in fixes:
            trial = [*kept, candidate]
            text = apply_edits(source, before, [e for _, edits in trial for e in edits])
            if parses(text, before):
                kept = trial
            else:
                self.problems.append(
                    NotApplied(
                        path,
                        f"fix for {candidate[0].code} at line {candidate[0].span.line} "
                        "dropped: the result would not parse",
                    )
                )
        self.texts[path] = apply_edits(source, before, [e for _, edits in kept for e in edits])
        return kept

    def changed(self) -> dict[str, bytes]:
        return {
            path: self.sources[path].encode(text)
            for path, text in self.texts.items()
            if text != self.sources[path].text
        }

    def write(self) -> list[str]:
        """Write every changed file; returns the paths written. A file that could
        not be written is a write failure, and its fixes no longer count as applied."""
        written = []
        for path, data in sorted(self.changed().items()):
            source = self.sources[path]
            try:
                _atomic_write(source, data)
                written.append(path)
            except _Conflict as exc:
                self.write_failures.append(NotApplied(path, f"not fixed: {exc}"))
            except OSError as exc:
                self.write_failures.append(
                    NotApplied(path, f"not fixed: cannot write: {exc.strerror or exc}")
                )
        failed = {problem.path for problem in self.write_failures}
        self.applied = [pair for pair in self.applied if pair[1].path not in failed]
        return written

    def unified_diff(self) -> str:
        out: list[str] = []
        cwd = Path.cwd()
        for path, _data in sorted(self.changed().items()):
            try:
                shown = Path(os.path.relpath(path, cwd)).as_posix()
            except ValueError:
                shown = path
            before = self.sources[path].text.splitlines(keepends=True)
            after = self.texts[path].splitlines(keepends=True)
            out.extend(difflib.unified_diff(before, after, f"a/{shown}", f"b/{shown}"))
        return "".join(line if line.endswith("\n") else line + "\n" for line in out)


class _Conflict(Exception):
    pass


def _atomic_write(source: SourceText, data: bytes) -> None:
    """Replace the file only if it is still what we read; never leave it half-written."""
    directory = os.path.dirname(source.path) or "."
    fd, temp = tempfile.mkstemp(prefix=".celerylint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, source.mode & 0o7777)
        with open(source.path, "rb") as handle:
            current = handle.read()
        if current != source.original:
            raise _Conflict("the file changed on disk while celerylint was running")
        os.replace(temp, source.path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


class Checker(Protocol):
    """Lints the project with the contents in `overlay` (path -> bytes) in place of the
    files on disk; without `fixes`, the findings need not carry their fixes."""

    def __call__(
        self, overlay: Optional[dict[str, bytes]], *, fixes: bool = True
    ) -> CheckResult: ...


def fix_to_fixpoint(check: Checker, options: FixOptions) -> FixResult:
    """Fix to a fixpoint, `check`ing the project after each round of fixes."""
    session = FixSession(unsafe=options.unsafe)
    initial = result = check(None)
    rounds = 0
    while rounds < MAX_ROUNDS:
        mark = session.mark()
        if session.round(result.diagnostics) == 0:
            break
        after = check(session.changed())
        worse = unmatched(after.diagnostics, result.diagnostics)
        if worse:
            # Undo the round, leave out the fixes that make it worse, try again.
            candidates = session.applied_since(mark)
            session.rollback(mark)
            _reject_worsening(session, check, result, candidates, worse[0])
            continue
        result = after
        rounds += 1
        session.retry_rejected()
    else:
        # Something keeps undoing a fix: writing the half-way state could leave
        # repeated edits behind, so nothing is written at all.
        session.problems.append(
            NotApplied(
                None,
                f"fixes failed to converge after {MAX_ROUNDS} rounds; nothing was written "
                "(please report this with the files involved)",
            )
        )
        session.rollback(_Mark({}, 0, len(session.problems)))
        result = check(None)
    diff = ""
    if options.diff:
        diff = session.unified_diff()
        changed = sorted(session.changed())
    else:
        attempted = bool(session.changed())
        changed = session.write()
        # What remains is what is on disk, whether the writes succeeded or not.
        result = check(None) if attempted else result
    counts = Counter(change.path for _, change in session.applied)
    return FixResult(
        remaining=_without_rejected_fixes(result, session.rejected),
        fixed=unmatched(initial.diagnostics, result.diagnostics),
        files=[FixedFile(path, counts[path]) for path in changed],
        diff=diff,
        not_applied=[*session.problems, *session.rejections(result.diagnostics)],
        applied=[change for _, change in session.applied],
        write_failures=session.write_failures,
    )


def _reject_worsening(
    session: FixSession,
    check: Checker,
    before: CheckResult,
    candidates: list[Diagnostic],
    together: Diagnostic,
) -> None:
    """Reject the fixes of a round that made things worse (`together` is what the whole
    round introduced). Halves are tried, down to the single fixes that make things worse
    alone: one culprit among n fixes costs about 2·log2(n) checks, not n (courtlistener:
    164 fixes, one of them worsening, 17 s -> 3 s). A part that is worse while neither
    of its halves is has only its combination to blame: its fixes are all rejected."""
    mark = session.mark()

    def introduced(group: list[Diagnostic]) -> Optional[Diagnostic]:
        """What applying only `group` introduces, if anything."""
        try:
            if not session.round(group):
                return None
            new = unmatched(check(session.changed(), fixes=False).diagnostics, before.diagnostics)
        finally:
            session.rollback(mark)
        return new[0] if new else None

    def culprits(group: list[Diagnostic], new: Diagnostic) -> list[tuple[Diagnostic, Diagnostic]]:
        if len(group) == 1:
            return [(group[0], new)]
        middle = len(group) // 2
        found: list[tuple[Diagnostic, Diagnostic]] = []
        for half in (group[:middle], group[middle:]):
            worse = introduced(half)
            if worse is not None:
                found.extend(culprits(half, worse))
        return found or [(diagnostic, new) for diagnostic in group]

    for diagnostic, new in culprits(candidates, together):
        session.reject(diagnostic, new)


def _without_rejected_fixes(
    result: CheckResult, rejected: dict[FindingKey, tuple[Diagnostic, Diagnostic]]
) -> CheckResult:
    """What remains, no longer offering the fixes that were found to make things worse."""
    if not rejected:
        return result
    diagnostics = [
        msgspec.structs.replace(d, fix=None) if finding_key(d) in rejected else d
        for d in result.diagnostics
    ]
    return msgspec.structs.replace(result, diagnostics=diagnostics)
