"""Which task names the project's apps register, and where tasks are named by a string.

A task is registered under its explicit `name=` or, by default, under
`<module>.<function>` with the module's `__name__` as the worker imports it
(celery.utils.imports.gen_task_name). A name is only known to be missing
when every task's name is known: a computed name, a decorator whose options
cannot be seen, a `register_task` that cannot be followed, a task made by a
call rather than a decorator, or a module that cannot be parsed makes the
registry incomplete, and then no name is reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Literal, Optional

import msgspec

from celerylint.facts.nodes import called
from celerylint.facts.schema import Const, FunctionFacts, Map, Merge, Name, Node, Ref, Seq, Span
from celerylint.model.namespace import Modules
from celerylint.model.settings import App

if TYPE_CHECKING:
    from celerylint.model.project import Project

# The tasks every Celery app registers itself (celery/app/builtins.py, Celery 5.7;
# tests/test_registry.py checks them against a real app's registry).
BUILTIN_TASKS = frozenset(
    {
        "celery.accumulate",
        "celery.backend_cleanup",
        "celery.chain",
        "celery.chord",
        "celery.chord_unlock",
        "celery.chunks",
        "celery.group",
        "celery.map",
        "celery.starmap",
    }
)

# Receivers of `.signature("name")` that make a signature by task name.
_SIGNATURE_FUNCTIONS = frozenset(
    {
        "celery.signature",
        "celery.Signature",
        "celery.subtask",
        "celery.canvas.signature",
        "celery.canvas.Signature",
        "celery.canvas.subtask",
    }
)
_CURRENT_APP = ("celery.current_app", "celery.app.current_app")

UseKind = Literal["send_task", "signature", "beat", "route", "annotation"]


class TaskNameRef(msgspec.Struct, frozen=True):
    """A task named by a string literal: a call, a beat entry, a routes or annotations key."""

    name: str
    kind: UseKind
    path: str
    span: Span
    app: Optional[App]  # the app whose settings name it (beat, routes, annotations)


# How alike two names must be (difflib's ratio) to be read as one misspelt.
TYPO_RATIO = 0.85


class TaskRegistry(msgspec.Struct, frozen=True):
    """The task names the project's apps register (any app: a monorepo's services share names)."""

    names: frozenset[str]
    incomplete: Optional[str]  # why some task's name cannot be known
    top_levels: frozenset[str]  # the project's top-level modules and packages

    def registers(self, name: str) -> bool:
        """Registered, also when the worker imports the module under a shorter name.

        A checkout may hold the project one directory deeper than the worker's
        `sys.path` sees it (`backend/orders/tasks.py` with `backend/__init__.py`,
        run from `backend/`): `orders.tasks.x` is then `backend.orders.tasks.x` here.
        """
        if name in self.names:
            return True
        suffix = f".{name}"
        return any(known.endswith(suffix) for known in self.names)

    def closest(self, name: str) -> Optional[str]:
        import difflib  # here: asked only of an unknown task name (0.2 MiB)

        matches = difflib.get_close_matches(name, sorted(self.names), n=1, cutoff=0.6)
        return matches[0] if matches else None

    def suggestion(self, name: str) -> Optional[str]:
        """The registered name `name` plausibly misspells, if any: close as a whole, with
        the same last part (the task moved to another module) or one a typo away. A
        dotted name shares most of itself with every task of its module: kuma's
        `kuma.wiki.tasks.index_documents` is close to `kuma.wiki.tasks.render_document`,
        another task, not its spelling."""
        import difflib

        last = name.rpartition(".")[2]
        for match in difflib.get_close_matches(name, sorted(self.names), n=3, cutoff=0.6):
            other = match.rpartition(".")[2]
            if other == last or difflib.SequenceMatcher(None, last, other).ratio() >= TYPO_RATIO:
                return match
        return None

    def closest_ratio(self, name: str) -> float:
        """How similar the closest registered name is (difflib's ratio, 0 to 1)."""
        import difflib

        closest = self.closest(name)
        return difflib.SequenceMatcher(None, name, closest).ratio() if closest else 0.0

    def in_project(self, name: str) -> bool:
        """The name starts with one of the project's own top-level modules (`proj.tasks.x`)."""
        return name.split(".", 1)[0] in self.top_levels


def _made_by_an_app_method(
    project: Project, module: str, functions: Iterable[FunctionFacts], methods: frozenset[str]
) -> Optional[str]:
    """A function decorated by a method an app's own class defines (indico's
    `@celery.periodic_task(...)`, which calls `self.task`): it may be a task, under a
    name that is not seen."""
    if not methods:
        return None  # most projects: apps of Celery's own class
    for function in functions:
        for decorator in function.decorators:
            qualname = decorator.qualname
            if qualname is None or qualname.rpartition(".")[2] not in methods:
                continue
            symbol = project.modules.resolve(qualname, module)
            if symbol.kind != "binding":
                continue
            key = f"{symbol.module}:{symbol.name}"
            for app in project.apps:
                if app.key == key:
                    return f"app {app.id} makes tasks with its own `{symbol.rest}`"
    return None


def _made_by_a_callable_instance(
    project: Project, module: str, functions: Iterable[FunctionFacts], relevant: frozenset[str]
) -> Optional[str]:
    """A function decorated by an instance of a project class that is called so
    (grand-challenge's `acks_late_2xlarge_task = QueueTaskDecorator(...)`, whose
    `__call__` hands the function to `shared_task`): it may be a task, under a name that
    is not seen."""
    seen: dict[str, bool] = {}
    for function in functions:
        for decorator in function.decorators:
            qualname = decorator.qualname
            if qualname is None:
                continue
            if qualname not in seen:
                seen[qualname] = _a_callable_instance(project, qualname, module, relevant)
            if seen[qualname]:
                return f"`{qualname}`, an instance of a class of the project, may make tasks"
    return None


def _a_callable_instance(
    project: Project, qualname: str, near: str, relevant: frozenset[str]
) -> bool:
    """Whether a name is bound to an instance of a project class with a `__call__`. Only
    a module the prefilter kept can bind one that makes tasks: no other is loaded."""
    defining = project.modules.find(qualname.rpartition(".")[0], near)
    if defining is None or defining not in relevant:
        return False
    symbol = project.modules.resolve(qualname, near)
    binding = symbol.binding
    if symbol.kind != "binding" or symbol.rest or binding is None:
        return False
    callee = called(binding.node)
    if callee is None:
        return False
    made = project.modules.resolve(callee, binding.module)
    if made.kind != "class" or made.module is None or made.name is None:
        return False
    chain = project.modules.class_chain(made.module, made.name) or ()
    return any("__call__" in cls.methods for _, _, cls in chain)


def _app_methods(project: Project) -> frozenset[str]:
    """The methods the apps' own classes define, but `task` (read as Celery's)."""
    return frozenset(
        name
        for app in project.apps
        for cls in project.app_classes(app) or ()
        for name in cls.methods
        if name != "task"
    )


def build_registry(project: Project) -> TaskRegistry:
    names: set[str] = set()
    incomplete: Optional[str] = next(
        (
            f"app {app.id} may name its tasks itself (gen_task_name)"
            for app in project.apps
            if project.names_tasks_itself(app)
        ),
        None,
    )
    for task in project.tasks:
        if task.name is None:
            incomplete = incomplete or f"the name of task {task.qualname} is computed"
            continue
        names.add(task.name)
        if task.opaque_options and "name" not in task.own_options:
            incomplete = incomplete or f"the options of task {task.qualname} cannot be seen"
    methods = _app_methods(project)
    relevant = frozenset(project.relevant)
    for module in project.relevant:
        facts = project.modules.facts(module)
        if facts is None:
            continue
        path = project.modules.paths[module]
        if facts.error is not None:
            incomplete = incomplete or f"{Modules.display(module)} cannot be parsed"
            continue
        functions = facts.functions.values()
        incomplete = incomplete or _made_by_an_app_method(project, module, functions, methods)
        incomplete = incomplete or _made_by_a_callable_instance(
            project, module, functions, relevant
        )
        for registration in facts.registrations:
            registered = project.registered_class(registration, module)
            qualname = ".".join(registered) if registered else None
            if qualname is None or all(t.qualname != qualname for t in project.tasks):
                incomplete = incomplete or f"the task {registration.cls} registers is not seen"
        for made in facts.discovery.functional_tasks:
            if made.name is None:
                incomplete = incomplete or f"a task made by {made.maker}() has a computed name"
                continue
            value = project.evaluator.evaluate(made.name, path)
            if value.known and isinstance(value.value, str):
                names.add(value.value)
            else:
                incomplete = incomplete or f"a task made by {made.maker}() has a computed name"
    top_levels = {Modules.display(m).split(".", 1)[0] for m in project.modules.paths}
    return TaskRegistry(frozenset(names), incomplete, frozenset(top_levels))


def task_name_refs(project: Project) -> list[TaskNameRef]:
    """Every task named by a string literal in calls and in the apps' settings."""
    refs: list[TaskNameRef] = []
    for module in project.relevant:
        facts = project.modules.facts(module)
        if facts is None:
            continue
        path = project.modules.paths[module]
        for use in facts.discovery.task_names:
            if use.method == "send_task":
                refs.append(TaskNameRef(use.name, "send_task", path, use.span, None))
            elif makes_signature(project, use.receiver, module):
                refs.append(TaskNameRef(use.name, "signature", path, use.span, None))
    seen: set[tuple[str, Span]] = set()
    for app in project.apps:
        for ref in _setting_refs(project, app):
            if (ref.path, ref.span) not in seen:
                seen.add((ref.path, ref.span))
                refs.append(ref)
    return refs


def makes_signature(project: Project, receiver: Optional[str], near: str) -> bool:
    """`receiver.signature("name")` builds a signature by task name: an app or celery's own."""
    if receiver is None:
        return False
    if receiver in _SIGNATURE_FUNCTIONS or receiver in _CURRENT_APP:
        return True
    symbol = project.modules.resolve(receiver, near)
    if symbol.kind != "binding" or symbol.rest:
        return False
    return any(app.key == f"{symbol.module}:{symbol.name}" for app in project.apps)


def _setting_refs(project: Project, app: App) -> Iterator[TaskNameRef]:
    """Task names in the beat schedule, and the exact keys of routes and annotations."""
    for setting, kind in (
        ("beat_schedule", "beat"),
        ("task_routes", "route"),
        ("task_annotations", "annotation"),
    ):
        entry = app.setting(setting).entry
        if entry is None or entry.conditional:
            continue
        for mapping in _mappings(project, entry.node, entry.path, 0):
            for key, value, path in mapping:
                if kind == "beat":
                    found = _follow(project, value, path)
                    if found is None or not isinstance(found[0], Map):
                        continue
                    for inner_key, inner_value in found[0].pairs:
                        if _literal(inner_key) == "task":
                            name = _literal(inner_value)
                            if name is not None and inner_value.span is not None:
                                yield TaskNameRef(name, "beat", found[1], inner_value.span, app)
                    continue
                name = _literal(key)
                if name is not None and key.span is not None:
                    yield TaskNameRef(name, kind, path, key.span, app)  # type: ignore[arg-type]


# A dict entry: the nodes of its key and value, and the file they are written in.
Pair = tuple[Node, Node, str]


def _mappings(project: Project, node: Node, path: str, depth: int) -> Iterator[list[Pair]]:
    """The entries of the dicts a setting value is (a dict, or a list of dicts for routes)."""
    found = _follow(project, node, path)
    if found is None or depth > 2:
        return
    target, where = found
    if isinstance(target, Seq):
        for item in target.items:
            yield from _mappings(project, item, where, depth + 1)
        return
    entries = _dict_entries(project, target, where, 0)
    if entries is not None:
        yield entries


def _dict_entries(project: Project, node: Node, path: str, depth: int) -> Optional[list[Pair]]:
    """The entries of a dict display, or of a dict merged from several (`{**BASE, "k": v}`,
    a dict with items set since): of a key written twice, the last; of those before a
    part that is no display, none (it may replace any). None for no such dict."""
    if isinstance(node, Map):
        return [(key, value, path) for key, value in node.pairs]
    if not isinstance(node, Merge) or depth > 3:
        return None
    merged: dict[object, Pair] = {}
    for part in node.parts:
        found = _follow(project, part, path)
        entries = _dict_entries(project, *found, depth + 1) if found is not None else None
        if entries is None:
            merged.clear()
        for key, value, where in entries or ():
            literal = _literal(key)
            merged[literal if literal is not None else id(key)] = (key, value, where)
    return list(merged.values())


def _follow(project: Project, node: Node, path: str) -> Optional[tuple[Node, str]]:
    """Follow module-level names and imports to the value they are bound to."""
    for _ in range(10):
        if isinstance(node, (Name, Ref)):
            module = project.modules.module_of(path)
            if isinstance(node, Name):
                qualname = f"{module}.{node.id}" if module else node.id
            else:
                qualname = node.qualname
            target = project.modules.binding_of(qualname, module)
            if target is None:
                return None
            node, path = target
        else:
            return node, path
    return None


def _literal(node: Node) -> Optional[str]:
    return node.value if isinstance(node, Const) and isinstance(node.value, str) else None
