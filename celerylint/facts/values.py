"""Static values: evaluating the IR nodes of `facts.schema`.

Extraction turns the expressions that can matter (setting values, decorator
keywords, call options) into IR nodes; the project model evaluates them here,
when names from other modules (star imports, imported constants) are known.
An environment lookup is unknown, but keeps its variable and literal default,
which a rule may use as a *possible* value only.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any, Optional

import msgspec

from celerylint.facts.schema import (
    BinOp,
    Const,
    Env,
    Formatted,
    Globals,
    Item,
    Map,
    Merge,
    Name,
    Neg,
    Node,
    Pattern,
    QueueDecl,
    Ref,
    Seq,
    Span,
    TimeDelta,
    Unknown,
)

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
_MAX_ITEMS = 100_000
_MAX_DEPTH = 50


class CompiledPattern(msgspec.Struct, frozen=True):
    """The value of `re.compile(pattern, flags)`: what the model matches names with."""

    pattern: str
    flags: int = 0

    def __str__(self) -> str:
        return repr(re.compile(self.pattern, self.flags))  # as Python shows the pattern

    def match(self, text: str) -> bool:
        """`pattern.match(text)`, as Celery's router calls it: anchored at the start only."""
        return re.compile(self.pattern, self.flags).match(text) is not None


class Value(msgspec.Struct, frozen=True):
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

    @property
    def location(self) -> Optional[tuple[str, Span]]:
        """The file and span of the expression the value comes from."""
        span = self.span
        return (self.path, span) if self.path is not None and span is not None else None


def unknown(reason: str, node: Optional[Node] = None, path: Optional[str] = None) -> Value:
    return Value(False, None, node, path, reason)


def known(value: Any, node: Optional[Node] = None, path: Optional[str] = None) -> Value:
    return Value(True, value, node, path)


def certainly_set(value: Value) -> bool:
    """Whether a value is certainly present and not empty, even when which one is not known.

    A truthy literal; an environment variable the program cannot start without;
    one whose default is itself certainly set (`os.environ.get("A",
    os.environ.get("B", "redis://..."))`); a string built with literal text of its
    own (`f"redis://{host}/1"`). Rules may rely on the presence only, never on the
    value.
    """
    if value.known:
        return bool(value.value)
    if value.env is None:
        # `f"redis://{host}:6379/1"`, `"redis://" + host`: text, whatever the rest is.
        return _holds_text(value.node)
    if value.env_required:
        return True
    return value.env_default is not None and certainly_set(value.env_default)


def _holds_text(node: Optional[Node], depth: int = 0) -> bool:
    """Whether a string a node builds certainly holds some literal text: an f-string or
    `.format()` with text of its own, or a `+` of such a string (koku's backend URL)."""
    if isinstance(node, Const):
        return isinstance(node.value, str) and bool(node.value)
    if isinstance(node, Formatted):
        return any(isinstance(part, Const) and _holds_text(part) for part in node.parts)
    if isinstance(node, BinOp) and node.op == "+" and depth < 20:
        return _holds_text(node.left, depth + 1) or _holds_text(node.right, depth + 1)
    return False


def node_span(node: Optional[Node]) -> Optional[Span]:
    return node.span if node is not None else None


# The environment of one deployed service: a variable's (known, value); value None
# is known to be unset.
Environment = Callable[[str], tuple[bool, Optional[str]]]

_TRUE = ("true", "on", "ok", "y", "yes", "1")  # django-environ's Env.BOOLEAN_TRUE_STRINGS


def converted(text: str, cast: Optional[str]) -> tuple[bool, Any]:
    """(known, value) of a variable's string through the lookup's conversion."""
    try:
        if cast in (None, "str"):
            return True, text
        if cast == "int":
            return True, int(text)
        if cast == "float":
            return True, float(text)
        if cast == "bool":
            return True, bool(text)
        if cast == "env_bool":
            return True, text.strip().lower() in _TRUE
        if cast == "list":
            return True, tuple(part for part in text.split(",") if part)
    except ValueError:
        pass
    return False, None


# A resolver maps a name reference to (node, path of the module defining it),
# or None when the name cannot be resolved. Qualified refs go to `resolve_ref`.
NameResolver = Callable[[str, str], Optional[tuple[Node, str]]]
# `container[key]` of a container that is no plain value (a Flask app's `config`), read
# in the file `path`: the node bound to the key (None: the key is certainly absent) and
# its file; None when not such a container (then the container is evaluated and indexed).
ItemResolver = Callable[[Node, str, str], Optional[tuple[Optional[Node], str]]]


class Evaluator:
    """Evaluates IR nodes, following names through the project's modules."""

    def __init__(
        self,
        resolve_name: NameResolver,
        resolve_ref: NameResolver,
        environment: Optional[Environment] = None,
        resolve_item: Optional[ItemResolver] = None,
    ) -> None:
        self._resolve_name = resolve_name
        self._resolve_ref = resolve_ref
        self._resolve_item = resolve_item
        # Set for one deployed service: environment lookups take its values.
        self.environment = environment

    def with_environment(self, environment: Environment) -> Evaluator:
        return Evaluator(self._resolve_name, self._resolve_ref, environment, self._resolve_item)

    def evaluate(self, node: Node, path: str, depth: int = 0) -> Value:
        """Evaluate `node`, defined in the file `path`."""
        if depth > _MAX_DEPTH:
            return unknown("expression too deep", node, path)
        if isinstance(node, Const):
            return known(node.value, node, path)
        if isinstance(node, Seq):
            items = [self.evaluate(item, path, depth + 1) for item in node.items]
            for item in items:
                if not item.known:
                    return unknown(item.reason or "unknown element", node, path)
            return known(tuple(item.value for item in items), node, path)
        if isinstance(node, Map):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.pairs:
                key = self.evaluate(key_node, path, depth + 1)
                value = self.evaluate(value_node, path, depth + 1)
                if not key.known or not value.known:
                    return unknown("dict with unknown entries", node, path)
                try:
                    result[key.value] = value.value
                except TypeError:
                    return unknown("unhashable dict key", node, path)
            return known(result, node, path)
        if isinstance(node, Merge):
            merged: dict[Any, Any] = {}
            for unpacked in node.parts:
                mapping = self.evaluate(unpacked, path, depth + 1)
                if not mapping.known or not isinstance(mapping.value, dict):
                    return unknown(mapping.reason or "unpacks a non-mapping", node, path)
                merged.update(mapping.value)
            return known(merged, node, path)
        if isinstance(node, (Name, Ref)):
            if isinstance(node, Name):
                target = self._resolve_name(node.id, path)
            else:
                target = self._resolve_ref(node.qualname, path)
            if target is None:
                written = node.id if isinstance(node, Name) else node.qualname
                return unknown(f"cannot resolve {written}", node, path)
            return self.evaluate(target[0], target[1], depth + 1)
        if isinstance(node, Item):
            return self._item(node, path, depth)
        if isinstance(node, Env) and self.environment is not None:
            found = self._from_environment(node, path, depth)
            if found is not None:
                return found
        if isinstance(node, Env):
            default = None
            if node.default is not None:
                default = self.evaluate(node.default, path, depth + 1)
            return Value(
                False,
                None,
                node,
                path,
                f"environment variable {node.variable}",
                node.variable,
                default,
                node.required,
            )
        if isinstance(node, BinOp):
            return self._binop(node, path, depth)
        if isinstance(node, Neg):
            operand = self.evaluate(node.operand, path, depth + 1)
            if operand.known and _is_number(operand.value):
                return known(-operand.value, node, path)
            return unknown("unsupported operand", node, path)
        if isinstance(node, TimeDelta):
            total = 0.0
            for keyword, arg in node.parts:
                part = self.evaluate(arg, path, depth + 1)
                if not part.known or not _is_number(part.value):
                    return unknown("timedelta with unknown arguments", node, path)
                total += part.value * _TIMEDELTA_SECONDS[keyword]
            return known(total, node, path)
        if isinstance(node, Pattern):
            pattern = self.evaluate(node.pattern, path, depth + 1)
            if not pattern.known or not isinstance(pattern.value, str):
                return unknown("re.compile of an unknown pattern", node, path)
            try:
                re.compile(pattern.value, node.flags)
            except (re.error, ValueError, OverflowError, RecursionError):
                return unknown("re.compile of an invalid pattern", node, path)
            return known(CompiledPattern(pattern.value, node.flags), node, path)
        if isinstance(node, QueueDecl):
            return unknown("call to kombu.Queue", node, path)
        if isinstance(node, Formatted):
            # Only the literal text of a formatted string is ever read (by rules).
            return unknown("formatted string", node, path)
        if isinstance(node, Globals):
            return unknown(f"the names of a module starting with {node.prefix!r}", node, path)
        assert isinstance(node, Unknown)
        return unknown(node.reason, node, path)

    def _item(self, node: Item, path: str, depth: int) -> Value:
        """`container["key"]`: a Flask config's item where the model knows it, else the
        key of a container whose value is a known mapping; `.get` gives the default
        where the key is certainly absent."""
        bound = self._resolve_item(node.container, node.key, path) if self._resolve_item else None
        if bound is not None:
            target, where = bound
            if target is None:
                return self._absent(node, path, depth, "not in the Flask config")
            return self.evaluate(target, where, depth + 1)
        container = self.evaluate(node.container, path, depth + 1)
        if not container.known:
            return unknown(container.reason or "subscript", node, path)
        if not isinstance(container.value, dict):
            return unknown("subscript", node, path)  # not a mapping
        if node.key not in container.value:
            return self._absent(node, path, depth, "subscript")
        return known(container.value[node.key], node, path)

    def _absent(self, node: Item, path: str, depth: int, reason: str) -> Value:
        """A key certainly absent: `mapping[key]` raises (unknown), `.get` gives its default."""
        if not node.optional:
            return unknown(reason, node, path)
        if node.default is None:
            return known(None, node, path)
        return self.evaluate(node.default, path, depth + 1)

    def _from_environment(self, node: Env, path: str, depth: int) -> Optional[Value]:
        """The service's value of the variable, converted; its default when certainly unset."""
        assert self.environment is not None
        is_known, text = self.environment(node.variable)
        if not is_known:
            return None
        if text is not None:
            ok, value = converted(text, node.cast)
            return known(value, node, path) if ok else None
        if node.default is not None:
            return self.evaluate(node.default, path, depth + 1)
        return None if node.required else known(None, node, path)

    def _binop(self, node: BinOp, path: str, depth: int) -> Value:
        left = self.evaluate(node.left, path, depth + 1)
        right = self.evaluate(node.right, path, depth + 1)
        if not left.known or not right.known:
            return unknown("operand is unknown", node, path)
        a, b = left.value, right.value
        numeric = _is_number(a) and _is_number(b)
        textual = isinstance(a, str) and isinstance(b, str) and node.op == "+"
        if isinstance(a, tuple) and isinstance(b, tuple) and node.op == "+":
            # Sequences are tuples here, whichever display wrote them (`INSTALLED_APPS
            # += [...]`); Python refuses a list and a tuple with `+`: no code that runs.
            if len(a) + len(b) > _MAX_ITEMS:
                return unknown("sequence too long", node, path)
            return known(a + b, node, path)
        if not (numeric or textual):
            return unknown("unsupported operands", node, path)
        if node.op == "**" and (abs(b) > 64 or abs(a) > 10**6):
            return unknown("exponent too large", node, path)
        try:
            result = _BINOPS[node.op](a, b)
        except (ArithmeticError, ValueError, KeyError):
            return unknown("arithmetic error", node, path)
        if isinstance(result, str) and len(result) > _MAX_STR:
            return unknown("string too long", node, path)
        return known(result, node, path)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
