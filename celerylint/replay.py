"""Whole-run replay: an unchanged project skips facts, model and rules.

A check's result depends on the configuration, the selection, the scope, the
celerylint code, and the bytes of every discovered Python file and deployment
file. When the (mtime, size) of all of them and everything else is as in a
recorded run, that run's findings are its findings: they are replayed instead
of recomputed. One record per (configuration, selection, scope), so `check .`
and a pre-commit hook on a few files do not evict each other; the oldest
records beyond a handful are removed. JSON, never pickle (the cache lives
inside the repository being linted), rebuilt into the report's types by hand:
`Diagnostic` also holds a callable the decoder cannot type.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Optional

import msgspec

from celerylint import __version__
from celerylint.diagnostics import Applicability, Diagnostic, Edit, Fix, Related, Severity, Span
from celerylint.facts.schema import FACTS_VERSION

# Records kept per cache directory (a pre-commit run per distinct file set adds one).
KEEP = 8
_PACKAGE = Path(__file__).resolve().parent


class Record(msgspec.Struct, frozen=True):
    """One run: the digest of everything it read, and what it found."""

    inputs: str
    diagnostics: list[Any]
    files_checked: int
    files_parsed: int
    prefiltered_out: int
    errors: list[str]


_DECODER = msgspec.json.Decoder(Record)


def _stat_key(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _code_stamp() -> list[tuple[str, tuple[int, int] | None]]:
    """celerylint's own modules: a development checkout changes rules without a version bump."""
    found = []
    for directory, _, names in os.walk(_PACKAGE):
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                found.append((path, _stat_key(path)))
    return sorted(found)


def record_name(*question: object) -> str:
    """The record file for one question (configuration, selection, scope)."""
    digest = hashlib.sha256(repr((__version__, FACTS_VERSION, question)).encode())
    return f"run-{digest.hexdigest()[:16]}.json"


def inputs_digest(files: list[tuple[str, str, bool]], deployment_files: list[str]) -> str:
    """Every input's identity: (path, module, package, mtime, size), and the code's."""
    digest = hashlib.sha256()
    for path, module, is_package in files:
        digest.update(repr((path, module, is_package, _stat_key(path))).encode())
    for path in deployment_files:
        digest.update(repr((path, _stat_key(path))).encode())
    digest.update(repr(_code_stamp()).encode())
    return digest.hexdigest()


class RunCache:
    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.file = directory / name

    def load(self, inputs: str) -> Optional[Record]:
        try:
            with open(self.file, "rb") as handle:
                record = _DECODER.decode(handle.read())
        except (OSError, msgspec.DecodeError):
            return None
        return record if record.inputs == inputs else None

    def save(self, record: Record) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".run-", suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(msgspec.json.encode(record))
                os.replace(temp, self.file)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
            self._prune()
        except OSError:
            return  # read-only: the next run computes again

    def _prune(self) -> None:
        records = []
        for path in self.directory.glob("run-*.json"):
            with contextlib.suppress(OSError):
                records.append((path.stat().st_mtime_ns, path))
        for _, path in sorted(records, reverse=True)[KEEP:]:
            with contextlib.suppress(OSError):
                path.unlink()


def encode_diagnostics(diagnostics: list[Diagnostic]) -> list[Any]:
    """Plain data; fixes are built already (`api.build_fixes`), so no callable is left."""
    assert not any(d.pending_fix for d in diagnostics)
    return [msgspec.to_builtins(d) for d in diagnostics]


def _span(raw: list[int]) -> Span:
    return Span(*raw)


def _fix(raw: Optional[dict[str, Any]]) -> Optional[Fix]:
    if raw is None:
        return None
    return Fix(
        raw["message"],
        Applicability(raw["applicability"]),
        tuple(Edit(e["path"], _span(e["span"]), e["content"]) for e in raw["edits"]),
    )


def decode_diagnostics(raw: list[Any]) -> list[Diagnostic]:
    return [
        Diagnostic(
            d["code"],
            d["name"],
            d["message"],
            d["path"],
            _span(d["span"]),
            Severity(d["severity"]),
            fix=_fix(d["fix"]),
            related=tuple(Related(r["path"], _span(r["span"]), r["message"]) for r in d["related"]),
        )
        for d in raw
    ]
