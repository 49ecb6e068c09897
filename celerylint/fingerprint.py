"""Stable identities of findings: what a baseline, GitLab and SARIF match across commits.

A finding is identified by its rule, its file (relative to the repository) and
a fingerprint of the code and the reported line's text, normalised, plus the
occurrence index among identical lines of that file: unrelated edits that move
the line leave it unchanged, editing the line itself does not.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from celerylint.diagnostics import Diagnostic
from celerylint.report.lines import SourceCache


def repository_root(root: Path) -> Path:
    """The git work tree holding the project root, else the project root itself.

    Paths in machine reports are relative to it: that is how GitHub code
    scanning and GitLab resolve them, also for a project in a subdirectory.
    """
    here = Path(os.path.abspath(root))
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return here


def repository_path(path: str, repository: Path) -> str:
    """`path` relative to `repository` with forward slashes; absolute when outside it."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, repository) if os.path.isabs(path) else path
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return Path(absolute).as_posix()
    return Path(relative).as_posix()


def normalise(line: str) -> str:
    """The line's text with indentation and runs of whitespace collapsed."""
    return " ".join(line.split())


def fingerprints(diagnostics: Sequence[Diagnostic], sources: SourceCache) -> list[str]:
    """One fingerprint per diagnostic, in the same order.

    Identical (file, rule, text) findings are told apart by their order in the
    file, so two equal lines are two entries, and a third one is new.
    """
    order = sorted(range(len(diagnostics)), key=lambda i: diagnostics[i].sort_key())
    seen: dict[tuple[str, str, str], int] = {}
    import hashlib  # here: every report imports this module, and hashlib loads OpenSSL

    found = [""] * len(diagnostics)
    for index in order:
        diagnostic = diagnostics[index]
        text = normalise(sources.line(diagnostic.path, diagnostic.span.line))
        key = (diagnostic.path, diagnostic.code, text)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        digest = hashlib.sha256(f"{diagnostic.code}\0{text}\0{occurrence}".encode())
        found[index] = digest.hexdigest()[:20]
    return found
