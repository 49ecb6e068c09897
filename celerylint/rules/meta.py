"""The rule catalogue: every rule's code, name, severity, summary and fix availability.

This is the cheap, import-free index used by the CLI (selection, `rules`
table), suppressions and reporters. Its data is generated from
`rules/<name>.yaml` into `celerylint._rule_index` by `scripts/gen_docs.py`
(a test fails when it is stale); this module only gives it types and lookups.
"""

from __future__ import annotations

from typing import NamedTuple

from celerylint._rule_index import RULES
from celerylint.severity import Severity


class RuleMeta(NamedTuple):  # not a Struct: `rule NAME` starts without importing msgspec
    code: str
    name: str
    severity: Severity
    summary: str
    # "never", "sometimes" or "always": whether diagnostics of this rule carry a fix.
    fixable: str = "never"


ALL_RULES: tuple[RuleMeta, ...] = tuple(
    RuleMeta(code, name, Severity(severity), summary, fixable)
    for code, name, severity, summary, fixable in RULES
)

BY_CODE: dict[str, RuleMeta] = {rule.code: rule for rule in ALL_RULES}
BY_NAME: dict[str, RuleMeta] = {rule.name: rule for rule in ALL_RULES}


def lookup(code_or_name: str) -> RuleMeta | None:
    """Find a rule by exact code (`CL101`, any case) or name (`pickle-accepted`)."""
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
