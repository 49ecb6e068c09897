"""The language server's Linter across many checks: what it keeps between keystrokes
gives the findings a fresh check gives, sees files change on disk, and stays bounded."""

from __future__ import annotations

import gc
import os
import tracemalloc
from pathlib import Path

import pytest

from celerylint import api
from celerylint.config import load_config
from celerylint.diagnostics import Diagnostic
from celerylint.server.linting import Linter

CELERY = """\
from celery import Celery

app = Celery("proj")
app.config_from_object("proj.celeryconfig")
"""
CONFIG = """\
accept_content = ["json"]
"""
TASKS = """\
from proj.celery import app


@app.task(bind=True, max_retries=5, serializer="msgpack")
def sync_account(self, account_id):
    try:
        return push(account_id)
    except ConnectionError as exc:
        self.retry(exc=exc, countdown=30)
"""
# Imported by nothing at first: the prefilter skips it until it defines a task.
HELPERS = """\
def push(account_id):
    return account_id
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.celerylint]\n")
    package = tmp_path / "proj"
    package.mkdir()
    (package / "__init__.py").write_text("")
    files = {"celery": CELERY, "celeryconfig": CONFIG, "tasks": TASKS, "helpers": HELPERS}
    for name, text in files.items():
        (package / f"{name}.py").write_text(text)
    return tmp_path


def found(diagnostics: list[Diagnostic]) -> list[tuple[str, str, int, int]]:
    return sorted((d.path, d.code, d.span.line, d.span.col) for d in diagnostics)


def fresh(root: Path, overlay: dict[str, bytes]) -> list[tuple[str, str, int, int]]:
    """What `celerylint check` finds with these buffers: no cache, nothing kept."""
    config = load_config(None, root)
    return found(api.check([root], config, use_cache=False, overlay=overlay).diagnostics)


def kept(linter: Linter, overlay: dict[str, bytes]) -> list[tuple[str, str, int, int]]:
    snapshot = linter.check(overlay)
    # As the server does after publishing.
    linter.persist()
    linter.changed_on_disk()
    return found([d for ds in snapshot.by_path.values() for d in ds])


def touch(path: Path, text: str) -> None:
    """Write `text` with an mtime no earlier check can have seen."""
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def test_kept_facts_give_the_findings_of_a_fresh_check(root: Path) -> None:
    tasks, config, helpers = (
        str(root / "proj" / f"{n}.py") for n in ("tasks", "celeryconfig", "helpers")
    )
    edits: list[dict[str, bytes]] = [
        {},
        {tasks: TASKS.encode()},
        {tasks: TASKS.replace("self.retry(", "raise self.retry(").encode()},
        # A settings module's buffer changes the task module's findings.
        {tasks: TASKS.encode(), config: CONFIG.replace('"json"', '"json", "msgpack"').encode()},
        # Mid-edit syntax error, then the file as it was.
        {tasks: TASKS.replace("def sync_account(", "def sync_account((").encode()},
        {tasks: TASKS.encode()},
        # A skipped file becomes relevant in its buffer, then closed again.
        {
            helpers: (
                HELPERS + "\n\n@__import__('proj.celery').celery.app.task\ndef t():\n    pass\n"
            ).encode()
        },
        {},
    ]
    linter = Linter(root)
    for overlay in edits:
        assert kept(linter, overlay) == fresh(root, overlay), overlay


def test_a_file_changed_on_disk_is_read_again(root: Path) -> None:
    tasks = root / "proj" / "tasks.py"
    linter = Linter(root)
    assert "CL804" in {code for _, code, _, _ in kept(linter, {})}
    assert not linter.changed_on_disk()
    touch(tasks, TASKS.replace("self.retry(", "raise self.retry("))  # a checkout, a formatter
    assert linter.changed_on_disk()
    assert "CL804" not in {code for _, code, _, _ in kept(linter, {})}
    assert kept(linter, {}) == fresh(root, {})


def test_a_deployment_file_is_read_again_when_it_changes(root: Path) -> None:
    def processes() -> int:
        assert linter.latest.project is not None
        return len(linter.latest.project.deployment.processes)

    linter = Linter(root)
    linter.check({})
    assert processes() == 0
    (root / "Procfile").write_text("worker: celery -A proj worker\n")
    linter.forget_files()  # the editor says a file was created
    linter.check({})
    assert processes() == 1
    touch(root / "Procfile", "worker: celery -A proj worker\nbeat: celery -A proj beat\n")
    linter.check({})  # changed in place: its stat differs
    assert processes() == 2


def test_an_env_file_a_service_reads_is_read_again_when_it_changes(root: Path) -> None:
    """`env_file: envs/prod` is no deployment file by its name, but what it says counts."""

    def environment() -> dict[str, str | None]:
        assert linter.latest.project is not None
        (process,) = linter.latest.project.deployment.processes
        return {entry.name: entry.value for entry in process.env}

    (root / "envs").mkdir()
    touch(root / "envs" / "prod", "BROKER_URL=redis://a/0\n")
    (root / "compose.yaml").write_text(
        "services:\n  worker:\n    build: .\n    command: celery -A proj worker\n"
        "    env_file: [envs/prod]\n"
    )
    linter = Linter(root)
    linter.check({})
    assert environment()["BROKER_URL"] == "redis://a/0"
    touch(root / "envs" / "prod", "BROKER_URL=redis://bb/0\n")
    linter.check({})
    assert environment()["BROKER_URL"] == "redis://bb/0"


def test_memory_stays_bounded_over_a_long_session(root: Path) -> None:
    """200 keystrokes in two files: what the Linter holds does not grow with them."""
    tasks, config = str(root / "proj" / "tasks.py"), str(root / "proj" / "celeryconfig.py")
    linter = Linter(root)

    def type_for_a_while(start: int, count: int) -> None:
        for i in range(start, start + count):
            text = TASKS.replace("countdown=30", f"countdown={i}")
            if i % 7 == 0:
                text = text.replace("def sync_account(", "def sync_account((")  # mid-edit
            kept(linter, {tasks: text.encode(), config: f"{CONFIG}# {i}\n".encode()})

    type_for_a_while(0, 20)  # warm: caches and first-use allocations settle
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        type_for_a_while(20, 200)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    # One check of this project holds a few hundred KB; a leak of one per edit would be MBs.
    assert grown < 512 * 1024, after.compare_to(before, "lineno")[:10]


def test_a_buffer_of_a_deleted_file_does_not_walk_the_project_each_check(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celerylint.server import linting

    walks = []
    gather = linting.gather_sources
    monkeypatch.setattr(linting, "gather_sources", lambda *a: walks.append(1) or gather(*a))
    tasks = root / "proj" / "tasks.py"
    linter = Linter(root)
    kept(linter, {str(tasks): TASKS.encode()})
    tasks.unlink()  # deleted while open
    linter.forget_files()
    for i in range(3):
        kept(linter, {str(tasks): f"{TASKS}# {i}\n".encode()})
    assert len(walks) == 2


def test_the_configuration_is_read_again_when_it_changes_on_disk(root: Path) -> None:
    linter = Linter(root)
    assert "CL804" in {code for _, code, _, _ in kept(linter, {})}
    touch(root / "pyproject.toml", '[tool.celerylint]\nignore = ["CL804"]\n')  # no event
    assert linter.changed_on_disk()
    assert "CL804" not in {code for _, code, _, _ in kept(linter, {})}
    touch(root / "pyproject.toml", '[tool.celerylint]\nselect = ["CL9999"]\n')
    assert linter.changed_on_disk()
    assert linter.config_problem is not None and "CL9999" in linter.config_problem
