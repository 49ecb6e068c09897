"""Static values: a tiny, JSON-able expression IR and its evaluator.

Extraction turns the expressions that can matter (setting values, decorator
keywords, call options) into IR nodes; the project model evaluates them later,
when names from other modules (star imports, imported constants) are known.
Nodes are plain lists so that per-file facts can be cached as JSON:

    ["c", span, value]              constant: str, int, float, bool, None
    ["seq", span, [node, ...]]      list, tuple or set display
    ["map", span, [[k, v], ...]]    dict display (a `**x` entry makes it unknown)
    ["name", span, "X"]             a module-level name of the defining module
    ["ref", span, "pkg.mod.X"]      an imported or builtin object, fully qualified
    ["env", span, "VAR", default, required]
                                    an environment lookup; default is a node or None;
                                    required: the program fails when VAR is unset
    ["op", span, "+", left, right]  arithmetic or string concatenation
    ["neg", span, operand]          unary minus
    ["td", span, [[kw, node], ...]] datetime.timedelta(...) in seconds
    ["u", span, "reason"]           anything else: unknown

`span` is `[line, col, end_line, end_col]` (1-based lines, 0-based character
columns), the same convention as `celerylint.diagnostics.Span`.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Callable, Optional

from celerylint.diagnostics import Span

Node = list  # an IR node, see the module docstring

_TIMEDELTA_SECONDS = {
    "weeks": 604800.0,
    "days": 86400.0,
    "hours": 3600.0,
    "minutes": 60.0,
    "seconds": 1.0,
    "milliseconds": 0.001,
    "microseconds": 0.000001,
}

_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
}

# Guards against building absurd values from hostile input ("x" * 10**9).
_MAX_STR = 100_000
_MAX_DEPTH = 50


@dataclass(frozen=True)
class Value:
    """The result of evaluating a node.

    `known` values carry the Python value (sequences as tuples, dicts as
    tuples of pairs are NOT used: dicts stay dicts). Unknown values carry why,
    and for environment lookups the variable and its literal default, which a
    rule may use as a *possible* value only.
    """

    known: bool
    value: Any
    node: Optional[Node]
    path: Optional[str]
    reason: str = ""
    env: Optional[str] = None
    env_default: Optional[Value] = None
    env_required: bool = False

    @property
    def span(self) -> Optional[Span]:
        return node_span(self.node)


def unknown(reason: str, node: Optional[Node] = None, path: Optional[str] = None) -> Value:
    return Value(False, None, node, path, reason)


def known(value: Any, node: Optional[Node] = None, path: Optional[str] = None) -> Value:
    return Value(True, value, node, path)


def node_span(node: Optional[Node]) -> Optional[Span]:
    if not node or node[1] is None:
        return None
    return Span.from_list(node[1])


# A resolver maps a name reference to (node, path of the module defining it),
# or None when the name cannot be resolved. Qualified refs go to `resolve_ref`.
NameResolver = Callable[[str, str], Optional[tuple[Node, str]]]


class Evaluator:
    """Evaluates IR nodes, following names through the project's modules."""

    def __init__(self, resolve_name: NameResolver, resolve_ref: NameResolver) -> None:
        self._resolve_name = resolve_name
        self._resolve_ref = resolve_ref

    def evaluate(self, node: Node, path: str, depth: int = 0) -> Value:
        """Evaluate `node`, defined in the file `path`."""
        if depth > _MAX_DEPTH:
            return unknown("expression too deep", node, path)
        kind = node[0]
        if kind == "c":
            return known(node[2], node, path)
        if kind == "seq":
            items = [self.evaluate(item, path, depth + 1) for item in node[2]]
            for item in items:
                if not item.known:
                    return unknown(item.reason or "unknown element", node, path)
            return known(tuple(item.value for item in items), node, path)
        if kind == "map":
            result: dict[Any, Any] = {}
            for key_node, value_node in node[2]:
                key = self.evaluate(key_node, path, depth + 1)
                value = self.evaluate(value_node, path, depth + 1)
                if not key.known or not value.known:
                    return unknown("dict with unknown entries", node, path)
                try:
                    result[key.value] = value.value
                except TypeError:
                    return unknown("unhashable dict key", node, path)
            return known(result, node, path)
        if kind in ("name", "ref"):
            resolve = self._resolve_name if kind == "name" else self._resolve_ref
            target = resolve(node[2], path)
            if target is None:
                return unknown(f"cannot resolve {node[2]}", node, path)
            inner = self.evaluate(target[0], target[1], depth + 1)
            return inner
        if kind == "env":
            default = None
            if node[3] is not None:
                default = self.evaluate(node[3], path, depth + 1)
            required = len(node) > 4 and bool(node[4])
            return Value(
                False,
                None,
                node,
                path,
                f"environment variable {node[2]}",
                node[2],
                default,
                required,
            )
        if kind == "op":
            return self._binop(node, path, depth)
        if kind == "neg":
            operand = self.evaluate(node[2], path, depth + 1)
            if operand.known and _is_number(operand.value):
                return known(-operand.value, node, path)
            return unknown("unsupported operand", node, path)
        if kind == "td":
            total = 0.0
            for keyword, arg in node[2]:
                part = self.evaluate(arg, path, depth + 1)
                if not part.known or not _is_number(part.value):
                    return unknown("timedelta with unknown arguments", node, path)
                total += part.value * _TIMEDELTA_SECONDS[keyword]
            return known(total, node, path)
        return unknown(node[2] if kind == "u" else "unsupported expression", node, path)

    def _binop(self, node: Node, path: str, depth: int) -> Value:
        left = self.evaluate(node[3], path, depth + 1)
        right = self.evaluate(node[4], path, depth + 1)
        if not left.known or not right.known:
            return unknown("operand is unknown", node, path)
        a, b = left.value, right.value
        numeric = _is_number(a) and _is_number(b)
        textual = isinstance(a, str) and isinstance(b, str) and node[2] == "+"
        if not (numeric or textual):
            return unknown("unsupported operands", node, path)
        if node[2] == "**" and (abs(b) > 64 or abs(a) > 10**6):
            return unknown("exponent too large", node, path)
        try:
            result = _BINOPS[node[2]](a, b)
        except (ArithmeticError, ValueError, KeyError):
            return unknown("arithmetic error", node, path)
        if isinstance(result, str) and len(result) > _MAX_STR:
            return unknown("string too long", node, path)
        return known(result, node, path)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
