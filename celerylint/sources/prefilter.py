"""The bytes prefilter: which files can matter before any of them is parsed.

Runs on the raw bytes of every discovered file (in the fact store's worker
processes). Nearly every file matters for nothing, and for those the cost is
one full scan per test, so the tests are few: the tokens that start with `.`
are one regex (`re` scans for its literal `.` prefix as fast as a substring
test), those that end with `(` another, the `*_task` names are only looked for
where `task` occurs at all.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

__all__ = [
    "EVERY_MARKER",
    "MARKERS",
    "RELEVANT",
    "implies_relevant",
    "is_relevant",
    "markers_of",
    "names_only_a_settings_module",
    "prefilter_tokens",
    "relevance",
]

# A file that contains none of these cannot create, configure or dispatch to
# a Celery app, or declare a task, so it is never parsed eagerly. The project
# model still loads any other module it needs (a star-imported settings
# module, a config module named in `config_from_object`, a task's base class)
# on demand, whatever it contains.
#
# `.delay(`, `.apply_async(`, `.s(`, `.si(`, `.signature(`, `.conf.`, `.conf[`,
# `@app.task`, `@app.task(...)`, and `app.worker_main(` (a worker started from Python
# code). Not `django.conf.`: a Django project's every `urls.py` imports
# `django.conf.urls`, and that module is no Celery app.
_DOTTED_TOKENS = (
    rb"\.(?:delay\(|apply_async\(|si?\(|signature\(|task[ \t]*(?:\(|\r?\n|#)|worker_main\("
    # Looked behind at only after a whole `.conf.`: before `conf`, 25 % slower.
    rb"|conf[.\[]%s(?<!django\.conf.))"
)
_DOTTED = re.compile(_DOTTED_TOKENS % b"")
# In a text alone, `.conf` counts only with the bytes its look-behind reads in the text:
# before it, a file may hold `django`.
_DOTTED_ALONE = re.compile(_DOTTED_TOKENS % rb"(?<=[\s\S]{12})")
# Each contains `task`: looked for only in files that contain `task`. Celery 4's and
# 3's deprecated decorators are imported from `celery.task` / `celery.decorators`.
_TASK_NAMES = (
    b"shared_task",
    b"send_task(",
    b"register_task",
    b"tasks.register(",  # `app.tasks.register(ExportTask())` (cla_backend's reports)
    b"from celery.task import",
    b"from celery import task",
    b"from celery.decorators import task",
)
# One scan for them all, from each `task` (the tree's 1,651 files holding `task`: seven
# substring tests 0.085 s, this 0.035 s): what each name has before its first `task`
# is looked behind at, what it has after is matched.
_TASK_NAME = re.compile(
    b"task(?:%s)"
    % b"|".join(
        b"(?<=%s)%s" % (re.escape(before + b"task"), re.escape(after))
        for before, _, after in (name.partition(b"task") for name in _TASK_NAMES)
    )
)
# `Celery(`, `AsyncResult(` (result reads: result-backend-missing) and `chord(`: each
# `(` with what it follows (the tree's 65 MB: 44 ms, three substring tests 83 ms).
_CALLED = re.compile(rb"\((?:(?<=Celery\()|(?<=AsyncResult\()|(?<=chord\())")
_PLAIN = (b"config_from_object", b"DJANGO_SETTINGS_MODULE", b"celerylint:")
# A CELERY_* setting assigned: at the start of a line, after blanks (`_assigns_celery`).
# Searched for from its literal `CELERY`: anchored at every line start (`^[ \t]*` in
# MULTILINE mode) the regex took 0.1 s of the tree's prefilter in the 119 files holding
# `CELERY`, found this way in 5 ms.
_CELERY_ASSIGNMENT = re.compile(rb"CELERY\w*[ \t]*[:=]")


def prefilter_tokens(task_decorators: Iterable[str]) -> tuple[bytes, ...]:
    """Further tokens: the last name of each configured task decorator."""
    return _PLAIN + tuple(d.rsplit(".", 1)[-1].encode() for d in task_decorators)


def is_relevant(data: bytes, name: str, tokens: tuple[bytes, ...]) -> bool:
    """`name`: the file's name, a hint (`celeryconfig.py`); its directories are none
    (in Celery's own repository every path starts with `celery/`)."""
    return relevance(data, name, tokens) == RELEVANT


# What `relevance` says of a file that can matter; of the others, which of `MARKERS`
# their bytes hold, as bits (`1 << index`).
RELEVANT = -1
# `BROKER` for the settings Celery renamed that hold no `CELERY` (`BROKER_URL`, 23 of the
# 66 such): asked whether any file reads one, the 15-project tree read all its 13,768
# files (0.3 s); 41 hold `BROKER`. Looking for it costs 4 ms a thousand files.
MARKERS = (b"task", b"CELERY", b"BROKER")
_TASK, _CELERY, _BROKER = (1 << index for index in range(len(MARKERS)))
# What is said of a file the prefilter kept but that is left out all the same (test-only
# code): its markers are not looked for, so it may hold any.
EVERY_MARKER = (1 << len(MARKERS)) - 1


def relevance(data: bytes, name: str, tokens: tuple[bytes, ...]) -> int:
    """RELEVANT, or the markers a file the prefilter leaves out holds: each is looked
    for in every such file anyway, and no file lacking one of a text's markers holds
    the text (`FactStore.mentioning` reads fewer files so)."""
    others, with_task = _split_tokens(tokens)
    if "celery" in name.lower() or _names_a_token(data, others, _DOTTED):
        return RELEVANT
    markers = 0
    if b"task" in data:
        # The tokens holding `task` (`shared_task`, the default decorator's) are looked
        # for here: a file without `task` holds none of them.
        if any(token in data for token in with_task) or _TASK_NAME.search(data) is not None:
            return RELEVANT
        markers = _TASK
    if b"CELERY" in data:
        if _assigns_celery(data):
            return RELEVANT
        markers |= _CELERY
    if b"BROKER" in data:
        markers |= _BROKER
    return markers


def _assigns_celery(data: bytes) -> bool:
    """A `CELERY*` name assigned at the start of a line, after blanks only (what the
    line-anchored regex of `_CELERY_ASSIGNMENT` in MULTILINE mode finds)."""
    for match in _CELERY_ASSIGNMENT.finditer(data):
        start = match.start()
        line = data.rfind(b"\n", 0, start) + 1
        if not data[line:start].strip(b" \t"):
            return True
    return False


# Scripts whose `DJANGO_SETTINGS_MODULE` names the settings the Celery app may load; in
# any other file it names nothing the project model reads.
_SETTINGS_NAMERS = frozenset({"manage.py", "wsgi.py", "asgi.py"})


def names_only_a_settings_module(data: bytes, name: str, tokens: tuple[bytes, ...]) -> bool:
    """Whether a relevant file is so only for `DJANGO_SETTINGS_MODULE`, in a script no
    Celery app takes its settings from: nothing in it can matter (a Python 2 script of
    datatracker's, reported as a parse error)."""
    if name in _SETTINGS_NAMERS or "celery" in name.lower():
        return False
    others = tuple(token for token in tokens if token != b"DJANGO_SETTINGS_MODULE")
    return relevance(data, name, others) != RELEVANT


def markers_of(text: str) -> int:
    """The bits of `MARKERS` that `text` holds (as `relevance` gives them for a file)."""
    data = text.encode()
    return sum(1 << index for index, marker in enumerate(MARKERS) if marker in data)


def implies_relevant(text: str, tokens: tuple[bytes, ...]) -> bool:
    """Whether every file whose bytes contain `text` passes `is_relevant`, whatever its
    name: which files that the prefilter left out mention `text` is then known
    without reading any (none do)."""
    data = text.encode()
    # Each of `_TASK_NAMES` contains `task`: the test guarding them holds in such files.
    return _names_a_token(data, tokens, _DOTTED_ALONE) or _TASK_NAME.search(data) is not None


@functools.lru_cache(maxsize=8)
def _split_tokens(tokens: tuple[bytes, ...]) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """`tokens` without `task` in them, and those with it."""
    return (
        tuple(token for token in tokens if b"task" not in token),
        tuple(token for token in tokens if b"task" in token),
    )


def _names_a_token(data: bytes, tokens: tuple[bytes, ...], dotted: re.Pattern[bytes]) -> bool:
    """The tests that make any bytes relevant, wherever they stand in a file (`dotted`:
    `_DOTTED`, or `_DOTTED_ALONE` for a text that stands anywhere)."""
    return (
        any(token in data for token in tokens)
        or dotted.search(data) is not None
        or _CALLED.search(data) is not None
    )
