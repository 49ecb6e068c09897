"""A recorded command whose Python files changed without changing their facts, or the
text its report shows, is answered from its record before the CLI runs
(`command_reuse`), and saved as it is now; any other change makes it run again.

Every run is a real subprocess with piped output, on one file of a checkout (as
pre-commit runs it). Whether a run was answered from the record is seen by planting
a marker in the record's output, its third line kept.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.edits import appending

MARKER = "answered from the record\n"

# CL104 on row 3, without a fix (a report shows rows 2-4); rows 5-8 are shown by none.
CELERY = """\
from celery import Celery

app = Celery("proj", broker="redis://:hunter2@localhost:6379/0")
app.config_from_object("proj.config")


def helper():
    return 1
"""
# CL903 (`task_soft_time_limt`) while no module reads the key: the rule asks
# `FactStore.mentioning`, which reads every file, the skipped ones too.
CONFIG = "task_time_limit = 60\ntask_soft_time_limt = 30\n"
# CL401 with a fix that edits this file.
TASKS = (
    "from proj.celery import app\n\n\n@app.task(max_retries=None)\ndef a():\n    raise a.retry()\n"
)


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERYLINT_")}
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "celerylint", "check", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _check(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(project, "--output-format", "full", *args, "proj/celery.py")


def _plant_marker(project: Path) -> None:
    """The record's output becomes the marker; its header and third line are kept."""
    (record,) = (project / ".celerylint_cache").glob("cmd-*.jsonl")
    header, body, reusable = record.read_bytes().split(b"\n")
    assert reusable, "the record says nothing of how to reuse it"
    data = json.loads(body)
    data["stdout"] = MARKER
    record.write_bytes(header + b"\n" + json.dumps(data).encode() + b"\n" + reusable)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # a checkout: a run on one file checks the project
    package = tmp_path / "proj"
    package.mkdir()
    files = {"celery.py": CELERY, "config.py": CONFIG, "tasks.py": TASKS, "utils.py": "x = 1\n"}
    for name, text in {"__init__.py": "", **files}.items():
        (package / name).write_text(text)
    return tmp_path


def _replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def change(project: Path) -> None:
        path = project / "proj" / name
        path.write_text(path.read_text().replace(old, new))

    return change


def _add_module(project: Path) -> None:
    (project / "proj" / "more.py").write_text("y = 2\n")


def _configure(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.celerylint]\nignore = ["CL401"]\n')


CHANGES: dict[str, tuple[Callable[[Path], None], bool]] = {
    # Below anything read or shown: the same facts, the same report.
    "comment-below-the-frame": (appending("celery.py", "# a comment\n"), True),
    "a-file-skipped-before-and-after": (appending("utils.py", "z = 3\n"), True),
    # The same facts, but the code frame shows the row before the finding.
    "comment-in-the-frame": (_replace("celery.py", "Celery\n\napp", "Celery\n# shown\napp"), False),
    "facts-changed": (_replace("celery.py", ":hunter2@", ""), False),
    # CL401's fix edits it, but a run on another file does not report CL401.
    "a-file-a-fix-edits-unreported": (appending("tasks.py", "# a comment\n"), True),
    # Still skipped, but it now holds a text a rule asks `mentioning` about.
    "mentioning-changed": (appending("utils.py", "y = config.task_soft_time_limt\n"), False),
    "a-file-added": (_add_module, False),
    "configuration-changed": (_configure, False),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_command_is_answered_from_its_record_only_when_nothing_it_shows_changed(
    project: Path, name: str
) -> None:
    change, answered = CHANGES[name]
    assert _check(project).returncode == 1
    _plant_marker(project)
    change(project)
    after = _check(project)
    assert (after.stdout == MARKER) is answered


@pytest.mark.parametrize("name", list(CHANGES))
def test_the_report_after_a_change_is_the_report_from_scratch(project: Path, name: str) -> None:
    change, _answered = CHANGES[name]
    _check(project)
    change(project)
    after = _check(project)
    scratch = _check(project, "--no-cache")
    assert (after.returncode, after.stdout, after.stderr) == (
        scratch.returncode,
        scratch.stdout,
        scratch.stderr,
    )


def test_a_record_answered_again_is_saved_as_the_files_are_now(project: Path) -> None:
    first = _check(project)
    _plant_marker(project)
    appending("celery.py", "# a comment\n")(project)
    assert _check(project).stdout == MARKER
    # Saved with the comment: a change of it is now a change from that text.
    _replace("celery.py", "# a comment\n", "")(project)
    assert _check(project).stdout == MARKER
    (record,) = (project / ".celerylint_cache").glob("cmd-*.jsonl")
    watched = json.loads(record.read_bytes().split(b"\n")[1])["watched"]
    celery = project / "proj" / "celery.py"
    stat = celery.stat()
    assert [str(celery), stat.st_mtime_ns, stat.st_size] in watched
    assert first.returncode == 1


def test_a_damaged_third_line_is_a_miss_not_an_error(project: Path) -> None:
    first = _check(project)
    (record,) = (project / ".celerylint_cache").glob("cmd-*.jsonl")
    header, body, _reusable = record.read_bytes().split(b"\n")
    record.write_bytes(header + b"\n" + body + b"\n" + b'[["x"], 1]')
    appending("celery.py", "# a comment\n")(project)
    again = _check(project)
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)


def test_a_file_whose_reported_fix_was_measured_on_the_old_text_runs_again(
    project: Path,
) -> None:
    assert _run(project, ".").returncode == 1  # CL401 in proj/tasks.py, with its fix
    _plant_marker(project)
    appending("tasks.py", "# a comment\n")(project)
    assert _run(project, ".").stdout != MARKER


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_an_empty_row_after_the_last_finding_is_told_from_the_end_of_the_file(
    project: Path, newline: str
) -> None:
    # The finding on the last row: a line break and text after it make the row after
    # it an empty row, which the code frame shows, where it was the end of the file.
    source = CELERY.split("\napp.config")[0] + "\n"
    celery = project / "proj" / "celery.py"
    celery.write_bytes(source.replace("\n", newline).encode())
    assert _check(project).returncode == 1
    celery.write_bytes((source + "\n# more\n").replace("\n", newline).encode())
    after = _check(project)
    assert after.stdout == _check(project, "--no-cache").stdout
    assert "4 |\n" in after.stdout
