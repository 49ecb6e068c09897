"""Test-only code, by its path: one answer for every rule.

Nothing is reported in code only a test suite runs, and the fact store parses
it only when the model asks for a module of it (`store.FactStore.tests`):
files under a `tests/` (or `test`, `testing`, Perl-style `t`) directory,
`test_*.py`, `*_test.py`, `*_tests.py`, `tests.py`, `conftest.py`, and
settings modules named `test`/`testing` (`settings/test.py`). Directories
count from the project's common directory down, so that a checkout that
itself lives under some `tests/` directory is not all tests.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

_TEST_DIRS = frozenset({"tests", "test", "testing", "t"})
_TEST_LEAF = re.compile(r"^(test|tests|testing)(_.*)?$|^test_.+$|^.+_tests?$|^conftest$")


class PathsOfTests:
    """Tells test-only files apart, below the common directory of the project's files."""

    def __init__(self, paths: Iterable[str]) -> None:
        """`paths`: absolute and normalised, as discovery names files."""
        files = list(paths)
        # The common directory of all the files' directories is that of the first and
        # the last in string order: every path between them shares their prefix.
        # (4,000 dirname calls cost more than all the questions asked later.)
        ends = [os.path.dirname(min(files)), os.path.dirname(max(files))] if files else []
        self.root = os.path.commonpath(ends) if ends else ""
        self._known: dict[str, bool] = {}

    @classmethod
    def below(cls, root: str) -> PathsOfTests:
        """The test-only files below `root`, the common directory of a project whose
        file list is not at hand (`command_reuse` keeps only the root)."""
        tests = cls(())
        tests.root = root
        return tests

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        known = self._known.get(path)
        if known is None:
            known = self._known[path] = self._is_test(path)
        return known

    def _is_test(self, path: str) -> bool:
        absolute = os.path.abspath(path)
        return is_test_path(os.path.relpath(absolute, self.root) if self.root else absolute)


def is_test_path(relative: str) -> bool:
    """Whether the file `relative` is test-only, by its directories and its name. On
    strings: `PurePath` made this most of a scan of a package's files that asks it."""
    *directories, name = relative.split(os.sep)
    if any(part.lower() in _TEST_DIRS for part in directories):
        return True
    return bool(_TEST_LEAF.match(os.path.splitext(name)[0].lower()))
