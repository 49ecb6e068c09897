"""The names a Celery task has: what `self.<name>` in a task can mean (CL803), and
the keywords a task decorator takes (CL805)."""

from __future__ import annotations

from celerylint.model.tasks import CELERY_TASK_ATTRIBUTES, FROM_CONFIG

# Public attributes of celery.app.task.Task (Celery 5.x): `self.<one of these>` in
# a task function says that `self` was meant to be the task. Its data attributes are
# the model's (checked against the installed Celery); these are its methods and
# exception classes.
TASK_ATTRIBUTES = CELERY_TASK_ATTRIBUTES | frozenset(
    {
        "AsyncResult",
        "MaxRetriesExceededError",
        "OperationalError",
        "add_around",
        "add_to_chord",
        "add_trail",
        "after_return",
        "annotate",
        "apply",
        "apply_async",
        "backend",
        "before_start",
        "bind",
        "chunks",
        "delay",
        "map",
        "on_bound",
        "on_failure",
        "on_replace",
        "on_retry",
        "on_success",
        "pop_request",
        "push_request",
        "replace",
        "request",
        "retry",
        "run",
        "s",
        "send_event",
        "shadow_name",
        "si",
        "signature",
        "signature_from_request",
        "starmap",
        "start_strategy",
        "subtask",
        "subtask_from_request",
        "update_state",
    }
)

# What Celery reads besides the class's own attributes: the keywords `app.task()` and
# `shared_task()` take themselves (`Celery.task`, `_task_from_fun`), the autoretry
# options (`celery.app.autoretry`), and the execution options `apply_async` takes
# from the task (`celery.app.task.extract_exec_options`). A test checks them against
# the installed Celery.
DECORATOR_KEYWORDS = frozenset(
    {"name", "base", "bind", "shared", "filter", "lazy"}
    | {"pydantic", "pydantic_strict", "pydantic_context", "pydantic_dump_kwargs"}
)
AUTORETRY_OPTIONS = frozenset(
    {"autoretry_for", "dont_autoretry_for", "retry_kwargs", "retry_backoff"}
    | {"retry_backoff_max", "retry_jitter"}
)
EXECUTION_OPTIONS = frozenset(
    {"queue", "routing_key", "exchange", "priority", "expires", "serializer"}
    | {"delivery_mode", "compression", "time_limit", "soft_time_limit", "immediate", "mandatory"}
)
# The options a task decorator takes: Task's data attributes, the keywords above, and
# those `Task.from_config` fills from the settings when left unset (`store_eager_result`
# is no class attribute of Task, yet a task option).
TASK_OPTIONS = (
    CELERY_TASK_ATTRIBUTES
    | DECORATOR_KEYWORDS
    | AUTORETRY_OPTIONS
    | EXECUTION_OPTIONS
    | frozenset(FROM_CONFIG)
)
# Every keyword a task decorator may be given that Celery (or the task's class) reads:
# Task's methods too.
TASK_KEYWORDS = TASK_OPTIONS | TASK_ATTRIBUTES
