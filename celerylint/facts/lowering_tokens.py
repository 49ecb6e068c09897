"""The stdlib-token scan of a source `ast` rejected, before libcst sees it.

libcst's native parser recurses deeply and is superlinear on long operator
chains (it segfaults on 100k chained `not`, and takes minutes on `a+a+...`
10k long), so a file is handed to it only after this scan bounds its size,
bracket depth and chain length (`TokenScan.reason`).

The same pass rewrites the constructs likeliest in a task module from tokens
alone: Python 3.14's unparenthesized `except A, B:` (PEP 758), and the type
parameter lists of 3.12 and 3.13 (`def retry[**P, R](...)`, PEP 695/696),
which it drops as libcst's rewrite does. When that makes the file parse,
libcst (about ten times costlier, 0.13 s to import) is not needed at all.
This module does not import libcst.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Optional

from celerylint.facts.lowering_positions import keep_lines
from celerylint.facts.lowering_results import RUNNING, Feature, Version

# Bounds on what is handed to libcst (see the module docstring). Measured with
# libcst 1.9: a 500-long operator chain or 100 nested brackets parse in well
# under 0.1 s (libcst's own visitors hit Python's recursion limit near 1,000);
# a 250 kB module takes about two seconds, parse and positions together.
MAX_CHARS = 250_000
# The token scan (and its PEP 758 fast path) costs about a second per 2 MB.
MAX_SCAN_CHARS = 2_000_000
# Python 3.12's tokenizer copies the whole physical line into every token: a
# generated 600 kB line took it 7 s (0.23 s on 3.11). Longer lines are not scanned,
# on any Python, so that a file reads the same everywhere.
MAX_LINE_CHARS = 20_000
MAX_DEPTH = 100
MAX_CHAIN = 500

# Tokens that, repeated within one statement, build a deeper or longer tree
# for libcst (unary/binary operator chains, conditional chains, lambdas).
_CHAIN_WORDS = frozenset({"not", "and", "or", "if", "else", "lambda", "await", "in", "is"})


class TokenScan:
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
        same_rows = source.count("\r") == source.count("\r\n")
        self.find_excepts = target == RUNNING and target < (3, 14) and same_rows
        self.find_type_parameters = target == RUNNING and target < (3, 13) and same_rows
        self.source = source
        self.starts = [0] + [match.end() for match in re.finditer("\n", source)]
        ends = [*self.starts[1:], len(source) + 1]
        if max(end - start for start, end in zip(self.starts, ends, strict=True)) > MAX_LINE_CHARS:
            self.reason = self.reason or f"a line longer than {MAX_LINE_CHARS} characters"
            return
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
        # `def name[` / `class name[`: how much of it has been read (0: none of it).
        definition = 0
        parameters: Optional[_TypeParameters] = None
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            kind, text = token.type, token.string
            if kind in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                chains = [0]
                line_start = True
                clause = None
                definition, parameters = 0, None
                continue
            if kind in (tokenize.NL, tokenize.COMMENT, tokenize.ENCODING):
                continue
            if clause is not None:
                self._except_token(clause, token, len(chains))
            elif line_start and kind == tokenize.NAME and text == "except" and self.find_excepts:
                clause = _Clause(len(chains))
            if parameters is not None:
                if self._type_parameter_token(parameters, token, len(chains)):
                    parameters = None
            elif self.find_type_parameters:
                if kind == tokenize.NAME and text in ("def", "class"):
                    definition = 1
                elif definition == 1 and kind == tokenize.NAME:
                    definition = 2
                elif definition == 2 and kind == tokenize.OP and text == "[":
                    parameters = _TypeParameters(self._offset(token.start), len(chains) + 1)
                    definition = 0
                else:
                    definition = 0
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

    def _type_parameter_token(
        self, parameters: _TypeParameters, token: tokenize.TokenInfo, depth: int
    ) -> bool:
        """Follow a type parameter list to its `]` (the token closing it comes with the
        depth of the list still counted); there, record its removal. Whether it ended."""
        if depth != parameters.depth or token.type != tokenize.OP:
            return False
        if token.string == "=":
            parameters.defaults = True  # PEP 696 (3.13)
            return False
        if token.string != "]":
            return False
        line = token.start[0]
        if RUNNING < (3, 12):
            self.features.append(Feature((3, 12), "type parameter lists", line))
        elif not parameters.defaults:
            return True  # this Python reads the list: something else is newer
        if parameters.defaults:
            self.features.append(Feature((3, 13), "type parameter defaults", line))
        end = self._offset(token.end)
        removed = self.source[parameters.start : end]
        # Type parameters bind nothing the extractor reads (as in `lowering_finder`).
        self.edits.append((parameters.start, end, keep_lines(removed)))
        return True

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


class _TypeParameters:
    """A type parameter list the token scan is reading: where its `[` is, the bracket
    depth inside it, and whether a parameter has a default."""

    __slots__ = ("defaults", "depth", "start")

    def __init__(self, start: int, depth: int) -> None:
        self.start = start
        self.depth = depth
        self.defaults = False
