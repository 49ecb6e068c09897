"""Python 3.14's `except A, B:` mended where the parser's error points
(`facts.lowering_excepts`): the same text, edits and features as the token scan,
at a fraction of its cost, and the token scan's way wherever this path stops."""

from __future__ import annotations

import sys

import pytest

from celerylint.facts import lowering_excepts, parse_quietly
from celerylint.facts.lowering_results import Lowering
from celerylint.facts.syntax import lower

pytestmark = pytest.mark.skipif(
    sys.version_info >= (3, 14), reason="this Python reads 3.14 syntax itself"
)


def _error(source: str) -> SyntaxError:
    with pytest.raises(SyntaxError) as raised:
        parse_quietly(source)
    return raised.value


def _as_scanned(lowering: Lowering) -> tuple[object, ...]:
    return lowering.source, lowering.features, lowering.edits


MENDED = [
    "try:\n    pass\nexcept A, B:\n    pass\n",
    "try:\n    pass\nexcept* A, B:\n    pass\n",
    "try:\n    pass\nexcept * A , B :  # two\n    pass\n",
    "try: pass\nexcept f(a, b), B.c, C[0]: pass\n",
    "def f():\n    try:\n        pass\n    except A,B:\n        pass\n",
    "try:\r\n    pass\r\nexcept A, B:\r\n    pass\r\nexcept C, D:\r\n    pass\r\n",
    "x = 'é'\ntry:\n    pass\nexcept A, B:\n    pass\nexcept (C, D):\n    pass\n"
    "try:\n    pass\nexcept E, F:\n    pass\n",
]


@pytest.mark.parametrize("source", MENDED)
def test_groups_are_mended_as_the_token_scan_would(source: str) -> None:
    mended = lowering_excepts.parenthesize_excepts(source, _error(source))
    assert mended is not None and mended.tree is not None
    assert _as_scanned(mended) == _as_scanned(lower(source))  # no error given: token scan
    assert _as_scanned(lower(source, error=_error(source))) == _as_scanned(mended)


STOPPED = {
    # 3.14 rejects it too: nothing is rewritten.
    "bound": "try:\n    pass\nexcept A, B as e:\n    pass\n",
    # Continued on the next line: the error spans two rows.
    "continued": "try:\n    pass\nexcept A, \\\n        B:\n    pass\n",
    # The parser's offsets on a line with other characters than ASCII.
    "not ascii": "try:\n    pass\nexcept A, B:  # é\n    pass\n",
    # Something else is newer, after the group (a 3.14 template string).
    "t-string": "try:\n    pass\nexcept A, B:\n    pass\nx = t'{y}'\n",
    # More groups than re-parsing is worth.
    "many": "".join(
        f"try:\n    pass\nexcept A{i}, B:\n    pass\n"
        for i in range(lowering_excepts.MAX_GROUPS + 1)
    ),
}


@pytest.mark.parametrize("source", STOPPED.values(), ids=STOPPED.keys())
def test_other_shapes_go_the_token_scans_way(source: str) -> None:
    assert lowering_excepts.parenthesize_excepts(source, _error(source)) is None
    assert _as_scanned(lower(source, error=_error(source))) == _as_scanned(lower(source))


def test_an_error_about_something_else_is_not_mended() -> None:
    source = "x = (\n"
    assert lowering_excepts.parenthesize_excepts(source, _error(source)) is None


def test_the_mended_group_keeps_the_users_positions() -> None:
    from celerylint.facts import extract_source

    source = "from celery import shared_task\n\n@shared_task\ndef t():\n    try:\n        pass\n"
    source += "    except ValueError, KeyError: t.delay()\n"
    facts = extract_source(source.encode(), "m", False)
    assert facts.error is None
    # The call after the group is where it is in the user's text, not two columns on.
    (dispatch,) = facts.dispatches
    assert (dispatch.span.line, dispatch.span.col) == (7, source.splitlines()[6].index("t.delay"))
