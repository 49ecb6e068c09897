"""CL601's premise, on real Celery 5.7 and Django (in-memory SQLite, kombu's memory transport).

- `.delay()` inside `transaction.atomic()` publishes the message at once,
  before the commit, and a rollback does not take it back;
- `transaction.on_commit(lambda: task.delay(...))` and `task.delay_on_commit(...)`
  publish only after the commit, and nothing on rollback;
- `delay_on_commit` exists on Celery's `DjangoTask`, which the Django fix-up
  makes the app's default task class when `DJANGO_SETTINGS_MODULE` is set as
  the app is created and no task class is given (celery/fixups/django.py,
  `DjangoFixup.install`); a plain `Task` has no `delay_on_commit`.

Django's settings are process-wide, so the scenario runs in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.real_celery

SCENARIO = textwrap.dedent(
    """
    import json
    import os

    import django
    from django.conf import settings

    settings.configure(
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        INSTALLED_APPS=[],
    )
    django.setup()
    from django.db import transaction

    from celery import Celery

    plain = Celery("plain", broker="memory://", set_as_current=False)
    os.environ["DJANGO_SETTINGS_MODULE"] = "premise.settings"  # as manage.py / celery.py do
    app = Celery("premise", broker="memory://", set_as_current=False)
    custom = Celery("custom", broker="memory://", task_cls="celery.app.task:Task")


    @app.task
    def notify(pk):
        return pk


    def queued():
        with app.connection_for_write() as connection:
            return connection.default_channel._size("celery")


    seen = {"task_class": [c.__name__ for c in app.Task.__mro__]}
    seen["plain_has_delay_on_commit"] = hasattr(plain.Task, "delay_on_commit")
    seen["custom_has_delay_on_commit"] = hasattr(custom.Task, "delay_on_commit")

    with transaction.atomic():
        notify.delay(1)
        seen["delay_inside"] = queued()
    seen["delay_after"] = queued()

    with transaction.atomic():
        notify.delay_on_commit(2)
        transaction.on_commit(lambda: notify.delay(3))
        seen["on_commit_inside"] = queued()
    seen["on_commit_after"] = queued()

    try:
        with transaction.atomic():
            notify.delay(4)
            notify.delay_on_commit(5)
            transaction.on_commit(lambda: notify.delay(6))
            raise RuntimeError("rollback")
    except RuntimeError:
        pass
    seen["after_rollback"] = queued()
    print(json.dumps(seen))
    """
)


def test_delay_publishes_before_the_commit_and_on_commit_after_it() -> None:
    run = subprocess.run(
        [sys.executable, "-c", SCENARIO], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert "DjangoTask" in seen["task_class"]  # the fix-up's default task class
    assert not seen["plain_has_delay_on_commit"]  # no DJANGO_SETTINGS_MODULE: plain Task
    assert not seen["custom_has_delay_on_commit"]  # a task class given: kept
    assert seen["delay_inside"] == 1  # published before the commit
    assert seen["delay_after"] == 1
    assert seen["on_commit_inside"] == 1  # nothing more until the commit...
    assert seen["on_commit_after"] == 3  # ...then both callbacks publish
    assert seen["after_rollback"] == 4  # only the plain delay survived the rollback
