"""Rules: pure functions of the project model, registered by code.

Each family lives in its own module; importing it registers its checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # `celerylint.rules.meta` must stay cheap to import
    from celerylint.diagnostics import Diagnostic
    from celerylint.model.project import Project


def run_rules(project: Project, selected: Callable[[str], bool]) -> list[Diagnostic]:
    from celerylint.diagnostics import Diagnostic
    from celerylint.rules import (
        calls,
        concurrency,
        results,
        retries,
        serialization,
        settings_hygiene,
        time_limits,
    )
    from celerylint.rules.base import CHECKS

    # Imported to register their checks.
    del calls, concurrency, results, retries, serialization, settings_hygiene, time_limits
    found: dict[tuple[str, str, int, int, str], Diagnostic] = {}
    for code, check in sorted(CHECKS.items()):
        if not selected(code):
            continue
        for diagnostic in check(project):
            key = (
                diagnostic.code,
                diagnostic.path,
                diagnostic.span.line,
                diagnostic.span.col,
                diagnostic.message,
            )
            found.setdefault(key, diagnostic)
    return sorted(found.values(), key=Diagnostic.sort_key)
