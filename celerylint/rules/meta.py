"""The rule catalogue: every rule's code, name, severity and one-line summary.

This is the cheap, import-free index used by the CLI (selection, `rules`
table) and reporters. The full contract and docs of each rule live in
`rules/<name>.yaml`; a test keeps the two in agreement.
"""

from __future__ import annotations

from dataclasses import dataclass

from celerylint.diagnostics import Severity


@dataclass(frozen=True)
class RuleMeta:
    code: str
    name: str
    severity: Severity
    summary: str
    # "never", "sometimes" or "always": whether diagnostics of this rule carry a fix.
    fixable: str = "never"


_E = Severity.ERROR
_W = Severity.WARNING

ALL_RULES: tuple[RuleMeta, ...] = (
    RuleMeta("CL000", "parse-error", _E, "A file cannot be read or parsed."),
    RuleMeta(
        "CL001", "unused-suppression", _W, "A suppression comment silences nothing.", "always"
    ),
    RuleMeta(
        "CL002",
        "invalid-suppression",
        _E,
        "A suppression comment names no rule, or a rule that does not exist.",
    ),
    RuleMeta(
        "CL101",
        "pickle-accepted",
        _E,
        "Pickle is accepted from, or sent to, the broker.",
        "sometimes",
    ),
    RuleMeta(
        "CL102",
        "serializer-not-accepted",
        _E,
        "An app produces messages or results in a serializer its own consumers refuse.",
    ),
    RuleMeta(
        "CL103",
        "cross-service-serializer-mismatch",
        _E,
        "A service sends a serializer that a linked service does not accept.",
    ),
    RuleMeta("CL201", "missing-time-limit", _W, "A task has no hard time limit.", "sometimes"),
    RuleMeta(
        "CL202",
        "soft-time-limit-not-below-hard",
        _E,
        "A task's soft time limit is not below its hard time limit.",
    ),
    RuleMeta(
        "CL301",
        "process-pool-in-task",
        _E,
        "A process pool or process is created inside a task running in a prefork worker.",
    ),
    RuleMeta(
        "CL302",
        "result-get-in-task",
        _E,
        "A task waits synchronously on the result of another task.",
    ),
    RuleMeta(
        "CL401", "unbounded-retries", _W, "A task retries forever (max_retries=None).", "sometimes"
    ),
    RuleMeta(
        "CL402",
        "retry-without-backoff",
        _W,
        "A task retries automatically without backoff.",
        "sometimes",
    ),
    RuleMeta(
        "CL403",
        "autoretry-broad-exception",
        _W,
        "A task retries automatically on Exception or BaseException.",
    ),
    RuleMeta(
        "CL501",
        "result-not-ignored",
        _W,
        "A task's results are stored, but it returns nothing and nobody reads them.",
        "sometimes",
    ),
    RuleMeta(
        "CL502",
        "result-expires-disabled",
        _W,
        "Results never expire, so the result backend grows forever.",
    ),
    RuleMeta(
        "CL801",
        "delay-with-execution-options",
        _E,
        "`.delay()` is given an execution option, which the task receives as an argument.",
        "sometimes",
    ),
    RuleMeta(
        "CL802",
        "apply-async-args-not-tuple",
        _E,
        "`apply_async(args=...)` is given a single value instead of a tuple.",
        "sometimes",
    ),
    RuleMeta(
        "CL803",
        "task-self-without-bind",
        _E,
        "A task takes `self` but is not bound (`bind=True` is missing).",
        "sometimes",
    ),
    RuleMeta(
        "CL804",
        "retry-not-raised",
        _W,
        "`self.retry(...)` is called but not raised.",
        "always",
    ),
    RuleMeta(
        "CL901",
        "deprecated-setting-name",
        _W,
        "An old (pre-4.0) setting name is used where the new name is meant.",
        "sometimes",
    ),
    RuleMeta(
        "CL902",
        "mixed-setting-names",
        _E,
        "One configuration mixes old and new setting names: Celery refuses to start.",
        "sometimes",
    ),
    RuleMeta(
        "CL903",
        "unknown-setting",
        _W,
        "A setting key that Celery never reads in that configuration.",
        "sometimes",
    ),
)

BY_CODE: dict[str, RuleMeta] = {rule.code: rule for rule in ALL_RULES}
BY_NAME: dict[str, RuleMeta] = {rule.name: rule for rule in ALL_RULES}


def lookup(code_or_name: str) -> RuleMeta | None:
    """Find a rule by exact code (`CL101`, any case) or name (`pickle-accepted`)."""
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
