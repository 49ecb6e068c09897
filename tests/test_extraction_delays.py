"""Formatted strings keep their literal text; calls record how long their message waits."""

from __future__ import annotations

import textwrap

from celerylint.facts import extract_source
from celerylint.facts.schema import (
    Assign,
    Const,
    Env,
    FileFacts,
    Formatted,
    Name,
    Node,
    TimeDelta,
    Unknown,
)
from celerylint.facts.values import Evaluator


def facts_of(source: str) -> FileFacts:
    return extract_source(textwrap.dedent(source).encode(), "m", False)


def assigned(facts: FileFacts, name: str) -> Node:
    return next(e.node for e in facts.events if isinstance(e, Assign) and e.name == name)


def test_f_strings_and_format_calls_keep_literal_text_and_placeholders() -> None:
    facts = facts_of(
        """
        import os
        HOST = os.environ["HOST"]
        A = f"redis://:pw@{HOST}:6379/0"
        B = "amqp://{}:{pw}@{host!r}".format(USER, pw=PASSWORD, host=HOST)
        C = f"{HOST:>10}"
        """
    )
    a = assigned(facts, "A")
    assert isinstance(a, Formatted)
    assert [type(p) for p in a.parts] == [Const, Name, Const]
    assert isinstance(a.parts[0], Const) and a.parts[0].value == "redis://:pw@"
    b = assigned(facts, "B")
    assert isinstance(b, Formatted)
    texts = [p.value if isinstance(p, Const) else type(p).__name__ for p in b.parts]
    assert texts == ["amqp://", "Name", ":", "Name", "@", "Unknown"]
    c = assigned(facts, "C")
    assert isinstance(c, Formatted) and isinstance(c.parts[0], Unknown)
    # Formatted strings are never known values: other rules see what they saw before.
    evaluator = Evaluator(lambda name, path: None, lambda name, path: None)
    assert not evaluator.evaluate(a, "m.py").known


def test_countdown_and_eta_from_now_are_recorded_as_delays() -> None:
    facts = facts_of(
        """
        from datetime import datetime, timedelta
        from django.utils import timezone
        from proj.tasks import remind

        def schedule(user, due):
            remind.apply_async((1,), countdown=3600)
            remind.apply_async((1,), eta=timezone.now() + timedelta(hours=2))
            remind.apply_async((1,), eta=datetime.utcnow() + timedelta(days=1))
            remind.apply_async((1,), eta=due + timedelta(days=1))
            remind.delay(1, countdown=5)

        @shared_task(bind=True)
        def charge(self):
            raise self.retry(countdown=7200)
        """
    )
    delays = [d.delay for d in sorted(facts.dispatches, key=lambda d: d.span)]
    assert delays[0] is not None and isinstance(delays[0].seconds, Const)
    assert delays[1] is not None and isinstance(delays[1].seconds, TimeDelta)
    assert delays[2] is not None and isinstance(delays[2].seconds, TimeDelta)
    assert delays[3] is None  # an ETA from a stored date: not a delay from now
    assert delays[4] is None  # .delay() passes countdown to the task
    retry = facts.functions["charge"].retries[0]
    assert retry.delay is not None and isinstance(retry.delay.seconds, Const)
    assert not isinstance(retry.delay.seconds, Env)


def test_an_item_with_a_literal_key_is_read_from_a_known_mapping() -> None:
    facts = facts_of(
        """
        import os
        CONF = {"broker": "redis://r/0", "limits": [1, 2]}
        A = CONF["broker"]
        B = CONF["missing"]
        C = CONF["limits"]["x"]
        D = os.environ["HOST"]
        E = CONF[KEY]
        F = "text"["x"]
        """
    )
    bound = {e.name: e.node for e in facts.events if isinstance(e, Assign)}

    def resolve(name: str, path: str) -> tuple[Node, str] | None:
        return (bound[name], path) if name in bound else None

    evaluator = Evaluator(resolve, lambda name, path: None)
    values = {name: evaluator.evaluate(bound[name], "m.py") for name in "ABCDEF"}
    assert values["A"].known and values["A"].value == "redis://r/0"
    # A KeyError, an item of a list, an environment variable, a computed key, a str.
    assert [name for name, value in values.items() if value.known] == ["A"]
    assert isinstance(bound["D"], Env)
    assert isinstance(bound["E"], Unknown) and isinstance(bound["F"], Unknown)


def test_a_retry_call_records_whose_max_retries_it_obeys() -> None:
    """CL401: `max_retries=None` on the task matters only for a retry that passes none."""
    facts = facts_of(
        """
        from proj.celery import app

        @app.task(bind=True)
        def sync(self, options):
            self.retry()
            raise self.retry(max_retries=None)
            raise self.retry(max_retries=5)
            raise self.retry(None, None, None, True, None, 30, 9)
            raise self.retry(**options)
            raise self.retry(*options)
            raise self.retry(max_retries=options["limit"], **options)
        """
    )
    retries = sorted(facts.functions["sync"].retries, key=lambda retry: retry.span)
    limits = [retry.limit for retry in retries]
    assert limits == ["task", "task", "own", "own", "unknown", "unknown", "own"]
