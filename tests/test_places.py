"""Which files only a test suite runs: one predicate for every rule (model.places)."""

from __future__ import annotations

import pytest

from celerylint.sources.places import PathsOfTests

PROJECT = [
    "/home/ci/tests/checkout/proj/settings/base.py",
    "/home/ci/tests/checkout/proj/settings/test.py",
    "/home/ci/tests/checkout/proj/tasks.py",
    "/home/ci/tests/checkout/proj/tests/test_tasks.py",
    "/home/ci/tests/checkout/t/integration/conftest.py",
]


@pytest.mark.parametrize(
    ("path", "is_test"),
    [
        # A checkout that lives under some tests/ directory is not all tests.
        ("/home/ci/tests/checkout/proj/tasks.py", False),
        ("/home/ci/tests/checkout/proj/settings/base.py", False),
        ("/home/ci/tests/checkout/proj/settings/test.py", True),
        ("/home/ci/tests/checkout/proj/tests/test_tasks.py", True),
        ("/home/ci/tests/checkout/proj/tests/helpers.py", True),
        ("/home/ci/tests/checkout/t/integration/conftest.py", True),
        ("/home/ci/tests/checkout/proj/orders_test.py", True),
        ("/home/ci/tests/checkout/proj/orders_tests.py", True),
        ("/home/ci/tests/checkout/proj/tests.py", True),
        ("/home/ci/tests/checkout/proj/testing_utils.py", True),
        ("/home/ci/tests/checkout/proj/contest.py", False),
        ("/home/ci/tests/checkout/proj/latest.py", False),
    ],
)
def test_test_paths(path: str, is_test: bool) -> None:
    assert (path in PathsOfTests(PROJECT)) is is_test


def test_no_files_no_root() -> None:
    assert "/src/tests/test_x.py" in PathsOfTests([])
    assert "/src/app/tasks.py" not in PathsOfTests([])


@pytest.mark.parametrize(
    "paths",
    [
        ["/p/a.py"],
        ["/p/b-c/x.py", "/p/b/y.py", "/p/b.d/z.py", "/p/b/tests/q.py"],
        ["/p/app/x.py", "/p/app/y.py"],
        ["/p/bc.py", "/p/b/x.py", "/p/b/c/d/e.py"],
        ["/q/a.py", "/p/b.py"],
    ],
)
def test_the_common_directory_is_that_of_all_the_files(paths: list[str]) -> None:
    """Found from the first and last path only; the same as from every directory."""
    import os

    expected = os.path.commonpath([os.path.dirname(p) for p in paths])
    assert PathsOfTests(paths).root == expected
    assert PathsOfTests(reversed(paths)).root == expected
