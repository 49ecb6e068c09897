"""Per-file facts: the bytes prefilter, decoding, parsing and extraction of one file."""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterable
from typing import Any

from celerylint.facts.python import FACTS_VERSION, extract

__all__ = ["FACTS_VERSION", "extract_source", "is_relevant", "prefilter_tokens"]

# A file that contains none of these cannot define, configure, call or
# discover a Celery task, app or setting, so it is never parsed eagerly. The
# project model still loads any other module it needs (a star-imported
# settings module, a config module named in `config_from_object`) on demand.
_BASE_TOKENS = (
    b"elery",  # celery, Celery
    b"ELERY",  # CELERY_*
    b"shared_task",
    b".task",
    b".delay(",
    b".apply_async(",
    b"DJANGO_SETTINGS_MODULE",
)


def prefilter_tokens(task_decorators: Iterable[str]) -> tuple[bytes, ...]:
    extra = tuple(d.rsplit(".", 1)[-1].encode() for d in task_decorators)
    return _BASE_TOKENS + extra


def is_relevant(data: bytes, path: str, tokens: tuple[bytes, ...]) -> bool:
    if "celery" in path.lower():
        return True
    return any(token in data for token in tokens)


def _error(message: str, line: int = 1, col: int = 0) -> dict[str, Any]:
    return {"v": FACTS_VERSION, "error": {"message": message, "line": line, "col": col}}


def decode(data: bytes) -> str:
    """Decode Python source as the interpreter would (BOM, PEP 263 cookie)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def extract_source(
    data: bytes, module: str, is_package: bool, task_decorators: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Facts of one file's bytes, or `{"error": ...}` when it cannot be read as Python."""
    try:
        source = decode(data)
    except (SyntaxError, LookupError) as exc:
        return _error(f"cannot decode: {exc}")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return _error(f"cannot decode as {exc.encoding}: invalid byte at offset {exc.start}", line)
    if "\x00" in source:
        return _error("file contains NUL bytes: not Python source")
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        line = exc.lineno or 1
        col = max((exc.offset or 1) - 1, 0)
        return _error(f"syntax error: {exc.msg}", line, col)
    except (RecursionError, MemoryError):
        return _error("too deeply nested to parse")
    except ValueError as exc:
        return _error(f"cannot parse: {exc}")
    try:
        facts = extract(tree, source, module, is_package, task_decorators)
    except RecursionError:
        return _error("too deeply nested to analyze")
    if "celerylint:" in source:
        from celerylint.suppress import find_suppressions

        facts["suppressions"] = [
            [s.line, s.span.to_list(), list(s.names)] for s in find_suppressions(source)
        ]
    return facts
