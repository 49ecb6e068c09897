"""The request's transaction (CL601): Django's ATOMIC_REQUESTS, and the views it wraps.

With `DATABASES[alias]["ATOMIC_REQUESTS"] = True`, Django's handler runs each view in
`transaction.atomic(using=alias)` (`BaseHandler.make_view_atomic`), unless the view
is marked with `transaction.non_atomic_requests` for that alias; an async view is not
wrapped (Django raises RuntimeError instead). The extraction records the code a request
may run with the view it would be (`RequestView`); here the project decides: the
view's class reaches one of Django's or DRF's view classes, and the project's Django
settings set ATOMIC_REQUESTS, known and unconditional.
"""

from __future__ import annotations

import functools
from typing import Optional

import msgspec

from celerylint.facts.schema import (
    Assign,
    AtomicRequestsSet,
    Const,
    Map,
    Node,
    RequestView,
    Span,
)
from celerylint.facts.transactions import NON_ATOMIC, READ_ONLY
from celerylint.facts.values import Evaluator
from celerylint.model.namespace import Modules
from celerylint.model.project import Project

# Django's and DRF's view classes (their mixins are no views: `ContextMixin`,
# `ViewSetMixin`, `SingleObjectMixin`).
_VIEW_CLASSES = frozenset({"django.views.View", "rest_framework.views.APIView"})
_VIEW_MODULES = (
    "django.views.generic.",
    "rest_framework.viewsets.",
    "rest_framework.generics.",
)


class AtomicRequests(msgspec.Struct, frozen=True):
    """Where ATOMIC_REQUESTS is set: the database alias, the file and the value's span."""

    alias: str
    path: str
    span: Span


class Views:
    """Decides which recorded views Django runs in the request's transaction."""

    def __init__(self, project: Project) -> None:
        self.project = project

    @functools.cached_property
    def atomic_requests(self) -> Optional[AtomicRequests]:
        return atomic_requests(self.project)

    def wrapped(self, module: str, view: RequestView) -> bool:
        """A view of the project that `non_atomic_requests` does not exempt."""
        if view.cls is None:
            if view.name in self.exempt:
                return False
            # Django calls a view with the request first: a module-level function of a
            # views module taking `request` first is one (or code only views call).
            return view.api_view or "views" in Modules.display(module).split(".")
        mro = self.project.modules.mro(module, view.cls)
        if mro is None or any(entry.name in self.exempt for entry in mro if entry.name):
            return False  # `as_view()` takes the attributes `dispatch` has along the MRO
        return any(_view_class(entry.key) for entry in mro if entry.facts is None)

    @functools.cached_property
    def exempt(self) -> frozenset[str]:
        """The names `non_atomic_requests` exempts anywhere in the project (the URLconf
        that wraps a view is seldom a module Celery's rules read otherwise)."""
        names: set[str] = set()
        found = self.project.modules_mentioning([NON_ATOMIC])[NON_ATOMIC]
        for module in found:
            facts = self.project.modules.facts(module)
            if facts is not None:
                names.update(facts.non_atomic_views)
        return frozenset(names)


def _view_class(key: str) -> bool:
    if key in _VIEW_CLASSES:
        return True
    return key.startswith(_VIEW_MODULES) and not key.endswith("Mixin")


def atomic_requests(project: Project) -> Optional[AtomicRequests]:
    """Where ATOMIC_REQUESTS is on, when every Django settings module the project's
    processes may load (`Project.django_settings`) certainly sets it for a database;
    None otherwise (no settings module known, one outside the project, disagreeing)."""
    found: list[Optional[AtomicRequests]] = []
    for dotted, near in project.django_settings:
        module = project.modules.find(dotted, near) if dotted else None
        if module is None:
            return None
        bound = project.modules.binding_of(f"{Modules.display(module)}.DATABASES", module)
        in_display = _in_databases(*bound, project.evaluator) if bound else None
        found.append(in_display or _set_into_databases(project, module))
    return found[0] if found and all(found) else None


def _set_into_databases(project: Project, module: str) -> Optional[AtomicRequests]:
    """`DATABASES["default"]["ATOMIC_REQUESTS"] = True` (cookiecutter-django's base
    settings, star-imported by its production module; or set in the module that
    star-imports the one binding `DATABASES`): the settings module and the modules it
    star-imports bind `DATABASES` once, and every statement of theirs setting the key
    into it sets it unconditionally to True, after the binding (in another module
    than the binding's, it can only run after its star import: before, the name is
    not bound)."""
    chain = project.references.star_chain(module)
    sets = [(m, s) for m in chain for s in _facts_sets(project, m)]
    binders = [(m, line) for m in chain if (line := _binds_databases(project, m)) is not None]
    if not sets or len(binders) != 1:
        return None
    binder, bound_at = binders[0]
    for where, setting in sets:
        value = project.evaluator.evaluate(setting.node, project.modules.paths[where])
        after = where != binder or setting.span.line > bound_at
        if setting.conditional or not after or not (value.known and value.value is True):
            return None
    where, last = sets[-1]
    if READ_ONLY.search(last.alias) or any(s.alias != last.alias for _, s in sets):
        return None
    return AtomicRequests(last.alias, project.modules.paths[where], last.span)


def _binds_databases(project: Project, module: str) -> Optional[int]:
    """The line of the module's last statement binding `DATABASES`; None if none does."""
    facts = project.modules.facts(module)
    lines = [
        event.target_span.line if event.target_span else 0
        for event in (facts.events if facts is not None else ())
        if isinstance(event, Assign) and event.name == "DATABASES"
    ]
    return lines[-1] if lines else None


def _facts_sets(project: Project, module: str) -> tuple[AtomicRequestsSet, ...]:
    facts = project.modules.facts(module)
    return facts.atomic_requests_sets if facts is not None else ()


def _in_databases(node: Node, path: str, evaluator: Evaluator) -> Optional[AtomicRequests]:
    """`DATABASES = {alias: {..., "ATOMIC_REQUESTS": True}}` written as a dict display,
    unconditional and not changed later (a key set into the dict afterwards:
    `_set_into_databases`)."""
    if not isinstance(node, Map):
        return None
    for key, database in node.pairs:
        if not (isinstance(key, Const) and isinstance(key.value, str)):
            continue
        if READ_ONLY.search(key.value) or not isinstance(database, Map):
            continue  # a read replica's transaction holds no writes for a task to wait for
        keys = [k.value if isinstance(k, Const) else None for k, _ in database.pairs]
        if None in keys or "ATOMIC_REQUESTS" not in keys:
            continue  # a key not known may be ATOMIC_REQUESTS
        setting = database.pairs[len(keys) - 1 - keys[::-1].index("ATOMIC_REQUESTS")][1]
        value = evaluator.evaluate(setting, path)
        if value.known and value.value is True and setting.span is not None:
            return AtomicRequests(key.value, path, setting.span)
    return None
