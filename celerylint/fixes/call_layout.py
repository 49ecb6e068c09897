"""How calls are laid out in their source, measured when a fix needs it.

Rewriting a call in its own style needs more than the facts keep: where its
closing parenthesis is, whether it has a trailing comma, the indentation of
its arguments, the exact text of each argument and where comments sit. That
is measured here, after the rules, from the source of the files that have
findings with such fixes, instead of being extracted and cached for every
call of every file (`pipeline.build_fixes`).
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Callable
from typing import Optional, Union

import msgspec

from celerylint.facts import decode, parse_expression_quietly, parse_tree
from celerylint.facts.layout import Layout, value_shape
from celerylint.facts.nodes import Positions
from celerylint.facts.schema import CallArgument, Span, ValueShape
from celerylint.facts.walk import calls_under


class CallShape(msgspec.Struct, frozen=True):
    """Where and how a keyword can be appended to a call."""

    close: tuple[int, int]  # the closing parenthesis
    last: Optional[tuple[int, int]] = None  # the end of the last argument
    trailing_comma: bool = False
    last_indent: str = "    "
    close_indent: str = ""
    close_alone: bool = False  # the closing parenthesis stands on its own line


class CallKeyword(msgspec.Struct, frozen=True):
    """A keyword argument (`name` None for `**mapping`)."""

    name: Optional[str]
    span: Optional[Span]
    source: str
    value_span: Span
    shape: ValueShape
    wrapped: bool
    outer: Optional[Span] = None


class DispatchSyntax(msgspec.Struct, frozen=True):
    """The layout of a `.delay()` / `.apply_async()` call, for rewrites."""

    method_span: Span
    args: tuple[CallArgument, ...]
    kwargs: tuple[CallKeyword, ...]
    shape: CallShape
    # Where comments sit inside the call; None if that cannot be told.
    comments: Optional[tuple[tuple[int, int], ...]]


class _File:
    """A file's source as fixes measure it: its layout, and the calls of its whole
    parse by first and last line (parsed only for a call its own text cannot give)."""

    __slots__ = ("_calls", "layout", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.layout = Layout(Positions(source))
        self._calls: Optional[dict[tuple[int, int], list[ast.Call]]] = None

    def call(self, span: Span) -> Optional[ast.Call]:
        alone = _parsed_alone(self.layout, span)
        if alone is not None:
            return alone
        if self._calls is None:
            self._calls = _calls_by_lines(self.source)
        for call in self._calls.get((span.line, span.end_line), ()):
            if self.layout.span(call) == span:
                return call
        return None


class CallLayouts:
    """The calls of the files fixes are built for, measured file by file in a row.

    Only the last file's source is kept: fixes are built in the order of their
    findings, file by file, and keeping every file's tree held 6 MB more at the peak
    of a large tree's run.
    """

    def __init__(self, read: Callable[[str], Optional[bytes]]) -> None:
        self._read = read
        self._last: Optional[tuple[str, Optional[_File]]] = None

    def shape(self, path: str, span: Span) -> Optional[CallShape]:
        """The shape of the call at `span` in `path`; None if there is none now."""
        found = self._call(path, span)
        return call_shape(*found) if found else None

    def dispatch(self, path: str, span: Span) -> Optional[DispatchSyntax]:
        """The layout of the `x.delay(...)` / `x.apply_async(...)` call at `span`."""
        found = self._call(path, span)
        if found is None or not isinstance(found[1].func, ast.Attribute):
            return None
        return dispatch_syntax(*found)

    def _call(self, path: str, span: Span) -> Optional[tuple[Layout, ast.Call]]:
        if self._last is None or self._last[0] != path:
            self._last = (path, self._source(path))
        file = self._last[1]
        if file is None:
            return None
        call = file.call(span)
        return (file.layout, call) if call is not None else None

    def _source(self, path: str) -> Optional[_File]:
        data = self._read(path)
        if data is None:
            return None
        try:
            return _File(decode(data))
        except (SyntaxError, LookupError, UnicodeDecodeError):
            return None


def _parsed_alone(layout: Layout, span: Span) -> Optional[ast.Call]:
    """The call at `span`, parsed from its own text: the text before it on its first
    line stands as `(` and spaces of as many bytes, the lines above it as empty lines,
    so its nodes get the positions the whole file's parse gives them. None where its
    text is no call alone (`(a\n.b)(c)` starts inside parentheses): then the whole
    file is parsed. 19 files of the 16-project tree took 40 ms to parse whole.
    """
    lines = layout.positions.lines
    if not 0 < span.line <= span.end_line <= len(lines):
        return None
    prefix = len(lines[span.line - 1][: span.col].encode("utf-8", "surrogatepass"))
    opening, closing = ("(" + " " * (prefix - 1), ")") if prefix else ("", "")
    above = "\n" * (span.line - 1)
    text = _text_between(lines, span.start, span.end)
    try:
        call = parse_expression_quietly(f"{above}{opening}{text}{closing}").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return call if isinstance(call, ast.Call) and layout.span(call) == span else None


def _calls_by_lines(source: str) -> dict[tuple[int, int], list[ast.Call]]:
    """The calls of the whole file, by first and last line (none if it does not parse).
    A call's span (character columns) is computed only for the few a fix asks about
    (every call's cost as much as the parse)."""
    calls: dict[tuple[int, int], list[ast.Call]] = {}
    tree = parse_tree(source)
    if isinstance(tree, ast.Module):
        for call in calls_under([tree]):
            calls.setdefault((call.lineno, call.end_lineno or call.lineno), []).append(call)
    return calls


def call_shape(layout: Layout, call: ast.Call) -> CallShape:
    lines = layout.positions.lines
    end_line, end_col = layout.span(call).end
    close = (end_line, end_col - 1)
    items: list[Union[ast.expr, ast.keyword]] = [*call.args, *call.keywords]
    items.sort(key=lambda n: (n.lineno, n.col_offset))
    if not items:
        return CallShape(close)
    last = layout.span(items[-1])
    between = _text_between(lines, last.end, close)
    return CallShape(
        close,
        last.end,
        trailing_comma="," in between.split("#")[0],
        last_indent=_indent(lines[last.line - 1]),
        close_indent=_indent(lines[end_line - 1]),
        close_alone=not lines[end_line - 1][: end_col - 1].strip(),
    )


def dispatch_syntax(layout: Layout, call: ast.Call) -> DispatchSyntax:
    func = call.func
    assert isinstance(func, ast.Attribute)
    end_line, end_col = layout.span(func).end
    method_span = Span(end_line, end_col - len(func.attr), end_line, end_col)
    args = tuple(layout.argument(arg) for arg in call.args)
    kwargs = tuple(
        CallKeyword(
            keyword.arg,
            layout.span(keyword) if hasattr(keyword, "end_lineno") else None,
            layout.source(keyword.value),
            layout.span(keyword.value),
            value_shape(keyword.value),
            layout.parenthesized(keyword.value),
            layout.outer(keyword.value),
        )
        for keyword in call.keywords
    )
    shape = call_shape(layout, call)
    return DispatchSyntax(method_span, args, kwargs, shape, _comments(layout, call))


def _comments(layout: Layout, call: ast.Call) -> Optional[tuple[tuple[int, int], ...]]:
    """Where comments sit inside the call; None if unknown: a rewrite must keep them."""
    text = layout.source(call)
    if "#" not in text:
        return ()
    line, col = layout.span(call).start
    try:
        return tuple(
            (line + row - 1, col + column if row == 1 else column)
            for kind, _text, (row, column), _end, _line in tokenize.generate_tokens(
                io.StringIO(text).readline
            )
            if kind == tokenize.COMMENT
        )
    except (tokenize.TokenError, SyntaxError):
        return None


def _text_between(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    if start[0] == end[0]:
        return lines[start[0] - 1][start[1] : end[1]]
    parts = [lines[start[0] - 1][start[1] :], *lines[start[0] : end[0] - 1]]
    parts.append(lines[end[0] - 1][: end[1]])
    return "\n".join(parts)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]
