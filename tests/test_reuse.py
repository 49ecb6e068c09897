"""A stale record is reused when the changed files kept their facts, and only then.

Each change is checked twice after a recorded run: with the cache (reused or
computed again, as the test says) and from scratch (`--no-cache`); the two
reports must be identical.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from celerylint import pipeline, store
from celerylint.cli import main
from celerylint.facts import extract_source
from tests.edits import appending

CELERY = """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
app.config_from_object("proj.config")
"""
# `task_soft_time_limt` (CL903) is reported only while no module reads it elsewhere:
# the rule asks `mentioning`, which reads every file, the skipped ones too.
CONFIG = "task_time_limit = 60\ntask_soft_time_limt = 30\n"
TASKS = (
    "from proj.celery import app\n\n\n@app.task(max_retries=None)\ndef a():\n    raise a.retry()\n"
)


def _project(root: Path) -> Path:
    """A checkout (`.git`): a run on one of its files is a run on the whole project."""
    (root / ".git").mkdir()
    package = root / "proj"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "celery.py").write_text(CELERY)
    (package / "config.py").write_text(CONFIG)
    (package / "tasks.py").write_text(TASKS)
    (package / "utils.py").write_text("x = 1\n")
    return root


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


class Checks:
    """Checks of the project in the working directory, counting those that ran the rules."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.capsys = capsys
        self.computed = 0
        run = pipeline.run

        def counted(*args: object, **kwargs: object) -> object:
            self.computed += 1
            return run(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(pipeline, "run", counted)

    def report(self, scope: str, *extra: str) -> str:
        main(["check", "--output-format", "json", *extra, scope])
        return self.capsys.readouterr().out

    def reused(self, scope: str) -> bool:
        """Check `scope` as recorded and as from scratch: the same report; whether the
        recorded one was reused."""
        before = self.computed
        assert self.report(scope) == self.report(scope, "--no-cache")
        return self.computed - before == 1


@pytest.fixture
def checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Checks:
    monkeypatch.chdir(_project(tmp_path))
    return Checks(capsys, monkeypatch)


@pytest.mark.parametrize(
    ("change", "reused"),
    [
        # Below the last line anything reads: the facts stay the same.
        (appending("celery.py", "# a comment\n"), {".": True, "proj/celery.py": True}),
        # A file the prefilter skips, before and after.
        (appending("utils.py", "z = 3\n"), {".": True, "proj/celery.py": True}),
        # Every position below moves.
        (_prepend_line, {".": False, "proj/celery.py": False}),
        (_bound_retries, {".": False, "proj/celery.py": False}),
        # Skipped before and after, but it now reads the misspelt key (no CL903).
        (
            appending("utils.py", "y = config.task_soft_time_limt\n"),
            {".": False, "proj/celery.py": False},
        ),
        # CL401's fix edits this file, measured on the old text; a run on another file
        # does not report it.
        (appending("tasks.py", "# a comment\n"), {".": False, "proj/celery.py": True}),
        (_new_module, {".": False, "proj/celery.py": False}),
        # Skipped by the prefilter, but read by the model on demand: its facts decide.
        (appending("config.py", "# a comment\n"), {".": False, "proj/celery.py": True}),
        (_longer_limit, {".": False, "proj/celery.py": False}),
    ],
)
@pytest.mark.parametrize("scope", [".", "proj/celery.py"])
def test_a_record_is_reused_only_when_the_changed_files_kept_their_facts(
    checks: Checks, change: Callable[[Path], None], reused: dict[str, bool], scope: str
) -> None:
    checks.report(scope)
    change(Path.cwd())
    assert checks.reused(scope) is reused[scope]
    # Recorded again either way: the next run is a plain replay.
    before = checks.computed
    checks.report(scope)
    assert checks.computed == before


def test_a_reused_record_still_knows_the_facts_of_every_file(checks: Checks) -> None:
    # Reused, it keeps the recorded facts of config.py (read on demand by that run only).
    checks.report("proj/celery.py")
    appending("celery.py", "# a comment\n")(Path.cwd())
    assert checks.reused("proj/celery.py")
    _longer_limit(Path.cwd())
    assert not checks.reused("proj/celery.py")


def test_a_record_is_reused_after_other_checks_replaced_the_cached_facts(
    checks: Checks,
) -> None:
    # As pre-commit runs go: each on a new text of the file, with `check .` between.
    celery = Path("proj/celery.py")
    checks.report("proj/celery.py")
    for comment in ("# one\n", "# two\n"):
        celery.write_text(CELERY + comment)
        assert checks.reused("proj/celery.py")
        celery.write_text(CELERY)
        checks.report(".")


def test_a_file_read_to_decide_is_not_parsed_again_when_computing(
    checks: Checks, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks.report(".")
    _prepend_line(Path.cwd())
    parsed: list[str] = []
    extract = extract_source

    def counted(data: bytes, module: str, *args: Any) -> object:
        parsed.append(module)
        return extract(data, module, *args)

    monkeypatch.setattr(store, "extract_source", counted)
    assert not checks.reused(".")
    # Once to compare with the record, not again by the run that then computed; once
    # more by the `--no-cache` run of `reused`.
    assert parsed.count("proj.celery") == 2


def test_a_file_that_names_the_modules_is_not_reused_for_its_facts(
    tmp_path: Path, checks: Checks
) -> None:
    # A checkout top with an `__init__.py` is a package only when its own files import
    # it by name (a line that reads like an import will do): such a line renames every
    # module, and here the file's facts do not even change. (The last file read: the
    # files discovery watches stay the same.)
    top = tmp_path / "shop"
    top.mkdir()
    (top / ".git").mkdir()
    (top / "__init__.py").write_text("")
    (top / "celery.py").write_text(CELERY.replace("proj.config", "config"))
    (top / "config.py").write_text(CONFIG)
    (top / "tasks.py").write_text(TASKS.replace("proj.celery", "celery"))
    (top / "wsgi.py").write_text("x = 1\n")
    checks.report("shop")
    with open(top / "wsgi.py", "a") as handle:
        handle.write('"""\nfrom shop import tasks\n"""\n')
    assert not checks.reused("shop")
