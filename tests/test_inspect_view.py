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


def inspect(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["inspect", *args]) == 0
    return capsys.readouterr().out


def test_tree_shows_settings_with_origins_tasks_and_services(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = inspect(capsys, str(project)).splitlines()
    assert tree[0] == "Apps (1)"
    assert "    broker_url = 'redis://cache:6379/0'  proj/celery.py:3" in tree
    assert "    task_serializer = 'json'  proj/celery.py:4" in tree
    assert "  proj.tasks.mail  [proj.celery:app]" in tree
    assert "    time_limit = 30  (from task proj/tasks.py:4)" in tree
    # Celery's defaults are left out.
    assert not any(line.strip().startswith("acks_late") for line in tree)
    assert "  1 worker command line(s) in Procfile; pools: threads" in tree


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
