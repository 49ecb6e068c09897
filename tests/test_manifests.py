"""Worker command lines in deployment files keep rules from saying what is not true."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from celerylint.cli import main
from celerylint.config import load_config
from celerylint.manifests import WorkerCommands, scan
from celerylint.sources.discover import discover

APP = (
    "from celery import Celery\n\n"
    'app = Celery("proj", broker="redis://r/0", include=["proj.tasks"])\n'
)
TASKS = (
    "import multiprocessing\n\nfrom proj.celery import app\n\n\n"
    "@app.task\ndef crunch():\n"
    "    with multiprocessing.Pool(2) as pool:\n        return pool.map(abs, [1])\n"
)


def project(root: Path, manifests: dict[str, str]) -> Path:
    (root / "proj").mkdir()
    (root / "proj" / "__init__.py").write_text("")
    (root / "proj" / "celery.py").write_text(APP)
    (root / "proj" / "tasks.py").write_text(TASKS)
    for name, text in manifests.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def codes(root: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    main(["check", "--no-cache", "--output-format", "json", str(root)])
    return sorted(f["code"] for f in json.loads(capsys.readouterr().out))


def test_without_manifests_both_rules_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert codes(project(tmp_path, {}), capsys) == ["CL201", "CL301"]


def test_worker_started_with_time_limit_silences_missing_time_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, {"Procfile": "worker: celery -A proj worker --time-limit=600\n"})
    assert codes(root, capsys) == ["CL301"]


def test_every_worker_without_children_silences_process_pool(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    compose = (
        "services:\n"
        "  worker:\n"
        '    command: ["celery", "-A", "proj", "worker", "--pool=threads"]\n'
        "  io-worker:\n"
        "    command: >\n"
        "      celery -A proj worker -P gevent --max-tasks-per-child 100\n"
    )
    root = project(tmp_path, {"docker-compose.yml": compose})
    assert codes(root, capsys) == ["CL201"]


def test_one_prefork_worker_keeps_process_pool_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = (
        "#!/bin/sh\n"
        "celery -A proj worker -P solo &\n"
        "exec celery -A proj worker \\\n    --concurrency 4\n"
    )
    root = project(tmp_path, {"docker/start-worker": script})
    assert codes(root, capsys) == ["CL201", "CL301"]


def test_scanner_ignores_lookalikes(tmp_path: Path) -> None:
    (tmp_path / "dashboard.json").write_text(
        '{"expr": "celery_worker_up{job=\\"celery worker\\"}"}'
    )
    (tmp_path / "Dockerfile").write_text(
        "COPY docker/celery/start-worker /start-worker\n"
        "# CMD celery -A proj worker --time-limit=5\n"
    )
    (tmp_path / "Procfile").write_text("worker: celery -A proj worker --max-tasks-per-child=10\n")
    found = scan_tree(tmp_path)
    assert (found.count, found.sets_time_limit, found.pools) == (1, False, ["prefork"])


def scan_tree(root: Path) -> WorkerCommands:
    discovered = discover([root], load_config(None, root))
    return scan(discovered.deployment_files, root)


def test_excluded_and_hidden_directories_are_not_read(tmp_path: Path) -> None:
    command = "celery -A proj worker --time-limit=60\n"
    (tmp_path / "pyproject.toml").write_text('[tool.celerylint]\nextend-exclude = ["legacy"]\n')
    for where in ("legacy/Procfile", ".github/workflows/ci.yml"):
        (tmp_path / where).parent.mkdir(parents=True)
        (tmp_path / where).write_text(command)
    assert scan_tree(tmp_path).count == 0
    (tmp_path / "Procfile").write_text(command)
    assert scan_tree(tmp_path).sets_time_limit
