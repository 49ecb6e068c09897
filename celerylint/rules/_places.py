"""Which settings production uses: test-only and development places, by name.

Projects keep settings that never reach production next to those that do:
`tests/`, `conftest.py`, `test_*.py`, Django settings modules named
`test`/`testing` (and `dev`/`local`/`development`), config classes named
`TestConfig` or `DevelopmentConfig`. Rules about production-only dangers
(a committed password, eager mode) stay silent there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import PurePath
from typing import Optional

from celerylint.model.namespace import Modules
from celerylint.model.settings import Entry, Layer

# `t/` is the test directory of Perl-style layouts (Celery itself keeps its tests there).
_TEST_DIRS = frozenset({"tests", "test", "testing", "t"})
_TEST_LEAF = re.compile(r"^(test|tests|testing)(_.*)?$|^test_.+$|^.+_tests?$|^conftest$")
_DEV_LEAF = re.compile(r"^(dev|devel|develop|development|local|localhost)(_.*)?$|^.+_(dev|local)$")
# Config classes for tests or development: TestConfig, TestingConfig, DevConfig, LocalSettings.
_TEST_CLASS = re.compile(r"^(Test|Testing|Tests)[A-Z_]|^Test$|Testing")
_DEV_CLASS = re.compile(r"^(Dev|Devel|Develop|Development|Local)[A-Z_]")


def _leaf(path: str) -> str:
    return PurePath(path).stem


class Places:
    """Tells test-only files apart, by their path below the project's common directory
    (a checkout that itself lives under some `tests/` directory is not all tests)."""

    def __init__(self, paths: Iterable[str]) -> None:
        directories = [os.path.dirname(os.path.abspath(path)) for path in paths]
        self._root = os.path.commonpath(directories) if directories else ""

    def is_test_path(self, path: str) -> bool:
        """Only tests import it: under `tests/`, `test_*.py`, `*_test.py`, `conftest.py`,
        or a settings module named `test`/`testing` (`settings/test.py`)."""
        absolute = os.path.abspath(path)
        relative = os.path.relpath(absolute, self._root) if self._root else absolute
        pure = PurePath(relative)
        if any(part.lower() in _TEST_DIRS for part in pure.parts[:-1]):
            return True
        return bool(_TEST_LEAF.match(pure.stem.lower()))

    def test_only_layer(self, layer: Layer) -> bool:
        """A configuration layer only tests load: a test settings module or config class."""
        if layer.path is not None and self.is_test_path(layer.path):
            return True
        name = layer_class(layer)
        return name is not None and is_test_class(name)


def is_dev_path(path: str) -> bool:
    """A settings module for a developer's machine: `dev.py`, `local.py`, `development.py`."""
    return bool(_DEV_LEAF.match(_leaf(path).lower()))


def is_test_class(name: str) -> bool:
    return bool(_TEST_CLASS.search(name))


def is_dev_class(name: str) -> bool:
    return bool(_DEV_CLASS.match(name))


def layer_class(layer: Layer) -> Optional[str]:
    """The class name of a config-class layer (`class proj.config.TestConfig`)."""
    prefix = "class "
    if not layer.description.startswith(prefix):
        return None
    return layer.description[len(prefix) :].rsplit(".", 1)[-1]


def dev_only_layer(layer: Layer) -> bool:
    """A configuration layer for development: `settings/dev.py`, `class DevelopmentConfig`."""
    name = layer_class(layer)
    if name is not None:
        return is_dev_class(name)
    return layer.path is not None and is_dev_path(layer.path)


def defining_class(modules: Modules, entry: Entry) -> Optional[str]:
    """The class whose body writes the entry (a Flask config class merged into `app.conf`)."""
    module = modules.module_of(entry.path)
    facts = modules.facts(module) if module else None
    if facts is None:
        return None
    for name, cls in facts.classes.items():
        if cls.attrs.get(entry.key) == entry.node:
            return name
    return None


def test_or_dev_class(modules: Modules, entry: Entry, *, dev: bool) -> bool:
    """The entry is written in a config class for tests (or, with `dev`, for development)."""
    name = defining_class(modules, entry)
    return name is not None and (is_test_class(name) or (dev and is_dev_class(name)))
