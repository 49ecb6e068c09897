"""Adopting celerylint in a legacy codebase: baselines and --add-suppressions, via the CLI."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from celerylint.cli import main
from celerylint.diagnostics import Diagnostic, Span
from celerylint.fingerprint import fingerprints
from celerylint.report.lines import SourceCache

CELERY_PY = """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0", include=["proj.tasks", "proj.tricky"])
app.conf.accept_content = ["json", "pickle"]
"""

TASKS_PY = """\
from proj.celery import app


@app.task
def one():
    pass


@app.task
def two():  # noqa: D103
    pass


@app.task
def three():  # celerylint: ignore[CL101] -- reviewed
    pass
"""

TRICKY_PY = '''\
from proj.celery import app

app.conf.accept_content = ["pickle", """
json"""]


@app.task
def four():
    pass
'''

CONTINUED_PY = """\
from proj.celery import app

app.conf.accept_content = ["pickle", \\
    "json"]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    write(
        tmp_path, {"proj/__init__.py": "", "proj/celery.py": CELERY_PY, "proj/tasks.py": TASKS_PY}
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CELERYLINT_OUTPUT_FORMAT", raising=False)
    return tmp_path


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def findings(
    capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[tuple[str, str, int]]]:
    code = main(["check", "--no-cache", "--output-format", "json", *args])
    found = json.loads(capsys.readouterr().out)
    root = Path.cwd()
    return code, [
        (f["code"], Path(f["filename"]).relative_to(root).as_posix(), f["location"]["row"])
        for f in found
    ]


def test_baseline_accepts_todays_findings_and_reports_new_ones(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, before = findings(capsys)
    assert code == 1 and len(before) == 5  # CL101, CL201 x3, CL001 on three()
    assert main(["check", "--no-cache", "--write-baseline", "baseline.json"]) == 0
    assert "Wrote 5 findings to the baseline" in capsys.readouterr().err
    stored = json.loads((project / "baseline.json").read_text(encoding="utf-8"))
    assert stored["version"] == 1
    assert {e["path"] for e in stored["findings"]} == {"proj/celery.py", "proj/tasks.py"}
    assert findings(capsys, "--baseline", "baseline.json") == (0, [])

    # Unrelated lines move every finding: still accepted.
    tasks = project / "proj" / "tasks.py"
    tasks.write_text(
        '"""Tasks."""\n\nimport os\n' + tasks.read_text(encoding="utf-8"), encoding="utf-8"
    )
    assert findings(capsys, "--baseline", "baseline.json") == (0, [])

    # A new finding is reported alone.
    tasks.write_text(
        tasks.read_text(encoding="utf-8") + "\n\n@app.task\ndef four():\n    pass\n",
        encoding="utf-8",
    )
    assert findings(capsys, "--baseline", "baseline.json") == (1, [("CL201", "proj/tasks.py", 23)])
    # Editing an accepted line makes its finding new again.
    tasks.write_text(
        tasks.read_text(encoding="utf-8").replace("def one():", "def one(x=None):"),
        encoding="utf-8",
    )
    assert findings(capsys, "--baseline", "baseline.json")[1] == [
        ("CL201", "proj/tasks.py", 8),
        ("CL201", "proj/tasks.py", 23),
    ]


def test_fingerprints_tell_identical_lines_apart_by_occurrence(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("x = 1\ny = 2\n  x = 1\n", encoding="utf-8")

    def at(row: int, code: str = "CL201") -> Diagnostic:
        return Diagnostic(code, "n", "m", str(path), Span(row, 0, row, 1))

    first, other, second, other_rule = fingerprints(
        [at(1), at(2), at(3), at(3, "CL202")], SourceCache()
    )
    assert len({first, other, second, other_rule}) == 4
    # Only the order among identical lines counts, not the row.
    path.write_text("\n\nx = 1\n", encoding="utf-8")
    assert fingerprints([at(3)], SourceCache()) == [first]


def test_baseline_matches_from_another_directory(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["check", "--no-cache", "--write-baseline", "baseline.json"]) == 0
    capsys.readouterr()
    monkeypatch.chdir(project / "proj")
    code = main(["check", "--no-cache", "--baseline", "../baseline.json", "."])
    assert code == 0, capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a celerylint baseline"),
        ('{"version": 99, "findings": []}', "baseline version 99"),
        ('{"version": 1, "findings": [{"code": "CL101"}]}', "not a celerylint baseline"),
    ],
)
def test_unreadable_baseline_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    (project / "bad.json").write_text(content, encoding="utf-8")
    assert main(["check", "--no-cache", "--baseline", "bad.json"]) == 2
    assert message in capsys.readouterr().err
    assert main(["check", "--no-cache", "--baseline", "missing.json"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_add_suppressions_silences_every_finding(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--no-cache", "--add-suppressions", "--reason", "legacy"]) == 0
    assert "Added 4 suppressions in 2 files." in capsys.readouterr().err
    assert (project / "proj" / "celery.py").read_text(encoding="utf-8").splitlines()[3] == (
        'app.conf.accept_content = ["json", "pickle"]  # celerylint: ignore[CL101] -- legacy'
    )
    lines = (project / "proj" / "tasks.py").read_text(encoding="utf-8").splitlines()
    assert lines[4] == "def one():  # celerylint: ignore[CL201] -- legacy"
    # Another tool's comment stays; ours follows it.
    assert lines[9] == "def two():  # noqa: D103  # celerylint: ignore[CL201] -- legacy"
    # Merged into the existing directive, whose reason stays.
    assert lines[14] == "def three():  # celerylint: ignore[CL101, CL201] -- reviewed"
    # What is left: the stale CL101 name on three(), which --fix removes (not a suppression's job).
    assert findings(capsys) == (1, [("CL001", "proj/tasks.py", 15)])
    assert main(["check", "--no-cache", "--fix", "-q"]) == 0
    capsys.readouterr()
    assert findings(capsys) == (0, [])


def test_add_suppressions_never_breaks_strings_or_continuations(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project, {"proj/tricky.py": TRICKY_PY})
    _, before = findings(capsys, "proj/tricky.py")
    assert {row for _, _, row in before} == {3, 8}
    assert main(["check", "--no-cache", "--add-suppressions", "proj/tricky.py"]) == 0
    err = capsys.readouterr().err
    lines = (project / "proj" / "tricky.py").read_text(encoding="utf-8").splitlines()
    # Row 3 ends inside the string: left alone, and reported.
    assert "tricky.py:3: the line ends inside a string or continues with a backslash" in err
    assert lines[2] == 'app.conf.accept_content = ["pickle", """'
    assert lines[7] == "def four():  # celerylint: ignore[CL201]"
    assert "Added 1 suppression in 1 file." in err

    write(project, {"proj/tricky.py": CONTINUED_PY})
    assert {row for _, _, row in findings(capsys, "proj/tricky.py")[1]} == {3}
    assert main(["check", "--no-cache", "--add-suppressions", "proj/tricky.py"]) == 0
    assert "tricky.py:3: the line ends inside" in capsys.readouterr().err
    assert (project / "proj" / "tricky.py").read_text(encoding="utf-8") == CONTINUED_PY


def test_add_suppressions_keeps_line_endings_and_encoding(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "proj" / "celery.py"
    path.write_bytes(b"\xef\xbb\xbf" + CELERY_PY.replace("\n", "\r\n").encode())
    assert main(["check", "--no-cache", "--add-suppressions", "proj/celery.py"]) == 0
    capsys.readouterr()
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == CELERY_PY.count("\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert b'"pickle"]  # celerylint: ignore[CL101]\r\n' in data


def test_adoption_flags_that_do_not_combine_are_usage_errors(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--reason", "x"]) == 2
    assert main(["check", "--add-suppressions", "--fix"]) == 2
    assert main(["check", "--write-baseline", "b.json", "--fix"]) == 2
    assert "--reason only goes with --add-suppressions" in capsys.readouterr().err
