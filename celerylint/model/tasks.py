"""Celery tasks and their effective options.

A task's option is what `app.tasks[name].<option>` holds once the app is
finalized (celery.app.task.Task.bind): the decorator's keywords or the task
class's own attributes, else its base classes', else — for the options Celery
takes from the configuration when unset (`Task.from_config`) — the app's
setting; then `task_annotations` are applied on top: the entry for the task's
name first, then `'*'`, so `'*'` wins where both set an option.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional, Union

import msgspec

from celerylint.facts.schema import (
    ClassFacts,
    Const,
    Decorator,
    FunctionFacts,
    Name,
    Node,
    Ref,
    Seq,
    Span,
)
from celerylint.facts.values import Evaluator, Value, known, unknown
from celerylint.model.namespace import Modules, Mro, MroClass, Symbol
from celerylint.model.settings import App

TASK_BASES = frozenset({"celery.Task", "celery.app.task.Task", "celery.task.Task"})
SHARED_TASK = frozenset(
    {"celery.shared_task", "celery.app.shared_task", "celery.app.base.shared_task"}
)
CURRENT_APP = frozenset({"celery.current_app", "celery.app.current_app"})
# Celery 4's and 3's deprecated decorators (removed in 5.0): `current_app.task` with a
# compatibility base class (kuma: `from celery.task import task`).
LEGACY_TASK = frozenset(
    f"celery.{module}.{name}"
    for module in ("task", "task.base", "decorators")
    for name in ("task", "periodic_task")
) | {"celery.task"}  # Celery 3 and 4: the `celery.task` module calls `task` (codalab)

# celery.app.task.Task class attributes that matter to rules.
TASK_DEFAULTS: dict[str, Any] = {
    "max_retries": 3,
    "default_retry_delay": 180,
    "autoretry_for": (),
    "dont_autoretry_for": (),
    "retry_kwargs": {},
    "retry_backoff": False,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "typing": True,
    "expires": None,
}
# The attributes celery.app.task.Task itself defines (Celery 5.7; a test checks them
# against the installed Celery): a project class after Task in a task class's MRO
# cannot change these, but may set any other (autoretry_for, retry_backoff, ...).
CELERY_TASK_ATTRIBUTES = frozenset(
    {
        "Request",
        "Strategy",
        "abstract",
        "acks_late",
        "acks_on_failure",
        "acks_on_failure_or_timeout",
        "acks_on_timeout",
        "app",
        "default_retry_delay",
        "expires",
        "from_config",
        "ignore_result",
        "max_retries",
        "name",
        "priority",
        "rate_limit",
        "reject_on_worker_lost",
        "request_stack",
        "resultrepr_maxsize",
        "retry_on_worker_lost",
        "send_events",
        "serializer",
        "soft_time_limit",
        "store_errors_even_if_ignored",
        "throws",
        "time_limit",
        "track_started",
        "trail",
        "typing",
    }
)
# Task.from_config: options taken from the app's settings when left unset (None).
FROM_CONFIG: dict[str, str] = {
    "serializer": "task_serializer",
    "rate_limit": "task_default_rate_limit",
    "priority": "task_default_priority",
    "time_limit": "task_time_limit",
    "soft_time_limit": "task_soft_time_limit",
    "track_started": "task_track_started",
    "acks_late": "task_acks_late",
    "acks_on_failure_or_timeout": "task_acks_on_failure_or_timeout",
    "acks_on_failure": "task_acks_on_failure",
    "acks_on_timeout": "task_acks_on_timeout",
    "retry_on_worker_lost": "task_retry_on_worker_lost",
    "reject_on_worker_lost": "task_reject_on_worker_lost",
    "ignore_result": "task_ignore_result",
    "store_eager_result": "task_store_eager_result",
    "store_errors_even_if_ignored": "task_store_errors_even_if_ignored",
}


class Option(msgspec.Struct):
    """An effective task option and where it comes from."""

    name: str
    value: Value
    origin: str  # "task", "base", "annotation", "config", "default"
    node: Optional[Node] = None
    path: Optional[str] = None
    # Where the option is decided: the decorator or factory keyword (`max_retries=None`),
    # the class attribute's name; None when no single line decides it.
    span: Optional[Span] = None
    # The decorator (or decorator factory) call the keyword is written in.
    call: Optional[Decorator] = None

    @property
    def known(self) -> bool:
        return self.value.known

    @property
    def nonempty(self) -> bool:
        """Whether the value is certainly true: known and true, or written as a tuple or
        list with items, whatever they are (misago's `autoretry_for=(Post.DoesNotExist,)`:
        the class is not resolved, but retries are on)."""
        if self.value.known:
            return bool(self.value.value)
        return isinstance(self.node, Seq) and bool(self.node.items)

    @property
    def located(self) -> Optional[tuple[str, Span]]:
        """(file, span) of the line that decides the option, if one does."""
        return (self.path, self.span) if self.path and self.span else None


class DeclaredOption(msgspec.Struct, frozen=True):
    """A task option given to its decorator, maybe through a factory in another file."""

    node: Node
    path: str
    span: Optional[Span]  # the keyword
    call: Decorator  # the call it is written in


class Task:
    """A Celery task: a decorated function or a registered Task subclass."""

    def __init__(
        self,
        qualname: str,
        module: str,
        path: str,
        kind: str,
        body: Union[FunctionFacts, ClassFacts],
        options: dict[str, DeclaredOption],
        opaque_options: bool,
        base: Optional[str],
        apps: Optional[list[App]],
    ) -> None:
        self.qualname = qualname
        self.module = module
        self.path = path
        self.kind = kind  # "function" or "class"
        self.body = body  # function facts, or class facts for class tasks
        self.own_options = options  # decorator (and decorator factory) keywords
        self.opaque_options = opaque_options  # options that cannot be seen (**kwargs)
        self.base = base  # qualified base class from `base=` (function tasks)
        self.apps = apps  # None: an app we cannot see
        self.span = body.span
        self.name: Optional[str] = None
        self.decorator: Optional[Decorator] = None  # function tasks: the decorator used
        # Celery's own decorator that makes the task (through names, partials and
        # ready-made decorators), or None: a project decorator whose additions
        # (bind, wrappers) cannot be seen.
        self.maker: Optional[str] = None
        # The call a keyword can be added to, to change this task's options alone.
        self.options_call: Optional[Decorator] = None

    @property
    def function(self) -> Optional[FunctionFacts]:
        """The code the task runs: the function, or the class's `run` method."""
        if isinstance(self.body, FunctionFacts):
            return self.body
        return self.body.methods.get("run")

    @property
    def decorators(self) -> tuple[Decorator, ...]:
        """The decorators of the function or class."""
        return self.body.decorators


# Wired into the task's run() by add_autoretry_behaviour when the decorator runs,
# before bind() applies task_annotations: annotations cannot change them.
AUTORETRY_OPTIONS = frozenset(
    {
        "autoretry_for",
        "dont_autoretry_for",
        "retry_kwargs",
        "retry_backoff",
        "retry_backoff_max",
        "retry_jitter",
    }
)

# Options holding exception classes: their value is the classes' qualified names.
CLASS_OPTIONS = frozenset({"autoretry_for", "dont_autoretry_for", "throws"})

RefsResolver = Callable[[Node, str], Optional[list[str]]]


class TaskOptions:
    """Computes effective options of tasks (per app, for annotations and globals)."""

    def __init__(self, modules: Modules, evaluator: Evaluator, refs: RefsResolver) -> None:
        self.modules = modules
        self.evaluator = evaluator
        self._refs = refs
        self._mros: dict[str, Optional[Mro]] = {}
        # Memos by (option, app key), then by task (hashed by identity): no key tuple
        # per task and option (7,000 of them at 4x saleor, 0.3 MiB).
        self._options: dict[tuple[str, Optional[str]], dict[Task, Option]] = {}
        # The options no task decides (from the config, the defaults), one per (option,
        # app key) for every task: 2,800 equal Options at 4x saleor (0.3 MiB) were made.
        self._undecided: dict[tuple[str, Optional[str]], Option] = {}

    def _evaluate(self, name: str, node: Node, path: str) -> Value:
        if name in CLASS_OPTIONS:
            refs = self._refs(node, path)
            if refs is None:
                return unknown("exception classes not resolved", node, path)
            return known(tuple(refs), node, path)
        return self.evaluator.evaluate(node, path)

    def option(self, task: Task, name: str, app: Optional[App]) -> Option:
        """The option's effective value (memoized: the model does not change in a run)."""
        key = (name, app.key if app else None)
        by_task = self._options.get(key)
        if by_task is None:
            by_task = self._options[key] = {}
        cached = by_task.get(task)
        if cached is None:
            cached = by_task[task] = self._option(task, name, app, key)
        return cached

    def _option(
        self, task: Task, name: str, app: Optional[App], key: tuple[str, Optional[str]]
    ) -> Option:
        annotated = None if name in AUTORETRY_OPTIONS else self._annotation(task, name, app)
        if annotated is not None:
            return annotated
        own = self.declared(task, name)
        if own is not None and not (own.known and own.value.value is None and name in FROM_CONFIG):
            return own
        undecided = self._undecided.get(key)
        if undecided is None:
            undecided = self._undecided[key] = self._undecided_option(name, app)
        return undecided

    @staticmethod
    def _undecided_option(name: str, app: Optional[App]) -> Option:
        """The option of a task that does not set it: the app's setting, or the default."""
        if name in FROM_CONFIG:
            if app is None:
                return Option(name, unknown("the task's app is not known"), "config")
            setting = app.setting(FROM_CONFIG[name])
            entry = setting.entry
            return Option(
                name,
                setting.value,
                "config",
                entry.node if entry else None,
                entry.path if entry else None,
            )
        if name in TASK_DEFAULTS:
            return Option(name, known(TASK_DEFAULTS[name]), "default")
        return Option(name, unknown(f"unknown task option {name}"), "default")

    def declared(self, task: Task, name: str) -> Optional[Option]:
        """The option as set on the task itself or inherited from its base classes."""
        declared = task.own_options.get(name)
        if declared is not None:
            node, path = declared.node, declared.path
            value = self._evaluate(name, node, path)
            return Option(name, value, "task", node, path, declared.span, declared.call)
        if task.opaque_options:
            return Option(name, unknown("the task decorator's options cannot be seen"), "task")
        mro = self.base_mro(task)
        if mro is None:
            return Option(name, unknown("the task's class hierarchy cannot be followed"), "base")
        defining, reason = class_attribute(mro, name)
        if reason is not None:
            return Option(name, unknown(reason), "base")
        if defining is None or defining.facts is None or defining.module is None:
            return None
        node = defining.facts.attrs[name]
        path = self.modules.paths[defining.module]
        span = defining.facts.attr_spans.get(name)
        return Option(name, self._evaluate(name, node, path), "base", node, path, span)

    def base_mro(self, task: Task) -> Optional[Mro]:
        """The MRO of the task's class (`base=`, the app's task class, or the class task)."""
        if task.kind == "class":
            return self.class_mro(task.module, task.qualname.rsplit(".", 1)[1])
        if task.base is None:
            mros = [self._app_task_class(app) for app in task.apps or []]
            if not mros:
                return []
            first = mros[0]
            if any(mro is None or mro != first for mro in mros):
                return None  # unresolvable, or different per app: stay silent
            return first
        if task.base in TASK_BASES:
            return []
        symbol = self.modules.resolve(task.base, task.module)
        if symbol.kind != "class" or symbol.module is None or symbol.name is None:
            if symbol.rest == "Task" and symbol.kind == "binding":
                return []  # app.Task
            return [MroClass(symbol.qualname)]  # a class outside the project
        return self.class_mro(symbol.module, symbol.name)

    def _app_task_class(self, app: App) -> Optional[Mro]:
        """The MRO of the app's default task class: `app.Task = Cls` where the app is
        configured, else `Celery(task_cls=...)`, else the app class's `task_cls`; None
        when the app's class chooses it otherwise or it cannot be told."""
        if app.task_class_sets:
            path, last = app.task_class_sets[-1]
            module = self.modules.module_of(path)
            if last.conditional or module is None:
                return None
            return self._task_class_mro(last.node, module)
        if app.class_sets_task_class:
            return None
        node = app.record.kwargs.get("task_cls")  # `Celery(task_cls=...)` beats the class's
        if node is not None:
            return self._task_class_mro(node, app.module)
        if app.class_task_cls is not None:
            return self._task_class_mro(*app.class_task_cls)
        return []

    def _task_class_mro(self, node: Node, near: str) -> Optional[Mro]:
        """The MRO of the task class `node` names, written in module `near`."""
        if isinstance(node, Const) and isinstance(node.value, str):
            module_part, _, attr = node.value.partition(":")
            if not attr:
                module_part, _, attr = module_part.rpartition(".")
            module = self.modules.find(module_part, near)
            return self.class_mro(module, attr) if module else None
        if isinstance(node, (Ref, Name)):
            qualname = node.qualname if isinstance(node, Ref) else f"{near}.{node.id}"
            symbol = self.modules.resolve(qualname, near)
            if symbol.kind == "class" and symbol.module and symbol.name and not symbol.rest:
                return self.class_mro(symbol.module, symbol.name)
            if symbol.kind == "external" and symbol.qualname in TASK_BASES:
                return []  # Celery's own Task: the default
            if symbol.kind == "binding" and symbol.rest == "Task":
                return []  # `app.Task`, a factory's `celery.Task = ContextTask` base
        return None

    def class_mro(self, module: str, name: str) -> Optional[Mro]:
        """The class's MRO, ending at celery.Task (memoized)."""
        key = f"{module}.{name}"
        if key not in self._mros:
            self._mros[key] = self.modules.mro(module, name, _task_base)
        return self._mros[key]

    def is_task_class(self, module: str, name: str) -> bool:
        """A project class with celery.Task (or an app's `Task`) among its bases."""
        mro = self.class_mro(module, name)
        return bool(mro) and any(entry.terminal for entry in mro or [])

    def _annotation(self, task: Task, name: str, app: Optional[App]) -> Optional[Option]:
        if app is None:
            return None
        setting = app.setting("task_annotations")
        if setting.is_default and setting.known:
            return None  # none (a default left unknown: settings that may set it)
        if not setting.known:
            # Why it is not known says more than that it is not (grafana oncall's settings
            # module is not in the repository: every option it may set is unknown).
            why = setting.value.reason or "not static"
            return Option(name, unknown(f"task_annotations: {why}"), "annotation")
        annotations = setting.value.value
        if annotations is None:
            return None
        if isinstance(annotations, dict):
            annotations = (annotations,)
        if not isinstance(annotations, tuple) or not all(isinstance(a, dict) for a in annotations):
            return Option(name, unknown("task_annotations holds objects"), "annotation")
        specific = next((a[task.name] for a in annotations if task.name in a), None)
        anything = next((a["*"] for a in annotations if "*" in a), None)
        for match in (anything, specific):
            if isinstance(match, dict) and name in match:
                return Option(
                    name, known(match[name]), "annotation", setting.value.node, setting.value.path
                )
        if task.name is None and any(set(a) - {"*"} for a in annotations):
            return Option(name, unknown("the task's name is not known"), "annotation")
        return None


def _task_base(base: str, symbol: Symbol) -> bool:
    """celery.Task, or an app's `app.Task`: where a task class chain ends."""
    return base in TASK_BASES or (symbol.kind == "binding" and symbol.rest == "Task")


# Classes outside the project that set no attribute a task reads (hypothesis's `class
# _BaseTaskWithRetry(ABC, Task)`): `abc.ABC` sets only `__slots__` and what abstract
# methods need, `typing.Generic` only what subscripting needs.
_NO_TASK_ATTRIBUTES = frozenset({"abc.ABC", "typing.Generic"})


def class_attribute(mro: Mro, name: str) -> tuple[Optional[MroClass], Optional[str]]:
    """Which class of `mro` decides attribute `name`, as Python looks it up.

    (the project class defining it, None); (None, None): no class sets it,
    Celery's default applies; (None, why): unknown, because a class outside
    the project comes first and may define anything. celery.Task defines its
    own attributes (CELERY_TASK_ATTRIBUTES), so classes after it cannot change
    those; but where Task sits relative to a class outside the project is not
    seen (that class may derive from Task), so any such class makes Task's
    own attributes unknown.
    """
    for index, entry in enumerate(mro):
        if entry.key in _NO_TASK_ATTRIBUTES:
            continue
        if entry.facts is not None:
            if name in entry.facts.attrs:
                return entry, None
        elif not entry.terminal:
            return None, f"base class `{entry.key}` is outside the project"
        elif name in CELERY_TASK_ATTRIBUTES:
            foreign = next(
                (
                    e
                    for e in mro[index + 1 :]
                    if e.facts is None and not e.terminal and e.key not in _NO_TASK_ATTRIBUTES
                ),
                None,
            )
            if foreign is not None:
                return None, f"base class `{foreign.key}` is outside the project"
            return None, None
    return None, None
