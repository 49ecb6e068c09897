"""Expressions to IR nodes (see `facts.values`), with character-exact spans."""

from __future__ import annotations

import ast
import re
import string
from typing import Any, Optional

from celerylint.facts.schema import (
    BinOp,
    Const,
    Delay,
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
from celerylint.facts.scope import Scope

_ENV_GETTERS = frozenset({"os.environ.get", "os.getenv", "os.environ.setdefault"})
# django-environ / python-decouple / environs style helpers: `env("X", default=...)`.
_ENV_HELPER_NAMES = frozenset({"env", "config", "get_env", "getenv", "env_var"})
_TIMEDELTA = frozenset({"datetime.timedelta", "timedelta"})
_QUEUE = frozenset({"kombu.Queue", "kombu.entity.Queue"})


class Positions:
    """Converts ast's UTF-8 byte columns to character columns."""

    def __init__(self, source: str) -> None:
        self._ascii = source.isascii()
        # Only the line breaks `ast` counts: str.splitlines() also breaks at \f, \x1c, U+2028.
        # Without a \r, they are the \n (str.split is several times faster than re.split).
        self.lines: list[str] = (
            re.split(r"\r\n|\r|\n", source) if "\r" in source else source.split("\n")
        )

    def col(self, line: int, byte_col: int) -> int:
        if self._ascii or line - 1 >= len(self.lines):
            return byte_col
        encoded = self.lines[line - 1].encode("utf-8", "surrogatepass")
        return len(encoded[:byte_col].decode("utf-8", "replace"))

    def span(self, node: Any) -> Span:
        end_line = getattr(node, "end_lineno", None) or node.lineno
        end_col = getattr(node, "end_col_offset", None)
        if end_col is None:
            end_col = node.col_offset
        # Byte columns are character columns (most files: the corpus's 63,540 spans
        # 0.049 -> 0.043 s).
        if self._ascii:
            return Span(node.lineno, node.col_offset, end_line, end_col)
        return Span(
            node.lineno,
            self.col(node.lineno, node.col_offset),
            end_line,
            self.col(end_line, end_col),
        )


def const_str(node: Optional[ast.expr]) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def unpacks(call: ast.Call) -> bool:
    """Whether a call passes `*args` or `**kwargs`: which arguments it gives is not seen."""
    return any(isinstance(arg, ast.Starred) for arg in call.args) or any(
        keyword.arg is None for keyword in call.keywords
    )


def keyword_value(call: ast.Call, name: str) -> Optional[ast.expr]:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


# Generated code (fixtures, translations) can hold literals with 100,000 items;
# no Celery setting is that big, and building IR for them costs time and cache.
_MAX_LITERAL_ITEMS = 1000
# The reason of a node made by a call no other node stands for: what it calls follows.
_CALL = "call to "


def called(node: Node) -> Optional[str]:
    """What a node made by a call (`create_app("production")`) calls, qualified as
    written; None for any other node."""
    if isinstance(node, Unknown) and node.reason.startswith(_CALL):
        return node.reason[len(_CALL) :]
    return None


def _namespace_of(source: ast.expr) -> Optional[ast.expr]:
    """`M` of `M.__dict__.items()` or `vars(M).items()`; None for anything else."""
    if not (
        isinstance(source, ast.Call)
        and not source.args
        and not source.keywords
        and isinstance(source.func, ast.Attribute)
        and source.func.attr == "items"
    ):
        return None
    mapping = source.func.value
    if isinstance(mapping, ast.Attribute) and mapping.attr == "__dict__":
        return mapping.value
    if (
        isinstance(mapping, ast.Call)
        and isinstance(mapping.func, ast.Name)
        and mapping.func.id == "vars"
        and len(mapping.args) == 1
        and not mapping.keywords
    ):
        return mapping.args[0]
    return None


def _name_prefix(conditions: list[ast.expr], key: str) -> Optional[str]:
    """The prefix of `if k.startswith("P")` ("" with no condition); None for any
    other condition."""
    if not conditions:
        return ""
    if len(conditions) != 1:
        return None
    test = conditions[0]
    if (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Attribute)
        and test.func.attr == "startswith"
        and isinstance(test.func.value, ast.Name)
        and test.func.value.id == key
        and len(test.args) == 1
        and not test.keywords
    ):
        return const_str(test.args[0])
    return None


class NodeBuilder:
    """Turns expressions into IR nodes (see facts.values)."""

    def __init__(self, positions: Positions, directory: Optional[str] = None) -> None:
        self.positions = positions
        # The name of the directory the module's file is in (its package's last name),
        # what `os.path.basename(os.path.dirname(__file__))` gives; None at a root.
        self.directory = directory

    def build(self, expr: ast.expr, scope: Scope, depth: int = 0) -> Node:
        span = self.positions.span(expr)
        if depth > 40:
            return Unknown(span, "expression too deep")
        if self.directory is not None and _names_file_directory(expr, scope):
            # kpi's `PROJECT_NAME = os.path.basename(os.path.dirname(__file__))`, then
            # `f"{PROJECT_NAME}.settings.prod_celery"`.
            return Const(span, self.directory)
        if isinstance(expr, ast.Constant):
            value = expr.value
            if value is None or isinstance(value, (str, bool, int, float)):
                return Const(span, value)
            return Unknown(span, "unsupported constant")
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            size = len(expr.keys) if isinstance(expr, ast.Dict) else len(expr.elts)
            if size > _MAX_LITERAL_ITEMS:
                return Unknown(span, "literal too large to evaluate")
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            if any(isinstance(elt, ast.Starred) for elt in expr.elts):
                return Unknown(span, "starred element")
            return Seq(span, tuple(self.build(elt, scope, depth + 1) for elt in expr.elts))
        if isinstance(expr, ast.Dict):
            if any(key is None for key in expr.keys):
                return self._merge(expr, scope, span, depth)
            pairs = tuple(
                (self.build(key, scope, depth + 1), self.build(value, scope, depth + 1))
                for key, value in zip(expr.keys, expr.values, strict=True)
                if key is not None
            )
            return Map(span, pairs)
        if isinstance(expr, ast.Name):
            if scope.is_local(expr.id):
                return Unknown(span, f"local variable {expr.id}")
            qualified = scope.qualify_name(expr.id)
            if expr.id in scope.imports or expr.id in scope.local_imports:
                return Ref(span, qualified or expr.id)
            if qualified and qualified.startswith("builtins."):
                return Ref(span, qualified)
            return Name(span, expr.id)
        if isinstance(expr, ast.Attribute):
            qualified = scope.qualify(expr)
            if qualified:
                return Ref(span, qualified)
            return Unknown(span, "attribute of an expression")
        if isinstance(expr, ast.BinOp):
            op = operator_symbol(expr.op)
            if op is None:
                return Unknown(span, "unsupported operator")
            return BinOp(
                span,
                op,
                self.build(expr.left, scope, depth + 1),
                self.build(expr.right, scope, depth + 1),
            )
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
            return Neg(span, self.build(expr.operand, scope, depth + 1))
        if isinstance(expr, ast.Subscript):
            return self._subscript(expr, scope, span, depth)
        if isinstance(expr, ast.Call):
            return self._call(expr, scope, span, depth)
        if isinstance(expr, ast.JoinedStr):
            return self._joined(expr, scope, span, depth)
        if isinstance(expr, ast.DictComp):
            return self._module_globals(expr, scope, span, depth)
        return Unknown(span, f"{type(expr).__name__.lower()} expression")

    def _module_globals(self, expr: ast.DictComp, scope: Scope, span: Span, depth: int) -> Node:
        """`{k: v for k, v in M.__dict__.items() if k.startswith("P")}` (or `vars(M)`,
        no condition): the names module `M` binds starting with P, as a dict of their own
        (a `Merge` of one part, so that items set on it later add parts)."""
        unknown = Unknown(span, "dictcomp expression")
        if len(expr.generators) != 1:
            return unknown
        loop = expr.generators[0]
        target, source = loop.target, loop.iter
        if loop.is_async or not isinstance(target, ast.Tuple) or len(target.elts) != 2:
            return unknown
        key, value = target.elts
        if not (
            isinstance(key, ast.Name)
            and isinstance(value, ast.Name)
            and isinstance(expr.key, ast.Name)
            and isinstance(expr.value, ast.Name)
            and (expr.key.id, expr.value.id) == (key.id, value.id)
        ):
            return unknown
        module = _namespace_of(source)
        prefix = _name_prefix(loop.ifs, key.id)
        if module is None or prefix is None:
            return unknown
        built = self.build(module, scope, depth + 1)
        if not isinstance(built, (Ref, Name)):
            return unknown
        return Merge(span, (Globals(span, built, prefix),))

    def _merge(self, expr: ast.Dict, scope: Scope, span: Span, depth: int) -> Node:
        """`{**A, "k": v, **B}`: the unpacked mappings and runs of literal entries, in order."""
        parts: list[Node] = []
        run: list[tuple[Node, Node]] = []
        for key, value in zip(expr.keys, expr.values, strict=True):
            if key is not None:
                run.append((self.build(key, scope, depth + 1), self.build(value, scope, depth + 1)))
                continue
            if run:
                parts.append(Map(None, tuple(run)))
                run = []
            parts.append(self.build(value, scope, depth + 1))
        if run:
            parts.append(Map(None, tuple(run)))
        return Merge(span, tuple(parts))

    def _subscript(self, expr: ast.Subscript, scope: Scope, span: Span, depth: int) -> Node:
        key = const_str(expr.slice)
        if scope.qualify(expr.value) == "os.environ":
            if key is not None:
                return Env(span, key, None, True)
        elif key is not None:
            container = self.build(expr.value, scope, depth + 1)
            if isinstance(container, (Ref, Name)):
                return Item(span, container, key)  # `app.config["BROKER_URL"]`, `CONF["x"]`
        return Unknown(span, "subscript")

    def _call(self, call: ast.Call, scope: Scope, span: Span, depth: int) -> Node:
        callee = scope.qualify(call.func)
        if callee in _ENV_GETTERS and call.args:
            variable = const_str(call.args[0])
            if variable is not None:
                default = None
                if len(call.args) > 1:
                    default = self.build(call.args[1], scope, depth + 1)
                return Env(span, variable, default, False)
        if callee in _CASTS and len(call.args) == 1 and not call.keywords:
            inner = self.build(call.args[0], scope, depth + 1)
            if isinstance(inner, Env):
                # int(os.environ.get("X", "4")): still the variable X, set or not as before.
                return Env(
                    span,
                    inner.variable,
                    _cast(callee, inner.default),
                    inner.required,
                    callee.rsplit(".", 1)[1],
                )
        template = _format_template(call)
        if template is not None:
            return self._format(call, template, scope, span, depth)
        if callee in _TIMEDELTA or (callee or "").endswith(".timedelta"):
            return self._timedelta(call, scope, span, depth)
        if callee == "re.compile":
            return self._pattern(call, scope, span, depth)
        if callee == "builtins.dict" and not call.args and all(k.arg for k in call.keywords):
            # `CELERY=dict(broker_url=...)`, as Celery's Flask guide writes it. The keys
            # have no span: they are no string literal a rename could edit.
            return Map(
                span,
                tuple(
                    (Const(None, k.arg), self.build(k.value, scope, depth + 1))
                    for k in call.keywords
                    if k.arg
                ),
            )
        if callee in _QUEUE:
            name = call.args[0] if call.args else keyword_value(call, "name")
            if name is not None:
                return QueueDecl(span, self.build(name, scope, depth + 1))
        if _is_env_helper(call.func) and call.args:
            variable = const_str(call.args[0])
            if variable is not None:
                default_expr = keyword_value(call, "default")
                # env.str("X", "d") (django-environ's typed helpers) and config("X", "d")
                # (decouple) take the default second; plain env("X", cast) does not.
                typed = isinstance(call.func, ast.Attribute) or (
                    isinstance(call.func, ast.Name) and call.func.id != "env"
                )
                if default_expr is None and typed and len(call.args) > 1:
                    default_expr = call.args[1]
                default = self.build(default_expr, scope, depth + 1) if default_expr else None
                # django-environ and decouple raise when a variable without default is unset.
                return Env(span, variable, default, default_expr is None, _helper_cast(call))
        item = self._get(call, scope, span, depth)
        if item is not None:
            return item
        return Unknown(span, f"{_CALL}{callee or 'an expression'}")

    def _get(self, call: ast.Call, scope: Scope, span: Span, depth: int) -> Optional[Item]:
        """`app.config.get("KEY")`, `CONF.get("key", default)`: a mapping's item, or the
        default where the key is certainly absent (lemur, flaskbb, the Flask SaaS app)."""
        func = call.func
        if not (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and 1 <= len(call.args) <= 2
            and not call.keywords
        ):
            return None
        key = const_str(call.args[0])
        if key is None:
            return None
        container = self.build(func.value, scope, depth + 1)
        if not isinstance(container, (Ref, Name)):
            return None
        default = self.build(call.args[1], scope, depth + 1) if len(call.args) == 2 else None
        return Item(span, container, key, default, True)

    def _joined(self, expr: ast.JoinedStr, scope: Scope, span: Span, depth: int) -> Node:
        parts: list[Node] = []
        for value in expr.values:
            if isinstance(value, ast.FormattedValue):
                if value.conversion != -1 or value.format_spec is not None:
                    parts.append(Unknown(self.positions.span(value), "formatted placeholder"))
                else:
                    parts.append(self.build(value.value, scope, depth + 1))
            else:
                parts.append(self.build(value, scope, depth + 1))
        return Formatted(span, tuple(parts))

    def _format(self, call: ast.Call, template: str, scope: Scope, span: Span, depth: int) -> Node:
        """`"...{}...".format(...)`: the template's text, each field the argument it names."""
        parts: list[Node] = []
        automatic = 0
        try:
            fields = list(string.Formatter().parse(template))
        except ValueError:
            return Unknown(span, "malformed format string")
        for text, field, spec, conversion in fields:
            if text:
                parts.append(Const(None, text))
            if field is None:
                continue
            argument: Optional[ast.expr] = None
            if field == "":
                field = str(automatic)
                automatic += 1
            if field.isdigit():
                index = int(field)
                plain = all(not isinstance(arg, ast.Starred) for arg in call.args[: index + 1])
                argument = call.args[index] if plain and index < len(call.args) else None
            elif field.isidentifier():
                argument = keyword_value(call, field)
            if argument is None or spec or conversion:
                parts.append(Unknown(None, "formatted placeholder"))
            else:
                parts.append(self.build(argument, scope, depth + 1))
        return Formatted(span, tuple(parts))

    def delay(self, call: ast.Call, scope: Scope) -> Optional[Delay]:
        """How long the message a call sends waits: `countdown=X` or `eta=<now>() + X`."""
        countdown = keyword_value(call, "countdown")
        if countdown is not None:
            return Delay(self.build(countdown, scope), self.positions.span(countdown))
        eta = keyword_value(call, "eta")
        if not (isinstance(eta, ast.BinOp) and isinstance(eta.op, ast.Add)):
            return None
        for now, offset in ((eta.left, eta.right), (eta.right, eta.left)):
            if isinstance(now, ast.Call) and _is_now(scope.qualify(now.func)):
                return Delay(self.build(offset, scope), self.positions.span(eta))
        return None

    def _pattern(self, call: ast.Call, scope: Scope, span: Span, depth: int) -> Node:
        pattern = call.args[0] if call.args else keyword_value(call, "pattern")
        flags = call.args[1] if len(call.args) > 1 else keyword_value(call, "flags")
        if pattern is None or len(call.args) > 2 or any(k.arg is None for k in call.keywords):
            return Unknown(span, "re.compile with unknown arguments")
        flag = 0
        if flags is not None:
            # `re.IGNORECASE`, `re.I`: the standard library's value, read, not run.
            named = scope.qualify(flags) or ""
            module, _, name = named.rpartition(".")
            if module != "re" or name not in re.RegexFlag.__members__:
                return Unknown(span, "re.compile with flags that are not one re flag")
            flag = int(re.RegexFlag[name])
        return Pattern(span, self.build(pattern, scope, depth + 1), flag)

    def _timedelta(self, call: ast.Call, scope: Scope, span: Span, depth: int) -> Node:
        order = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")
        parts: list[tuple[str, Node]] = []
        if len(call.args) > len(order) or any(k.arg is None for k in call.keywords):
            return Unknown(span, "timedelta with unpacked arguments")
        for keyword_name, arg in zip(order, call.args, strict=False):
            parts.append((keyword_name, self.build(arg, scope, depth + 1)))
        for keyword in call.keywords:
            if keyword.arg is None or keyword.arg not in order:
                return Unknown(span, "timedelta with unknown keyword")
            parts.append((keyword.arg, self.build(keyword.value, scope, depth + 1)))
        return TimeDelta(span, tuple(parts))


_CASTS: dict[str, type] = {
    "builtins.int": int,
    "builtins.float": float,
    "builtins.str": str,
    "builtins.bool": bool,
}


def _cast(callee: str, default: Optional[Node]) -> Optional[Node]:
    """The literal default of a cast environment lookup, cast; None if there is none."""
    if default is None:
        return None
    if isinstance(default, Const):
        try:
            return Const(default.span, _CASTS[callee](default.value))
        except (TypeError, ValueError):
            return Unknown(default.span, "the default does not convert")
    if isinstance(default, Env):
        return Env(default.span, default.variable, _cast(callee, default.default), default.required)
    return Unknown(default.span, "a converted default")


def _format_template(call: ast.Call) -> Optional[str]:
    """The template of `"...".format(...)`, written as a literal."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "format":
        return const_str(func.value)
    return None


# The clocks an ETA is computed from: datetime.now(), utcnow(), django's timezone.now().
_NOW = frozenset({"now", "utcnow"})


def _is_now(callee: Optional[str]) -> bool:
    return bool(callee) and (callee or "").rsplit(".", 1)[-1] in _NOW and "." in (callee or "")


_HELPER_CASTS = {"str": "str", "int": "int", "float": "float", "bool": "env_bool", "list": "list"}


def _helper_cast(call: ast.Call) -> str:
    """How `env.int("X")`, `env("X")`, `config("X", cast=int)` convert the variable's string."""
    if any(keyword.arg == "cast" for keyword in call.keywords):
        return "opaque"
    if isinstance(call.func, ast.Attribute):
        return _HELPER_CASTS.get(call.func.attr, "opaque")
    # env("X", int) (django-environ's positional cast) cannot be told from a default.
    is_env = isinstance(call.func, ast.Name) and call.func.id == "env"
    return "opaque" if is_env and len(call.args) > 1 else "str"


def _is_env_helper(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in _ENV_HELPER_NAMES
    return isinstance(func, ast.Attribute) and (
        isinstance(func.value, ast.Name) and func.value.id in ("env", "environ_env", "config")
    )


def operator_symbol(op: ast.operator) -> Optional[str]:
    """The symbol of an arithmetic operator the evaluator follows; None for others."""
    return _BINOP_SYMBOLS.get(type(op))


_BINOP_SYMBOLS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}


def file_directory(module: str, is_package: bool) -> Optional[str]:
    """The name of the directory a module's file is in: its package's last name (a
    package's own, for its `__init__.py`); None for a top-level module."""
    if is_package:
        return module.rsplit(".", 1)[-1]
    package, dot, _ = module.rpartition(".")
    return package.rsplit(".", 1)[-1] if dot else None


def _names_file_directory(expr: ast.expr, scope: Scope) -> bool:
    """`os.path.basename(os.path.dirname(__file__))` (`__file__` maybe made absolute or
    real first), or `Path(__file__).parent.name` (maybe resolved first)."""
    if isinstance(expr, ast.Call):
        if scope.qualify(expr.func) != "os.path.basename" or len(expr.args) != 1:
            return False
        inner = expr.args[0]
        return (
            isinstance(inner, ast.Call)
            and scope.qualify(inner.func) == "os.path.dirname"
            and len(inner.args) == 1
            and _is_file(inner.args[0], scope, _ABSOLUTE_PATHS)
        )
    if not (isinstance(expr, ast.Attribute) and expr.attr == "name"):
        return False
    parent = expr.value
    if not (isinstance(parent, ast.Attribute) and parent.attr == "parent"):
        return False
    path = parent.value
    if isinstance(path, ast.Call) and isinstance(path.func, ast.Attribute) and not path.args:
        if path.func.attr not in ("resolve", "absolute"):
            return False
        path = path.func.value  # `Path(__file__).resolve()`
    return (
        isinstance(path, ast.Call)
        and scope.qualify(path.func) == "pathlib.Path"
        and len(path.args) == 1
        and _is_file(path.args[0], scope, frozenset())
    )


# Calls that make `__file__` absolute without changing its directory's name.
_ABSOLUTE_PATHS = frozenset({"os.path.abspath", "os.path.realpath"})


def _is_file(expr: ast.expr, scope: Scope, wrappers: frozenset[str]) -> bool:
    """`__file__`, or one of `wrappers` called on it."""
    if isinstance(expr, ast.Call) and len(expr.args) == 1 and scope.qualify(expr.func) in wrappers:
        expr = expr.args[0]
    return isinstance(expr, ast.Name) and expr.id == "__file__" and not scope.is_local("__file__")
