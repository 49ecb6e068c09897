"""A content-addressed cache of per-file facts in `.celerylint_cache/`.

One JSON file per configuration fingerprint. Entries are keyed by path and
validated by (mtime, size) first — so a warm run only stats files — and by
content hash when the stat changed. JSON, not pickle: the cache directory
lives inside the repository being linted, and loading it must never run code.
It is decoded into the typed facts (`facts.schema`) by msgspec; a file that
does not decode into them (corrupt, or written by another version) is
discarded whole, never trusted in part.
Writes go to a temporary file renamed into place, so concurrent runs never see
a half-written cache (the last writer wins; both results are valid).
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import Optional

import msgspec

from celerylint import __version__
from celerylint.atomic import atomic_write
from celerylint.digest import name_digest
from celerylint.facts.schema import FACTS_VERSION, FileFacts

CACHEDIR_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# celerylint cache\n"


def fingerprint(*parts: object) -> str:
    """A short name for a record of `parts`, new with each celerylint and facts version."""
    return name_digest((__version__, FACTS_VERSION, *parts))


class CacheEntry(msgspec.Struct, frozen=True, array_like=True):
    """What is known of one file, valid while its (mtime, size) or content are the same."""

    mtime_ns: int
    size: int
    digest: str  # of the content (digest.content_digest)
    module: str
    is_package: bool
    facts: Optional[FileFacts]  # None: the prefilter said the file cannot matter


class CacheFile(msgspec.Struct, frozen=True):
    entries: dict[str, CacheEntry]


@functools.cache
def _decoder() -> msgspec.json.Decoder[CacheFile]:
    """Built when first needed: analysing the facts' types costs 4 ms, which a replayed
    run (it imports this module for its directory helpers) never needs."""
    return msgspec.json.Decoder(CacheFile)


def _encode(cache: CacheFile) -> bytes:
    return msgspec.json.encode(cache)


class FactsCache:
    """Per-path entries, loaded from and saved to one JSON file."""

    def __init__(self, directory: Optional[Path], key: str) -> None:
        self.directory = directory
        self.key = key
        self.file = directory / f"facts-{key}.json" if directory else None
        self.entries: dict[str, CacheEntry] = {}
        self.dirty = False
        if self.file is not None:
            self._load()

    def same_as(self, directory: Optional[Path], key: str) -> bool:
        """This cache is the one `FactsCache(directory, key)` would load."""
        return self.directory == directory and self.key == key

    def _load(self) -> None:
        assert self.file is not None
        try:
            with open(self.file, "rb") as handle:
                data = handle.read()
            self.entries = _decoder().decode(data).entries
        except (OSError, msgspec.DecodeError):
            return
        # Entries of other facts versions cannot share the file name (the version is
        # in the fingerprint), but a hand-edited file could hold them: drop those.
        self.entries = {
            path: entry
            for path, entry in self.entries.items()
            if entry.facts is None or entry.facts.version == FACTS_VERSION
        }

    def lookup(self, path: str, key: tuple[int, int]) -> Optional[CacheEntry]:
        """The entry, if the file's (mtime_ns, size) is the one it was made with."""
        entry = self.entries.get(path)
        if entry and (entry.mtime_ns, entry.size) == key:
            return entry
        return None

    def store(self, path: str, entry: CacheEntry) -> None:
        if self.entries.get(path) != entry:
            self.entries[path] = entry
            self.dirty = True

    def prune(self, live: set[str]) -> None:
        stale = [path for path in self.entries if path not in live]
        for path in stale:
            del self.entries[path]
        self.dirty = self.dirty or bool(stale)

    def _remove_others(self) -> None:
        """Caches of other celerylint versions or configurations: never read again."""
        assert self.directory is not None
        for other in self.directory.glob("facts-*.json"):
            if other != self.file:
                with contextlib.suppress(OSError):
                    other.unlink()

    def save(self) -> None:
        if self.file is None or self.directory is None or not self.dirty:
            return
        try:
            prepare_directory(self.directory)
            atomic_write(self.file, _encode(CacheFile(self.entries)))
            self._remove_others()
        except OSError:
            # A read-only checkout still gets linted; it just stays cold.
            return


def save_record(file: Path, data: bytes, pattern: str, keep: int) -> None:
    """Write a record (run, walk, deployments, command) into its cache directory and
    keep the `keep` newest matching `pattern`; a read-only checkout keeps none (the
    next run computes again)."""
    with contextlib.suppress(OSError):
        prepare_directory(file.parent)
        atomic_write(file, data)
        keep_newest(file.parent, pattern, keep)


def keep_newest(directory: Path, pattern: str, keep: int) -> None:
    """Remove all but the `keep` newest files matching `pattern` (records of other questions)."""
    records = []
    for path in directory.glob(pattern):
        with contextlib.suppress(OSError):
            records.append((path.stat().st_mtime_ns, path))
    for _, path in sorted(records, reverse=True)[keep:]:
        with contextlib.suppress(OSError):
            path.unlink()


def prepare_directory(directory: Path) -> None:
    """Create the cache directory, tagged so that backups and git leave it alone."""
    directory.mkdir(parents=True, exist_ok=True)
    tag = directory / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(CACHEDIR_TAG, encoding="utf-8")
    gitignore = directory / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n", encoding="utf-8")
