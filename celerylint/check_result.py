"""What a check gives: the findings and counts, as the CLI, the fixer and the server read them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import msgspec

if TYPE_CHECKING:
    from celerylint.diagnostics import Diagnostic
    from celerylint.model.project import Project
    from celerylint.replay import Reusable
    from celerylint.sources.watch import Watched
    from celerylint.store import FactStore


class CheckResult(msgspec.Struct):
    # What is reported, sorted.
    diagnostics: list[Diagnostic]
    files_checked: int = 0
    files_parsed: int = 0
    prefiltered_out: int = 0
    # Files and directories that could not be read, as "path: reason".
    errors: list[str] = msgspec.field(default_factory=list)
    # The model the rules ran on (for `describe`); None when the run was replayed.
    project: Optional[Project] = None
    # The facts it was built from (None when replayed), for a check of the same files
    # with other texts (`pipeline.run(previous=...)`).
    store: Optional[FactStore] = None
    # Every path the result depends on, with its (mtime, size), when the run was
    # recorded or replayed (the CLI records the command's output with them).
    watched: Optional[list[Watched]] = None
    # With `watched`, when the run was computed or reused: what the command's record
    # needs to be reused after its sources change (`command_reuse`).
    reusable: Optional[Reusable] = None
