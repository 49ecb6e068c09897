"""What deployed services are started with keeps rules from saying what is not true.

A worker's `--time-limit`, a pool without child processes, a result backend or
a `DJANGO_SETTINGS_MODULE` given by the deployment change what the code alone
says; they are read from the services (model.services), per app.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from celerylint.api import check
from celerylint.cli import main
from celerylint.config import load_config
from celerylint.model.project import Project

APP = (
    "from celery import Celery\n\n"
    'app = Celery("proj", broker="redis://r/0", include=["proj.tasks"])\n'
)
TASKS = (
    "import multiprocessing\n\nfrom proj.celery import app\n\n\n"
    "@app.task\ndef crunch():\n"
    "    with multiprocessing.Pool(2) as pool:\n        return pool.map(abs, [1])\n"
)
# A second app with its own task, for what one app's workers say about the other's.
OTHER = (
    "from celery import Celery\n\n"
    'app = Celery("other", broker="redis://r/1")\n\n\n'
    "@app.task\ndef ping():\n    return 1\n"
)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def project(root: Path, manifests: dict[str, str]) -> Path:
    files = {"proj/__init__.py": "", "proj/celery.py": APP, "proj/tasks.py": TASKS}
    return write(root, {**files, **manifests})


def findings(root: Path, capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str]]:
    main(["check", "--no-cache", "--output-format", "json", str(root)])
    reported = json.loads(capsys.readouterr().out)
    return sorted((f["code"], Path(f["filename"]).relative_to(root).as_posix()) for f in reported)


def codes(root: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [code for code, _ in findings(root, capsys)]


def model(root: Path) -> Project:
    config = load_config(None, root).with_overrides(root=root.absolute())
    result = check([root], config, selected=lambda code: False, use_cache=False)
    assert result.project is not None
    return result.project


def test_without_deployment_both_rules_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert codes(project(tmp_path, {}), capsys) == ["CL201", "CL301"]


# -- CL201: --time-limit -------------------------------------------------------------


def test_worker_started_with_time_limit_silences_missing_time_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, {"Procfile": "worker: celery -A proj worker --time-limit=600\n"})
    assert codes(root, capsys) == ["CL301"]


def test_time_limit_of_another_apps_worker_silences_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    procfile = "worker: celery -A other worker --time-limit=600\nmain: celery -A proj worker\n"
    root = project(tmp_path, {"other/__init__.py": "", "other/celery.py": OTHER})
    write(root, {"Procfile": procfile})
    found = findings(root, capsys)
    # `other`'s tasks run under a global limit; `proj`'s do not.
    assert ("CL201", "proj/tasks.py") in found
    assert ("CL201", "other/celery.py") not in found


@pytest.mark.parametrize(
    "command",
    [
        "celery -A $APP worker --time-limit=600",  # which app: not known
        "celery -A proj worker --time-limit=$LIMIT",  # which limit: not known
    ],
)
def test_time_limit_of_a_worker_that_may_run_the_task_silences(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    root = project(tmp_path, {"Procfile": f"worker: {command}\n"})
    assert "CL201" not in codes(root, capsys)


# -- CL301: pools without children ---------------------------------------------------


def test_every_worker_without_children_silences_process_pool(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    compose = (
        "services:\n"
        "  worker:\n"
        "    build: .\n"
        '    command: ["celery", "-A", "proj", "worker", "--pool=threads"]\n'
        "  io-worker:\n"
        "    build: .\n"
        "    command: >\n"
        "      celery -A proj worker -P gevent --max-tasks-per-child 100\n"
    )
    root = project(tmp_path, {"docker-compose.yml": compose, "Dockerfile": "FROM python\n"})
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


def test_only_the_workers_consuming_the_tasks_queue_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    procfile = (
        "io: celery -A proj worker -Q celery -P threads\n"
        "cpu: celery -A proj worker -Q heavy\n"  # prefork, but never gets `crunch`
    )
    root = project(tmp_path, {"Procfile": procfile})
    assert codes(root, capsys) == ["CL201"]


def test_a_worker_whose_pool_cannot_be_told_keeps_process_pool_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    procfile = "a: celery -A proj worker -P threads\nb: celery -A proj worker -P $POOL\n"
    root = project(tmp_path, {"Procfile": procfile})
    assert "CL301" in codes(root, capsys)


@pytest.mark.parametrize(
    "files",
    [
        {"Procfile": "worker: cd proj && celery -A proj worker -P threads\n"},
        {"Procfile": "worker: cd proj; exec celery -A proj worker -P threads # not -P solo\n"},
        {"Procfile": "worker: uv --directory proj run celery -A proj worker -P threads\n"},
        {"Procfile": "worker: poetry -C proj run celery -A proj worker -P threads\n"},
        {"bin/start-worker": "#!/bin/sh\ncd /app && exec celery -A proj worker -P threads\n"},
        {"bin/start-worker": "#!/bin/sh\ncd /app;celery -A proj worker -P threads\n"},
        {"bin/start-worker": "#!/bin/sh\nuv run --directory /a celery -A proj worker -P threads\n"},
        {
            "bin/start-worker": (
                '#!/bin/sh\nstart() {\n  cd /app && exec celery -A proj worker "$@"\n}\n'
                "set -e; start -P threads\n"
            )
        },
    ],
)
def test_a_procfile_s_or_a_script_s_commands_run_one_after_the_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str]
) -> None:
    """A Procfile's command and a script's line run through a shell: `cd proj && celery
    ... -P threads` is that worker, as in a compose `sh -c` (it had been a command not
    known, `cd`, which kept CL301 reported and CL204 silent); so is `uv --directory proj
    run celery ...`."""
    root = project(tmp_path, files)
    (worker,) = model(root).services
    assert (worker.role, worker.app, worker.pool_written) == ("worker", "proj", "threads")
    assert codes(root, capsys) == ["CL201"]


def test_airflow_s_celery_worker_is_no_worker_of_the_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Airflow's compose file: the apache/airflow image runs `airflow celery worker`,
    Airflow's own Celery app; the project's only worker runs threads."""
    compose = (
        "services:\n"
        "  worker:\n    image: python:3.12\n    command: celery -A proj worker -P threads\n"
        "  airflow-worker:\n    image: apache/airflow:2.10.4\n    command: celery worker\n"
    )
    root = project(tmp_path, {"docker-compose.yml": compose})
    assert codes(root, capsys) == ["CL201"]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        # The project's app, on its own image built elsewhere (CI): a prefork worker.
        ("celery -A proj worker", ["CL201", "CL301"]),
        # No app, on an image whose ENTRYPOINT is not known: what runs is not known.
        ("celery worker", ["CL201"]),
    ],
)
def test_a_worker_on_an_image_not_built_here(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, expected: list[str]
) -> None:
    compose = (
        "services:\n"
        "  worker:\n    image: python:3.12\n    command: celery -A proj worker -P threads\n"
        f"  pulled:\n    image: ghcr.io/org/proj:latest\n    command: {command}\n"
    )
    root = project(tmp_path, {"docker-compose.yml": compose})
    assert codes(root, capsys) == expected


# -- what is read, and what is not ---------------------------------------------------


def test_lookalikes_are_not_workers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path, {})
    write(
        root,
        {
            "dashboard.json": '{"expr": "celery_worker_up{job=\\"celery worker -P solo\\"}"}',
            "Makefile": "worker:\n\tcelery -A proj worker --time-limit=5 -P solo\n",
            "Dockerfile": "COPY docker/celery/start-worker /start-worker\n"
            "# CMD celery -A proj worker --time-limit=5\n",
            "Procfile": "worker: celery -A proj worker --max-tasks-per-child=10\n",
        },
    )
    workers = [s for s in model(root).services if s.role == "worker"]
    assert [(s.name, s.app, s.pool_written) for s in workers] == [("worker", "proj", None)]
    assert codes(root, capsys) == ["CL201", "CL301"]


def test_excluded_and_hidden_directories_are_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = "worker: celery -A proj worker --time-limit=60\n"
    root = project(tmp_path, {})
    write(root, {"pyproject.toml": '[tool.celerylint]\nextend-exclude = ["legacy"]\n'})
    write(root, {"legacy/Procfile": command, ".github/Procfile": command})
    assert codes(root, capsys) == ["CL201", "CL301"]
    write(root, {"Procfile": command})
    assert codes(root, capsys) == ["CL301"]


# -- DJANGO_SETTINGS_MODULE set by the deployment ------------------------------------


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "Dockerfile": "ENV DJANGO_SETTINGS_MODULE=a.settings PORT=80\n"
                "ENV DJANGO_SETTINGS_MODULE b.settings\n"
                "# ENV DJANGO_SETTINGS_MODULE=commented.out\n"
                "RUN env -u DJANGO_SETTINGS_MODULE django-admin compilemessages\n"
                "CMD gunicorn proj.wsgi\n"
            },
            ["b.settings"],  # the last ENV is the image's
        ),
        (
            {
                "docker-compose.yml": "services:\n"
                "  web:\n    build: .\n    environment:\n      DJANGO_SETTINGS_MODULE: a.settings\n"
                "  worker:\n    build: .\n"
                "    environment:\n      - DJANGO_SETTINGS_MODULE=b.settings\n"
                '    command: sh -c "DJANGO_SETTINGS_MODULE=c.settings celery -A c worker"\n',
                "Dockerfile": "FROM python\n",
            },
            ["a.settings", "b.settings", "c.settings"],
        ),
        (
            {
                "deploy/worker.yaml": "kind: Deployment\nspec:\n  template:\n    spec:\n"
                "      containers:\n      - command: [celery, -A, k, worker]\n        env:\n"
                "        - name: DJANGO_SETTINGS_MODULE\n          value: k.settings\n"
            },
            ["k.settings"],
        ),
        (
            {
                "entrypoint.sh": "#!/bin/sh\n"
                'export DJANGO_SETTINGS_MODULE="e.settings"\n'
                "DJANGO_SETTINGS_MODULE=${SETTINGS} exec gunicorn\n"
            },
            ["e.settings"],
        ),
        (
            {"Procfile": "worker: DJANGO_SETTINGS_MODULE=p.settings celery -A p worker\n"},
            ["p.settings"],
        ),
        # A test run's settings are not a deployment's.
        ({"tox.ini": "[testenv]\nsetenv =\n    DJANGO_SETTINGS_MODULE=t.settings\n"}, []),
    ],
)
def test_settings_modules_the_deployment_sets(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    write(tmp_path, files)
    found = model(tmp_path)._deployed_settings_modules()
    assert sorted(found) == expected


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
    return write(root, files)


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


# -- CL503: a result backend given by the deployment ---------------------------------

READER = (
    "from celery import Celery\n\n"
    'app = Celery("proj", broker="redis://r/0")\n\n\n'
    "@app.task\ndef add(x, y):\n    return x + y\n\n\n"
    "def total():\n    return add.delay(1, 2).get(timeout=5)\n"
)


def reader(root: Path, manifests: dict[str, str]) -> Path:
    return write(root, {"proj/__init__.py": "", "proj/celery.py": READER, **manifests})


@pytest.mark.parametrize(
    ("files", "silenced"),
    [
        ({}, False),
        ({"Procfile": "worker: celery -A proj worker --result-backend=redis://r/1\n"}, True),
        (
            {
                "docker-compose.yml": "services:\n  worker:\n    build: .\n"
                "    command: celery -A proj worker\n"
                "    environment:\n      CELERY_RESULT_BACKEND: redis://r/1\n",
                "Dockerfile": "FROM python\n",
            },
            True,
        ),
        (
            {
                "k8s/worker.yaml": "kind: Deployment\nspec:\n  template:\n    spec:\n"
                "      containers:\n      - command: [celery, -A, proj, worker]\n        env:\n"
                "        - name: CELERY_RESULT_BACKEND\n          value: redis://r/1\n"
            },
            True,
        ),
        # An image whose command cannot be told: which app it configures is not known.
        ({"Dockerfile": "ENV CELERY_RESULT_BACKEND redis://r/1\nCMD ./start.sh\n"}, True),
        # Another app's worker: says nothing about `proj`.
        (
            {"Procfile": "worker: CELERY_RESULT_BACKEND=redis://r/1 celery -A other worker\n"},
            False,
        ),
        # Mentions that configure no process.
        ({"config.json": '{\n  "CELERY_RESULT_BACKEND": "redis://r/1"\n}\n'}, False),
        ({"docs/setup.yml": "CELERY_RESULT_BACKEND: redis://r/1\n"}, False),
    ],
)
def test_result_backend_given_by_the_deployment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str], silenced: bool
) -> None:
    root = reader(tmp_path, files)
    if "-A other" in str(files):
        write(root, {"other/__init__.py": "", "other/celery.py": OTHER})
    assert ("CL503" not in codes(root, capsys)) is silenced


def test_an_unreadable_word_is_not_taken_for_a_time_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kitsune's `celery -A kitsune worker -Q $QUEUE $CONCURRENCY`: the word may be any
    option, so the queues and pool are unknown, but nothing shows a global time limit."""
    script = "#!/bin/sh\nexec celery -A proj worker -P threads $CONCURRENCY\n"
    root = project(tmp_path, {"bin/run-celery-worker.sh": script})
    (worker,) = [s for s in model(root).services if s.role == "worker"]
    assert worker.queues is None
    with pytest.raises(LookupError):
        worker.option("concurrency")
    assert "time_limit" not in worker.options
    assert codes(root, capsys) == ["CL201"]  # -P threads: no process pool problem
