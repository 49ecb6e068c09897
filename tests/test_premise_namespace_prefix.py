"""CL903's premise for misspelt namespace prefixes, on real Celery 5.7 and Django.

With `config_from_object("django.conf:settings", namespace="CELERY")`, a key
whose prefix is not exactly `CELERY_` is never read, however close it is
(open-discussions' `CELEY_TASK_TRACK_STARTED`): the setting keeps its default.
The key meant, `CELERY_TASK_TRACK_STARTED`, is read.

Django's settings are process-wide, so the scenario runs in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from celerylint import catalog

pytestmark = pytest.mark.real_celery

# Keys celerylint reports as misprefixed, each set to a value unlike its default.
MISPREFIXED = {
    "CELEY_TASK_TRACK_STARTED": True,
    "CELRY_TASK_ACKS_LATE": True,
    "CELERYTASK_TIME_LIMIT": 300,
    "CELREY_WORKER_PREFETCH_MULTIPLIER": 8,
}

SCENARIO = textwrap.dedent(
    """
    import json
    import sys

    from django.conf import settings

    keys = json.loads(sys.argv[1])
    settings.configure(INSTALLED_APPS=[], **keys)

    from celery import Celery

    app = Celery("premise", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    names = json.loads(sys.argv[2])
    print(json.dumps({name: app.conf[name] for name in names}))
    """
)


def _read(keys: dict[str, object], names: list[str]) -> dict[str, object]:
    """What an app reading Django settings holding `keys` under namespace='CELERY'
    gets for each setting of `names`."""
    run = subprocess.run(
        [sys.executable, "-c", SCENARIO, json.dumps(keys), json.dumps(names)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    read: dict[str, object] = json.loads(run.stdout.strip().splitlines()[-1])
    return read


def test_a_misspelt_prefix_is_ignored_and_the_key_meant_is_read() -> None:
    meant: dict[str, str] = {}
    for key in MISPREFIXED:
        found = catalog.misprefixed(key, "CELERY")
        assert found is not None, key
        setting = catalog.classify_source_key(found.key, "CELERY")[1]
        assert setting is not None, key
        meant[key] = setting
    names = list(meant.values())
    defaults = {name: catalog.default(name) for name in names}
    assert _read(MISPREFIXED, names) == defaults
    spelled = {catalog.lookup_keys(meant[key], "CELERY")[0]: v for key, v in MISPREFIXED.items()}
    assert _read(spelled, names) == {meant[key]: v for key, v in MISPREFIXED.items()}
