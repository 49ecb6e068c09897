"""A worker's import closure asks for the facts of each import level together."""

from __future__ import annotations

from pathlib import Path

import pytest

from celerylint import pipeline
from celerylint.config import Config
from celerylint.model.project import Project
from celerylint.sources.project import gather_sources
from celerylint.store import FactStore

HELPERS = 24  # above the parallel threshold for parsed files


def _project(root: Path, imported: bool) -> None:
    (root / "proj").mkdir()
    (root / "proj" / "__init__.py").write_text("")
    helpers = "".join(f"from proj import helper{i}\n" for i in range(HELPERS))
    (root / "proj" / "celery.py").write_text(
        "from celery import Celery\n"
        + helpers
        + ("import proj.jobs\n" if imported else "")
        + "app = Celery('proj', include=[])\n"
    )
    for i in range(HELPERS):  # nothing Celery in them: only the closure parses them
        (root / "proj" / f"helper{i}.py").write_text(f"VALUE = {i}\n")
    (root / "proj" / "jobs.py").write_text(
        "from proj.celery import app\n\n@app.task(time_limit=5)\ndef job():\n    pass\n"
    )


@pytest.mark.parametrize("imported", [True, False])
def test_closure_levels_are_loaded_together(
    tmp_path: Path, demand_batches: list[int], imported: bool
) -> None:
    _project(tmp_path, imported)
    config = Config(root=tmp_path, config_file=None)
    sources = gather_sources([tmp_path], config)
    store = pipeline.load_facts(sources, config, use_cache=False, overlay=None)
    project = pipeline.build_project(store, sources, config)
    codes = [d.code for d in pipeline.find_problems(project, store, lambda code: True)]
    assert max(demand_batches) >= HELPERS  # one level: every helper asked for at once
    assert ("CL605" in codes) is not imported


def _django_project(root: Path) -> None:
    files = {
        "manage.py": (
            'import os\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n'
        ),
        "proj/__init__.py": "",
        "proj/celery.py": (
            "from celery import Celery\n\n"
            'app = Celery("proj")\n'
            'app.config_from_object("django.conf:settings", namespace="CELERY")\n'
            "app.autodiscover_tasks()\n"
        ),
        "proj/settings.py": 'INSTALLED_APPS = ["shop"]\nROOT_URLCONF = "proj.urls"\n',
        "proj/urls.py": "urlpatterns = []\n",
        "shop/__init__.py": "",
        "shop/templatetags/__init__.py": "",
        "shop/templatetags/prices.py": "from shop import pricing\n",
        "shop/urls_api.py": "from shop import exports\n",
        "shopping/__init__.py": "",
        "shopping/tasks.py": "",
    }
    task = "from celery import shared_task\n\n\n@shared_task\ndef {name}():\n    pass\n"
    for name in ("pricing", "exports", "orphan"):
        files[f"shop/{name}.py"] = task.format(name=name)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_django_worker_imports_templatetags_and_every_urlconf(tmp_path: Path) -> None:
    _django_project(tmp_path)
    config = Config(root=tmp_path, config_file=None)
    sources = gather_sources([tmp_path], config)
    store = pipeline.load_facts(sources, config, use_cache=False, overlay=None)
    project = pipeline.build_project(store, sources, config)
    (app,) = project.apps
    imported = project.worker_imports(app)
    assert imported.open_reason is None
    assert {"shop.templatetags.prices", "shop.pricing", "shop.urls_api", "shop.exports"} <= (
        imported.modules
    )
    assert "shopping.tasks" not in imported.modules  # `shop` is no prefix of `shopping`
    codes = [
        (d.code, Path(d.path).name)
        for d in pipeline.find_problems(project, store, lambda code: True)
    ]
    assert ("CL605", "orphan.py") in codes
    assert not any(code == "CL605" and name != "orphan.py" for code, name in codes)


def _load(root: Path, files: dict[str, str]) -> tuple[FactStore, Project]:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    config = Config(root=root, config_file=None)
    sources = gather_sources([root], config)
    store = pipeline.load_facts(sources, config, use_cache=False, overlay=None)
    return store, pipeline.build_project(store, sources, config)


TASK = "from celery import shared_task\n\n@shared_task\ndef job():\n    pass\n"


def test_a_closure_asked_to_reach_some_modules_stops_there(tmp_path: Path) -> None:
    _store, project = _load(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": "from celery import Celery\nimport proj.jobs\napp = Celery('p')\n",
            "proj/jobs.py": "import proj.deep\n" + TASK,
            "proj/deep.py": "import proj.deeper\n",
            "proj/deeper.py": "",
        },
    )
    (app,) = project.apps
    (jobs,) = {task.module for task in project.tasks}
    deeper = project.modules.find("proj.deeper", jobs)
    partial = project.worker_imports(app, reaching={jobs})
    assert jobs in partial.modules and deeper not in partial.modules
    assert not partial.complete
    whole = project.worker_imports(app)  # the partial one was not kept
    assert whole.complete and {jobs, deeper} <= whole.modules
    assert project.worker_imports(app, reaching={jobs}) is whole


def test_no_closure_is_searched_when_a_workers_start_cannot_be_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CL605 stays silent when some worker's imports cannot all be seen: it asks each
    app's start first, and searches no other app's imports for nothing (the corpus: an
    app's closure of 100 modules, 0.1 s, before bookwyrm's open one)."""
    store, project = _load(
        tmp_path,
        {
            "a/__init__.py": "",
            "a/celery.py": "from celery import Celery\napp = Celery('a')\n",
            "a/jobs.py": TASK.replace("shared_task", "app.task").replace(
                "from celery import app.task", "from a.celery import app"
            ),
            "b/__init__.py": "",
            "b/celery.py": "from celery import Celery\napp = Celery('b', include=listed())\n",
        },
    )
    from celerylint.model.worker_imports import WorkerImports, WorkerImportsBuilder

    closures: list[str] = []
    close = WorkerImportsBuilder._close

    def counted(
        self: WorkerImportsBuilder,
        roots: list[tuple[str, str]],
        result: WorkerImports,
        remaining: set[str] | None,
    ) -> None:
        closures.append(result.app.id)
        close(self, roots, result, remaining)

    monkeypatch.setattr(WorkerImportsBuilder, "_close", counted)
    found = pipeline.find_problems(project, store, {"CL605"}.__contains__)
    assert found == [] and closures == []
    assert [app.id for app in project.apps if project.worker_imports_start(app).open_reason] == [
        "b.celery:app"
    ]
    assert project.worker_imports(project.apps[0]).how  # `a` alone would be searched
