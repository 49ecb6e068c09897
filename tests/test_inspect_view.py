"""`celerylint inspect`: the tree for people, JSON for machines, the topology as a graph."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from celerylint.cli import main

FILES = {
    "proj/__init__.py": "",
    "proj/celery.py": """\
        from celery import Celery

        app = Celery("proj", broker="redis://cache:6379/0")
        app.conf.task_serializer = "json"
        app.conf.accept_content = ["json"]
        app.conf.task_routes = {"proj.tasks.mail": {"queue": "email"}}
        """,
    "proj/tasks.py": """\
        from proj.celery import app


        @app.task(time_limit=30)
        def mail(to):
            pass


        @app.task(queue="reports")
        def report():
            pass
        """,
    "proj/views.py": """\
        from proj.tasks import mail, report


        def signup(user):
            mail.delay(user)
            report.apply_async()
        """,
    "Procfile": "worker: celery -A proj worker -P threads\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def services_shown(tree: list[str], count: int) -> list[str]:
    """The lines after the tree's `Deployed services (count)` heading."""
    return tree[tree.index(f"Deployed services ({count})") + 1 :]


def inspect(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["inspect", *args]) == 0
    return capsys.readouterr().out


def test_tree_shows_settings_with_origins_tasks_and_services(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    tree = inspect(capsys, str(project)).splitlines()
    assert tree[0] == "Apps (1)"
    assert "    broker_url = 'redis://cache:6379/0'  proj/celery.py:3" in tree
    assert "    task_serializer = 'json'  proj/celery.py:4" in tree
    assert "  proj.tasks.mail  [proj.celery:app]" in tree
    assert "    time_limit = 30  (from task proj/tasks.py:4)" in tree
    # Celery's defaults are left out.
    assert not any(line.strip().startswith("acks_late") for line in tree)
    assert services_shown(tree, 1) == [
        "  app proj.celery:app",
        "    worker  worker; default queue; pool threads; Procfile:1",
    ]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("", "    every setting at its default"),
        (
            'app.config_from_object("celeryconfig_elsewhere")\n',
            "    every setting unknown (configuration module 'celeryconfig_elsewhere' is not "
            "in the project)",
        ),
        (
            "app.conf.update(load())\napp.conf.task_acks_late = True\n",
            "    every other setting unknown (app.conf is changed dynamically)",
        ),
        (  # what `load()` returns may set task_acks_late again
            "app.conf.task_acks_late = True\napp.conf.update(load())\n",
            "    every setting unknown (app.conf is changed dynamically)",
        ),
        (
            "def configure(config):\n    app.config_from_object(config)\n",
            "    every setting unknown (config_from_object runs only in a branch or a function)",
        ),
        (
            'app.config_from_object("proj.a")\napp.config_from_object("proj.b")\n',
            "    every setting unknown (config_from_object is called more than once)",
        ),
    ],
    ids=["defaults", "config-outside", "dynamic", "dynamic-last", "in-a-function", "twice"],
)
def test_tree_says_settings_are_unknown_when_the_configuration_cannot_be_read(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    config: str,
    expected: str,
) -> None:
    # Not "every setting at its default" (flaskbb, arches): nobody can tell.
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    app = 'from celery import Celery\n\napp = Celery("proj")\n' + config
    (tmp_path / "proj" / "celery.py").write_text(app)
    monkeypatch.chdir(tmp_path)
    tree = inspect(capsys, str(tmp_path)).splitlines()
    assert tree[1] == "  proj.celery:app  (config: " + tree[1].split("(config: ")[1]
    assert expected in tree, tree[:6]


def test_tree_compares_settings_between_services_of_one_app_in_one_deployment(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    (project / "proj" / "celery.py").write_text(
        "import os\n\nfrom celery import Celery\n\n"
        'app = Celery("proj", broker="redis://cache:6379/0")\n'
        'app.conf.task_serializer = os.environ.get("SERIALIZER", "json")\n'
        'other = Celery("other", broker="redis://cache:6379/1")\n'
        'other.conf.task_serializer = os.environ.get("SERIALIZER", "json")\n'
    )
    (project / "Procfile").write_text(
        "web: SERIALIZER=pickle celery -A proj.celery:app worker\n"
        "worker: celery -A proj.celery:app worker -Q a\n"
        "other: SERIALIZER=yaml celery -A proj.celery:other worker\n"
    )
    (project / "k8s").mkdir()
    (project / "k8s" / "worker.yaml").write_text(
        "kind: Deployment\nmetadata:\n  name: tasks\n"
        "spec:\n  template:\n    spec:\n      containers:\n"
        "      - name: w\n        command: [celery, -A, proj.celery:app, worker]\n"
        "        env:\n        - name: SERIALIZER\n          value: msgpack\n"
    )
    tree = inspect(capsys, str(project)).splitlines()
    assert services_shown(tree, 4) == [
        "  app proj.celery:app",
        "    web  worker; default queue; pool prefork; Procfile:1",
        "    worker  worker; queues a; pool prefork; Procfile:2",
        "    tasks/w  worker; default queue; pool prefork; k8s/worker.yaml:9",
        # (A Procfile's environment is the platform's: unknown unless the line sets it.)
        # Not against the k8s worker: another deployment, which never talks to these.
        "    task_serializer differs in Procfile: web: 'pickle', worker: unknown",
        "  app proj.celery:other",
        "    other  worker; default queue; pool prefork; Procfile:3",
    ]


def test_json_format_is_the_describe_view(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    view = json.loads(inspect(capsys, str(project), "--format", "json"))
    assert view["apps"]["proj.celery:app"]["settings"]["task_serializer"]["value"] == "json"
    assert view["tasks"]["proj.tasks.mail"]["options"]["time_limit"]["value"] == 30


def test_mermaid_graph_producers_broker_queues_workers(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = inspect(capsys, str(project), "--graph", "mermaid")
    lines = graph.splitlines()
    assert lines[0] == "flowchart LR"
    declared = [line for line in lines[1:] if "--" not in line]

    def ident(fragment: str) -> str:
        (found,) = [
            line.split("[")[0].split("(")[0].strip() for line in declared if fragment in line
        ]
        return found

    broker = ident("redis://cache:6379/0")
    producer = ident('["proj.views"]')
    email, reports = ident("queue email"), ident("queue reports")
    worker = ident("worker proj.celery:app (threads)")
    assert f'  {producer} -- "json" --> {broker}' in lines
    assert f"  {broker} --> {email}" in lines and f"  {broker} --> {reports}" in lines
    assert f'  {email} -- "accepts json" --> {worker}' in lines


def test_dot_graph(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = inspect(capsys, str(project), "--graph", "dot")
    assert graph.startswith("digraph celery {\n  rankdir=LR;\n")
    assert 'shape=cylinder, label="redis://cache:6379/0"' in graph
    assert 'label="queue email"' in graph
    assert '[label="json"];' in graph
    assert graph.rstrip().endswith("}")


def test_a_line_every_django_settings_module_star_imports_keeps_its_own_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """cookiecutter-django: local and production both `from .base import *`. A value of
    base.py that cannot be known is the same unknown in both: shown with its reason and
    line, not as differing between the modules; a value one of them sets differs."""
    default = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.{}')\n"
    files = {
        "manage.py": default.format("local"),
        "config/__init__.py": "",
        "config/wsgi.py": default.format("production"),
        "config/settings/__init__.py": "",
        "config/settings/base.py": (
            "import environ\nenv = environ.Env()\nREDIS_URL = env('REDIS_URL')\n"
            "CELERY_BROKER_URL = REDIS_URL\nCELERY_TASK_TIME_LIMIT = 300\n"
        ),
        "config/settings/local.py": (
            "from .base import *  # noqa\nCELERY_TASK_EAGER_PROPAGATES = True\n"
        ),
        "config/settings/production.py": "from .base import *  # noqa\n",
        "config/celery_app.py": (
            "from celery import Celery\napp = Celery('config')\n"
            "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
        ),
    }
    write(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    tree = inspect(capsys, str(tmp_path)).splitlines()
    assert (
        "    broker_url = unknown (environment variable REDIS_URL)  config/settings/base.py:4"
        in tree
    )
    assert "    task_time_limit = 300  config/settings/base.py:5" in tree
    assert "    1 other settings unknown (differs between Django settings modules)" in tree


def test_a_web_server_of_a_project_without_celery_is_no_app_left_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Procfile").write_text("web: gunicorn site.wsgi\n", encoding="utf-8")
    (tmp_path / "Dockerfile").write_text(
        'FROM python:3.13 AS base\nCMD ["gunicorn", "site.wsgi"]\n\nFROM base\nRUN true\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    tree = inspect(capsys, str(tmp_path)).splitlines()
    # The CMD inherited from the base stage is where it is written (line 2), not line 1.
    assert services_shown(tree, 2) == [
        "  web servers",
        "    web  web; Procfile:1",
        "    Dockerfile  web; Dockerfile:2",
    ]


@pytest.mark.parametrize(
    ("declared", "consumed"),
    [
        ("[Queue('index'), Queue('harvest')]", "task_queues index, harvest"),
        # A name not known (no such module): which queues stays unknown.
        ("[Queue('index'), Queue(NAMES.harvest)]", "the queues of task_queues, not known"),
    ],
)
def test_a_worker_without_q_consumes_task_queues_when_the_app_declares_them(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    declared: str,
    consumed: str,
) -> None:
    """SHARE: `celery --app project worker` with `task_queues` set consumes those queues,
    not only the default one."""
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": (
                "from celery import Celery\nfrom kombu import Queue\n\n"
                "from proj import NAMES\n\n"
                "app = Celery('proj', broker='redis://cache:6379/0')\n"
                f"app.conf.task_queues = {declared}\n"
            ),
            "Procfile": "worker: celery -A proj worker\nindexer: celery -A proj worker -Q index\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    tree = inspect(capsys, str(tmp_path)).splitlines()
    assert f"    worker  worker; no -Q: {consumed}; pool prefork; Procfile:1" in tree
    assert "    indexer  worker; queues index; pool prefork; Procfile:2" in tree


def test_tree_gives_each_reason_settings_are_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several candidate settings modules, unknown for different reasons (openedx's
    registrar): each reason is shown, not a bare "unknown"."""
    chooses = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings.{}")\n'
    files = {
        "manage.py": chooses.format("local"),
        "proj/__init__.py": "",
        "proj/wsgi.py": chooses.format("production"),
        "proj/celery.py": (
            'from celery import Celery\n\napp = Celery("proj")\n'
            'app.config_from_object("django.conf:settings", namespace="CELERY")\n'
        ),
        "proj/settings/__init__.py": "",
        "proj/settings/base.py": 'CELERY_BROKER_URL = "redis://r:6379/0"\n',
        "proj/settings/local.py": "from .base import *\nCELERY_TASK_ACKS_LATE = True\n",
        "proj/settings/production.py": "from .base import *\nvars().update(load())\n",
    }
    write(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    tree = inspect(capsys, str(tmp_path)).splitlines()
    assert tree[2] == (
        "    every setting unknown (differs between Django settings modules; "
        "module proj.settings.production is not fully static)"
    )


def test_tree_says_why_the_options_annotations_may_set_are_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """grafana oncall: the settings module is not in the repository, so every option
    `task_annotations` may set is unknown; the tree says why, not only that."""
    celery = (
        'import os\n\nfrom celery import Celery\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE",'
        ' "settings.prod")\n\napp = Celery("proj")\n'
        'app.config_from_object("django.conf:settings", namespace="CELERY")\n\n\n'
        "@app.task\ndef mail():\n    pass\n"
    )
    write(tmp_path, {"proj/__init__.py": "", "proj/celery.py": celery})
    monkeypatch.chdir(tmp_path)
    tree = inspect(capsys, str(tmp_path)).splitlines()
    assert (
        "    max_retries = unknown (task_annotations: Django settings 'settings.prod' not in "
        "the project)  (from annotation)"
    ) in tree
