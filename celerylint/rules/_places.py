"""Which settings production uses: test-only and development places, by name.

Projects keep settings that never reach production next to those that do:
test files (`project.test_paths`), Django settings modules named
`dev`/`local`/`development`, config classes named `TestConfig` or
`DevelopmentConfig`. Rules about production-only dangers (a committed
password, eager mode) stay silent there.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Optional

from celerylint.model.namespace import Modules
from celerylint.model.project import Project
from celerylint.model.settings import Entry, Layer

_DEV_DIRS = frozenset({"development", "devel"})
_DEV_LEAF = re.compile(r"^(dev|devel|develop|development|local|localhost)(_.*)?$|^.+_(dev|local)$")
# Config classes for tests or development: TestConfig, TestingConfig, DevConfig, LocalSettings.
_TEST_CLASS = re.compile(r"^(Test|Testing|Tests)[A-Z_]|^Test$|Testing")
_DEV_CLASS = re.compile(r"^(Dev|Devel|Develop|Development|Local)[A-Z_]")


def test_only_layer(project: Project, layer: Layer) -> bool:
    """A configuration layer only tests load: a test settings module or config class."""
    if layer.path is not None and layer.path in project.test_paths:
        return True
    name = layer_class(layer)
    return name is not None and is_test_class(name)


def is_dev_path(path: str) -> bool:
    """A settings module for a developer's machine: `dev.py`, `local.py`, `development.py`,
    or one in a `development/` directory (nautobot's dev image's `nautobot_config.py`)."""
    pure = PurePath(path)
    return bool(_DEV_LEAF.match(pure.stem.lower())) or pure.parent.name.lower() in _DEV_DIRS


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
