"""Where project code reads a setting's name.

A key that other code still reads is neither renamed nor called unknown.
"""

from __future__ import annotations

from collections.abc import Iterable

from celerylint.model.namespace import Symbol
from celerylint.model.project import Project
from celerylint.rules._settings_sources import SettingsSource


def referenced(project: Project, source: SettingsSource, key: str) -> bool:
    """Whether code reads `key` itself (a helper variable, `settings.CELERY_TASK_QUEUE`)."""
    refs = project.references
    modules: list[str] = []
    classes: list[tuple[str, str]] = []
    if source.module is not None:
        modules = refs.star_chain(source.module)
    elif source.cls is not None:
        chain = project.modules.class_chain(*source.cls, stop=external) or []
        classes = [(module, name) for module, name, _cls in chain]
        modules = [module for module, _name in classes]
        for module in modules:
            refs.scan(module)
    if key in refs.ref_leaves:
        return True  # imported, or read as an attribute at module level
    if any(key in refs.names.get(module, {}) for module in modules):
        return True  # a module-level helper the source uses itself
    return read_elsewhere(project, [key], modules, classes)


def read_elsewhere(
    project: Project,
    keys: Iterable[str],
    modules: list[str],
    classes: list[tuple[str, str]],
) -> bool:
    """Whether code outside the source (`modules`, `classes`) may read one of `keys`.

    Any module outside the source that contains `.KEY` (an attribute read such
    as `settings.KEY` or `celeryconfig.KEY`, also inside a function) counts. So
    does one that imports `KEY` from the source or from anything unresolved, or
    star-imports the source and mentions `KEY`; `other.KEY` of another project
    module or class does not.
    """
    refs = project.references
    inside = set(modules) | {module for module, _name in classes}
    keys = list(keys)
    ask_read_elsewhere(project, keys)
    for key in keys:
        if refs.mentioning("." + key) - inside:
            return True
        for module in sorted(refs.mentioning(key) - inside):
            refs.scan(module)
            if refs.stars.get(module, set()) & inside:
                return True  # `from source import *` and then uses of KEY
        for owner, near in sorted(refs.ref_leaves.get(key, ())):
            symbol = project.modules.resolve(owner, near)
            if symbol.rest:
                return True
            if symbol.kind == "module" and symbol.module not in modules:
                continue
            if symbol.kind == "class" and (symbol.module, symbol.name) not in classes:
                continue
            return True
    return False


def ask_read_elsewhere(project: Project, keys: Iterable[str]) -> None:
    """Look for what `read_elsewhere` looks for in every file, for all these keys in one
    reading of the files (a rule asks for every key it will check before checking)."""
    project.references.ask_mentioning([text for key in keys for text in ("." + key, key)])


def external(base: str, symbol: Symbol) -> bool:
    """A library's base class holds none of the project's names: the chain ends there."""
    return symbol.kind == "external"
