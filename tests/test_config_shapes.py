"""Configuration shapes real projects write, resolved statically (see also the
`config_shapes` differential fixture, which checks them against real Celery)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from celerylint import api
from celerylint.api import describe
from celerylint.config import Config, load_config
from celerylint.facts import extract_source
from celerylint.facts.schema import (
    Assign,
    Const,
    Env,
    Map,
    Merge,
    Name,
    Node,
    QueueDecl,
    Ref,
    Seq,
)

# A Celery app reading the Django settings under the CELERY namespace.
DJANGO_APP = (
    "from celery import Celery\napp = Celery('proj')\n"
    "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
)


def node_of(source: str, name: str) -> Node:
    facts = extract_source(source.encode(), "m", False)
    return next(e.node for e in facts.events if isinstance(e, Assign) and e.name == name)


def apps_of(tmp_path: Path, files: dict[str, str]) -> dict[str, Any]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    apps: dict[str, Any] = describe(tmp_path)["apps"]
    return apps


def settings_of(tmp_path: Path, files: dict[str, str], app: str) -> dict[str, Any]:
    settings: dict[str, Any] = apps_of(tmp_path, files)[app]["settings"]
    return settings


def value(settings: dict[str, Any], name: str) -> Any:
    entry = settings[name]
    return entry["value"] if entry["known"] else ("unknown", entry.get("reason"))


def test_dict_display_with_unpacking_keeps_its_parts_in_order() -> None:
    node = node_of("B = {}\nA = {**B, 'k': 1, **C.X}\n", "A")
    assert isinstance(node, Merge)
    first, literal, last = node.parts
    assert isinstance(first, Name) and first.id == "B"
    assert isinstance(literal, Map) and len(literal.pairs) == 1
    assert isinstance(last, Ref) and last.qualname == "m.C.X"


def test_cast_environment_lookup_stays_an_environment_lookup() -> None:
    node = node_of("import os\nN = int(os.environ.get('N', '4'))\n", "N")
    assert isinstance(node, Env) and node.variable == "N"
    assert isinstance(node.default, Const) and node.default.value == 4
    bad = node_of("import os\nN = int(os.environ.get('N', 'four'))\n", "N")
    assert isinstance(bad, Env) and not isinstance(bad.default, Const)


def test_nested_environment_default_makes_the_backend_certainly_set(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": (
            "import os\n"
            "from celery import Celery\n"
            "app = Celery('proj')\n"
            "app.conf.result_backend = os.environ.get(\n"
            "    'RESULT_BACKEND', os.environ.get('REDIS_URL', 'redis://localhost:6379/1'))\n"
            "other = Celery('other')\n"
            "other.conf.result_backend = os.environ.get('A', os.environ.get('B'))\n"
            "@app.task\n"
            "def work():\n"
            "    print('done')\n"
            "@other.task\n"
            "def other_work():\n"
            "    print('done')\n"
        ),
    }
    settings = settings_of(tmp_path, files, "proj.celery:app")
    assert not settings["result_backend"]["known"]  # which backend: unknown
    config = load_config(None, tmp_path).with_overrides(root=tmp_path)
    diagnostics = api.check([tmp_path], config, use_cache=False).diagnostics
    # CL501 needs only "a backend is configured": the nested literal default proves
    # it for `app`; `other` may well run without a backend.
    assert [d.span.line for d in diagnostics if d.code == "CL501"] == [9]


def test_config_class_with_inconsistent_mro_is_not_resolved(tmp_path: Path) -> None:
    files = {
        "c.py": (
            "from celery import Celery\n"
            "class A:\n    task_time_limit = 1\n"
            "class B(A):\n    task_time_limit = 2\n"
            "class C(A, B):\n    pass\n"  # TypeError in Python: no consistent MRO
            "app = Celery('c')\n"
            "app.config_from_object(C)\n"
        )
    }
    settings = settings_of(tmp_path, files, "c:app")
    assert not settings["task_time_limit"]["known"]


def test_config_class_with_an_external_base_is_open_ended(tmp_path: Path) -> None:
    files = {
        "c.py": (
            "from celery import Celery\n"
            "from somewhere import Defaults\n"
            "class C(Defaults):\n    task_time_limit = 1\n"
            "app = Celery('c')\n"
            "app.config_from_object(C)\n"
        )
    }
    settings = settings_of(tmp_path, files, "c:app")
    assert value(settings, "task_time_limit") == ("unknown", "class c.C is not fully static")


def test_config_from_object_of_a_name_bound_to_a_module_string(tmp_path: Path) -> None:
    files = {
        "celeryconfig.py": "task_time_limit = 9\n",
        "c.py": (
            "from celery import Celery\n"
            "CONFIG = 'celeryconfig'\n"
            "app = Celery('c')\n"
            "app.config_from_object(CONFIG)\n"
        ),
    }
    assert value(settings_of(tmp_path, files, "c:app"), "task_time_limit") == 9


def test_unresolvable_unpacking_leaves_the_changes_unknown(tmp_path: Path) -> None:
    files = {
        "c.py": (
            "from celery import Celery\n"
            "from elsewhere import SETTINGS\n"
            "app = Celery('c', **SETTINGS)\n"
            "merged = Celery('merged')\n"
            "merged.conf.update({**SETTINGS, 'task_time_limit': 3})\n"
        )
    }
    settings = settings_of(tmp_path, files, "c:app")
    assert not settings["task_time_limit"]["known"]
    merged = describe(tmp_path)["apps"]["c:merged"]["settings"]
    # The literal key after the unknown mapping still wins; other keys are unknown.
    assert value(merged, "task_time_limit") == 3
    assert not merged["task_serializer"]["known"]


def test_flask_config_filled_at_run_time_is_unknown(tmp_path: Path) -> None:
    files = {
        "web.py": (
            "import os\n"
            "from celery import Celery\n"
            "from flask import Flask\n"
            "app = Flask(__name__)\n"
            "app.config['CELERYD_TASK_TIME_LIMIT'] = 10\n"
            "app.config.from_envvar('WEB_SETTINGS')\n"
            "celery = Celery(app.name)\n"
            "celery.conf.update(app.config)\n"
            "other = Flask('other')\n"
            "if os.environ.get('SLOW'):\n"
            "    other.config['CELERYD_TASK_TIME_LIMIT'] = 600\n"
            "other.config['CELERY_TASK_SERIALIZER'] = 'json'\n"
            "other_celery = Celery('other')\n"
            "other_celery.conf.update(other.config)\n"
        )
    }
    settings = settings_of(tmp_path, files, "web:celery")
    assert not settings["task_time_limit"]["known"]  # from_envvar may set anything
    other = describe(tmp_path)["apps"]["web:other_celery"]["settings"]
    assert not other["task_time_limit"]["known"]  # set under a condition
    assert value(other, "task_serializer") == "json"


@pytest.mark.parametrize(
    ("helper", "known"),
    [
        # lemur: `configure_app(app, config)` loads the config file into `app.config`.
        ("def configure(app, path):\n    app.config.from_pyfile(path)\n", False),
        ("def configure(app, path):\n    app.config['CELERY_TASK_SERIALIZER'] = path\n", False),
        # cookiecutter-flask's `register_extensions(app)`: reads, and sets nothing.
        ("def configure(app, path):\n    print(app.config.get('DEBUG'), path)\n", True),
    ],
)
def test_a_helper_the_flask_factory_hands_its_app_to(
    tmp_path: Path, helper: str, known: bool
) -> None:
    files = {
        "factory.py": (
            "from flask import Flask\n\n\n"
            f"{helper}\n\n"
            "def create_app():\n"
            "    app = Flask(__name__)\n"
            "    app.config['CELERY_TASK_SERIALIZER'] = 'json'\n"
            "    configure(app, '/etc/app.cfg')\n"
            "    return app\n"
        ),
        "worker.py": (
            "from celery import Celery\nfrom factory import create_app\n\n"
            "flask_app = create_app()\n"
            "celery = Celery(flask_app.import_name)\n"
            "celery.conf.update(flask_app.config)\n"
        ),
    }
    settings = settings_of(tmp_path, files, "worker:celery")
    assert settings["task_serializer"]["known"] is known


def test_flask_only_keys_stay_out_of_the_celery_settings(tmp_path: Path) -> None:
    files = {
        "web.py": (
            "from celery import Celery\n"
            "from flask import Flask\n"
            "app = Flask(__name__)\n"
            "app.config['MAIL_SERVER'] = 'smtp.example.com'\n"
            "app.config['CELERY_BROKER_URL'] = 'redis://localhost:6379/0'\n"
            "celery = Celery(app.name, broker='redis://localhost:6379/0')\n"
            "celery.conf.update(app.config)\n"
        )
    }
    settings_of(tmp_path, files, "web:celery")
    config = load_config(None, tmp_path).with_overrides(root=tmp_path)
    # Flask's own keys (and CELERY_BROKER_URL, which Celery does not read) are not
    # reported as unknown Celery settings: Celery skips them.
    assert api.check([tmp_path], config, use_cache=False).diagnostics == []


@pytest.mark.parametrize(
    ("backend", "configured"),
    [
        # koku and courtlistener: the URL built around a host or port.
        ('f"redis://{HOST}:6379/1"', True),
        ('"redis://" + HOST + "/1"', True),
        ('"redis://{}/1".format(HOST)', True),
        ('f"{HOST}"', False),  # may be empty
        ("HOST + PORT", False),
    ],
)
def test_a_backend_url_built_with_text_of_its_own_is_configured(
    tmp_path: Path, backend: str, configured: bool
) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": (
            "import os\nfrom celery import Celery\n"
            "HOST = os.environ.get('HOST')\nPORT = os.environ.get('PORT')\n"
            f"app = Celery('proj', backend={backend})\n"
            "@app.task\ndef work():\n    print('done')\n"
        ),
    }
    settings = settings_of(tmp_path, files, "proj.celery:app")
    assert not settings["result_backend"]["known"]  # which backend: unknown
    config = load_config(None, tmp_path).with_overrides(root=tmp_path)
    diagnostics = api.check([tmp_path], config, use_cache=False).diagnostics
    assert [d.code for d in diagnostics if d.code == "CL501"] == (["CL501"] if configured else [])


@pytest.mark.parametrize(
    "line",
    [
        'os.environ["DJANGO_SETTINGS_MODULE"] = f"{PROJECT}.settings.worker"',
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", PROJECT + ".settings")',
    ],
)
def test_computed_settings_module_is_the_one_the_worker_loads(tmp_path: Path, line: str) -> None:
    """kpi's `kobo/celery.py` sets the module from its directory's name: `manage.py`'s
    constant default is not what the worker loads, and the module it names is not in
    the repository."""
    files = {
        "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.dev")\n',
        "proj/__init__.py": "",
        "proj/dev.py": 'CELERY_ACCEPT_CONTENT = ["pickle"]\n',
        "proj/celery.py": (
            "import os\n"
            "from celery import Celery\n"
            "PROJECT = os.path.basename(os.path.dirname(__file__))\n"
            f"{line}\n"
            "app = Celery(PROJECT)\n"
            "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
        ),
    }
    settings = settings_of(tmp_path, files, "proj.celery:app")
    name = "proj.settings.worker" if "worker" in line else "proj.settings"
    assert value(settings, "accept_content") == (
        "unknown",
        f"Django settings {name!r} not in the project",
    )


_REPLACED = "may be replaced by `from proj.local import *`, not in the repository"


@pytest.mark.parametrize(
    ("star", "copy", "expected"),
    [
        # A developer's override, absent as committed: what the module sets holds.
        ("try:\n    from .local import *\nexcept ImportError:\n    pass\n", False, 60),
        # mediacms: the image copies `deploy/docker/local.py` there; what it sets may differ.
        (
            "try:\n    from .local import *\nexcept ImportError:\n    pass\n",
            True,
            ("unknown", _REPLACED),
        ),
        # Unconditional: the place the code runs provides it, and it may set anything.
        ("from .local import *\n", False, ("unknown", _REPLACED)),
        # geonode-project: the fallback when the override is absent, as it is taken to
        # be, runs; an installed framework's settings may set anything.
        (
            "try:\n    from .local import *\nexcept ImportError:\n"
            "    from framework.settings import *\n",
            False,
            ("unknown", _REPLACED.replace("proj.local", "framework.settings")),
        ),
    ],
)
def test_a_star_import_of_a_settings_module_not_in_the_repository(
    tmp_path: Path, star: str, copy: bool, expected: object
) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/settings.py": f"CELERY_TASK_TIME_LIMIT = 60\nCELERY_TASK_SERIALIZER = 'json'\n{star}",
        "proj/celery.py": (
            "import os\nfrom celery import Celery\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
            "app = Celery('proj')\n"
            "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
        ),
    }
    if copy:
        files["deploy/docker/local.py"] = "CELERY_TASK_TIME_LIMIT = 300\n"
    settings = settings_of(tmp_path, files, "proj.celery:app")
    assert value(settings, "task_time_limit") == expected
    if copy:  # a name the copy does not set keeps its value
        assert value(settings, "task_serializer") == "json"


def test_an_app_made_through_an_alias_of_celery_s_class(tmp_path: Path) -> None:
    """kpi: `Celery = celery.Celery`, then `celery_app = Celery(...)`: an app."""
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": (
            "import celery\n\nCelery = celery.Celery\n\n"
            "app = Celery('proj')\napp.conf.task_serializer = 'json'\n"
        ),
    }
    settings = settings_of(tmp_path, files, "proj.celery:app")
    assert value(settings, "task_serializer") == "json"


def test_a_namespace_updated_at_run_time_may_replace_what_came_before(tmp_path: Path) -> None:
    """openedx's production settings: `from base import *`, then `vars().update(yaml)`;
    what the base module set may be replaced, what comes after holds."""
    files = {
        "manage.py": (
            "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
        ),
        "proj/__init__.py": "",
        "proj/base.py": "CELERY_TASK_ALWAYS_EAGER = True\n",
        "proj/settings.py": (
            "import yaml\nfrom proj.base import *\n\n"
            "with open('/etc/proj.yml') as f:\n    vars().update(yaml.safe_load(f))\n\n"
            "CELERY_TASK_SERIALIZER = 'json'\n"
        ),
        "proj/celery.py": DJANGO_APP,
    }
    settings = settings_of(tmp_path, files, "proj.celery:app")
    assert value(settings, "task_always_eager") == (
        "unknown",
        "may be replaced: the module's namespace updated at run time",
    )
    assert value(settings, "task_serializer") == "json"


def test_a_helper_handed_the_module_and_the_names_it_sets(tmp_path: Path) -> None:
    """baserow: `set_settings_from_env_if_present(AttrDict(vars()), ["AWS_KEY",
    Setting("AWS_OPTIONS", ...)])` sets the names it is given, no others."""
    files = {
        "manage.py": (
            "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
        ),
        "proj/__init__.py": "",
        "proj/settings.py": (
            "from proj.helpers import AttrDict, Setting, set_from_env\n\n"
            "CELERY_TASK_SERIALIZER = 'json'\nCELERY_TASK_ACKS_LATE = True\n"
            "set_from_env(AttrDict(vars()), ['CELERY_TASK_ACKS_LATE', Setting('AWS_KEY')])\n"
        ),
        "proj/celery.py": DJANGO_APP,
    }
    settings = settings_of(tmp_path, files, "proj.celery:app")
    assert value(settings, "task_serializer") == "json"
    assert value(settings, "task_acks_late") == (
        "unknown",
        "may be replaced: a helper handed this module",
    )
    assert value(settings, "task_time_limit") is None  # known: no helper sets it


def test_settings_modules_a_helper_copies_in(tmp_path: Path) -> None:
    """ocw-studio: mitol-django-common's `import_settings_modules("main.celery_settings")`
    copies that module's settings into the settings module, as a star import does."""
    files = {
        "manage.py": (
            "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'main.settings')\n"
        ),
        "main/__init__.py": "",
        # Upper-case names only: a lower-case one stays where it is.
        "main/celery_settings.py": "CELERY_TASK_TIME_LIMIT = 300\nCELERY_x = 1\n",
        "main/settings.py": (
            "from mitol.common.envs import import_settings_modules\n\n"
            "import_settings_modules('main.celery_settings')\n"
        ),
        "main/celery.py": DJANGO_APP.replace("proj", "main"),
    }
    settings = settings_of(tmp_path, files, "main.celery:app")
    assert value(settings, "task_time_limit") == 300
    # What the settings module binds: the upper-case names only.
    config = Config(root=tmp_path, config_file=None)
    project = api.check([tmp_path], config, selected=lambda code: False, use_cache=False).project
    assert project is not None
    bound = project.modules.namespace("main.settings").bindings
    assert "CELERY_TASK_TIME_LIMIT" in bound and "CELERY_x" not in bound


def test_a_namespace_set_as_an_attribute(tmp_path: Path) -> None:
    """jumpserver: `app.namespace = 'CELERY'` after the app is made; Celery reads the
    settings with it when it loads them."""
    files = {
        "proj/__init__.py": "",
        "proj/celeryconfig.py": "CELERY_TASK_TIME_LIMIT = 60\n",
        "proj/celery.py": (
            "from celery import Celery\napp = Celery('proj')\napp.namespace = 'CELERY'\n"
            "app.config_from_object('proj.celeryconfig')\n"
        ),
    }
    settings = settings_of(tmp_path, files, "proj.celery:app")
    assert value(settings, "task_time_limit") == 60


def test_a_star_import_takes_what_dunder_all_lists(tmp_path: Path) -> None:
    """A module listing `__all__` exports only those names to `from m import *`."""
    files = {
        "proj/__init__.py": "",
        "proj/base.py": (
            "__all__ = ['task_serializer']\ntask_serializer = 'json'\ntask_always_eager = True\n"
        ),
        "proj/celeryconfig.py": "from proj.base import *\n",
        "proj/celery.py": (
            "from celery import Celery\napp = Celery('proj')\n"
            "app.config_from_object('proj.celeryconfig')\n"
        ),
    }
    settings = settings_of(tmp_path, files, "proj.celery:app")
    assert value(settings, "task_serializer") == "json"
    assert value(settings, "task_always_eager") is False  # not exported: the default


def test_a_stale_entry_point_s_settings_module_is_no_candidate(tmp_path: Path) -> None:
    """fAIr's old `asgi.py` names `djangoproject.settings`, which is no module: no
    process starts with it, and the worker never imports `asgi.py`. Every setting was
    unknown."""
    files = {
        "proj/__init__.py": "",
        "proj/asgi.py": (
            "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'oldname.settings')\n"
        ),
        "proj/settings.py": "CELERY_TASK_TIME_LIMIT = 60\n",
        "proj/celery.py": (
            "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
            + DJANGO_APP
        ),
    }
    settings = settings_of(tmp_path, files, "proj.celery:app")
    assert value(settings, "task_time_limit") == 60


_NAMES_PROJ_SETTINGS = "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')"


@pytest.mark.parametrize(
    "named_by",
    [
        {"manage.py": f"import os\n{_NAMES_PROJ_SETTINGS}\n"},
        {"Dockerfile": "FROM python:3.12\nENV DJANGO_SETTINGS_MODULE=proj.settings\n"},
    ],
    ids=["manage-py", "deployment"],
)
def test_a_stale_entry_point_is_no_candidate_where_another_names_a_module(
    tmp_path: Path, named_by: dict[str, str]
) -> None:
    """kpi's `kobo/apps/openrosa/apps/main/wsgi.py`, left from a merged project, names
    a settings module that is not there, while `manage.py` and the Dockerfile name one
    that is; the app's module names none. Every setting was unknown."""
    files = {
        "proj/__init__.py": "",
        "proj/legacy/__init__.py": "",
        "proj/legacy/wsgi.py": (
            "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.legacy.settings')\n"
        ),
        "proj/settings.py": "CELERY_TASK_TIME_LIMIT = 60\n",
        "proj/celery.py": DJANGO_APP,
        **named_by,
    }
    settings = settings_of(tmp_path, files, "proj.celery:app")
    assert value(settings, "task_time_limit") == 60


@pytest.mark.parametrize(
    ("imports", "directory_name"),
    [
        ("import os", "os.path.basename(os.path.dirname(__file__))"),
        ("import os", "os.path.basename(os.path.dirname(os.path.realpath(__file__)))"),
        ("from pathlib import Path", "Path(__file__).parent.name"),
        ("from pathlib import Path", "Path(__file__).resolve().parent.name"),
    ],
)
def test_a_settings_module_named_after_the_app_module_s_directory_is_known(
    tmp_path: Path, imports: str, directory_name: str
) -> None:
    """kpi: `PROJECT_NAME = os.path.basename(os.path.dirname(__file__))`, then the
    settings module `f"{PROJECT_NAME}.settings"`. Every setting was unknown."""
    files = {
        "proj/__init__.py": "",
        "proj/settings.py": "CELERY_TASK_TIME_LIMIT = 60\n",
        "proj/celery.py": (
            f"import os\n{imports}\nPROJECT_NAME = {directory_name}\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', f'{PROJECT_NAME}.settings')\n"
            + DJANGO_APP
        ),
    }
    settings = settings_of(tmp_path, files, "proj.celery:app")
    assert value(settings, "task_time_limit") == 60


def test_a_settings_module_named_after_a_root_directory_stays_unknown(tmp_path: Path) -> None:
    """A top-level module's directory is the checkout's, whose name is not the code's."""
    files = {
        "settings.py": "CELERY_TASK_TIME_LIMIT = 60\n",
        "worker.py": (
            "import os\nNAME = os.path.basename(os.path.dirname(__file__))\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', f'{NAME}.settings')\n" + DJANGO_APP
        ),
    }
    settings = settings_of(tmp_path, files, "worker:app")
    assert value(settings, "task_time_limit")[0] == "unknown"


_SETTINGS_CLASS = """\
import inspect
import sys
{imports}

class Settings{base}:
    CELERY_TASK_ACKS_LATE = True

    @classmethod
    def load_settings(cls, module_name):
        module = sys.modules[module_name]
        for member, value in inspect.getmembers(cls()):
            if member.isupper():
                setattr(module, member, value)

    @classmethod
    def describe(cls, module_name):
        return sys.modules[module_name].__doc__

CELERY_TASK_SERIALIZER = 'json'
Settings.{method}(__name__)
"""


@pytest.mark.parametrize(
    ("imports", "base", "method"),
    [
        # A method that does not copy members: what it does with the module is unknown.
        ("", "", "describe"),
        # A base outside the project may define any upper-case member.
        ("from somelib import LibSettings", "(LibSettings)", "load_settings"),
        # A method the class does not define (inherited from a base not seen).
        ("", "", "export_settings"),
    ],
)
def test_a_settings_class_handed_the_module_that_cannot_be_told(
    tmp_path: Path, imports: str, base: str, method: str
) -> None:
    """readthedocs' `DockerBaseSettings.load_settings(__name__)` binds the class's
    upper-case members (tests/fixtures/projects/settings_class, against Celery); any
    other `Cls.method(__name__)` may bind any name, those bound before included."""
    files = {
        "manage.py": (
            "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
        ),
        "proj/__init__.py": "",
        "proj/settings.py": _SETTINGS_CLASS.format(imports="", base="", method="load_settings"),
        "proj/celery.py": DJANGO_APP,
    }
    settings = settings_of(tmp_path / "told", files, "proj.celery:app")
    assert value(settings, "task_serializer") == "json"
    assert value(settings, "task_acks_late") is True
    files["proj/settings.py"] = _SETTINGS_CLASS.format(imports=imports, base=base, method=method)
    settings = settings_of(tmp_path / "not-told", files, "proj.celery:app")
    assert value(settings, "task_serializer") == (
        "unknown",
        "may be replaced: a helper handed this module",
    )
    assert not settings["task_acks_late"]["known"]


@pytest.mark.parametrize(
    "alias",
    ["CELERY_CONFIG = CeleryConfig", "CELERY_CONFIG: type[CeleryConfig] = CeleryConfig"],
)
def test_a_config_class_loaded_through_another_name_of_it(tmp_path: Path, alias: str) -> None:
    """superset: `CELERY_CONFIG = CeleryConfig`, then `config_from_object(CELERY_CONFIG)`
    in another module: the class's attributes."""
    files = {
        "proj/__init__.py": "",
        "proj/config.py": f"class CeleryConfig:\n    task_time_limit = 120\n\n\n{alias}\n",
        "proj/celery_app.py": (
            "from celery import Celery\nfrom proj.config import CELERY_CONFIG\n\n"
            "app = Celery()\napp.config_from_object(CELERY_CONFIG)\n"
        ),
    }
    settings = settings_of(tmp_path, files, "proj.celery_app:app")
    assert value(settings, "task_time_limit") == 120


# dify's shape, one change at a time (each alone lost the app): `create_app` hands
# the Flask app to `init_app`, which stores its Celery app in `app.extensions`.
EXT_CELERY = (
    "from celery import Celery\n\n\n"
    "def init_app(app):\n"
    "    celery_app = Celery(app.name)\n"
    "    celery_app.conf.task_time_limit = 30\n"
    "    app.extensions['celery'] = celery_app\n"
    "    return celery_app\n"
)
FACTORY = (
    "from flask import Flask\n"
    "from extensions import ext_celery\n\n\n"
    "def create_app():\n"
    "    app = Flask(__name__)\n"
    "    ext_celery.init_app(app)\n"
    "    return app\n"
)
ENTRY = (
    "from app_factory import create_app\n\napp = create_app()\ncelery = app.extensions['celery']\n"
)
SUBCLASS = "from flask import Flask\n\n\nclass DifyApp(Flask):\n    pass\n\n\n"
DIFY_SHAPES = {
    "cast": (
        FACTORY,
        "from typing import cast\nfrom app_factory import create_app\n\n"
        "app = create_app()\ncelery = cast('Celery', app.extensions['celery'])\n",
    ),
    # The worker's `-A app.celery` finds `celery` only where the `else` ran.
    "else-branch": (
        FACTORY,
        "import sys\n\nif sys.argv[1:2] == ['db']:\n    app = None\nelse:\n"
        "    from app_factory import create_app\n\n"
        "    app = create_app()\n    celery = app.extensions['celery']\n",
    ),
    "helper": (
        FACTORY.replace("ext_celery.init_app(app)", "initialize_extensions(app)")
        + "\n\ndef initialize_extensions(app):\n    ext_celery.init_app(app)\n",
        ENTRY,
    ),
    "loop": (
        FACTORY.replace(
            "    ext_celery.init_app(app)\n",
            "    extensions = [ext_celery]\n    for ext in extensions:\n"
            "        if hasattr(ext, 'is_enabled') and not ext.is_enabled():\n"
            "            continue\n        ext.init_app(app)\n",
        ),
        ENTRY,
    ),
    "local-import": (
        FACTORY.replace("from extensions import ext_celery\n", "").replace(
            "    app = Flask(__name__)\n",
            "    app = Flask(__name__)\n    from extensions import ext_celery\n\n",
        ),
        ENTRY,
    ),
    "subclass": (SUBCLASS + FACTORY.replace("Flask(__name__)", "DifyApp(__name__)"), ENTRY),
    "from-helper": (
        SUBCLASS
        + "def create_flask_app_with_configs():\n    return DifyApp(__name__)\n\n\n"
        + FACTORY.replace("Flask(__name__)", "create_flask_app_with_configs()"),
        ENTRY,
    ),
}


@pytest.mark.parametrize(("factory", "entry"), DIFY_SHAPES.values(), ids=DIFY_SHAPES.keys())
def test_an_app_a_flask_extension_stores_in_dify_s_shapes(
    tmp_path: Path, factory: str, entry: str
) -> None:
    files = {
        "extensions/__init__.py": "",
        "extensions/ext_celery.py": EXT_CELERY,
        "app_factory.py": factory,
        "app.py": entry,
    }
    settings = settings_of(tmp_path, files, "app:celery")
    assert value(settings, "task_time_limit") == 30


OTHER_STORE = EXT_CELERY.replace("Celery(app.name)", "Celery('other')").replace("30", "60")


@pytest.mark.parametrize(
    ("factory", "entry"),
    [
        # `celery` is bound in either branch: which one a worker loads cannot be told.
        (
            FACTORY,
            "from app_factory import create_app\n\nif X:\n    celery = None\nelse:\n"
            "    app = create_app()\n    celery = app.extensions['celery']\n",
        ),
        # A function may rebind it: the name is not the branch's alone.
        (
            FACTORY,
            DIFY_SHAPES["else-branch"][1]
            + "\n\ndef reset():\n    global celery\n    celery = None\n",
        ),
        # Two extensions store an app under the key: which one did cannot be told.
        (
            FACTORY.replace("import ext_celery", "import ext_celery, ext_other").replace(
                "    ext_celery.init_app(app)\n",
                "    for ext in (ext_celery, ext_other):\n        ext.init_app(app)\n",
            ),
            ENTRY,
        ),
        # What it hands over is not what it returns.
        (FACTORY.replace("    return app\n", "    app = Flask('other')\n    return app\n"), ENTRY),
    ],
    ids=["bound-in-both-branches", "global-elsewhere", "two-stores", "rebound"],
)
def test_an_extension_read_that_cannot_be_told_makes_no_app(
    tmp_path: Path, factory: str, entry: str
) -> None:
    files = {
        "extensions/__init__.py": "",
        "extensions/ext_celery.py": EXT_CELERY,
        "extensions/ext_other.py": OTHER_STORE,
        "app_factory.py": factory,
        "app.py": entry,
    }
    assert "app:celery" not in apps_of(tmp_path, files)


def test_the_config_of_a_flask_subclass_is_not_read(tmp_path: Path) -> None:
    """`class DifyApp(Flask)` may fill its config in its own `__init__`: what the
    factory writes there is not all of it."""
    files = {
        "extensions/__init__.py": "",
        "extensions/ext_celery.py": EXT_CELERY.replace(
            "    celery_app.conf.task_time_limit = 30\n",
            "    celery_app.config_from_object(app.config['CELERY'])\n",
        ),
        "app_factory.py": SUBCLASS
        + FACTORY.replace(
            "    app = Flask(__name__)\n",
            "    app = DifyApp(__name__)\n    app.config['CELERY'] = {'task_time_limit': 5}\n",
        ),
        "app.py": ENTRY,
    }
    settings = settings_of(tmp_path, files, "app:celery")
    assert not settings["task_time_limit"]["known"]


def test_a_loop_binding_the_names_of_a_list_in_the_namespace(tmp_path: Path) -> None:
    """SEED's docker settings: `for loc in ENV_VARS + OPTIONAL_ENV_VARS: locals()[loc] =
    env_var(loc)` binds those names (from the environment), and no others."""
    files = {
        "manage.py": (
            "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
        ),
        "proj/__init__.py": "",
        "proj/settings.py": (
            "import os\nCELERY_TASK_TIME_LIMIT = 60\nCELERY_BROKER_URL = 'redis://x'\n"
            "SMTP = ['EMAIL_HOST']\nENV_VARS = ['CELERY_BROKER_URL', *SMTP]\n"
            "for loc in ENV_VARS + ['REDIS_HOST']:\n    locals()[loc] = os.environ.get(loc)\n"
        ),
        "proj/celery.py": DJANGO_APP,
    }
    settings = settings_of(tmp_path, files, "proj.celery:app")
    assert value(settings, "task_time_limit") == 60
    assert not settings["broker_url"]["known"]


@pytest.mark.parametrize(
    ("helpers", "known"),
    [
        # ichnaea: a helper of another module configures the app it is handed.
        ("from proj.config import configure_celery\n", False),
        # A function of the module that only reads the app it is given changes nothing.
        ("def configure_celery(celery_app):\n    return celery_app.amqp.queues\n", True),
        ("def configure_celery(celery_app):\n    celery_app.config_from_object('x')\n", False),
    ],
)
def test_an_app_handed_to_a_function(tmp_path: Path, helpers: str, known: bool) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/config.py": "def configure_celery(app):\n    app.config_from_object('proj.s')\n",
        "proj/s.py": "task_time_limit = 300\n",
        "proj/app.py": (
            f"from celery import Celery\n{helpers}\ncelery_app = Celery('proj')\n"
            "configure_celery(celery_app)\n"
        ),
    }
    settings = settings_of(tmp_path, files, "proj.app:celery_app")
    assert settings["task_time_limit"]["known"] is known


@pytest.mark.parametrize(
    "store",
    [
        "app.conf.task_time_limit = 60",
        "app.conf['task_time_limit'] = 60",
        "app.conf = {'task_time_limit': 60}",
    ],
)
def test_a_setting_stored_in_a_function_may_be_set(tmp_path: Path, store: str) -> None:
    """`def setup(): app.conf.task_time_limit = 60`, called at import or not: the setting
    may be changed (it was taken as Celery's default, a false CL201)."""
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": (
            f"from celery import Celery\n\napp = Celery('proj')\n\n\ndef setup():\n"
            f"    {store}\n\n\nsetup()\n"
        ),
    }
    settings = settings_of(tmp_path, files, "proj.celery:app")
    assert not settings["task_time_limit"]["known"]


def test_add_defaults_of_a_callable_or_in_a_branch(tmp_path: Path) -> None:
    """A callable is a promise Celery calls when the settings load: any key. A dict given
    in a branch leaves its own keys unknown, the others as the module has them."""
    files = {
        "cfg.py": "task_time_limit = 100\ntask_soft_time_limit = 50\n",
        "lazy.py": (
            "from celery import Celery\napp = Celery('lazy')\n"
            "app.conf.task_acks_late = True\n"
            "app.add_defaults(lambda: {'task_time_limit': 5})\n"
            "app.config_from_object('cfg')\n"
        ),
        "branch.py": (
            "import os\nfrom celery import Celery\napp = Celery('branch')\n"
            "if os.environ.get('FAST'):\n    app.add_defaults({'task_time_limit': 5})\n"
            "app.config_from_object('cfg')\n"
        ),
    }
    apps = apps_of(tmp_path, files)
    lazy, branch = apps["lazy:app"]["settings"], apps["branch:app"]["settings"]
    assert value(lazy, "task_acks_late") is True
    assert value(lazy, "task_time_limit") == ("unknown", "app.conf is changed dynamically")
    assert value(branch, "task_time_limit")[0] == "unknown"
    assert value(branch, "task_soft_time_limit") == 50


_ONE = {"rate_limit": "1/s"}
_TWO = {"rate_limit": "2/s"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("CELERY_TASK_ANNOTATIONS['b'] = TWO", {"a": _ONE, "b": _TWO}),
        ("CELERY_TASK_ANNOTATIONS.update(b=TWO)", {"a": _ONE, "b": _TWO}),
        ("CELERY_TASK_ANNOTATIONS.update({'a': TWO}, b=TWO)", {"a": _TWO, "b": _TWO}),
        (
            "if DEBUG:\n    CELERY_TASK_ANNOTATIONS['b'] = TWO",
            ("unknown", "an item is set conditionally"),
        ),
        (
            "CELERY_TASK_ANNOTATIONS[os.environ['K']] = TWO",
            ("unknown", "dict with unknown entries"),
        ),
        ("CELERY_TASK_ANNOTATIONS.update(load())", ("unknown", "call to m.load")),
    ],
)
def test_items_set_in_a_dict_the_settings_module_made(
    tmp_path: Path, change: str, expected: object
) -> None:
    """`CELERY_X = {...}` then `CELERY_X["k"] = v` or `.update(...)` at module level: the
    dict as Python builds it (odl-video-service's beat schedule was unknown, "set
    conditionally", and CL602 never read its entries); an item set under `if` leaves it
    unknown, for that reason."""
    files = {
        "manage.py": "import os\nos.environ['DJANGO_SETTINGS_MODULE'] = 'proj.settings'\n",
        "proj/__init__.py": "",
        "proj/celery.py": DJANGO_APP,
        "proj/settings.py": (
            "import os\nfrom m import load\nDEBUG = os.environ.get('DEBUG')\n"
            f"TWO = {_TWO!r}\nCELERY_TASK_ANNOTATIONS = {{'a': {_ONE!r}}}\n{change}\n"
        ),
    }
    settings = settings_of(tmp_path, files, "proj.celery:app")
    assert value(settings, "task_annotations") == expected


_IN_A_BLOCK = ("unknown", "set in a block of the class body")


@pytest.mark.parametrize(
    ("guard", "expected"),
    [
        # OSF's CeleryConfig: kombu is installed wherever Celery is; the `else` runs.
        ("from kombu import Exchange, Queue", 120),
        ("import kombu", 120),
        ("from celery.schedules import crontab as cron", 120),
        # Not Celery's: the package may be missing, and then the handler runs.
        ("import redis", _IN_A_BLOCK),
        # A version guard: Celery 5 has no `celery.task`; no name outside the list counts.
        ("from celery.task import periodic_task", _IN_A_BLOCK),
        ("from kombu import Consumer, Queue", _IN_A_BLOCK),
        # A relative import is the project's own module.
        ("from . import kombu", _IN_A_BLOCK),
    ],
)
def test_an_import_guard_in_a_class_config_passes_only_for_what_celery_brings(
    tmp_path: Path, guard: str, expected: object
) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": (
            "from celery import Celery\n\n"
            "class CeleryConfig:\n"
            f"    try:\n        {guard}\n"
            "    except ImportError:\n        task_time_limit = 60\n"
            "    else:\n        task_time_limit = 120\n\n"
            "app = Celery('proj')\napp.config_from_object(CeleryConfig)\n"
        ),
    }
    assert value(settings_of(tmp_path, files, "proj.celery:app"), "task_time_limit") == expected


def test_a_guarded_import_names_the_value_a_class_config_builds_with_it() -> None:
    source = (
        "class CeleryConfig:\n"
        "    try:\n        from kombu import Queue\n    except ImportError:\n        pass\n"
        "    else:\n        task_queues = (Queue('low'),)\n"
    )
    facts = extract_source(source.encode(), "m", False)
    queues = facts.classes["CeleryConfig"].attrs["task_queues"]
    assert isinstance(queues, Seq)
    [declared] = queues.items
    assert isinstance(declared, QueueDecl)
    assert declared.name == Const(declared.name.span, "low")


@pytest.mark.parametrize(
    ("comprehension", "expected"),
    [
        # jumpserver: the CELERY* names of a settings module, as config_from_object reads.
        ("{k: v for k, v in settings.__dict__.items() if k.startswith('CELERY')}", 30),
        ("{key: value for key, value in vars(settings).items() if key.startswith('CELERY_')}", 30),
        # No CELERY prefix: the name is not taken.
        ("{k: v for k, v in settings.__dict__.items() if k.startswith('DJANGO')}", None),
        # Django's settings object is lazy: its `__dict__` holds no settings.
        (
            "{k: v for k, v in django_settings.__dict__.items() if k.startswith('CELERY')}",
            ("unknown", "app.conf is changed dynamically"),
        ),
        # Any other condition or mapping may keep any name.
        (
            "{k: v for k, v in settings.__dict__.items() if k.isupper()}",
            ("unknown", "app.conf is changed dynamically"),
        ),
        (
            "{k: v for k, v in settings.items()}",
            ("unknown", "app.conf is changed dynamically"),
        ),
    ],
)
def test_a_dict_of_a_module_s_names_configures_as_that_module(
    tmp_path: Path, comprehension: str, expected: object
) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/settings.py": "CELERY_TASK_TIME_LIMIT = 30\nDJANGO_DEBUG = False\n",
        "proj/celery.py": (
            "from celery import Celery\nfrom django.conf import settings as django_settings\n"
            "from proj import settings\n\n"
            f"configs = {comprehension}\n"
            "app = Celery('proj')\napp.namespace = 'CELERY'\napp.conf.update(configs)\n"
        ),
    }
    assert value(settings_of(tmp_path, files, "proj.celery:app"), "task_time_limit") == expected
