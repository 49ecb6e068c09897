"""Building fixes from extracted spans and call shapes.

Every edit is computed from positions the extractor recorded from the parse
tree (never by searching text), so the fixer can apply it byte-exactly and
everything outside the edited span stays as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from celerylint.diagnostics import Applicability, Edit, Fix, Span
from celerylint.facts.values import Node


def make_fix(message: str, safe: bool, edits: Sequence[Edit]) -> Fix:
    applicability = Applicability.SAFE if safe else Applicability.UNSAFE
    return Fix(message, applicability, tuple(edits))


def replace(path: str, span: Sequence[int], content: str) -> Edit:
    return Edit(path, Span(*span), content)


def insert(path: str, line: int, col: int, content: str) -> Edit:
    return Edit(path, Span(line, col, line, col), content)


def add_keyword(
    path: str,
    shape: Optional[dict[str, Any]],
    keyword: str,
    bare_end: Optional[Sequence[int]] = None,
) -> list[Edit]:
    """Edits appending `keyword` (e.g. `bind=True`) to a call, in the call's own style.

    `shape` comes from the extractor (`call_shape`); for a bare decorator
    (`@app.task`), pass `shape=None` and `bare_end`, the end of the decorator
    expression, to get `@app.task(bind=True)`.
    """
    if shape is None:
        if bare_end is None:
            return []
        return [insert(path, bare_end[0], bare_end[1], f"({keyword})")]
    close_line, close_col = shape["close"]
    last = shape.get("last")
    if last is None:
        return [insert(path, close_line, close_col, keyword)]
    last_line, last_col = last
    if last_line == close_line:
        # f(a, b) / f(a, b,) -> f(a, b, keyword) / f(a, b, keyword,)
        return [insert(path, last_line, last_col, f", {keyword}")]
    indent = shape.get("last_indent", "    ")
    if shape.get("close_alone"):
        # Closing parenthesis on its own line: add a line before it.
        edits = [insert(path, close_line, 0, f"{indent}{keyword},\n")]
        if not shape.get("trailing_comma"):
            edits.append(insert(path, last_line, last_col, ","))
        return edits
    # f(a,\n  b) -> f(a,\n  b, keyword)
    return [insert(path, last_line, last_col, f", {keyword}")]


def remove_element(path: str, sequence: Node, index: int) -> Optional[Edit]:
    """Remove one element of a list/tuple display, with the comma that joins it.

    An element alone on its line goes with its whole line (and the comment
    that described it); otherwise only the element and one separator go.
    """
    elements = sequence[2]
    if len(elements) < 2:
        return None
    current = elements[index][1]
    before_line = elements[index - 1][1][2] if index else sequence[1][0]
    after_line = elements[index + 1][1][0] if index + 1 < len(elements) else sequence[1][2]
    if before_line < current[0] and after_line > current[2]:
        return replace(path, [current[0], 0, current[2] + 1, 0], "")
    if index + 1 < len(elements):
        following = elements[index + 1][1]
        return replace(path, [current[0], current[1], following[0], following[1]], "")
    previous = elements[index - 1][1]
    return replace(path, [previous[2], previous[3], current[2], current[3]], "")
