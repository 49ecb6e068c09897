"""The api's typed results: what `check` and `fix` return, without the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from celerylint import api, fixer
from celerylint.config import Config, load_config
from celerylint.fixer import FixedFile, FixOptions, NotApplied

APP = 'from celery import Celery\n\napp = Celery("proj", broker="redis://r/0")\n'
TASK = "@app.task(max_retries=None)\ndef {name}():\n    raise {name}.retry()\n"
TASKS = "from proj.celery import app\n\n\n" + TASK.format(name="a") + "\n\n" + TASK.format(name="b")


def project(root: Path) -> Config:
    for name, text in {
        "proj/__init__.py": "",
        "proj/celery.py": APP,
        "proj/tasks.py": TASKS,
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return load_config(None, root).with_overrides(root=root)


def fix(root: Path, config: Config, options: FixOptions) -> fixer.FixResult:
    return api.fix([root], config, options, selected=lambda c: c == "CL401", use_cache=False)


def test_check_reports_in_scope_only(tmp_path: Path) -> None:
    config = project(tmp_path)
    everywhere = api.check([tmp_path], config, selected=lambda c: c == "CL401", use_cache=False)
    assert [(Path(d.path).name, d.span.line) for d in everywhere.diagnostics] == [
        ("tasks.py", 4),  # the `max_retries=None` keyword
        ("tasks.py", 9),
    ]
    assert everywhere.files_checked == 3 and everywhere.errors == []
    elsewhere = api.check(
        [tmp_path / "proj" / "celery.py"], config, selected=lambda c: c == "CL401", use_cache=False
    )
    assert elsewhere.diagnostics == []


def test_fix_with_diff_returns_the_diff_and_writes_nothing(tmp_path: Path) -> None:
    config = project(tmp_path)
    tasks = tmp_path / "proj" / "tasks.py"
    result = fix(tmp_path, config, FixOptions(unsafe=True, diff=True))
    assert result.files == [FixedFile(str(tasks), 2)]
    assert [d.span.line for d in result.fixed] == [4, 9]
    assert result.diff.count("+@app.task(max_retries=5)\n") == 2
    assert result.remaining.diagnostics == []  # as if written
    assert result.not_applied == []
    assert tasks.read_text() == TASKS


def test_fix_writes_and_counts_per_file(tmp_path: Path) -> None:
    config = project(tmp_path)
    tasks = tmp_path / "proj" / "tasks.py"
    result = fix(tmp_path, config, FixOptions(unsafe=True))
    assert result.files == [FixedFile(str(tasks), 2)]
    assert result.diff == ""
    assert tasks.read_text() == TASKS.replace("max_retries=None", "max_retries=5")
    assert result.remaining.diagnostics == []


def test_safe_only_leaves_unsafe_fixes_in_the_remaining_diagnostics(tmp_path: Path) -> None:
    config = project(tmp_path)
    result = fix(tmp_path, config, FixOptions())
    assert result.files == [] and result.fixed == []
    assert len(result.remaining.diagnostics) == 2


def test_fix_that_cannot_be_written_is_reported_not_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project(tmp_path)
    tasks = tmp_path / "proj" / "tasks.py"

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    result = fix(tmp_path, config, FixOptions(unsafe=True))
    assert result.files == []
    assert result.write_failures == [
        NotApplied(str(tasks), "not fixed: cannot write: No space left on device")
    ]
    assert (
        str(result.write_failures[0])
        == f"{tasks}: not fixed: cannot write: No space left on device"
    )
    assert tasks.read_text() == TASKS
    # Nothing counts as fixed, and what remains is the file on disk.
    assert result.fixed == [] and result.applied == []
    assert [d.span.line for d in result.remaining.diagnostics] == [
        4,
        9,
    ]  # at each `max_retries=None`
