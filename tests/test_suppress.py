from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import pytest

from celerylint.diagnostics import Applicability, Diagnostic, Edit, Severity, Span
from celerylint.facts.schema import Suppression
from celerylint.facts.suppressions import find_suppressions
from celerylint.rules.meta import BY_CODE
from celerylint.suppress import apply_suppressions

PATH = "/project/app/tasks.py"


def diag(code: str, line: int, col: int = 0, path: str = PATH) -> Diagnostic:
    meta = BY_CODE[code]
    return Diagnostic(
        code=code,
        name=meta.name,
        message=f"{meta.name} here",
        path=path,
        span=Span(line, col, line, col + 1),
        severity=meta.severity,
    )


def everything(code: str) -> bool:
    return True


def check(
    source: str,
    diagnostics: Sequence[Diagnostic],
    selected: Callable[[str], bool] = everything,
) -> list[Diagnostic]:
    return apply_suppressions(diagnostics, {PATH: find_suppressions(source)}, selected)


def summary(diagnostics: Sequence[Diagnostic]) -> list[tuple[str, int, str]]:
    return [(d.code, d.span.line, d.message) for d in diagnostics]


def apply_edits(source: str, edits: Sequence[Edit]) -> str:
    lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", source)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    result = source
    for edit in sorted(edits, key=lambda e: e.span, reverse=True):
        start = starts[edit.span.line - 1] + edit.span.col
        end = starts[edit.span.end_line - 1] + edit.span.end_col
        result = result[:start] + edit.content + result[end:]
    return result


def fixed(source: str, diagnostic: Diagnostic) -> str:
    assert diagnostic.fix is not None
    assert diagnostic.fix.applicability == Applicability.SAFE
    return apply_edits(source, diagnostic.fix.edits)


# --- find_suppressions ----------------------------------------------------------------


def test_no_directive_means_no_work() -> None:
    assert find_suppressions("x = 1  # noqa: E501\ny = 2  # type: ignore\n") == []


def test_single_code() -> None:
    source = 'app.conf.accept_content = ["pickle"]  # celerylint: ignore[CL101]\n'
    (found,) = find_suppressions(source)
    start = source.index("#")
    assert found.line == 1
    assert found.names == ("CL101",)
    assert found.span == Span(1, start, 1, len(source) - 1)
    assert found.name_spans == (Span(1, source.index("CL101"), 1, source.rindex("]")),)


@pytest.mark.parametrize(
    ("comment", "names"),
    [
        ("# celerylint: ignore[CL101]", ("CL101",)),
        ("#celerylint:ignore[cl101]", ("cl101",)),
        ("# celerylint: ignore [CL101]", ("CL101",)),
        ("# celerylint: ignore[pickle-accepted, CL201]", ("pickle-accepted", "CL201")),
        ("# celerylint: ignore[ CL101 ,CL201, ]", ("CL101", "CL201")),
        ("# noqa: E501  # celerylint: ignore[CL101]", ("CL101",)),
        ("# type: ignore[attr-defined] # celerylint: ignore[CL101]", ("CL101",)),
        ("# celerylint: ignore[CL101] because the broker is private", ("CL101",)),
        ("# celerylint: ignore", ()),
        ("# celerylint: ignore[]", ()),
        ("# celerylint: ignore CL101", ()),
        ("# celerylint: ignore[CL101", ()),
    ],
)
def test_syntax_forms(comment: str, names: tuple[str, ...]) -> None:
    (found,) = find_suppressions(f"x = 1  {comment}\n")
    assert found.names == names
    for name, span in zip(found.names, found.name_spans, strict=True):
        assert f"x = 1  {comment}"[span.col : span.end_col] == name


@pytest.mark.parametrize(
    "source",
    [
        "x = 1  # noqa\n",
        "x = 1  # type: ignore\n",
        "x = 1  # celerylint: ignored[CL101]\n",
        "x = 1  # celerylint: ignore-file\n",
        "x = 1  # see celerylint: ignore[CL101] in the docs\n",
        'x = "# celerylint: ignore[CL101]"\n',
        "x = '''\n# celerylint: ignore[CL101]\n'''\n",
        'def f():\n    """Use `# celerylint: ignore[CL101]` to silence it."""\n',
    ],
)
def test_text_that_is_not_a_directive(source: str) -> None:
    assert find_suppressions(source) == []


def test_several_directives_on_several_lines() -> None:
    source = (
        "a = 1  # celerylint: ignore[CL101]\n"
        "b = '# celerylint: ignore[CL999]'  # celerylint: ignore[CL201]\n"
        "c = 3\n"
        "d = 4  # celerylint: ignore[CL301]  # celerylint: ignore[CL302]\n"
    )
    found = find_suppressions(source)
    assert [(s.line, s.names) for s in found] == [
        (1, ("CL101",)),
        (2, ("CL201",)),
        (4, ("CL301",)),
        (4, ("CL302",)),
    ]


def test_rows_follow_ast_line_breaks() -> None:
    source = "a = 1\r\nb = 2\rc = 3  # celerylint: ignore[CL101]\x0c\nd = 4\n"
    (found,) = find_suppressions(source)
    assert found.line == 3


@pytest.mark.parametrize(
    "source",
    [
        # Unclosed bracket: tokenize reaches EOF inside a statement.
        "x = call(\n    1,  # celerylint: ignore[CL101]\n",
        # Unterminated triple-quoted string after the comment.
        "x = 1  # celerylint: ignore[CL101]\ny = '''\n# celerylint: ignore[CL999]\n",
        # Inconsistent dedent.
        "if x:\n        y = 1\n    z = 2  # celerylint: ignore[CL101]\n",
    ],
)
def test_broken_source_still_works_and_strings_still_do_not_count(source: str) -> None:
    found = find_suppressions(source)
    assert [(s.names, source.splitlines()[s.line - 1][s.span.col]) for s in found] == [
        (("CL101",), "#")
    ]


def test_fallback_scanner_skips_string_content() -> None:
    source = (
        "x = (\n"
        "    'a # celerylint: ignore[CL999]',  # celerylint: ignore[CL101]\n"
        '    "it\'s # celerylint: ignore[CL998]",\n'
        "    '\\' # celerylint: ignore[CL997]',\n"
    )
    assert [(s.line, s.names) for s in find_suppressions(source)] == [(2, ("CL101",))]


def test_find_never_raises_on_garbage() -> None:
    for source in ["\x00# celerylint: ignore[", "'''# celerylint:", "\\\n# celerylint: ignore["]:
        find_suppressions(source)


# --- apply_suppressions ---------------------------------------------------------------


def test_code_and_name_and_case_all_silence() -> None:
    source = (
        "a = 1  # celerylint: ignore[CL101]\n"
        "b = 2  # celerylint: ignore[pickle-accepted]\n"
        "c = 3  # celerylint: ignore[cl101]\n"
        "d = 4  # celerylint: ignore[Pickle-Accepted]\n"
    )
    assert check(source, [diag("CL101", line) for line in range(1, 5)]) == []


def test_only_the_named_rule_on_that_line_is_silenced() -> None:
    source = "a = 1  # celerylint: ignore[CL101]\nb = 2\n"
    diagnostics = [diag("CL101", 1), diag("CL201", 1), diag("CL101", 2)]
    assert check(source, diagnostics) == [diagnostics[1], diagnostics[2]]


def test_multiple_names_silence_several_rules() -> None:
    source = "a = 1  # celerylint: ignore[pickle-accepted, CL201]\n"
    assert check(source, [diag("CL101", 1, 0), diag("CL201", 1, 4)]) == []


def test_other_tools_comments_do_not_silence() -> None:
    source = "a = 1  # noqa\nb = 2  # noqa: CL101\nc = 3  # type: ignore\n"
    diagnostics = [diag("CL101", 1), diag("CL101", 2), diag("CL101", 3)]
    assert check(source, diagnostics) == diagnostics


def test_suppression_in_a_string_does_not_silence() -> None:
    source = 'a = "# celerylint: ignore[CL101]"\n'
    assert check(source, [diag("CL101", 1)]) == [diag("CL101", 1)]


def test_suppressions_are_per_file() -> None:
    source = "a = 1  # celerylint: ignore[CL101]\n"
    other = diag("CL101", 1, path="/project/app/other.py")
    assert check(source, [diag("CL101", 1), other]) == [other]


def test_unused_suppression_is_reported_with_a_fix() -> None:
    source = "a = 1  # celerylint: ignore[CL101]\n"
    (unused,) = check(source, [])
    assert unused.code == "CL001"
    assert unused.name == "unused-suppression"
    assert unused.message == "Unused suppression for CL101 [pickle-accepted]"
    assert unused.severity == Severity.WARNING
    assert unused.path == PATH
    assert unused.span == Span(1, source.index("CL101"), 1, source.index("]"))
    assert fixed(source, unused) == "a = 1\n"


def test_unused_name_written_as_rule_name_reports_code_and_name() -> None:
    source = "a = 1  # celerylint: ignore[Missing-Time-Limit]\n"
    (unused,) = check(source, [])
    assert unused.message == "Unused suppression for CL201 [missing-time-limit]"


def test_partly_used_suppression_reports_only_the_unused_name() -> None:
    source = "a = 1  # celerylint: ignore[CL101, CL201]\n"
    (unused,) = check(source, [diag("CL101", 1)])
    assert unused.message == "Unused suppression for CL201 [missing-time-limit]"
    assert fixed(source, unused) == "a = 1  # celerylint: ignore[CL101]\n"


def test_fix_removes_first_of_two_names() -> None:
    source = "a = 1  # celerylint: ignore[CL101, CL201]\n"
    (unused,) = check(source, [diag("CL201", 1)])
    assert unused.message == "Unused suppression for CL101 [pickle-accepted]"
    assert fixed(source, unused) == "a = 1  # celerylint: ignore[CL201]\n"


def test_fix_removes_middle_of_three_names() -> None:
    source = "a = 1  # celerylint: ignore[CL101,CL201 ,  CL301]\n"
    (unused,) = check(source, [diag("CL101", 1), diag("CL301", 1)])
    assert fixed(source, unused) == "a = 1  # celerylint: ignore[CL101,CL301]\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a = 1  # celerylint: ignore[CL101]\n", "a = 1\n"),
        ("a = 1  # celerylint: ignore[CL101]   \r\nb = 2\r\n", "a = 1\r\nb = 2\r\n"),
        ("a = 1  # celerylint: ignore[CL101]", "a = 1"),
        ("a = 1  # noqa: E501  # celerylint: ignore[CL101]\n", "a = 1  # noqa: E501\n"),
        ("a = 1  # celerylint: ignore[CL101]  # noqa: E501\n", "a = 1  # noqa: E501\n"),
        (
            "a = 1  # celerylint: ignore[CL101]  because reasons\n",
            "a = 1  # because reasons\n",
        ),
        ("x = 0\n    # celerylint: ignore[CL101]\ny = 1\n", "x = 0\ny = 1\n"),
        ("x = 0\n# celerylint: ignore[CL101]", "x = 0\n"),
        (
            "x = 0\n    # celerylint: ignore[CL101]  # keep me\n",
            "x = 0\n    # keep me\n",
        ),
    ],
)
def test_fix_removes_the_only_name_with_its_comment(source: str, expected: str) -> None:
    unused = [d for d in check(source, []) if d.code == "CL001"]
    assert len(unused) == 1
    assert unused[0].fix is not None
    assert unused[0].fix.message == "Remove unused suppression comment"
    assert fixed(source, unused[0]) == expected


def test_no_unused_report_for_rules_not_selected() -> None:
    source = "a = 1  # celerylint: ignore[CL101, CL201]\n"
    result = check(source, [], selected=lambda code: code != "CL101")
    assert summary(result) == [("CL001", 1, "Unused suppression for CL201 [missing-time-limit]")]


def test_nothing_reported_when_cl001_and_cl002_not_selected() -> None:
    source = "a = 1  # celerylint: ignore[CL101, CL999]\nb = 2  # celerylint: ignore\n"
    result = check(source, [], selected=lambda code: code not in ("CL001", "CL002"))
    assert result == []


def test_duplicate_name_is_unused() -> None:
    source = "a = 1  # celerylint: ignore[CL101, pickle-accepted]\n"
    (unused,) = check(source, [diag("CL101", 1)])
    assert unused.message == "Unused suppression for CL101 [pickle-accepted] (duplicate)"
    assert unused.span.col == source.index("pickle-accepted")
    assert fixed(source, unused) == "a = 1  # celerylint: ignore[CL101]\n"


def test_unknown_rule_is_invalid() -> None:
    source = "a = 1  # celerylint: ignore[CL999, pickle-accepted]\n"
    (invalid,) = check(source, [diag("CL101", 1)])
    assert invalid.code == "CL002"
    assert invalid.name == "invalid-suppression"
    assert invalid.message == 'Unknown rule "CL999" in suppression'
    assert invalid.severity == Severity.ERROR
    assert invalid.span == Span(1, source.index("CL999"), 1, source.index("CL999") + 5)
    assert invalid.fix is None


def test_unknown_rule_name_is_invalid_even_if_rule_not_selected() -> None:
    source = "a = 1  # celerylint: ignore[pickle-acepted]\n"
    result = check(source, [], selected=lambda code: code == "CL002")
    assert summary(result) == [("CL002", 1, 'Unknown rule "pickle-acepted" in suppression')]


@pytest.mark.parametrize(
    "comment",
    ["# celerylint: ignore", "# celerylint: ignore[]", "# celerylint: ignore CL101"],
)
def test_bare_ignore_is_invalid(comment: str) -> None:
    source = f"a = 1  {comment}\n"
    # Silences nothing: a suppression must name what it silences.
    kept, invalid = check(source, [diag("CL101", 1)])
    assert kept == diag("CL101", 1)
    assert invalid.code == "CL002"
    assert invalid.message.startswith("Suppression names no rule")
    assert invalid.span.line == 1
    assert invalid.span.col == source.index("#")
    assert invalid.fix is None


def test_unused_suppression_can_itself_be_suppressed() -> None:
    source = "a = 1  # celerylint: ignore[CL101, CL001]\n"
    assert check(source, []) == []


def test_unneeded_cl001_name_is_not_reported() -> None:
    source = "a = 1  # celerylint: ignore[CL101, unused-suppression]\n"
    assert check(source, [diag("CL101", 1)]) == []


def test_invalid_suppression_can_be_suppressed_by_name() -> None:
    source = "a = 1  # celerylint: ignore[CL999, invalid-suppression]\n"
    assert check(source, []) == []
    source = "a = 1  # celerylint: ignore  # celerylint: ignore[CL002]\n"
    assert check(source, []) == []


def test_unneeded_cl002_name_is_unused() -> None:
    source = "a = 1  # celerylint: ignore[CL101, CL002]\n"
    (unused,) = check(source, [diag("CL101", 1)])
    assert unused.message == "Unused suppression for CL002 [invalid-suppression]"


def test_output_is_sorted_and_mixes_kept_and_new() -> None:
    source = "a = 1\nb = 2  # celerylint: ignore[CL201]\nc = 3  # celerylint: ignore[CL777]\n"
    diagnostics = [diag("CL101", 1), diag("CL101", 3), diag("CL201", 2)]
    result = check(source, diagnostics)
    assert result == sorted(result, key=Diagnostic.sort_key)
    assert summary(result) == [
        ("CL101", 1, "pickle-accepted here"),
        ("CL101", 3, "pickle-accepted here"),
        ("CL002", 3, 'Unknown rule "CL777" in suppression'),
    ]


def test_hand_built_suppression_without_positions() -> None:
    span = Span(1, 7, 1, 34)
    suppression = Suppression(line=1, span=span, names=("CL101", "CL201"))
    result = apply_suppressions([diag("CL101", 1)], {PATH: [suppression]}, everything)
    (unused,) = result
    assert unused.code == "CL001"
    assert unused.span == span
