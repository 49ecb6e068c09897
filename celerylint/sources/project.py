"""The sources stage of a check: every file of the project, named, and the scope.

The model is always built from the whole project root, so that a task module
given alone still sees the app and settings that configure it; the paths
given only decide which findings are reported (`scope`). A file given outside
the root, or one the walk skipped (excluded, ignored), is added to the files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Optional

import msgspec

from celerylint.config import Config
from celerylint.sources.discover import Discovery, discover
from celerylint.sources.modules import Naming, SourceFile, canonical_modules
from celerylint.sources.watch import StatKey


class ProjectSources(msgspec.Struct):
    # Every Python file, under a module key unique in the project.
    files: list[SourceFile]
    # Module key -> its source root, relative to the project root.
    roots: dict[str, str]
    # Other importable names that stand for a key: `celery` for `proj.celery`, and
    # `shop.orders` for `orders` in a checkout `shop/` with an `__init__.py`.
    aliases: dict[str, str]
    # Procfiles, compose files, Dockerfiles, scripts: where worker command lines live.
    deployment_files: list[str]
    # The paths given, absolute and normalised (no `..`): findings are reported only under these.
    scope: list[str]
    # What could not be read, as (path, reason).
    errors: list[tuple[Path, str]]
    # What discovery's outcome depends on, with (mtime, size) before reading (`Discovery.watched`).
    watched: list[tuple[str, StatKey]]


def gather_sources(
    paths: Sequence[Path],
    config: Config,
    watch: bool = False,
    found: Optional[Callable[[str], None]] = None,
) -> ProjectSources:
    """The project's files and the scope; `watch`: also what a replay must check (`watched`).
    `found`: told each file the walk finds, as it does (`prescan`; a remembered walk
    finds none)."""
    naming: Optional[Naming] = None
    if watch:
        from celerylint.sources.walk_memory import remembered_walk

        discovery, naming = remembered_walk(config, found)
    else:
        discovery = discover([config.root], config, found=found)
    # Normalised as discovery names files, or `proj/../proj` would contain nothing.
    scope = [os.path.abspath(p) for p in paths]
    added = _add_given_files(discovery, scope, config, watch)
    if naming is None or added:
        naming = canonical_modules(discovery.files, config.root, discovery.checkout_packages)
    files, roots, aliases = naming
    return ProjectSources(
        files=files,
        roots=roots,
        aliases=aliases,
        deployment_files=discovery.deployment_files,
        scope=scope,
        errors=[*discovery.errors, *_empty_directories(scope, files)],
        watched=discovery.watched,
    )


def _empty_directories(scope: list[str], files: list[SourceFile]) -> list[tuple[Path, str]]:
    """Directories given that hold no Python file to check: said, not silently passed."""
    paths = [f.path for f in files]
    return [
        (Path(given), "no Python files found (none present, or all excluded)")
        for given in scope
        if os.path.isdir(given) and not any(is_under(path, given) for path in paths)
    ]


def _add_given_files(discovery: Discovery, scope: list[str], config: Config, watch: bool) -> bool:
    """Paths outside the root, and files given by name that the walk skipped
    (excluded or ignored) unless `force_exclude` says the walk decides for them too;
    whether there were any."""
    known = {f.path for f in discovery.files}
    root = str(config.root)
    extra = [
        p
        for p in scope
        if not is_under(p, root)
        or (not config.force_exclude and os.path.isfile(p) and p not in known)
    ]
    if extra:
        explicit = discover([Path(p) for p in extra], config, watch)
        discovery.files.extend(f for f in explicit.files if f.path not in known)
        discovery.errors.extend(explicit.errors)
        discovery.watched.extend(explicit.watched)
    return bool(extra)


def is_under(path: str, root: str) -> bool:
    """Whether `path` is `root` or inside it; both absolute and normalised (`os.path.abspath`)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
