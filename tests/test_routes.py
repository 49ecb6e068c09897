"""`task_routes` as Celery's own router picks a route (celery/app/routes.py), compared
with the real Router on the same settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

import pytest
from celery.app.routes import MapRoute, prepare

from celerylint.api import check
from celerylint.config import load_config
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
    assert route_for(table, "proj.tasks.mul") == (True, Route("proj.tasks.*", "tasks", False))
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


# -- compiled patterns, from the code to the router ----------------------------------

SOURCE = """\
import re

from celery import Celery

app = Celery("proj", broker="redis://r/0")
app.conf.task_routes = [
    {
        re.compile(r"proj\\.tasks\\.(add|mul)"): {"queue": "math"},
        "proj.tasks.*": "tasks",
        re.compile("PROJ\\\\.OTHER", re.IGNORECASE): "other",
    },
]
"""
# The same setting as real Celery gets it.
REAL = [
    {
        re.compile(r"proj\.tasks\.(add|mul)"): {"queue": "math"},
        "proj.tasks.*": "tasks",
        re.compile("PROJ\\.OTHER", re.IGNORECASE): "other",
    },
]


def resolved_routes(tmp_path: Path, source: str) -> Any:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    (tmp_path / "proj" / "celery.py").write_text(source)
    config = load_config(None, tmp_path).with_overrides(root=tmp_path.absolute())
    result = check([tmp_path], config, selected=lambda code: False, use_cache=False)
    assert result.project is not None
    (app,) = result.project.apps
    return app.setting("task_routes").value


@pytest.mark.parametrize(
    "name",
    ["proj.tasks.add", "proj.tasks.mul", "proj.tasks.addx", "proj.tasks.sub", "proj.other.x"],
)
def test_compiled_patterns_route_as_celery_does(tmp_path: Path, name: str) -> None:
    value = resolved_routes(tmp_path, SOURCE)
    assert value.known
    known, route = route_for(value.value, name)
    assert known
    assert (route.queue if route else None) == celery_queue(REAL, name)


def test_a_pattern_names_itself_as_python_shows_it(tmp_path: Path) -> None:
    value = resolved_routes(tmp_path, SOURCE)
    _, route = route_for(value.value, "proj.tasks.add")
    assert route == Route(repr(next(iter(REAL[0]))), "math", exact=False)


@pytest.mark.parametrize(
    "key",
    [
        "re.compile(PATTERN)",  # a pattern from a name that cannot be resolved
        're.compile("(unclosed")',  # not a valid expression: Celery would fail too
        're.compile("x", re.I | re.M)',  # flags combined: not read
        're.compile("x", FLAGS)',
    ],
)
def test_a_pattern_that_cannot_be_evaluated_is_unknown(tmp_path: Path, key: str) -> None:
    source = "import re\nfrom celery import Celery\napp = Celery('p')\n"
    source += f"app.conf.task_routes = {{{key}: 'q'}}\n"
    assert not resolved_routes(tmp_path, source).known
