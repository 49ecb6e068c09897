"""What a remembered result depends on: paths with their (mtime, size) when it was made.

A record (a replayed run, a remembered walk) is valid while every path it
watched has the same (mtime, size), or still exists / still does not exist
where only existence mattered (`EXISTS`).
"""

from __future__ import annotations

from collections.abc import Iterable

from celerylint.sources.ignore_files import EXISTS, StatKey, exists_key, stat_key

# (path, mtime_ns, size); mtime -1 for a path that did not exist.
Watched = tuple[str, int, int]


def _watched(path: str, key: StatKey) -> Watched:
    return (path, *key) if key is not None else (path, -1, -1)


def watch(paths: Iterable[str]) -> list[Watched]:
    """The (mtime, size) of each path now: call it before the run reads them."""
    return [_watched(path, stat_key(path)) for path in paths]


def watch_known(known: Iterable[tuple[str, StatKey]]) -> list[Watched]:
    return [_watched(path, key) for path, key in known]


def known_keys(watched: Iterable[Watched]) -> list[tuple[str, StatKey]]:
    """The inverse of `watch_known`."""
    return [(path, None if mtime == -1 else (mtime, size)) for path, mtime, size in watched]


def unchanged(watched: list[Watched]) -> bool:
    for path, mtime, size in watched:
        now = exists_key(path) if (mtime, size) == EXISTS else stat_key(path)
        if _watched(path, now) != (path, mtime, size):
            return False
    return True
