"""Reading source written for a newer Python than the one running celerylint.

Real projects already use syntax the interpreter running the linter cannot
parse: Python 3.14's unparenthesized `except A, B:` (PEP 758), 3.12's
`type X = ...` and `def f[T]()` (PEP 695) and f-strings nesting the same
quotes (PEP 701). `ast.parse` rejects such a file, and a linter that skips a
task module is blind to its tasks. So, on that error path only, the newer
constructs are rewritten into older spellings that mean the same *to the
extractor* (names, calls, decorators, literals), and `ast` parses the result.

This module holds the entry points (`lower`, `lower_source`,
`requirement_message`) and applies the edits; the work is split by job:

- `lowering_results`: `Feature` and `Lowering`, what a lowering reports;
- `lowering_tokens`: the stdlib-token scan that bounds what libcst may see
  and rewrites `except A, B:` alone when that suffices (libcst costs about
  ten times more);
- `lowering_finder`: the libcst parse and the visitor that finds the newer
  constructs and records their rewrites;
- `lowering_positions`: `restore_positions`, which moves the positions of the
  parsed tree back onto the original text.

Every rewrite keeps each line on its line, so diagnostics point at the
user's real lines. libcst (about 0.13 s to import) is imported only when the
token scan is not enough, and this module only once `ast.parse` has failed:
`except A, B:`, the likeliest newer construct, never pays for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from celerylint.facts import parse_quietly
from celerylint.facts.lowering_excepts import parenthesize_excepts
from celerylint.facts.lowering_positions import apply_edits, restore_positions
from celerylint.facts.lowering_results import RUNNING, Feature, Lowering, Version
from celerylint.facts.lowering_tokens import MAX_CHAIN, MAX_CHARS, TokenScan

__all__ = [
    "MAX_CHAIN",
    "MAX_CHARS",
    "Feature",
    "Lowering",
    "lower",
    "lower_source",
    "requirement_message",
    "restore_positions",
]

# Errors no rewrite can cure: the file exceeds a limit of the parser itself.
_LIMIT_ERRORS = ("too many nested", "too many levels of indentation", "too many statically")


def requirement_message(features: Sequence[Feature], running: Version = RUNNING) -> str:
    """'requires Python 3.14 (unparenthesized except groups); this Python is 3.11'."""
    required = max(f.version for f in features)
    names: list[str] = []
    for feature in sorted(features, key=lambda f: (-f.version[0], -f.version[1], f.line)):
        if feature.description not in names:
            names.append(feature.description)
    return f"requires Python {_fmt(required)} ({', '.join(names)}); this Python is {_fmt(running)}"


def _fmt(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def lower_source(source: str) -> Optional[str]:
    """`source` rewritten so that this interpreter's `ast` parses it, or None.

    None when the file needs no rewrite, libcst cannot parse it, or the
    rewritten text still does not parse. Line numbers are those of `source`.
    """
    lowering = lower(source)
    if lowering.source is None:
        return None
    if lowering.tree is None:
        try:
            parse_quietly(lowering.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    return lowering.source


def lower(source: str, target: Version = RUNNING, error: Optional[SyntaxError] = None) -> Lowering:
    """Rewrite the constructs of `source` newer than `target` (see module docstring).

    `error` is the SyntaxError `ast` raised, when known: errors that are limits of
    the parser itself are not worth a libcst parse, and an unparenthesized except
    group is mended where it points (`lowering_excepts`).
    `target` other than the running version is for tests: the f-string check
    needs the running parser, so f-strings are only rewritten below 3.12 when
    the running interpreter is below 3.12 too.
    """
    if error is not None:
        if any(limit in error.msg for limit in _LIMIT_ERRORS):
            return Lowering(None, skipped=error.msg)
        if target == RUNNING:
            mended = parenthesize_excepts(source, error)
            if mended is not None:
                return mended
    scan = TokenScan(source, target)
    if scan.edits:
        # Fast path for the likeliest construct, `except A, B:`: rewritten
        # from tokens, at a tenth of libcst's cost.
        edits = _settle(scan.edits)
        text = apply_edits(source, edits)
        try:
            tree = parse_quietly(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass  # something else is newer too: libcst finds everything
        else:
            return Lowering(text, tuple(scan.features), edits=tuple(edits), tree=tree)
    if scan.reason is not None:
        return Lowering(None, skipped=scan.reason)
    # libcst (0.13 s to import) only now: the token scan rewrote nothing that parses.
    from celerylint.facts.lowering_finder import Finder, parse_cst

    module, positions = parse_cst(source)
    if module is None or positions is None:
        return Lowering(None)
    finder = Finder(source, module, positions, target)
    try:
        module.visit(finder)
    except RecursionError:
        return Lowering(None, skipped="too deeply nested")
    features = tuple(sorted(finder.features, key=lambda f: (f.line, f.version, f.description)))
    if not finder.edits:
        return Lowering(None, features)
    edits = _settle(finder.edits)
    return Lowering(apply_edits(source, edits), features, edits=tuple(edits))


def _settle(edits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The edits to apply, in order. An edit inside a wider one is dropped (the
    wider one already rewrote that text); an insertion at the start of a
    replacement goes before it."""
    kept: list[tuple[int, int, str]] = []
    end_of_last = -1
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1] != e[0], -e[1])):
        if start < end_of_last:
            continue
        kept.append((start, end, text))
        end_of_last = max(end_of_last, end)
    return kept
