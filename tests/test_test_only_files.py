"""Test-only files are parsed only when the model asks for one.

Nothing in a file only a test suite runs (`sources.places`) is reported, and what
it does (a test app, a result read, a task sent) is not what production does: the
fact store leaves such files out as the prefilter leaves out the others, on every
path a check takes (in-process, workers during the walk, the cache, an open
buffer), and the model still loads one that production code imports.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from celerylint import api, pipeline, store
from celerylint.config import Config
from celerylint.sources.project import gather_sources
from celerylint.store import FactStore

APP = "from celery import Celery\n\napp = Celery('proj', broker='redis://r/0')\n"
# Production code takes its time limit from a helper module of the test suite.
TASKS = (
    "from proj.celery import app\nfrom tests.helpers import LIMIT\n\n\n"
    "@app.task(time_limit=LIMIT)\ndef ping():\n    return 1\n"
)
# A test-only module the prefilter would keep (`.delay(`), sending with `args` a string
# (CL802, were it reported) and making an app of its own.
HELPERS = (
    "from celery import Celery\n\nfrom proj.tasks import ping\n\nLIMIT = 30\n"
    "own = Celery('own')\n\n\ndef send():\n    ping.apply_async(args='x')\n    ping.delay()\n"
)
FILES = {
    "proj/__init__.py": "",
    "proj/celery.py": APP,
    "proj/tasks.py": TASKS,
    "tests/__init__.py": "",
    "tests/helpers.py": HELPERS,
    "tests/test_ping.py": "from proj.tasks import ping\n\n\ndef test_ping():\n"
    "    assert ping.delay().get() == 1\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def _names(paths: list[str], root: Path) -> list[str]:
    return sorted(Path(p).relative_to(root).as_posix() for p in paths)


def test_a_test_only_file_is_left_out_and_loaded_when_asked_for(project: Path) -> None:
    config = Config(root=project, config_file=None)
    facts = pipeline.load_facts(gather_sources([project], config), config, False, None)
    assert _names(facts.relevant, project) == ["proj/celery.py", "proj/tasks.py"]
    # Its markers were not looked for: a question about any text reads it.
    found = facts.mentioning(["task_id", "apply_async(args="])
    assert _names(found["apply_async(args="], project) == ["tests/helpers.py"]
    helpers = str(project / "tests" / "helpers.py")
    loaded = facts.on_demand(helpers)
    assert loaded is not None and "send" in loaded.functions


def test_the_model_follows_production_code_into_a_test_module(project: Path) -> None:
    result = api.check([project], Config(root=project, config_file=None), use_cache=False)
    # No CL201: `LIMIT` was read from the test module, loaded on demand. No CL802 in it,
    # nor its app among the project's.
    assert result.diagnostics == []
    assert result.project is not None
    assert [app.id for app in result.project.apps] == ["proj.celery:app"]


def test_every_way_of_reading_files_leaves_the_same_out(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def relevant(**options: object) -> list[str]:
        config = Config(root=project, config_file=None).with_overrides(cache_dir=project / ".cache")
        result = api.check([project], config, need_model=True, **options)  # type: ignore[arg-type]
        assert result.store is not None
        return _names(result.store.relevant, project)

    in_process = relevant(use_cache=False)
    monkeypatch.setattr(store, "PARALLEL_THRESHOLD", 2)  # workers read during the walk
    settled: list[str] = []
    settle = store._settle

    def counted(job: store.Job, *args: object, **options: object) -> store.Settled:
        settled.append(Path(job[0]).name)
        return settle(job, *args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "_settle", counted)
    assert relevant(use_cache=False) == in_process
    # The walk's workers found it would be parsed: it is not read again to leave it out.
    assert "test_ping.py" not in settled
    assert relevant(use_cache=True) == in_process  # a first run fills the cache
    assert relevant(use_cache=True) == in_process  # a warm run takes it
    assert "tests/helpers.py" in in_process  # production code asked for it
    assert "tests/test_ping.py" not in in_process


def test_an_open_test_file_is_left_out_and_loaded_from_its_text(project: Path) -> None:
    config = Config(root=project, config_file=None)
    helpers = str(project / "tests" / "helpers.py")
    overlay = {helpers: HELPERS.replace("LIMIT = 30", "LIMIT = 45").encode()}
    facts = FactStore(gather_sources([project], config).files, config, False, overlay)
    facts.load()
    assert helpers not in facts.relevant
    loaded = facts.on_demand(helpers)
    assert loaded is not None
    assert [event.node for event in loaded.events if getattr(event, "name", "") == "LIMIT"]
    assert "45" in repr(loaded.events)
