"""celerylint never imports or runs the code it analyzes (DESIGN.md, principle 1).

A fixture project plants a marker-writing statement everywhere Python could
be tricked into running it: module top level, a package `__init__.py`, the
Django settings module that `config_from_object('django.conf:settings')`
names, `conftest.py`, `sitecustomize.py`/`usercustomize.py` and a `.pth`
file in the working directory. The console script then runs from inside the
project; no marker may appear. A control run imports the fixture with Python
itself to prove the markers do fire when the code is executed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CELERYLINT = Path(sys.executable).with_name("celerylint")

PLANTED = (
    "proj/__init__.py",
    "proj/celery.py",
    "proj/settings.py",
    "proj/tasks.py",
    "manage.py",
    "conftest.py",
    "sitecustomize.py",
    "usercustomize.py",
    "evil.pth",
)


def _plant(marker_dir: Path, name: str) -> str:
    marker = marker_dir / (name.replace("/", "_") + ".ran")
    return f"open({str(marker)!r}, 'w').write('executed')"


def build_fixture(root: Path, markers: Path) -> None:
    def plant(name: str) -> str:
        return _plant(markers, name)

    files = {
        "proj/__init__.py": f"""\
            {plant("proj/__init__.py")}
            from .celery import app

            __all__ = ("app",)
            """,
        "proj/celery.py": f"""\
            import os

            from celery import Celery

            {plant("proj/celery.py")}
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
            app = Celery("proj")
            app.config_from_object("django.conf:settings", namespace="CELERY")
            app.autodiscover_tasks()
            """,
        "proj/settings.py": f"""\
            {plant("proj/settings.py")}
            SECRET_KEY = "not-secret"
            INSTALLED_APPS = ["proj"]
            CELERY_BROKER_URL = "redis://localhost:6379/0"
            CELERY_ACCEPT_CONTENT = ["json", "pickle"]
            CELERY_TASK_TIME_LIMIT = 300
            """,
        "proj/tasks.py": f"""\
            from celery import shared_task

            {plant("proj/tasks.py")}


            @shared_task(time_limit=30)
            def add(x, y):
                {plant("proj/tasks.py:body")}
                return x + y


            add.delay(1, 2)
            """,
        "manage.py": f"""\
            import os
            import sys

            {plant("manage.py")}
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
            """,
        "conftest.py": f"""\
            import celery

            {plant("conftest.py")}
            """,
        "sitecustomize.py": f"""\
            {plant("sitecustomize.py")}
            """,
        "usercustomize.py": f"""\
            {plant("usercustomize.py")}
            """,
        "evil.pth": f"import os; {plant('evil.pth')}\n",
        "pyproject.toml": """\
            [tool.celerylint]
            django-settings-module = "proj.settings"
            """,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def fixture_project(tmp_path: Path) -> tuple[Path, Path]:
    root, markers = tmp_path / "project", tmp_path / "markers"
    root.mkdir()
    markers.mkdir()
    build_fixture(root, markers)
    return root, markers


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    # Nothing here may put the project on sys.path behind celerylint's back.
    for name in ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    return env


def test_markers_fire_when_the_fixture_is_really_executed(
    fixture_project: tuple[Path, Path],
) -> None:
    """The control: executing the fixture leaves markers, so their absence means something."""
    root, markers = fixture_project
    script = (
        "import importlib\n"
        "for name in ('proj.settings', 'proj.tasks', 'conftest', 'manage'):\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        pass\n"
    )
    subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env=clean_env(),
        check=False,
        timeout=60,
        capture_output=True,
    )
    fired = {p.name for p in markers.iterdir()}
    assert {"proj___init__.py.ran", "proj_settings.py.ran", "conftest.py.ran"} <= fired


@pytest.mark.parametrize(
    "command",
    [
        ["check", "."],
        ["check", "--no-cache", "--output-format", "json", "."],
        ["check", "--statistics", "proj/tasks.py"],
        ["inspect", "."],
        ["check", "--diff", "--unsafe-fixes", "."],
    ],
    ids=["check", "check-json", "check-file", "inspect", "diff"],
)
def test_console_script_executes_nothing(
    fixture_project: tuple[Path, Path], command: list[str]
) -> None:
    root, markers = fixture_project
    run = subprocess.run(
        [str(CELERYLINT), *command],
        cwd=root,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    assert sorted(p.name for p in markers.iterdir()) == []
    if command[0] == "inspect":
        # Not vacuous: the static view did read the settings the marker guards.
        assert "proj.settings" in run.stdout or "CELERY_ACCEPT_CONTENT" in run.stdout
    elif "json" in command:
        codes = {f["code"] for f in json.loads(run.stdout)}
        assert "CL101" in codes


def test_cache_is_json_never_pickle(fixture_project: tuple[Path, Path]) -> None:
    root, markers = fixture_project
    for _ in range(2):  # a cold run writes the cache, a warm run reads it
        run = subprocess.run(
            [str(CELERYLINT), "check", "--output-format", "json", "."],
            cwd=root,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 1, run.stderr
    cache = root / ".celerylint_cache"
    files = [p for p in cache.rglob("*") if p.is_file()]
    facts = [p for p in files if p.name.startswith("facts-")]
    assert facts, f"no facts cache written: {files}"
    for path in files:
        data = path.read_bytes()
        # Pickle streams start with PROTO (0x80) or a protocol-0 opcode such as '(' / ']'.
        assert not data.startswith(b"\x80"), path
        assert b"cbuiltins" not in data and b"c__builtin__" not in data
        if path.suffix == ".json":
            json.loads(data.decode("utf-8"))
        elif path.suffix == ".jsonl":  # a command's record: a header line, then the record
            for line in data.decode("utf-8").splitlines():
                json.loads(line)
        else:
            assert path.name in ("CACHEDIR.TAG", ".gitignore"), path
    assert sorted(p.name for p in markers.iterdir()) == []
