"""Rule selectors: codes (`CL101`), prefixes (`CL1`, `CL`), names, or `ALL`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from celerylint.rules.meta import ALL_RULES, BY_CODE

if TYPE_CHECKING:
    from celerylint.config import Config


class SelectionError(ValueError):
    """An unknown rule selector; the message names it."""


def matches(code: str, selectors: Iterable[str]) -> bool:
    meta = BY_CODE.get(code)
    for selector in selectors:
        upper = selector.upper()
        if upper == "ALL" or code.startswith(upper):
            return True
        if meta is not None and selector.lower() == meta.name:
            return True
    return False


def validate(selectors: Iterable[str], origin: str) -> None:
    for selector in selectors:
        if not any(matches(rule.code, [selector]) for rule in ALL_RULES):
            raise SelectionError(f"{origin}: unknown rule selector {selector!r}")


def validate_config(config: Config) -> None:
    """Every rule selector of the configuration names a rule (SelectionError, naming where)."""
    origin = str(config.config_file) if config.config_file else "configuration"
    validate(config.select, f"{origin}: select")
    validate(config.ignore, f"{origin}: ignore")
    validate(config.extend_select, f"{origin}: extend-select")
    for pattern, selectors in config.per_file_ignores:
        validate(selectors, f"{origin}: per-file-ignores {pattern!r}")


def selected_codes(
    select: Iterable[str], ignore: Iterable[str], extend_select: Iterable[str]
) -> frozenset[str]:
    """Codes enabled by ruff-style select / extend-select / ignore (default: all)."""
    select = list(select) or ["ALL"]
    enabled = {r.code for r in ALL_RULES if matches(r.code, select)}
    enabled |= {r.code for r in ALL_RULES if matches(r.code, extend_select)}
    return frozenset(code for code in enabled if not matches(code, ignore))
