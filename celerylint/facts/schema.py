"""The typed facts of one file: the only contract between extraction and the model.

Extraction (`facts.python`) produces a `FileFacts` per file; the cache stores
it as JSON through msgspec (never pickle: the cache lives in the checkout
being linted); the project model reads nothing else. Every structure is
frozen. Most are encoded as arrays (`array_like`) to keep the cache small;
the unions are tagged by their first element.

Spans are `Span(line, col, end_line, end_col)`: 1-based lines, 0-based
*character* columns, end exclusive.

The value IR (`Node`) describes the expressions that can matter (setting
values, decorator keywords, call options) so that the model can evaluate
them once names from other modules are known (see `facts.values`).
"""

from __future__ import annotations

from typing import Literal, Optional, Union

import msgspec

# Bump when the shape or the meaning of the facts changes: old cache entries are dropped.
FACTS_VERSION = 18


class Span(msgspec.Struct, frozen=True, order=True, array_like=True):
    """A source range: 1-based lines, 0-based *character* columns, end exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int

    def to_list(self) -> list[int]:
        return [self.line, self.col, self.end_line, self.end_col]

    @classmethod
    def from_list(cls, raw: list[int]) -> Span:
        return cls(raw[0], raw[1], raw[2], raw[3])

    @property
    def start(self) -> tuple[int, int]:
        return (self.line, self.col)

    @property
    def end(self) -> tuple[int, int]:
        return (self.end_line, self.end_col)


# -- the value IR --------------------------------------------------------------

Scalar = Union[str, bool, int, float, None]


class _Node(msgspec.Struct, frozen=True, array_like=True, tag_field="k"):
    span: Optional[Span]


class Const(_Node, tag="c", frozen=True):
    """A literal str, int, float, bool or None."""

    value: Scalar


class Seq(_Node, tag="seq", frozen=True):
    """A list, tuple or set display."""

    items: tuple[Node, ...]


class Map(_Node, tag="map", frozen=True):
    """A dict display without `**` entries."""

    pairs: tuple[tuple[Node, Node], ...]


class Name(_Node, tag="name", frozen=True):
    """A module-level name of the defining module."""

    id: str


class Ref(_Node, tag="ref", frozen=True):
    """An imported or builtin object, fully qualified."""

    qualname: str


class Env(_Node, tag="env", frozen=True):
    """An environment lookup; `required`: the program fails when the variable is unset."""

    variable: str
    default: Optional[Node]
    required: bool
    # How a deployment's string becomes the value: None/"str" as is, "int", "float",
    # "bool" (Python's truthiness), "env_bool" (django-environ), "list" (comma
    # separated), "opaque" (a conversion that cannot be followed).
    cast: Optional[str] = None


class BinOp(_Node, tag="op", frozen=True):
    """Arithmetic or string concatenation."""

    op: str
    left: Node
    right: Node


class Neg(_Node, tag="neg", frozen=True):
    operand: Node


class TimeDelta(_Node, tag="td", frozen=True):
    """`datetime.timedelta(...)`, evaluated in seconds."""

    parts: tuple[tuple[str, Node], ...]


class Merge(_Node, tag="merge", frozen=True):
    """A dict display with `**` entries: `{**Base.CELERY, "k": v}`.

    `parts` are merged in order: `Map`s of the literal entries between the
    unpacked expressions, and the unpacked expressions themselves.
    """

    parts: tuple[Node, ...]


class Unknown(_Node, tag="u", frozen=True):
    """Anything else, with why. `function` and `class` mark a def / class statement."""

    reason: str


Node = Union[Const, Seq, Map, Name, Ref, Env, BinOp, Neg, TimeDelta, Merge, Unknown]


# -- module-level events (replayed in order by the model) ------------------------


class Assign(msgspec.Struct, frozen=True, array_like=True, tag="assign"):
    """`name = value` (also imports, defs and classes) executed at import time."""

    name: str
    node: Node
    conditional: bool
    target_span: Optional[Span] = None  # the assignment target, for renames


class Mutate(msgspec.Struct, frozen=True, array_like=True, tag="mutate"):
    """`name += ...`, `name.update(...)`, `del name`: the value is no longer known."""

    name: str


class StarImport(msgspec.Struct, frozen=True, array_like=True, tag="star"):
    module: str
    conditional: bool


Event = Union[Assign, Mutate, StarImport]


# -- apps and their configuration ------------------------------------------------


class AppCall(msgspec.Struct, frozen=True, array_like=True):
    """`var = Celery(...)` (or a subclass) at module level."""

    var: str
    callee: str
    span: Span
    kwargs: dict[str, Node]
    keyword_spans: dict[str, Optional[Span]]
    args: tuple[Node, ...]
    opaque: bool  # `**kwargs` passed
    conditional: bool
    mappings: tuple[Node, ...] = ()  # `Celery(**SETTINGS)`: the unpacked mappings


class _ConfOp(msgspec.Struct, frozen=True, array_like=True, tag_field="k"):
    receiver: str  # the qualified name of the app whose conf is touched
    span: Span
    conditional: bool


class ConfSet(_ConfOp, tag="set", frozen=True):
    """`app.conf.key = v` / `app.conf["key"] = v`."""

    key: str
    node: Node
    key_span: Optional[Span]


class ConfUnset(_ConfOp, tag="unset", frozen=True):
    """`app.conf.key[...] = v`, `app.conf.key.update(...)`: that key is no longer known."""

    key: str


class ConfUpdate(_ConfOp, tag="update", frozen=True):
    """`app.conf.update(mapping, key=v, ...)`."""

    items: dict[str, Node]
    keyword_spans: dict[str, Optional[Span]]
    mappings: tuple[Node, ...]


class ConfOpaque(_ConfOp, tag="opaque", frozen=True):
    """A change whose keys cannot be known (`app.conf = ...`, `config_from_envvar`)."""


class ConfigFromObject(_ConfOp, tag="cfo", frozen=True):
    obj: Node
    namespace: Optional[Node]


# -- configuration shapes: setdefault, Flask configs ------------------------------


class ConfSetDefault(_ConfOp, tag="setdefault", frozen=True):
    """`app.conf.setdefault("key", v)`: before the configuration is finalised this
    writes into the pending changes unless they already hold the key (verified on
    Celery 5.7); afterwards it is a no-op, every setting having a default."""

    key: str
    node: Node
    key_span: Optional[Span]


ConfOp = Union[ConfSet, ConfUnset, ConfUpdate, ConfOpaque, ConfigFromObject, ConfSetDefault]


class SettingsModuleDefault(msgspec.Struct, frozen=True, array_like=True):
    """`os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")`."""

    module: str
    span: Span


class TaskRegistration(msgspec.Struct, frozen=True, array_like=True):
    """`app.register_task(Cls())` / `app.tasks.register(Cls())`."""

    receiver: str
    cls: str
    span: Span


# -- functions, classes and their bodies -------------------------------------------


class Decorator(msgspec.Struct, frozen=True, array_like=True):
    qualname: Optional[str]
    called: bool  # `@x(...)` rather than `@x`
    kwargs: dict[str, Node]
    keyword_spans: dict[str, Span]
    positional_count: int
    opaque: bool  # `**kwargs` passed
    span: Span  # of the decorator expression: the call, for `@x(...)`


class PoolCreation(msgspec.Struct, frozen=True, array_like=True):
    factory: str  # e.g. multiprocessing.Pool
    span: Span


class LocalCall(msgspec.Struct, frozen=True, array_like=True):
    """A call that may reach code of this module: `helper()` or `self.method()`."""

    kind: Literal["function", "method"]
    name: str
    span: Span


class ResultWait(msgspec.Struct, frozen=True, array_like=True):
    """`result.get()` (or join/wait) on a task's result."""

    method: str
    span: Span


class RetryCall(msgspec.Struct, frozen=True, array_like=True):
    """`self.retry(...)` in a function whose first parameter is `self`."""

    statement: Literal["expr", "raise", "return"]
    span: Span
    statement_span: Span
    throw_false: bool
    throws: bool  # certainly raises


class FunctionFacts(msgspec.Struct, frozen=True, array_like=True):
    """A function or method. Without a body analysis (`light`), `returns_value` is
    True and the body lists are empty: rules that need more stay silent."""

    span: Span  # the name in `def name`
    params: tuple[str, ...]
    positional: tuple[str, ...]
    kwonly: tuple[str, ...]
    vararg: bool
    kwarg: bool
    is_async: bool
    decorators: tuple[Decorator, ...]
    light: bool
    returns_value: bool = True
    pools: tuple[PoolCreation, ...] = ()
    calls: tuple[LocalCall, ...] = ()
    waits: tuple[ResultWait, ...] = ()
    retries: tuple[RetryCall, ...] = ()
    self_attrs: tuple[str, ...] = ()


class ClassFacts(msgspec.Struct, frozen=True, array_like=True):
    span: Span  # the name in `class Name`
    bases: tuple[Optional[str], ...]  # qualified; None when not a plain name
    opaque_bases: bool  # a base that is an expression, or a metaclass
    attrs: dict[str, Node]
    attr_spans: dict[str, Span]
    methods: dict[str, FunctionFacts]
    decorators: tuple[Decorator, ...]


# -- call sites ------------------------------------------------------------------


ValueShape = Literal[
    "sequence", "iterable", "dict", "none", "string", "scalar", "starred", "expression"
]


class CallArgument(msgspec.Struct, frozen=True, array_like=True):
    """The value of an argument, as far as syntax tells (what `args=` is given)."""

    span: Span
    source: str
    starred: bool
    shape: ValueShape
    wrapped: bool  # `(x)`: parenthesized on its own
    outer: Optional[Span] = None  # with the wrapping parentheses


class Dispatch(msgspec.Struct, frozen=True, array_like=True):
    """A call that sends a task or builds a signature."""

    method: str  # delay, apply_async, send_task, s, si, signature, ...
    span: Span
    discarded: bool  # a statement of its own: the result is dropped
    keywords: dict[str, Node]
    target: Optional[str] = None  # the qualified receiver (not for send_task)
    task_name: Optional[str] = None  # send_task("x") / app.signature("x")
    # apply_async only: the first positional argument, or the value of `args=`.
    args_value: Optional[CallArgument] = None


# -- task decorator factories --------------------------------------------------------
#
# Task decorators built ahead of use and applied by name: `retrying =
# shared_task(autoretry_for=...)`, `partial(app.task, bind=True)`, a project's
# own decorator that calls `shared_task`. Which of them really make tasks is
# decided by the model, once the maker's name is resolved.


class MakerCall(msgspec.Struct, frozen=True, array_like=True):
    """A call to what may be a task decorator, with the options it passes."""

    maker: str  # qualified callee: celery.shared_task, proj.celery.app.task, a factory
    kwargs: dict[str, Node]
    keyword_spans: dict[str, Span]
    span: Span  # the call, to add a keyword to it
    forwards: bool  # passes on the keywords it was given (`**kwargs`, a partial)
    opaque: bool  # `**x` of something else: options that cannot be seen


class TaskFactory(msgspec.Struct, frozen=True, array_like=True):
    """A module-level name that makes task decorators.

    kind "ready": `x = shared_task(...)`, a decorator used bare (`@x`);
    "partial": `x = functools.partial(shared_task, ...)`, used bare or called
    with more options; "wrapper": a function or class whose body calls task
    decorators (`calls`), used bare or called; it takes the keywords named in
    `params` itself and passes on the others when a call `forwards` them.
    """

    kind: Literal["ready", "partial", "wrapper"]
    calls: tuple[MakerCall, ...]
    params: tuple[str, ...] = ()
    span: Optional[Span] = None  # the value of `x = ...`, or the name in `def x`


# -- calls handed to code that drops their result ----------------------------------


DropReason = Literal["beat", "on_commit"]


class DroppedResult(msgspec.Struct, frozen=True, array_like=True):
    """A task call handed to code that runs it and drops what it returns.

    `beat`: the signature given to `add_periodic_task` (beat sends it and
    never reads the result). `on_commit`: the call a lambda given to
    `on_commit` makes (Django discards the callback's return value).
    """

    span: Span  # the call: the span of its `Dispatch`
    reason: DropReason


# -- the file --------------------------------------------------------------------


class Suppression(msgspec.Struct, frozen=True, array_like=True):
    """A `# celerylint: ignore[...]` directive."""

    line: int
    # The directive, from its `#` to its closing `]` (to `ignore` when bare).
    span: Span
    # As written: codes or names, any case.
    names: tuple[str, ...]
    # Where each of `names` is written, in the same order.
    name_spans: tuple[Span, ...] = ()
    # What to delete to remove the whole directive without leaving debris: the
    # whitespace before it, or the whole line when the comment stands alone.
    removal: Optional[Span] = None


class ParseError(msgspec.Struct, frozen=True, array_like=True):
    message: str
    line: int = 1
    col: int = 0


class FileFacts(msgspec.Struct, frozen=True):
    """Everything extraction knows about one Python file (or why it could not)."""

    version: int = FACTS_VERSION
    error: Optional[ParseError] = None
    events: tuple[Event, ...] = ()
    apps: tuple[AppCall, ...] = ()
    conf_ops: tuple[ConfOp, ...] = ()
    settings_module_defaults: tuple[SettingsModuleDefault, ...] = ()
    functions: dict[str, FunctionFacts] = {}
    classes: dict[str, ClassFacts] = {}
    dispatches: tuple[Dispatch, ...] = ()
    registrations: tuple[TaskRegistration, ...] = ()
    factories: dict[str, TaskFactory] = {}

    dropped_results: tuple[DroppedResult, ...] = ()
    # exec/globals()/split-settings: names may be bound that the facts do not show.
    dynamic: bool = False
    suppressions: tuple[Suppression, ...] = ()


def failed(message: str, line: int = 1, col: int = 0) -> FileFacts:
    return FileFacts(error=ParseError(message, line, col))


# -- Deployment facts (facts.deploy) ---------------------------------------------
# What deployment files (compose, Kubernetes, Procfile, Dockerfile, .env, entrypoint
# scripts, supervisord, systemd) say about each process they start. Parsed per run,
# never executed; the model turns them into services (model.services).


class EnvEntry(msgspec.Struct, frozen=True, array_like=True):
    """One variable a deployment sets for a process, where it is set.

    `value` None: set, to a value that cannot be known (an unresolved
    `${VAR}`, a Secret or ConfigMap not in the repository). Secret values are
    kept to resolve settings but never shown (`secret`).
    """

    name: str
    value: Optional[str]
    path: str
    line: int
    secret: bool = False
    col: tuple[int, int] = (0, 0)  # the line's text: first and end column


class DeployedProcess(msgspec.Struct, frozen=True):
    """A process a deployment file starts: its command words and environment.

    `env` is in the order the platform applies it (later entries win);
    `env_complete` is False when some source could not be read (a missing
    `env_file`, an `envFrom` of something not in the repository, a
    pass-through `- VAR`), so an absent variable may still be set.
    """

    name: str
    platform: str  # compose, kubernetes, procfile, dockerfile, script, supervisor, systemd
    path: str
    line: int
    argv: tuple[Optional[str], ...]  # None: a word that cannot be known
    env: tuple[EnvEntry, ...] = ()
    env_complete: bool = True
    profiles: tuple[str, ...] = ()
    col: tuple[int, int] = (0, 0)


class DeploymentProblem(msgspec.Struct, frozen=True, array_like=True):
    """A deployment file that could not be read (too big, binary, malformed)."""

    path: str
    line: int
    message: str


class DeploymentFacts(msgspec.Struct, frozen=True):
    processes: tuple[DeployedProcess, ...] = ()
    problems: tuple[DeploymentProblem, ...] = ()
