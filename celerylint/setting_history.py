"""Setting keys no Celery reads any more, and made-up keys built from real ones.

:mod:`celerylint._removed_settings_data` (generated from Celery's release tags
by ``scripts/gen_removed_settings.py``) lists every key some release read and
the current one ignores. A key that is neither there nor in the catalog was
never a setting. Such a key is reported only when its words say it was meant
for Celery (see :func:`made_up`): projects keep their own ``CELERY_*`` keys.
"""

from __future__ import annotations

from collections import Counter
from typing import Optional

import msgspec

from celerylint import _catalog_data, _removed_settings_data

_REMOVED = _removed_settings_data.REMOVED
# Counted in one pass each (the former pairwise count cost 10 ms at import).
_WORDS = [name.split("_") for name in _catalog_data.SETTINGS]
# The setting "groups": first words of at least two setting names (task, worker, ...).
_GROUPS = frozenset(
    group
    for group, count in Counter(words[0] for words in _WORDS if len(words) > 1).items()
    if count >= 2
)
# Two-word families of at least three settings (task_default, broker_connection, ...).
_FAMILIES = frozenset(
    family
    for family, count in Counter("_".join(words[:2]) for words in _WORDS if len(words) > 2).items()
    if count >= 3
)


class Removal(msgspec.Struct, frozen=True):
    """A key some Celery release read: its name there, and when it went."""

    name: str  # as Celery's table spelled it (`CELERY_SEND_TASK_ERROR_EMAILS`, `riak_...`)
    last: str  # the last release that read it (`3.1.26`)
    removed_in: str  # the first minor version that did not (`4.0`)


class MadeUp(msgspec.Struct, frozen=True):
    """A key no Celery ever read, built from the words of a real (or removed) setting."""

    like: str  # the real setting's name, or the removed key's
    removal: Optional[Removal]  # set when `like` is itself removed


def removed(key: str, prefix: Optional[str]) -> Optional[Removal]:
    """The removal of `key`, as written or as a namespaced (`CELERY_`) 4.x+ name."""
    found = _removal(key)
    if found is not None:
        return found
    stem = _stem(key, prefix)
    return _removal(stem) if stem is not None and stem != key else None


def made_up(key: str, prefix: Optional[str]) -> Optional[MadeUp]:
    """What a never-existing `CELERY_*` (or namespaced) key was built from, if it looks meant.

    Conservative on purpose; a key counts only when, after its `CELERY_` (or
    namespace) prefix, its words are

    - those of a real or removed setting in another order
      (`CELERY_TASK_SEND_ERROR_EMAILS`: `CELERY_SEND_TASK_ERROR_EMAILS`);
    - a whole real setting under one more group
      (`CELERY_WORKER_TASK_SOFT_TIME_LIMIT`: `task_soft_time_limit`);
    - a family of three or more settings followed by what follows the
      group in another setting (`CELERY_TASK_DEFAULT_EXPIRES`:
      `task_default_*` and `result_expires`).

    Anything else (`CELERY_ENABLED`, `CELERY_APP_NAME`, `CELERY_TASK_QUEUE`,
    `CELERY_BEAT_NAME_BY_TASK`) is taken for the project's own key.
    """
    stem = _stem(key, prefix)
    if stem is None or removed(key, prefix) is not None or stem in _catalog_data.SETTINGS:
        return None
    words = stem.split("_")
    reordered = _reordered(sorted(words))
    if reordered is not None:
        return reordered
    head, rest = words[0], "_".join(words[1:])
    if head in _GROUPS and rest in _catalog_data.SETTINGS and not rest.startswith(head + "_"):
        return MadeUp(rest, None)
    family, tail = "_".join(words[:2]), "_".join(words[2:])
    if family in _FAMILIES and tail:
        # The family's own group first: `broker_connection_url` is `broker_url`.
        ending = sorted(
            (name.partition("_")[0] != head, name)
            for name in _catalog_data.SETTINGS
            if name.partition("_")[2] == tail
        )
        if ending:
            return MadeUp(ending[0][1], None)
    return None


def _removal(key: str) -> Optional[Removal]:
    entry = _REMOVED.get(key)
    return Removal(key, entry[0], entry[1]) if entry is not None else None


def _stem(key: str, prefix: Optional[str]) -> Optional[str]:
    """`key` without its namespace (or `CELERY_`) prefix, lower-case; None without one."""
    for mark in (prefix, "CELERY"):
        if not mark:
            continue
        normalized = mark.rstrip("_") + "_"
        if key.upper().startswith(normalized.upper()) and len(key) > len(normalized):
            return key[len(normalized) :].lower()
    return None


def _words_key(name: str) -> tuple[str, ...]:
    return tuple(sorted(name.lower().split("_")))


def _reordered(words: list[str]) -> Optional[MadeUp]:
    target = tuple(words)
    for name in sorted(_catalog_data.SETTINGS):
        if _words_key(name) == target:
            return MadeUp(name, None)
    for name in sorted(_REMOVED):
        bare = name.lower()
        bare = bare[len("celery_") :] if bare.startswith("celery_") else bare
        if _words_key(bare) == target:
            return MadeUp(name, _removal(name))
    return None
