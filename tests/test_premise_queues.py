"""Premise of CL603's `task_queues` case, on real Celery, and the shapes it reads.

With `task_create_missing_queues = False` and `task_queues` set, Celery 5.7
publishes only to the declared queues: sending a task to any other queue (its
`queue=` option, a `task_routes` entry, a call's `queue=`, or the default queue
when `task_queues` leaves it out) raises `QueueNotFound` in the caller. A glob
route matching no task sent changes nothing; with missing queues created
(the default) every queue is fine.

A worker started without `-Q` consumes the queues `task_queues` declares (a list
of `Queue`s or Celery's older mapping of names to options), less `-X`: not the
default queue they leave out, nor one created only to route a task to.

The queues a worker consumes: `celery worker` reads `-Q` from CELERY_WORKER_QUEUES
too (and `--time-limit` from CELERY_WORKER_TIME_LIMIT, CL201's), an option
written on its command line winning over the variable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import celery._state
import pytest
from celery import Celery
from celery.bin.celery import main as celery_main
from celery.exceptions import QueueNotFound
from kombu import Queue

from celerylint.cli import main

pytestmark = pytest.mark.real_celery


def _app(create_missing: bool, default_queue: str = "default") -> Celery:
    app = Celery("premise", broker="memory://", set_as_current=False)
    app.conf.task_create_missing_queues = create_missing
    app.conf.task_queues = (Queue("default"), Queue("mail"))
    app.conf.task_default_queue = default_queue
    app.conf.task_routes = {"premise.report": "reports", "other.*": {"queue": "nowhere"}}
    return app


def _noop() -> None:
    pass


def _sends(app: Celery) -> dict[str, Callable[[], Any]]:
    option = app.task(name="premise.bulk", queue="bulk")(_noop)
    routed = app.task(name="premise.report")(_noop)
    plain = app.task(name="premise.plain")(_noop)
    return {
        "bulk": option.delay,
        "reports": routed.delay,
        "urgent": lambda: plain.apply_async(queue="urgent"),
        "celery": lambda: plain.delay(),  # the default queue, with default_queue="celery"
    }


def test_undeclared_queues_raise_queue_not_found() -> None:
    app = _app(create_missing=False, default_queue="celery")
    for queue, send in _sends(app).items():
        with pytest.raises(QueueNotFound, match=f"Queue '{queue}' missing from task_queues"):
            send()
    app.send_task("premise.plain", queue="mail")  # declared: published


def test_declared_or_created_queues_publish() -> None:
    app = _app(create_missing=False)
    app.task(name="premise.plain")(_noop).delay()  # default queue declared; glob unused
    created = _app(create_missing=True, default_queue="celery")
    for send in _sends(created).values():
        send()


@pytest.mark.parametrize(
    "declared",
    [
        (Queue("default", routing_key="default"), Queue("amo")),
        {"default": {"routing_key": "default"}, "amo": {"exchange": "amo"}},
    ],
)
@pytest.mark.parametrize(
    ("exclude", "consumed"), [([], ["amo", "default"]), (["amo"], ["default"])]
)
def test_a_worker_without_q_consumes_the_declared_queues(
    monkeypatch: pytest.MonkeyPatch, declared: Any, exclude: list[str], consumed: list[str]
) -> None:
    # Building a worker's pool tells this process that joining a result blocks: undone
    # after the test, so that later tests may wait for results.
    monkeypatch.setattr(celery._state, "_task_join_will_block", False)
    app = Celery("premise", broker="memory://", set_as_current=False)
    app.conf.task_queues = declared
    app.conf.task_default_queue = "celery"  # not declared
    app.conf.task_routes = {"premise.resize": {"queue": "images"}}
    app.task(name="premise.resize")(_noop).delay()  # creates `images` to route to it
    app.send_task("premise.plain")  # creates `celery`
    # What `celery worker` without -Q builds (setup_queues), then its task consumer.
    app.WorkController(
        hostname="premise@host", pool_cls="solo", exclude_queues=exclude, without_mingle=True
    )
    assert sorted(app.amqp.queues) == ["amo", "celery", "default", "images"]
    with app.connection_for_read() as connection:
        consumer = app.amqp.TaskConsumer(connection.default_channel)
        assert sorted(q.name for q in consumer.queues) == consumed


def _findings(root: Path, files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    main(["check", "--no-cache", "--select", "CL603", "--output-format", "json", str(root)])
    return sorted(f["message"] for f in json.loads(capsys.readouterr().out))


DJANGO = {
    "manage.py": "",
    "proj/__init__.py": "",
    "proj/settings.py": (
        "from kombu import Exchange, Queue\n"
        "QUEUES = [Queue(name='default'), Queue('mail', Exchange('mail'))]\n"
        "CELERY_TASK_QUEUES = QUEUES\n"
        "CELERY_TASK_CREATE_MISSING_QUEUES = False\n"
    ),
    "proj/celery.py": (
        "import os\n"
        "from celery import Celery\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
        "app = Celery('proj')\n"
        "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
        "@app.task(queue='mail')\n"
        "def mail():\n    pass\n"
        "@app.task(queue='bulk')\n"
        "def bulk():\n    pass\n"
    ),
}


@pytest.mark.parametrize(
    "queues",
    [
        "QUEUES = [Queue(name='default'), Queue('mail', Exchange('mail'))]",
        "QUEUES = {'default': {}, 'mail': {'exchange': 'mail'}}",  # Celery's older mapping
    ],
)
def test_django_namespace_and_a_module_level_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], queues: str
) -> None:
    settings = DJANGO["proj/settings.py"].replace(
        "QUEUES = [Queue(name='default'), Queue('mail', Exchange('mail'))]", queues
    )
    messages = _findings(tmp_path, {**DJANGO, "proj/settings.py": settings}, capsys)
    assert len(messages) == 1 and "queue 'bulk', which `task_queues` does not" in messages[0]


@pytest.mark.parametrize(
    "queues",
    [
        "QUEUES = [Queue(name='default'), Queue(os.environ['Q'])]",  # a name not known
        "QUEUES = [Queue('default')] + EXTRA",  # not a plain list
        "QUEUES = [Queue(q) for q in ('default', 'mail')]",
    ],
)
def test_task_queues_not_all_literal_is_silent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], queues: str
) -> None:
    settings = DJANGO["proj/settings.py"].replace(
        "QUEUES = [Queue(name='default'), Queue('mail', Exchange('mail'))]",
        f"import os\nEXTRA = []\n{queues}",
    )
    assert _findings(tmp_path, {**DJANGO, "proj/settings.py": settings}, capsys) == []


# A module whose app records what `celery worker` starts its worker with.
_RECORDING_APP = """\
from celery import Celery

app = Celery("recorded", broker="memory://", set_as_current=False)
started = {}


class Worker:
    exitcode = 0

    def __init__(self, **options):
        started.update(options)

    def start(self):
        pass


app.Worker = Worker
"""


@pytest.mark.parametrize(
    ("written", "queues", "time_limit"),
    [([], ["celery", "email"], 300.0), (["-Q", "celery", "--time-limit", "60"], ["celery"], 60.0)],
)
def test_the_worker_command_reads_its_options_from_celery_worker_variables(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    written: list[str],
    queues: list[str],
    time_limit: float,
) -> None:
    """`celery worker` takes `--queues` and `--time-limit` from CELERY_WORKER_QUEUES and
    CELERY_WORKER_TIME_LIMIT (click's `auto_envvar_prefix="CELERY"`, as Celery's `main`
    passes it); an option written on the command line wins over its variable."""
    (tmp_path / "recorded.py").write_text(_RECORDING_APP)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("CELERY_WORKER_QUEUES", "celery,email")
    monkeypatch.setenv("CELERY_WORKER_TIME_LIMIT", "300")
    monkeypatch.setattr(sys, "argv", ["celery", "-A", "recorded", "worker", *written])
    with pytest.raises(SystemExit) as exited:
        celery_main()
    assert exited.value.code == 0
    started = sys.modules.pop("recorded").started  # the next run imports it afresh
    assert (started["queues"], started["time_limit"]) == (queues, time_limit)


_NO_Q_WORKER = {
    "proj/__init__.py": "",
    "proj/celery.py": (
        "import os\n"
        "from celery import Celery\n"
        "from kombu import Queue\n"
        "app = Celery('proj', broker='redis://redis:6379/0')\n"
        "{declared}\n"
        "app.conf.task_routes = {{'proj.celery.resize': {{'queue': '{routed}'}}}}\n"
        "@app.task\n"
        "def resize():\n    pass\n"
    ),
    "docker-compose.yml": (
        "services:\n"
        "  worker:\n"
        "    image: python:3.12\n"
        "    command: celery -A proj worker {options}\n"
        "    environment:\n"
        "      AMO: amo\n"
    ),
}


@pytest.mark.parametrize(
    ("declared", "routed", "options", "consumed"),
    [
        ("app.conf.task_queues = [Queue('default'), Queue('amo')]", "images", "", "default, amo"),
        # Celery's older mapping of names to options.
        ("app.conf.task_queues = {'default': {}, 'amo': {}}", "images", "", "default, amo"),
        # A name read from the environment takes the service's value.
        ("app.conf.task_queues = [Queue(os.environ['AMO'])]", "images", "", "amo"),
        (
            "app.conf.task_queues = [Queue('default'), Queue('amo')]",
            "amo",
            "-X amo",
            "default, amo",
        ),
        # Set under a condition: it may be unset (the default queue alone), or not.
        ("if os.environ.get('X'):\n    app.conf.task_queues = [Queue('a')]", "images", "", None),
        ("app.conf.task_queues = [Queue('default'), Queue(os.environ['B'])]", "images", "", None),
        ("app.conf.task_queues = [Queue('default'), Queue('images')]", "images", "", None),
    ],
)
def test_a_worker_without_q_consumes_static_task_queues(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    declared: str,
    routed: str,
    options: str,
    consumed: str | None,
) -> None:
    files = {
        **_NO_Q_WORKER,
        "proj/celery.py": _NO_Q_WORKER["proj/celery.py"].format(declared=declared, routed=routed),
        "docker-compose.yml": _NO_Q_WORKER["docker-compose.yml"].format(options=options),
    }
    messages = _findings(tmp_path, files, capsys)
    if consumed is None:
        assert messages == []
    else:
        [message] = messages
        assert f"routed to queue '{routed}', which no deployed worker" in message
        assert f"(`worker` (docker-compose.yml:4): task_queues ({consumed}))" in message
