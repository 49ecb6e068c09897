"""`task_routes` as Celery's own router picks a route (celery/app/routes.py), compared
with the real Router on the same settings."""

from __future__ import annotations

from typing import Any, Optional

import pytest
from celery.app.routes import MapRoute, prepare

from celerylint.model.routes import Route, exact_keys, route_for

TABLES: list[Any] = [
    None,
    {"proj.tasks.add": {"queue": "math"}, "proj.tasks.*": {"queue": "tasks"}},
    {"proj.*": "first", "proj.tasks.*": "second"},  # globs in the order written
    {"proj.tasks.*": {"queue": "tasks"}, "proj.tasks.add": "exact"},  # exact name first
    [{"other.*": "o"}, {"proj.tasks.a*": "a"}, {"proj.*": "p"}],  # routers in order
    ({"proj.tasks.add": {"routing_key": "k"}}, {"proj.*": "later"}),  # no queue: default
    [[("proj.tasks.ad?", "not-a-glob"), ("*.add", "suffix")]],  # `?` alone is no glob
    {"Proj.Tasks.*": "case"},  # fnmatch with case
    {"proj.tasks.add": ""},  # an empty queue: the default
]
NAMES = ["proj.tasks.add", "proj.tasks.mul", "proj.other", "elsewhere.add", "Proj.Tasks.add"]


def celery_queue(routes: Any, name: str) -> Optional[str]:
    """The queue real Celery's routers pick for `name` (None: the default queue)."""
    for router in prepare(routes):
        route = router(name)
        if route is not None:
            return route.get("queue") or None
    return None


@pytest.mark.parametrize("routes", TABLES)
@pytest.mark.parametrize("name", NAMES)
def test_route_for_agrees_with_celerys_router(routes: Any, name: str) -> None:
    known, route = route_for(routes, name)
    assert known
    assert (route.queue if route else None) == celery_queue(routes, name)


def test_the_deciding_entry_is_named() -> None:
    table = {"proj.tasks.add": "math", "proj.tasks.*": "tasks"}
    assert route_for(table, "proj.tasks.mul") == (True, Route("proj.tasks.*", "tasks"))
    assert route_for(table, "proj.tasks.add") == (True, Route("proj.tasks.add", "math"))
    assert route_for(table, "else") == (True, None)
    assert exact_keys([table, {"a.*": "x", "b": "y"}]) == ["proj.tasks.add", "b"]


@pytest.mark.parametrize(
    "routes",
    [
        "proj.routers.route_task",  # a router by dotted name
        [lambda name, *args, **kwargs: None],  # a router function
        {"proj.tasks.add": None},  # a route that is neither a queue nor a mapping
        {"proj.tasks.add": {"queue": object()}},  # a kombu.Queue: not a name here
    ],
)
def test_what_is_decided_at_run_time_is_unknown(routes: Any) -> None:
    assert route_for(routes, "proj.tasks.add") == (False, None)


def test_a_task_whose_name_is_unknown_is_unknown_when_routes_exist() -> None:
    assert route_for({"a": "b"}, None) == (False, None)
    assert route_for(None, None) == (True, None)
    assert MapRoute({"a": "b"})("a") == {"queue": "b"}  # the premise of a str route
