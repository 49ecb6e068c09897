"""What importing a module certainly runs (`facts.schema.ImportTime`).

A process running an app imports the module making it, its `-A` module, and
what their own top-level statements import, again and again. A Flask factory
their top level calls (superset's worker module calls `create_app()`) runs
the statements its body certainly runs: what those do to a Celery app made
elsewhere (`celery_app.config_from_object(app.config["CELERY_CONFIG"])`)
configures it, as if written at the call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Optional

import msgspec

from celerylint.facts.schema import ConfOp, FactoryCall, Span
from celerylint.model.factories import rebound_op
from celerylint.model.namespace import Modules


class RunOp(msgspec.Struct, frozen=True):
    """A change to an app's configuration that a factory called at import makes."""

    caller: str  # the file whose top level calls the factory
    call: Span
    path: str  # the factory's file, where the change is written
    op: ConfOp


def certainly_imported(modules: Modules, roots: Iterable[str]) -> set[str]:
    """The modules importing `roots` certainly imports: themselves, their packages, and
    what their own top-level statements import."""
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        pending.extend(modules.parents(module))
        facts = modules.facts(module)
        for imported in facts.discovery.imports if facts else ():
            if not imported.certain:
                continue
            # `import a.b` imports `a.b`; `from a import b`, `a`, and `a.b` should that
            # be a module.
            for dotted in (imported.module, *(f"{imported.module}.{n}" for n in imported.names)):
                found = modules.find(dotted, module)
                if found is not None:
                    pending.append(found)
    return seen


def run_at_import(modules: Modules, module: str) -> Iterator[RunOp]:
    """What the Flask factories `module`'s top level certainly calls do to Celery apps
    they are not given, in order (`FlaskFactory.celery_ops`)."""
    facts = modules.facts(module)
    for call in facts.at_import.calls if facts else ():
        symbol = modules.resolve(call.callee, module)
        if symbol.kind != "function" or symbol.rest or not symbol.module or not symbol.name:
            continue
        defining = modules.facts(symbol.module)
        factory = defining.flask_factories.get(symbol.name) if defining else None
        if factory is None or not factory.celery_ops:
            continue
        assert call.span is not None  # every call recorded at import has its span
        qualified = f"{symbol.module}.{symbol.name}"
        names: dict[str, Optional[str]] = {f"{qualified}.{p}": None for p in factory.params}
        names[f"{qualified}.{factory.local}"] = _flask_app(call, module, qualified)
        path = modules.paths[symbol.module]
        for op in factory.celery_ops:
            rebound = rebound_op(op, op.receiver, names)
            yield RunOp(modules.paths[module], call.span, path, rebound)


def _flask_app(call: FactoryCall, module: str, factory: str) -> Optional[str]:
    """What the factory's Flask app stands for after the call: the module-level name its
    value is bound to, or the argument-less call itself (`create_app()`, read with the
    parameters' defaults); None (nothing known) for a call given arguments whose value
    is not kept: which config its arguments build is not followed there."""
    if call.var:
        return f"{module}.{call.var}"
    if not (call.args or call.kwargs or call.opaque):
        return f"{factory}()"
    return None
