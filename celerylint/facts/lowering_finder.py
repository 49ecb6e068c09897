"""Finding and rewriting constructs newer than the target Python, with libcst.

libcst's grammar runs ahead of the interpreter: `parse_cst` parses a file
`ast` rejected, and `Finder` visits it for the newer constructs (PEP 758
except groups, except*, PEP 695/696 type parameters and aliases, match
statements, PEP 701 f-strings, t-strings), recording each as a `Feature` and
as text edits to an older spelling that means the same *to the extractor*
(names, calls, decorators, literals). A removed span's line breaks come back
as backslash continuations (outside brackets) or as newlines inside a
parenthesised placeholder, so every line stays on its line. The f-string
requoting helpers give nested f-strings quotes the running parser accepts.

This is the only lowering module that imports libcst (about 0.13 s); it is
imported only once `ast.parse` has failed and the token scan could not lower
the file (see `syntax.lower`).
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from typing import Any, Optional

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from celerylint.facts.lowering_positions import NEWLINE, keep_lines, line_starts
from celerylint.facts.lowering_results import RUNNING, Feature, Version

# Grammar versions to ask libcst for, newest first; the first it accepts wins.
_GRAMMARS = ("3.15", "3.14", "3.13", "3.12", "3.11", "3.10", "3.9")

# The extractor treats a call of an unknown name as an unknown value, which is
# what a string celerylint cannot rewrite must become (never a wrong value).
_PLACEHOLDER = "__celerylint_newer_string__()"
_TYPE_ALIAS = "__celerylint_type_alias__"

_QUOTES = ("'", '"', "'''", '"""')


def parse_cst(source: str) -> tuple[Optional[cst.Module], Optional[Any]]:
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


class Finder(cst.CSTVisitor):
    """Finds the constructs newer than `target` and records text edits."""

    def __init__(self, source: str, module: cst.Module, positions: Any, target: Version) -> None:
        super().__init__()
        self.source = source
        self.module = module
        self.positions = positions
        self.target = target
        self.features: list[Feature] = []
        self.edits: list[tuple[int, int, str]] = []
        self.line_starts = line_starts(source)

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
        self.edits.append((start, end, keep_lines(self.source[start:end], text)))

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
            and len(NEWLINE.findall(requoted)) == len(NEWLINE.findall(code))
        ):
            self.edits.append((start, end, requoted))
        else:
            self._placeholder(node)

    def _placeholder(self, node: Any) -> None:
        """Replace a string the running parser cannot read by an unknown value."""
        start, end = self.span(node)
        newlines = "".join(NEWLINE.findall(self.source[start:end]))
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
