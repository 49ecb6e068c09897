from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from celerylint.diagnostics import (
    Applicability,
    AppliedFix,
    Diagnostic,
    Edit,
    Fix,
    Related,
    Severity,
    Span,
)
from celerylint.report import (
    DOCS_URL_TEMPLATE,
    FORMATS,
    ReportContext,
    display_path,
    render,
    render_statistics,
)

REPO_ROOT = Path(__file__).resolve().parents[1]

TASKS_PY = """\
from celery import Celery

app = Celery("proj")
app.conf.accept_content = ["pickle", "json"]


@app.task
def add(x, y):
    return x + y
"""

SETTINGS_PY = """\
CELERY_RESULT_EXPIRES = (
    None
)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / ".git").mkdir()  # a repository: github paths are relative to its root
    (root / "app" / "tasks.py").write_text(TASKS_PY, encoding="utf-8")
    (root / "app" / "settings.py").write_text(SETTINGS_PY, encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # rich reads these; a developer's or CI's environment must not change the output.
    for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def sample(root: Path) -> list[Diagnostic]:
    tasks = str(root / "app" / "tasks.py")
    settings = str(root / "app" / "settings.py")
    producer = str(root.parent / "producer" / "send.py")
    return [
        Diagnostic(
            code="CL101",
            name="pickle-accepted",
            message="Pickle is accepted from the broker",
            path=tasks,
            span=Span(4, 27, 4, 35),
            fix=Fix(
                'Remove "pickle" from accept_content',
                Applicability.UNSAFE,
                (Edit(tasks, Span(4, 27, 4, 37), ""),),
            ),
            related=(Related(producer, Span(2, 4, 2, 9), "pickle is sent here"),),
        ),
        Diagnostic(
            code="CL201",
            name="missing-time-limit",
            message="Task `add` has no hard time limit",
            path=tasks,
            span=Span(8, 4, 8, 7),
            severity=Severity.WARNING,
        ),
        Diagnostic(
            code="CL502",
            name="result-expires-disabled",
            message="Results never expire",
            path=settings,
            span=Span(1, 24, 3, 1),
            severity=Severity.WARNING,
            fix=Fix(
                "Expire results after one day",
                Applicability.SAFE,
                (Edit(settings, Span(1, 24, 3, 1), "86400"),),
            ),
        ),
    ]


def context(root: Path, **changes: object) -> ReportContext:
    ctx = ReportContext(cwd=root, files_checked=2, fixable=1, unsafe_fixable=1, color=False)
    for key, value in changes.items():
        setattr(ctx, key, value)
    return ctx


def rendered(diagnostics: list[Diagnostic], fmt: str, ctx: ReportContext) -> str:
    out = io.StringIO()
    render(diagnostics, fmt, out, ctx)
    return out.getvalue()


def test_formats_are_listed() -> None:
    assert FORMATS == (
        "full",
        "concise",
        "grouped",
        "json",
        "json-lines",
        "github",
        "gitlab",
        "sarif",
        "junit",
        "pylint",
    )


HIDDEN = "1 hidden fix can be enabled with the `--unsafe-fixes` option"


def test_full_output_exact(project: Path) -> None:
    producer = project.parent / "producer" / "send.py"
    expected = f"""\
app/tasks.py:4:28: CL101 [pickle-accepted] Pickle is accepted from the broker
  |
3 | app = Celery("proj")
4 | app.conf.accept_content = ["pickle", "json"]
  |                            ^^^^^^^^
5 |
  |
  = help: Remove "pickle" from accept_content (unsafe)
  = note: {producer}:2:5: pickle is sent here

app/tasks.py:8:5: CL201 [missing-time-limit] Task `add` has no hard time limit
  |
7 | @app.task
8 | def add(x, y):
  |     ^^^
9 |     return x + y
  |

app/settings.py:1:25: CL502 [*] [result-expires-disabled] Results never expire
  |
1 | CELERY_RESULT_EXPIRES = (
  |                         ^
2 |     None
  |
  = help: Expire results after one day

Found 3 errors.
[*] 1 fixable with `celerylint check --fix` ({HIDDEN}).
"""
    assert rendered(sample(project), "full", context(project)) == expected


def test_full_without_color_flag_and_not_a_tty_has_no_escapes(project: Path) -> None:
    output = rendered(sample(project), "full", context(project, color=None))
    assert "\x1b" not in output
    assert output == rendered(sample(project), "full", context(project, color=False))


def test_full_color_false_beats_force_color(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b" not in rendered(sample(project), "full", context(project, color=False))


def test_full_color_true_colors_even_with_no_color_and_dumb_terminal(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")
    output = rendered(sample(project), "full", context(project, color=True))
    assert "\x1b[1;31mCL101\x1b[0m" in output
    assert "\x1b[1;33mCL201\x1b[0m" in output


def test_full_auto_color_respects_no_color(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")

    class FakeTerminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = FakeTerminal()
    render(sample(project), "full", out, context(project, color=None))
    assert "\x1b[3" not in out.getvalue()


def test_full_never_wraps_long_lines(project: Path) -> None:
    long_message = " ".join(["word"] * 60)
    diagnostic = Diagnostic(
        "CL201",
        "missing-time-limit",
        long_message,
        str(project / "app" / "tasks.py"),
        Span(8, 4, 8, 7),
    )
    output = rendered([diagnostic], "full", context(project, fixable=0, unsafe_fixable=0))
    assert output.splitlines()[0] == f"app/tasks.py:8:5: CL201 [missing-time-limit] {long_message}"


def test_full_skips_frame_of_unreadable_file(project: Path) -> None:
    missing = str(project / "gone.py")
    directory = str(project / "app")
    diagnostics = [
        Diagnostic("CL000", "parse-error", "cannot read", missing, Span(3, 0, 3, 1)),
        Diagnostic(
            "CL000",
            "parse-error",
            "is a directory",
            directory,
            Span(1, 0, 1, 1),
            fix=Fix("nothing", Applicability.SAFE, ()),
        ),
    ]
    output = rendered(diagnostics, "full", context(project, fixable=0, unsafe_fixable=0))
    assert output == (
        "gone.py:3:1: CL000 [parse-error] cannot read\n"
        "\n"
        "app:1:1: CL000 [*] [parse-error] is a directory\n"
        "  = help: nothing\n"
        "\n"
        "Found 2 errors.\n"
    )


def test_full_skips_frame_of_line_past_the_end(project: Path) -> None:
    diagnostic = Diagnostic(
        "CL000",
        "parse-error",
        "unexpected EOF",
        str(project / "app" / "tasks.py"),
        Span(10, 0, 10, 0),
    )
    output = rendered([diagnostic], "full", context(project, fixable=0, unsafe_fixable=0))
    assert output == ("app/tasks.py:10:1: CL000 [parse-error] unexpected EOF\n\nFound 1 error.\n")


def test_full_frame_handles_tabs_wide_characters_and_control_characters(tmp_path: Path) -> None:
    source = tmp_path / "odd.py"
    # Old Mac line breaks count as line breaks; form feed does not.
    source.write_bytes('a = 1\r\tx = "日本" + y\x1b\nb = 2\x0c\n'.encode())
    diagnostics = [
        # `y`: after a tab (4 cells) and two double-width characters.
        Diagnostic("CL201", "missing-time-limit", "m", str(source), Span(2, 12, 2, 13)),
        # The two wide characters: four cells of carets.
        Diagnostic("CL201", "missing-time-limit", "m", str(source), Span(2, 6, 2, 8)),
        # An empty span still gets one caret.
        Diagnostic("CL201", "missing-time-limit", "m", str(source), Span(3, 0, 3, 0)),
    ]
    output = rendered(
        diagnostics, "full", ReportContext(cwd=tmp_path, files_checked=1, color=False)
    )
    assert output == (
        "odd.py:2:13: CL201 [missing-time-limit] m\n"
        "  |\n"
        "1 | a = 1\n"
        '2 |     x = "日本" + y\u241b\n'
        # The tab fills 4 cells and each wide character 2, so `y` is in cell 17.
        "  | " + " " * 17 + "^\n"
        "3 | b = 2\u240c\n"
        "  |\n"
        "\n"
        "odd.py:2:7: CL201 [missing-time-limit] m\n"
        "  |\n"
        "1 | a = 1\n"
        '2 |     x = "日本" + y\u241b\n'
        "  | " + " " * 9 + "^^^^\n"
        "3 | b = 2\u240c\n"
        "  |\n"
        "\n"
        "odd.py:3:1: CL201 [missing-time-limit] m\n"
        "  |\n"
        '2 |     x = "日本" + y\u241b\n'
        "3 | b = 2\u240c\n"
        "  | ^\n"
        "  |\n"
        "\n"
        "Found 3 errors.\n"
    )


def test_full_reads_declared_encoding_and_survives_bad_bytes(tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n")
    broken = tmp_path / "broken.py"
    broken.write_bytes(b"x = '\xff\xfe'\n")
    diagnostics = [
        Diagnostic("CL201", "missing-time-limit", "m", str(latin), Span(2, 0, 2, 4)),
        Diagnostic("CL201", "missing-time-limit", "m", str(broken), Span(1, 0, 1, 1)),
    ]
    output = rendered(
        diagnostics, "full", ReportContext(cwd=tmp_path, files_checked=2, color=False)
    )
    assert "2 | name = 'été'\n" in output
    assert "1 | x = '\ufffd\ufffd'\n" in output


def test_concise_output_exact(project: Path) -> None:
    assert rendered(sample(project), "concise", context(project)) == (
        "app/tasks.py:4:28: CL101 [pickle-accepted] Pickle is accepted from the broker\n"
        "app/tasks.py:8:5: CL201 [missing-time-limit] Task `add` has no hard time limit\n"
        "app/settings.py:1:25: CL502 [*] [result-expires-disabled] Results never expire\n"
        "Found 3 errors.\n"
        "[*] 1 fixable with `celerylint check --fix` "
        "(1 hidden fix can be enabled with the `--unsafe-fixes` option).\n"
    )


def test_concise_marks_unsafe_fixes_fixable_with_unsafe_fixes(project: Path) -> None:
    output = rendered(sample(project)[:1], "concise", context(project, unsafe_fixes=True))
    assert output.startswith("app/tasks.py:4:28: CL101 [*] [pickle-accepted] ")


def test_concise_does_not_import_rich_output_is_plain(project: Path) -> None:
    output = rendered(sample(project), "concise", context(project, color=True))
    assert "\x1b" not in output


def test_concise_makes_control_characters_visible(project: Path) -> None:
    diagnostic = Diagnostic(
        "CL002",
        "invalid-suppression",
        'Unknown rule "\x1b[31mX" in suppression',
        str(project / "app" / "tasks.py"),
        Span(1, 0, 1, 1),
    )
    output = rendered([diagnostic], "concise", context(project, fixable=0, unsafe_fixable=0))
    assert "\x1b" not in output
    assert 'Unknown rule "\u241b[31mX"' in output


@pytest.mark.parametrize(
    ("diagnostics", "changes", "expected"),
    [
        (0, {}, ["All checks passed!"]),
        (1, {}, ["Found 1 error."]),
        (2, {"fixable": 2}, ["Found 2 errors.", "[*] 2 fixable with `celerylint check --fix`."]),
        (
            2,
            {"unsafe_fixable": 2},
            [
                "Found 2 errors.",
                "No fixes available (2 hidden fixes can be enabled with the `--unsafe-fixes` "
                "option).",
            ],
        ),
        (0, {"fixed": 1}, ["All checks passed!", "Fixed 1 error."]),
        (1, {"fixed": 3}, ["Found 1 error.", "Fixed 3 errors."]),
    ],
)
def test_summary_lines(
    project: Path, diagnostics: int, changes: dict[str, int], expected: list[str]
) -> None:
    items = sample(project)[1:2] * diagnostics
    ctx = ReportContext(cwd=project, files_checked=1, color=False)
    for key, value in changes.items():
        setattr(ctx, key, value)
    assert rendered(items, "concise", ctx).splitlines()[diagnostics:] == expected
    full = rendered(items, "full", ctx).splitlines()
    assert full[-len(expected) :] == expected


@pytest.mark.parametrize(
    "changes", [{}, {"fixed": 2}, {"quiet": True}, {"fixable": 1, "unsafe_fixable": 1}]
)
@pytest.mark.parametrize("findings", ["none", "sample", "odd characters"])
def test_the_full_report_without_color_is_rich_output_without_rich(
    project: Path, changes: dict[str, object], findings: str
) -> None:
    """Written without importing rich (30 ms of a pre-commit run or a CI log), byte for
    byte as rich writes the same lines without colour."""
    from celerylint.report.full import report_lines, write_rich

    odd = project / "odd.py"
    odd.write_bytes('a = 1\r\tx = "日本" + y\x1b\u200b\nb = 2\x0c\n'.encode())
    diagnostics = {
        "none": [],
        "sample": sample(project),
        "odd characters": [
            Diagnostic("CL201", "missing-time-limit", "m\tn\x1b", str(odd), Span(2, 12, 2, 13)),
            Diagnostic("CL201", "missing-time-limit", "漢字 ✓", str(odd), Span(2, 6, 3, 1)),
        ],
    }[findings]
    ctx = ReportContext(cwd=project, files_checked=1, color=False)
    for key, value in changes.items():
        setattr(ctx, key, value)
    by_rich = io.StringIO()
    write_rich(report_lines(diagnostics, ctx), by_rich, False)
    assert rendered(diagnostics, "full", ctx) == by_rich.getvalue()


@pytest.mark.parametrize(("select", "code"), [("CL000", 0), ("CL201", 1)])
def test_a_check_without_color_does_not_import_rich(project: Path, select: str, code: int) -> None:
    script = (
        "import sys\n"
        "from celerylint.cli import main\n"
        "try:\n"
        f"    code = main(['check', '--no-cache', '--select', {select!r}, {str(project)!r}])\n"
        "finally:\n"
        "    print('RICH' if 'rich' in sys.modules else 'NO RICH', file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    # Not a terminal: no colour, as for pre-commit and CI.
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == code and proc.stderr.endswith("NO RICH\n")
    assert ("All checks passed!\n" if code == 0 else "  |\n") in proc.stdout  # a code frame


def test_show_fixes_lists_what_was_fixed(project: Path) -> None:
    fixed = [AppliedFix(d.path, d.code, d.name, d.path) for d in sample(project)]
    # A task's finding fixed by a global setting in another file.
    settings = str(project / "app" / "settings.py")
    tasks = str(project / "app" / "tasks.py")
    elsewhere = AppliedFix(settings, "CL201", "missing-time-limit", tasks)
    ctx = ReportContext(
        cwd=project,
        files_checked=2,
        fixed=5,
        color=False,
        show_fixes_list=[*fixed, fixed[2], elsewhere],
    )
    assert rendered([], "concise", ctx) == (
        "Fixed 5 errors:\n"
        "- app/settings.py:\n"
        "    1 \u00d7 CL201 (missing-time-limit), for app/tasks.py\n"
        "    2 \u00d7 CL502 (result-expires-disabled)\n"
        "- app/tasks.py:\n"
        "    1 \u00d7 CL101 (pickle-accepted)\n"
        "    1 \u00d7 CL201 (missing-time-limit)\n"
        "\n"
        "All checks passed!\n"
    )


def test_json_output_exact(project: Path) -> None:
    tasks = str(project / "app" / "tasks.py")
    producer = str(project.parent / "producer" / "send.py")
    text = rendered(sample(project)[:2], "json", context(project))
    expected = f"""\
[
  {{
    "cell": null,
    "code": "CL101",
    "cross_file_fix": null,
    "end_location": {{
      "column": 36,
      "row": 4
    }},
    "filename": {json.dumps(tasks)},
    "fix": {{
      "applicability": "unsafe",
      "edits": [
        {{
          "content": "",
          "end_location": {{
            "column": 38,
            "row": 4
          }},
          "location": {{
            "column": 28,
            "row": 4
          }}
        }}
      ],
      "message": "Remove \\"pickle\\" from accept_content"
    }},
    "location": {{
      "column": 28,
      "row": 4
    }},
    "message": "Pickle is accepted from the broker",
    "noqa_row": 4,
    "related": [
      {{
        "end_location": {{
          "column": 10,
          "row": 2
        }},
        "filename": {json.dumps(producer)},
        "location": {{
          "column": 5,
          "row": 2
        }},
        "message": "pickle is sent here"
      }}
    ],
    "rule": "pickle-accepted",
    "severity": "error",
    "url": "https://github.com/celerylint/celerylint/blob/main/docs/rules/pickle-accepted.md"
  }},
  {{
    "cell": null,
    "code": "CL201",
    "cross_file_fix": null,
    "end_location": {{
      "column": 8,
      "row": 8
    }},
    "filename": {json.dumps(tasks)},
    "fix": null,
    "location": {{
      "column": 5,
      "row": 8
    }},
    "message": "Task `add` has no hard time limit",
    "noqa_row": 8,
    "related": [],
    "rule": "missing-time-limit",
    "severity": "warning",
    "url": "https://github.com/celerylint/celerylint/blob/main/docs/rules/missing-time-limit.md"
  }}
]
"""
    assert text == expected


def test_json_round_trips_with_exactly_the_schema_keys(project: Path) -> None:
    diagnostics = sample(project)
    data = json.loads(rendered(diagnostics, "json", context(project)))
    assert len(data) == len(diagnostics)
    for item, diagnostic in zip(data, diagnostics, strict=True):
        assert set(item) == {
            "cell",
            "code",
            "cross_file_fix",
            "end_location",
            "filename",
            "fix",
            "location",
            "message",
            "noqa_row",
            "related",
            "rule",
            "severity",
            "url",
        }
        assert list(item) == sorted(item)
        assert item["filename"] == diagnostic.path
        assert item["code"] == diagnostic.code
        assert item["rule"] == diagnostic.name
        assert item["severity"] == diagnostic.severity.value
        assert item["url"] == DOCS_URL_TEMPLATE.format(name=diagnostic.name)
        assert item["location"] == {"row": diagnostic.span.line, "column": diagnostic.span.col + 1}
        assert item["end_location"] == {
            "row": diagnostic.span.end_line,
            "column": diagnostic.span.end_col + 1,
        }
        assert item["noqa_row"] == diagnostic.span.line
        cross_file = diagnostic.fix is not None and any(
            edit.path != diagnostic.path for edit in diagnostic.fix.edits
        )
        if diagnostic.fix is None or cross_file:
            assert item["fix"] is None
        else:
            # ruff's schema exactly: the edits are in the finding's file.
            assert set(item["fix"]) == {"applicability", "edits", "message"}
            for edit in item["fix"]["edits"]:
                assert set(edit) == {"content", "end_location", "location"}
        if cross_file:
            assert set(item["cross_file_fix"]) == {"applicability", "edits", "message"}
            for edit in item["cross_file_fix"]["edits"]:
                assert set(edit) == {"content", "end_location", "filename", "location"}
        else:
            assert item["cross_file_fix"] is None
        for related in item["related"]:
            assert set(related) == {"filename", "location", "end_location", "message"}


def test_json_empty_and_non_ascii(project: Path) -> None:
    assert rendered([], "json", context(project)) == "[]\n"
    diagnostic = Diagnostic(
        "CL201", "missing-time-limit", "Tâche « add »", str(project / "é.py"), Span(1, 0, 1, 1)
    )
    text = rendered([diagnostic], "json", context(project))
    assert '"message": "Tâche « add »"' in text
    assert json.loads(text)[0]["filename"] == str(project / "é.py")


def test_github_output_exact(project: Path) -> None:
    assert rendered(sample(project), "github", context(project)) == (
        "::error title=celerylint (CL101),file=app/tasks.py,line=4,col=28,endLine=4,"
        "endColumn=36::app/tasks.py:4:28: CL101 [pickle-accepted] "
        "Pickle is accepted from the broker\n"
        "::warning title=celerylint (CL201),file=app/tasks.py,line=8,col=5,endLine=8,"
        "endColumn=8::app/tasks.py:8:5: CL201 [missing-time-limit] "
        "Task `add` has no hard time limit\n"
        "::warning title=celerylint (CL502),file=app/settings.py,line=1,col=25,endLine=3,"
        "endColumn=2::app/settings.py:1:25: CL502 [result-expires-disabled] "
        "Results never expire\n"
    )


def test_github_escapes_data_and_properties(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    path = str(tmp_path / "a,b:c%.py")
    diagnostic = Diagnostic(
        "CL101", "pickle-accepted", "100% bad\r\nreally: yes, truly", path, Span(1, 0, 1, 1)
    )
    output = rendered([diagnostic], "github", ReportContext(cwd=tmp_path, files_checked=1))
    assert output == (
        "::error title=celerylint (CL101),file=a%2Cb%3Ac%25.py,line=1,col=1,endLine=1,"
        "endColumn=2::a,b:c%25.py:1:1: CL101 [pickle-accepted] 100%25 bad%0D%0Areally: yes, truly\n"
    )
    assert output.count("\n") == 1


def test_paths_relative_under_cwd_else_absolute(tmp_path: Path) -> None:
    cwd = tmp_path / "repo"
    assert display_path(str(cwd / "pkg" / "mod.py"), cwd) == os.path.join("pkg", "mod.py")
    # A sibling whose name merely starts with the cwd's name is not under it.
    sibling = str(tmp_path / "repo-old" / "mod.py")
    assert display_path(sibling, cwd) == sibling
    outside = str(tmp_path / "elsewhere.py")
    assert display_path(outside, cwd) == outside
    assert display_path(str(cwd / "x.py"), str(cwd) + os.sep) == "x.py"


@pytest.mark.parametrize("fmt", ["full", "concise", "github"])
def test_every_text_format_shows_relative_and_absolute_paths(project: Path, fmt: str) -> None:
    inside = Diagnostic(
        "CL201", "missing-time-limit", "m", str(project / "in.py"), Span(1, 0, 1, 1)
    )
    outside_path = str(project.parent / "out.py")
    outside = Diagnostic("CL201", "missing-time-limit", "m", outside_path, Span(1, 0, 1, 1))
    output = rendered([inside, outside], fmt, context(project))
    assert "in.py:1:1: CL201" in output
    assert str(project / "in.py") not in output
    assert f"{outside_path}:1:1: CL201" in output


def test_unknown_format_is_refused(project: Path) -> None:
    with pytest.raises(ValueError, match="checkstyle"):
        rendered([], "checkstyle", context(project))


def test_statistics(project: Path) -> None:
    items = sample(project)
    diagnostics = [items[1], items[0], items[1], items[2], items[1]] + [items[2]] * 9
    out = io.StringIO()
    render_statistics(diagnostics, out)
    assert out.getvalue() == (
        "10\tCL502\t[*] result-expires-disabled\n"
        " 3\tCL201\t[ ] missing-time-limit\n"
        " 1\tCL101\t[ ] pickle-accepted\n"
    )
    out = io.StringIO()
    render_statistics(diagnostics[:3], out, unsafe_fixes=True)
    assert out.getvalue() == "2\tCL201\t[ ] missing-time-limit\n1\tCL101\t[*] pickle-accepted\n"


def test_statistics_without_fixes_has_no_marker_column(project: Path) -> None:
    out = io.StringIO()
    render_statistics(sample(project)[1:2], out)
    assert out.getvalue() == "1\tCL201\tmissing-time-limit\n"
    out = io.StringIO()
    render_statistics([], out)
    assert out.getvalue() == ""


def test_importing_report_and_machine_formats_does_not_import_rich(tmp_path: Path) -> None:
    script = f"""
import io, sys
from pathlib import Path
from celerylint.diagnostics import Diagnostic, Span
from celerylint.report import ReportContext, render, render_statistics
assert "rich" not in sys.modules, "import"
d = Diagnostic("CL101", "pickle-accepted", "m", {str(tmp_path / "x.py")!r}, Span(1, 0, 1, 1))
ctx = ReportContext(cwd=Path({str(tmp_path)!r}), files_checked=1)
for fmt in ("json", "concise", "github"):
    render([d], fmt, io.StringIO(), ctx)
    assert "rich" not in sys.modules, fmt
render_statistics([d], io.StringIO())
assert "rich" not in sys.modules, "statistics"
render([d], "full", io.StringIO(), ctx)
assert "rich" in sys.modules, "full"
"""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
