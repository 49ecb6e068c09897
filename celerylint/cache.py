"""A content-addressed cache of per-file facts in `.celerylint_cache/`.

One JSON file per configuration fingerprint. Entries are keyed by path and
validated by (mtime, size) first — so a warm run only stats files — and by
content hash when the stat changed. JSON, not pickle: the cache directory
lives inside the repository being linted, and loading it must never run code.
Writes go to a temporary file renamed into place, so concurrent runs never see
a half-written cache (the last writer wins; both results are valid).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Optional

from celerylint import __version__
from celerylint.facts import FACTS_VERSION

CACHEDIR_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# celerylint cache\n"


def fingerprint(*parts: object) -> str:
    digest = hashlib.sha256(repr((__version__, FACTS_VERSION, *parts)).encode())
    return digest.hexdigest()[:16]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FactsCache:
    """Entries: path -> [mtime_ns, size, sha256, module, is_package, facts or None]."""

    def __init__(self, directory: Optional[Path], key: str) -> None:
        self.directory = directory
        self.file = directory / f"facts-{key}.json" if directory else None
        self.entries: dict[str, list[Any]] = {}
        self.dirty = False
        if self.file is not None:
            self._load()

    def _load(self) -> None:
        assert self.file is not None
        try:
            with open(self.file, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and isinstance(data.get("entries"), dict):
            self.entries = data["entries"]

    def lookup(self, path: str, stat: os.stat_result) -> Optional[list[Any]]:
        entry = self.entries.get(path)
        if entry and entry[0] == stat.st_mtime_ns and entry[1] == stat.st_size:
            return entry
        return None

    def store(self, path: str, entry: list[Any]) -> None:
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
            self.directory.mkdir(parents=True, exist_ok=True)
            tag = self.directory / "CACHEDIR.TAG"
            if not tag.exists():
                tag.write_text(CACHEDIR_TAG, encoding="utf-8")
            gitignore = self.directory / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("*\n", encoding="utf-8")
            fd, temp = tempfile.mkstemp(prefix=".facts-", suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump({"entries": self.entries}, handle, separators=(",", ":"))
                os.replace(temp, self.file)
                self._remove_others()
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except OSError:
            # A read-only checkout still gets linted; it just stays cold.
            return
