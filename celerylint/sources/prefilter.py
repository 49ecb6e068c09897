"""The bytes prefilter: which files can matter before any of them is parsed.

Runs on the raw bytes of every discovered file (in the fact store's worker
processes), so it is a handful of substring tests and two anchored regexes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["is_relevant", "prefilter_tokens"]

# A file that contains none of these cannot create, configure or dispatch to
# a Celery app, or declare a task, so it is never parsed eagerly. The project
# model still loads any other module it needs (a star-imported settings
# module, a config module named in `config_from_object`, a task's base class)
# on demand, whatever it contains.
_BASE_TOKENS = (
    b"Celery(",
    b"shared_task",
    b".delay(",
    b".apply_async(",
    b".s(",
    b".si(",
    b".signature(",
    b"send_task(",
    b".conf.",
    b".conf[",
    b"config_from_object",
    b"register_task",
    b"DJANGO_SETTINGS_MODULE",
    b"celerylint:",
    b"AsyncResult(",
    b"chord(",
)
# `@app.task`, `@app.task(...)`, and a CELERY_* setting assigned at the start of a
# line. A regex scan costs more than all the plain tokens together, so each runs
# only on files that contain its literal anchor.
_TASK_DECORATOR = re.compile(rb"\.task[ \t]*(?:\(|\r?\n|#)")
_CELERY_ASSIGNMENT = re.compile(rb"^[ \t]*CELERY\w*[ \t]*[:=]", re.MULTILINE)


def prefilter_tokens(task_decorators: Iterable[str]) -> tuple[bytes, ...]:
    extra = tuple(d.rsplit(".", 1)[-1].encode() for d in task_decorators)
    return _BASE_TOKENS + extra


def is_relevant(data: bytes, path: str, tokens: tuple[bytes, ...]) -> bool:
    """`path` is relative to the project root: a checkout under ~/celery-work is no hint."""
    if "celery" in path.lower():
        return True
    if any(token in data for token in tokens):
        return True
    if b".task" in data and _TASK_DECORATOR.search(data):
        return True
    return b"CELERY" in data and _CELERY_ASSIGNMENT.search(data) is not None
