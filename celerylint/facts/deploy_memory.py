"""The deployment facts, remembered: while no deployment file changed (nor an env
file or Dockerfile they read), a check takes the facts from the record instead of
parsing every file again (saleor: 130 YAML and shell files, 5-12 ms of a
pre-commit run on a Python file).

The record's name hashes the root and the list of deployment files (a new or
removed one is another record); it watches each of them, and each file they read
(`DeploymentFacts.also_read`), with its (mtime, size) before reading.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import msgspec

from celerylint.cache import fingerprint, read_record, record_json, save_record
from celerylint.facts.deploy import read_deployments
from celerylint.facts.schema import DeploymentFacts
from celerylint.sources.watch import Watched, unchanged, watch

# Records kept per cache directory (one per set of deployment files).
KEEP = 4


class _Record(msgspec.Struct, frozen=True, array_like=True):
    watched: list[Watched]
    facts: DeploymentFacts


def _decode(data: bytes) -> _Record:
    return msgspec.json.decode(data, type=_Record)


def remembered_deployments(
    paths: list[str], root: Path, directory: Optional[Path]
) -> DeploymentFacts:
    """`read_deployments(paths, root)`, from the record in `directory` while it holds
    (no directory: no cache, read them)."""
    if directory is None:
        return read_deployments(paths, root)
    record_file = directory / f"deploy-{fingerprint(str(root), paths)}.json"
    known = _load(record_file)
    if known is not None:
        return known
    watched = watch(paths)
    facts = read_deployments(paths, root)
    record = _Record([*watched, *facts.also_read], facts)
    data = record_json(record)
    if data is not None:  # else read every time
        save_record(record_file, data, "deploy-*.json", KEEP, record)
    return facts


def _load(record_file: Path) -> Optional[DeploymentFacts]:
    try:
        record = read_record(record_file, _decode)
    except (OSError, msgspec.DecodeError):
        return None
    return record.facts if unchanged(record.watched) else None
