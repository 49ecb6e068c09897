"""Worker command lines in deployment files keep rules from saying what is not true."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from celerylint.cli import main
from celerylint.config import load_config
from celerylint.manifests import WorkerCommands, scan, settings_modules
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


# -- DJANGO_SETTINGS_MODULE set by the deployment ---------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "Dockerfile",
            "ENV DJANGO_SETTINGS_MODULE=a.settings PORT=80\n"
            "ENV DJANGO_SETTINGS_MODULE b.settings\n"
            "# ENV DJANGO_SETTINGS_MODULE=commented.out\n"
            "RUN env -u DJANGO_SETTINGS_MODULE django-admin compilemessages\n",
            ["a.settings", "b.settings"],
        ),
        (
            "docker-compose.yml",
            "services:\n"
            "  web:\n    environment:\n      DJANGO_SETTINGS_MODULE: a.settings\n"
            "  worker:\n    environment:\n      - DJANGO_SETTINGS_MODULE=b.settings\n"
            '    command: sh -c "DJANGO_SETTINGS_MODULE=c.settings celery -A c worker"\n',
            ["a.settings", "b.settings", "c.settings"],
        ),
        (
            "deploy.yaml",
            "kind: Deployment\nspec:\n  containers:\n  - env:\n"
            "    - name: DJANGO_SETTINGS_MODULE\n      value: k.settings\n"
            "---\nbroken: {{ .Values.x }\n",
            ["k.settings"],
        ),
        (
            "entrypoint.sh",
            'export DJANGO_SETTINGS_MODULE="e.settings"\n'
            "DJANGO_SETTINGS_MODULE=${SETTINGS} exec gunicorn\n"
            'echo "unbalanced DJANGO_SETTINGS_MODULE\n',
            ["e.settings"],
        ),
        (
            "Procfile",
            "worker: DJANGO_SETTINGS_MODULE=p.settings celery -A p worker\n",
            ["p.settings"],
        ),
        (".env", "DJANGO_SETTINGS_MODULE=d.settings\n", ["d.settings"]),
    ],
)
def test_settings_module_assignments(name: str, text: str, expected: list[str]) -> None:
    assert settings_modules(text.encode(), f"/repo/{name}") == expected


def django_project(root: Path, manifests: dict[str, str]) -> Path:
    files = {
        "manage.py": (
            "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings.dev')\n"
        ),
        "proj/__init__.py": "",
        "proj/celery.py": (
            "from celery import Celery\n"
            "app = Celery('proj')\n"
            "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
        ),
        "proj/settings/__init__.py": "",
        "proj/settings/dev.py": "CELERY_TASK_TIME_LIMIT = 30\nCELERY_TASK_SERIALIZER = 'json'\n",
        "proj/settings/prod.py": "CELERY_TASK_TIME_LIMIT = 300\nCELERY_TASK_SERIALIZER = 'json'\n",
        **manifests,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_deployed_settings_module_is_one_more_candidate(tmp_path: Path) -> None:
    from celerylint.api import describe

    root = django_project(
        tmp_path, {"Dockerfile": "ENV DJANGO_SETTINGS_MODULE=proj.settings.prod\n"}
    )
    settings = describe(root)["apps"]["proj.celery:app"]["settings"]
    # dev says 30, the deployment's prod says 300: which one runs is not known.
    assert settings["task_time_limit"]["known"] is False
    assert settings["task_serializer"]["value"] == "json"


def test_deployed_settings_module_outside_the_repository_is_left_out(tmp_path: Path) -> None:
    from celerylint.api import describe

    # Made at build time (`COPY docker/config.py settings/config.py`): nothing to read.
    root = django_project(
        tmp_path, {"Dockerfile": "ENV DJANGO_SETTINGS_MODULE=proj.settings.made\n"}
    )
    settings = describe(root)["apps"]["proj.celery:app"]["settings"]
    assert settings["task_time_limit"]["value"] == 30


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("CELERY_RESULT_BACKEND=redis://r:6379/1\n", True),  # .env, compose list, export
        ("    environment:\n      CELERY_RESULT_BACKEND: redis://r/1\n", True),
        ("        - name: CELERY_RESULT_BACKEND\n          value: redis://r/1\n", True),
        ("ENV CELERY_RESULT_BACKEND redis://r/1\n", True),
        ('{\n  "CELERY_RESULT_BACKEND": "redis://r/1"\n}\n', True),
        ("celery -A proj worker --result-backend=redis://r/1\n", True),
        ('CELERY_RESULT_BACKEND = "redis://r/1"\n', False),  # Python, read by the model
        ("Set `CELERY_RESULT_BACKEND` and CELERY_RESULT_BACKEND in prose\n", False),
    ],
)
def test_deployment_files_naming_a_result_backend(tmp_path: Path, text: str, names: bool) -> None:
    path = tmp_path / "docker-compose.yml"
    path.write_text(text)
    assert scan([str(path)], tmp_path).names_result_backend is names
