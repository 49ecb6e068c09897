"""The project walk, remembered: while no directory it scanned and no ignore file it
read has changed, the next run takes the file list instead of walking the tree.

A directory's mtime changes when an entry is added, removed or renamed in it,
which is all a walk depends on besides the ignore files and the configuration
(both part of the record: its name hashes the configuration, and the walk's
`watched` list holds every directory scanned and every ignore file consulted,
with the `.git` and `__init__.py` above the root). On saleor (4,300 files,
500 directories) the walk costs about 0.07 s; checking the record about 2 ms.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Optional

import msgspec

from celerylint.cache import (
    fingerprint,
    prepare_directory,
    read_record,
    record_json,
    save_record,
)
from celerylint.config import Config
from celerylint.sources.discover import Discovery, discover
from celerylint.sources.modules import Naming, SourceFile, canonical_modules
from celerylint.sources.namespace_roots import evidence_of
from celerylint.sources.watch import Watched, known_keys, stat_key, unchanged, watch_known

# Walks kept per cache directory (one per configuration: `--select` and the like
# change it, so a few are kept).
KEEP = 4


class _Walk(msgspec.Struct, frozen=True, array_like=True):
    files: list[tuple[str, str, bool]]  # (path, module, is_package)
    errors: list[tuple[str, str]]
    deployment_files: list[str]
    watched: list[Watched]
    checkout_packages: dict[str, str]
    # `canonical_modules` of `files` (3 ms on saleor): each file's key, and the source
    # root of each as an index into `root_names` (one string per root).
    keys: list[str]
    key_roots: list[int]
    root_names: list[str]
    aliases: dict[str, str]
    evidence: list[tuple[str, int, int, str]]


_DECODER = msgspec.json.Decoder(_Walk)


def _record_file(config: Config) -> Path:
    return config.effective_cache_dir / f"walk-{fingerprint(config)}.json"


def remembered_walk(
    config: Config, found: Optional[Callable[[str], None]] = None
) -> tuple[Discovery, Naming]:
    """`discover([config.root], config, watch=True)` and the naming of its files
    (`canonical_modules`), from the record while it holds. `found`: as for `discover`,
    told the files of a walk (a remembered one is not walked)."""
    record_file = _record_file(config)
    known = _load(record_file, config.root)
    if known is not None:
        return known
    # Before the walk: creating the cache directory inside the root changes the
    # root's mtime, and a record made before that would never hold.
    with contextlib.suppress(OSError):  # a read-only checkout walks every time
        prepare_directory(record_file.parent)
    discovery = discover([config.root], config, watch=True, found=found)
    naming = canonical_modules(discovery.files, config.root, discovery.checkout_packages)
    keyed, roots, aliases = naming
    root_names = sorted(set(roots.values()))
    index = {name: number for number, name in enumerate(root_names)}
    record = _Walk(
        [(f.path, f.module, f.is_package) for f in discovery.files],
        [(str(path), message) for path, message in discovery.errors],
        discovery.deployment_files,
        watch_known(discovery.watched),
        discovery.checkout_packages,
        [f.module for f in keyed],
        [index[roots[f.module]] for f in keyed],
        root_names,
        aliases,
        discovery.evidence,
    )
    data = record_json(record)
    if data is not None:  # else walked every time
        save_record(record_file, data, "walk-*.json", KEEP, record)
    return discovery, naming


def _load(record_file: Path, root: Path) -> Optional[tuple[Discovery, Naming]]:
    try:
        record = read_record(record_file, _DECODER.decode)
    except (OSError, msgspec.DecodeError):
        return None
    if not any(path == str(root) for path, _, _ in record.watched) or not unchanged(record.watched):
        return None  # not a walk of this root (hand-made), or the tree changed
    if not _same_evidence(record.evidence):
        return None  # a file the names were decided by imports otherwise now
    names, indexes = record.root_names, record.key_roots
    if not (len(record.keys) == len(indexes) == len(record.files)) or not all(
        0 <= i < len(names) for i in indexes
    ):
        return None  # hand-made
    roots = {key: names[i] for key, i in zip(record.keys, indexes, strict=True)}
    discovery = Discovery(
        files=[SourceFile(path, module, package) for path, module, package in record.files],
        errors=[(Path(path), message) for path, message in record.errors],
        deployment_files=record.deployment_files,
        watched=known_keys(record.watched),
        checkout_packages=record.checkout_packages,
        evidence=record.evidence,
    )
    keyed = [
        SourceFile(path, key, package)
        for (path, _module, package), key in zip(record.files, record.keys, strict=True)
    ]
    return discovery, (keyed, roots, record.aliases)


def _same_evidence(evidence: list[tuple[str, int, int, str]]) -> bool:
    """Whether each file read to name a package below namespace directories is as it was,
    or imports what it imported: an edit of such a package's module (pre-commit's) does
    not walk the tree again."""
    changed = [
        (path, digest) for path, mtime, size, digest in evidence if stat_key(path) != (mtime, size)
    ]
    return all(evidence_of(path) == digest for path, digest in changed)
