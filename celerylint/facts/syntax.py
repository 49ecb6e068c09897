"""Reading source written for a newer Python than the one running celerylint.

Real projects already use syntax the interpreter running the linter cannot
parse: Python 3.14's unparenthesized `except A, B:` (PEP 758), 3.12's
`type X = ...` and `def f[T]()` (PEP 695) and f-strings nesting the same
quotes (PEP 701). `ast.parse` rejects such a file, and a linter that skips a
task module is blind to its tasks. So, on that error path only, libcst — whose
grammar runs ahead of the interpreter — parses the file, the newer constructs
are rewritten into older spellings that mean the same *to the extractor*
(names, calls, decorators, literals), and `ast` parses the result.

Every rewrite keeps each line on its line: facts carry line numbers, and
diagnostics must point at the user's real lines. A removed span's line breaks
come back as backslash continuations (outside brackets) or as newlines inside
a parenthesised placeholder. `restore_positions` then moves the positions of
the parsed tree back onto the original text, so spans and fix edits address
the user's file exactly (a node inside rewritten text points at what it
replaced).

The construct likeliest in a task module, `except A, B:`, is rewritten from
the stdlib tokenizer's tokens when that alone makes the file parse; libcst
costs about ten times more. Importing this module imports
libcst (about 0.1 s): `celerylint.facts` imports it only once `ast.parse` has
failed, which keeps libcst off the fast path. libcst's native parser recurses
deeply and is superlinear on long operator chains (it segfaults on 100k
chained `not`, and takes minutes on `a+a+...` 10k long), so a file is handed
to it only after the token scan bounds its size, bracket depth and chain
length.
"""

from __future__ import annotations

import ast
import bisect
import io
import re
import sys
import tokenize
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from celerylint.facts import parse_quietly

__all__ = [
    "Feature",
    "Lowering",
    "lower",
    "lower_source",
    "requirement_message",
    "restore_positions",
]

Version = tuple[int, int]  # (major, minor)

RUNNING: Version = (sys.version_info[0], sys.version_info[1])

# Grammar versions to ask libcst for, newest first; the first it accepts wins.
_GRAMMARS = ("3.15", "3.14", "3.13", "3.12", "3.11", "3.10", "3.9")

# Bounds on what is handed to libcst (see the module docstring). Measured with
# libcst 1.9: a 500-long operator chain or 100 nested brackets parse in well
# under 0.1 s (libcst's own visitors hit Python's recursion limit near 1,000);
# a 250 kB module takes about two seconds, parse and positions together.
MAX_CHARS = 250_000
# The token scan (and its PEP 758 fast path) costs about a second per 2 MB.
MAX_SCAN_CHARS = 2_000_000
MAX_DEPTH = 100
MAX_CHAIN = 500

# Errors no rewrite can cure: the file exceeds a limit of the parser itself.
_LIMIT_ERRORS = ("too many nested", "too many levels of indentation", "too many statically")

# Tokens that, repeated within one statement, build a deeper or longer tree
# for libcst (unary/binary operator chains, conditional chains, lambdas).
_CHAIN_WORDS = frozenset({"not", "and", "or", "if", "else", "lambda", "await", "in", "is"})

_NEWLINE = re.compile(r"\r\n|\r|\n")

# The extractor treats a call of an unknown name as an unknown value, which is
# what a string celerylint cannot rewrite must become (never a wrong value).
_PLACEHOLDER = "__celerylint_newer_string__()"
_TYPE_ALIAS = "__celerylint_type_alias__"

_QUOTES = ("'", '"', "'''", '"""')


@dataclass(frozen=True)
class Feature:
    """A construct newer than the target Python, found at `line`."""

    version: Version
    description: str
    line: int


@dataclass(frozen=True)
class Lowering:
    """What `lower` made of a source.

    `source` is the rewritten text, or None when libcst was not tried, could
    not parse the file, or found nothing to rewrite. `features` lists the
    newer constructs found, whether rewritten or not. `skipped` says why
    libcst was not tried.
    """

    source: Optional[str]
    features: tuple[Feature, ...] = ()
    skipped: Optional[str] = None
    # (start, end, text) on the original source, in order: `source` is the
    # original with these applied.
    edits: tuple[tuple[int, int, str], ...] = ()
    # `source` parsed, when `lower` already had to parse it.
    tree: Optional[ast.Module] = field(default=None, compare=False, repr=False)

    @property
    def required(self) -> Optional[Version]:
        return max((f.version for f in self.features), default=None)


def requirement_message(features: Sequence[Feature], running: Version = RUNNING) -> str:
    """'requires Python 3.14 (unparenthesized except groups); this Python is 3.11'."""
    required = max(f.version for f in features)
    names: list[str] = []
    for feature in sorted(features, key=lambda f: (-f.version[0], -f.version[1], f.line)):
        if feature.description not in names:
            names.append(feature.description)
    return f"requires Python {_fmt(required)} ({', '.join(names)}); this Python is {_fmt(running)}"


def _fmt(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def lower_source(source: str) -> Optional[str]:
    """`source` rewritten so that this interpreter's `ast` parses it, or None.

    None when the file needs no rewrite, libcst cannot parse it, or the
    rewritten text still does not parse. Line numbers are those of `source`.
    """
    lowering = lower(source)
    if lowering.source is None:
        return None
    if lowering.tree is None:
        try:
            parse_quietly(lowering.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    return lowering.source


def lower(source: str, target: Version = RUNNING, error: Optional[str] = None) -> Lowering:
    """Rewrite the constructs of `source` newer than `target` (see module docstring).

    `error` is the message of the SyntaxError `ast` raised, when known; errors
    that are limits of the parser itself are not worth a libcst parse.
    `target` other than the running version is for tests: the f-string check
    needs the running parser, so f-strings are only rewritten below 3.12 when
    the running interpreter is below 3.12 too.
    """
    if error is not None and any(limit in error for limit in _LIMIT_ERRORS):
        return Lowering(None, skipped=error)
    scan = _TokenScan(source, target)
    if scan.edits:
        # Fast path for the likeliest construct, `except A, B:`: rewritten
        # from tokens, at a tenth of libcst's cost.
        edits = _settle(scan.edits)
        text = _apply(source, edits)
        try:
            tree = parse_quietly(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass  # something else is newer too: libcst finds everything
        else:
            return Lowering(text, tuple(scan.features), edits=tuple(edits), tree=tree)
    if scan.reason is not None:
        return Lowering(None, skipped=scan.reason)
    module, positions = _parse_cst(source)
    if module is None or positions is None:
        return Lowering(None)
    finder = _Finder(source, module, positions, target)
    try:
        module.visit(finder)
    except RecursionError:
        return Lowering(None, skipped="too deeply nested")
    features = tuple(sorted(finder.features, key=lambda f: (f.line, f.version, f.description)))
    if not finder.edits:
        return Lowering(None, features)
    edits = _settle(finder.edits)
    return Lowering(_apply(source, edits), features, edits=tuple(edits))


class _TokenScan:
    """One pass of the stdlib tokenizer over a source `ast` rejected.

    It finds why libcst must not see the file (`reason`), and the
    unparenthesized except groups of PEP 758 (`edits`, `features`), which
    tokens alone can rewrite. The chain measure counts operators and trailers
    between commas at each bracket level: `a+a+...`, `a()()...`,
    `not not ...` and `x if c else ...` grow it, the items of a long list or
    dict literal do not.
    """

    def __init__(self, source: str, target: Version) -> None:
        self.reason: Optional[str] = None
        self.edits: list[tuple[int, int, str]] = []
        self.features: list[Feature] = []
        if len(source) > MAX_SCAN_CHARS:
            self.reason = f"file larger than {MAX_SCAN_CHARS} characters"
            return
        if len(source) > MAX_CHARS:
            self.reason = f"file larger than {MAX_CHARS} characters"
        # The fast path is checked with the running parser, so it serves the
        # running version only. Token rows count "\n" only; a lone "\r"
        # (which `ast` counts) would misplace its edits.
        self.find_excepts = (
            target == RUNNING and target < (3, 14) and source.count("\r") == source.count("\r\n")
        )
        self.starts = [0] + [match.end() for match in re.finditer("\n", source)]
        try:
            self._scan(source)
        except tokenize.TokenError:
            # Raised at end of input (an unclosed bracket or string): the
            # whole file has been seen by then.
            pass
        except (SyntaxError, ValueError):
            # An inconsistent dedent: libcst's tokenizer rejects it as well.
            self.reason = self.reason or "cannot tokenize"
            self.edits.clear()

    def _offset(self, position: tuple[int, int]) -> int:
        return self.starts[position[0] - 1] + position[1]

    def _scan(self, source: str) -> None:
        chains = [0]
        line_start = True
        clause: Optional[_Clause] = None
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            kind, text = token.type, token.string
            if kind in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                chains = [0]
                line_start = True
                clause = None
                continue
            if kind in (tokenize.NL, tokenize.COMMENT, tokenize.ENCODING):
                continue
            if clause is not None:
                self._except_token(clause, token, len(chains))
            elif line_start and kind == tokenize.NAME and text == "except" and self.find_excepts:
                clause = _Clause(len(chains))
            line_start = False
            if kind == tokenize.OP:
                if text in ("(", "[", "{"):
                    chains[-1] += 1  # a call or subscript extends the chain it follows
                    chains.append(0)
                    if len(chains) > MAX_DEPTH:
                        self.reason = self.reason or f"brackets nested deeper than {MAX_DEPTH}"
                elif text in (")", "]", "}"):
                    if len(chains) > 1:
                        chains.pop()
                elif text == "," or (text == ";" and len(chains) == 1):
                    chains[-1] = 0
                elif text != ":":
                    chains[-1] += 1
            elif kind == tokenize.NAME and text in _CHAIN_WORDS:
                chains[-1] += 1
            if chains[-1] > MAX_CHAIN:
                self.reason = self.reason or f"an expression chains more than {MAX_CHAIN} operators"
                chains[-1] = 0

    def _except_token(self, clause: _Clause, token: tokenize.TokenInfo, depth: int) -> None:
        """Follow `except [*] A, B:` up to its colon; record the parentheses it needs."""
        if clause.done:
            return
        outer = depth == clause.depth
        if clause.first is None and token.type == tokenize.OP and token.string == "*":
            return  # except*
        if outer and token.type == tokenize.OP and token.string == ":":
            clause.done = True
            group = clause.comma and not clause.bound
            if group and clause.first is not None and clause.last is not None:
                first, last = self._offset(clause.first), self._offset(clause.last)
                self.edits += [(first, first, "("), (last, last, ")")]
                line = clause.first[0]
                self.features.append(Feature((3, 14), "unparenthesized except groups", line))
            return
        if clause.first is None:
            clause.first = token.start
        clause.last = token.end
        if outer and token.string == ",":
            clause.comma = True
        elif outer and token.type == tokenize.NAME and token.string == "as":
            clause.bound = True


class _Clause:
    """An `except` clause the token scan is reading."""

    __slots__ = ("bound", "comma", "depth", "done", "first", "last")

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.first: Optional[tuple[int, int]] = None  # (row, col) of the first type token
        self.last: Optional[tuple[int, int]] = None  # end of the last one before ':'
        self.comma = False  # a top-level comma: an unparenthesized group
        self.bound = False  # `as name`: Python 3.14 wants the parentheses then
        self.done = False


def _parse_cst(source: str) -> tuple[Optional[cst.Module], Optional[Any]]:
    module = None
    for grammar in _GRAMMARS:
        try:
            config = cst.PartialParserConfig(python_version=grammar)
        except ValueError:
            continue  # a libcst older than this grammar
        try:
            module = cst.parse_module(source, config=config)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:
            # ParserSyntaxError, but also CSTLogicError on some invalid input
            # and pyo3's PanicException, which derives from BaseException.
            return None, None
        break
    if module is None:
        return None, None
    try:
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
    except RecursionError:
        return None, None
    return wrapper.module, positions


def _keep_lines(removed: str, text: str = "") -> str:
    """`text` standing in for `removed`, followed by one backslash
    continuation per line break of `removed`, so later lines keep their numbers."""
    return text + "".join("\\" + newline for newline in _NEWLINE.findall(removed))


def _settle(edits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The edits to apply, in order. An edit inside a wider one is dropped (the
    wider one already rewrote that text); an insertion at the start of a
    replacement goes before it."""
    kept: list[tuple[int, int, str]] = []
    end_of_last = -1
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1] != e[0], -e[1])):
        if start < end_of_last:
            continue
        kept.append((start, end, text))
        end_of_last = max(end_of_last, end)
    return kept


def _apply(source: str, edits: Sequence[tuple[int, int, str]]) -> str:
    out: list[str] = []
    cursor = 0
    for start, end, text in edits:
        out.append(source[cursor:start])
        out.append(text)
        cursor = end
    out.append(source[cursor:])
    return "".join(out)


def restore_positions(tree: ast.AST, original: str, lowering: Lowering) -> None:
    """Move the positions in `tree`, parsed from `lowering.source`, onto `original`.

    Diagnostics and fix edits address the user's file, so a rewritten line
    must not shift the columns the extractor records: a fix inserting text
    after `except A, B:` lands where it belongs. A position inside rewritten
    text moves to the start (or, for an end, the end) of the original text
    it replaced.
    """
    if lowering.source is None or not lowering.edits:
        return
    mapper = _PositionMap(original, lowering.source, lowering.edits)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", None)
        if line is None or col is None:
            continue
        if line in mapper.affected:
            node.lineno, node.col_offset = mapper.map(line, col, end=False)  # type: ignore[attr-defined]
        end_line = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        if end_line is not None and end_col is not None and end_line in mapper.affected:
            node.end_lineno, node.end_col_offset = mapper.map(end_line, end_col, end=True)  # type: ignore[attr-defined]


class _PositionMap:
    """(line, UTF-8 byte column) in the lowered text -> the same in the original."""

    def __init__(self, original: str, lowered: str, edits: Sequence[tuple[int, int, str]]) -> None:
        self.original = original
        self.lowered = lowered
        self.original_starts = _line_starts(original)
        self.lowered_starts = _line_starts(lowered)
        # Per edit: where its text lies in the lowered source, and what it replaced.
        self.regions: list[tuple[int, int, int, int]] = []
        shift = 0
        for start, end, text in edits:
            self.regions.append((start + shift, start + shift + len(text), start, end))
            shift += len(text) - (end - start)
        self.region_starts = [region[0] for region in self.regions]
        # Lines holding any part of an edit: the only ones whose columns moved.
        self.affected: set[int] = set()
        for low_start, low_end, _, _ in self.regions:
            first = bisect.bisect_right(self.lowered_starts, low_start)
            last = bisect.bisect_right(self.lowered_starts, low_end)
            self.affected.update(range(first, last + 1))

    def map(self, line: int, byte_col: int, end: bool) -> tuple[int, int]:
        if line - 1 >= len(self.lowered_starts):
            return line, byte_col
        line_start = self.lowered_starts[line - 1]
        text = self.lowered[line_start : line_start + byte_col]
        chars = len(text.encode("utf-8", "surrogatepass")[:byte_col].decode("utf-8", "replace"))
        position = line_start + chars
        index = bisect.bisect_right(self.region_starts, position) - 1
        if index < 0:
            offset = position
        else:
            low_start, low_end, start, stop = self.regions[index]
            if end and position == low_start:
                offset = start  # ends just before the rewritten text
            elif position < low_end:
                offset = stop if end else start
            else:
                offset = position - low_end + stop
        new_line = bisect.bisect_right(self.original_starts, offset)
        row_start = self.original_starts[new_line - 1]
        prefix = self.original[row_start:offset]
        return new_line, len(prefix.encode("utf-8", "surrogatepass"))


def _line_starts(text: str) -> list[int]:
    return [0] + [match.end() for match in _NEWLINE.finditer(text)]


def _expression_parses(code: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(f"(\n{code}\n)", mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _escape_quote(text: str, quote: str) -> str:
    """`text` (the source of a non-raw literal part) with `quote` escaped."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            out.append(text[index : index + 2])
            index += 2
            continue
        out.append("\\" + char if char == quote else char)
        index += 1
    return "".join(out)


def _requote_parts(parts: Sequence[Any], quote: str, raw: bool) -> Optional[list[Any]]:
    out: list[Any] = []
    for part in parts:
        if isinstance(part, cst.FormattedStringText):
            if quote in part.value:
                if raw:
                    return None  # a raw string cannot escape its quote
                part = part.with_changes(value=_escape_quote(part.value, quote))
        elif isinstance(part, cst.FormattedStringExpression) and part.format_spec:
            spec = _requote_parts(part.format_spec, quote, raw)
            if spec is None:
                return None
            part = part.with_changes(format_spec=spec)
        out.append(part)
    return out


class _Requoter(cst.CSTTransformer):
    """Gives each f-string, innermost first, quotes the running parser accepts:
    before 3.12 an f-string's replacement fields cannot contain its own quote."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module = module

    def leave_FormattedString(
        self, original_node: cst.FormattedString, updated_node: cst.FormattedString
    ) -> cst.FormattedString:
        bare = updated_node.with_changes(lpar=[], rpar=[])
        if _expression_parses(self.module.code_for_node(bare)):
            return updated_node
        prefix = updated_node.prefix
        raw = "r" in prefix.lower()
        for quote in _QUOTES:
            if quote == updated_node.quote:
                continue
            parts = _requote_parts(updated_node.parts, quote[0], raw)
            if parts is None:
                continue
            candidate = bare.with_changes(start=prefix + quote, end=quote, parts=parts)
            if _expression_parses(self.module.code_for_node(candidate)):
                return candidate.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)
        return updated_node


class _Finder(cst.CSTVisitor):
    """Finds the constructs newer than `target` and records text edits."""

    def __init__(self, source: str, module: cst.Module, positions: Any, target: Version) -> None:
        super().__init__()
        self.source = source
        self.module = module
        self.positions = positions
        self.target = target
        self.features: list[Feature] = []
        self.edits: list[tuple[int, int, str]] = []
        self.line_starts = _line_starts(source)

    # -- helpers -------------------------------------------------------------

    def offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column

    def span(self, node: Any) -> tuple[int, int]:
        where = self.positions[node]
        return (
            self.offset(where.start.line, where.start.column),
            self.offset(where.end.line, where.end.column),
        )

    def line(self, node: Any) -> int:
        return int(self.positions[node].start.line)

    def code(self, node: Any) -> str:
        return str(self.module.code_for_node(node))

    def feature(self, version: Version, description: str, node: Any) -> None:
        self.features.append(Feature(version, description, self.line(node)))

    def remove(self, start: int, end: int, text: str = "") -> None:
        self.edits.append((start, end, _keep_lines(self.source[start:end], text)))

    # -- except groups: PEP 758 (3.14), except* (3.11) --------------------------

    def _except_tuple(self, node: Any) -> None:
        kind = node.type
        if isinstance(kind, cst.Tuple) and not kind.lpar and self.target < (3, 14):
            self.feature((3, 14), "unparenthesized except groups", node)
            start, end = self.span(kind)
            self.edits.append((start, start, "("))
            self.edits.append((end, end, ")"))

    def visit_ExceptHandler(self, node: Any) -> None:
        self._except_tuple(node)

    def visit_ExceptStarHandler(self, node: Any) -> None:
        self._except_tuple(node)
        if self.target < (3, 11):
            start, _ = self.span(node)
            star = start + len("except") + len(self.code(node.whitespace_after_except))
            if self.source[star : star + 1] == "*":
                self.feature((3, 11), "except* clauses", node)
                # Statically an except* clause binds and calls what an except clause does.
                self.edits.append((star, star + 1, " "))

    # -- PEP 695 (3.12) and PEP 696 (3.13) type parameters ---------------------

    def _type_parameters(self, node: Any) -> None:
        params = node.type_parameters
        if params is None:
            return
        has_defaults = any(p.default is not None for p in params.params)
        if has_defaults and self.target < (3, 13):
            self.feature((3, 13), "type parameter defaults", node)
        if self.target < (3, 12):
            self.feature((3, 12), "type parameter lists", node)
        elif not (has_defaults and self.target < (3, 13)):
            return
        # Type parameters bind nothing the extractor reads; dropping the list
        # leaves a plain generic-free definition on the same lines.
        self.remove(*self.span(params))

    def visit_FunctionDef(self, node: Any) -> None:
        self._type_parameters(node)

    def visit_ClassDef(self, node: Any) -> None:
        self._type_parameters(node)

    def visit_TypeAlias(self, node: Any) -> bool:
        if self.target < (3, 12):
            self.feature((3, 12), "type alias statements", node)
            params = node.type_parameters
            if params is not None and any(p.default is not None for p in params.params):
                self.feature((3, 13), "type parameter defaults", node)
            start, _ = self.span(node)
            name_start, _ = self.span(node.name)
            if self.source[start : start + 4] == "type":
                # `type X = V` -> `X = __celerylint_type_alias__(V)`: X is bound,
                # to an alias object the extractor must see as unknown, never as V.
                self.remove(start, name_start)
                if node.type_parameters is not None:
                    self.remove(*self.span(node.type_parameters))
                value_start, value_end = self.span(node.value)
                self.edits.append((value_start, value_start, f"{_TYPE_ALIAS}("))
                self.edits.append((value_end, value_end, ")"))
        else:
            self._type_parameters(node)
        return False

    # -- match statements (3.10) ----------------------------------------------

    def visit_Match(self, node: Any) -> None:
        if self.target >= (3, 10):
            return
        start, _ = self.span(node)
        if self.source[start : start + 5] != "match":
            return
        self.feature((3, 10), "match statements", node)
        # `match s:` -> `if s:` and each `case P if g:` -> `if True:`: the
        # bodies stay, as conditional code, which is what they are.
        self.edits.append((start, start + 5, "if"))
        subject = node.subject
        if isinstance(subject, cst.Tuple) and not subject.lpar:
            sub_start, sub_end = self.span(subject)
            self.edits.append((sub_start, sub_start, "("))
            self.edits.append((sub_end, sub_end, ")"))
        for case in node.cases:
            case_start, _ = self.span(case)
            header = "case" + self.code(case.whitespace_after_case) + self.code(case.pattern)
            if case.guard is not None:
                header += (
                    self.code(case.whitespace_before_if)
                    + "if"
                    + self.code(case.whitespace_after_if)
                    + self.code(case.guard)
                )
            header += self.code(case.whitespace_before_colon)
            colon = case_start + len(header)
            if self.source[colon : colon + 1] != ":":
                continue  # unexpected layout; the file then stays unparsable
            self.remove(case_start, colon, "if True")

    # -- strings: PEP 701 f-strings (3.12), t-strings (3.14) ------------------

    def visit_FormattedString(self, node: Any) -> bool:
        self._string_group(node)
        return False

    def visit_TemplatedString(self, node: Any) -> bool:
        self._string_group(node)
        return False

    def visit_ConcatenatedString(self, node: Any) -> bool:
        self._string_group(node)
        return False

    def _string_group(self, node: Any) -> None:
        """An outermost string expression (implicit concatenation included)."""
        pieces = _concatenated(node)
        if any(isinstance(p, cst.TemplatedString) for p in pieces):
            if self.target < (3, 14):
                self.feature((3, 14), "template strings", node)
                self._placeholder(node)
            return
        if not (self.target < (3, 12) and RUNNING < (3, 12)):
            return
        if not any(isinstance(p, cst.FormattedString) for p in pieces):
            return
        bare = node.with_changes(lpar=[], rpar=[])
        code = self.code(bare)
        if _expression_parses(code):
            return
        self.feature((3, 12), "f-strings nesting quotes, backslashes or comments", node)
        requoted = self.code(bare.visit(_Requoter(self.module)))
        start, end = self.span(node)
        if (
            requoted != code
            and _expression_parses(requoted)
            and len(_NEWLINE.findall(requoted)) == len(_NEWLINE.findall(code))
        ):
            self.edits.append((start, end, requoted))
        else:
            self._placeholder(node)

    def _placeholder(self, node: Any) -> None:
        """Replace a string the running parser cannot read by an unknown value."""
        start, end = self.span(node)
        newlines = "".join(_NEWLINE.findall(self.source[start:end]))
        # Inside the parentheses the line breaks are implicit joins.
        self.edits.append((start, end, f"({_PLACEHOLDER}{newlines})"))


def _concatenated(node: Any) -> list[Any]:
    out: list[Any] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.ConcatenatedString):
            stack.append(current.right)
            stack.append(current.left)
        else:
            out.append(current)
    return out
