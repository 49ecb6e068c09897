"""Fixes of the call-site and task-definition rules (CL801-CL804), case by case.

Each test writes a small project (a Celery app module and the code under
test), runs `celerylint check --fix --unsafe-fixes --select CODE` on it, and
compares the file with the exact expected text. Every case runs the fix twice:
the second run must change nothing (idempotence).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, Optional

import pytest

from celerylint.cli import main

APP = """\
from celery import Celery

app = Celery("proj", broker="redis://")
app.conf.task_time_limit = 60
"""

TASKS = """\
from celery import shared_task as job

from proj.celery import app


@app.task
def add(x, y):
    return x + y


@app.task
def ping():
    return "pong"


@job
def send(to, *, subject, queue=None):
    return to, subject, queue


@app.task(bind=True)
def fetch(self, url, timeout=10):
    return url
"""


def _dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def run_fix(tmp_path: Path, code: str, files: dict[str, str], target: str) -> tuple[str, int]:
    """Fix the project twice; returns the target file after the first run and the last exit code."""
    root = tmp_path / "project"
    written = {"proj/__init__.py": "", "proj/celery.py": APP, **files}
    for rel, text in written.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dedent(text) if text else "", encoding="utf-8")
    argv = ["check", "--no-cache", "--fix", "--unsafe-fixes", "--select", code, str(root)]
    main(argv)
    snapshot = {rel: (root / rel).read_text(encoding="utf-8") for rel in written}
    second = main(argv)
    again = {rel: (root / rel).read_text(encoding="utf-8") for rel in written}
    assert again == snapshot, "the fix is not idempotent"
    return snapshot[target], second


def assert_fix(
    tmp_path: Path,
    code: str,
    before: str,
    after: str,
    tasks: Optional[str] = TASKS,
    remaining: int = 0,
    app: str = APP,
) -> None:
    """`before` is proj/views.py (or proj/tasks.py when tasks is None)."""
    if tasks is None:
        files, target = {"proj/tasks.py": before}, "proj/tasks.py"
    else:
        files, target = {"proj/tasks.py": tasks, "proj/views.py": before}, "proj/views.py"
    files["proj/celery.py"] = app
    fixed, exit_code = run_fix(tmp_path, code, files, target)
    assert fixed == _dedent(after)
    assert exit_code == (1 if remaining else 0)


# --------------------------------------------------------------------------- CL801


def test_delay_positional_arguments(tmp_path: Path) -> None:
    before = """
        from proj.tasks import add, ping


        def schedule():
            add.delay(1, 2, countdown=10)
            add.delay(1, y=2, countdown=10, queue="slow")
            ping.delay(expires=30)
    """
    after = """
        from proj.tasks import add, ping


        def schedule():
            add.apply_async((1, 2), countdown=10)
            add.apply_async((1,), {"y": 2}, countdown=10, queue="slow")
            ping.apply_async((), expires=30)
    """
    assert_fix(tmp_path, "CL801", before, after)


def test_delay_keyword_only_argument_and_accepted_keyword(tmp_path: Path) -> None:
    # `queue` is a parameter of `send`: it stays a task argument; `priority` moves.
    before = """
        from proj.tasks import send


        def notify(user):
            send.delay(user.email, subject="Hi", queue="mail", priority=3)
    """
    after = """
        from proj.tasks import send


        def notify(user):
            send.apply_async((user.email,), {"subject": "Hi", "queue": "mail"}, priority=3)
    """
    assert_fix(tmp_path, "CL801", before, after)


def test_delay_multi_line_with_trailing_comma(tmp_path: Path) -> None:
    before = """
        from proj.tasks import add


        def schedule(a, b):
            add.delay(
                a,
                b,
                countdown=10,
            )
    """
    after = """
        from proj.tasks import add


        def schedule(a, b):
            add.apply_async(
                (a, b),
                countdown=10,
            )
    """
    assert_fix(tmp_path, "CL801", before, after)


def test_delay_multi_line_without_trailing_comma(tmp_path: Path) -> None:
    before = """
        from proj.tasks import add


        def schedule(a, b):
            add.delay(a,
                      y=b,
                      eta=None)
    """
    after = """
        from proj.tasks import add


        def schedule(a, b):
            add.apply_async((a,), {"y": b}, eta=None)
    """
    assert_fix(tmp_path, "CL801", before, after)


def test_delay_comment_among_arguments_is_kept(tmp_path: Path) -> None:
    before = """
        from proj.tasks import add


        def schedule(a, b):
            add.delay(
                a,  # the first
                y=b,
                countdown=10,  # ten seconds
            )
    """
    after = """
        from proj.tasks import add


        def schedule(a, b):
            add.apply_async(
                (a,),  # the first
                {"y": b},
                countdown=10,  # ten seconds
            )
    """
    assert_fix(tmp_path, "CL801", before, after)


def test_delay_comment_on_the_opening_line(tmp_path: Path) -> None:
    before = """
        from proj.tasks import add


        def schedule(a, b):
            add.delay(  # fire and forget
                a,
                b,
                countdown=10,
            )
    """
    after = """
        from proj.tasks import add


        def schedule(a, b):
            add.apply_async(  # fire and forget
                (a, b),
                countdown=10,
            )
    """
    assert_fix(tmp_path, "CL801", before, after)


def test_delay_comment_and_options_before_arguments_gets_no_fix(tmp_path: Path) -> None:
    before = """
        from proj.tasks import add


        def schedule(a, b):
            add.delay(
                a, countdown=10,  # too clever
                y=b,
            )
    """
    assert_fix(tmp_path, "CL801", before, before, remaining=1)


def test_delay_star_arguments(tmp_path: Path) -> None:
    before = """
        from proj.tasks import add


        def schedule(args, kwargs, rest):
            add.delay(*args, countdown=5)
            add.delay(*args, **kwargs, countdown=5)
            add.delay(**kwargs, queue="q")
            add.delay(1, *rest, y=2, **kwargs, countdown=5)
    """
    after = """
        from proj.tasks import add


        def schedule(args, kwargs, rest):
            add.apply_async(args, countdown=5)
            add.apply_async(args, kwargs, countdown=5)
            add.apply_async((), kwargs, queue="q")
            add.apply_async((1, *rest), {"y": 2, **kwargs}, countdown=5)
    """
    assert_fix(tmp_path, "CL801", before, after)


def test_delay_keeps_argument_source_text(tmp_path: Path) -> None:
    before = """
        from proj.tasks import add


        def schedule(a):
            add.delay((a), {
                "k": 'v',
            }, countdown=60 * 5)
    """
    after = """
        from proj.tasks import add


        def schedule(a):
            add.apply_async(((a), {
                "k": 'v',
            }), countdown=60 * 5)
    """
    assert_fix(tmp_path, "CL801", before, after)


def test_delay_bound_task_and_aliases(tmp_path: Path) -> None:
    before = """
        from proj import tasks
        from proj.tasks import fetch as fetch_task


        def refresh(url):
            fetch_task.delay(url, timeout=3, countdown=3)
            tasks.send.delay("a@example.com", subject="s", task_id="x")
    """
    after = """
        from proj import tasks
        from proj.tasks import fetch as fetch_task


        def refresh(url):
            fetch_task.apply_async((url,), {"timeout": 3}, countdown=3)
            tasks.send.apply_async(("a@example.com",), {"subject": "s"}, task_id="x")
    """
    assert_fix(tmp_path, "CL801", before, after)


def test_delay_not_reported(tmp_path: Path) -> None:
    tasks = TASKS + _dedent(
        """


        @app.task
        def flexible(x, **options):
            return x


        @app.task
        def delayed(x, countdown=0):
            return x
        """
    )
    before = """
        from proj.tasks import add, delayed, flexible


        def schedule(unknown):
            add.apply_async((1, 2), countdown=10)
            flexible.delay(1, countdown=10)
            delayed.delay(1, countdown=10)
            unknown.delay(1, countdown=10)
    """
    assert_fix(tmp_path, "CL801", before, before, tasks=tasks)


# --------------------------------------------------------------------------- CL802


def test_apply_async_wrapped_values(tmp_path: Path) -> None:
    before = """
        from proj.tasks import add, ping


        def schedule(user):
            add.apply_async(("abc"))
            add.apply_async(args=(user.pk), countdown=5)
            ping.apply_async(
                (user.pk),  # who
                countdown=5,
            )
    """
    after = """
        from proj.tasks import add, ping


        def schedule(user):
            add.apply_async(("abc",))
            add.apply_async(args=(user.pk,), countdown=5)
            ping.apply_async(
                (user.pk,),  # who
                countdown=5,
            )
    """
    assert_fix(tmp_path, "CL802", before, after)


def test_apply_async_bare_string_and_number(tmp_path: Path) -> None:
    before = """
        from proj.tasks import add


        def schedule(name):
            add.apply_async("abc", countdown=1)
            add.apply_async(args=f"user-{name}")
            add.apply_async(args=5)
    """
    after = """
        from proj.tasks import add


        def schedule(name):
            add.apply_async(("abc",), countdown=1)
            add.apply_async(args=(f"user-{name}",))
            add.apply_async(args=(5,))
    """
    assert_fix(tmp_path, "CL802", before, after)


def test_apply_async_dict_reported_without_fix(tmp_path: Path) -> None:
    before = """
        from proj.tasks import add


        def schedule():
            add.apply_async({"x": 1, "y": 2})
    """
    assert_fix(tmp_path, "CL802", before, before, remaining=1)


def test_apply_async_not_reported(tmp_path: Path) -> None:
    before = """
        import multiprocessing

        from proj.tasks import add


        def schedule(args, items):
            add.apply_async(args)
            add.apply_async(args=None)
            add.apply_async((1, 2))
            add.apply_async([x for x in items])
            add.apply_async((x for x in items))
            with multiprocessing.Pool() as pool:
                pool.apply_async(print, args=(items))
    """
    assert_fix(tmp_path, "CL802", before, before)


# --------------------------------------------------------------------------- CL803


def test_bind_bare_decorator(tmp_path: Path) -> None:
    before = """
        from proj.celery import app


        @app.task
        def report(self, day):
            self.update_state(state="PROGRESS")
            return day
    """
    after = """
        from proj.celery import app


        @app.task(bind=True)
        def report(self, day):
            self.update_state(state="PROGRESS")
            return day
    """
    assert_fix(tmp_path, "CL803", before, after, tasks=None)


def test_bind_called_decorators(tmp_path: Path) -> None:
    before = """
        from proj.celery import app


        @app.task()
        def first(self):
            return self.request.id


        @app.task(name="proj.second", acks_late=True)
        def second(self, item):
            return self.name, item


        @app.task(bind=False)
        def third(self):
            return self.app
    """
    after = """
        from proj.celery import app


        @app.task(bind=True)
        def first(self):
            return self.request.id


        @app.task(name="proj.second", acks_late=True, bind=True)
        def second(self, item):
            return self.name, item


        @app.task(bind=True)
        def third(self):
            return self.app
    """
    assert_fix(tmp_path, "CL803", before, after, tasks=None)


def test_bind_multi_line_decorator(tmp_path: Path) -> None:
    before = """
        from proj.celery import app


        @app.task(
            acks_late=True,  # keep
            max_retries=3,
        )
        def sync(self, account_id):
            try:
                return account_id
            except ConnectionError as exc:
                raise self.retry(exc=exc)


        @app.task(
            acks_late=True
        )
        def push(self, account_id):
            raise self.retry(countdown=account_id)
    """
    after = """
        from proj.celery import app


        @app.task(
            acks_late=True,  # keep
            max_retries=3,
            bind=True,
        )
        def sync(self, account_id):
            try:
                return account_id
            except ConnectionError as exc:
                raise self.retry(exc=exc)


        @app.task(
            acks_late=True,
            bind=True,
        )
        def push(self, account_id):
            raise self.retry(countdown=account_id)
    """
    assert_fix(tmp_path, "CL803", before, after, tasks=None)


def test_bind_aliased_shared_task(tmp_path: Path) -> None:
    before = """
        from celery import shared_task as job


        @job
        def report(self, day):
            self.update_state(state="PROGRESS")
            return day
    """
    after = """
        from celery import shared_task as job


        @job(bind=True)
        def report(self, day):
            self.update_state(state="PROGRESS")
            return day
    """
    assert_fix(tmp_path, "CL803", before, after, tasks=None)


def test_bind_celery_subclasses(tmp_path: Path) -> None:
    # A subclass that only names tasks differently makes tasks like Celery; one that
    # overrides `task` may bind them itself.
    app = """\
        from celery import Celery


        class NamingCelery(Celery):
            def gen_task_name(self, name, module):
                return f"proj.{name}"


        class BindingCelery(Celery):
            def task(self, *args, **opts):
                return super().task(*args, bind=True, **opts)


        app = NamingCelery("proj", broker="redis://")
        other = BindingCelery("other", broker="redis://")
    """
    before = """
        from proj.celery import app, other


        @app.task
        def first(self):
            return self.request.id


        @other.task
        def second(self):
            return self.request.id
    """
    after = """
        from proj.celery import app, other


        @app.task(bind=True)
        def first(self):
            return self.request.id


        @other.task
        def second(self):
            return self.request.id
    """
    assert_fix(tmp_path, "CL803", before, after, tasks=None, app=app)


def test_bind_not_reported(tmp_path: Path) -> None:
    before = """
        from celery import shared_task

        from proj.celery import app

        OPTIONS = {"bind": True}


        @app.task(bind=True)
        def bound(self):
            return self.request.id


        @app.task(**OPTIONS)
        def opaque(self):
            return self.request.id


        @shared_task
        def first_argument(self, other):
            return self.items(), other


        class Reindex(app.Task):
            def run(self, index):
                return self.request.id, index


        app.register_task(Reindex())
    """
    assert_fix(tmp_path, "CL803", before, before, tasks=None)


# --------------------------------------------------------------------------- CL804


def test_retry_raised(tmp_path: Path) -> None:
    before = """
        from celery.exceptions import MaxRetriesExceededError

        from proj.celery import app


        @app.task(bind=True)
        def sync(self, account_id):
            try:
                return account_id
            except ConnectionError as exc:
                self.retry(exc=exc, countdown=30)


        @app.task(bind=True, max_retries=5)
        def push(task, event_id):
            try:
                return event_id
            except ConnectionError as exc:
                try:
                    task.retry(  # back off
                        exc=exc,
                        countdown=2 ** task.request.retries,
                    )
                except MaxRetriesExceededError:
                    return None
    """
    after = """
        from celery.exceptions import MaxRetriesExceededError

        from proj.celery import app


        @app.task(bind=True)
        def sync(self, account_id):
            try:
                return account_id
            except ConnectionError as exc:
                raise self.retry(exc=exc, countdown=30)


        @app.task(bind=True, max_retries=5)
        def push(task, event_id):
            try:
                return event_id
            except ConnectionError as exc:
                try:
                    raise task.retry(  # back off
                        exc=exc,
                        countdown=2 ** task.request.retries,
                    )
                except MaxRetriesExceededError:
                    return None
    """
    assert_fix(tmp_path, "CL804", before, after, tasks=None)


def test_retry_raised_class_task_and_parenthesized(tmp_path: Path) -> None:
    before = """
        from proj.celery import app


        class Reindex(app.Task):
            name = "proj.reindex"

            def run(self, index):
                if not index:
                    self.retry(countdown=5)
                    return None
                if index == "later":
                    (self.retry(countdown=60))
                return index


        app.register_task(Reindex())
    """
    after = """
        from proj.celery import app


        class Reindex(app.Task):
            name = "proj.reindex"

            def run(self, index):
                if not index:
                    raise self.retry(countdown=5)
                    return None
                if index == "later":
                    raise (self.retry(countdown=60))
                return index


        app.register_task(Reindex())
    """
    assert_fix(tmp_path, "CL804", before, after, tasks=None)


def test_retry_not_reported(tmp_path: Path) -> None:
    before = """
        from celery import Task

        from proj.celery import app


        class QuietRetryTask(Task):
            def retry(self, *args, **kwargs):
                return None


        @app.task(bind=True)
        def polite(self, flag):
            self.retry(countdown=5, throw=False)
            self.retry(countdown=5, throw=flag)
            self.retry(None, None, None, flag)
            raise self.retry(countdown=5)


        @app.task(bind=True, base=QuietRetryTask)
        def quiet(self):
            self.retry(countdown=5)


        @app.task
        def unbound(self):
            self.retry(countdown=5)
    """
    assert_fix(tmp_path, "CL804", before, before, tasks=None)


# --------------------------------------------------------------------------- premises


def _premise_app() -> Any:
    celery = pytest.importorskip("celery")
    return celery.Celery("premise", broker="memory://", set_as_current=False)


def test_premise_delay_passes_options_to_the_task() -> None:
    app = _premise_app()

    @app.task
    def add(x: int, y: int) -> int:
        return x + y

    with pytest.raises(TypeError, match="countdown"):
        add.delay(1, 2, countdown=10)


def test_premise_apply_async_args_must_be_a_sequence() -> None:
    app = _premise_app()

    @app.task
    def reindex(a: str, b: str, c: str) -> str:
        return a

    with pytest.raises(TypeError, match="list or tuple"):
        reindex.apply_async("abc")
    with pytest.raises(TypeError):
        reindex.apply_async((5))  # noqa: UP034


def test_premise_unbound_self_is_the_first_argument() -> None:
    app = _premise_app()

    @app.task
    def whoami(self: str) -> str:
        return self

    assert whoami.apply(("caller",)).get() == "caller"


def test_premise_bare_retry_raises() -> None:
    app = _premise_app()

    @app.task(bind=True, max_retries=0)
    def flaky(self: Any) -> str:
        self.retry(exc=ValueError("boom"))
        return "went on"

    result = flaky.apply()
    assert result.failed()
    assert isinstance(result.result, ValueError)
