"""A stale record is reused when the changed files kept their facts, and only then.

Each change is checked twice after a recorded run: with the cache (reused or
computed again, as the test says) and from scratch (`--no-cache`); the two
reports must be identical.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from celerylint import pipeline
from celerylint.cli import main

CELERY = """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
app.config_from_object("proj.config")
"""
# `task_soft_time_limt` (CL903) is reported only while no module reads it elsewhere:
# the rule asks `mentioning`, which reads every file, the skipped ones too.
CONFIG = "task_time_limit = 60\ntask_soft_time_limt = 30\n"
TASKS = "from proj.celery import app\n\n\n@app.task(max_retries=None)\ndef a():\n    return 1\n"


def _project(root: Path) -> Path:
    package = root / "proj"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "celery.py").write_text(CELERY)
    (package / "config.py").write_text(CONFIG)
    (package / "tasks.py").write_text(TASKS)
    (package / "utils.py").write_text("x = 1\n")
    return root


def _append(name: str, text: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        with open(root / "proj" / name, "a") as handle:
            handle.write(text)

    return change


def _prepend_line(root: Path) -> None:
    path = root / "proj" / "celery.py"
    path.write_text("# moved down a line\n" + path.read_text())


def _bound_retries(root: Path) -> None:
    (root / "proj" / "tasks.py").write_text(TASKS.replace("max_retries=None", "max_retries=3"))


def _longer_limit(root: Path) -> None:
    path = root / "proj" / "config.py"
    path.write_text(CONFIG.replace("= 60", "= 90"))


def _new_module(root: Path) -> None:
    (root / "proj" / "more.py").write_text("y = 2\n")


@pytest.mark.parametrize(
    ("change", "reused"),
    [
        # Below the last line anything reads: the facts stay the same.
        (_append("celery.py", "# a comment\n"), {".": True, "proj/celery.py": True}),
        # A file the prefilter skips, before and after.
        (_append("utils.py", "z = 3\n"), {".": True, "proj/celery.py": True}),
        # Every position below moves.
        (_prepend_line, {".": False, "proj/celery.py": False}),
        (_bound_retries, {".": False, "proj/celery.py": False}),
        # Skipped before and after, but it now reads the misspelt key (no CL903).
        (
            _append("utils.py", "y = config.task_soft_time_limt\n"),
            {".": False, "proj/celery.py": False},
        ),
        # CL401's fix edits this file, measured on the old text; a run on another file
        # does not report it.
        (_append("tasks.py", "# a comment\n"), {".": False, "proj/celery.py": True}),
        (_new_module, {".": False, "proj/celery.py": False}),
        # Skipped by the prefilter, but read by the model on demand: its facts decide.
        (_append("config.py", "# a comment\n"), {".": False, "proj/celery.py": True}),
        (_longer_limit, {".": False, "proj/celery.py": False}),
    ],
)
@pytest.mark.parametrize("scope", [".", "proj/celery.py"])
def test_a_record_is_reused_only_when_the_changed_files_kept_their_facts(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[Path], None],
    reused: dict[str, bool],
    scope: str,
) -> None:
    root = _project(tmp_path)
    monkeypatch.chdir(root)
    computed: list[int] = []
    run = pipeline.run

    def counted(*args: object, **kwargs: object) -> object:
        computed.append(1)
        return run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "run", counted)

    def report(*extra: str) -> str:
        main(["check", "--output-format", "json", *extra, scope])
        return capsys.readouterr().out

    report()
    change(root)
    computed.clear()
    assert report() == report("--no-cache")
    assert computed == ([1] if reused[scope] else [1, 1])
    # Recorded again either way: the next run is a plain replay.
    computed.clear()
    report()
    assert computed == []
