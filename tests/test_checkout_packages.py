"""A checkout's top that holds an `__init__.py`: a package only when its files say so.

mitxonline and Mayan EDMS keep an `__init__.py` at the top of the repository and
run from there (`celery -A main.celery`): their modules are `main.celery` and
`orders.tasks`, and naming them after the clone's directory made every
`from main.celery import app` unresolved, every task unseen, and each beat entry
a false "unregistered task". A project cloned as a package (Celery's guide's
`proj/`, made a repository as it is) runs from the directory above, and its
files import it by name or relatively: then it stays a package. Real Celery, run
each way, registers the names the model gives.

A package below a directory with no `__init__.py` (bodhi's `bodhi-server/bodhi/`)
is named through it (`bodhi.server.tasks`) only when its files import it so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from celerylint import api
from celerylint.config import Config, load_config
from celerylint.model.project import Project
from celerylint.sources import walk_memory
from celerylint.sources.discover import discover
from celerylint.sources.project import gather_sources
from tests.probing import run_script

# Run from the checkout's top: `main` and `orders` are top-level packages.
RUN_FROM_TOP = {
    "__init__.py": "",
    "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'main.settings')\n",
    "main/__init__.py": "",
    "main/celery.py": (
        "from celery import Celery\n"
        "app = Celery('shop', broker='memory://', include=['orders.tasks'])\n"
        "app.conf.task_time_limit = 60\n"
        "app.conf.beat_schedule = {\n"
        "    'ship': {'task': 'orders.tasks.ship', 'schedule': 60.0},\n"
        "}\n"
    ),
    "orders/__init__.py": "",
    "orders/tasks.py": (
        "from main.celery import app\n\n\n"
        "@app.task(max_retries=None)\ndef ship():\n    raise ship.retry()\n"
    ),
}

# Celery's guide's layout, cloned as a package: run from the directory above.
RUN_FROM_ABOVE = {
    "__init__.py": "from .celery import app as celery_app\n",
    "celery.py": (
        "from celery import Celery\n"
        "app = Celery('proj', broker='memory://', include=['proj.tasks'])\n"
        "app.conf.beat_schedule = {\n"
        "    'add': {'task': 'proj.tasks.add', 'schedule': 60.0},\n"
        "}\n"
    ),
    "tasks.py": "from .celery import app\n\n\n@app.task\ndef add(x, y):\n    return x + y\n",
}


def checkout(base: Path, files: dict[str, str], git: bool = True) -> Path:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if git:
        (base / ".git").mkdir()
    return base


def modules(root: Path, top: Path | None = None) -> dict[str, tuple[str, bool]]:
    """Module name and package flag by path under `top`, walking from `root`."""
    found = discover([root], Config(root=root, config_file=None)).files
    base = top or root
    return {Path(f.path).relative_to(base).as_posix(): (f.module, f.is_package) for f in found}


def project(root: Path) -> Project:
    config = load_config(None, root).with_overrides(root=root)
    result = api.check([root], config, selected=lambda code: True, use_cache=False)
    assert result.project is not None
    return result.project


def findings(root: Path) -> list[tuple[str, str]]:
    config = load_config(None, root).with_overrides(root=root)
    result = api.check([root], config, selected=lambda code: True, use_cache=False)
    return [(d.code, Path(d.path).relative_to(root).as_posix()) for d in result.diagnostics]


def celery_task_names(run_in: Path, app_module: str) -> set[str]:
    """The task names real Celery registers for a worker of `app_module` started in
    `run_in` (which is then `sys.path[0]`, as `celery -A` makes it)."""
    probe = (
        "import importlib, json, sys\n"
        f"app = importlib.import_module({app_module!r}).app\n"
        "app.loader.import_default_modules()\n"
        "print(json.dumps(sorted(n for n in app.tasks if not n.startswith('celery.'))))\n"
    )
    return set(run_script(probe, run_in))


# -- naming ----------------------------------------------------------------------


def test_a_top_run_from_is_no_package(tmp_path: Path) -> None:
    root = checkout(tmp_path / "shop", RUN_FROM_TOP)
    assert modules(root) == {
        "__init__.py": ("shop", True),
        "main/__init__.py": ("main", True),
        "main/celery.py": ("main.celery", False),
        "manage.py": ("manage", False),
        "orders/__init__.py": ("orders", True),
        "orders/tasks.py": ("orders.tasks", False),
    }


def test_a_top_whose_files_import_it_by_name_is_a_package(tmp_path: Path) -> None:
    files = {**RUN_FROM_ABOVE, "__init__.py": "", "tasks.py": "from proj.celery import app\n"}
    root = checkout(tmp_path / "proj", files)
    assert modules(root)["tasks.py"] == ("proj.tasks", False)


def test_a_top_whose_files_import_relatively_is_a_package(tmp_path: Path) -> None:
    root = checkout(tmp_path / "proj", RUN_FROM_ABOVE)
    assert modules(root) == {
        "__init__.py": ("proj", True),
        "celery.py": ("proj.celery", False),
        "tasks.py": ("proj.tasks", False),
    }


def test_a_string_naming_a_module_below_the_top_counts(tmp_path: Path) -> None:
    settings = "ROOT_URLCONF = 'site.urls'\n"
    root = checkout(tmp_path / "site", {"__init__.py": "", "settings.py": settings})
    assert modules(root)["settings.py"] == ("site.settings", False)


def test_a_top_no_import_can_name_is_no_package(tmp_path: Path) -> None:
    # `my-shop` is no identifier: a relative import there fails, whatever it says.
    root = checkout(tmp_path / "my-shop", {**RUN_FROM_ABOVE})
    assert modules(root)["tasks.py"] == ("tasks", False)


def test_a_repository_inside_the_root_is_a_checkout_top_too(tmp_path: Path) -> None:
    checkout(tmp_path / "services" / "shop", RUN_FROM_TOP)
    (tmp_path / "services" / "__init__.py").write_text("", encoding="utf-8")
    got = modules(tmp_path, tmp_path / "services")
    assert got["shop/orders/tasks.py"] == ("orders.tasks", False)
    assert got["__init__.py"] == ("services", True)


def test_an_ordinary_package_directory_is_unaffected(tmp_path: Path) -> None:
    # No `.git`, no `manage.py` and not the root: a package, whatever its files import.
    files = {name: text for name, text in RUN_FROM_TOP.items() if name != "manage.py"}
    checkout(tmp_path / "shop", files, git=False)
    assert modules(tmp_path)["shop/orders/tasks.py"] == ("shop.orders.tasks", False)


def test_a_package_directory_holding_manage_py_is_run_from(tmp_path: Path) -> None:
    """MaxKB: `apps/` holds an `__init__.py` and Django's `manage.py`, which runs with
    `apps/` first on sys.path; its modules import `from ops import celery_app`."""
    checkout(tmp_path / "apps", RUN_FROM_TOP, git=False)
    got = modules(tmp_path)
    assert got["apps/orders/tasks.py"] == ("orders.tasks", False)
    assert got["apps/main/celery.py"] == ("main.celery", False)
    # Its files importing it as a package keep it one.
    files = {**RUN_FROM_ABOVE, "manage.py": "from proj.celery import app\n"}
    checkout(tmp_path / "proj", files, git=False)
    assert modules(tmp_path)["proj/tasks.py"] == ("proj.tasks", False)


def test_the_decision_holds_only_while_the_tops_files_are_unchanged(tmp_path: Path) -> None:
    root = checkout(tmp_path / "proj", {**RUN_FROM_ABOVE, "__init__.py": "", "tasks.py": ""})
    (root / "celery.py").write_text("", encoding="utf-8")
    config = Config(root=root, config_file=None)

    def named() -> str:
        by_path = {f.path: f.module for f in gather_sources([root], config, watch=True).files}
        return by_path[str(root / "tasks.py")]

    assert named() == "tasks"
    assert walk_memory._load(walk_memory._record_file(config), root) is not None
    # No directory changed, only a file the decision read: the walk is made again.
    (root / "tasks.py").write_text("from .celery import app\n", encoding="utf-8")
    assert named() == "proj.tasks"


# -- what the model and real Celery make of it -------------------------------------


@pytest.mark.real_celery
def test_run_from_the_top_tasks_are_seen_under_celerys_names(tmp_path: Path) -> None:
    root = checkout(tmp_path / "shop", RUN_FROM_TOP)
    assert celery_task_names(root, "main.celery") == {"orders.tasks.ship"}
    assert sorted(t.name or "" for t in project(root).tasks) == ["orders.tasks.ship"]
    # The beat entry names a registered task; the task is seen, so its options are.
    assert findings(root) == [("CL401", "orders/tasks.py")]


@pytest.mark.real_celery
def test_run_from_above_tasks_keep_the_package_name(tmp_path: Path) -> None:
    root = checkout(tmp_path / "proj", RUN_FROM_ABOVE)
    assert celery_task_names(tmp_path, "proj.celery") == {"proj.tasks.add"}
    assert [t.name for t in project(root).tasks] == ["proj.tasks.add"]
    assert not [f for f in findings(root) if f[0] == "CL602"]


@pytest.mark.real_celery
def test_a_top_named_like_the_package_inside_it_is_run_from(tmp_path: Path) -> None:
    """Mayan EDMS cloned as `mayan/`: its `manage.py` names `mayan.settings`, which
    is the inner `mayan/` package (run from the top, the top is `sys.path[0]`). Every
    module was named `mayan.mayan...`, and task names with it."""
    files = {
        "__init__.py": "",
        "manage.py": "import os\n\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n",
        "proj/__init__.py": "",
        "proj/celery.py": "from celery import Celery\n\napp = Celery('proj')\n"
        "app.conf.include = ['proj.tasks']\n",
        "proj/tasks.py": "from proj.celery import app\n\n\n@app.task\ndef add():\n    pass\n",
    }
    root = checkout(tmp_path / "proj", files)
    assert modules(root)["proj/tasks.py"] == ("proj.tasks", False)
    assert celery_task_names(root, "proj.celery") == {"proj.tasks.add"}
    assert [t.name for t in project(root).tasks] == ["proj.tasks.add"]


def test_imports_through_the_tops_name_still_resolve(tmp_path: Path) -> None:
    # Run from the top, yet one module imports through the clone's name: an alias.
    files = {**RUN_FROM_TOP, "orders/tasks.py": RUN_FROM_TOP["orders/tasks.py"]}
    files["orders/extra.py"] = (
        "from shop.main.celery import app\n\n\n@app.task\ndef audit():\n    pass\n"
    )
    root = checkout(tmp_path / "shop", files)
    names = sorted(t.name or "" for t in project(root).tasks)
    assert names == ["orders.extra.audit", "orders.tasks.ship"]


@pytest.mark.real_celery
def test_a_directory_without_init_inside_a_package_is_a_namespace_package(
    tmp_path: Path,
) -> None:
    """grafana oncall's `engine/common/oncall_gateway/` has no `__init__.py`, below the
    package `common`: run from `engine/`, its tasks are `common.oncall_gateway.tasks.*`
    (they were named from the repository's top, `engine.common...`)."""
    root = checkout(
        tmp_path / "oncall",
        {
            "engine/celeryapp.py": "from celery import Celery\n\napp = Celery('proj')\n"
            "app.conf.include = ['common.gw.tasks']\n",
            "engine/common/__init__.py": "",
            "engine/common/gw/tasks.py": "from celeryapp import app\n\n\n@app.task\n"
            "def ping():\n    pass\n",
        },
    )
    assert celery_task_names(root / "engine", "celeryapp") == {"common.gw.tasks.ping"}
    assert [t.name for t in project(root).tasks] == ["common.gw.tasks.ping"]


# -- a namespace directory above a package ------------------------------------------

# fedora's bodhi: `bodhi-server/bodhi/` has no `__init__.py` and holds the package
# `server/`; run from `bodhi-server/`, the code imports `bodhi.server.tasks`.
IN_A_NAMESPACE = {
    "ns/pkg/__init__.py": "",
    "ns/pkg/tasks.py": "from celery import Celery\n\n"
    "app = Celery('pkg', broker='memory://')\napp.conf.task_time_limit = 60\n\n\n"
    "@app.task\ndef work():\n    return 1\n",
    "ns/pkg/views.py": "from ns.pkg.tasks import app, work\n\n\n"
    "def view():\n    app.send_task('ns.pkg.tasks.work')\n    work.delay(countdown=5)\n",
}


def test_a_package_imported_through_the_namespace_above_it_is_named_so(tmp_path: Path) -> None:
    root = checkout(tmp_path / "repo", IN_A_NAMESPACE)
    assert modules(root) == {
        "ns/pkg/__init__.py": ("ns.pkg", True),
        "ns/pkg/tasks.py": ("ns.pkg.tasks", False),
        "ns/pkg/views.py": ("ns.pkg.views", False),
    }


def test_a_deeper_namespace_path_and_a_namespace_inside_follow(tmp_path: Path) -> None:
    files = {
        "a/b/pkg/__init__.py": "",
        "a/b/pkg/views.py": "from a.b.pkg.tasks import work\n",
        "a/b/pkg/gw/tasks.py": "",  # no `__init__.py` in `gw/`
    }
    root = checkout(tmp_path / "repo", files)
    got = modules(root)
    assert got["a/b/pkg/views.py"] == ("a.b.pkg.views", False)
    # Named from its package's name, as `canonical_modules` names such a file.
    keys = {
        Path(f.path).relative_to(root).as_posix(): f.module
        for f in gather_sources([root], Config(root=root, config_file=None)).files
    }
    assert keys["a/b/pkg/gw/tasks.py"] == "a.b.pkg.gw.tasks"


@pytest.mark.parametrize(
    "views",
    [
        "from pkg.tasks import work\n",  # bare: the namespace directory is on sys.path
        "from . import tasks\n",  # no evidence either way
        "from ns.pkg.tasks import work\nfrom pkg import tasks\n",  # mixed
        "from other.pkg.tasks import work\n",  # another package's `pkg`
    ],
)
def test_a_package_not_imported_through_the_namespace_keeps_its_name(
    tmp_path: Path, views: str
) -> None:
    files = {**IN_A_NAMESPACE, "ns/pkg/views.py": views, "ns/pkg/tasks.py": ""}
    root = checkout(tmp_path / "repo", files)
    assert modules(root)["ns/pkg/views.py"] == ("pkg.views", False)


def test_a_path_through_a_regular_package_is_no_namespace_path(tmp_path: Path) -> None:
    # baserow: `tests/baserow/core/notifications/` mirrors `src/baserow/core/...`; its
    # `from baserow.core.notifications import` names the regular package of `src/`.
    files = {
        "src/baserow/__init__.py": "",
        "src/baserow/core/__init__.py": "",
        "src/baserow/core/notifications/__init__.py": "",
        "tests/baserow/core/notifications/__init__.py": "",
        "tests/baserow/core/notifications/utils.py": "from baserow.core.notifications import x\n",
    }
    root = checkout(tmp_path / "repo", files)
    got = modules(root)
    assert got["tests/baserow/core/notifications/utils.py"] == ("notifications.utils", False)


def test_tests_importing_the_package_bare_do_not_count(tmp_path: Path) -> None:
    # papermerge's tests import `core.features...` (pytest puts `papermerge/` on
    # sys.path), its code `papermerge.core...`.
    files = {**IN_A_NAMESPACE, "ns/pkg/tests/test_views.py": "from pkg.views import view\n"}
    root = checkout(tmp_path / "repo", files)
    got = modules(root)
    assert got["ns/pkg/views.py"] == ("ns.pkg.views", False)
    assert got["ns/pkg/tests/test_views.py"] == ("test_views", False)


def test_the_root_itself_is_no_namespace_path(tmp_path: Path) -> None:
    # The root's name is what the clone was called.
    root = checkout(
        tmp_path / "ns", {"pkg/__init__.py": "", "pkg/views.py": IN_A_NAMESPACE["ns/pkg/views.py"]}
    )
    assert modules(root)["pkg/views.py"] == ("pkg.views", False)


def test_the_namespace_decision_holds_while_the_files_read_import_the_same(
    tmp_path: Path,
) -> None:
    root = checkout(tmp_path / "repo", IN_A_NAMESPACE)
    config = Config(root=root, config_file=None)
    views = root / "ns" / "pkg" / "views.py"

    def named() -> str:
        by_path = {f.path: f.module for f in gather_sources([root], config, watch=True).files}
        return by_path[str(views)]

    def remembered() -> bool:
        return walk_memory._load(walk_memory._record_file(config), root) is not None

    assert named() == "ns.pkg.views"
    assert remembered()
    # An edit that keeps the imports (pre-commit's usual one) keeps the walk: it was
    # walked again on every such edit (1 s on the 16-project tree).
    views.write_text(IN_A_NAMESPACE["ns/pkg/views.py"] + "# edited\n", encoding="utf-8")
    assert remembered()
    views.write_text("from pkg.tasks import work\n", encoding="utf-8")
    assert not remembered()
    assert named() == "pkg.views"


@pytest.mark.real_celery
def test_tasks_of_a_package_in_a_namespace_are_seen_under_celerys_names(tmp_path: Path) -> None:
    root = checkout(
        tmp_path / "repo",
        {**IN_A_NAMESPACE, "Procfile": "worker: celery -A ns.pkg.tasks.app worker --pool solo\n"},
    )
    assert celery_task_names(root, "ns.pkg.tasks") == {"ns.pkg.tasks.work"}
    assert [t.name for t in project(root).tasks] == ["ns.pkg.tasks.work"]
    # No CL602 on `send_task('ns.pkg.tasks.work')`; the dispatch through the import and
    # the worker that `-A ns.pkg.tasks.app` starts are linked to the app.
    assert sorted(findings(root)) == [
        ("CL204", "ns/pkg/tasks.py"),
        ("CL801", "ns/pkg/views.py"),
    ]
