"""Rules: pure functions of the project model, one module per rule.

Each `cl<NNN>_<name>.py` module holds one rule's check (and its fix builder)
and registers it with `celerylint.rules.registry`; modules starting with `_`
hold what several rules share. Rule metadata comes from `rules/<name>.yaml`
through the generated `celerylint._rule_index`.
"""

from __future__ import annotations

# Not `typing.TYPE_CHECKING`: `celerylint rule NAME` imports this package (through
# `celerylint.rules.meta`) and must start without `typing` (13 ms); type checkers
# treat any constant of this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from celerylint.diagnostics import Diagnostic
    from celerylint.model.project import Project


def run_rules(project: Project, selected: Callable[[str], bool]) -> list[Diagnostic]:
    from celerylint.diagnostics import Diagnostic
    from celerylint.rules.registry import load_checks

    found: dict[tuple[str, str, int, int, str], Diagnostic] = {}
    for code, check in sorted(load_checks().items()):
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
