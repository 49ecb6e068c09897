"""Inline suppressions: `# celerylint: ignore[CL101, pickle-accepted]` on the reported line.

A suppression must name what it silences. Suppressions that silence nothing
(CL001) and names that are no rule (CL002) are reported, as ruff's RUF100 does,
so that stale comments do not pile up and typos do not silently fail.
The comments themselves are found and parsed with the other per-file facts
(`celerylint.facts.suppressions`); this module only applies them, together
with the configured `per-file-ignores`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import msgspec

from celerylint.config import Config
from celerylint.diagnostics import Applicability, Diagnostic, Edit, Fix, Span
from celerylint.facts.schema import Suppression
from celerylint.rules.meta import BY_CODE, RuleMeta, lookup
from celerylint.sources.ignore import IgnoreRules

UNUSED_SUPPRESSION = "CL001"
INVALID_SUPPRESSION = "CL002"


def per_file_ignores(config: Config) -> Callable[[str, str], bool]:
    """Whether `[tool.celerylint.per-file-ignores]` turns a code off in a file.

    Patterns are read like `exclude` (gitignore syntax relative to the project
    root, by the same matcher): a pattern covers a file when it matches the
    file or one of its directories, as an excluded directory excludes all it
    holds.
    """
    if not config.per_file_ignores:
        return lambda path, code: False
    from celerylint.selection import matches
    from celerylint.sources.ignore_files import exclude_rules

    root = os.path.abspath(config.root)
    rules = [
        (exclude_rules([pattern], root), selectors)
        for pattern, selectors in config.per_file_ignores
    ]

    def covers(rule: IgnoreRules, relative: str) -> bool:
        parts = relative.split("/")
        return any(
            rule.match("/".join(parts[:end]), True) is True for end in range(1, len(parts))
        ) or (rule.match(relative, False) is True)

    def ignored(path: str, code: str) -> bool:
        try:
            relative = Path(path).relative_to(config.root).as_posix()
        except ValueError:
            relative = Path(path).as_posix()
        return any(matches(code, selectors) and covers(rule, relative) for rule, selectors in rules)

    return ignored


def suppress_file_by_file(
    diagnostics: Sequence[Diagnostic],
    suppressions: Mapping[str, Sequence[Suppression]],
    selected: Callable[[str], bool],
    ignored: Callable[[str, str], bool],
) -> list[Diagnostic]:
    """`apply_suppressions` for each file with suppressions; the result sorted.

    Judged file by file: a suppression of a rule that per-file-ignores turns off
    there is not "unused", and CL001/CL002 obey per-file-ignores themselves.
    """
    by_path: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    for path, marks in suppressions.items():

        def selected_here(code: str, path: str = path) -> bool:
            return selected(code) and not ignored(path, code)

        by_path[path] = apply_suppressions(by_path.get(path, []), {path: marks}, selected_here)
    found = [d for kept in by_path.values() for d in kept]
    found.sort(key=Diagnostic.sort_key)
    return found


class _Entry(msgspec.Struct):
    """One name of one suppression, resolved."""

    path: str
    suppression: Suppression
    index: int
    rule: RuleMeta | None
    used: bool = False


def apply_suppressions(
    diagnostics: Sequence[Diagnostic],
    suppressions: Mapping[str, Sequence[Suppression]],
    selected: Callable[[str], bool],
) -> list[Diagnostic]:
    """Drop suppressed diagnostics; add CL001 (unused) and CL002 (invalid) findings.

    `suppressions` is keyed by absolute path, like `Diagnostic.path`; `selected`
    tells whether a rule code runs in this run (a suppression for a rule that
    is not selected may be needed by another run, so it is never "unused").
    """
    by_line: dict[tuple[str, int], list[_Entry]] = {}
    for path, found in suppressions.items():
        for suppression in found:
            entries = by_line.setdefault((path, suppression.line), [])
            for index, name in enumerate(suppression.names):
                entries.append(_Entry(path, suppression, index, lookup(name)))

    kept = [diagnostic for diagnostic in diagnostics if not _silence(diagnostic, by_line)]

    invalid: list[Diagnostic] = []
    if selected(INVALID_SUPPRESSION):
        for path, found in suppressions.items():
            for suppression in found:
                if not suppression.names:
                    invalid.append(_bare(path, suppression))
        for entries in by_line.values():
            invalid.extend(_unknown(entry) for entry in entries if entry.rule is None)
    kept.extend(diagnostic for diagnostic in invalid if not _silence(diagnostic, by_line))

    # Decided after CL002 findings had their chance to use a CL002 name.
    unused: list[Diagnostic] = []
    if selected(UNUSED_SUPPRESSION):
        for entries in by_line.values():
            for entry in entries:
                rule = entry.rule
                # A CL001 name that silences nothing is left alone: reporting it
                # would produce a CL001 finding that the name itself silences.
                if (
                    rule is not None
                    and not entry.used
                    and rule.code != UNUSED_SUPPRESSION
                    and selected(rule.code)
                ):
                    unused.append(_unused(entry, entries))
    kept.extend(diagnostic for diagnostic in unused if not _silence(diagnostic, by_line))

    return sorted(kept, key=Diagnostic.sort_key)


def _silence(diagnostic: Diagnostic, by_line: Mapping[tuple[str, int], list[_Entry]]) -> bool:
    """Whether a suppression on the diagnostic's line names its rule; credits the first."""
    for entry in by_line.get((diagnostic.path, diagnostic.span.line), ()):
        if entry.rule is not None and entry.rule.code == diagnostic.code:
            entry.used = True
            return True
    return False


def _bare(path: str, suppression: Suppression) -> Diagnostic:
    meta = BY_CODE[INVALID_SUPPRESSION]
    return Diagnostic(
        code=meta.code,
        name=meta.name,
        message=(
            "Suppression names no rule; name what it silences, e.g. `# celerylint: ignore[CL101]`"
        ),
        path=path,
        span=suppression.span,
        severity=meta.severity,
    )


def _unknown(entry: _Entry) -> Diagnostic:
    meta = BY_CODE[INVALID_SUPPRESSION]
    suppression = entry.suppression
    return Diagnostic(
        code=meta.code,
        name=meta.name,
        message=f'Unknown rule "{suppression.names[entry.index]}" in suppression',
        path=entry.path,
        span=_name_span(suppression, entry.index),
        severity=meta.severity,
    )


def _unused(entry: _Entry, line_entries: Sequence[_Entry]) -> Diagnostic:
    meta = BY_CODE[UNUSED_SUPPRESSION]
    rule = entry.rule
    assert rule is not None
    duplicate = any(
        other is not entry and other.rule is rule and other.used for other in line_entries
    )
    label = f"{rule.code} [{rule.name}]"
    message = f"Unused suppression for {label}" + (" (duplicate)" if duplicate else "")
    suppression = entry.suppression
    if len(suppression.names) == 1:
        fix_message = "Remove unused suppression comment"
        removal = suppression.removal or suppression.span
    else:
        fix_message = f"Remove `{suppression.names[entry.index]}` from the suppression"
        removal = _name_removal(suppression, entry.index)
    fix = Fix(fix_message, Applicability.SAFE, (Edit(entry.path, removal, ""),))
    return Diagnostic(
        code=meta.code,
        name=meta.name,
        message=message,
        path=entry.path,
        span=_name_span(suppression, entry.index),
        severity=meta.severity,
        fix=fix,
    )


def _name_span(suppression: Suppression, index: int) -> Span:
    if index < len(suppression.name_spans):
        return suppression.name_spans[index]
    return suppression.span


def _name_removal(suppression: Suppression, index: int) -> Span:
    """The name and one separator next to it: the one after it, or before the last name."""
    spans = suppression.name_spans
    if len(spans) != len(suppression.names):
        # Built by hand without positions: nothing precise to delete.
        return suppression.removal or suppression.span
    own = spans[index]
    if index + 1 < len(spans):
        following = spans[index + 1]
        return Span(own.line, own.col, following.line, following.col)
    previous = spans[index - 1]
    return Span(previous.end_line, previous.end_col, own.end_line, own.end_col)
