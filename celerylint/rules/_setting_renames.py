"""Edits renaming setting keys in one configuration source (the fixes of CL901-CL903).

Renames are computed on parsed code: the spans of assignment targets,
attribute names, keywords and plain string keys, plus the module-level names
that refer to a renamed setting. Comments and other strings are never
touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Optional

import msgspec

from celerylint.diagnostics import Applicability, Diagnostic, Edit, Fix
from celerylint.facts.schema import (
    Assign,
    ConfSet,
    ConfSetDefault,
    ConfUnset,
    ConfUpdate,
    Const,
    Map,
    Mutate,
    Node,
    Span,
)
from celerylint.fixes.edits import make_fix, replace
from celerylint.model.project import Project
from celerylint.model.settings import inner_string_span
from celerylint.rules._setting_references import ask_read_elsewhere, external, read_elsewhere
from celerylint.rules._settings_sources import SettingsSource

# Records one rename edit; False when the name has no renamable span.
AddEdit = Callable[[str, Optional[Span], str], bool]


class Rename(msgspec.Struct, eq=False):
    """A rename fix a rule offers, built after the rule has found everything
    (`with_renames`): whether other code reads a key takes reading every file,
    done then once for the keys of all the rule's renames."""

    title: str
    source: SettingsSource
    renames: dict[str, str]
    allow_existing: bool = False


# A finding (None: one reported already) and the rename fix it offers, if any.
Found = tuple[Optional[Diagnostic], Optional[Rename]]


def with_renames(project: Project, found: list[Found]) -> Iterator[Diagnostic]:
    """The findings with their rename fixes.

    The fixes are built in the order the rule asked for them, also those of
    findings reported already: a rename indexes the name references of the
    modules it looks at (`project.references`), and what is indexed decides
    later answers.
    """
    ask_read_elsewhere(
        project,
        [
            key
            for _diagnostic, rename in found
            if rename is not None and _reads_elsewhere(rename)
            for key in rename.renames
        ],
    )
    fixes: dict[Rename, Optional[Fix]] = {}
    for diagnostic, rename in found:
        if rename is not None and rename not in fixes:
            edits = rename_edits(
                project, rename.source, rename.renames, allow_existing=rename.allow_existing
            )
            fixes[rename] = make_fix(rename.title, Applicability.UNSAFE, edits) if edits else None
        fix = fixes[rename] if rename is not None else None
        if diagnostic is not None:
            yield msgspec.structs.replace(diagnostic, fix=fix) if fix is not None else diagnostic


def _renamable(source: SettingsSource, renames: dict[str, str], allow_existing: bool) -> bool:
    """Whether renaming may be provable at all: keys to rename, a layer whose keys are
    all seen, and (unless allowed) no new name already set."""
    if not renames or source.layer.open_ended:
        return False
    return allow_existing or not any(
        new in source.layer.entries or new in source.extra for new in renames.values()
    )


def _reads_elsewhere(rename: Rename) -> bool:
    """Whether `rename_edits` looks for the keys in other code (`read_elsewhere`)."""
    return rename.source.kind != "changes" and _renamable(
        rename.source, rename.renames, rename.allow_existing
    )


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
    if not _renamable(source, renames, allow_existing):
        return None
    layer = source.layer
    edits: dict[tuple[str, Span], Edit] = {}

    def add(path: str, span: Optional[Span], text: str) -> bool:
        if span is None:
            return False
        edits.setdefault((path, span), replace(path, span, text))
        return True

    if source.kind == "changes":
        if not _changes_edits(project, source, renames, add):
            return None
    elif source.kind == "class":
        if not _class_edits(project, source, renames, add):
            return None
    elif source.kind == "dict":
        if not _dict_renamable(project, source, renames):
            return None
    elif not _module_edits(project, source, renames, add):
        return None
    for old in renames:
        entry = layer.entries.get(old) or source.extra.get(old)
        if entry is None or not add(entry.path, entry.key_span, renames[old]):
            return None
    return [edits[key] for key in sorted(edits)]


def _module_edits(
    project: Project, source: SettingsSource, renames: dict[str, str], add: AddEdit
) -> bool:
    if source.module is None:
        return False
    refs = project.references
    chain = refs.star_chain(source.module)
    if read_elsewhere(project, renames, chain, []):
        return False  # imported or read as an attribute somewhere else
    for module in chain:
        facts = project.modules.facts(module)
        path = project.modules.paths[module]
        for event in facts.events if facts else ():
            if isinstance(event, Mutate) and event.name in renames:
                return False
            if (
                isinstance(event, Assign)
                and event.name in renames
                and not add(path, event.target_span, renames[event.name])
            ):
                return False
        for key, spans in refs.names.get(module, {}).items():
            if key in renames:
                for span in spans:
                    if not add(path, span, renames[key]):
                        return False
    return True


def _class_edits(
    project: Project, source: SettingsSource, renames: dict[str, str], add: AddEdit
) -> bool:
    chain = project.modules.class_chain(*source.cls, stop=external) if source.cls else None
    if chain is None:
        return False
    refs = project.references
    if read_elsewhere(project, renames, [], [(module, name) for module, name, _ in chain]):
        return False
    for module, _name, cls in chain:
        refs.scan(module)
        if any(key in refs.names.get(module, {}) for key in renames):
            return False  # a class body cannot be told from module code here
        if any(key in cls.methods for key in renames):
            return False
        path = project.modules.paths[module]
        for key, span in cls.attr_spans.items():
            if key in renames and not add(path, span, renames[key]):
                return False
    return True


def _dict_renamable(project: Project, source: SettingsSource, renames: dict[str, str]) -> bool:
    """Whether renaming the keys of a config_from_object dict edits nothing but them: the
    dict is written in the call (a named dict may be read as `CONFIG["KEY"]`), and no
    code reads the keys as attributes (`settings.KEY`) or imports them."""
    return source.app.source.inline and not read_elsewhere(project, renames, [], [])


def _changes_edits(
    project: Project, source: SettingsSource, renames: dict[str, str], add: AddEdit
) -> bool:
    """Every app.conf write of a renamed key, also those overwritten later."""
    app = source.app
    for module in project.relevant:
        facts = project.modules.facts(module)
        path = project.modules.paths[module]
        for op in facts.conf_ops if facts else ():
            if _app_key(project, op.receiver, module) != app.key:
                continue
            if isinstance(op, ConfUnset) and op.key in renames:
                return False  # app.conf.KEY.update(...) reads the old name
            if (
                isinstance(op, (ConfSet, ConfSetDefault))
                and op.key in renames
                and not add(path, op.key_span, renames[op.key])
            ):
                return False
            if isinstance(op, ConfUpdate):
                for item in op.items:
                    if item in renames and not add(path, op.keyword_spans.get(item), renames[item]):
                        return False
                for mapping in op.mappings:
                    if not _map_edits(mapping, path, renames, add):
                        return False
    return True


def _map_edits(node: Node, path: str, renames: dict[str, str], add: AddEdit) -> bool:
    if not isinstance(node, Map):
        return True  # followed by the model; its keys are the layer's entries
    for key_node, _value in node.pairs:
        if not isinstance(key_node, Const) or not isinstance(key_node.value, str):
            continue
        renamed = key_node.value in renames
        if renamed and not add(path, inner_string_span(key_node), renames[key_node.value]):
            return False
    return True


def _app_key(project: Project, receiver: Optional[str], near: str) -> Optional[str]:
    if not receiver:
        return None
    symbol = project.modules.resolve(receiver, near)
    if symbol.kind == "binding" and not symbol.rest:
        return f"{symbol.module}:{symbol.name}"
    return None
