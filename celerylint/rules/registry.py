"""Rule registration: each `cl<NNN>_<name>.py` module registers its check here.

A module registers its check with `@rule(code, name)` when it is imported;
`load_checks()` imports every rule module of this package, so adding a rule
means adding a module, never editing a list. Registering a code or a name
twice is a programming error and raises at import time, before any project
is checked.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterable

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project

Check = Callable[[Project], Iterable[Diagnostic]]

#: How a rule module is named: `cl201_missing_time_limit` for CL201 missing-time-limit.
RULE_MODULE = re.compile(r"^cl(\d{3})_([a-z0-9]+(?:_[a-z0-9]+)*)$")


class DuplicateRuleError(ValueError):
    """A rule code or name is registered a second time."""


class Registry:
    """Checks by rule code, with the name each was registered under."""

    def __init__(self) -> None:
        self.checks: dict[str, Check] = {}
        self.names: dict[str, str] = {}  # code -> name

    def rule(self, code: str, name: str) -> Callable[[Check], Check]:
        """Register the decorated function as the check of rule `code` named `name`."""

        def register(check: Check) -> Check:
            if code in self.checks:
                raise DuplicateRuleError(f"rule code {code} is registered twice")
            if name in self.names.values():
                raise DuplicateRuleError(f"rule name {name!r} is registered twice")
            self.checks[code] = check
            self.names[code] = name
            return check

        return register


REGISTRY = Registry()
rule = REGISTRY.rule


def module_name(code: str, name: str) -> str:
    """The module that holds a rule: `cl201_missing_time_limit` for CL201 missing-time-limit."""
    return f"cl{code[2:]}_{name.replace('-', '_')}"


def load_checks() -> dict[str, Check]:
    """Import every rule module of this package (each registers itself); return the checks."""
    import celerylint.rules as package

    # The file names, not `pkgutil.iter_modules`: it imports `inspect`, 3 ms of every run.
    for directory in package.__path__:
        for file in sorted(os.listdir(directory)):
            name, suffix = os.path.splitext(file)
            if suffix == ".py" and RULE_MODULE.match(name):
                importlib.import_module(f"{package.__name__}.{name}")
    return REGISTRY.checks
