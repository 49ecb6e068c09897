"""Render diagnostics for people and machines, in the formats ruff has.

Every run of the CLI imports this package, so it stays cheap: each format
lives in its own module, imported only when chosen, and only the full
format loads rich.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import msgspec

if TYPE_CHECKING:  # the CLI reads FORMATS at start-up: keep this module cheap to import
    from celerylint.diagnostics import AppliedFix, Diagnostic, Fix

DOCS_URL_TEMPLATE = "https://github.com/celerylint/celerylint/blob/main/docs/rules/{name}.md"

# Each format: the module and function that render it.
_RENDERERS = {
    "full": ("full", "render_full"),
    "concise": ("concise", "render_concise"),
    "grouped": ("grouped", "render_grouped"),
    "json": ("json_format", "render_json"),
    "json-lines": ("json_format", "render_json_lines"),
    "github": ("github", "render_github"),
    "gitlab": ("gitlab", "render_gitlab"),
    "sarif": ("sarif", "render_sarif"),
    "junit": ("junit", "render_junit"),
    "pylint": ("pylint", "render_pylint"),
}
FORMATS = tuple(_RENDERERS)

FIX_COMMAND = "celerylint check --fix"


class ReportContext(msgspec.Struct):
    cwd: Path
    files_checked: int
    # Findings fixed this run (gone after fixing).
    fixed: int = 0
    # Remaining diagnostics with a fix applicable under the current flags.
    fixable: int = 0
    # Remaining fixes hidden behind --unsafe-fixes.
    unsafe_fixable: int = 0
    # None: color only when the stream is a terminal and NO_COLOR is unset.
    color: bool | None = None
    # For --show-fixes: the fixes applied, one per fix and file changed.
    show_fixes_list: Sequence[AppliedFix] = ()
    # Whether --unsafe-fixes is on; decides which diagnostics get the `[*]` marker.
    unsafe_fixes: bool = False
    # The project root; machine formats show paths relative to its repository.
    root: Path | None = None
    # --quiet: the findings without the summary lines.
    quiet: bool = False
    # Contents that replace files on disk (--stdin-filename), for code frames.
    overlay: dict[str, bytes] = msgspec.field(default_factory=dict)

    @property
    def repository(self) -> Path:
        from celerylint.fingerprint import repository_root

        return repository_root(self.root if self.root is not None else self.cwd)


def render(diagnostics: Sequence[Diagnostic], fmt: str, out: TextIO, ctx: ReportContext) -> None:
    """Write `diagnostics` (already sorted; their order is kept) to `out` in format `fmt`."""
    if fmt not in _RENDERERS:
        raise ValueError(f"unknown output format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    module, function = _RENDERERS[fmt]
    renderer = getattr(importlib.import_module(f"celerylint.report.{module}"), function)
    renderer(diagnostics, out, ctx)


def render_statistics(
    diagnostics: Sequence[Diagnostic],
    out: TextIO,
    *,
    unsafe_fixes: bool = False,
    as_json: bool = False,
) -> None:
    """Per-rule counts like `ruff --statistics`: count, code, `[*]` marker, name; or,
    `as_json`, ruff's list of {code, name, count, fixable}, most frequent first."""
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    fixable: dict[str, bool] = {}
    for diagnostic in diagnostics:
        code = diagnostic.code
        counts[code] = counts.get(code, 0) + 1
        names.setdefault(code, diagnostic.name)
        fixable[code] = fixable.get(code, False) or fix_applies(diagnostic.fix, unsafe_fixes)
    rows = sorted(counts, key=lambda code: (-counts[code], code))
    if as_json:
        import json

        table = [
            {"code": c, "name": names[c], "count": counts[c], "fixable": fixable[c]} for c in rows
        ]
        out.write(json.dumps(table, indent=2, ensure_ascii=False) + "\n")
        return
    if not counts:
        return
    count_width = max(len(str(count)) for count in counts.values())
    code_width = max(len(code) for code in counts)
    # Like ruff (and flake8 before it), the marker column only exists if some rule is fixable.
    any_fixable = any(fixable.values())
    for code in rows:
        marker = ("[*] " if fixable[code] else "[ ] ") if any_fixable else ""
        out.write(
            f"{counts[code]:>{count_width}}\t{code:<{code_width}}\t{marker}"
            f"{sanitize(names[code])}\n"
        )


# --- helpers shared by the format modules -------------------------------------------


def printable(path: str) -> str:
    """A file name as text every stream can take (undecodable bytes shown as U+FFFD)."""
    from celerylint.config import display_path as printable_path

    return printable_path(path)


def display_path(path: str, cwd: Path | str) -> str:
    """`path` relative to `cwd` when it lies under it, else absolute; always printable."""
    return printable(_relative(path, cwd))


def _relative(path: str, cwd: Path | str) -> str:
    if not os.path.isabs(path):
        return path
    base = os.path.abspath(os.fspath(cwd))
    target = os.path.abspath(path)
    norm_base = os.path.normcase(base)
    norm_target = os.path.normcase(target)
    # A plain prefix test would make `/repo-old/x.py` "under" `/repo`.
    if norm_target == norm_base:
        return "."
    prefix = norm_base if norm_base.endswith(os.sep) else norm_base + os.sep
    if norm_target.startswith(prefix):
        return os.path.relpath(target, base)
    return path


def fix_applies(fix: Fix | None, unsafe_fixes: bool) -> bool:
    from celerylint.diagnostics import Applicability

    if fix is None:
        return False
    if fix.applicability == Applicability.UNSAFE:
        return unsafe_fixes
    return fix.applicability == Applicability.SAFE


def is_fixable(diagnostic: Diagnostic, ctx: ReportContext) -> bool:
    return fix_applies(diagnostic.fix, ctx.unsafe_fixes)


def location_text(diagnostic: Diagnostic, ctx: ReportContext) -> str:
    """`path:row:col`, with the 1-based column people and editors expect."""
    span = diagnostic.span
    return f"{display_path(diagnostic.path, ctx.cwd)}:{span.line}:{span.col + 1}"


def sanitize(text: str) -> str:
    """Make control characters visible, so that a hostile file cannot drive the terminal.

    Each becomes one printable character (its Unicode "control picture"), so
    columns computed on the original text still line up.
    """
    if text.isprintable():
        return text
    return "".join(_visible(char) for char in text)


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    if 0x80 <= code < 0xA0 or code in (0x2028, 0x2029):
        return "\ufffd"
    return char


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def summary_lines(diagnostics: Sequence[Diagnostic], ctx: ReportContext) -> list[str]:
    """The closing lines of the human formats, in the style of ruff (none with --quiet)."""
    lines: list[str] = []
    if ctx.quiet:
        return lines
    if ctx.show_fixes_list:
        lines.extend(fix_summary_lines(ctx.show_fixes_list, ctx))
        lines.append("")
    remaining = len(diagnostics)
    if remaining:
        lines.append(f"Found {_plural(remaining, 'error', 'errors')}.")
    else:
        lines.append("All checks passed!")
    hidden = ""
    if ctx.unsafe_fixable:
        hidden = (
            f"{_plural(ctx.unsafe_fixable, 'hidden fix', 'hidden fixes')} can be enabled"
            " with the `--unsafe-fixes` option"
        )
    if ctx.fixable and hidden:
        lines.append(f"[*] {ctx.fixable} fixable with `{FIX_COMMAND}` ({hidden}).")
    elif ctx.fixable:
        lines.append(f"[*] {ctx.fixable} fixable with `{FIX_COMMAND}`.")
    elif hidden:
        lines.append(f"No fixes available ({hidden}).")
    # The --show-fixes block above already says how many were fixed.
    if ctx.fixed and not ctx.show_fixes_list:
        lines.append(f"Fixed {_plural(ctx.fixed, 'error', 'errors')}.")
    return lines


def fix_summary_lines(applied: Sequence[AppliedFix], ctx: ReportContext) -> list[str]:
    """The --show-fixes block, like ruff's: per file changed, the fixes that changed it.

    A fix made in another file than its finding's (a global setting for a
    task's finding) is listed under the file it changed, naming the finding's file.
    """
    per_file: dict[str, dict[tuple[str, str, str], int]] = {}
    for change in applied:
        table = per_file.setdefault(change.path, {})
        elsewhere = change.finding_path if change.finding_path != change.path else ""
        key = (change.code, change.name, elsewhere)
        table[key] = table.get(key, 0) + 1
    width = max(len(str(count)) for table in per_file.values() for count in table.values())
    lines = [f"Fixed {_plural(ctx.fixed, 'error', 'errors')}:"]
    for path in sorted(per_file):
        lines.append(f"- {sanitize(display_path(path, ctx.cwd))}:")
        for (code, name, elsewhere), count in sorted(per_file[path].items()):
            where = f", for {sanitize(display_path(elsewhere, ctx.cwd))}" if elsewhere else ""
            lines.append(f"    {count:>{width}} \u00d7 {code} ({name}){where}")
    return lines


def docs_url(name: str) -> str:
    return DOCS_URL_TEMPLATE.format(name=name)
