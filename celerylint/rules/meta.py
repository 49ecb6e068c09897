"""The rule catalogue: every rule's code, name, severity, summary and fix availability.

This is the cheap, import-free index used by the CLI (selection, `rules`
table), suppressions and reporters. Its data is generated from
`rules/<name>.yaml` into `celerylint._rule_index` by `scripts/gen_docs.py`
(a test fails when it is stale); this module only gives it types and lookups.
"""

from __future__ import annotations

from celerylint._rule_index import RULES
from celerylint.severity import Severity


class RuleMeta:
    """One rule's catalogue entry. A plain class, not a msgspec Struct or a
    NamedTuple: `celerylint rule NAME` starts without importing msgspec or `typing`."""

    __slots__ = ("code", "fixable", "name", "severity", "summary")

    def __init__(
        self, code: str, name: str, severity: Severity, summary: str, fixable: str
    ) -> None:
        self.code = code
        self.name = name
        self.severity = severity
        self.summary = summary
        # "never", "sometimes" or "always": whether diagnostics of this rule carry a fix.
        self.fixable = fixable


ALL_RULES: tuple[RuleMeta, ...] = tuple(
    RuleMeta(code, name, Severity(severity), summary, fixable)
    for code, name, severity, summary, fixable in RULES
)

BY_CODE: dict[str, RuleMeta] = {rule.code: rule for rule in ALL_RULES}
BY_NAME: dict[str, RuleMeta] = {rule.name: rule for rule in ALL_RULES}


def lookup(code_or_name: str) -> RuleMeta | None:
    """Find a rule by exact code (`CL101`, any case) or name (`pickle-accepted`)."""
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
