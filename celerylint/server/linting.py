"""The project as the server knows it: its configuration and the latest check.

One check covers the whole project (the model needs every file: a settings
module changes findings in task modules), with the open buffers overlaid on
the disk. The latest result is kept (one at a time: memory stays bounded) for
code actions, hover and definition.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from celerylint import api
from celerylint.config import Config, ConfigError, load_config
from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.selection import SelectionError, selected_codes, validate_config
from celerylint.sources.project import ProjectSources, gather_sources


@dataclass
class Snapshot:
    """One check's findings by file, and the model they came from."""

    by_path: dict[str, list[Diagnostic]] = field(default_factory=dict)
    project: Optional[Project] = None
    seconds: float = 0.0


class Linter:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = Config(root=root, config_file=None)
        self.selected: frozenset[str] = frozenset()
        self.latest = Snapshot()
        # The project's files, walked once: a keystroke does not walk the tree again.
        self._sources: Optional[ProjectSources] = None
        # The configuration's problem, for the editor to show (None: it loaded).
        self.config_problem: Optional[str] = None
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
        self.selected = selected_codes(config.select, config.ignore, config.extend_select)
        self._sources = None

    def forget_files(self) -> None:
        """Files were created, deleted or saved: walk the project again at the next check."""
        self._sources = None

    def check(self, overlay: dict[str, bytes]) -> Snapshot:
        started = time.perf_counter()
        sources = self._sources
        if sources is None or not set(overlay) <= {f.path for f in sources.files}:
            # First check, files changed, or a buffer of a file the walk has not seen.
            sources = self._sources = gather_sources([self.config.root], self.config)
        result = api.check_sources(
            sources, self.config, selected=self.selected.__contains__, overlay=overlay
        )
        by_path: dict[str, list[Diagnostic]] = defaultdict(list)
        for found in result.diagnostics:
            by_path[found.path].append(found)
        self.latest = Snapshot(dict(by_path), result.project, time.perf_counter() - started)
        return self.latest
