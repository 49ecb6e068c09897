"""Where project code reads a setting's name.

A key that other code still reads is neither renamed nor called unknown.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from celerylint.model.namespace import Symbol
from celerylint.model.project import Project
from celerylint.rules._settings_sources import SettingsSource


@dataclass
class References:
    """Where names are used, from every fact of the relevant modules."""

    # module -> name -> spans of module-level name references (["name", span, X])
    names: dict[str, dict[str, list[list[int]]]] = field(default_factory=dict)
    # last component of every qualified reference -> (what it is an attribute
    # of, the module it is written in): ["ref", span, "a.b.X"] in m -> {"X": {("a.b", m)}}
    ref_leaves: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    # module -> modules it star-imports
    stars: dict[str, set[str]] = field(default_factory=dict)
    scanned: set[str] = field(default_factory=set)
    mentions: dict[str, set[str]] = field(default_factory=dict)


_REFERENCES: weakref.WeakKeyDictionary[Project, References] = weakref.WeakKeyDictionary()


def references(project: Project) -> References:
    refs = _REFERENCES.get(project)
    if refs is None:
        refs = References()
        for module in project.relevant:
            scan(project, refs, module)
        _REFERENCES[project] = refs
    return refs


def scan(project: Project, refs: References, module: str) -> None:
    if module in refs.scanned:
        return
    refs.scanned.add(module)
    facts = project.modules.facts(module) or {}
    names = refs.names.setdefault(module, {})
    stars = refs.stars.setdefault(module, set())
    for event in facts.get("events", ()):
        if event and event[0] == "star":
            target = project.modules.find(event[1], module)
            if target is not None:
                stars.add(target)
    stack: list[Any] = [value for key, value in facts.items() if key != "events"]
    stack.extend(event[2] for event in facts.get("events", ()) if event[0] == "assign")
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            if _is_node(item, "name"):
                names.setdefault(item[2], []).append(item[1])
            elif _is_node(item, "ref"):
                owner, _, leaf = item[2].rpartition(".")
                refs.ref_leaves.setdefault(leaf, set()).add((owner, module))
            else:
                stack.extend(item)


def _is_node(item: list[Any], kind: str) -> bool:
    return (
        len(item) == 3
        and item[0] == kind
        and isinstance(item[2], str)
        and (item[1] is None or isinstance(item[1], list))
    )


def star_chain(project: Project, refs: References, module: str) -> list[str]:
    """`module` and every project module it star-imports, transitively."""
    chain: list[str] = []
    pending = [module]
    while pending:
        current = pending.pop()
        if current in chain:
            continue
        chain.append(current)
        scan(project, refs, current)
        pending.extend(sorted(refs.stars.get(current, ())))
    return chain


def referenced(project: Project, source: SettingsSource, key: str) -> bool:
    """Whether code reads `key` itself (a helper variable, `settings.CELERY_TASK_QUEUE`)."""
    refs = references(project)
    modules: list[str] = []
    classes: list[tuple[str, str]] = []
    if source.module is not None:
        modules = star_chain(project, refs, source.module)
    elif source.cls is not None:
        chain = project.modules.class_chain(*source.cls, stop=external) or []
        classes = [(module, name) for module, name, _cls in chain]
        modules = [module for module, _name in classes]
        for module in modules:
            scan(project, refs, module)
    if key in refs.ref_leaves:
        return True  # imported, or read as an attribute at module level
    if any(key in refs.names.get(module, {}) for module in modules):
        return True  # a module-level helper the source uses itself
    return read_elsewhere(project, refs, [key], modules, classes)


def _mentions(project: Project, refs: References, text: str) -> set[str]:
    """Project modules whose source contains `text`, parsed by the prefilter or not."""
    found = refs.mentions.get(text)
    if found is None:
        found = set(project.modules_mentioning(text))
        refs.mentions[text] = found
    return found


def read_elsewhere(
    project: Project,
    refs: References,
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
    inside = set(modules) | {module for module, _name in classes}
    for key in keys:
        if _mentions(project, refs, "." + key) - inside:
            return True
        for module in sorted(_mentions(project, refs, key) - inside):
            scan(project, refs, module)
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


def external(base: str, symbol: Symbol) -> bool:
    """A library's base class holds none of the project's names: the chain ends there."""
    return symbol.kind == "external"
