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
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Optional, TypeVar, cast

import msgspec

from celerylint import __version__
from celerylint.atomic import atomic_write
from celerylint.digest import content_digest, name_digest
from celerylint.facts.schema import FACTS_VERSION, FileFacts

CACHEDIR_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# celerylint cache\n"
T = TypeVar("T")

# A long-lived process (the daemon, `resident_server`) keeps what it decoded, keyed by
# the file's (inode, mtime, size): a pre-commit run decodes 2 MB of facts and records
# on saleor (10 ms) that the previous run wrote. None: a one-shot run keeps nothing.
_remembered: Optional[dict[str, tuple[tuple[int, int, int], object]]] = None
REMEMBERED_RECORDS = 24  # a project has a facts file and a few run and walk records
# Writes that such a process makes after answering, not before. None: write at once.
_deferred: Optional[list[Callable[[], None]]] = None


def keep_decoded() -> None:
    """From now on, remember decoded records (for a process that runs many checks)."""
    global _remembered
    _remembered = {}


@contextlib.contextmanager
def writes_deferred() -> Iterator[list[Callable[[], None]]]:
    """Collect the cache writes made inside, to be run (in order) by the caller later."""
    global _deferred
    collected: list[Callable[[], None]] = []
    _deferred = collected
    try:
        yield collected
    finally:
        _deferred = None


def _write(action: Callable[[], None]) -> None:
    if _deferred is None:
        action()
    else:
        _deferred.append(action)


def _identity(file: Path) -> tuple[int, int, int]:
    stat = os.stat(file)
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def read_record(file: Path, decode: Callable[[bytes], T]) -> T:
    """A cache file decoded (OSError, msgspec.DecodeError: not there, not one); the
    same object as last time when remembered and the file was not replaced since."""
    if _remembered is None:
        with open(file, "rb") as handle:
            return decode(handle.read())
    identity = _identity(file)
    known = _remembered.pop(str(file), None)
    if known is not None and known[0] == identity:
        _remembered[str(file)] = known  # the most recently used last
        return cast(T, known[1])
    with open(file, "rb") as handle:
        value = decode(handle.read())
    _keep(file, identity, value)
    return value


def _remember(file: Path, value: object) -> None:
    """`value` is what `file`, just written, decodes to."""
    if _remembered is not None:
        with contextlib.suppress(OSError):
            _keep(file, _identity(file), value)


def _keep(file: Path, identity: tuple[int, int, int], value: object) -> None:
    assert _remembered is not None
    _remembered.pop(str(file), None)
    _remembered[str(file)] = (identity, value)
    # The facts of a big tree are tens of MB: only the records of a few projects stay.
    while len(_remembered) > REMEMBERED_RECORDS:
        forgotten = next(iter(_remembered))
        del _remembered[forgotten]
        _decoded_facts.pop(forgotten, None)


# In a process that remembers records: the facts decoded from each facts file's entries,
# which the caches of all its checks share (an entry of the remembered record is the
# same object from check to check, and decodes to the same facts).
_decoded_facts: dict[str, dict[str, tuple[CacheEntry, FileFacts]]] = {}


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
    # The facts as JSON, `null` where the prefilter said the file cannot matter. Decoded
    # only when asked (`FactsCache.facts`): a run that only checks whether a few changed
    # files kept their facts (`reuse`) decodes none, nor builds their decoder (4 ms).
    facts: msgspec.Raw


class CacheFile(msgspec.Struct, frozen=True):
    entries: dict[str, CacheEntry]


NO_FACTS = msgspec.Raw(b"null")


def record_json(record: object) -> Optional[bytes]:
    """A record as JSON; None when a path in it is a file name that is not UTF-8 (JSON
    has no way to say it that msgspec reads back): such a record is not kept."""
    try:
        return msgspec.json.encode(record)
    except UnicodeEncodeError:
        return None


def facts_json(facts: FileFacts) -> Optional[msgspec.Raw]:
    """The facts as an entry holds them; None when they cannot be written as JSON (names
    from a file name that is not UTF-8)."""
    data = record_json(facts)
    return msgspec.Raw(data) if data is not None else None


def facts_digest(facts: FileFacts, encoded: Optional[msgspec.Raw] = None) -> str:
    """Equal digests, equal facts (`reuse` compares a record's with a file's now): of their
    JSON (`encoded`: known already), or of their repr where they have none."""
    if encoded is None:
        encoded = facts_json(facts)
    if encoded is None:
        return content_digest(repr(facts).encode("utf-8", "surrogatepass"))
    return content_digest(encoded)


def new_entry(
    key: tuple[int, int], digest: str, module: str, is_package: bool, facts: Optional[FileFacts]
) -> Optional[CacheEntry]:
    """An entry for a file stat'ed as `key` (mtime_ns, size); None when its facts cannot be
    written as JSON (not cached)."""
    raw = NO_FACTS if facts is None else facts_json(facts)
    if raw is None:
        return None
    return CacheEntry(key[0], key[1], digest, module, is_package, raw)


@functools.cache
def _decoder() -> msgspec.json.Decoder[CacheFile]:
    return msgspec.json.Decoder(CacheFile)


@functools.cache
def _facts_decoder() -> msgspec.json.Decoder[FileFacts]:
    """Built when first needed: analysing the facts' types costs 4 ms."""
    return msgspec.json.Decoder(FileFacts)


def _encode(cache: CacheFile) -> bytes:
    """The cache file; an entry of a file whose name is not UTF-8 is left out."""
    data = record_json(cache)
    if data is not None:
        return data
    return msgspec.json.encode(
        CacheFile({path: e for path, e in cache.entries.items() if _encodable(path)})
    )


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def facts_file(directory: Path, key: str) -> Path:
    """The file a `FactsCache(directory, key)` is kept in."""
    return directory / f"facts-{key}.json"


class FactsCache:
    """Per-path entries, loaded from and saved to one JSON file."""

    def __init__(self, directory: Optional[Path], key: str) -> None:
        self.directory = directory
        self.key = key
        self.file = facts_file(directory, key) if directory else None
        self.entries: dict[str, CacheEntry] = {}
        # The facts decoded so far, with the entry they were decoded from.
        self._decoded: dict[str, tuple[CacheEntry, FileFacts]] = {}
        if _remembered is not None and self.file is not None:
            self._decoded = _decoded_facts.setdefault(str(self.file), {})
        self.dirty = False
        if self.file is not None:
            self._load()

    def same_as(self, directory: Optional[Path], key: str) -> bool:
        """This cache is the one `FactsCache(directory, key)` would load."""
        return self.directory == directory and self.key == key

    def _load(self) -> None:
        assert self.file is not None
        try:
            entries = read_record(self.file, _decoder().decode).entries
        except (OSError, msgspec.DecodeError):
            return
        # A new dict: `store` changes it, a remembered record must not change.
        self.entries = dict(entries)

    def lookup(self, path: str, key: tuple[int, int]) -> Optional[CacheEntry]:
        """The entry, if the file's (mtime_ns, size) is the one it was made with."""
        entry = self.entries.get(path)
        if entry and (entry.mtime_ns, entry.size) == key:
            return entry
        return None

    def facts(self, path: str) -> Optional[FileFacts]:
        """The facts of `path`'s entry (None: the file cannot matter).

        KeyError when there is no entry, or one whose facts are not this version's
        (a hand-edited file: other versions have other file names); that entry is
        dropped, never trusted in part."""
        entry = self.entries[path]
        if entry.facts == NO_FACTS:
            return None  # most files: nothing to decode or remember
        known = self._decoded.get(path)
        if known is not None and known[0] is entry:
            return known[1]
        try:
            facts: Optional[FileFacts] = _facts_decoder().decode(entry.facts)
        except msgspec.DecodeError:
            facts = None
        if facts is None or facts.version != FACTS_VERSION:
            del self.entries[path]
            self.dirty = True
            raise KeyError(path)
        self._decoded[path] = (entry, facts)
        return facts

    def usable(self, path: str) -> bool:
        """`path` has an entry whose facts decode (`facts`)."""
        try:
            self.facts(path)
        except KeyError:
            return False
        return True

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
        _write(functools.partial(self._save, self.file, self.directory, CacheFile(self.entries)))

    def _save(self, file: Path, directory: Path, cache: CacheFile) -> None:
        try:
            prepare_directory(directory)
            atomic_write(file, _encode(cache))
            _remember(file, cache)
            self._remove_others()
        except OSError:
            # A read-only checkout still gets linted; it just stays cold.
            return


def save_record(
    file: Path, data: bytes, pattern: str, keep: int, decoded: Optional[object] = None
) -> None:
    """Write a record (run, walk, deployments, command) into its cache directory and
    keep the `keep` newest matching `pattern`; a read-only checkout keeps none (the
    next run computes again). `decoded`: what `data` decodes to (`read_record`)."""

    def save() -> None:
        with contextlib.suppress(OSError):
            prepare_directory(file.parent)
            atomic_write(file, data)
            if decoded is not None:
                _remember(file, decoded)
            keep_newest(file.parent, pattern, keep)

    _write(save)


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
