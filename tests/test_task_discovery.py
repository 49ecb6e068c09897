"""Task names and worker imports (CL602, CL605) against real Celery.

Differential: each fixture project under ``fixtures/projects/task_discovery*``
is imported in a subprocess the way a worker starts (the app's module, then
``app.loader.import_default_modules()``: `include`/`imports`, autodiscovery,
the Django fixup's setup and checks), and the task names real Celery then
registers must be exactly those the static model says the worker imports.
Importing every module as well must register exactly the names of the static
registry: the default names (`module.function`) and explicit `name=`.

Premise: a real worker that does not import a task's module refuses its
message with "Received unregistered task of type ...".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Optional

import pytest
from celery import Celery

from celerylint import api
from celerylint.config import ConfigError, load_config
from celerylint.model.project import Project
from celerylint.model.registry import BUILTIN_TASKS, TaskRegistry
from tests.probing import run_script

pytestmark = pytest.mark.real_celery

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "projects"

PROBE = """
import importlib, json, sys
module = importlib.import_module("proj.celery")
app = module.app
app.loader.import_default_modules()
worker = sorted(app.tasks.keys())
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps({"worker": worker, "all": sorted(app.tasks.keys())}))
"""


def _project(root: Path) -> Project:
    config = load_config(None, root).with_overrides(root=root)
    result = api.check([root], config, selected=lambda code: False, use_cache=False)
    assert result.project is not None
    return result.project


def _real(root: Path, modules: list[str]) -> dict[str, set[str]]:
    found = run_script(PROBE, root, *modules)
    return {key: set(names) - BUILTIN_TASKS for key, names in found.items()}


def test_builtin_tasks_are_celerys_own() -> None:
    app = Celery("builtins", set_as_current=False)
    app.finalize()
    assert {name for name in app.tasks if name.startswith("celery.")} == BUILTIN_TASKS


@pytest.mark.parametrize(
    ("fixture", "unreachable"),
    [
        (
            "task_discovery",
            {"proj.reports.tasks", "proj.orphans", "proj.lazy_target", "proj.typing_only"}
            | {"proj.child_only", "proj.uncalled"},
        ),
        ("task_discovery_django", {"orders.jobs"}),
        ("task_discovery_lambda", {"billing.tasks"}),
    ],
)
def test_worker_registers_what_the_model_says_it_imports(
    fixture: str, unreachable: set[str]
) -> None:
    root = FIXTURES / fixture
    project = _project(root)
    (app,) = project.apps
    imports = project.worker_imports(app)
    assert imports.open_reason is None
    modules = sorted({task.module for task in project.tasks})
    real = _real(root, modules)
    static_worker = {t.name for t in project.tasks if t.module in imports.modules}
    assert {t.module for t in project.tasks if t.module not in imports.modules} == unreachable
    assert static_worker == real["worker"]
    registry = project.task_registry
    assert registry.incomplete is None
    assert set(registry.names) == real["all"]


WORKER_PROJECT = """
    import os

    from celery import Celery

    HERE = os.path.dirname(os.path.abspath(__file__))
    app = Celery("proj", set_as_current=False)
    app.conf.broker_url = "filesystem://"
    app.conf.broker_transport_options = {
        "data_folder_in": os.path.join(HERE, "queue"),
        "data_folder_out": os.path.join(HERE, "queue"),
        "processed_folder": os.path.join(HERE, "processed"),
    }
"""

ORPHAN_MODULE = """
    from app import app


    @app.task
    def orphan():
        return None
"""


@pytest.mark.slow
def test_worker_refuses_a_task_whose_module_it_never_imports(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(WORKER_PROJECT))
    (tmp_path / "orphans.py").write_text(textwrap.dedent(ORPHAN_MODULE))
    for folder in ("queue", "processed"):
        (tmp_path / folder).mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY", "DJANGO"))}
    # The sender imports the task; the worker (`-A app`) never imports orphans.py.
    send = "from orphans import orphan\norphan.delay()\n"
    subprocess.run([sys.executable, "-c", send], cwd=tmp_path, env=env, check=True)
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "app", "worker", "-P", "solo"),
            *("-l", "info", "--without-heartbeat", "--without-gossip", "--without-mingle"),
            *("--logfile", str(log)),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    refused = "Received unregistered task of type 'orphans.orphan'"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
            if log.exists() and refused in log.read_text():
                break
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert refused in log.read_text(), log.read_text()


# -- the external-tasks setting ---------------------------------------------------


def test_external_tasks_are_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.celerylint]\nexternal-tasks = ["billing.*", "mailer.send_welcome"]\n'
    )
    assert load_config(None, tmp_path).external_tasks == ("billing.*", "mailer.send_welcome")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"billing.*"', "external-tasks: expected an array of strings"),
        ("[1]", "external-tasks[0]: expected a string, got an integer"),
        ('["billing tasks"]', "external-tasks[0]: expected a task name or glob"),
        ('[""]', "external-tasks[0]: expected a task name or glob"),
    ],
)
def test_external_tasks_are_validated(tmp_path: Path, value: str, expected: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.celerylint]\nexternal-tasks = {value}\n")
    with pytest.raises(ConfigError) as info:
        load_config(None, tmp_path)
    assert expected in str(info.value)


def test_worker_commands_give_the_app_module(tmp_path: Path) -> None:
    from celerylint.facts.deploy import read_deployments
    from celerylint.model.services import deployed_services

    (tmp_path / "Procfile").write_text(
        "a: celery -A proj.celery:app worker -l info\n"
        "b: celery --app=web.worker worker\n"
        "c: exec celery -Aproj worker\n"
        "d: celery --app $APP worker\n"
    )
    facts = read_deployments([str(tmp_path / "Procfile")], tmp_path)
    found = [service.app for service in deployed_services(facts.processes)]
    assert found == ["proj.celery:app", "web.worker", "proj", None]


@pytest.mark.parametrize(
    ("name", "registered", "suggested"),
    [
        # A typo of the function's name, or the task moved to another module: said.
        (
            "orders.tasks.expire_session",
            ["orders.tasks.expire_sessions"],
            "orders.tasks.expire_sessions",
        ),
        (
            "kuma.users.tasks.email_document_progress",
            ["kuma.wiki.tasks.email_document_progress"],
            "kuma.wiki.tasks.email_document_progress",
        ),
        # Another task of the same module (kuma's routes): close as a dotted name only.
        ("kuma.wiki.tasks.index_documents", ["kuma.wiki.tasks.render_document"], None),
        ("kuma.wiki.tasks.acquire_render_lock", ["kuma.wiki.tasks.render_document"], None),
    ],
)
def test_an_unknown_task_name_is_said_to_mean_only_a_near_spelling(
    name: str, registered: list[str], suggested: Optional[str]
) -> None:
    registry = TaskRegistry(frozenset(registered), None, frozenset())
    assert registry.suggestion(name) == suggested
