"""Where things are in a file's text: character-exact spans and call layouts.

Extraction records spans with it; fixes measure calls with it
(`fixes.call_layout`).
"""

from __future__ import annotations

import ast
from typing import Any, Optional

import msgspec

from celerylint.facts.nodes import Positions, const_str
from celerylint.facts.schema import CallArgument, Span, ValueShape


class Layout:
    """Spans and text of one parsed file."""

    def __init__(self, positions: Positions) -> None:
        self.positions = positions

    def span(self, node: Any) -> Span:
        return self.positions.span(node)

    def name_span(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> Span:
        """The span of the `name` in `def name` / `class name` (its own line)."""
        keyword = (
            "class"
            if isinstance(node, ast.ClassDef)
            else ("async def" if isinstance(node, ast.AsyncFunctionDef) else "def")
        )
        line = node.lineno
        col = self.positions.col(line, node.col_offset)
        lines = self.positions.lines
        start = col + len(keyword) + 1
        if line - 1 < len(lines):
            found = lines[line - 1].find(node.name, col + len(keyword))
            if found >= 0:
                start = found
        return Span(line, start, line, start + len(node.name))

    def source(self, node: Any) -> str:
        """The exact source text of a node."""
        start_line, start_col, end_line, end_col = msgspec.structs.astuple(self.span(node))
        lines = self.positions.lines[start_line - 1 : end_line]
        if not lines:
            return ""
        if len(lines) == 1:
            return lines[0][start_col:end_col]
        return "\n".join([lines[0][start_col:], *lines[1:-1], lines[-1][:end_col]])

    def string_key_span(self, node: ast.expr) -> Optional[Span]:
        """The span inside the quotes of a plain one-line string literal, for renames."""
        text = const_str(node)
        if text is None:
            return None
        line, col, end_line, end_col = msgspec.structs.astuple(self.span(node))
        if end_line != line or self.source(node)[1:-1] != text:
            return None
        return Span(line, col + 1, line, end_col - 1)

    def keyword_name_span(self, keyword: ast.keyword) -> Optional[Span]:
        if keyword.arg is None or not hasattr(keyword, "lineno"):
            return None
        line = keyword.lineno
        col = self.positions.col(line, keyword.col_offset)
        return Span(line, col, line, col + len(keyword.arg))

    def parenthesized(self, node: ast.expr) -> bool:
        """`(x)`: the node's own text is wrapped in parentheses (not a tuple's)."""
        span = self.span(node)
        before = self.positions.lines[span.line - 1][: span.col].rstrip()
        after = self.positions.lines[span.end_line - 1][span.end_col :].lstrip()
        if not (before.endswith("(") and after.startswith(")")):
            return False
        # `f(x)`: that parenthesis is the call's own, not a wrapper around x.
        head = before[:-1].rstrip()
        return head == "" or head.endswith(("(", ",", "=", "[", ":"))

    def argument(self, node: ast.expr) -> CallArgument:
        """An argument's value as syntax tells it, with its text and extent."""
        return CallArgument(
            self.span(node),
            self.source(node),
            isinstance(node, ast.Starred),
            value_shape(node),
            self.parenthesized(node),
            self.outer(node),
        )

    def outer(self, node: ast.expr) -> Optional[Span]:
        """`(x)`: the span of the value with its wrapping parentheses, for rewrites."""
        if not self.parenthesized(node):
            return None
        line, col, end_line, end_col = msgspec.structs.astuple(self.span(node))
        before = self.positions.lines[line - 1][:col].rstrip()
        after = self.positions.lines[end_line - 1][end_col:]
        close = end_col + len(after) - len(after.lstrip())
        return Span(line, len(before) - 1, end_line, close + 1)


def value_shape(node: ast.expr) -> ValueShape:
    """What kind of value an argument is, as far as syntax tells."""
    if isinstance(node, (ast.Tuple, ast.List)):
        return "sequence"
    if isinstance(node, (ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.Set)):
        return "iterable"
    if isinstance(node, ast.Dict):
        return "dict"
    if isinstance(node, ast.Constant):
        if node.value is None:
            return "none"
        return "string" if isinstance(node.value, (str, bytes)) else "scalar"
    if isinstance(node, ast.JoinedStr):
        return "string"
    if isinstance(node, ast.Starred):
        return "starred"
    return "expression"
