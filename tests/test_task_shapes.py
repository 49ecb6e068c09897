"""Task and call-site shapes: local imports, decorator factories, task class MROs."""

from __future__ import annotations

import abc
import re
import typing
from pathlib import Path
from typing import Optional

import pytest

from celerylint import api
from celerylint.c3 import c3_merge
from celerylint.config import load_config
from celerylint.facts import extract_source
from celerylint.facts.schema import FileFacts
from celerylint.model.namespace import MroClass
from celerylint.model.project import Project
from celerylint.model.tasks import _NO_TASK_ATTRIBUTES, CELERY_TASK_ATTRIBUTES


def facts_of(source: str, module: str = "m") -> FileFacts:
    return extract_source(source.encode(), module, False)


def targets(facts: FileFacts) -> list[object]:
    return [d.target for d in sorted(facts.dispatches, key=lambda d: d.span)]


# -- call sites: the scope they are written in --------------------------------------


def test_task_imported_inside_a_function_is_qualified_by_that_import() -> None:
    facts = facts_of(
        "def a():\n"
        "    from proj.tasks import send\n"
        "    send.delay(1)\n"
        "def b():\n"
        "    import proj.tasks as t\n"
        "    t.send.delay(1)\n"
        "class V:\n"
        "    def c(self):\n"
        "        from proj import tasks\n"
        "        def inner():\n"
        "            tasks.send.delay(1)\n"
        "        inner()\n"
    )
    assert targets(facts) == ["proj.tasks.send", "proj.tasks.send", "proj.tasks.send"]


def test_local_variables_and_parameters_are_no_module_names() -> None:
    facts = facts_of(
        "send = None\n"
        "def a(send):\n"
        "    send.delay(1)\n"
        "def b():\n"
        "    job = pick()\n"
        "    job.delay(1)\n"
        "send.delay(2)\n"
    )
    assert targets(facts) == [None, None, "m.send"]


def test_an_import_guarded_by_none_stays_the_import_two_imports_do_not() -> None:
    facts = facts_of(
        "def a():\n"
        "    try:\n"
        "        from proj.tasks import send\n"
        "    except ImportError:\n"
        "        send = None\n"
        "    send.delay(1)\n"
        "def b():\n"
        "    try:\n"
        "        from proj.tasks import send\n"
        "    except ImportError:\n"
        "        from other.tasks import send\n"
        "    send.delay(1)\n"
    )
    assert targets(facts) == ["proj.tasks.send", None]


# -- decorator factories --------------------------------------------------------------


def test_factories_are_recorded_with_their_options() -> None:
    facts = facts_of(
        "import functools\n"
        "from celery import shared_task\n"
        "retrying = shared_task(max_retries=None)\n"
        "part = functools.partial(shared_task, bind=True)\n"
        "def job(queue=None, **kw):\n"
        "    return shared_task(acks_late=True, **kw)\n"
        "def other(**kw):\n"
        "    return shared_task(**settings)\n"
        "plain = compute(1)\n"
    )
    factories = facts.factories
    assert sorted(factories) == ["job", "other", "part", "retrying"]
    assert factories["retrying"].kind == "ready"
    assert factories["retrying"].calls[0].maker == "celery.shared_task"
    assert set(factories["retrying"].calls[0].kwargs) == {"max_retries"}
    assert factories["part"].kind == "partial" and factories["part"].calls[0].forwards
    job = factories["job"]
    assert job.kind == "wrapper" and job.params == ("queue",)
    assert job.calls[0].forwards and not job.calls[0].opaque
    assert factories["other"].calls[0].opaque


def test_a_class_makes_tasks_only_through_what_decorating_runs() -> None:
    """`@C` runs `__init__`, `@C(...)` then `__call__`, and what they call on `self`; a
    method nothing of those reaches (`Celery.task` in Celery's own repository) makes no
    task at `@C`, so the modules naming `C` need not be read for its uses."""
    facts = facts_of(
        "from celery import shared_task\n"
        "class Registering:\n"
        "    def __call__(self, f):\n"
        "        return self._register(f)\n"
        "    def _register(self, f):\n"
        "        return shared_task(f)\n"
        "class App:\n"
        "    def __init__(self, name):\n"
        "        self.name = name\n"
        "    def task(self, *args, **opts):\n"
        "        return shared_task(*args, **opts)\n"
    )
    assert sorted(facts.factories) == ["Registering"]
    assert facts.factories["Registering"].calls[0].maker == "celery.shared_task"


def test_a_function_that_leaves_no_task_where_it_decorates_is_no_factory() -> None:
    """`@f` binds the name to what `f` returns: nothing, a generator, a coroutine or a
    pytest fixture (which cannot be called) leave no task there, whatever tasks their
    bodies define."""
    facts = facts_of(
        "import pytest\n"
        "from celery import shared_task\n"
        "@pytest.fixture\n"
        "def mock_parser(monkeypatch):\n"
        "    @shared_task\n"
        "    def task_mock():\n"
        "        pass\n"
        "    return task_mock\n"
        "def registers(fn):\n"
        "    shared_task(fn)\n"
        "def generates(fn):\n"
        "    yield shared_task(fn)\n"
        "def returns_none(fn):\n"
        "    shared_task(fn)\n"
        "    return None\n"
        "async def coroutine(fn):\n"
        "    return shared_task(fn)\n"
        "def job(**kw):\n"
        "    def deco(fn):\n"
        "        return shared_task(**kw)(fn)\n"
        "    return deco\n"
    )
    assert sorted(facts.factories) == ["job"]


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def checked(root: Path, *codes: str) -> tuple[api.CheckResult, Project]:
    """A check of `root` reporting only `codes`, and the model it ran on."""
    config = load_config(None, root).with_overrides(root=root)
    result = api.check([root], config, selected=set(codes).__contains__, use_cache=False)
    assert result.project is not None
    return result, result.project


def check(root: Path, code: str) -> list[tuple[str, int, str]]:
    result, _project = checked(root, code)
    return [(Path(d.path).name, d.span.line, d.message) for d in result.diagnostics]


def apps_by_module(project: Project) -> dict[str, Optional[list[str]]]:
    """Each task's module -> the ids of the apps it runs in (None: not known)."""
    return {
        task.module: None if task.apps is None else [app.id for app in task.apps]
        for task in project.tasks
    }


def test_a_factory_used_in_a_file_the_prefilter_leaves_out_makes_tasks(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": "from celery import Celery\napp = Celery('proj')\n",
            "proj/deco.py": "from celery import shared_task\n"
            "retrying = shared_task(max_retries=None, time_limit=5, autoretry_for=(OSError,))\n",
            # Mentions nothing the prefilter looks for.
            "proj/jobs.py": "from proj.deco import retrying\n\n"
            "@retrying\ndef a():\n    pass\n\n@retrying\ndef b():\n    pass\n",
        },
    )
    found = check(tmp_path, "CL401")
    assert [(name, line) for name, line, _ in found] == [("deco.py", 2)]
    assert "2 tasks (`proj.jobs.a` and `proj.jobs.b`)" in found[0][2]


def test_a_decorator_bound_to_another_name_makes_tasks(tmp_path: Path) -> None:
    # nautobot: `nautobot_task = shared_task`, used as `@nautobot_task(bind=True)` and
    # `@celery.nautobot_task` in files the prefilter leaves out.
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": "from celery import Celery, shared_task\n\n"
            "app = Celery('proj')\nproj_task = shared_task\nrun_on_app = app.task\n",
            "proj/jobs.py": "from proj import celery\nfrom proj.celery import proj_task\n\n\n"
            "@proj_task(bind=True, max_retries=None)\ndef a(self):\n    raise self.retry()\n\n\n"
            "@celery.proj_task\ndef b():\n    pass\n",
            "proj/more.py": "from proj.celery import run_on_app\n\n\n"
            "@run_on_app(max_retries=None, autoretry_for=(OSError,))\ndef c():\n    pass\n",
        },
    )
    result, project = checked(tmp_path, "CL401")
    assert sorted((t.qualname, [a.id for a in t.apps or []]) for t in project.tasks) == [
        ("proj.jobs.a", ["proj.celery:app"]),
        ("proj.jobs.b", ["proj.celery:app"]),
        ("proj.more.c", ["proj.celery:app"]),
    ]
    assert sorted(Path(d.path).name for d in result.diagnostics) == ["jobs.py", "more.py"]


def test_an_app_s_task_method_bound_to_a_module_level_name_makes_tasks_of_that_app(
    tmp_path: Path,
) -> None:
    """addons-server: `task = app.task` in the app's module, `@task` in task modules that
    mention nothing the prefilter looks for. Before, their names were unknown to the
    routes (CL602 on 26 of them) and the tasks it did see had no app."""
    write(
        tmp_path,
        {
            "manage.py": (
                "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
            ),
            "proj/__init__.py": "",
            "proj/settings.py": (
                "INSTALLED_APPS = ['proj.users']\nCELERY_BROKER_URL = 'redis://redis:6379/0'\n"
                "CELERY_TASK_ROUTES = {'proj.users.tasks.delete_photo': {'queue': 'users'}}\n"
            ),
            "proj/amo/__init__.py": "",
            "proj/amo/celery.py": (
                "from celery import Celery\n\napp = Celery('proj')\ntask = app.task\n"
                "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
                "app.autodiscover_tasks()\n"
            ),
            "proj/users/__init__.py": "",
            "proj/users/tasks.py": (
                "from proj.amo.celery import task\n\n\n@task\ndef delete_photo(dst):\n"
                "    return None\n\n\n@task(rate_limit='15/m')\ndef rate(data):\n    return None\n"
            ),
            # addons-server's `validation_task`: `@task(...)` inside a decorator factory.
            "proj/users/validation.py": (
                "from functools import wraps\n\nfrom proj.amo.celery import task\n\n\n"
                "def validation_task(fn):\n    @task(bind=True, soft_time_limit=360)\n"
                "    @wraps(fn)\n    def wrapper(self, pk):\n        return fn(pk)\n\n"
                "    return wrapper\n\n\n@validation_task\ndef validate(pk):\n    return pk\n"
            ),
        },
    )
    result, project = checked(tmp_path, "CL602")
    assert result.diagnostics == []
    assert apps_by_module(project) == {
        "proj.users.tasks": ["proj.amo.celery:app"],
        "proj.users.validation": ["proj.amo.celery:app"],
    }
    assert sorted(task.name or "" for task in project.tasks) == [
        "proj.users.tasks.delete_photo",
        "proj.users.tasks.rate",
        "proj.users.validation.validate",
    ]


def test_the_files_using_a_factory_are_parsed_together(
    tmp_path: Path, demand_batches: list[int]
) -> None:
    users = 20  # above the parallel threshold for parsed files
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": "from celery import Celery\napp = Celery('proj')\n",
        "proj/deco.py": (
            "from celery import shared_task\n"
            "retrying = shared_task(max_retries=None, autoretry_for=(OSError,))\n"
        ),
    }
    for i in range(users):  # nothing the prefilter looks for: parsed only as factory users
        files[f"proj/jobs{i}.py"] = (
            "from proj.deco import retrying\n\n@retrying\ndef a():\n    pass\n"
        )
    write(tmp_path, files)
    found = check(tmp_path, "CL401")
    assert f"{users} tasks" in found[0][2]
    assert max(demand_batches) == users  # not one by one


def test_a_factory_named_like_a_prefilter_token_needs_no_reading(tmp_path: Path) -> None:
    """kitsune's `@shared_task_with_retry`: every file using it is relevant already, so no
    file is read again to find its users."""
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": "from celery import Celery\napp = Celery('proj')\n",
            "proj/deco.py": "from celery import shared_task\n"
            "shared_task_with_retry = shared_task(max_retries=None)\n",
            "proj/jobs.py": "from proj.deco import shared_task_with_retry\n\n"
            "@shared_task_with_retry\ndef a():\n    raise a.retry()\n",
        },
    )
    result, project = checked(tmp_path, "CL401")
    assert [t.qualname for t in project.tasks] == ["proj.jobs.a"]
    assert [Path(d.path).name for d in result.diagnostics] == ["deco.py"]  # the factory
    assert result.store is not None and "shared_task_with_retry" not in result.store.mentioned


def test_an_unclear_project_decorator_makes_a_task_with_unknown_options(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": "from celery import Celery\napp = Celery('proj')\n",
            "proj/deco.py": "from celery import shared_task\n"
            "class Job:\n"
            "    def __init__(self, **kw):\n"
            "        self.kw = kw\n"
            "    def __call__(self, f):\n"
            "        return shared_task(**self.kw)(f)\n",
            "proj/tasks.py": "from proj.deco import Job\n\n"
            "@Job(max_retries=None)\ndef a():\n    pass\n",
        },
    )
    view = api.describe(tmp_path)
    options = view["tasks"]["proj.tasks.a"]["options"]
    assert not any(option["known"] for option in options.values())
    assert check(tmp_path, "CL401") == [] and check(tmp_path, "CL201") == []


def test_a_ready_made_decorator_gets_no_keyword_added_at_its_use(tmp_path: Path) -> None:
    """`@retrying(retry_backoff=True)` would raise: the fix goes to the factory call."""
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": "from celery import Celery\napp = Celery('proj')\n",
            "proj/tasks.py": "from celery import shared_task\n"
            "retrying = shared_task(autoretry_for=(OSError,), time_limit=5)\n"
            "@retrying\ndef a():\n    pass\n",
        },
    )
    config = load_config(None, tmp_path).with_overrides(root=tmp_path)
    from celerylint.fixer import FixOptions

    api.fix(
        [tmp_path],
        config,
        FixOptions(unsafe=True),
        selected=lambda c: c == "CL402",
        use_cache=False,
    )
    text = (tmp_path / "proj" / "tasks.py").read_text()
    assert "shared_task(autoretry_for=(OSError,), time_limit=5, retry_backoff=True)" in text
    assert "@retrying\n" in text


# -- MRO ------------------------------------------------------------------------------


def classes(*keys: str) -> list[MroClass]:
    return [MroClass(key) for key in keys]


def test_c3_merge_is_pythons() -> None:
    class Root: ...

    class A(Root): ...

    class B(Root): ...

    class C(A, B): ...

    merged = c3_merge(
        [classes("A", "Root"), classes("B", "Root"), classes("A", "B")], lambda c: c.key
    )
    assert [c.key for c in merged or []] == [k.__name__ for k in C.__mro__[1:-1]]
    cycle = [classes("A", "B"), classes("B", "A"), classes("A", "B")]
    assert c3_merge(cycle, lambda c: c.key) is None


@pytest.mark.real_celery
def test_celery_task_attributes_match_the_installed_celery() -> None:
    from celery.app.task import Task

    attributes = {
        name
        for name, value in vars(Task).items()
        if not name.startswith("_")
        and not callable(value)
        and not isinstance(value, (property, classmethod, staticmethod))
    }
    assert attributes == CELERY_TASK_ATTRIBUTES


@pytest.mark.parametrize("base", [abc.ABC, typing.Generic])
def test_bases_taken_to_set_no_task_attribute_set_none(base: type) -> None:
    """A class outside the project hides a task's attributes, but for these (hypothesis's
    `class _BaseTaskWithRetry(ABC, Task)`): they set none Celery's `Task` has."""
    assert not set(vars(base)) & CELERY_TASK_ATTRIBUTES
    assert f"{base.__module__}.{base.__name__}" in _NO_TASK_ATTRIBUTES


@pytest.mark.real_celery
def test_the_task_keywords_cl805_knows_are_what_the_installed_celery_reads() -> None:
    """CL805 reports a decorator keyword Celery does not read: every name Celery does
    read must be known, or a real option would be reported."""
    import inspect

    from celery import Celery
    from celery.app import autoretry
    from celery.app.task import Task, extract_exec_options

    from celerylint.rules._task_attributes import (
        AUTORETRY_OPTIONS,
        DECORATOR_KEYWORDS,
        EXECUTION_OPTIONS,
        TASK_ATTRIBUTES,
    )

    assert {name for name in dir(Task) if not name.startswith("_")} == TASK_ATTRIBUTES
    signature = inspect.signature(Celery._task_from_fun).parameters
    consumed = {name for name in signature if name not in ("self", "fun", "options")}
    source = inspect.getsource(Celery.task)
    assert "def inner_create_task_cls(shared=True, filter=None, lazy=True, **opts)" in source
    assert consumed | {"shared", "filter", "lazy"} == DECORATOR_KEYWORDS
    read = set(re.findall(r"getattr\(task, '(\w+)'", inspect.getsource(autoretry)))
    assert read == AUTORETRY_OPTIONS
    # `extract_exec_options(task)`: a dict of the attributes it reads, each present.
    assert set(extract_exec_options(object())) == EXECUTION_OPTIONS
    # What `Task.from_config` fills from the settings is an option too.
    from celerylint.rules._task_attributes import TASK_KEYWORDS

    assert {name for name, _setting in Task.from_config} <= TASK_KEYWORDS


SHARED_TASK = "from celery import shared_task\n\n\n@shared_task\ndef job():\n    pass\n"


def test_a_shared_task_runs_in_the_apps_of_its_nearest_package(tmp_path: Path) -> None:
    app = "from celery import Celery\napp = Celery('{name}')\n"
    write(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/a/__init__.py": "",
            "svc/a/celery.py": app.format(name="a"),
            "svc/a/deep/__init__.py": "",
            "svc/a/deep/tasks.py": SHARED_TASK,
            "svc/b/__init__.py": "",
            "svc/b/celery.py": app.format(name="b"),
            "svc/b/tasks.py": SHARED_TASK,
            "svc/common.py": SHARED_TASK,  # as near to both apps: which one is not known
            "svc/c/__init__.py": "",
            "svc/c/celery.py": app.format(name="c") + "other = Celery('c2')\n",
            "svc/c/tasks.py": SHARED_TASK,  # two apps of one module: both
        },
    )
    _result, project = checked(tmp_path)
    assert apps_by_module(project) == {
        "svc.a.deep.tasks": ["svc.a.celery:app"],
        "svc.b.tasks": ["svc.b.celery:app"],
        "svc.common": None,
        "svc.c.tasks": ["svc.c.celery:app", "svc.c.celery:other"],
    }


def test_a_shared_task_does_not_run_in_an_app_of_the_test_suite(tmp_path: Path) -> None:
    # A reusable Django app (openwisp): its tasks run in the app of the project that
    # installs it. The app of its test project is no evidence of that app's settings,
    # so no finding rests on them; the test suite's own app and tasks are test-only
    # code, which the model does not even parse unless production code imports it.
    app = "from celery import Celery\napp = Celery('testproj')\n"
    write(
        tmp_path,
        {
            "reusable/__init__.py": "",
            "reusable/tasks.py": SHARED_TASK,
            "tests/testproj/__init__.py": "",
            "tests/testproj/celery.py": app,
            "tests/testproj/tasks.py": SHARED_TASK,
        },
    )
    result, project = checked(tmp_path, "CL201")
    assert apps_by_module(project) == {"reusable.tasks": None}
    assert project.apps == []
    assert result.diagnostics == []


def test_an_option_read_from_django_settings_is_the_settings_value(tmp_path: Path) -> None:
    # mediacms: `soft_time_limit=settings.CELERY_SOFT_TIME_LIMIT`. With one settings
    # module for the project, `django.conf.settings.X` is its X (star imports too); its
    # origin is the keyword, in the task's file.
    app = (
        "import os\n\nfrom celery import Celery\n\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
        "app = Celery('proj')\napp.config_from_object('django.conf:settings', namespace='CELERY')\n"
    )
    task = (
        "from celery import shared_task\nfrom django.conf import settings\n\n\n"
        "@shared_task(soft_time_limit=settings.SOFT_LIMIT, time_limit=settings.MISSING)\n"
        "def encode(media_id):\n    return media_id\n"
    )
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": app,
            "proj/settings/__init__.py": "from .base import *  # noqa: F403\n",
            "proj/settings/base.py": "SOFT_LIMIT = 60 * 30\n",
            "proj/tasks.py": task,
        },
    )
    view = api.describe(tmp_path)
    options = view["tasks"]["proj.tasks.encode"]["options"]
    assert options["soft_time_limit"]["value"] == 1800
    assert options["soft_time_limit"]["origin"] == "proj/tasks.py:5"
    assert not options["time_limit"]["known"]
    # A second settings module the project may run with: which one is not told.
    (tmp_path / "proj" / "wsgi.py").write_text(
        "import os\n\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings.base')\n"
    )
    options = api.describe(tmp_path)["tasks"]["proj.tasks.encode"]["options"]
    assert not options["soft_time_limit"]["known"]


def test_celery_4s_deprecated_decorators_make_tasks(tmp_path: Path) -> None:
    # kuma (Celery 4.4): `from celery.task import task` then `@task`. Its tasks were not
    # seen, and a `task_routes` key naming one was reported as no registered task.
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": "from celery import Celery\n\napp = Celery('proj')\n"
            "app.conf.task_routes = {'proj.jobs.clean_sessions': {'queue': 'slow'}}\n",
            "proj/jobs.py": "from celery.task import periodic_task, task\n\n\n"
            "@task\ndef clean_sessions():\n    pass\n\n\n"
            "@periodic_task(run_every=3600, max_retires=2)\ndef ping():\n    pass\n",
        },
    )
    # codalab (Celery 4.4): `from celery import task`, the module that calls `task`.
    (tmp_path / "proj" / "beat.py").write_text(
        "from celery import task\n\n\n@task(queue='site-worker')\ndef send_updates():\n    pass\n"
    )
    (tmp_path / "proj" / "celery.py").write_text(
        "from celery import Celery\n\napp = Celery('proj')\napp.conf.task_routes = "
        "{'proj.jobs.clean_sessions': {'queue': 'slow'}, 'proj.beat.send_updates': {}}\n"
    )
    result, project = checked(tmp_path, "CL602", "CL805")
    assert sorted(t.qualname for t in project.tasks) == [
        "proj.beat.send_updates",
        "proj.jobs.clean_sessions",
        "proj.jobs.ping",
    ]
    # No unregistered task; and CL805 leaves the compatibility base class's tasks alone.
    assert result.diagnostics == []


def test_a_bare_module_name_two_top_directories_define_is_the_importer_s_own(
    tmp_path: Path,
) -> None:
    """codabench: `src/` and `compute_worker/`, neither a package, each hold a
    `celery_config.py`; `from celery_config import app` in `src/apps/foo/tasks.py`
    is src's, run with `src` on the path (its tasks had no app)."""
    write(
        tmp_path,
        {
            "compute_worker/celery_config.py": "from celery import Celery\napp = Celery('cw')\n",
            "compute_worker/worker.py": (
                "from celery_config import app\n\n\n@app.task\ndef run():\n    return 1\n"
            ),
            "src/celery_config.py": "from celery import Celery\napp = Celery('site')\n",
            "src/apps/foo/__init__.py": "",
            "src/apps/foo/tasks.py": (
                "from celery_config import app\n\n\n@app.task\ndef slow():\n    return 1\n"
            ),
        },
    )
    _result, project = checked(tmp_path, "CL201")
    assert apps_by_module(project) == {
        "compute_worker.worker": ["compute_worker.celery_config:app"],
        "foo.tasks": ["src.celery_config:app"],
    }


GUIDE_FACTORY = """
from celery import Celery, Task


def celery_init_app(app):
    class FlaskTask(Task):
        {body}

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.conf.task_time_limit = 30
    app.extensions["celery"] = celery_app
    return celery_app
"""


@pytest.mark.parametrize(
    ("body", "known"),
    [
        # Celery's Flask guide: the class only runs the task in the app's context.
        (
            "def __call__(self, *args, **kwargs):\n"
            "            with app.app_context():\n"
            "                return self.run(*args, **kwargs)",
            True,
        ),
        ("time_limit = 5", False),  # an option of its own
        ("def apply_async(self, *args, **kwargs):\n            pass", False),
    ],
)
def test_a_factory_s_own_task_class_is_its_base_when_it_only_wraps_the_call(
    tmp_path: Path, body: str, known: bool
) -> None:
    write(
        tmp_path,
        {
            "web/__init__.py": "",
            "web/ext.py": GUIDE_FACTORY.format(body=body),
            "web/app.py": "from flask import Flask\nfrom web.ext import celery_init_app\n"
            "flask_app = Flask(__name__)\ncelery = celery_init_app(flask_app)\n",
            "web/tasks.py": "from web.app import celery\n\n@celery.task\ndef job():\n    pass\n",
        },
    )
    _result, project = checked(tmp_path)
    (app,) = project.apps
    assert app.id == "web.app:celery"
    (task,) = project.tasks
    limit = project.option(task, "time_limit", app)
    assert limit.value.known is known
    if known:
        assert limit.value.value == 30


@pytest.mark.parametrize(
    ("factory_body", "caller"),
    [
        (
            "    celery = Celery(app.import_name)\n    return celery\n",
            "celery = make_celery(create_app())\n",
        ),
        # Celery's Flask guide: the app stored in the Flask app's extensions.
        (
            "    celery = Celery(app.import_name)\n"
            "    app.extensions['celery'] = celery\n    return celery\n",
            "flask_app = create_app()\ncelery = flask_app.extensions['celery']\n",
        ),
    ],
)
def test_an_app_made_in_a_file_the_prefilter_leaves_out_is_found(
    tmp_path: Path, factory_body: str, caller: str
) -> None:
    write(
        tmp_path,
        {
            "web/__init__.py": "",
            "web/factory.py": "from flask import Flask\nfrom web.ext import make_celery\n\n"
            "def create_app():\n    app = Flask(__name__)\n    make_celery(app)\n    return app\n",
            "web/ext.py": f"from celery import Celery\n\ndef make_celery(app):\n{factory_body}",
            # Holds nothing the prefilter looks for.
            "web/entry.py": f"from web.ext import make_celery\nfrom web.factory import create_app\n"
            f"{caller}",
            "web/jobs.py": "from web.entry import celery\n\n@celery.task\ndef job():\n    pass\n",
        },
    )
    _result, project = checked(tmp_path)
    assert [app.id for app in project.apps] == ["web.entry:celery"]
    assert apps_by_module(project) == {"web.jobs": ["web.entry:celery"]}


APP_CLASS = """
from celery import Celery


class FlaskCelery(Celery):
    def init_app(self, flask_app):
        {body}


cel = FlaskCelery("proj")
cel.conf.task_time_limit = 30
cel.conf.task_soft_time_limit = 20
"""


@pytest.mark.parametrize(
    ("body", "unknown"),
    [
        # OpenCVE: whatever the Flask config's entry holds.
        ('self.conf.update(flask_app.config.get("CELERY_CONF", {}))', {"time_limit", "soft"}),
        # indico: key by key, then `indico.conf`'s own mapping.
        ('self.conf["task_time_limit"] = 60', {"time_limit"}),
        ("self.conf.task_soft_time_limit = 10", {"soft"}),
        ("self.config_from_object(flask_app.config)", {"time_limit", "soft"}),
        ("self.conf.update(task_time_limit=60)", {"time_limit"}),
        ("self.conf.beat_schedule['x'] = {}", set()),
    ],
)
def test_what_an_app_class_s_methods_write_is_not_known(
    tmp_path: Path, body: str, unknown: set[str]
) -> None:
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": APP_CLASS.format(body=body),
            "proj/tasks.py": "from proj.celery import cel\n\n@cel.task\ndef job():\n    pass\n",
        },
    )
    _result, project = checked(tmp_path)
    (app,) = project.apps
    (task,) = project.tasks
    hard = project.option(task, "time_limit", app).value
    soft = project.option(task, "soft_time_limit", app).value
    assert {"time_limit"} & unknown == ({"time_limit"} if not hard.known else set())
    assert {"soft"} & unknown == ({"soft"} if not soft.known else set())
    if hard.known:
        assert hard.value == 30


def test_an_app_made_again_in_a_branch_has_unknown_settings(tmp_path: Path) -> None:
    """quivr makes `celery = Celery(__name__)`, then again with its broker and backend
    in an `if`: reading the first call alone gave "no result backend" (CL503) where
    the app has one."""
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery_config.py": "import os\nfrom celery import Celery\n\n"
            "BROKER = os.getenv('CELERY_BROKER_URL', '')\ncelery = Celery(__name__)\n"
            "if BROKER.startswith('redis'):\n"
            "    celery = Celery(__name__, broker=BROKER, backend=BROKER)\n"
            "else:\n    raise ValueError(BROKER)\n"
            "celery.conf.task_time_limit = 30\n",
            "proj/tasks.py": "from proj.celery_config import celery\n\n"
            "@celery.task\ndef add(x, y):\n    return x + y\n",
            "proj/views.py": "from proj.tasks import add\n\n\n"
            "def view():\n    return add.delay(1, 2).get(timeout=5)\n",
        },
    )
    result, project = checked(tmp_path, "CL503")
    assert result.diagnostics == []
    (app,) = project.apps
    assert not app.setting("result_backend").known
    assert not app.setting("broker_url").known
    assert app.setting("task_time_limit").value.value == 30


@pytest.mark.parametrize(
    "block",
    [
        # A guard on a package Celery does not bring: its `else` may not run. (OSF's on
        # kombu always passes: `test_an_import_guard_in_a_class_config_passes_only...`.)
        "try:\n        import redis\n    except ImportError:\n        pass\n"
        "    else:\n        task_ignore_result = True",
        "if DEBUG:\n        task_ignore_result = True",
        "for _ in range(1):\n        task_ignore_result = True",
    ],
)
def test_a_config_class_s_blocks_make_what_they_set_unknown(tmp_path: Path, block: str) -> None:
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": "from celery import Celery\n\nDEBUG = False\n\n\n"
            "class CeleryConfig:\n    result_backend = 'redis://localhost:6379/1'\n"
            f"    {block}\n    task_time_limit = 60\n\n\n"
            "app = Celery('proj')\napp.config_from_object(CeleryConfig)\n",
        },
    )
    _result, project = checked(tmp_path)
    (app,) = project.apps
    assert not app.setting("task_ignore_result").known
    assert app.setting("task_time_limit").value.value == 60
    assert app.setting("result_backend").value.value == "redis://localhost:6379/1"


@pytest.mark.parametrize(
    ("options", "known"),
    [
        # OSF's migrations: `@app.task(**_TASK_KWARGS)`, a module-level dict display.
        ("OPTIONS = dict(time_limit=30, max_retries=2)", True),
        ("OPTIONS = {'time_limit': 30, 'max_retries': 2}", True),
        ("from proj.opts import OPTIONS", True),
        ("import json\nOPTIONS = json.loads('{}')", False),
        ("OPTIONS = {'time_limit': 30, 'max_retries': 2}\nOPTIONS.update(x=1)", False),
    ],
)
def test_options_unpacked_from_a_dict_display_are_the_task_s(
    tmp_path: Path, options: str, known: bool
) -> None:
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": "from celery import Celery\napp = Celery('proj')\n",
            "proj/opts.py": "OPTIONS = dict(time_limit=30, max_retries=2)\n",
            "proj/jobs.py": f"from proj.celery import app\n{options}\n\n\n"
            "@app.task(**OPTIONS, bind=True)\ndef job(self):\n    pass\n",
        },
    )
    _result, project = checked(tmp_path)
    (app,) = project.apps
    (task,) = project.tasks
    limit = project.option(task, "time_limit", app).value
    assert limit.known is known
    if known:
        assert limit.value == 30
        assert project.option(task, "max_retries", app).value.value == 2
    assert project.is_bound(task) is True  # written beside the unpacked mapping


# A Django project's app module, loading `proj.settings` under the CELERY namespace.
DJANGO_APP = (
    "import os\nfrom celery import Celery\n\n"
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
    "app = Celery('proj')\n"
    "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
)


def test_a_star_import_cycle_gives_the_names_bound_so_far(tmp_path: Path) -> None:
    """cla_backend's base settings star-import their test overrides under an `if`, and
    those star-import the base settings back: Python gives the names the base module
    bound so far. The cycle used to make every setting unknown."""
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/settings/__init__.py": "from .base import *\n",
            "proj/settings/base.py": "import sys\n\nCELERY_BROKER_URL = 'redis://localhost:6379/0'\n"
            "CELERY_TASK_ACKS_LATE = True\n\n"
            "if len(sys.argv) > 1 and sys.argv[1] == 'test':\n    from .testing import *\n",
            "proj/settings/testing.py": "from .base import *\n\nCELERY_TASK_ACKS_LATE = False\n",
            "proj/celery.py": DJANGO_APP,
        },
    )
    _result, project = checked(tmp_path)
    (app,) = project.apps
    assert app.setting("broker_url").value.value == "redis://localhost:6379/0"
    assert not app.setting("task_acks_late").known  # the test run's value, maybe
    assert app.setting("task_time_limit").known  # Celery's default: nothing else sets it


def test_a_test_file_does_not_configure_the_app_a_worker_runs(tmp_path: Path) -> None:
    """OSF's `TestCase.setUp` calls `celery_app.conf.update(task_always_eager=True)`:
    that configures the test run, not the deployed app (which showed the setting as
    set conditionally). An app the tests make themselves is test-only code: the model
    does not parse it."""
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": "from celery import Celery\napp = Celery('proj')\n",
            "proj/tests/__init__.py": "",
            "proj/tests/test_jobs.py": "from celery import Celery\nfrom proj.celery import app\n"
            "app.conf.task_time_limit = 5\nown = Celery('own')\nown.conf.task_time_limit = 7\n\n\n"
            "class JobsTest:\n    def setUp(self):\n"
            "        app.conf.update(task_always_eager=True)\n",
        },
    )
    _result, project = checked(tmp_path)
    apps = {app.id: app for app in project.apps}
    production = apps["proj.celery:app"]
    assert production.setting("task_always_eager").value.value is False
    assert production.setting("task_time_limit").value.value is None
    assert "proj.tests.test_jobs:own" not in apps


def test_django_configurations_classes_are_the_settings_candidates(tmp_path: Path) -> None:
    """marsha's settings are django-configurations classes: Django reads the class
    DJANGO_CONFIGURATION names, over the module's names. They showed as Celery's
    defaults (a repro got CL503 "no result backend" and CL201). Each class is one
    candidate: what they all give alike is known."""
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/settings.py": "from configurations import Configuration\n\n"
            "CELERY_TASK_ACKS_LATE = True\n\n\n"
            "class Base(Configuration):\n    CELERY_RESULT_BACKEND = 'redis://localhost:6379/1'\n"
            "    CELERY_TASK_TIME_LIMIT = 300\n\n\n"
            "class Development(Base):\n    CELERY_TASK_TIME_LIMIT = 30\n",
            "proj/celery.py": DJANGO_APP,
        },
    )
    _result, project = checked(tmp_path)
    (app,) = project.apps
    assert app.setting("result_backend").value.value == "redis://localhost:6379/1"
    assert app.setting("task_acks_late").value.value is True
    assert not app.setting("task_time_limit").known  # 300 or 30: the class picked


def test_django_configurations_classes_star_imported_into_the_settings(tmp_path: Path) -> None:
    """codalab: `proj/settings/__init__.py` is `from .default import *`, which brings
    `class Dev(Configuration)`: its settings were taken as Celery's defaults."""
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/settings/__init__.py": "from .default import *\n",
            # Only `Dev` is exported: no django-configurations name reaches the settings.
            "proj/settings/default.py": "from .base import DevBase\n\n__all__ = ['Dev']\n\n\n"
            "class Dev(DevBase):\n    pass\n",
            "proj/settings/base.py": "from configurations import Configuration\n\n\n"
            "class DevBase(Configuration):\n    CELERY_TASK_TIME_LIMIT = 300\n",
            "proj/celery.py": DJANGO_APP,
        },
    )
    _result, project = checked(tmp_path)
    (app,) = project.apps
    assert app.setting("task_time_limit").value.value == 300


_PROJECT_TASK = (
    "from celery import Task\n\n\n"
    "class ProjectTask(Task):\n    time_limit = 300\n    ignore_result = True\n"
)


@pytest.mark.parametrize(
    ("celery_module", "time_limit"),
    [
        # baserow: `app.Task = BaserowTelemetryTask` after the app is made.
        (
            "from celery import Celery\nfrom proj.base import ProjectTask\n\n"
            "app = Celery('proj')\napp.Task = ProjectTask\n",
            300,
        ),
        # A Celery subclass's `task_cls` (nautobot writes it as a string).
        (
            "from celery import Celery\n\n\n"
            "class ProjectCelery(Celery):\n    task_cls = 'proj.base:ProjectTask'\n\n\n"
            "app = ProjectCelery('proj')\n",
            300,
        ),
        # Its `Task`, or a method passing `task_cls` on: not followed, not known.
        (
            "from celery import Celery\nfrom proj.base import ProjectTask\n\n\n"
            "class ProjectCelery(Celery):\n    Task = ProjectTask\n\n\n"
            "app = ProjectCelery('proj')\n",
            None,
        ),
        (
            "from celery import Celery\nfrom proj.base import ProjectTask\n\n\n"
            "class ProjectCelery(Celery):\n"
            "    def __init__(self, main=None, **kwargs):\n"
            "        super().__init__(main, task_cls=ProjectTask, **kwargs)\n\n\n"
            "app = ProjectCelery('proj')\n",
            None,
        ),
        # Only in a branch: which class the tasks get is not known.
        (
            "import os\nfrom celery import Celery\nfrom proj.base import ProjectTask\n\n"
            "app = Celery('proj')\nif os.environ.get('TELEMETRY'):\n    app.Task = ProjectTask\n",
            None,
        ),
        # The classic Flask factory: `celery.Task = ContextTask`, a class of the
        # factory's own that only runs the task in the app's context.
        (
            "from celery import Celery\nfrom flask import Flask\n\n\n"
            "def make_celery(app):\n"
            "    celery = Celery(app.import_name)\n\n"
            "    class ContextTask(celery.Task):\n"
            "        def __call__(self, *args, **kwargs):\n"
            "            with app.app_context():\n"
            "                return self.run(*args, **kwargs)\n\n"
            "    celery.Task = ContextTask\n"
            "    return celery\n\n\n"
            "flask_app = Flask(__name__)\napp = make_celery(flask_app)\n",
            "default",
        ),
        # security_monkey: the base through a local alias, and Celery 3's `abstract`.
        (
            "from celery import Celery\nfrom flask import Flask\n\n\n"
            "def make_celery(app):\n"
            "    celery = Celery(app.import_name)\n"
            "    TaskBase = celery.Task\n\n"
            "    class ContextTask(TaskBase):\n"
            "        abstract = True\n\n"
            "        def __call__(self, *args, **kwargs):\n"
            "            with app.app_context():\n"
            "                return TaskBase.__call__(self, *args, **kwargs)\n\n"
            "    celery.Task = ContextTask\n"
            "    return celery\n\n\n"
            "flask_app = Flask(__name__)\napp = make_celery(flask_app)\n",
            "default",
        ),
    ],
)
def test_the_apps_task_class_set_after_it_is_made(
    tmp_path: Path, celery_module: str, time_limit: object
) -> None:
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/base.py": _PROJECT_TASK,
            "proj/celery.py": celery_module,
            "proj/tasks.py": "from proj.celery import app\n\n\n@app.task\ndef ping():\n    pass\n",
        },
    )
    option = api.describe(tmp_path)["tasks"]["proj.tasks.ping"]["options"]["time_limit"]
    if time_limit is None:
        assert not option["known"]
    elif time_limit == "default":
        assert option["known"] and option["value"] is None
    else:
        assert option["known"] and option["value"] == time_limit


def test_options_annotations_may_set_are_unknown_with_settings_that_may_set_them(
    tmp_path: Path,
) -> None:
    """edx-style settings merge a deployment's file with `vars().update(...)`: it may
    hold `CELERY_TASK_ANNOTATIONS`, which beat the decorator's `max_retries=None`."""
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/settings.py": "import json\n\nvars().update(json.load(open('/etc/c.json')))\n",
            "proj/celery.py": DJANGO_APP
            + "\n\n@app.task(max_retries=None, time_limit=60)\ndef fetch(url):\n    return url\n",
        },
    )
    _result, project = checked(tmp_path)
    (task,) = project.tasks
    (app,) = project.apps
    assert not project.option(task, "max_retries", app).known
