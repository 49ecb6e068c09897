"""The CLI as a CI gate: paths, roots, exit codes and fix reports that can be trusted.

Each test runs the real command line (`celerylint.cli.main`) on a small project.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from celerylint.cli import main

CELERY_APP = """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
app.conf.accept_content = ["json", "pickle"]
app.conf.task_time_limit = 300
"""

TASKS = "from proj.celery import app\n\n\n@app.task(time_limit=10)\ndef work():\n    return 1\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def project(root: Path) -> Path:
    """A git work tree with one finding (CL101 in proj/celery.py)."""
    (root / ".git").mkdir(parents=True)
    return write(
        root, {"proj/__init__.py": "", "proj/celery.py": CELERY_APP, "proj/tasks.py": TASKS}
    )


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict], str]:
    code = main(["check", "--no-cache", "--output-format", "json", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def codes(findings: list[dict]) -> list[tuple[str, str]]:
    return [(Path(f["filename"]).name, f["code"]) for f in findings]


# -- 1. paths with `..` ------------------------------------------------------------


@pytest.mark.parametrize(
    ("cwd", "given", "expected"),
    [
        ("proj", "..", [("celery.py", "CL101")]),
        ("proj", "../proj", [("celery.py", "CL101")]),
        (".", "proj/../proj/celery.py", [("celery.py", "CL101")]),
        (".", "proj/../proj/tasks.py", []),
    ],
)
def test_paths_with_dot_dot_are_checked(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    cwd: str,
    given: str,
    expected: list[tuple[str, str]],
) -> None:
    project(tmp_path)
    monkeypatch.chdir(tmp_path / cwd)
    code, findings, _ = run_json(capsys, given)
    assert codes(findings) == expected
    assert code == (1 if expected else 0)


# -- 2. missing paths and empty directories --------------------------------------------


def test_missing_path_next_to_a_valid_one_exits_2_and_checks_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, findings, err = run_json(capsys, "nonexistent", "proj/tasks.py")
    assert code == 2
    assert findings == []
    assert "celerylint: error: nonexistent: no such file or directory" in err
    code, findings, err = run_json(capsys, "nonexistent", "proj/celery.py")
    assert code == 2
    assert codes(findings) == [("celery.py", "CL101")]


def test_directory_without_python_files_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path)
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    code, findings, err = run_json(capsys, "empty")
    assert (code, findings) == (0, [])
    assert f"warning: {tmp_path / 'empty'}: no Python files found" in err
    code, findings, err = run_json(capsys, "empty", "proj")
    assert code == 1 and codes(findings) == [("celery.py", "CL101")]
    assert "no Python files found" in err and "proj: no Python" not in err
