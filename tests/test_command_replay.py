"""A repeated `celerylint check` on an unchanged project is answered from its record
(`command_replay`), and anything that could change the answer makes it run again.

Every run is a real subprocess with piped output (as pre-commit and CI run it).
Whether a run was replayed is seen by planting a marker in the record's output:
a replayed run prints the marker, a computed one the real report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

MARKER = "replayed from the record\n"

APP = """\
from celery import Celery

{name} = Celery("{name}", broker="redis://localhost:6379/0")
{name}.conf.accept_content = {accept}
"""
PICKLE = APP.format(name="app", accept='["json", "pickle"]')
JSON_ONLY = APP.format(name="app", accept='["json"]')
# CL101: pickle accepted.
FINDING = "CL101"


def _environment(**changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERYLINT_")}
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    env.update(changes)
    return env


def _check(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "celerylint", "check", "--output-format", "concise", *args],
        cwd=cwd,
        env=env or _environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _records(project: Path) -> list[Path]:
    return sorted((project / ".celerylint_cache").glob("cmd-*.jsonl"))


def _read_record(path: Path) -> dict[str, Any]:
    """A record's body (its second line; the first repeats the key and some paths, the
    third says how to reuse it after its sources change: `test_command_reuse`)."""
    data: dict[str, Any] = json.loads(path.read_bytes().split(b"\n")[1])
    return data


def _write_record(path: Path, data: dict[str, Any]) -> None:
    """Without the third line: a record whose sources changed is a miss."""
    header = path.read_bytes().partition(b"\n")[0]
    path.write_bytes(header + b"\n" + json.dumps(data).encode())


def _plant_marker(project: Path) -> None:
    """Make every record's output the marker: a run that prints it was replayed."""
    records = _records(project)
    assert records, "no command record was written"
    for path in records:
        data = _read_record(path)
        data["stdout"] = MARKER
        _write_record(path, data)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    (tmp_path / "proj" / "celery.py").write_text(PICKLE)
    return tmp_path


def test_an_unchanged_command_is_replayed_with_its_output_and_exit_code(project: Path) -> None:
    first = _check(project)
    assert first.returncode == 1 and FINDING in first.stdout
    again = _check(project)
    assert (again.returncode, again.stdout, again.stderr) == (1, first.stdout, first.stderr)
    _plant_marker(project)
    replayed = _check(project)
    assert (replayed.returncode, replayed.stdout) == (1, MARKER)


def test_exit_zero_is_replayed_as_zero(project: Path) -> None:
    assert _check(project, "--exit-zero").returncode == 0
    _plant_marker(project)
    replayed = _check(project, "--exit-zero")
    assert (replayed.returncode, replayed.stdout) == (0, MARKER)


def test_an_edited_source_file_runs_again(project: Path) -> None:
    assert _check(project).returncode == 1
    _plant_marker(project)
    (project / "proj" / "celery.py").write_text(JSON_ONLY)
    after = _check(project)
    assert MARKER not in after.stdout
    assert FINDING not in after.stdout and after.returncode == 0


def test_a_file_given_that_changed_is_a_miss_on_the_first_line(project: Path) -> None:
    # As pre-commit runs: the files given are watched first, and their change is told
    # from the record's first line alone (here the rest watches nothing, so it would
    # replay the marker).
    (project / ".git").mkdir()  # the project a file given belongs to
    assert _check(project, "proj/celery.py").returncode == 1
    (record,) = _records(project)
    header = record.read_bytes().partition(b"\n")[0]
    assert str(project / "proj" / "celery.py") in json.loads(header)["head"][0]
    _write_record(record, {**_read_record(record), "stdout": MARKER, "watched": []})
    (project / "proj" / "celery.py").write_text(JSON_ONLY)
    after = _check(project, "proj/celery.py")
    assert (after.returncode, after.stdout) == (0, "All checks passed!\n")


def test_a_new_source_file_runs_again(project: Path) -> None:
    (project / "proj" / "celery.py").write_text(JSON_ONLY)
    assert _check(project).returncode == 0
    _plant_marker(project)
    (project / "proj" / "more.py").write_text(APP.format(name="other", accept='["pickle"]'))
    after = _check(project)
    assert after.returncode == 1 and "more.py" in after.stdout


def test_changed_configuration_runs_again(project: Path) -> None:
    assert _check(project).returncode == 1
    _plant_marker(project)
    (project / "pyproject.toml").write_text('[tool.celerylint]\nignore = ["CL101"]\n')
    after = _check(project)
    assert MARKER not in after.stdout and after.returncode == 0


def test_configuration_above_the_working_directory_is_watched(project: Path) -> None:
    # Run from inside the package: the configuration is looked for upwards.
    (project / ".git").mkdir()
    assert _check(project / "proj").returncode == 1
    (project / "pyproject.toml").write_text('[tool.celerylint]\nignore = ["CL101"]\n')
    assert _check(project / "proj").returncode == 0


def test_other_arguments_environment_or_directory_are_other_commands(project: Path) -> None:
    (project / ".git").mkdir()
    assert _check(project).returncode == 1
    _plant_marker(project)
    assert _check(project, "--select", "CL101").stdout != MARKER
    json_output = _check(project, env=_environment(CELERYLINT_OUTPUT_FORMAT="json"))
    assert MARKER not in json_output.stdout  # --output-format concise still wins
    assert _check(project, env=_environment(PYTHONIOENCODING="latin-1")).stdout != MARKER
    inside = _check(project / "proj")
    assert inside.stdout != MARKER and "celery.py" in inside.stdout


def test_timings_are_measured_again_on_a_replay(project: Path) -> None:
    _check(project, "--timings")
    replayed = _check(project, "--timings")
    timings = json.loads(replayed.stderr.strip().splitlines()[-1])
    assert timings["parsed"] == 0 and timings["files"] == 2
    assert isinstance(timings["seconds"], float)


def test_an_env_file_a_service_reads_is_watched(project: Path) -> None:
    """`env_file: envs/web` is no deployment file by its name; it is read, so watched."""
    (project / "proj" / "celery.py").write_text(
        "import os\nfrom celery import Celery\n\n"
        'app = Celery("proj", broker=os.environ["BROKER_URL"])\n'
        'app.conf.accept_content = ["json"]\n'
    )
    (project / "envs").mkdir()
    (project / "envs" / "web").write_text("BROKER_URL=redis://cache:6379/0\n")
    (project / "envs" / "consumer").write_text("BROKER_URL=redis://queue:6379/0\n")
    (project / "docker-compose.yml").write_text(
        "services:\n"
        "  web:\n    build: .\n    command: gunicorn proj.wsgi\n    env_file: [envs/web]\n"
        "  worker:\n    build: .\n    command: celery -A proj worker\n"
        "    env_file: [envs/consumer]\n"
    )
    assert "CL606" in _check(project, "--select", "CL606").stdout
    (project / "envs" / "consumer").write_text("BROKER_URL=redis://cache:6379/0\n")
    after = _check(project, "--select", "CL606")
    assert (after.returncode, after.stdout) == (0, "All checks passed!\n")


def test_the_environment_is_not_written_to_the_cache(project: Path) -> None:
    """Only a digest of it: CI environments hold tokens, and caches get uploaded."""
    secret = "ghp_not-a-real-token-8f3a91"
    env = _environment(GITHUB_TOKEN=secret)
    _check(project, env=env)
    _plant_marker(project)
    assert _check(project, env=env).stdout == MARKER  # the record is there, and used
    for path in (project / ".celerylint_cache").iterdir():
        assert secret.encode() not in path.read_bytes(), path.name


@pytest.mark.parametrize("form", ["separate", "joined", "environment"])
def test_a_cache_directory_given_outside_the_configuration_holds_the_record(
    project: Path, tmp_path_factory: pytest.TempPathFactory, form: str
) -> None:
    cache = tmp_path_factory.mktemp("elsewhere") / "cache"
    args = {"separate": ["--cache-dir", str(cache)], "joined": [f"--cache-dir={cache}"]}
    env = _environment(CELERYLINT_CACHE_DIR=str(cache)) if form == "environment" else None
    first = _check(project, *args.get(form, []), env=env)
    assert first.returncode == 1
    assert not (project / ".celerylint_cache").exists()
    (record,) = cache.glob("cmd-*.jsonl")
    _write_record(record, {**_read_record(record), "stdout": MARKER})
    assert _check(project, *args.get(form, []), env=env).stdout == MARKER


def test_a_cache_directory_set_in_the_configuration_is_not_used_for_records(
    project: Path,
) -> None:
    (project / "pyproject.toml").write_text('[tool.celerylint]\ncache-dir = "elsewhere"\n')
    assert _check(project).returncode == 1
    assert list((project / "elsewhere").glob("run-*.json"))
    assert not list((project / "elsewhere").glob("cmd-*.jsonl"))


@pytest.mark.parametrize(
    "args",
    [("--no-cache",), ("--output-file", "report.txt"), ("--diff",), ("missing.py",)],
    ids=["no-cache", "output-file", "diff", "missing-path"],
)
def test_runs_that_do_more_than_report_are_not_recorded(
    project: Path, args: tuple[str, ...]
) -> None:
    _check(project, *args)
    assert _records(project) == []


def test_a_damaged_record_is_a_miss_not_an_error(project: Path) -> None:
    first = _check(project)
    for number, path in enumerate(_records(project)):
        path.write_text(["{", "[]", '{"key": 1}', "\x00"][number % 4])
    again = _check(project)
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    for path in _records(project):
        data = _read_record(path)
        data["watched"] = [["x"]]
        _write_record(path, data)
    assert _check(project).stdout == first.stdout
