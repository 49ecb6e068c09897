"""Code actions: each finding's fix, a suppression comment, and all safe fixes of a file.

Fixes are text edits located like findings; they may edit other files (a
setting added to the configuration module), so every action is a workspace
edit keyed by file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Optional

from lsprotocol import types
from pygls.workspace import PositionCodec

from celerylint.add_suppressions import NOT_SUPPRESSIBLE, suppression_edits
from celerylint.diagnostics import Applicability, Diagnostic, Edit
from celerylint.server.convert import to_range
from celerylint.server.documents import uri_of

FIX_ALL = types.CodeActionKind.SourceFixAll
# The rows of a file as the editor sees them.
Lines = Callable[[str], Sequence[str]]


def workspace_edit(
    codec: PositionCodec, lines: Lines, edits: Iterable[Edit]
) -> types.WorkspaceEdit:
    changes: dict[str, list[types.TextEdit]] = {}
    for edit in edits:
        changes.setdefault(uri_of(edit.path), []).append(
            types.TextEdit(
                range=to_range(codec, lines(edit.path), edit.span), new_text=edit.content
            )
        )
    return types.WorkspaceEdit(changes=changes)


def _overlaps(edit: Edit, taken: list[Edit]) -> bool:
    return any(
        other.path == edit.path
        and (other.span.line, other.span.col) < (edit.span.end_line, edit.span.end_col)
        and (edit.span.line, edit.span.col) < (other.span.end_line, other.span.end_col)
        for other in taken
    )


def fix_actions(
    codec: PositionCodec,
    lines: Lines,
    found: Diagnostic,
    shown: types.Diagnostic,
) -> list[types.CodeAction]:
    """The finding's fix (if it can be applied) and a suppression of it on its line."""
    actions = []
    fix = found.fix
    if fix is not None and fix.applicability is not Applicability.DISPLAY_ONLY:
        safe = fix.applicability is Applicability.SAFE
        actions.append(
            types.CodeAction(
                title=f"{found.code}: {fix.message}" + ("" if safe else " (unsafe)"),
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[shown],
                is_preferred=safe,
                edit=workspace_edit(codec, lines, fix.edits),
            )
        )
    suppression = suppress_action(codec, lines, found, shown)
    if suppression is not None:
        actions.append(suppression)
    return actions


def suppress_action(
    codec: PositionCodec, lines: Lines, found: Diagnostic, shown: types.Diagnostic
) -> Optional[types.CodeAction]:
    """`# celerylint: ignore[CODE]` on the finding's line, merged into a directive there."""
    if found.code in NOT_SUPPRESSIBLE:
        return None
    text = "".join(lines(found.path))
    edits, _skipped = suppression_edits(found.path, text, {found.span.line: [found.code]}, None)
    if not edits:
        return None
    return types.CodeAction(
        title=f"Suppress {found.code} on this line",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[shown],
        edit=workspace_edit(codec, lines, [edit for edit, _codes, _added in edits]),
    )


def fix_all_action(
    codec: PositionCodec, lines: Lines, findings: Sequence[Diagnostic]
) -> Optional[types.CodeAction]:
    """Every safe fix of the file's findings that does not overlap an earlier one."""
    taken: list[Edit] = []
    for found in findings:
        fix = found.fix
        if fix is None or fix.applicability is not Applicability.SAFE:
            continue
        if any(_overlaps(edit, taken) for edit in fix.edits):
            continue  # the next run (or --fix) applies it
        taken.extend(fix.edits)
    if not taken:
        return None
    return types.CodeAction(
        title="celerylint: fix all safe fixes in this file",
        kind=FIX_ALL,
        edit=workspace_edit(codec, lines, taken),
    )
