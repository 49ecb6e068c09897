"""Rules register themselves, once each, and match their specifications one to one."""

from __future__ import annotations

import pkgutil
from collections.abc import Iterator

import pytest

import celerylint.rules
from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.ruledocs import load_specs
from celerylint.rules.meta import BY_CODE
from celerylint.rules.registry import (
    REGISTRY,
    RULE_MODULE,
    DuplicateRuleError,
    Registry,
    load_checks,
    module_name,
    rule,
)

# Produced by the engine (CL000) and the suppression machinery (CL001, CL002),
# not by a check of the model.
ENGINE_RULES = {"CL000", "CL001", "CL002"}


def _check(project: Project) -> Iterator[Diagnostic]:
    yield from ()


def test_a_duplicate_code_raises() -> None:
    registry = Registry()
    registry.rule("CL900", "first-rule")(_check)
    with pytest.raises(DuplicateRuleError, match="CL900"):
        registry.rule("CL900", "second-rule")(_check)
    assert registry.names == {"CL900": "first-rule"}


def test_a_duplicate_name_raises() -> None:
    registry = Registry()
    registry.rule("CL900", "first-rule")(_check)
    with pytest.raises(DuplicateRuleError, match="first-rule"):
        registry.rule("CL901", "first-rule")(_check)
    assert set(registry.checks) == {"CL900"}


def test_registering_a_loaded_rule_again_raises() -> None:
    checks = dict(load_checks())
    with pytest.raises(DuplicateRuleError):
        rule("CL201", "missing-time-limit")(_check)
    assert load_checks() == checks


def test_every_spec_has_one_check_and_every_check_a_spec() -> None:
    load_checks()
    specs = {spec["code"]: spec["name"] for spec in load_specs()}
    assert REGISTRY.names == {
        code: name for code, name in specs.items() if code not in ENGINE_RULES
    }


def test_engine_rules_have_metadata_but_no_check() -> None:
    checks = load_checks()
    for code in ENGINE_RULES:
        assert code in BY_CODE
        assert code not in checks


def test_each_rule_module_holds_exactly_its_own_rule() -> None:
    checks = load_checks()
    for code, check in checks.items():
        expected = f"celerylint.rules.{module_name(code, REGISTRY.names[code])}"
        assert check.__module__ == expected, code
    modules = [
        module.name
        for module in pkgutil.iter_modules(celerylint.rules.__path__)
        if RULE_MODULE.match(module.name)
    ]
    assert sorted(modules) == sorted(
        check.__module__.rsplit(".", 1)[1] for check in checks.values()
    )
