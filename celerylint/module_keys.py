"""Module keys: the names the project model knows each discovered file by."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from celerylint.discovery import SourceFile

# A project file must never stand in for these when resolving imports.
_SHADOWED = frozenset(
    {"celery", "kombu", "django", "billiard", "multiprocessing", "concurrent", "os", "datetime"}
)


def canonical_modules(
    files: list[SourceFile], root: Path
) -> tuple[list[SourceFile], dict[str, str], dict[str, str]]:
    """Unique module keys, aliases and source roots for the discovered files.

    `proj/celery.py` in a namespace directory is imported as `proj.celery`
    when the project root is on sys.path; calling it `celery` would shadow the
    real package (the short name stays available as an alias). Where several
    source roots define the same module name (a monorepo's services, test
    fixtures), each becomes `name@root`, resolved only from its own root.
    """
    renamed: list[SourceFile] = []
    aliases: dict[str, str] = {}
    for source in files:
        if "." in source.module or source.is_package:
            renamed.append(source)
            continue
        try:
            parts = source.path.relative_to(root).with_suffix("").parts
        except ValueError:
            renamed.append(source)
            continue
        if len(parts) > 1 and all(part.isidentifier() for part in parts):
            dotted = ".".join(parts)
            renamed.append(dataclasses.replace(source, module=dotted))
            if source.module not in _SHADOWED:
                aliases.setdefault(source.module, dotted)
        else:
            renamed.append(source)
    return (*_unique_keys(renamed, root), aliases)


def _unique_keys(files: list[SourceFile], root: Path) -> tuple[list[SourceFile], dict[str, str]]:
    def source_root(source: SourceFile) -> str:
        depth = source.module.count(".") + (1 if source.is_package else 0)
        base = source.path.parents[depth] if depth < len(source.path.parents) else root
        try:
            return base.relative_to(root).as_posix()
        except ValueError:
            return base.as_posix()

    counts: dict[str, int] = {}
    for source in files:
        counts[source.module] = counts.get(source.module, 0) + 1
    keyed: list[SourceFile] = []
    roots: dict[str, str] = {}
    for source in files:
        where = source_root(source)
        if counts[source.module] > 1:
            source = dataclasses.replace(source, module=f"{source.module}@{where}")
        keyed.append(source)
        roots[source.module] = where
    return keyed, roots
