"""Call layouts for fixes: a call parsed from its own text is the whole file's call."""

from __future__ import annotations

import ast
from typing import Optional

import pytest

from celerylint.facts.layout import Layout
from celerylint.facts.nodes import Positions
from celerylint.facts.walk import calls_under
from celerylint.fixes import call_layout
from celerylint.fixes.call_layout import CallLayouts, CallShape, _parsed_alone

SOURCES = {
    "module level": "send.delay(1, 2)\n",
    "indented, multi-line, comments": (
        "def f():\n"
        "    result = send.apply_async(\n"
        "        (1,),  # the args\n"
        "        countdown=10,\n"
        "    )\n"
    ),
    "text before it is not ASCII": 'x = "é€"; send.delay(name="ü")\n',
    "a tab before it": "if x:\n\tsend.delay(1)\n",
    "a string over lines": 'send.delay(body="""a\nb""", to=1)\n',
    "line breaks are CRLF": "x = 1\r\nsend.delay(\r\n    1,\r\n)\r\n",
    "nested calls": "x = outer(send.s(1), inner(2)).delay()\n",
    "backslash continuation": "send \\\n    .delay(1)\n",
    "callee in parentheses": "x = (send\n     .delay)(1, 2)\n",
    "await and yield": "async def f():\n    await send.delay(x=(yield))\n",
}


def _calls(source: str) -> list[tuple[Layout, ast.Call]]:
    layout = Layout(Positions(source))
    return [(layout, call) for call in calls_under([ast.parse(source)])]


@pytest.mark.parametrize("source", SOURCES.values(), ids=SOURCES.keys())
def test_a_call_parsed_alone_has_the_nodes_and_positions_of_the_whole_parse(source: str) -> None:
    for layout, call in _calls(source):
        alone = _parsed_alone(layout, layout.span(call))
        assert alone is not None
        assert ast.dump(alone, include_attributes=True) == ast.dump(call, include_attributes=True)


def test_a_call_its_own_text_does_not_give_is_found_in_the_whole_parse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As for a span from a rewritten text (`type X = ...` before Python 3.12).
    def no_expression(source: str) -> ast.Expression:
        raise SyntaxError("invalid syntax")

    monkeypatch.setattr(call_layout, "parse_expression_quietly", no_expression)
    source = "x = (send\n     .delay)(1, 2)\n"
    [(layout, call)] = _calls(source)
    layouts = CallLayouts(lambda path: source.encode())
    assert layouts.shape("m.py", layout.span(call)) == CallShape(
        close=(2, 17), last=(2, 17), last_indent="     ", close_indent="     "
    )


def test_the_whole_file_is_parsed_only_for_a_call_its_own_text_cannot_give(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[str] = []

    def parse_tree(source: str) -> Optional[ast.Module]:
        parsed.append(source)
        return ast.parse(source)

    monkeypatch.setattr(call_layout, "parse_tree", parse_tree)
    source = SOURCES["indented, multi-line, comments"]
    [(layout, call)] = _calls(source)
    layouts = CallLayouts(lambda path: source.encode())
    shape = layouts.shape("m.py", layout.span(call))
    assert shape == CallShape(
        close=(5, 4),
        last=(4, 20),
        trailing_comma=True,
        last_indent="        ",
        close_indent="    ",
        close_alone=True,
    )
    assert parsed == []
