"""A recorded command whose sources changed but kept their facts, answered like an
unchanged one (`command_replay`), before the CLI is imported.

`reuse` answers the same question inside a check: after argument parsing, the
configuration and the remembered walk, which a pre-commit run on saleor spent about
30 of its 120 ms on (imports included). None of it is needed to tell that an edited
file kept its facts: the command's record holds, on a line of its own
(`replay.Reusable`), what `reuse` reads from them. Nothing else may have changed:
the directories discovery scanned (no file added or removed), the configuration,
the deployment files and celerylint's own code are all in the record's `watched`
after the sources, and must be as they were.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import msgspec

from celerylint.config import Config
from celerylint.replay import Reusable
from celerylint.report.lines import shown_digest
from celerylint.sources.modules import SourceFile
from celerylint.sources.places import PathsOfTests
from celerylint.sources.watch import Watched, differences
from celerylint.store import FactStore

_DECODER = msgspec.json.Decoder(Reusable)


def refreshed(watched: list[Any], raw: bytes) -> Optional[list[Watched]]:
    """`watched` (a record's, as decoded) as it is now, if only Python files changed
    since and each kept its facts and its answers to the record's questions; None
    when the command must run (or `raw` is not what the record's line should be)."""
    try:
        reusable = _DECODER.decode(raw)
    except msgspec.DecodeError:
        return None
    now = list(watched)
    changed: list[SourceFile] = []
    for index, entry in differences(watched):
        if index >= len(reusable.sources):
            return None  # not a Python file: a directory, a deployment, the configuration
        path, module, is_package = reusable.sources[index]
        if path != entry[0] or watched[index][1] == -1 or entry[1] == -1 or path in reusable.fixed:
            return None  # a file added or removed; a fix measured on the old text
        rows, digest = reusable.shown.get(path, ([], ""))
        if rows and shown_digest(path, rows) != digest:
            return None  # the text the report showed (a code frame, a fingerprint)
        now[index] = entry
        changed.append(SourceFile(path, module, is_package))
    if not changed:
        return None
    # Facts depend on the configuration only through the task decorators (`cache_key`).
    config = Config(Path(reusable.tests_root), None, task_decorators=reusable.task_decorators)
    store = FactStore(changed, config, False, tests=PathsOfTests.below(reusable.tests_root))
    if not store.as_recorded({f.path for f in changed}, reusable.facts, reusable.mentioned):
        return None
    return now
