"""Edits renaming setting keys in one configuration source (the fixes of CL901-CL903).

Renames are computed on parsed code: the spans of assignment targets,
attribute names, keywords and plain string keys, plus the module-level names
that refer to a renamed setting. Comments and other strings are never
touched.
"""

from __future__ import annotations

from typing import Any, Optional

from celerylint.diagnostics import Edit
from celerylint.facts.values import Node
from celerylint.fixes.edits import replace
from celerylint.model.project import Project
from celerylint.rules._setting_references import (
    external,
    read_elsewhere,
    references,
    scan,
    star_chain,
)
from celerylint.rules._settings_sources import SettingsSource


def rename_edits(
    project: Project,
    source: SettingsSource,
    renames: dict[str, str],
    *,
    allow_existing: bool = False,
) -> Optional[list[Edit]]:
    """Edits renaming every key of `renames` in one source, or None when not provable.

    Every binding of a renamed key is renamed (also those shadowed in a
    star-imported module), with the module-level names that refer to it; a key
    bound in a way that has no renamable span, or read from code outside the
    source, blocks the whole rename.
    """
    if not renames:
        return None
    layer = source.layer
    if layer.open_ended:
        return None
    for new in renames.values():
        if not allow_existing and (new in layer.entries or new in source.extra):
            return None
    edits: dict[tuple[str, tuple[int, ...]], Edit] = {}

    def add(path: str, span: Optional[list[int]], text: str) -> bool:
        if span is None:
            return False
        edits.setdefault((path, tuple(span)), replace(path, span, text))
        return True

    if source.kind == "changes":
        if not _changes_edits(project, source, renames, add):
            return None
    elif source.kind == "class":
        if not _class_edits(project, source, renames, add):
            return None
    elif not _module_edits(project, source, renames, add):
        return None
    for old in renames:
        entry = layer.entries.get(old) or source.extra.get(old)
        if entry is None or not add(entry.path, entry.key_span, renames[old]):
            return None
    return [edits[key] for key in sorted(edits)]


def _module_edits(
    project: Project, source: SettingsSource, renames: dict[str, str], add: Any
) -> bool:
    if source.module is None:
        return False
    refs = references(project)
    chain = star_chain(project, refs, source.module)
    if read_elsewhere(project, refs, renames, chain, []):
        return False  # imported or read as an attribute somewhere else
    for module in chain:
        facts = project.modules.facts(module) or {}
        path = project.modules.paths[module]
        for event in facts.get("events", ()):
            if event[0] == "mutate" and event[1] in renames:
                return False
            if event[0] == "assign" and event[1] in renames:
                span = event[4] if len(event) > 4 else None
                if not add(path, span, renames[event[1]]):
                    return False
        for key, spans in refs.names.get(module, {}).items():
            if key in renames:
                for span in spans:
                    if not add(path, span, renames[key]):
                        return False
    return True


def _class_edits(
    project: Project, source: SettingsSource, renames: dict[str, str], add: Any
) -> bool:
    chain = project.modules.class_chain(*source.cls, stop=external) if source.cls else None
    if chain is None:
        return False
    refs = references(project)
    if read_elsewhere(project, refs, renames, [], [(module, name) for module, name, _ in chain]):
        return False
    for module, _name, cls in chain:
        scan(project, refs, module)
        if any(key in refs.names.get(module, {}) for key in renames):
            return False  # a class body cannot be told from module code here
        if any(key in cls.get("methods", {}) for key in renames):
            return False
        path = project.modules.paths[module]
        for key, span in cls.get("attr_spans", {}).items():
            if key in renames and not add(path, span, renames[key]):
                return False
    return True


def _changes_edits(
    project: Project, source: SettingsSource, renames: dict[str, str], add: Any
) -> bool:
    """Every app.conf write of a renamed key, also those overwritten later."""
    app = source.app
    for module in project.relevant:
        facts = project.modules.facts(module) or {}
        path = project.modules.paths[module]
        for op in facts.get("conf_ops", ()):
            if _app_key(project, op.get("recv"), module) != app.key:
                continue
            kind = op.get("kind")
            key = op.get("key")
            if kind == "unset" and key in renames:
                return False  # app.conf.KEY.update(...) reads the old name
            if kind == "set" and key in renames and not add(path, op.get("key_span"), renames[key]):
                return False
            if kind == "update":
                spans = op.get("keys", {})
                for item in op.get("items", {}):
                    if item in renames and not add(path, spans.get(item), renames[item]):
                        return False
                for mapping in op.get("maps", ()):
                    if not _map_edits(mapping, path, renames, add):
                        return False
    return True


def _map_edits(node: Node, path: str, renames: dict[str, str], add: Any) -> bool:
    if node[0] != "map":
        return True  # followed by the model; its keys are the layer's entries
    for key_node, _value in node[2]:
        renamed = key_node[0] == "c" and key_node[2] in renames
        if renamed and not add(path, _inner_string_span(key_node), renames[key_node[2]]):
            return False
    return True


def _inner_string_span(node: Node) -> Optional[list[int]]:
    span = node[1]
    text = node[2]
    if span is None or span[0] != span[2] or span[3] - span[1] != len(text) + 2:
        return None
    return [span[0], span[1] + 1, span[2], span[3] - 1]


def _app_key(project: Project, receiver: Optional[str], near: str) -> Optional[str]:
    if not receiver:
        return None
    symbol = project.modules.resolve(receiver, near)
    if symbol.kind == "binding" and not symbol.rest:
        return f"{symbol.module}:{symbol.name}"
    return None
