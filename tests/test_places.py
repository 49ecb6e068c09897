"""Which files only a test suite runs: one predicate for every rule (model.places)."""

from __future__ import annotations

import pytest

from celerylint.model.places import PathsOfTests

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
