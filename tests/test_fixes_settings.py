"""Fixes of the settings-hygiene rules (CL901, CL902, CL903), text for text.

Each case writes a small project, runs `celerylint check --fix --unsafe-fixes
--select ...` through the CLI, compares every file with its exact expected
text, and runs the fix a second time to show it changes nothing more. The
premise tests at the end import the projects, before and after the fix, with
real Celery (in a subprocess, through tests/celery_probe.py): a mixed
configuration really refuses to start, and the fixed one starts with the
same values.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import pytest

from celerylint.cli import main
from tests.probing import PROBE, PROBE_TIMEOUT, probe_environment

ALL = "CL901,CL902,CL903"

CELERY_APP = """\
from celery import Celery

app = Celery("proj")
app.config_from_object("proj.celeryconfig")
"""

DJANGO_APP = """\
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")

app = Celery("proj")
app.config_from_object("django.conf:settings", namespace="CELERY")
"""

DJANGO_APP_NO_NAMESPACE = DJANGO_APP.replace(', namespace="CELERY"', "")


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def read_all(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*.py"))
    }


def run(argv: list[str]) -> int:
    try:
        return int(main(argv) or 0)
    except SystemExit as exc:  # a main() that exits instead of returning
        return int(exc.code or 0)


def fix(root: Path, select: str) -> dict[str, str]:
    """Fix the project twice; the second run must change nothing."""
    argv = ["check", "--no-cache", "--fix", "--unsafe-fixes", "--select", select, str(root)]
    run(argv)
    once = read_all(root)
    run(argv)
    assert read_all(root) == once, "the fix is not idempotent"
    return once


def findings(root: Path, select: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    run(["check", "--no-cache", "--output-format", "json", "--select", select, str(root)])
    out = capsys.readouterr().out
    return json.loads(out) if out.strip() else []


def check_fix(
    tmp_path: Path, select: str, before: dict[str, str], after: dict[str, str]
) -> dict[str, str]:
    """Write `before`, fix it, and require `after` for the files it names (others unchanged)."""
    root = tmp_path / "project"
    write(root, before)
    result = fix(root, select)
    expected = {**before, **after}
    assert result == expected
    return result


# --------------------------------------------------------------------------- CL901


def test_plain_module_renames_every_old_name_but_not_comments_or_strings(
    tmp_path: Path,
) -> None:
    before = {
        "proj/__init__.py": "",
        "proj/celery.py": CELERY_APP,
        "proj/celeryconfig.py": '''\
"""Celery 3 settings: BROKER_URL, CELERY_RESULT_BACKEND."""

# BROKER_URL points at the shared Redis.
BROKER_URL = "redis://localhost:6379/0"
CELERY_RESULT_BACKEND = BROKER_URL + "1"  # same Redis as BROKER_URL
CELERYD_PREFETCH_MULTIPLIER = 1
CELERY_ROUTES = {"proj.tasks.CELERY_ROUTES": {"queue": "BROKER_URL"}}
''',
    }
    after = {
        "proj/celeryconfig.py": '''\
"""Celery 3 settings: BROKER_URL, CELERY_RESULT_BACKEND."""

# BROKER_URL points at the shared Redis.
broker_url = "redis://localhost:6379/0"
result_backend = broker_url + "1"  # same Redis as BROKER_URL
worker_prefetch_multiplier = 1
task_routes = {"proj.tasks.CELERY_ROUTES": {"queue": "BROKER_URL"}}
''',
    }
    check_fix(tmp_path, "CL901", before, after)


def test_app_conf_update_keyword_and_dict_forms(tmp_path: Path) -> None:
    before = {
        "proj/__init__.py": "",
        "proj/celery.py": """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0", backend="redis://localhost:6379/1")
app.conf.update(CELERY_TASK_SERIALIZER="json", CELERY_ACCEPT_CONTENT=["json"])
app.conf.update({"CELERY_TASK_RESULT_EXPIRES": 3600, 'CELERYD_CONCURRENCY': 2})
app.conf.CELERYD_CONCURRENCY = 4
app.conf["CELERY_IGNORE_RESULT"] = True
""",
    }
    after = {
        "proj/celery.py": """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0", backend="redis://localhost:6379/1")
app.conf.update(task_serializer="json", accept_content=["json"])
app.conf.update({"result_expires": 3600, 'worker_concurrency': 2})
app.conf.worker_concurrency = 4
app.conf["task_ignore_result"] = True
""",
    }
    check_fix(tmp_path, "CL901", before, after)


def test_star_imported_settings_rename_every_binding(tmp_path: Path) -> None:
    before = {
        "proj/__init__.py": "",
        "proj/celery.py": CELERY_APP.replace("proj.celeryconfig", "proj.conf.production"),
        "proj/conf/__init__.py": "",
        "proj/conf/base.py": """\
BROKER_URL = "redis://localhost:6379/0"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = [CELERY_TASK_SERIALIZER]
""",
        "proj/conf/production.py": """\
from .base import *  # noqa: F403 -- BROKER_URL comes from base

BROKER_URL = "redis://redis.internal:6379/0"
CELERYD_TASK_TIME_LIMIT = 300
""",
    }
    after = {
        "proj/conf/base.py": """\
broker_url = "redis://localhost:6379/0"
task_serializer = "json"
accept_content = [task_serializer]
""",
        "proj/conf/production.py": """\
from .base import *  # noqa: F403 -- BROKER_URL comes from base

broker_url = "redis://redis.internal:6379/0"
task_time_limit = 300
""",
    }
    check_fix(tmp_path, "CL901", before, after)


def test_django_namespaced_renames_each_old_name_to_its_namespaced_spelling(
    tmp_path: Path,
) -> None:
    before = {
        "proj/__init__.py": "",
        "proj/celery.py": DJANGO_APP,
        "proj/settings.py": """\
S3_BUCKET = "media"
BROKER_URL = "redis://localhost:6379/0"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = "redis://localhost:6379/1"
CELERY_QUEUE_NAME = "reports"
CELERY_DEFAULT_QUEUE = CELERY_QUEUE_NAME
CELERYD_CONCURRENCY = 4
""",
    }
    after = {
        "proj/settings.py": """\
S3_BUCKET = "media"
CELERY_BROKER_URL = "redis://localhost:6379/0"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = "redis://localhost:6379/1"
CELERY_QUEUE_NAME = "reports"
CELERY_TASK_DEFAULT_QUEUE = CELERY_QUEUE_NAME
CELERY_WORKER_CONCURRENCY = 4
""",
    }
    check_fix(tmp_path, "CL901", before, after)


def test_django_without_namespace_is_reported_but_not_renamed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": DJANGO_APP_NO_NAMESPACE,
        "proj/settings.py": 'BROKER_URL = "redis://localhost:6379/0"\nS3_BUCKET = "media"\n',
    }
    result = check_fix(tmp_path, "CL901", files, {})
    assert result["proj/settings.py"] == files["proj/settings.py"]
    found = findings(tmp_path / "project", "CL901", capsys)
    assert [(d["location"]["row"], d["fix"]) for d in found] == [(1, None)]
    assert "namespace='CELERY'" in found[0]["message"]


def test_old_name_imported_by_other_code_is_not_renamed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": CELERY_APP,
        "proj/celeryconfig.py": 'BROKER_URL = "redis://localhost:6379/0"\n',
        "proj/health.py": "from proj.celeryconfig import BROKER_URL\n\nHOST = BROKER_URL\n",
    }
    check_fix(tmp_path, ALL, files, {})
    found = findings(tmp_path / "project", "CL901", capsys)
    assert len(found) == 1 and found[0]["fix"] is None


def test_old_name_read_as_module_attribute_is_not_renamed(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": CELERY_APP,
        "proj/celeryconfig.py": 'BROKER_URL = "redis://localhost:6379/0"\nCELERY_IMPORTS = ()\n',
        "proj/health.py": "from proj import celeryconfig\n\nHOST = celeryconfig.BROKER_URL\n",
    }
    check_fix(tmp_path, ALL, files, {})


def test_longer_names_and_strings_elsewhere_do_not_block_the_rename(tmp_path: Path) -> None:
    before = {
        "proj/__init__.py": "",
        "proj/celery.py": """\
import os

from celery import Celery

app = Celery("proj", broker=os.environ.get("CELERY_BROKER_URL"))
app.config_from_object("proj.celeryconfig")
""",
        "proj/celeryconfig.py": 'BROKER_URL = "redis://localhost:6379/0"\n',
        "proj/health.py": 'ENV_NAME = "BROKER_URL"\n',
    }
    after = {"proj/celeryconfig.py": 'broker_url = "redis://localhost:6379/0"\n'}
    check_fix(tmp_path, "CL901", before, after)


def test_attribute_read_inside_a_function_blocks_the_rename(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": CELERY_APP,
        "proj/celeryconfig.py": 'BROKER_URL = "redis://localhost:6379/0"\n',
        "proj/health.py": """\
def broker_host():
    from proj import celeryconfig

    return celeryconfig.BROKER_URL.split("@")[-1]
""",
    }
    check_fix(tmp_path, "CL901", files, {})


def test_augmented_assignment_blocks_the_rename(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": CELERY_APP,
        "proj/celeryconfig.py": """\
BROKER_URL = "redis://localhost:6379/0"
CELERY_IMPORTS = ("proj.tasks",)
CELERY_IMPORTS += ("proj.reports",)
""",
    }
    check_fix(tmp_path, "CL901", files, {})


def test_shadowed_old_name_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {
        "proj/__init__.py": "",
        "proj/celery.py": CELERY_APP,
        "proj/celeryconfig.py": """\
broker_url = "redis://localhost:6379/0"
BROKER_URL = "redis://old:6379/0"
CELERY_RESULT_BACKEND = "redis://localhost:6379/1"
""",
    }
    after = {
        "proj/celeryconfig.py": """\
broker_url = "redis://localhost:6379/0"
BROKER_URL = "redis://old:6379/0"
result_backend = "redis://localhost:6379/1"
""",
    }
    check_fix(tmp_path, "CL901", before, after)
    found = findings(tmp_path / "project", "CL901", capsys)
    assert [d["location"]["row"] for d in found] == [2]
    assert "never reads" in found[0]["message"] and found[0]["fix"] is None


def test_config_module_shared_by_two_apps_is_reported_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": CELERY_APP
        + '\nother = Celery("other")\nother.config_from_object("proj.celeryconfig")\n',
        "proj/celeryconfig.py": 'BROKER_URL = "redis://localhost:6379/0"\n',
    }
    write(tmp_path / "project", files)
    found = findings(tmp_path / "project", "CL901", capsys)
    assert len(found) == 1


# --------------------------------------------------------------------------- CL902


def test_mixed_module_is_moved_to_new_names(tmp_path: Path) -> None:
    before = {
        "proj/__init__.py": "",
        "proj/celery.py": CELERY_APP,
        "proj/celeryconfig.py": """\
BROKER_URL = "redis://localhost:6379/0"
CELERY_RESULT_BACKEND = "redis://localhost:6379/1"
task_time_limit = 300  # added from the current docs
""",
    }
    after = {
        "proj/celeryconfig.py": """\
broker_url = "redis://localhost:6379/0"
result_backend = "redis://localhost:6379/1"
task_time_limit = 300  # added from the current docs
""",
    }
    check_fix(tmp_path, "CL902", before, after)


def test_mixed_app_conf_without_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {
        "proj/__init__.py": "",
        "proj/celery.py": """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
app.conf.update(
    task_serializer="json",
    CELERY_ACCEPT_CONTENT=["json"],
)
app.conf.update({"result_expires": 60, "CELERY_ACKS_LATE": True})
""",
    }
    root = tmp_path / "project"
    write(root, before)
    found = findings(root, "CL902", capsys)
    assert sorted(d["location"]["row"] for d in found) == [6, 8]
    assert all("worker does not start" in d["message"] for d in found)
    after = {
        "proj/celery.py": """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
)
app.conf.update({"result_expires": 60, "task_acks_late": True})
""",
    }
    assert fix(root, "CL902") == {**before, **after}


DICT_APP = """\
from celery import Celery

app = Celery("proj")
app.config_from_object({
    "BROKER_URL": "redis://localhost:6379/0",
    'CELERY_ACKS_LATE': True,
    "task_serializer": "json",
    "result_expires": 60,
})
"""


def test_dict_config_renames_its_string_keys(tmp_path: Path) -> None:
    before = {"proj/__init__.py": "", "proj/celery.py": DICT_APP}
    after = {
        "proj/celery.py": DICT_APP.replace('"BROKER_URL"', '"broker_url"').replace(
            "'CELERY_ACKS_LATE'", "'task_acks_late'"
        )
    }
    check_fix(tmp_path, "CL902", before, after)


@pytest.mark.parametrize(
    "celery_py",
    [
        # A named dict: other code may read CONFIG["BROKER_URL"].
        """\
from celery import Celery

CONFIG = {"BROKER_URL": "redis://localhost:6379/0", "task_serializer": "json"}
app = Celery("proj")
app.config_from_object(CONFIG)
""",
        # The old key written twice: renaming the one Python keeps would leave a mix.
        """\
from celery import Celery

app = Celery("proj")
app.config_from_object(
    {"BROKER_URL": "redis://a", "BROKER_URL": "redis://b", "task_serializer": "json"}
)
""",
    ],
)
def test_dict_config_not_written_once_in_the_call_is_not_renamed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], celery_py: str
) -> None:
    files = {"proj/__init__.py": "", "proj/celery.py": celery_py}
    check_fix(tmp_path, ALL, files, {})
    found = findings(tmp_path / "project", ALL, capsys)
    assert sorted(d["code"] for d in found) == ["CL901", "CL902"]
    assert all(d["fix"] is None for d in found)


def test_class_config_renames_base_class_attributes(tmp_path: Path) -> None:
    before = {
        "proj/__init__.py": "",
        "proj/celery.py": """\
from celery import Celery

from proj.config import Config

app = Celery("proj")
app.config_from_object(Config)
""",
        "proj/config.py": """\
class Base:
    BROKER_URL = "redis://localhost:6379/0"
    CELERY_ALWAYS_EAGER = False


class Config(Base):
    BROKER_URL = "redis://redis.internal:6379/0"
    task_serializer = "json"
""",
    }
    after = {
        "proj/config.py": """\
class Base:
    broker_url = "redis://localhost:6379/0"
    task_always_eager = False


class Config(Base):
    broker_url = "redis://redis.internal:6379/0"
    task_serializer = "json"
""",
    }
    check_fix(tmp_path, "CL902", before, after)


# --------------------------------------------------------------------------- CL903


def test_unknown_keys_in_new_style_module(tmp_path: Path) -> None:
    before = {
        "proj/__init__.py": "",
        "proj/celery.py": CELERY_APP,
        "proj/celeryconfig.py": """\
from kombu import Queue

broker_url = "redis://localhost:6379/0"
task_serialiser = "json"  # task_serialiser was a typo
CELERY_TASK_TIME_LIMIT = 300
task_queues = [Queue("task_serialiser")]
""",
    }
    after = {
        "proj/celeryconfig.py": """\
from kombu import Queue

broker_url = "redis://localhost:6379/0"
task_serializer = "json"  # task_serialiser was a typo
task_time_limit = 300
task_queues = [Queue("task_serialiser")]
""",
    }
    check_fix(tmp_path, "CL903", before, after)


def test_unknown_key_in_old_style_module_keeps_the_old_style(tmp_path: Path) -> None:
    before = {
        "proj/__init__.py": "",
        "proj/celery.py": CELERY_APP,
        "proj/celeryconfig.py": """\
BROKER_URL = "redis://localhost:6379/0"
CELERY_TASK_TIME_LIMIT = 300
""",
    }
    after = {
        "proj/celeryconfig.py": """\
BROKER_URL = "redis://localhost:6379/0"
CELERYD_TASK_TIME_LIMIT = 300
""",
    }
    check_fix(tmp_path, "CL903", before, after)


def test_unknown_and_old_names_fixed_together_end_consistent(tmp_path: Path) -> None:
    before = {
        "proj/__init__.py": "",
        "proj/celery.py": CELERY_APP,
        "proj/celeryconfig.py": """\
BROKER_URL = "redis://localhost:6379/0"
CELERY_TASK_TIME_LIMIT = 300
""",
    }
    after = {
        "proj/celeryconfig.py": """\
broker_url = "redis://localhost:6379/0"
task_time_limit = 300
""",
    }
    check_fix(tmp_path, ALL, before, after)


def test_django_namespaced_unknown_keys(tmp_path: Path) -> None:
    before = {
        "proj/__init__.py": "",
        "proj/celery.py": DJANGO_APP,
        "proj/settings.py": """\
CELERY_BROKER_URL = "redis://localhost:6379/0"
CELERY_QUEUE_NAME = "reports"
CELERY_FLOWER_URL = "http://flower:5555"
CELERY_WORKER_TASK_SOFT_TIME_LIMIT = 240
celery_result_backend = "redis://localhost:6379/1"
""",
    }
    after = {
        "proj/settings.py": """\
CELERY_BROKER_URL = "redis://localhost:6379/0"
CELERY_QUEUE_NAME = "reports"
CELERY_FLOWER_URL = "http://flower:5555"
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_RESULT_BACKEND = "redis://localhost:6379/1"
""",
    }
    check_fix(tmp_path, "CL903", before, after)


def test_unknown_key_of_a_setting_already_set_is_not_renamed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": CELERY_APP,
        "proj/celeryconfig.py": "task_time_limit = 600\nCELERY_TASK_TIME_LIMIT = 300\n",
    }
    check_fix(tmp_path, "CL903", files, {})
    found = findings(tmp_path / "project", "CL903", capsys)
    assert len(found) == 1 and found[0]["fix"] is None
    assert "`task_time_limit`" in found[0]["message"]


def test_app_conf_unknown_keys(tmp_path: Path) -> None:
    before = {
        "proj/__init__.py": "",
        "proj/celery.py": """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
app.conf.update(task_serialiser="json")
app.conf.update({"result_expire": 60})
""",
    }
    after = {
        "proj/celery.py": """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
app.conf.update(task_serializer="json")
app.conf.update({"result_expires": 60})
""",
    }
    check_fix(tmp_path, "CL903", before, after)


def test_helpers_and_project_keys_are_not_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": DJANGO_APP,
        "proj/settings.py": """\
from django.utils import timezone

celery_broker = "redis://localhost:6379"
CELERY_BROKER_URL = celery_broker + "/0"
CELERY_TASK_QUEUE = "exports"
CELERY_QUEUE_NAME = "reports"
""",
        "proj/tasks.py": """\
from django.conf import settings

from proj.celery import app


@app.task(queue=settings.CELERY_TASK_QUEUE, time_limit=60)
def export(report_id):
    return report_id
""",
    }
    write(tmp_path / "project", files)
    assert findings(tmp_path / "project", ALL, capsys) == []


# --------------------------------------------------------------------------- premises


def probe(root: Path, app: str = "proj.celery:app", env: Optional[dict[str, str]] = None) -> Any:
    """Import the project with real Celery; (returncode, settings or stderr)."""
    (root / "probe.json").write_text(
        json.dumps({"apps": [app], "import": [], "env": env or {}}), encoding="utf-8"
    )
    proc = subprocess.run(
        [sys.executable, str(PROBE), "--app", app, str(root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=PROBE_TIMEOUT,
        env=probe_environment(),
    )
    (root / "probe.json").unlink()
    if proc.returncode != 0:
        return proc.returncode, proc.stderr
    return 0, json.loads(proc.stdout)["settings"]


MIXED_MODULE = {
    "proj/__init__.py": "",
    "proj/celery.py": CELERY_APP,
    "proj/celeryconfig.py": """\
broker_url = "redis://localhost:6379/0"
result_backend = "redis://localhost:6379/1"
task_serializer = "json"
CELERYD_PREFETCH_MULTIPLIER = 1
CELERY_DEFAULT_QUEUE = "reports"
CELERY_TASK_TIME_LIMIT = 300
""",
}


@pytest.mark.real_celery
def test_premise_mixed_module_does_not_start_and_fixed_one_does(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(root, MIXED_MODULE)
    code, stderr = probe(root)
    assert code != 0
    assert "ImproperlyConfigured" in stderr and "Cannot mix new and old setting keys" in stderr

    fixed = fix(root, ALL)
    assert (
        fixed["proj/celeryconfig.py"]
        == """\
broker_url = "redis://localhost:6379/0"
result_backend = "redis://localhost:6379/1"
task_serializer = "json"
worker_prefetch_multiplier = 1
task_default_queue = "reports"
task_time_limit = 300
"""
    )
    code, settings = probe(root)
    assert code == 0, settings
    assert settings["worker_prefetch_multiplier"] == 1
    assert settings["task_default_queue"] == "reports"
    assert settings["task_time_limit"] == 300  # was silently ignored before


@pytest.mark.real_celery
def test_premise_ignored_key_takes_effect_once_renamed(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(
        root,
        {
            "proj/__init__.py": "",
            "proj/celery.py": CELERY_APP,
            "proj/celeryconfig.py": 'BROKER_URL = "redis://localhost:6379/0"\n'
            "CELERY_TASK_TIME_LIMIT = 300\n",
        },
    )
    code, before = probe(root)
    assert code == 0, before
    assert before["task_time_limit"] is None  # Celery ignores the Django-style name here
    fix(root, "CL903")
    code, after = probe(root)
    assert code == 0, after
    assert after["task_time_limit"] == 300
    assert after["broker_url"] == before["broker_url"] == "redis://localhost:6379/0"


@pytest.mark.real_celery
def test_premise_mixed_app_conf_does_not_start_and_fixed_one_does(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(
        root,
        {
            "proj/__init__.py": "",
            "proj/celery.py": """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
app.conf.update(task_serializer="json", CELERY_ACCEPT_CONTENT=["json"])
app.conf.update({"result_expires": 60, "CELERY_ACKS_LATE": True})
app.conf.CELERY_ACKS_LATE = True
""",
        },
    )
    code, stderr = probe(root)
    assert code != 0 and "Cannot mix new and old setting keys" in stderr
    fix(root, "CL902")
    code, settings = probe(root)
    assert code == 0, settings
    assert settings["accept_content"] == ["json"]
    assert settings["task_acks_late"] is True
    assert settings["result_expires"] == 60


@pytest.mark.real_celery
def test_premise_mixed_dict_config_does_not_start_and_fixed_one_does(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(root, {"proj/__init__.py": "", "proj/celery.py": DICT_APP})
    code, stderr = probe(root)
    assert code != 0 and "Cannot mix new and old setting keys" in stderr
    fix(root, "CL902")
    code, settings = probe(root)
    assert code == 0, settings
    assert settings["broker_url"] == "redis://localhost:6379/0"
    assert settings["task_acks_late"] is True
    assert settings["result_expires"] == 60


@pytest.mark.real_celery
def test_premise_django_namespaced_renames_keep_values(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(
        root,
        {
            "proj/__init__.py": "",
            "proj/celery.py": DJANGO_APP,
            "proj/settings.py": """\
SECRET_KEY = "not-a-secret"
CELERY_QUEUE_NAME = "reports"
BROKER_URL = "redis://localhost:6379/0"
CELERY_DEFAULT_QUEUE = CELERY_QUEUE_NAME
CELERY_WORKER_TASK_SOFT_TIME_LIMIT = 240
""",
        },
    )
    env = {"DJANGO_SETTINGS_MODULE": "proj.settings"}
    code, before = probe(root, env=env)
    assert code == 0, before
    assert before["broker_url"] == "redis://localhost:6379/0"  # old name, still read
    assert before["task_default_queue"] == "reports"
    assert before["task_soft_time_limit"] is None  # not a setting: dropped
    assert (
        fix(root, ALL)["proj/settings.py"]
        == """\
SECRET_KEY = "not-a-secret"
CELERY_QUEUE_NAME = "reports"
CELERY_BROKER_URL = "redis://localhost:6379/0"
CELERY_TASK_DEFAULT_QUEUE = CELERY_QUEUE_NAME
CELERY_TASK_SOFT_TIME_LIMIT = 240
"""
    )
    code, after = probe(root, env=env)
    assert code == 0, after
    assert after["broker_url"] == before["broker_url"]
    assert after["task_default_queue"] == "reports"
    assert after["task_soft_time_limit"] == 240
