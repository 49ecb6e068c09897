"""Apps made by calling a Celery factory (`facts.celery_factories`).

`celery = make_celery(app)` makes the app the factory builds, under the caller's
name; so does `celery_app = flask_app.extensions["celery"]` when `flask_app` was
built by a Flask factory that handed itself to a Celery factory storing the app
there (Celery's Flask guide). The factory's app and operations name its local app
and its parameters by placeholders (`module.function.x`); each call puts its own
target and arguments in their place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Optional

import msgspec

from celerylint.facts.nodes import called
from celerylint.facts.schema import (
    AppCall,
    CeleryFactory,
    ConfOp,
    ExtensionRead,
    FileFacts,
    Ref,
    Unknown,
)
from celerylint.model.namespace import Modules


class MadeApp(msgspec.Struct, frozen=True):
    """An app a factory call makes: its `Celery(...)` call under the caller's name, in
    the factory's file, and what the factory does to it there (in order)."""

    record: AppCall
    path: str
    conf_ops: list[tuple[str, ConfOp]]


def made_apps(modules: Modules, module: str, facts: FileFacts) -> Iterator[MadeApp]:
    """The apps `module`'s top level makes by calling Celery factories."""
    for call in facts.factory_calls:
        found = _factory(modules, call.callee, module)
        if found is not None:
            qualified, factory = found
            given = dict(zip(factory.params, call.positional_objects, strict=False))
            given.update(call.keyword_objects)
            yield _made(modules, qualified, factory, f"{module}.{call.var}", given)
    for read in facts.extension_reads:
        yield from _extension_apps(modules, module, read)


def _factory(modules: Modules, callee: str, near: str) -> Optional[tuple[str, CeleryFactory]]:
    symbol = modules.resolve(callee, near)
    if symbol.kind != "function" or symbol.rest or not symbol.module or not symbol.name:
        return None
    facts = modules.facts(symbol.module)
    factory = facts.celery_factories.get(symbol.name) if facts else None
    return None if factory is None else (f"{symbol.module}.{symbol.name}", factory)


def _extension_apps(modules: Modules, module: str, read: ExtensionRead) -> Iterator[MadeApp]:
    """`var = owner.extensions[key]`, `owner = create_app(...)`: the app of the Celery
    factory `create_app` hands its Flask app to that stores it there. The read succeeds
    only if something stored the key: when exactly one such factory may have been
    handed the app, that one did."""
    built = _built_by(modules, module, read)
    if built is None:
        return
    building, near, owner = built
    flask = modules.resolve(building, near)
    facts = modules.facts(flask.module) if flask.kind == "function" and flask.module else None
    flask_factory = facts.flask_factories.get(flask.name or "") if facts else None
    if flask_factory is None or flask.module is None:
        return
    storing: dict[str, CeleryFactory] = {}
    for callee in flask_factory.passes_app_to:
        found = _factory(modules, callee, flask.module)
        stored = found[1].extension if found is not None else None
        if found is not None and stored is not None and stored[1] == read.key:
            storing[found[0]] = found[1]
    if len(storing) != 1:
        return
    ((qualified, factory),) = storing.items()
    param = factory.extension[0] if factory.extension else ""
    if factory.params[:1] == (param,):
        yield _made(modules, qualified, factory, f"{module}.{read.var}", {param: owner})


def _built_by(modules: Modules, module: str, read: ExtensionRead) -> Optional[tuple[str, str, str]]:
    """(callee, the module it is named in, the owner's qualified name) of the call that
    made the app `read` reads: the one just before it in its branch, or the call a
    module-level name is certainly bound to."""
    if read.built_by:
        return read.built_by, module, read.owner
    symbol = modules.resolve(read.owner, module)
    binding = symbol.binding
    if symbol.kind != "binding" or symbol.rest or binding is None or binding.conditional:
        return None
    building = called(binding.node)
    if building is None:
        return None
    return building, binding.module, f"{binding.module}.{symbol.name}"


def _made(
    modules: Modules,
    qualified: str,
    factory: CeleryFactory,
    target: str,
    given: dict[str, Optional[str]],
) -> MadeApp:
    """The app of one call of `factory` (`qualified`), bound to `target`, with `given`:
    the object each parameter stands for (a missing one stands for nothing known)."""
    names = {f"{qualified}.{param}": given.get(param) for param in factory.params}
    names[f"{qualified}.{factory.local}"] = target
    record = factory.app
    record = msgspec.structs.replace(
        record,
        var=target.rsplit(".", 1)[1],
        args=_rebound(record.args, names),
        kwargs=_rebound(record.kwargs, names),
        mappings=_rebound(record.mappings, names),
    )
    path = modules.paths[qualified.rsplit(".", 1)[0]]
    ops = [(path, rebound_op(op, target, names)) for op in factory.conf_ops]
    return MadeApp(record, path, ops)


def rebound_op(op: ConfOp, target: str, names: dict[str, Optional[str]]) -> ConfOp:
    """`op` on `target`, each placeholder of `names` in its values replaced (`_rebound`)."""
    changes = {
        field: _rebound(getattr(op, field), names)
        for field in op.__struct_fields__
        if field not in ("receiver", "span", "key_span", "keyword_spans")
    }
    result: ConfOp = msgspec.structs.replace(op, receiver=target, **changes)
    return result


def _rebound(value: Any, names: dict[str, Optional[str]]) -> Any:
    """`value` (nodes, or tuples and dicts of them) with each placeholder in a `Ref`
    replaced by what it stands for, or by an unknown node where that is not known."""
    if isinstance(value, Ref):
        return _rebound_ref(value, names)
    if isinstance(value, tuple):
        return tuple(_rebound(item, names) for item in value)
    if isinstance(value, dict):
        return {key: _rebound(item, names) for key, item in value.items()}
    if isinstance(value, msgspec.Struct):
        fields = {field: getattr(value, field) for field in value.__struct_fields__}
        changed = {k: _rebound(v, names) for k, v in fields.items() if k != "span"}
        return msgspec.structs.replace(value, **changed)
    return value


def _rebound_ref(ref: Ref, names: dict[str, Optional[str]]) -> Ref | Unknown:
    qualname = ref.qualname
    for placeholder, stands_for in names.items():
        if qualname == placeholder or qualname.startswith(f"{placeholder}."):
            if stands_for is None:
                parameter = placeholder.rsplit(".", 1)[1]
                return Unknown(ref.span, f"parameter {parameter} of a factory")
            return Ref(ref.span, stands_for + qualname[len(placeholder) :])
    return ref
