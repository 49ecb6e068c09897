"""The project as the server knows it: its configuration and the latest check.

One check covers the whole project (the model needs every file: a settings
module changes findings in task modules), with the open buffers overlaid on
the disk. What does not change between keystrokes is kept in memory: the
files found, the facts of every file and the open buffers' facts, and the
deployment files and pins (read again when their stat changes). A keystroke's
check does not even stat the project's files: after each check (once its
diagnostics are out) the files are stat'ed, and a change found there (a
checkout, a formatter) makes the next check read them again. The latest
result is kept (one at a time: memory stays bounded) for code actions, hover
and definition.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Optional

import msgspec

from celerylint import pipeline
from celerylint.config import Config, ConfigError, load_config
from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.selection import SelectionError, selected_codes, validate_config
from celerylint.sources.project import ProjectSources, gather_sources
from celerylint.sources.requirements import dependency_files
from celerylint.sources.watch import Watched, unchanged, watch
from celerylint.store import FactStore

# The files the configuration is read from (`[tool.celerylint]`).
CONFIG_FILES = ("pyproject.toml", "celerylint.toml")
# (path, mtime_ns, size) of each file, (path, -1, -1) when it is missing.
Signature = tuple[Watched, ...]


class Timings(msgspec.Struct, frozen=True):
    """Seconds each stage of one check took."""

    store: float = 0.0  # facts of every file (the open buffers extracted again)
    model: float = 0.0  # the project model
    rules: float = 0.0  # rules, scope, suppressions and fixes

    @property
    def total(self) -> float:
        return self.store + self.model + self.rules


class Snapshot(msgspec.Struct):
    """One check's findings by file, and the model they came from."""

    by_path: dict[str, list[Diagnostic]] = msgspec.field(default_factory=dict)
    project: Optional[Project] = None
    timings: Timings = Timings()


def signature(paths: list[str]) -> Signature:
    return tuple(watch(paths))


class Linter:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = Config(root=root, config_file=None)
        self.selected: frozenset[str] = frozenset()
        self.latest = Snapshot()
        # The project's files, walked once: a keystroke does not walk the tree again.
        self._sources: Optional[ProjectSources] = None
        # The files walked and the buffers open then (a buffer of a file the walk
        # cannot find, such as one deleted while open, does not make every check walk).
        self._walked: set[str] = set()
        # The last check's facts: the next check reuses them.
        self._store: Optional[FactStore] = None
        # No file changed on disk since `_store` read them (`changed_on_disk` said so).
        self._disk_unchanged = False
        # Deployment files and pins, and the stat they were read at.
        self._inputs: Optional[tuple[Signature, pipeline.ProjectInputs]] = None
        # The configuration's problem, for the editor to show (None: it loaded).
        self.config_problem: Optional[str] = None
        # The configuration files' stat when they were read.
        self._config_read: Signature = ()
        self.reload()

    def reload(self) -> None:
        """Read [tool.celerylint] again (pyproject.toml changed); defaults when it is broken."""
        try:
            config = load_config(None, self.root)
            validate_config(config)
            self.config_problem = None
        except (ConfigError, SelectionError) as exc:
            config = Config(root=self.root, config_file=None)
            self.config_problem = f"celerylint: {exc} (using the defaults)"
        self.config = config
        # Which files those are is known once it is read (the root may be a parent).
        self._config_read = signature(self._config_files())
        self.selected = selected_codes(config.select, config.ignore, config.extend_select)
        self._sources = None
        self._store = None
        self._inputs = None

    def forget_files(self) -> None:
        """Files were created, deleted or saved: walk the project again at the next check."""
        self._sources = None
        self._disk_unchanged = False

    def disk_changed(self) -> None:
        """Files changed on disk (the editor says so): stat them at the next check."""
        self._disk_unchanged = False

    def changed_on_disk(self) -> bool:
        """Some file the last check read changed on disk since (to call after publishing):
        then the next check stats every file again. The configuration is read again if
        it changed (editors that do not watch files for the server, or do not send the
        save of a `pyproject.toml` they have no Python server attached to)."""
        if signature(self._config_files()) != self._config_read:
            self.reload()
            return True
        store = self._store
        self._disk_unchanged = store is not None and not store.changed_on_disk()
        return store is not None and not self._disk_unchanged

    def check(self, overlay: dict[str, bytes]) -> Snapshot:
        started = time.perf_counter()
        sources = self._sources
        if sources is None or not self._walked.issuperset(overlay):
            # First check, files changed, or a buffer of a file the walk has not seen.
            sources = self._sources = gather_sources([self.config.root], self.config)
            self._walked = {f.path for f in sources.files} | set(overlay)
        store = self._store = pipeline.load_facts(
            sources,
            self.config,
            True,
            overlay,
            previous=self._store,
            disk_unchanged=self._disk_unchanged,
        )
        loaded = time.perf_counter()
        project = pipeline.build_project(store, sources, self.config, self._project_inputs(sources))
        built = time.perf_counter()
        result = pipeline.report(project, store, sources, self.config, self.selected.__contains__)
        done = time.perf_counter()
        by_path: dict[str, list[Diagnostic]] = defaultdict(list)
        for found in result.diagnostics:
            by_path[found.path].append(found)
        timings = Timings(loaded - started, built - loaded, done - built)
        self.latest = Snapshot(dict(by_path), result.project, timings)
        return self.latest

    def _config_files(self) -> list[str]:
        places = {self.root, self.config.root}
        found = {str(place / name) for place in places for name in CONFIG_FILES}
        if self.config.config_file is not None:
            found.add(str(self.config.config_file))
        return sorted(found)

    def persist(self) -> None:
        """Write the facts cache if the last check changed it (after publishing, not before)."""
        if self._store is not None:
            self._store.cache.save()

    def _project_inputs(self, sources: ProjectSources) -> pipeline.ProjectInputs:
        """Deployment files and pins: read again only when one of them changed on disk."""
        paths = [*sources.deployment_files, *map(str, dependency_files(self.config.root))]
        now = signature(paths)
        if (
            self._inputs is None
            or self._inputs[0] != now
            or not unchanged(list(self._inputs[1].deployment.also_read))
        ):
            self._inputs = (now, pipeline.read_inputs(sources, self.config))
        return self._inputs[1]
