"""Per-file facts: decoding, parsing and extraction of one file."""

from __future__ import annotations

import ast
import contextlib
import io
import tokenize
import warnings
from collections.abc import Iterator
from typing import Union

import msgspec

from celerylint.facts.schema import FACTS_VERSION, FileFacts, failed

__all__ = [
    "FACTS_VERSION",
    "extract_source",
    "parse_expression_quietly",
    "parse_quietly",
    "parse_tree",
]


def decode(data: bytes) -> str:
    """Decode Python source as the interpreter would (BOM, PEP 263 cookie)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def extract_source(
    data: bytes, module: str, is_package: bool, task_decorators: tuple[str, ...] = ()
) -> FileFacts:
    """Facts of one file's bytes, or the error that keeps it from being read as Python."""
    try:
        source = decode(data)
    except (SyntaxError, LookupError) as exc:
        return failed(f"cannot decode: {exc}")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return failed(f"cannot decode as {exc.encoding}: invalid byte at offset {exc.start}", line)
    if "\x00" in source:
        return failed("file contains NUL bytes: not Python source")
    tree = parse_tree(source)
    if isinstance(tree, FileFacts):
        return tree
    # Imported here: `facts.schema` is imported by every command (diagnostics use its
    # spans), and the extractors cost ~30 ms that `--version` and `rule` never need.
    from celerylint.facts.python import extract

    try:
        facts = extract(tree, source, module, is_package, task_decorators)
    except RecursionError:
        return failed("too deeply nested to analyze")
    if "celerylint:" in source:
        from celerylint.facts.suppressions import find_suppressions

        facts = msgspec.structs.replace(facts, suppressions=tuple(find_suppressions(source)))
    return facts


def parse_tree(source: str) -> Union[ast.Module, FileFacts]:
    """The tree of `source`, or the facts of why it cannot be parsed.

    A file written for a newer Python is parsed from a rewritten text, with
    the positions of `source` (`facts.syntax`).
    """
    try:
        return parse_quietly(source)
    except SyntaxError as exc:
        return _parse_newer_syntax(source, exc)
    except (RecursionError, MemoryError):
        return failed("too deeply nested to parse")
    except ValueError as exc:
        return failed(f"cannot parse: {exc}")


def parse_quietly(source: str) -> ast.Module:
    """`ast.parse` without the compiler's warnings about the analyzed code.

    The parser warns about the code it reads (`"\\d"` is an invalid escape,
    `1()` is not callable, and from 3.12 these are SyntaxWarnings printed to
    stderr): that is the analyzed project's business, not output of ours, and
    under `-W error` it would even turn into a SyntaxError.
    """
    with _quiet():
        return ast.parse(source)


def parse_expression_quietly(source: str) -> ast.Expression:
    """`parse_quietly` of one expression (`ast.parse`'s "eval" mode)."""
    with _quiet():
        return ast.parse(source, mode="eval")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _syntax_error(exc: SyntaxError, note: str = "") -> FileFacts:
    line = exc.lineno or 1
    col = max((exc.offset or 1) - 1, 0)
    return failed(f"syntax error: {exc.msg}{note}", line, col)


def _parse_newer_syntax(source: str, exc: SyntaxError) -> Union[ast.Module, FileFacts]:
    """The tree of a file written for a newer Python, or the error facts.

    Only files `ast` rejected get here, so `facts.syntax` (and libcst, which it
    imports only for what its token scan cannot lower) costs nothing on the fast
    path. The tree is parsed from a rewritten text but carries the positions of
    `source`.
    """
    from celerylint.facts.syntax import lower, requirement_message, restore_positions

    try:
        lowering = lower(source, error=exc)
    except (RecursionError, MemoryError):
        return _syntax_error(exc)
    if lowering.source is not None:
        try:
            tree = lowering.tree or parse_quietly(lowering.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as again:
            if isinstance(again, SyntaxError) and lowering.features:
                # The newer constructs were rewritten and something else is
                # wrong: point at that (the rewrite kept line numbers), and
                # still say what the file needs.
                note = requirement_message(lowering.features)
                return _syntax_error(again, f"; the file also {note}")
        else:
            # Positions back on the user's text, so spans and fix edits match the file.
            restore_positions(tree, source, lowering)
            return tree
    if lowering.features:
        # Newer constructs this version cannot rewrite: the original error
        # points at the first of them.
        line = exc.lineno or 1
        col = max((exc.offset or 1) - 1, 0)
        return failed(f"syntax error: {requirement_message(lowering.features)}", line, col)
    if lowering.skipped is not None and lowering.skipped != exc.msg:
        return _syntax_error(exc, f" (not retried with a newer grammar: {lowering.skipped})")
    return _syntax_error(exc)
