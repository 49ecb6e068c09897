"""check's shorthands, editor hooks and command-line file selection, through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from celerylint import progress
from celerylint.cli import main

CELERY_PY = """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
app.conf.accept_content = ["json", "pickle"]
"""

TASKS_PY = """\
from proj.celery import app


@app.task
def slow():
    pass
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": CELERY_PY,
        "proj/tasks.py": TASKS_PY,
        # A call sending a single value as `args` (CL802), in a script outside the package.
        "scripts/enqueue.py": "from proj.tasks import slow\n\nslow.apply_async(args=(1))\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("CELERYLINT_OUTPUT_FORMAT", "CELERYLINT_CACHE_DIR", "CI"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def found(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[tuple[str, str]]]:
    code = main([*args, "--output-format", "json"])
    root = Path.cwd()
    return code, [
        (f["code"], Path(f["filename"]).relative_to(root).as_posix())
        for f in json.loads(capsys.readouterr().out)
    ]


EVERYTHING = [
    ("CL101", "proj/celery.py"),
    ("CL201", "proj/tasks.py"),
    ("CL802", "scripts/enqueue.py"),
]


def test_an_option_or_a_path_first_means_check(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert found(capsys, "--no-cache") == (1, EVERYTHING)
    assert found(capsys, "proj", "--no-cache") == (1, EVERYTHING[:2])
    assert found(capsys, "check", "--no-cache") == (1, EVERYTHING)
    assert main(["rule", "CL101"]) == 0 and "pickle" in capsys.readouterr().out
    assert main(["rules"]) == 0 and "CL101" in capsys.readouterr().out
    with pytest.raises(SystemExit) as version:
        main(["--version"])
    assert version.value.code == 0


def test_fix_shorthand(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tasks = project / "proj" / "tasks.py"
    tasks.write_text(
        TASKS_PY.replace("def slow():", "def slow():  # celerylint: ignore[CL101]"),
        encoding="utf-8",
    )
    assert (
        main(
            ["--fix", "--no-cache", "--select", "CL001,CL101", "--exclude", "proj/celery.py", "-q"]
        )
        == 0
    )
    assert tasks.read_text(encoding="utf-8") == TASKS_PY


def test_stdin_filename_checks_the_buffer_with_the_project_model(project: Path) -> None:
    buffer = "from proj.celery import app\n\n\n@app.task(time_limit=9)\ndef slow():\n    pass\n"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "celerylint",
            "--no-cache",
            "--output-format",
            "json",
            "--stdin-filename",
            "proj/tasks.py",
        ],
        input=buffer.encode(),
        capture_output=True,
        cwd=project,
        check=False,
    )
    assert (proc.returncode, json.loads(proc.stdout)) == (0, []), proc.stderr
    # The disk is unchanged; another buffer has a finding, reported on the buffer's lines.
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "celerylint",
            "--no-cache",
            "--output-format",
            "concise",
            "--stdin-filename",
            "proj/tasks.py",
        ],
        input=b"from proj.celery import app\n\n\n\n@app.task\ndef slow():\n    pass\n",
        capture_output=True,
        cwd=project,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout.decode().startswith("proj/tasks.py:6:5: CL201 ")
    assert "@app.task\ndef slow" in (project / "proj" / "tasks.py").read_text(encoding="utf-8")


def test_show_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--show-files"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "proj/__init__.py",
        "proj/celery.py",
        "proj/tasks.py",
        "scripts/enqueue.py",
    ]
    assert main(["--show-files", "--extend-exclude", "scripts", "proj/celery.py"]) == 0
    assert capsys.readouterr().out.splitlines() == ["proj/celery.py"]


def test_exclude_extend_exclude_and_per_file_ignores_on_the_command_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert found(capsys, "--no-cache", "--extend-exclude", "scripts") == (1, EVERYTHING[:2])
    assert found(capsys, "--no-cache", "--exclude", "scripts,proj/tasks.py") == (1, EVERYTHING[:1])
    assert found(capsys, "--no-cache", "--per-file-ignores", "scripts/*:CL802,CL501") == (
        1,
        EVERYTHING[:2],
    )
    assert found(
        capsys,
        "--no-cache",
        "--per-file-ignores",
        "scripts/*:CL802",
        "--extend-per-file-ignores",
        "proj/celery.py:pickle-accepted",
    ) == (1, [EVERYTHING[1]])
    with pytest.raises(SystemExit) as bad:
        main(["--per-file-ignores", "scripts/*:CL999"])
    assert bad.value.code == 2
    assert "unknown rule selector 'CL999'" in capsys.readouterr().err


def test_cache_dir_flag_and_environment(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["--cache-dir", "elsewhere", "-q"]) == 1
    assert (project / "elsewhere" / "CACHEDIR.TAG").exists()
    assert not (project / ".celerylint_cache").exists()
    monkeypatch.setenv("CELERYLINT_CACHE_DIR", str(project / "from-env"))
    assert main(["-q"]) == 1
    assert (project / "from-env" / "CACHEDIR.TAG").exists()
    assert main(["clean"]) == 0
    assert not (project / "from-env").exists()
    capsys.readouterr()


def test_progress_only_for_people_at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.delenv("CI", raising=False)
    assert progress.wanted(True)
    assert not progress.wanted(False)  # a machine format
    monkeypatch.setenv("CI", "true")
    assert not progress.wanted(True)
    monkeypatch.delenv("CI")
    with open(os.devnull, "w") as devnull:  # a pipe or a file
        monkeypatch.setattr(sys, "stderr", devnull)
        assert not progress.wanted(True)


def test_progress_bar_waits_for_the_delay(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich draws as on a terminal
    quick = progress.ProgressBar(delay=60)
    quick(1, 10)
    quick.close()
    assert capsys.readouterr().err == ""
    threads = threading.active_count()
    slow = progress.ProgressBar(delay=0)
    slow(5, 10)
    # Drawn without a thread of rich's: the workers of the rest of the check are forked.
    assert threading.active_count() == threads
    slow.close()
    assert "5/10" in capsys.readouterr().err
