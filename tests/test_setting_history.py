"""Removed and made-up setting keys, against the installed Celery and its history.

The shipped table (``celerylint/_removed_settings_data.py``) comes from Celery's
release tags (``scripts/gen_removed_settings.py``). Here: no key it calls
removed is read by the installed Celery, the generator reads Celery's own
``defaults.py`` exactly as Celery flattens it, and the conservative test for
made-up keys is pinned by examples, from real projects where they exist.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from celery import Celery
from celery.app import defaults as celery_defaults

from celerylint import _catalog_data, _removed_settings_data, catalog, setting_history

pytestmark = pytest.mark.real_celery

REPO_ROOT = Path(__file__).resolve().parent.parent
GENERATOR = REPO_ROOT / "scripts" / "gen_removed_settings.py"
SHIPPED = REPO_ROOT / "celerylint" / "_removed_settings_data.py"
REMOVED = _removed_settings_data.REMOVED


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_removed_settings", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


class Marker:
    def __init__(self, key: str) -> None:
        self.key = key


def _read_by_celery(keys: list[str], namespace: str | None) -> dict[str, str]:
    """Which of `keys` a real app reads, as key -> setting."""
    app = Celery("history-test", set_as_current=False)
    app.config_from_object(type("Config", (), {k: Marker(k) for k in keys}), namespace=namespace)
    read = {}
    for setting in celery_defaults.DEFAULTS:
        value = app.conf[setting]
        if isinstance(value, Marker):
            read[value.key] = setting
    return read


def _namespaced(key: str) -> str:
    return key if key.isupper() else "CELERY_" + key.upper()


def test_table_is_for_the_installed_celery() -> None:
    assert _removed_settings_data.CELERY_VERSION == _catalog_data.CELERY_VERSION
    assert list(REMOVED) == sorted(REMOVED)


@pytest.mark.parametrize("namespace", [None, "CELERY"])
def test_no_removed_key_is_read_by_the_installed_celery(namespace: str | None) -> None:
    keys = sorted({*REMOVED, *(_namespaced(key) for key in REMOVED)})
    # Only where the prefix makes a removed old name a new one (CELERY_ENABLE_UTC
    # is `enable_utc` under namespace="CELERY"); the catalog says so, and the
    # rule then leaves it alone.
    namespaced = {
        key: setting
        for key in keys
        for kind, setting in [catalog.classify_source_key(key, namespace)]
        if kind != "ignored" and setting is not None
    }
    assert all(catalog.classify_source_key(k, namespace)[0] == "namespaced" for k in namespaced)
    assert _read_by_celery(keys, namespace) == namespaced


def test_removed_keys_are_neither_new_nor_old_names() -> None:
    known = set(celery_defaults.DEFAULTS) | set(celery_defaults._TO_NEW_KEY)
    assert not known & set(REMOVED)


def test_generator_reads_defaults_as_celery_flattens_them() -> None:
    # The 4.0+ layout, on the installed Celery: the same keys as its own tables.
    names = _generator().read_names(inspect.getsource(celery_defaults))
    assert names == set(celery_defaults.DEFAULTS) | set(celery_defaults._TO_NEW_KEY)


def test_generator_reads_the_celery_3_layout() -> None:
    source = """
_BROKER_OLD = {'deprecate_by': '2.5', 'remove_by': '4.0', 'alt': 'BROKER_URL'}
NAMESPACES = {
    'BROKER': {'URL': Option(None, type='string'), 'HOST': Option(**_BROKER_OLD)},
    'CELERY': {'SEND_TASK_ERROR_EMAILS': Option(False, type='bool')},
    'CELERYD': {'FORCE_EXECV': Option(False, type='bool')},
    'SERVER_EMAIL': Option('celery@localhost'),
}
"""
    assert _generator().read_names(source) == {
        "BROKER_URL",
        "BROKER_HOST",
        "CELERY_SEND_TASK_ERROR_EMAILS",
        "CELERYD_FORCE_EXECV",
        "SERVER_EMAIL",
    }


# Checked in Celery's changelogs and release tags.
KNOWN_REMOVALS = [
    ("CELERY_SEND_TASK_ERROR_EMAILS", "3.1.26", "4.0"),  # error e-mails dropped in 4.0
    ("CELERYD_FORCE_EXECV", "3.1.26", "4.0"),
    ("CELERY_ENABLE_UTC", "3.1.26", "4.0"),  # the old name is ENABLE_UTC since 4.0
    ("CELERY_RIAK_BACKEND_SETTINGS", "4.4.7", "5.0"),  # the Riak backend left in 5.0
    ("task_queue_ha_policy", "5.0.1", "5.1"),
]


@pytest.mark.parametrize(("key", "last", "removed_in"), KNOWN_REMOVALS)
def test_known_removals(key: str, last: str, removed_in: str) -> None:
    assert REMOVED[key] == (last, removed_in)


@pytest.mark.skipif(
    not os.environ.get("CELERYLINT_CELERY_GIT"),
    reason="set CELERYLINT_CELERY_GIT to a Celery clone's git directory to regenerate",
)
def test_shipped_table_matches_celerys_history(tmp_path: Path) -> None:
    fresh = tmp_path / "_removed_settings_data.py"
    result = subprocess.run(
        [
            sys.executable,
            str(GENERATOR),
            "--celery-git",
            os.environ["CELERYLINT_CELERY_GIT"],
            "--output",
            str(fresh),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert fresh.read_text(encoding="utf-8") == SHIPPED.read_text(encoding="utf-8")


# -- made-up keys -------------------------------------------------------------------

# Keys no Celery version read that are built from a setting's words (the first
# three from real projects: readthedocs, superdesk, and Celery's own notes).
MADE_UP = {
    "CELERY_TASK_SEND_ERROR_EMAILS": "CELERY_SEND_TASK_ERROR_EMAILS",
    "CELERY_WORKER_TASK_SOFT_TIME_LIMIT": "task_soft_time_limit",
    "CELERY_TASK_DEFAULT_EXPIRES": "result_expires",
    "CELERY_SOFT_TASK_TIME_LIMIT": "task_soft_time_limit",
    "CELERY_BROKER_CONNECTION_URL": "broker_url",
    "CELERY_TASK_DEFAULT_SERIALIZER": "task_serializer",
}

# A project's own CELERY_ keys (from real projects: kitsune, taiga, saleor,
# readthedocs, celery's own tests) and Celery's keys that are not made up.
NOT_MADE_UP = [
    "CELERY_BEAT_NAME_BY_TASK",
    "CELERY_ENABLED",
    "CELERY_RESTRICT_WRITER_METHOD",
    "CELERY_APP_NAME",
    "CELERY_LOGGER_NAME",
    "CELERY_RETRY_MAX",
    "CELERY_RETRY_BACKOFF",
    "CELERY_QUEUE_NAME",
    "CELERY_FLOWER_URL",
    "CELERY_TASK_QUEUE",
    "CELERY_USER",
    "CELERY_DATABASE",
    "CELERY_TASK_TIME_LIMIT",  # a real setting under the namespace
    "CELERY_SEND_TASK_ERROR_EMAILS",  # removed, not made up
    "TASK_WORKER_CONCURRENCY",  # no CELERY_ mark
]


@pytest.mark.parametrize(("key", "like"), sorted(MADE_UP.items()))
def test_made_up_keys(key: str, like: str) -> None:
    found = setting_history.made_up(key, "CELERY")
    assert found is not None
    assert found.like == like
    assert key not in REMOVED
    assert _read_by_celery([key], "CELERY") == {}
    assert _read_by_celery([key], None) == {}


@pytest.mark.parametrize("key", NOT_MADE_UP)
def test_not_made_up(key: str) -> None:
    assert setting_history.made_up(key, "CELERY") is None
    assert setting_history.made_up(key, None) is None


def test_removed_as_written_or_under_the_namespace() -> None:
    found = setting_history.removed("CELERY_TASK_QUEUE_HA_POLICY", "CELERY")
    assert found is not None
    assert (found.name, found.removed_in) == ("task_queue_ha_policy", "5.1")
    assert setting_history.removed("CELERYD_FORCE_EXECV", "CELERY") is not None
    assert setting_history.removed("CELERY_TASK_TIME_LIMIT", "CELERY") is None
    assert setting_history.removed("EMAIL_HOST", None) is not None  # the caller filters keys
