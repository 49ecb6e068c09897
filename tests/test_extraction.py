"""Extraction details that rules depend on, checked on the facts themselves."""

from __future__ import annotations

import pytest

from celerylint.facts import extract_source
from celerylint.facts.schema import (
    Assign,
    ConfigFromItem,
    Const,
    Env,
    FileFacts,
    Node,
    Ref,
    Seq,
    Span,
)


def facts_of(source: str, module: str = "m") -> FileFacts:
    return extract_source(source.encode(), module, False)


def assigned(facts: FileFacts, name: str) -> Node:
    return next(e.node for e in facts.events if isinstance(e, Assign) and e.name == name)


def test_environment_lookups_record_variable_default_and_whether_required() -> None:
    facts = facts_of(
        "import os\n"
        "import environ\n"
        "from decouple import config\n"
        "env = environ.Env()\n"
        "A = os.environ['A']\n"
        "B = os.environ.get('B')\n"
        "C = os.getenv('C', 'redis://c')\n"
        "D = env('D')\n"
        "E = env('E', default='e')\n"
        "F = env.str('F', 'redis://f')\n"
        "G = config('G', 'g')\n"
        "H = env('H', str)\n"
    )
    shapes = {}
    for name in "ABCDEFGH":
        node = assigned(facts, name)
        assert isinstance(node, Env)
        default = node.default.value if isinstance(node.default, Const) else node.default
        shapes[name] = (node.variable, default, node.required)
    assert shapes == {
        "A": ("A", None, True),
        "B": ("B", None, False),
        "C": ("C", "redis://c", False),
        "D": ("D", None, True),
        "E": ("E", "e", False),
        "F": ("F", "redis://f", False),
        "G": ("G", "g", False),
        "H": ("H", None, True),
    }


def test_aliased_shared_task_body_is_analyzed() -> None:
    facts = facts_of(
        "import multiprocessing as mp\n"
        "from celery import shared_task as job\n"
        "@job\n"
        "def work():\n"
        "    mp.Pool(2)\n"
        "def helper():\n"
        "    mp.Process()\n"
    )
    work = facts.functions["work"]
    assert [p.factory for p in work.pools] == ["multiprocessing.Pool"]
    # An undecorated function nothing analyzed calls keeps only light facts.
    assert facts.functions["helper"].light is True


def test_helper_called_by_a_task_is_analyzed() -> None:
    facts = facts_of(
        "from concurrent.futures import ProcessPoolExecutor as PPE\n"
        "from celery import shared_task\n"
        "def fan_out():\n"
        "    with PPE() as ex:\n"
        "        pass\n"
        "@shared_task\n"
        "def work():\n"
        "    fan_out()\n"
    )
    helper = facts.functions["fan_out"]
    assert helper.light is False
    assert [p.factory for p in helper.pools] == ["concurrent.futures.ProcessPoolExecutor"]


def test_columns_are_characters_not_bytes() -> None:
    facts = facts_of("X = 'é'\nCELERY_ACCEPT_CONTENT = ['ü', 'pickle']\n")
    node = assigned(facts, "CELERY_ACCEPT_CONTENT")
    assert isinstance(node, Seq)
    assert node.items[1].span == Span(2, 30, 2, 38)


def test_app_built_by_a_factory_function_is_configured_by_it(tmp_path) -> None:
    from celerylint.api import describe

    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    (tmp_path / "proj" / "worker.py").write_text(
        "from celery import Celery\n\n\n"
        "def create_application(name):\n"
        "    application = Celery(name, broker='redis://r/0')\n"
        "    application.conf.update(task_time_limit=120)\n"
        "    application.conf.task_serializer = 'msgpack'\n"
        "    if name == 'x':\n"
        "        application.conf.result_expires = 0\n"
        "    return application\n\n\n"
        "app = create_application('proj')\n"
    )
    settings = describe(tmp_path)["apps"]["proj.worker:app"]["settings"]
    assert settings["task_time_limit"]["value"] == 120
    assert settings["task_serializer"]["value"] == "msgpack"
    assert settings["broker_url"]["value"] == "redis://r/0"
    # A write under a condition in the factory may or may not happen: unknown.
    assert settings["result_expires"]["known"] is False


def test_calls_handed_to_beat_or_on_commit_are_recorded_as_dropped() -> None:
    facts = facts_of(
        "from django.db import transaction\n"
        "from django.db.transaction import on_commit\n"
        "def setup(sender, **kwargs):\n"
        "    sender.add_periodic_task(10.0, a.s(1), name='a')\n"
        "    sender.add_periodic_task(schedule=10.0, sig=b.si())\n"
        "    sender.add_periodic_task(10.0, c)\n"  # a task object: no dispatch
        "    sender.add_periodic_task(*entry)\n"
        "def view():\n"
        "    transaction.on_commit(lambda: d.delay(1))\n"
        "    on_commit(lambda: app.send_task('e'), robust=True)\n"
        "    transaction.on_commit(lambda: print(f.delay().id))\n"  # the lambda keeps the id
        "    transaction.on_commit(partial(g.delay, 1))\n"  # no call: nothing dispatched here
    )
    dropped = [(d.span.line, d.reason) for d in facts.dropped_results]
    assert dropped == [(4, "beat"), (5, "beat"), (9, "on_commit"), (10, "on_commit")]
    dispatch_spans = {d.span for d in facts.dispatches}
    assert all(d.span in dispatch_spans for d in facts.dropped_results)


@pytest.mark.parametrize(
    ("code", "dynamic"),
    [
        # edx-platform: whatever the YAML file holds becomes a setting.
        ("import yaml\nvars().update(yaml.safe_load(open('x')))\n", True),
        # One name, or those of a list written here (SEED's docker settings): only those.
        ("globals()['CELERY_X'] = 1\n", False),
        ("A = ['X']\nfor k in A + ['Y', *A]:\n    locals()[k] = 1\n", False),
        ("import os\nfor k in os.environ:\n    globals()[k] = os.environ[k]\n", True),
        # glitchtip: django-environ's e-mail settings, EMAIL_* names only.
        (
            "import environ\nenv = environ.Env()\n"
            "if env('EMAIL_URL', default=None):\n"
            "    EMAIL_CONFIG = env.email_url('EMAIL_URL')\n    vars().update(EMAIL_CONFIG)\n",
            False,
        ),
        ("import environ\nenv = environ.Env()\nvars().update(env.email_url('EMAIL_URL'))\n", False),
        ("import dj_email_url\nvars().update(dj_email_url.parse('smtp://x'))\n", False),
        # kuma: python-decouple hands the value to the parser (`cast=`).
        (
            "import dj_email_url\nfrom decouple import config\n"
            "vars().update(config('EMAIL_URL', default='console://', cast=dj_email_url.parse))\n",
            False,
        ),
        (
            "import dj_email_url\nfrom decouple import config\n"
            "E = config('EMAIL_URL', cast=dj_email_url.config)\nvars().update(E)\n",
            False,
        ),
        ("from decouple import config\nvars().update(config('X', cast=dict))\n", True),
        # open-humans: django-heroku sets the database, hosts, logging, static files.
        ("import django_heroku\nif ON_HEROKU:\n    django_heroku.settings(locals())\n", False),
        ("import helpers\nhelpers.settings(locals())\n", True),
        # The name rebound to something else since.
        (
            "import environ, yaml\nenv = environ.Env()\nC = env.email_url('EMAIL_URL')\n"
            "C = yaml.safe_load(open('x'))\nvars().update(C)\n",
            True,
        ),
    ],
)
def test_settings_loaded_into_the_namespace_make_the_module_dynamic(
    code: str, dynamic: bool
) -> None:
    assert extract_source(code.encode(), "settings", False).dynamic is dynamic


def test_a_factory_storing_its_app_in_extensions_leaves_the_module_s_app_alone() -> None:
    """`app.extensions["celery"] = celery_app` in `celery_init_app(app)` changes the
    parameter, not a module-level Flask `app` of the same name (whose config a Celery
    app may load)."""
    source = (
        "from celery import Celery\nfrom flask import Flask\n\napp = Flask(__name__)\n\n\n"
        "def celery_init_app(app):\n    celery_app = Celery(app.name)\n"
        "    app.extensions['celery'] = celery_app\n    return celery_app\n"
    )
    facts = extract_source(source.encode(), "m", False)
    assert [e for e in facts.events if not isinstance(e, Assign)] == []
    assert facts.celery_factories["celery_init_app"].extension == ("app", "celery")


_FACTORY = (
    "from flask import Flask\n"
    "from proj.extensions import celery_app\n"
    "{decorator}"
    "{kind} create_app(name='dev'):\n"
    "    app = Flask(__name__)\n"
    "    celery_app.config_from_object(app.config['CELERY'])\n"
    "    celery_app.conf.task_acks_late = name\n"
    "    with app.app_context():\n"
    "        celery_app.conf.update(task_always_eager=True)\n"
    "    celery_app.conf.beat_schedule.update({{}})\n"
    "    if name == 'test':\n"
    "        return app\n"
    "    celery_app.conf.result_expires = 60\n"
    "    return app\n"
)


def test_a_flask_factory_records_what_a_call_certainly_does_to_other_celery_apps() -> None:
    """Up to the first statement that may return, not inside a `with`, with its own
    Flask app and its parameters as placeholders; only where a call runs the body."""
    factory = facts_of(_FACTORY.format(decorator="", kind="def"), "proj.app").flask_factories
    ops = factory["create_app"].celery_ops
    assert [(type(op).__name__, getattr(op, "key", "")) for op in ops[1:]] == [
        ("ConfSet", "task_acks_late"),
        ("ConfUnset", "beat_schedule"),
    ]
    assert isinstance(ops[0], ConfigFromItem)
    assert {op.receiver for op in ops} == {"proj.extensions.celery_app"}
    assert not any(op.conditional for op in ops)
    read = (ops[0].table, getattr(ops[1], "node", None))
    assert [node.qualname if isinstance(node, Ref) else node for node in read] == [
        "proj.app.create_app.app.config",
        "proj.app.create_app.name",
    ]
    assert factory["create_app"].local == "app"
    for decorator, kind in (("@cached\n", "def"), ("", "async def")):
        source = _FACTORY.format(decorator=decorator, kind=kind)
        assert facts_of(source, "proj.app").flask_factories["create_app"].celery_ops == ()


def test_import_time_records_certain_imports_and_factory_calls_only() -> None:
    facts = facts_of(
        "import proj.boot\n"
        "from . import views\n"
        "from proj.app import create_app, make_celery\n"
        "celery = make_celery(create_app())\n"
        "create_app().app_context().push()\n"
        "web_app = create_app('prod')\n"
        "later = lambda: create_app()\n"
        "maybe = debug and create_app()\n"
        "if debug:\n"
        "    import proj.debug\n"
        "    create_app()\n"
        "try:\n"
        "    create_app()\n"
        "except ImportError:\n"
        "    pass\n",
        "proj.worker",
    )
    at_import = facts.at_import
    # The imports a top-level statement makes are certain; those under `if` are not.
    assert [(i.module, i.names) for i in facts.discovery.imports if i.certain] == [
        ("proj.boot", ()),
        ("proj", ("views",)),
        ("proj.app", ("create_app", "make_celery")),
    ]
    assert [i.module for i in facts.discovery.imports if not i.certain] == ["proj.debug"]
    assert [
        (call.var, call.callee, call.span.line if call.span else 0) for call in at_import.calls
    ] == [
        ("celery", "proj.app.make_celery", 4),
        ("", "proj.app.create_app", 4),
        ("", "proj.app.create_app", 5),
        ("web_app", "proj.app.create_app", 6),
    ]
