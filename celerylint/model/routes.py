"""`task_routes` read the way Celery's router reads it (celery/app/routes.py).

The setting is one router or a list/tuple of routers, asked in order; the
first route found wins. A mapping (or a list of `(key, route)` pairs) is a
`MapRoute`: the task's exact name first, then, in the order written, the keys
holding `*` as `fnmatch` globs (matched against the whole name,
case-sensitively) and `re.compile(...)` keys (`pattern.match(name)`: anchored
at the start only). A route is a queue name or a mapping whose `queue` names
it; a route without a queue (or with an empty one) sends to the default
queue. Anything else — a router function or class, a dotted name, a pattern
that cannot be evaluated, a `kombu.Queue` as the queue — is decided at run
time: unknown.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Optional, Union

import msgspec

from celerylint.facts.values import CompiledPattern

_Key = Union[str, CompiledPattern]


class Route(msgspec.Struct, frozen=True):
    """The `task_routes` entry that decides a task's queue."""

    key: str  # as written: `proj.tasks.add`, `proj.tasks.*`, `re.compile('proj\\..*')`
    queue: Optional[str]  # None: the entry names no queue (the default queue then)
    exact: bool = True  # False for a pattern, which decides only for the names it matches


def route_for(routes: Any, name: Optional[str]) -> tuple[bool, Optional[Route]]:
    """(known, route): the entry Celery's router picks for the task `name`; (True, None)
    when none matches; (False, None) when that cannot be told."""
    if routes is None:
        return True, None
    for router in routes if isinstance(routes, (list, tuple)) else [routes]:
        pairs = _pairs(router)
        if pairs is None or (name is None and pairs):
            return False, None
        if name is None:
            continue
        exact = {key: route for key, route in pairs if isinstance(key, str) and "*" not in key}
        if name in exact:
            return _route(name, exact[name], True)
        for key, route in pairs:
            if isinstance(key, CompiledPattern):
                if key.match(name):
                    return _route(str(key), route, False)
            elif "*" in key and fnmatch.fnmatchcase(name, key):
                return _route(key, route, False)
    return True, None


def exact_keys(routes: Any) -> Optional[list[str]]:
    """The task names `task_routes` routes by exact name; None when it cannot be read."""
    found: list[str] = []
    for router in routes if isinstance(routes, (list, tuple)) else [routes]:
        pairs = [] if router is None else _pairs(router)
        if pairs is None:
            return None
        found.extend(key for key, _ in pairs if isinstance(key, str) and "*" not in key)
    return found


def _pairs(router: Any) -> Optional[list[tuple[_Key, Any]]]:
    """A MapRoute's entries, or None for anything decided at run time."""
    if isinstance(router, dict):
        pairs = list(router.items())
    elif isinstance(router, (list, tuple)) and all(
        isinstance(pair, (list, tuple)) and len(pair) == 2 for pair in router
    ):
        pairs = [(pair[0], pair[1]) for pair in router]
    else:
        return None
    if any(not isinstance(key, (str, CompiledPattern)) for key, _ in pairs):
        return None
    return pairs


def _route(key: str, route: Any, exact: bool) -> tuple[bool, Optional[Route]]:
    if isinstance(route, str):  # `dict(route)` fails: Celery takes it as the queue
        return True, Route(key, route or None, exact)
    if isinstance(route, dict):
        queue = route.get("queue")
        if queue is None or isinstance(queue, str):
            return True, Route(key, queue or None, exact)
    return False, None
