"""Apps as a deployed service's environment resolves them (`Project.as_deployed`)."""

from __future__ import annotations

from pathlib import Path

from celerylint import pipeline
from celerylint.config import Config
from celerylint.model.project import Project
from celerylint.sources.project import gather_sources

SETTINGS = 'import os\n\nCELERY_BROKER_URL = os.environ.get("BROKER", "redis://broker:6379/0")\n'
APP = (
    "import os\n\nfrom celery import Celery\n\n"
    'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n\n'
    'app = Celery("{name}")\n'
    'app.config_from_object("django.conf:settings", namespace="CELERY")\n'
)
COMPOSE = """\
services:
  first:
    command: celery -A proj.first worker
    environment: [BROKER=redis://one:6379/0]
  second:
    command: celery -A proj.second worker
    environment: [BROKER=redis://two:6379/0]
  again:
    command: celery -A proj.first worker
    environment: [BROKER=redis://one:6379/0]
"""


def model(root: Path) -> Project:
    """The project's model, as a check builds it."""
    config = Config(root=root, config_file=None)
    sources = gather_sources([root], config)
    store = pipeline.load_facts(sources, config, use_cache=False, overlay=None)
    return pipeline.build_project(store, sources, config)


def test_each_service_resolves_its_own_app_in_its_environment(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    (tmp_path / "proj" / "settings.py").write_text(SETTINGS)
    for name in ("first", "second"):
        (tmp_path / "proj" / f"{name}.py").write_text(APP.format(name=name))
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    project = model(tmp_path)
    services = {service.name: service for service in project.services}
    deployed = {}
    for name, service in services.items():
        app = project.service_app(service)
        assert app is not None
        deployed[name] = project.as_deployed(app, service)
        assert deployed[name] is not app
        assert deployed[name].key == app.key
    urls = {name: app.setting("broker_url").value.value for name, app in deployed.items()}
    assert urls == {
        "first": "redis://one:6379/0",
        "second": "redis://two:6379/0",
        "again": "redis://one:6379/0",
    }
    assert deployed["again"] is deployed["first"]  # the same environment: resolved once
    # Outside any deployment the environment variable is not known.
    assert not any(app.setting("broker_url").known for app in project.apps)
    # One settings module configures every app: each app's layer is its own to change.
    apps = [*project.apps, deployed["first"], deployed["second"]]
    layers = [app.source.layers[0] for app in apps]
    assert len({id(layer.entries) for layer in layers}) == len(layers)
    assert all(layer.entries == layers[0].entries for layer in layers)


PROJ_APP = 'from celery import Celery\n\napp = Celery("proj", broker="redis://r:6379/0")\n'


def _proj(root: Path, **modules: str) -> None:
    """A package `proj` holding these modules (name -> text)."""
    (root / "proj").mkdir()
    (root / "proj" / "__init__.py").write_text("")
    for name, text in modules.items():
        (root / "proj" / f"{name}.py").write_text(text)


def _services_and_apps(root: Path) -> dict[str, tuple[str, str, str | None]]:
    """Each deployed service's role, the app it runs (its id, or "") and its pool."""
    project = model(root)
    found = {}
    for service in project.services:
        app = project.service_app(service)
        pool = project.service_pool(service, app) if app is not None else None
        found[service.name] = (service.role, app.id if app is not None else "", pool)
    return found


def _apps_with(root: Path, files: dict[str, str]) -> dict[str, str]:
    """Each service's app (its id, or "") once these files (path -> text) are written."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return {name: app for name, (_role, app, _pool) in _services_and_apps(root).items()}


def test_an_app_named_where_it_is_imported_is_the_app(tmp_path: Path) -> None:
    # security_monkey: `-A proj.tasks.CELERY`, where proj.tasks imports the app made in
    # proj.util; Celery takes the attribute of the module it imports.
    _proj(
        tmp_path,
        util=PROJ_APP.replace("app = ", "CELERY = "),
        tasks="from proj.util import CELERY\n",
    )
    (tmp_path / "Procfile").write_text(
        "worker: celery -A proj.tasks.CELERY worker -P threads\n"
        "beat: celery -A proj.tasks:CELERY beat\n"
        "other: celery -A proj.tasks:MISSING worker\n"
    )
    assert _services_and_apps(tmp_path) == {
        "worker": ("worker", "proj.util:CELERY", "threads"),
        "beat": ("beat", "proj.util:CELERY", "prefork"),
        "other": ("worker", "", None),
    }


def test_worker_commands_behind_setuser_and_quoted_are_read(tmp_path: Path) -> None:
    # onadata's `exec /sbin/setuser "${UWSGI_USER}" celery worker ...` (phusion's base
    # image) and doccano's `exec "celery" --app=config worker --pool=solo`.
    _proj(tmp_path, celery=PROJ_APP)
    (tmp_path / "run_celery.sh").write_text(
        '#!/bin/bash\nexec /sbin/setuser "${UWSGI_USER}" celery worker -A proj -P gevent\n'
    )
    (tmp_path / "prod-celery.sh").write_text(
        '#!/bin/bash\ncd /app\nexec "celery" --app=proj worker --pool=solo\n'
    )
    assert _services_and_apps(tmp_path) == {
        "run_celery.sh:2": ("worker", "proj.celery:app", "gevent"),
        "prod-celery.sh:3": ("worker", "proj.celery:app", "solo"),
    }


def test_a_module_with_one_app_among_its_names_loads_that_app(tmp_path: Path) -> None:
    # The FastAPI template's worker: `celery -A app.worker`, a module with no `app` nor
    # `celery` attribute, which imports `celery_app`: Celery's find_app takes the
    # Celery instance among the module's names.
    (tmp_path / "app" / "core").mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "core" / "__init__.py").write_text("")
    (tmp_path / "app" / "core" / "celery_app.py").write_text(
        'from celery import Celery\n\ncelery_app = Celery("worker", broker="amqp://q//")\n'
    )
    (tmp_path / "app" / "worker.py").write_text("from app.core.celery_app import celery_app\n")
    (tmp_path / "Procfile").write_text("worker: celery -A app.worker worker -P threads\n")
    assert _services_and_apps(tmp_path) == {
        "worker": ("worker", "app.core.celery_app:celery_app", "threads"),
    }


def test_flasks_own_server_is_a_web_process(tmp_path: Path) -> None:
    # testdrivenio/flask-celery's compose runs the app with the flask CLI: a producer.
    _proj(tmp_path, celery=PROJ_APP)
    (tmp_path / "Procfile").write_text(
        "web: flask --app proj.web run --host 0.0.0.0\n"
        "dev: python -m flask run\n"
        "shell: flask shell\n"
    )
    assert _services_and_apps(tmp_path) == {
        "web": ("web", "proj.celery:app", "prefork"),
        "dev": ("web", "proj.celery:app", "prefork"),
        "shell": ("other", "", None),
    }


def test_a_script_that_is_not_read_may_start_a_worker(tmp_path: Path) -> None:
    # fastapi-celery-project: a Dockerfile copies compose/.../worker/start to
    # /start-celeryworker, and compose runs `/start-celeryworker`. A script named like a
    # Celery process that starts nothing read may start a worker: its command is not
    # known (it was taken for a known non-Celery process, which hid the worker). Any
    # other script that starts nothing recognisable stays "other".
    _proj(tmp_path, celery=PROJ_APP)
    (tmp_path / "migrate.sh").write_text("#!/bin/sh\npython manage.py migrate\n")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n"
        "  worker:\n    command: /start-celeryworker\n"
        "  setup:\n    command: ./migrate.sh\n"
    )
    services = {s.name: s for s in model(tmp_path).services}
    assert (services["worker"].role, services["worker"].command_known) == ("other", False)
    assert (services["setup"].role, services["setup"].command_known) == ("other", True)


def test_a_web_service_runs_the_only_app_unless_its_image_holds_none_of_it(
    tmp_path: Path,
) -> None:
    """Open-Assistant's safety service copies in only `inference/safety/*.py`: it runs
    no Celery app, and was said to send to another broker than the worker's (CL606)."""
    _proj(tmp_path, celery=PROJ_APP)
    files = {
        "safety/Dockerfile": (
            'ARG SERVICE="safety"\nFROM python:3.12-slim AS build\nARG SERVICE\n'
            "COPY ./${SERVICE}/requirements.txt .\nFROM python:3.12-slim\nARG SERVICE\n"
            "WORKDIR /app\nCOPY --from=build /requirements.txt .\n"
            "COPY ./${SERVICE}/*.py ./\n"
            'CMD ["uvicorn", "main:app"]\n'
        ),
        "web/Dockerfile": 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD ["gunicorn", "w:a"]\n',
        "base/Dockerfile": 'FROM org/app-base:1\nCOPY ./base/x.py .\nCMD ["gunicorn", "w:a"]\n',
        "docker-compose.yml": (
            "services:\n"
            "  safety:\n    build: {context: ., dockerfile: safety/Dockerfile}\n"
            "  mounted:\n    build: {context: ., dockerfile: safety/Dockerfile}\n"
            "    volumes: ['./proj:/app/proj', 'data:/data']\n"
            "  web:\n    build: {context: ., dockerfile: web/Dockerfile}\n"
            "  based:\n    build: {context: ., dockerfile: base/Dockerfile}\n"
            "  pulled:\n    image: org/web\n    command: gunicorn w:a\n"
        ),
    }
    found = _apps_with(tmp_path, files)
    assert found == {
        "safety": "",
        # A volume mounts the app's package; `COPY . .` copies the whole context; an
        # image that is no official one, or no Dockerfile at all, may hold anything.
        "mounted": "proj.celery:app",
        "web": "proj.celery:app",
        "based": "proj.celery:app",
        "pulled": "proj.celery:app",
    }


def test_a_web_service_runs_the_only_app_if_what_it_serves_may_use_it(tmp_path: Path) -> None:
    """libretime's systemd units: `gunicorn libretime_api.asgi`, a Django project that
    never imports the worker's package, runs no app of it. A server of the app's own
    package does, and so does one of a package that imports the app's."""
    files = {
        "worker/libretime_worker/__init__.py": "",
        "worker/libretime_worker/tasks.py": PROJ_APP,
        "api/libretime_api/__init__.py": "",
        "api/libretime_api/asgi.py": "from django.core.asgi import get_asgi_application\n",
        "shop/shop/__init__.py": "",
        "shop/shop/wsgi.py": "from libretime_worker.tasks import app  # noqa: F401\n",
        "worker/libretime_worker/wsgi.py": "",
        "api.service": "[Service]\nExecStart=/usr/bin/gunicorn libretime_api.asgi:application\n",
        "shop.service": "[Service]\nExecStart=/usr/bin/gunicorn -k gevent shop.wsgi\n",
        "own.service": "[Service]\nExecStart=/usr/bin/gunicorn libretime_worker.wsgi\n",
        "other.service": "[Service]\nExecStart=/usr/bin/gunicorn elsewhere.wsgi\n",
        "worker.service": "[Service]\nExecStart=/usr/bin/celery -A libretime_worker.tasks worker\n",
    }
    found = _apps_with(tmp_path, files)
    assert found == {
        "api": "",
        "shop": "libretime_worker.tasks:app",
        "own": "libretime_worker.tasks:app",
        # What it serves is not in the repository: it may be anything.
        "other": "libretime_worker.tasks:app",
        "worker": "libretime_worker.tasks:app",
    }


def test_fedoras_celery_3_program_runs_celery(tmp_path: Path) -> None:
    # Pagure's images run Fedora's python3-celery, installed as `celery-3`.
    _proj(tmp_path, celery=PROJ_APP)
    (tmp_path / "Procfile").write_text("worker: /usr/bin/celery-3 -A proj.celery worker -P solo\n")
    (tmp_path / "start.sh").write_text("#!/bin/sh\nexec celery-3 -A proj.celery beat\n")
    assert _services_and_apps(tmp_path) == {
        "worker": ("worker", "proj.celery:app", "solo"),
        "start.sh:2": ("beat", "proj.celery:app", "prefork"),
    }


def test_a_short_app_name_several_directories_hold_is_the_one_the_process_holds(
    tmp_path: Path,
) -> None:
    """flower: `celery -A tasks worker` with `./examples:/data` mounted runs
    examples/tasks.py's app, not docs/tasks.py's (walked first, it was taken for
    `tasks`); a process that may hold both runs neither that is known."""
    _proj(tmp_path, tasks=PROJ_APP)  # `proj.tasks`: in a package, never a bare `tasks`
    files = {
        "docs/tasks.py": 'from celery import Celery\n\ncelery = Celery("docs")\n',
        "examples/tasks.py": 'from celery import Celery\n\napp = Celery("tasks")\n',
        "empty/Dockerfile": "FROM python:3.12\nWORKDIR /data\n",
        "all/Dockerfile": "FROM python:3.12\nWORKDIR /app\nCOPY . .\n",
        "some/Dockerfile": "FROM python:3.12\nCOPY examples /app\nCOPY proj /app/proj\n",
        "docker-compose.yml": (
            "services:\n"
            "  pulled:\n    image: python:3.12\n    command: celery -A tasks worker\n"
            "    volumes: ['./examples:/data']\n    working_dir: /data\n"
            "  mounted:\n    build: {context: ., dockerfile: empty/Dockerfile}\n"
            "    command: celery -A tasks:app worker\n    volumes: ['./examples:/data']\n"
            "  copied:\n    build: {context: ., dockerfile: some/Dockerfile}\n"
            "    command: celery -A tasks worker\n"
            "  whole:\n    build: {context: ., dockerfile: all/Dockerfile}\n"
            "    command: celery -A tasks worker\n"
            "  named:\n    image: python:3.12\n    command: celery -A docs.tasks worker\n"
        ),
    }
    found = _apps_with(tmp_path, files)
    assert found == {
        # What an image not built here holds is not known (its volume is not all of it).
        "pulled": "",
        "mounted": "examples.tasks:app",
        "copied": "examples.tasks:app",
        "whole": "",
        "named": "docs.tasks:celery",
    }
