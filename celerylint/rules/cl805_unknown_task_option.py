"""CL805 unknown-task-option: a task decorator keyword Celery never reads."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Optional

from celerylint.diagnostics import Applicability, Diagnostic, Fix, Span
from celerylint.fixes.edits import make_fix, replace
from celerylint.model.project import Project
from celerylint.model.tasks import DeclaredOption, Task
from celerylint.rules._plain_tasks import celery_task
from celerylint.rules._task_attributes import TASK_KEYWORDS, TASK_OPTIONS
from celerylint.rules.base import diagnostic, task_label
from celerylint.rules.registry import rule

# The options a misspelled keyword is compared with (not Task's methods).
_OPTIONS = sorted(TASK_OPTIONS)
# Keywords written for a task option under another name, and the option meant.
_MEANT = {
    "timeout": "time_limit",
    "hard_time_limit": "time_limit",
    "hard_timeout": "time_limit",
    "soft_timeout": "soft_time_limit",
    "retries": "max_retries",
    "retry_limit": "max_retries",
    "retry_delay": "default_retry_delay",
    "retry_countdown": "default_retry_delay",
    "autoretry_on": "autoretry_for",
    "acknowledge_late": "acks_late",
}
# Options of a call (`apply_async`), not of a task: the decorator ignores them.
_CALL_OPTIONS = frozenset(
    {"countdown", "eta", "link", "link_error", "headers", "retry_policy", "task_id", "shadow"}
)
# Keys of `retry_policy` (publishing retries, kombu): nothing a task reads. Projects
# write them on decorators meaning the delays between a task's retries (courtlistener,
# 34 of them beside `autoretry_for`).
_RETRY_POLICY_KEYS = frozenset({"interval_start", "interval_step", "interval_max"})
# How close a keyword must be to an option to be taken for its misspelling.
_CUTOFF = 0.8


@rule("CL805", "unknown-task-option")
def unknown_task_option(project: Project) -> Iterator[Diagnostic]:
    found: dict[tuple[str, Span], tuple[str, str, DeclaredOption, Task]] = {}
    for task in project.tasks:
        if not celery_task(project, task) or task.opaque_options:
            continue
        known = _class_names(project, task)
        if known is None:
            continue  # a base class outside the project may read any attribute
        for key, declared in task.own_options.items():
            if key in known or key.startswith("_") or declared.span is None:
                continue
            meant = _meant(key)
            if meant is not None:
                found.setdefault((declared.path, declared.span), (key, meant, declared, task))
    if not found:
        return
    # Read anywhere as an attribute or by its name: the project's own option after all.
    texts = {key: (f".{key}", f'"{key}"', f"'{key}'") for key, *_ in found.values()}
    mentioned = project.modules_mentioning(sorted({t for ts in texts.values() for t in ts}))
    for (path, span), (key, meant, declared, task) in sorted(found.items()):
        if any(mentioned[text] for text in texts[key]):
            continue
        if meant in _CALL_OPTIONS:
            message = (
                f"`{key}` is an option of a call (`apply_async`), not of a task: given to "
                f"the decorator of {task_label(task)} it is ignored"
            )
            fix = None
        elif meant in _RETRY_POLICY_KEYS:
            message = (
                f"`{key}` is a key of `retry_policy` (how `apply_async` retries publishing "
                f"to the broker), not a task option: given to the decorator of "
                f"{task_label(task)} it is ignored; the delay between the task's own "
                "retries is `default_retry_delay` (or `retry_backoff`)"
            )
            fix = None
        else:
            message = (
                f"`{key}` is no task option: Celery keeps it on {task_label(task)} as an "
                f"attribute nothing reads, and the task runs as if it were not there; "
                f"did you mean `{meant}`?"
            )
            fix = _rename(declared, key, meant)
        yield diagnostic("CL805", message, path, span, fix)


def _class_names(project: Project, task: Task) -> Optional[frozenset[str]]:
    """What the task's class may read: Celery's names and those of its project base
    classes; None when a base class is outside the project (or cannot be told)."""
    mro = project.options.base_mro(task)
    if mro is None:
        return None
    names: set[str] = set()
    for entry in mro:
        if entry.terminal:
            break
        if entry.facts is None:
            return None
        names.update(entry.facts.attrs, entry.facts.methods)
    return TASK_KEYWORDS | names


def _meant(key: str) -> Optional[str]:
    """The option `key` was likely meant as (itself for a call's option), or None."""
    if key in _CALL_OPTIONS or key in _RETRY_POLICY_KEYS:
        return key
    if key in _MEANT:
        return _MEANT[key]
    close = difflib.get_close_matches(key, _OPTIONS, n=1, cutoff=_CUTOFF)
    return close[0] if close else None


def _rename(declared: DeclaredOption, key: str, meant: str) -> Optional[Fix]:
    """Rename the keyword, unless the call gives the meant one too (a duplicate)."""
    span = declared.span
    if span is None or meant in declared.call.kwargs:
        return None
    name = Span(span.line, span.col, span.line, span.col + len(key))
    return make_fix(
        f"Rename `{key}` to `{meant}`",
        Applicability.UNSAFE,
        [replace(declared.path, name, meant)],
    )
