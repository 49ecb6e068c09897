"""Whole-run replay: an unchanged project skips discovery, facts, model and rules.

A check's result depends on the configuration, the selection, the scope, the
celerylint code, the bytes of every discovered Python file and deployment
file, and what discovery saw (directories, ignore files: `Discovery.watched`).
A record keeps the (mtime, size) of every one of those paths as they were
*before* the run read them; while each is the same, the recorded findings are
the run's findings, replayed without walking the tree.

One record per (configuration, selection, scope), so `check .` and a
pre-commit hook on a few files do not evict each other; the oldest
records beyond a handful are removed. JSON, never pickle (the cache lives
inside the repository being linted), rebuilt into the report's types by hand:
`Diagnostic` also holds a callable the decoder cannot type.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

import msgspec

from celerylint.cache import fingerprint, read_record, record_json, save_record
from celerylint.diagnostics import Applicability, Diagnostic, Edit, Fix, Related, Severity, Span
from celerylint.sources.watch import Watched

# Records kept per cache directory (a pre-commit run per distinct file set adds one).
KEEP = 8
_PACKAGE = Path(__file__).resolve().parent


class Record(msgspec.Struct, frozen=True):
    """One run: everything it read with its (mtime, size), and what it found.

    `watched` is, in order: the Python files (`sources` of them), deployment files,
    dependency pins, celerylint's code and what discovery saw (`computed` entries in
    all), then what the deployments read besides (`reuse` tells them apart).
    """

    watched: list[Watched]
    diagnostics: list[Any]
    files_checked: int
    files_parsed: int
    prefiltered_out: int
    errors: list[str]
    sources: int = 0
    computed: int = 0
    # The texts the rules asked `FactStore.mentioning` about, with the files found.
    mentioned: dict[str, list[str]] = {}
    # `cache.facts_digest` of each file the run had facts of (the others had none).
    facts: dict[str, str] = {}


_DECODER = msgspec.json.Decoder(Record)


class Reusable(msgspec.Struct, frozen=True, array_like=True):
    """What a run's record must add for `command_reuse` to tell, without the walk or
    the configuration, that the Python files changed since kept their facts."""

    # The Python files at the front of the record's `watched`, in its order:
    # (path, module, is_package) as discovery named them.
    sources: list[tuple[str, str, bool]]
    tests_root: str  # `PathsOfTests.root` of the run
    task_decorators: tuple[str, ...]  # the configuration's: facts depend on it
    facts: dict[str, str]  # as `Record.facts`
    mentioned: dict[str, list[str]]  # as `Record.mentioned`
    fixed: list[str]  # files a finding's fix edits: analysed again when they change
    # Each file with findings: the rows a report may show of it, and a digest of their
    # text (`report.lines.shown_digest`). Code frames and fingerprints show the text.
    shown: dict[str, tuple[list[int], str]]


def code_files() -> list[str]:
    """celerylint's own modules: a development checkout changes rules without a version bump."""
    found: list[str] = []
    for directory, _, names in os.walk(_PACKAGE):
        found.extend(os.path.join(directory, name) for name in names if name.endswith(".py"))
    return sorted(found)


def record_name(*question: object) -> str:
    """The record file for one question (configuration, selection, scope)."""
    return f"run-{fingerprint(question)}.json"


class RunCache:
    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.file = directory / name

    def load(self) -> Optional[Record]:
        """The record, whether or not what it watched has changed since."""
        try:
            return read_record(self.file, _DECODER.decode)
        except (OSError, msgspec.DecodeError):
            return None

    def save(self, record: Record) -> None:
        data = record_json(record)
        if data is not None:  # else computed every time
            save_record(self.file, data, "run-*.json", KEEP, record)


def encode_diagnostics(diagnostics: list[Diagnostic]) -> list[Any]:
    """Plain data; fixes are built already (`pipeline.build_fixes`), so no callable is left."""
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
