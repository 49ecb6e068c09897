"""Python's C3 method resolution order over the project's classes.

Configuration classes (`config_from_object(ProductionConfig)`, Flask's
`from_object(Config)`) inherit and override attributes through several
bases; their attributes are looked up along the MRO, as `getattr` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from celerylint.model.namespace import ClassChain, Modules

_MAX_CLASSES = 50


def linearize(modules: Modules, module: str, name: str) -> Optional[ClassChain]:
    """The MRO of a project class, most derived first, without `object`.

    None when it cannot be computed statically: a base outside the project
    (other than `object`), a base that is an expression, a metaclass, a cycle,
    or an order Python itself would reject.
    """
    return _linearize(modules, module, name, ())


def _linearize(
    modules: Modules, module: str, name: str, seen: tuple[tuple[str, str], ...]
) -> Optional[ClassChain]:
    if (module, name) in seen or len(seen) > _MAX_CLASSES:
        return None
    cls = modules.class_facts(module, name)
    if cls is None or cls.opaque_bases:
        return None
    merged: list[ClassChain] = []
    direct: ClassChain = []
    for base in cls.bases:
        if base in (None, "builtins.object"):
            continue
        symbol = modules.resolve(base, module)
        if symbol.kind != "class" or symbol.module is None or symbol.name is None or symbol.rest:
            return None
        base_facts = modules.class_facts(symbol.module, symbol.name)
        chain = _linearize(modules, symbol.module, symbol.name, (*seen, (module, name)))
        if chain is None or base_facts is None:
            return None
        merged.append(chain)
        direct.append((symbol.module, symbol.name, base_facts))
    merged.append(direct)
    order = _merge(merged)
    if order is None:
        return None
    return [(module, name, cls), *order]


def _merge(sequences: list[ClassChain]) -> Optional[ClassChain]:
    """C3 merge: the head of the first list that is in no other list's tail, repeatedly."""
    pending = [list(seq) for seq in sequences if seq]
    result: ClassChain = []
    while pending:
        for seq in pending:
            head = seq[0][:2]
            if not any(head in [c[:2] for c in other[1:]] for other in pending):
                result.append(seq[0])
                break
        else:
            return None  # TypeError: Cannot create a consistent method resolution order
        pending = [[c for c in seq if c[:2] != head] for seq in pending]
        pending = [seq for seq in pending if seq]
    return result
