"""The settings catalog against the installed Celery and kombu.

The catalog replays Celery's key lookup and its mixing check without importing
Celery; every test here compares it with the real thing.
"""

from __future__ import annotations

import difflib
import os
import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import celery
import kombu
import pytest
from celery import Celery
from celery.app import defaults as celery_defaults
from celery.exceptions import ImproperlyConfigured
from kombu.serialization import prepare_accept_content
from kombu.serialization import registry as kombu_registry

from celerylint import _catalog_data, catalog

# Configs holding every setting include the deprecated one, and Celery says so.
# Compared with the installed Celery (the modelled version, pinned by the test extra).
pytestmark = [
    pytest.mark.filterwarnings("ignore::celery.exceptions.CPendingDeprecationWarning"),
    pytest.mark.real_celery,
]

REPO_ROOT = Path(__file__).resolve().parent.parent
GENERATOR = REPO_ROOT / "scripts" / "gen_catalog.py"
SHIPPED = REPO_ROOT / "celerylint" / "_catalog_data.py"

PREFIXES = (None, "", "CELERY", "CELERY_", "celery", "Celery", "CELERYD", "task", "MYAPP__", "_")


class Marker:
    """A configuration value that remembers the key it was stored under."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"Marker({self.key!r})"


def make_app(attrs: dict[str, object], namespace: str | None, **celery_kwargs: object) -> Celery:
    app = Celery("catalog-test", set_as_current=False, **celery_kwargs)
    config = type("Config", (), dict(attrs))
    app.config_from_object(config, namespace=namespace)
    return app


# --- the generated table ------------------------------------------------------


def test_shipped_table_matches_installed_celery(tmp_path: Path) -> None:
    regenerated = tmp_path / "_catalog_data.py"
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--output", str(regenerated)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fresh = regenerated.read_text(encoding="utf-8")
    shipped = SHIPPED.read_text(encoding="utf-8")
    if fresh != shipped:
        diff = "".join(
            difflib.unified_diff(
                shipped.splitlines(keepends=True),
                fresh.splitlines(keepends=True),
                "shipped",
                "installed celery",
                n=1,
            )
        )
        pytest.fail(
            "celerylint/_catalog_data.py is out of date with the installed celery/kombu; "
            "run `python scripts/gen_catalog.py`.\n" + diff[:4000]
        )


def test_table_holds_celerys_own_maps() -> None:
    assert set(_catalog_data.SETTINGS) == set(celery_defaults.DEFAULTS)
    assert _catalog_data.OLD_TO_NEW == celery_defaults._TO_NEW_KEY
    assert _catalog_data.NEW_TO_OLD == celery_defaults._TO_OLD_KEY
    serializers = dict(_catalog_data.SERIALIZERS)
    assert serializers == kombu_registry.name_to_type
    assert list(_catalog_data.SETTINGS) == sorted(_catalog_data.SETTINGS)
    versions = (catalog.CELERY_VERSION, catalog.KOMBU_VERSION)
    assert versions == (celery.__version__, kombu.__version__)


def _as_data(value: object) -> object:
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, tuple):
        return tuple(_as_data(item) for item in value)
    return value


@pytest.mark.parametrize("name", sorted(celery_defaults.DEFAULTS))
def test_defaults_types_and_names(name: str) -> None:
    option = dict(celery_defaults.flatten(celery_defaults.NAMESPACES))[name]
    assert catalog.is_setting(name)
    assert catalog.default(name) == _as_data(celery_defaults.DEFAULTS[name])
    expected_type = option.type if isinstance(option.type, str) else option.type.__name__
    assert catalog.setting_type(name) == expected_type
    old = celery_defaults._TO_OLD_KEY[name]
    assert catalog.old_name(name) == old
    assert catalog.is_old_name(old)
    assert catalog.new_name(old) == name
    assert catalog.new_name(name) == name
    assert not catalog.is_setting(old)
    fields = tuple(getattr(option, attr) for attr in ("deprecate_by", "remove_by", "alt"))
    assert catalog.deprecation(name) == (fields if any(fields) else None)


def test_known_facts() -> None:
    assert catalog.default("result_expires") == 86400.0
    assert catalog.default("accept_content") == ("json",)
    assert catalog.default("task_time_limit") is None
    assert catalog.default("result_backend_max_retries") == float("inf")
    assert catalog.old_name("task_time_limit") == "CELERYD_TASK_TIME_LIMIT"
    assert catalog.old_name("accept_content") == "CELERY_ACCEPT_CONTENT"
    assert catalog.new_name("CELERY_IGNORE_RESULT") == "task_ignore_result"
    assert catalog.new_name("CELERY_TASK_TIME_LIMIT") is None
    assert catalog.new_name("celery_{0}") is None
    assert catalog.old_name("no_such_setting") is None
    assert catalog.deprecation("task_acks_on_failure_or_timeout") is not None
    assert catalog.deprecation("task_time_limit") is None
    with pytest.raises(KeyError):
        catalog.default("no_such_setting")


def test_default_containers_are_copies() -> None:
    policy = catalog.default("task_publish_retry_policy")
    assert isinstance(policy, dict)
    policy["max_retries"] = 99
    assert (
        catalog.default("task_publish_retry_policy")
        == (celery_defaults.DEFAULTS["task_publish_retry_policy"])
    )


# --- lookup_keys == ConfigurationView._to_keys --------------------------------


def _keys_to_try() -> list[str]:
    keys = set(celery_defaults.DEFAULTS) | set(celery_defaults._TO_NEW_KEY)
    keys |= {"CELERY_" + name.upper() for name in celery_defaults.DEFAULTS}
    keys |= {"celery_" + name for name in celery_defaults.DEFAULTS}
    keys |= {"TIME_ZONE", "task_foo", "CELERY_", "", "MYAPP__x", "_private"}
    return sorted(keys)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_lookup_keys_is_celerys(prefix: str | None) -> None:
    conf = make_app({}, prefix).conf
    conf.finalize()
    # Celery(namespace='') is no namespace at all.
    assert conf.prefix == (prefix.rstrip("_") + "_" if prefix else None)
    mismatches = {
        key: (catalog.lookup_keys(key, prefix), conf._to_keys(key))
        for key in _keys_to_try()
        if catalog.lookup_keys(key, prefix) != conf._to_keys(key)
    }
    assert not mismatches


def test_lookup_keys_examples() -> None:
    assert catalog.lookup_keys("task_time_limit", "CELERY") == (
        "CELERY_TASK_TIME_LIMIT",
        "task_time_limit",
        "task_time_limit",
        "CELERYD_TASK_TIME_LIMIT",
    )
    assert catalog.lookup_keys("task_time_limit", None) == (
        "task_time_limit",
        "task_time_limit",
        "CELERYD_TASK_TIME_LIMIT",
    )


# --- classify_source_key against what a real app reads -------------------------


def _spellings(prefix: str | None) -> dict[str, list[str]]:
    names = sorted(celery_defaults.DEFAULTS)
    groups = {
        "new": names,
        "old": sorted(celery_defaults._TO_NEW_KEY),
        "celery_upper": ["CELERY_" + name.upper() for name in names],
        "celery_lower": ["celery_" + name for name in names],
        "upper": [name.upper() for name in names],
        "worker_for_celeryd": [
            old.replace("CELERYD_", "CELERY_WORKER_", 1)
            for old in sorted(celery_defaults._TO_NEW_KEY)
            if old.startswith("CELERYD_")
        ],
    }
    if prefix:
        groups["prefixed"] = [catalog.lookup_keys(name, prefix)[0] for name in names]
    return groups


def _spelling_cases() -> list[tuple[str | None, str]]:
    return [
        (prefix, group)
        for prefix in (None, "CELERY", "celery", "MYAPP")
        for group in _spellings(prefix)
    ]


@pytest.mark.parametrize(("prefix", "group"), _spelling_cases())
def test_classify_source_key_agrees_with_celery(prefix: str | None, group: str) -> None:
    # One app per group of spellings: within a group each setting has at most
    # one spelling, and no group mixes old and new names, so Celery starts.
    keys = _spellings(prefix)[group]
    markers = {key: Marker(key) for key in keys}
    conf = make_app(dict(markers), prefix).conf
    read_by: dict[str, str] = {}
    for setting in sorted(celery_defaults.DEFAULTS):
        value = conf[setting]
        if isinstance(value, Marker):
            read_by[value.key] = setting
    for key in keys:
        kind, setting = catalog.classify_source_key(key, prefix)
        assert setting == read_by.get(key), key
        assert (kind == "ignored") == (setting is None), key


CLASSIFY_TABLE = [
    # key, namespace, kind, setting
    ("task_time_limit", None, "new", "task_time_limit"),
    ("CELERYD_TASK_TIME_LIMIT", None, "old", "task_time_limit"),
    ("CELERY_TASK_TIME_LIMIT", None, "ignored", None),
    ("TASK_TIME_LIMIT", None, "ignored", None),
    ("CELERY_IGNORE_RESULT", None, "old", "task_ignore_result"),
    ("BROKER_URL", None, "old", "broker_url"),
    ("CELERY_ACCEPT_CONTENT", None, "old", "accept_content"),
    ("celery_result_backend", None, "ignored", None),
    ("CELERY_TASK_TIME_LIMIT", "CELERY", "namespaced", "task_time_limit"),
    ("CELERY_BROKER_URL", "CELERY", "namespaced", "broker_url"),
    ("CELERY_ACCEPT_CONTENT", "CELERY", "namespaced", "accept_content"),
    ("CELERY_QUEUES", "CELERY", "old", "task_queues"),
    ("CELERY_DEFAULT_QUEUE", "CELERY", "old", "task_default_queue"),
    ("CELERYD_TASK_TIME_LIMIT", "CELERY", "old", "task_time_limit"),
    ("CELERYD_CONCURRENCY", "CELERY", "old", "worker_concurrency"),
    ("BROKER_URL", "CELERY", "old", "broker_url"),
    ("task_time_limit", "CELERY", "new", "task_time_limit"),
    ("CELERY_WORKER_TASK_SOFT_TIME_LIMIT", "CELERY", "ignored", None),
    ("CELERY_TASK_DEFAULT_EXPIRES", "CELERY", "ignored", None),
    ("celery_result_backend", "CELERY", "ignored", None),
    ("celery_result_backend", "celery", "namespaced", "result_backend"),
    ("CELERY_RESULT_BACKEND", "celery", "old", "result_backend"),
    ("celery_task_time_limit", "celery_", "namespaced", "task_time_limit"),
    ("CELERY_TASK_TIME_LIMIT", "celery", "ignored", None),
    ("DATABASES", "CELERY", "ignored", None),
]


@pytest.mark.parametrize(("key", "namespace", "kind", "setting"), CLASSIFY_TABLE)
def test_classify_table(key: str, namespace: str | None, kind: str, setting: str | None) -> None:
    assert catalog.classify_source_key(key, namespace) == (kind, setting)
    conf = make_app({key: Marker(key)}, namespace).conf
    read = [name for name in sorted(celery_defaults.DEFAULTS) if isinstance(conf[name], Marker)]
    assert read == ([] if setting is None else [setting])
    if kind == "old":
        # Celery warns about these at worker start-up.
        assert key in conf.deprecated_settings


# --- mixing_error against detect_settings ------------------------------------------


def celery_mixing_error(
    keys: list[str], namespace: str | None = None, **celery_kwargs: object
) -> list[tuple[str, str]]:
    app = make_app(dict.fromkeys(keys, 1), namespace, **celery_kwargs)
    try:
        app.conf.finalize()
    except ImproperlyConfigured as exc:
        pairs = []
        for line in str(exc).splitlines():
            if " -> " in line:
                old, _, new = line.partition(" -> ")
                pairs.append((old.strip(), new.strip()))
        assert pairs, str(exc)
        return pairs
    return []


MIXING_TABLE = [
    # only new, only old: fine
    ["task_time_limit", "broker_url"],
    ["CELERYD_TASK_TIME_LIMIT", "BROKER_URL"],
    # one old among new names: the old one is listed
    ["task_time_limit", "broker_url", "CELERY_IGNORE_RESULT"],
    # one new among old names: the new one is listed, with its old name
    ["CELERYD_TASK_TIME_LIMIT", "BROKER_URL", "task_ignore_result"],
    # a tie goes to the new names
    ["task_time_limit", "CELERY_IGNORE_RESULT"],
    ["task_time_limit", "broker_url", "CELERY_IGNORE_RESULT", "CELERY_ACCEPT_CONTENT"],
    # both spellings of one setting are not listed...
    ["result_expires", "CELERY_TASK_RESULT_EXPIRES"],
    ["result_expires", "CELERY_TASK_RESULT_EXPIRES", "task_time_limit"],
    # ...but the other minority keys still are
    ["result_expires", "CELERY_TASK_RESULT_EXPIRES", "task_time_limit", "BROKER_URL"],
    ["CELERYD_CONCURRENCY", "CELERY_TASK_RESULT_EXPIRES", "result_expires", "broker_url"],
    # keys that are neither do not count
    ["task_time_limit", "CELERY_TASK_TIME_LIMIT", "CELERY_WORKER_TASK_SOFT_TIME_LIMIT"],
    ["CELERYD_TASK_TIME_LIMIT", "DATABASES", "redis_hostname", "CELERY_IGNORE_RESULT"],
    [],
]


@pytest.mark.parametrize("keys", MIXING_TABLE)
def test_mixing_error_table(keys: list[str]) -> None:
    assert catalog.mixing_error(keys) == celery_mixing_error(keys)


def test_mixing_error_examples() -> None:
    assert catalog.mixing_error(["task_time_limit", "broker_url", "CELERY_IGNORE_RESULT"]) == [
        ("CELERY_IGNORE_RESULT", "task_ignore_result")
    ]
    assert catalog.mixing_error(
        ["CELERYD_TASK_TIME_LIMIT", "BROKER_URL", "task_ignore_result"]
    ) == [("task_ignore_result", "CELERY_IGNORE_RESULT")]
    assert catalog.mixing_error(["result_expires", "CELERY_TASK_RESULT_EXPIRES"]) == []


def test_mixing_error_random_sources() -> None:
    rng = random.Random(20240611)
    new_names = sorted(celery_defaults.DEFAULTS)
    old_names = sorted(celery_defaults._TO_NEW_KEY)
    for _ in range(150):
        keys = set(rng.sample(new_names, rng.randint(0, 6)))
        keys |= set(rng.sample(old_names, rng.randint(0, 6)))
        # Give some settings both spellings, the case Celery lets through.
        for name in rng.sample(sorted(keys), min(len(keys), rng.randint(0, 2))):
            keys.add(catalog.old_name(name) or catalog.new_name(name) or name)
        ordered = sorted(keys)
        assert catalog.mixing_error(ordered) == celery_mixing_error(ordered), ordered


def test_mixing_error_leaves_out_constructor_keys() -> None:
    keys = ["broker_url", "CELERY_ACCEPT_CONTENT", "CELERYD_CONCURRENCY"]
    assert catalog.mixing_error(keys) == [("broker_url", "BROKER_URL")]
    assert catalog.mixing_error(keys) == celery_mixing_error(keys)
    # Celery(broker=...) takes broker_url out of the count.
    assert catalog.mixing_error(keys, ignore_keys={"broker_url"}) == []
    assert celery_mixing_error(keys, broker="memory://") == []


def test_mixing_error_never_under_a_namespace() -> None:
    keys = ["task_time_limit", "broker_url", "CELERY_IGNORE_RESULT"]
    assert catalog.mixing_error(keys, prefix="CELERY") == []
    assert celery_mixing_error(keys, namespace="CELERY") == []
    assert catalog.mixing_error(keys) != []


# --- closest_settings -----------------------------------------------------------

CLOSEST_TABLE = [
    # key, namespace, expected
    ("CELERY_TASK_TIME_LIMIT", None, ["CELERYD_TASK_TIME_LIMIT"]),
    ("celery_task_time_limit", None, ["task_time_limit"]),
    ("celery_result_backend", None, ["result_backend"]),
    ("task_time_limt", None, ["task_time_limit"]),
    ("worker_concurency", None, ["worker_concurrency"]),
    ("BROKER_URLS", None, ["BROKER_URL"]),
    ("CELERY_BROKER_URL", None, ["BROKER_URL"]),
    ("CELERY_CONCURRENCY", None, ["CELERYD_CONCURRENCY"]),
    ("CELERY_TASK_SERIALISER", None, ["CELERY_TASK_SERIALIZER"]),
    ("CELERY_WORKER_TASK_SOFT_TIME_LIMIT", None, ["CELERYD_TASK_SOFT_TIME_LIMIT"]),
    ("CELERY_TASK_TIME_LIMIT", "CELERY", []),
    ("CELERY_TASK_TIME_LIMT", "CELERY", ["CELERY_TASK_TIME_LIMIT"]),
    ("CELERY_WORKER_TASK_SOFT_TIME_LIMIT", "CELERY", ["CELERY_TASK_SOFT_TIME_LIMIT"]),
    ("celery_result_backend", "CELERY", ["CELERY_RESULT_BACKEND"]),
    ("CELERY_CONCURRENCY", "CELERY", ["CELERY_WORKER_CONCURRENCY"]),
    ("CELERYD_MAX_TASK_PER_CHILD", "CELERY", ["CELERY_WORKER_MAX_TASKS_PER_CHILD"]),
    ("CELERY_RESULTS_BACKEND", "CELERY", ["CELERY_RESULT_BACKEND"]),
    ("CELERY_TASK_ACK_LATE", "CELERY", ["CELERY_TASK_ACKS_LATE"]),
    ("celery_task_time_limt", "celery", ["celery_task_time_limit"]),
]


@pytest.mark.parametrize(("key", "namespace", "expected"), CLOSEST_TABLE)
def test_closest_settings(key: str, namespace: str | None, expected: list[str]) -> None:
    assert catalog.closest_settings(key, namespace) == expected


# Keys real projects keep next to Celery's: none may be "corrected".
PROJECT_KEYS = [
    "CELERY_ENABLED",
    "CELERY_APP",
    "CELERY_BROKER",
    "CELERY_LOG_LEVEL",
    "CELERY_FLOWER_USER",
    "CELERY_FLOWER_PASSWORD",
    "CELERY_QUEUE_NAME",
    "CELERY_DEFAULT_TIMEOUT",
    "CELERY_BEAT_ENABLED",
    "CELERY_REDIS_URL",
    "CELERY_MAX_RETRIES",
    "CELERY_TASK_MAX_RETRIES",
    "CELERY_TASK_DEFAULT_EXPIRES",
    "CELERY_DB_REUSE_MAX",
    "CELERY_HEALTHCHECK_PORT",
    "CELERY_DB",
    "CELERY_PORT",
    "REDIS_HOST",
    "REDIS_URL",
    "DATABASE_URL",
    "TASK_TIME_LIMIT",
    "BROKER_USERNAME",
    "TIME_ZONE",
    "DATABASES",
    "INSTALLED_APPS",
    "SECRET_KEY",
    "DEBUG",
    "LOGGING",
    "CACHES",
    "EMAIL_HOST",
    "STATIC_URL",
    "AWS_S3_REGION_NAME",
    "result_backend_thread_safe",
    "_private",
    "os",
]


@pytest.mark.parametrize("namespace", [None, "CELERY"])
@pytest.mark.parametrize("key", PROJECT_KEYS)
def test_closest_settings_leaves_project_keys_alone(key: str, namespace: str | None) -> None:
    assert catalog.closest_settings(key, namespace) == []


@pytest.mark.parametrize("namespace", [None, "CELERY", "celery"])
def test_suggestions_are_read_by_celery(namespace: str | None) -> None:
    keys = [row[0] for row in CLOSEST_TABLE] + ["CELERY_CREATE_MISSING_QUEUE", "CELERY_QUEUE"]
    styles: tuple[str | None, ...] = (None, "new", "old") if namespace is None else (None,)
    for key in keys:
        for style in styles:
            for suggestion in catalog.closest_settings(key, namespace, style=style):
                conf = make_app({suggestion: Marker(suggestion)}, namespace).conf
                read = [name for name in celery_defaults.DEFAULTS if isinstance(conf[name], Marker)]
                assert len(read) == 1, (key, suggestion)


def test_closest_settings_style() -> None:
    assert catalog.closest_settings("CELERY_TASK_TIME_LIMIT", None, style="new") == [
        "task_time_limit"
    ]
    assert catalog.closest_settings("task_time_limt", None, style="old") == [
        "CELERYD_TASK_TIME_LIMIT"
    ]
    assert catalog.closest_settings("task_time_limit", None) == []
    with pytest.raises(ValueError):
        catalog.closest_settings("x", None, style="upper")


# --- misprefixed ------------------------------------------------------------------

MISPREFIXED_TABLE = [
    # key, namespace, the key meant (None: not a misspelt prefix)
    ("CELEY_TASK_TRACK_STARTED", "CELERY", "CELERY_TASK_TRACK_STARTED"),  # a deletion
    ("CELERYY_TASK_ACKS_LATE", "CELERY", "CELERY_TASK_ACKS_LATE"),  # an insertion
    ("CELERT_BROKER_URL", "CELERY", "CELERY_BROKER_URL"),  # a substitution
    ("CELREY_BROKER_URL", "CELERY", "CELERY_BROKER_URL"),  # a swap
    ("CELERYTASK_TIME_LIMIT", "CELERY", "CELERY_TASK_TIME_LIMIT"),  # no "_"
    ("CELERYD_WORKER_CONCURRENCY", "CELERY", "CELERY_WORKER_CONCURRENCY"),
    ("CELEY_TASK_TRACK_STARTED", "CELERY_", "CELERY_TASK_TRACK_STARTED"),
    ("celey_broker_url", "celery", "celery_broker_url"),
    ("celeryx_broker_url", "Celery", "celery_broker_url"),  # Celery lower-cases it
    ("MYAP_BROKER_URL", "MYAPP", "MYAPP_BROKER_URL"),
    ("CELERYX_FOO", "CELERY", None),  # no setting follows
    ("CELRY_ACKS_LATE", "CELERY", None),  # an old name's words, no setting's
    ("CELY_BROKER_URL", "CELERY", None),  # two edits
    ("CELERY__BROKER_URL", "CELERY", None),
    ("CELERY_BROKER_URL", "CELERY", None),  # read
    ("CELERYD_TASK_TIME_LIMIT", "CELERY", None),  # an old name, read
    ("CELEY_BROKER_URL", "celery", None),  # not in the namespace's case
    ("celey_broker_url", "CELERY", None),
    ("CELEY_TASK_TRACK_STARTED", None, None),  # no namespace
    ("CELEY_TASK_TRACK_STARTED", "", None),
    ("CELRY_BROKER_URL", "CELRY", None),
    ("TASQ_BROKER_URL", "task", None),  # a short namespace
]


@pytest.mark.parametrize(("key", "namespace", "meant"), MISPREFIXED_TABLE)
def test_misprefixed(key: str, namespace: str | None, meant: str | None) -> None:
    found = catalog.misprefixed(key, namespace)
    assert (found.key if found else None) == meant


@pytest.mark.parametrize(
    ("key", "namespace", "meant"), [row for row in MISPREFIXED_TABLE if row[2] is not None]
)
def test_misprefixed_keys_are_ignored_and_the_keys_meant_read(
    key: str, namespace: str | None, meant: str
) -> None:
    ignored = make_app({key: Marker(key)}, namespace).conf
    assert not [name for name in celery_defaults.DEFAULTS if isinstance(ignored[name], Marker)]
    conf = make_app({meant: Marker(meant)}, namespace).conf
    read = [name for name in celery_defaults.DEFAULTS if isinstance(conf[name], Marker)]
    assert len(read) == 1, (key, meant)


# --- serializers ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(kombu_registry.name_to_type))
def test_serializer_aliases_agree_with_kombu(name: str) -> None:
    mime = kombu_registry.name_to_type[name]
    assert kombu_registry.type_to_name[mime] == name
    assert catalog.canonical_serializer(name) == name
    assert catalog.canonical_serializer(mime) == name
    assert catalog.canonical_serializer(name.upper()) == name
    assert catalog.canonical_serializer(mime.upper()) == name
    assert catalog.content_type(name) == mime
    assert catalog.content_type(mime) == mime
    # What a worker's accept_content turns the name into.
    assert prepare_accept_content([name]) == {catalog.content_type(name)}


def test_serializer_facts() -> None:
    assert catalog.canonical_serializer("application/x-python-serialize") == "pickle"
    assert catalog.content_type("pickle") == "application/x-python-serialize"
    assert catalog.content_type("json") == "application/json"
    assert set(catalog.serializer_names()) >= {"json", "pickle", "yaml", "msgpack"}
    assert catalog.canonical_serializer("application/data") is None
    assert catalog.canonical_serializer("toml") is None
    assert catalog.content_type("toml") is None


# --- no Celery at run time -------------------------------------------------------

_IMPORT_PROBE = """
import sys
import celerylint.catalog as catalog
catalog.classify_source_key("CELERY_TASK_TIME_LIMIT", "CELERY")
catalog.closest_settings("CELERY_TASK_TIME_LIMT", None)
catalog.mixing_error(["task_time_limit", "BROKER_URL"])
catalog.canonical_serializer("pickle")
loaded = sorted(
    name for name in sys.modules
    if name.split(".")[0] in ("celery", "kombu", "billiard", "vine", "amqp")
)
print(",".join(loaded))
"""


def test_catalog_does_not_import_celery() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


class _NewNames:
    broker_url = "memory://"


@pytest.mark.parametrize("namespace", [None, "CELERY"])
def test_app_conf_is_checked_for_a_mix_only_without_a_config_source(
    namespace: str | None,
) -> None:
    """The premise of CL901's two messages: old names on app.conf beside new ones stop
    the app, unless a `config_from_object` source is loaded; then Celery checks only the
    source, and converts app.conf's old names (open-humans)."""
    alone = Celery("alone", set_as_current=False)
    alone.conf.update({"BROKER_POOL_LIMIT": 5, "result_backend": "rpc://"})
    with pytest.raises(ImproperlyConfigured, match="Cannot mix new and old setting keys"):
        alone.conf.finalize()
    beside = Celery("beside", set_as_current=False)
    beside.conf.update({"BROKER_POOL_LIMIT": 5, "result_backend": "rpc://"})
    beside.config_from_object(_NewNames, namespace=namespace)
    beside.conf.finalize()
    assert beside.conf.broker_pool_limit == 5
    assert beside.conf.result_backend == "rpc://"
