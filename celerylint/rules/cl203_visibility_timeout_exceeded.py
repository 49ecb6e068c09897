"""CL203 visibility-timeout-exceeded: Redis or SQS redelivers a message the worker still holds.

Redis and SQS take back a message that is not acknowledged within the
visibility timeout and deliver it again (kombu `transport/redis.py`
`QoS.restore_visible`; SQS's own queue attribute, which kombu sets from the
same option when it creates the queue). A task acknowledged late that may run
past the timeout, and a message held for a countdown or ETA past it, run twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Optional

import msgspec

from celerylint.diagnostics import Diagnostic, Span
from celerylint.facts.schema import Delay, Map
from celerylint.facts.values import Value
from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.model.tasks import Option, Task
from celerylint.rules._deciding_line import tasks_list
from celerylint.rules._time_limits import limit_seconds
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule

# kombu 5.7: redis.Channel.visibility_timeout = 3600; SQS.Channel.default_visibility_timeout = 1800.
DEFAULT_TIMEOUTS = {"redis": 3600.0, "rediss": 3600.0, "sentinel": 3600.0, "sqs": 1800.0}


class Timeout(msgspec.Struct, frozen=True):
    """An app's broker with a visibility timeout, and how long it is."""

    transport: str  # "Redis" or "SQS"
    seconds: float
    option: str  # how to name the option in a message


TimeoutOf = Callable[[App], Optional[Timeout]]


@rule("CL203", "visibility-timeout-exceeded")
def visibility_timeout_exceeded(project: Project) -> Iterator[Diagnostic]:
    timeouts: dict[str, Optional[Timeout]] = {}

    def timeout_of(app: App) -> Optional[Timeout]:
        if app.key not in timeouts:
            timeouts[app.key] = visibility_timeout(project, app)
        return timeouts[app.key]

    yield from _late_acks(project, timeout_of)
    yield from _delays(project, timeout_of)


def _late_acks(project: Project, timeout_of: TimeoutOf) -> Iterator[Diagnostic]:
    """Tasks acknowledged after they run whose hard limit lets them outlive the timeout."""
    groups: dict[tuple[str, Span], list[Task]] = {}
    timeouts: dict[tuple[str, Span], tuple[Timeout, float]] = {}
    for task in project.tasks:
        found = _outliving(project, task, timeout_of)
        if found is None:
            continue
        option, timeout, limit = found
        where = _deciding(option, task)
        if where is None:
            continue
        groups.setdefault(where, []).append(task)
        timeouts.setdefault(where, (timeout, limit))
    for (path, span), tasks in groups.items():
        timeout, limit = timeouts[(path, span)]
        subject = (
            f"Task {tasks_list(tasks)} acknowledges"
            if len(tasks) == 1
            else (f"{len(tasks)} tasks ({tasks_list(tasks)}) acknowledge")
        )
        yield diagnostic(
            "CL203",
            f"{subject} late and may run {_seconds(limit)} (its hard time limit), not less "
            f"than the {timeout.transport} visibility timeout ({_seconds(timeout.seconds)}): "
            "the broker redelivers the message while the task still runs, so it runs twice; "
            f"raise `{timeout.option}` above the time limit or lower the limit",
            path,
            span,
        )


def _outliving(
    project: Project, task: Task, timeout_of: TimeoutOf
) -> Optional[tuple[Option, Timeout, float]]:
    """(time limit option, timeout, limit) when the task outlives the timeout in every app."""
    if not task.apps:
        return None
    found: Optional[tuple[Option, Timeout, float]] = None
    for app in task.apps:
        timeout = timeout_of(app)
        if timeout is None:
            return None
        acks_late = project.option(task, "acks_late", app)
        if not acks_late.known or acks_late.value.value is not True:
            return None
        option = project.option(task, "time_limit", app)
        try:
            limit = limit_seconds(option)
        except LookupError:
            return None
        if limit is None or limit < timeout.seconds:
            return None
        if found is None:
            found = (option, timeout, limit)
    return found


def _deciding(option: Option, task: Task) -> Optional[tuple[str, Span]]:
    """The line that decides the time limit: the keyword, class attribute or setting value."""
    if option.origin in ("task", "base"):
        return option.located
    if option.origin == "config" and option.path and option.node and option.node.span:
        return option.path, option.node.span
    return task.path, task.span


def _delays(project: Project, timeout_of: TimeoutOf) -> Iterator[Diagnostic]:
    """`countdown=` / `eta=` at least the timeout: the worker holds the message unacknowledged."""
    for site in project.dispatches:
        delay = site.call.delay
        if delay is None:
            continue
        task = project.task_for(site.call.target, site.module)
        if task is not None:
            yield from _delayed(project, task, delay, site.path, timeout_of)
    for task in project.tasks:
        function = task.function
        if function is None:
            continue
        for retry in function.retries:
            if retry.delay is not None:
                yield from _delayed(project, task, retry.delay, task.path, timeout_of)


def _delayed(
    project: Project, task: Task, delay: Delay, path: str, timeout_of: TimeoutOf
) -> Iterator[Diagnostic]:
    if not task.apps:
        return
    seconds = _number(project.evaluator.evaluate(delay.seconds, path))
    if seconds is None:
        return
    timeout: Optional[Timeout] = None
    for app in task.apps:
        timeout = timeout_of(app)
        if timeout is None or seconds < timeout.seconds:
            return
    assert timeout is not None
    yield diagnostic(
        "CL203",
        f"The message waits {_seconds(seconds)} before it runs, not less than the "
        f"{timeout.transport} visibility timeout ({_seconds(timeout.seconds)}): the worker holds "
        "it unacknowledged until then, so the broker redelivers it and the task runs twice; "
        f"raise `{timeout.option}` above the delay or schedule far runs with beat",
        path,
        delay.span,
    )


def visibility_timeout(project: Project, app: App) -> Optional[Timeout]:
    """The visibility timeout of the app's broker; None if it has none or it is not known."""
    transport = _transport(app)
    if transport is None:
        return None
    setting = app.setting("broker_transport_options")
    options: dict[str, Any] = {}
    if not setting.is_default:
        found = _known_options(project, setting.value)
        if found is None:
            return None
        options = found
    option = f"{app.setting_key('broker_transport_options')}['visibility_timeout']"
    if transport == "sqs":
        if "predefined_queues" in options:
            return None  # queues made outside Celery keep their own timeout
    elif options.get("ack_emulation", True) is not True:
        return None  # no acknowledgement emulation: nothing is ever restored
    seconds = options.get("visibility_timeout", DEFAULT_TIMEOUTS[transport])
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        return None
    name = "SQS" if transport == "sqs" else "Redis"
    return Timeout(name, float(seconds), option)


def _transport(app: App) -> Optional[str]:
    """The scheme of the app's broker when it is Redis or SQS, else None."""
    if not app.setting("broker_transport").is_default:
        return None  # a transport named apart from the URL: not followed
    broker = app.setting("broker_url")
    value: Optional[Value] = broker.value
    if not broker.known and value is not None and value.env is not None:
        value = value.env_default  # the development default names the broker the code is for
    if value is None or not value.known:
        return None
    url = value.value
    if isinstance(url, (list, tuple)) and url:
        url = url[0]
    if not isinstance(url, str) or "://" not in url:
        return None
    scheme = url.split(";", 1)[0].split("://", 1)[0].lower()
    scheme = scheme.split("+", 1)[0]  # redis+socket://: kombu's transport before the '+'
    return scheme if scheme in DEFAULT_TIMEOUTS else None


def _known_options(project: Project, value: Value) -> Optional[dict[str, Any]]:
    """The transport options that can be seen: the dict, or the known entries of a dict
    display whose keys are all known (`{"visibility_timeout": 43200, "master_name": env(...)}`).
    Entries with unknown values are left out, so reading them gives the default: only the
    ones that matter (visibility_timeout, ack_emulation, predefined_queues) are checked."""
    if value.known:
        return value.value if isinstance(value.value, dict) else None
    node, path = value.node, value.path
    if not isinstance(node, Map) or path is None:
        return None
    options: dict[str, Any] = {}
    for key_node, value_node in node.pairs:
        key = project.evaluator.evaluate(key_node, path)
        if not key.known or not isinstance(key.value, str):
            return None
        entry = project.evaluator.evaluate(value_node, path)
        if key.value in ("visibility_timeout", "ack_emulation") and not entry.known:
            return None
        options[key.value] = entry.value if entry.known else None
    return options


def _number(value: Value) -> Optional[float]:
    if not value.known or isinstance(value.value, bool):
        return None
    return float(value.value) if isinstance(value.value, (int, float)) else None


def _seconds(seconds: float) -> str:
    return f"{int(seconds) if seconds == int(seconds) else seconds} s"
