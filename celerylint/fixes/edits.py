"""Building fixes from extracted spans and call shapes.

Every edit is computed from positions the extractor recorded from the parse
tree (never by searching text), so the fixer can apply it byte-exactly and
everything outside the edited span stays as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from celerylint.diagnostics import Applicability, Edit, Fix
from celerylint.facts.schema import Seq, Span
from celerylint.fixes.call_layout import CallShape


def make_fix(message: str, applicability: Applicability, edits: Sequence[Edit]) -> Fix:
    return Fix(message, applicability, tuple(edits))


def replace(path: str, span: Span, content: str) -> Edit:
    return Edit(path, span, content)


def insert(path: str, line: int, col: int, content: str) -> Edit:
    return Edit(path, Span(line, col, line, col), content)


def add_keyword(
    path: str,
    shape: Optional[CallShape],
    keyword: str,
    bare_end: Optional[tuple[int, int]] = None,
) -> list[Edit]:
    """Edits appending `keyword` (e.g. `bind=True`) to a call, in the call's own style.

    `shape` is measured in the source (`fixes.call_layout`); for a bare decorator
    (`@app.task`), pass `shape=None` and `bare_end`, the end of the decorator
    expression, to get `@app.task(bind=True)`.
    """
    if shape is None:
        if bare_end is None:
            return []
        return [insert(path, bare_end[0], bare_end[1], f"({keyword})")]
    close_line, close_col = shape.close
    last = shape.last
    if last is None:
        return [insert(path, close_line, close_col, keyword)]
    last_line, last_col = last
    if last_line == close_line:
        # f(a, b) / f(a, b,) -> f(a, b, keyword) / f(a, b, keyword,)
        return [insert(path, last_line, last_col, f", {keyword}")]
    if shape.close_alone:
        # Closing parenthesis on its own line: add a line before it.
        edits = [insert(path, close_line, 0, f"{shape.last_indent}{keyword},\n")]
        if not shape.trailing_comma:
            edits.append(insert(path, last_line, last_col, ","))
        return edits
    # f(a,\n  b) -> f(a,\n  b, keyword)
    return [insert(path, last_line, last_col, f", {keyword}")]


def remove_element(path: str, sequence: Seq, index: int) -> Optional[Edit]:
    """Remove one element of a list/tuple display, with the comma that joins it.

    An element alone on its line goes with its whole line (and the comment
    that described it); otherwise only the element and one separator go.
    """
    spans = [element.span for element in sequence.items]
    current = spans[index]
    if len(spans) < 2 or sequence.span is None or None in spans:
        return None
    assert current is not None
    before = spans[index - 1] if index else None
    after = spans[index + 1] if index + 1 < len(spans) else None
    before_line = before.end_line if before else sequence.span.line
    after_line = after.line if after else sequence.span.end_line
    if before_line < current.line and after_line > current.end_line:
        return replace(path, Span(current.line, 0, current.end_line + 1, 0), "")
    if after is not None:
        return replace(path, Span(*current.start, *after.start), "")
    assert before is not None
    return replace(path, Span(*before.end, *current.end), "")
