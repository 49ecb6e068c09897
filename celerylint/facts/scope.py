"""Names in one file: what an identifier refers to, fully qualified.

Import aliases are file-local, so resolving `mp.Pool` to `multiprocessing.Pool`
happens during extraction. Names that the file does not bind itself are
qualified into the module's own namespace (`pkg.mod.name`) so that the project
model can later follow star imports and re-exports.
"""

from __future__ import annotations

import ast
import builtins
from typing import Optional

_BUILTINS = frozenset(dir(builtins))


def resolve_relative(module: str, is_package: bool, level: int, target: Optional[str]) -> str:
    """Absolute module for `from <level dots><target> import ...` in `module`."""
    if level == 0:
        return target or ""
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    if target:
        parts.append(target)
    return ".".join(parts)


def import_bindings(
    stmt: ast.Import | ast.ImportFrom, module: str, is_package: bool
) -> list[tuple[str, str]]:
    """(local name, qualified name) pairs bound by an import; star imports excluded."""
    bindings: list[tuple[str, str]] = []
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                bindings.append((alias.asname, alias.name))
            else:
                head = alias.name.split(".")[0]
                bindings.append((head, head))
        return bindings
    base = resolve_relative(module, is_package, stmt.level, stmt.module)
    for alias in stmt.names:
        if alias.name == "*":
            continue
        qualified = f"{base}.{alias.name}" if base else alias.name
        bindings.append((alias.asname or alias.name, qualified))
    return bindings


class Scope:
    """Resolves identifiers of one module, optionally inside one function."""

    def __init__(
        self,
        module: str,
        imports: dict[str, str],
        module_names: set[str],
        local_imports: Optional[dict[str, str]] = None,
        local_names: Optional[set[str]] = None,
    ) -> None:
        self.module = module
        self.imports = imports
        self.module_names = module_names
        self.local_imports = local_imports or {}
        self.local_names = local_names or set()
        # What `qualify` said, by the expression's id (with the expression, so that the
        # id cannot be another's): discovery, dispatches and chords each qualify every callee.
        self._qualified: dict[int, tuple[ast.expr, Optional[str]]] = {}

    def child(self, local_imports: dict[str, str], local_names: set[str]) -> Scope:
        """A function's scope inside this one: enclosing locals stay visible unless rebound."""
        inherited = {k: v for k, v in self.local_imports.items() if k not in local_names}
        return Scope(
            self.module,
            self.imports,
            self.module_names,
            {**inherited, **local_imports},
            self.local_names | local_names,
        )

    def is_local(self, name: str) -> bool:
        return name in self.local_names and name not in self.local_imports

    def qualify_name(self, name: str) -> Optional[str]:
        if name in self.local_imports:
            return self.local_imports[name]
        if name in self.local_names:
            return None
        if name in self.imports:
            return self.imports[name]
        if name in self.module_names:
            return f"{self.module}.{name}" if self.module else name
        if name in _BUILTINS:
            return f"builtins.{name}"
        # Possibly bound by a star import: let the project model look it up.
        return f"{self.module}.{name}" if self.module else name

    def qualify(self, expr: ast.expr) -> Optional[str]:
        """`mp.Pool` -> `multiprocessing.Pool`; None for anything but a dotted name."""
        known = self._qualified.get(id(expr))
        if known is not None and known[0] is expr:
            return known[1]
        qualified = self._qualify(expr)
        self._qualified[id(expr)] = (expr, qualified)
        return qualified

    def _qualify(self, expr: ast.expr) -> Optional[str]:
        attrs: list[str] = []
        while isinstance(expr, ast.Attribute):
            attrs.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        head = self.qualify_name(expr.id)
        if head is None:
            return None
        return ".".join([head, *reversed(attrs)])
