"""Whole-run replay: an unchanged project is answered from the record, any change recomputes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from celerylint.cli import main
from tests.test_cache import TASKS, project


def run(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[list, int]:
    """Findings as (code, file, row), and how many runs were replayed so far."""
    main(["check", "--output-format", "json", *extra, str(root)])
    out = json.loads(capsys.readouterr().out)
    return sorted((f["code"], Path(f["filename"]).name, f["location"]["row"]) for f in out), len(
        list((root / ".celerylint_cache").glob("run-*.json"))
    )


def test_unchanged_project_is_replayed_identically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    main(["check", "--output-format", "json", "--no-cache", str(root)])
    cold = capsys.readouterr().out
    main(["check", "--output-format", "json", str(root)])
    recorded = capsys.readouterr().out
    main(["check", "--output-format", "json", str(root)])
    replayed = capsys.readouterr().out
    assert cold == recorded == replayed
    assert len(list((root / ".celerylint_cache").glob("run-*.json"))) == 1


def _edit_task(root: Path) -> None:
    (root / "proj" / "tasks.py").write_text(TASKS.replace("max_retries=None", "max_retries=3"))


def _add_task_module(root: Path) -> None:
    (root / "proj" / "more.py").write_text(TASKS.replace("a(", "b(").replace("a.", "b."))


def _ignore_task_module(root: Path) -> None:
    (root / ".gitignore").write_text("proj/tasks.py\n")
    (root / ".git").mkdir()


def _delete_task_module(root: Path) -> None:
    (root / "proj" / "tasks.py").unlink()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_edit_task, []),
        # The new module is in no worker's `include` either (task-module-not-imported).
        (
            _add_task_module,
            [("CL401", "more.py", 4), ("CL401", "tasks.py", 4), ("CL605", "more.py", 5)],
        ),
        (_ignore_task_module, []),
        (_delete_task_module, []),
    ],
)
def test_any_change_is_computed_again(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[Path], None],
    expected: list[tuple[str, str, int]],
) -> None:
    root = project(tmp_path)
    assert run(root, capsys)[0] == [("CL401", "tasks.py", 4)]
    change(root)
    assert run(root, capsys)[0] == expected


def test_gitignore_edited_in_place_is_computed_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    (root / ".git").mkdir()
    (root / ".gitignore").write_text("*.log\n")
    assert run(root, capsys)[0] == [("CL401", "tasks.py", 4)]
    (root / ".gitignore").write_text("proj/tasks.py\n")
    assert run(root, capsys)[0] == []


def test_selection_and_scope_have_their_own_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    assert run(root, capsys)[0] == [("CL401", "tasks.py", 4)]
    assert run(root, capsys, "--select", "CL101")[0] == []
    assert run(root, capsys)[0] == [("CL401", "tasks.py", 4)]
    main(["check", "--output-format", "json", str(root / "proj" / "celery.py")])
    assert json.loads(capsys.readouterr().out) == []
