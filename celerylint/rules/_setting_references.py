"""Where project code reads a setting's name.

A key that other code still reads is neither renamed nor called unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from celerylint.facts import decode
from celerylint.facts.schema import Assign
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
    # A settings module that star-imports the source and sets the key again (EvalAI's
    # prod.py) reads nothing of it: the key stays unknown there too.
    return read_elsewhere(project, [key], modules, classes, rebinding_reads=False)


def read_elsewhere(
    project: Project,
    keys: Iterable[str],
    modules: list[str],
    classes: list[tuple[str, str]],
    rebinding_reads: bool = True,
) -> bool:
    """Whether code outside the source (`modules`, `classes`) may read one of `keys`.

    Any module outside the source that contains `.KEY` (an attribute read such
    as `settings.KEY` or `celeryconfig.KEY`, also inside a function) counts. So
    does one that imports `KEY` from the source or from anything unresolved, or
    star-imports the source and mentions `KEY`; `other.KEY` of another project
    module or class does not. Without `rebinding_reads`, a module that star-imports
    the source and mentions `KEY` only as the target of its own assignments does not
    either (a rename must change those too; whether the key is read, not).
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
            if refs.stars.get(module, set()) & inside and (
                rebinding_reads or not _only_assigns(project, module, key)
            ):
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


def _only_assigns(project: Project, module: str, key: str) -> bool:
    """Whether every mention of `key` in the module's text (comments and strings too) is
    the target of a plain assignment its facts record: it sets the key, reads nothing."""
    facts = project.modules.facts(module)
    path = project.modules.paths.get(module)
    if facts is None or path is None:
        return False
    targets = {
        (event.target_span.line, event.target_span.col)
        for event in facts.events
        if type(event) is Assign and event.name == key and event.target_span is not None
    }
    data = project.read(path)
    if data is None:
        return False
    try:
        text = decode(data)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return False
    word = re.compile(rf"\b{re.escape(key)}\b")
    return bool(targets) and all(
        (line, match.start()) in targets
        for line, text_line in enumerate(text.splitlines(), start=1)
        for match in word.finditer(text_line)
    )


def ask_read_elsewhere(project: Project, keys: Iterable[str]) -> None:
    """Look for what `read_elsewhere` looks for in every file, for all these keys in one
    reading of the files (a rule asks for every key it will check before checking)."""
    project.references.ask_mentioning([text for key in keys for text in ("." + key, key)])


def external(base: str, symbol: Symbol) -> bool:
    """A library's base class holds none of the project's names: the chain ends there."""
    return symbol.kind == "external"
