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

# No `from __future__ import annotations`: msgspec builds a decoder from the types, and
# evaluated one string annotation at a time (`compile`, `eval`): 7 ms of every run that
# reads the facts cache, 1.9 ms with real types. Only forward references are quoted.
from typing import Literal, Optional, Union

import msgspec

from celerylint.sources.watch import Watched

# Bump when the shape or the meaning of the facts (Python or deployment) changes: old
# cache entries and run records are dropped.
FACTS_VERSION = 104


class Span(msgspec.Struct, frozen=True, gc=False, order=True, array_like=True):
    """A source range: 1-based lines, 0-based *character* columns, end exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int

    def to_list(self) -> list[int]:
        return [self.line, self.col, self.end_line, self.end_col]

    @classmethod
    def from_list(cls, raw: list[int]) -> "Span":
        return cls(raw[0], raw[1], raw[2], raw[3])

    @property
    def start(self) -> tuple[int, int]:
        return (self.line, self.col)

    @property
    def end(self) -> tuple[int, int]:
        return (self.end_line, self.end_col)


# -- the value IR --------------------------------------------------------------

Scalar = Union[str, bool, int, float, None]


class _Node(msgspec.Struct, frozen=True, gc=False, array_like=True, tag_field="k"):
    span: Optional[Span]


class Const(_Node, tag="c", frozen=True):
    """A literal str, int, float, bool or None."""

    value: Scalar


class Seq(_Node, tag="seq", frozen=True):
    """A list, tuple or set display."""

    items: tuple["Node", ...]


class Map(_Node, tag="map", frozen=True):
    """A dict display without `**` entries."""

    pairs: tuple[tuple["Node", "Node"], ...]


class Name(_Node, tag="name", frozen=True):
    """A module-level name of the defining module."""

    id: str


class Ref(_Node, tag="ref", frozen=True):
    """An imported or builtin object, fully qualified."""

    qualname: str


class Item(_Node, tag="item", frozen=True):
    """`container["key"]` with a literal key, of a qualified container (`app.config`):
    a Flask config's item, read where the model knows the config. With `optional`,
    `container.get("key", default)`: the default (None without one) where the key is
    certainly absent."""

    container: "Node"
    key: str
    default: Optional["Node"] = None
    optional: bool = False


class Env(_Node, tag="env", frozen=True):
    """An environment lookup; `required`: the program fails when the variable is unset."""

    variable: str
    default: Optional["Node"]
    required: bool
    # How a deployment's string becomes the value: None/"str" as is, "int", "float",
    # "bool" (Python's truthiness), "env_bool" (django-environ), "list" (comma
    # separated), "opaque" (a conversion that cannot be followed).
    cast: Optional[str] = None


class BinOp(_Node, tag="op", frozen=True):
    """Arithmetic or string concatenation."""

    op: str
    left: "Node"
    right: "Node"


class Neg(_Node, tag="neg", frozen=True):
    operand: "Node"


class TimeDelta(_Node, tag="td", frozen=True):
    """`datetime.timedelta(...)`, evaluated in seconds."""

    parts: tuple[tuple[str, "Node"], ...]


class Merge(_Node, tag="merge", frozen=True):
    """A dict display with `**` entries: `{**Base.CELERY, "k": v}`.

    `parts` are merged in order: `Map`s of the literal entries between the
    unpacked expressions, and the unpacked expressions themselves.
    """

    parts: tuple["Node", ...]


class Unknown(_Node, tag="u", frozen=True):
    """Anything else, with why. `function` and `class` mark a def / class statement."""

    reason: str


class QueueDecl(_Node, tag="queue", frozen=True):
    """`kombu.Queue(name, ...)`: the node of its name. Always evaluated as
    unknown (a Queue is no plain value); a rule reading the queues declared in
    `task_queues` reads the names."""

    name: "Node"


class Pattern(_Node, tag="re", frozen=True):
    """`re.compile(pattern[, flags])` (a `task_routes` key): the nodes of its arguments,
    `flags` a literal `re` flag or absent."""

    pattern: "Node"
    flags: int = 0


class Formatted(_Node, tag="fmt", frozen=True):
    """An f-string or `"...".format(...)`: literal text as `Const` parts, each
    placeholder as the node of its value (`Unknown` with a conversion or format
    spec). Always evaluated as unknown; a rule looking for literal text in a
    string (a password in a URL) reads the parts."""

    parts: tuple["Node", ...]


class Globals(_Node, tag="globals", frozen=True):
    """`{k: v for k, v in settings.__dict__.items() if k.startswith("CELERY")}`
    (jumpserver's configuration): the names a module binds that start with `prefix`
    (all of them for ""), with their values. `module` is the node of the module object.
    Evaluated as unknown; the model reads it as that module's entries (`conf.update`)."""

    module: "Node"
    prefix: str


Node = Union[
    Const,
    Seq,
    Map,
    Name,
    Ref,
    Item,
    Env,
    BinOp,
    Neg,
    TimeDelta,
    Merge,
    QueueDecl,
    Pattern,
    Formatted,
    Globals,
    Unknown,
]


# -- module-level events (replayed in order by the model) ------------------------


class Assign(msgspec.Struct, frozen=True, gc=False, array_like=True, tag="assign"):
    """`name = value` (also imports, defs and classes) executed at import time."""

    name: str
    node: Node
    conditional: bool
    target_span: Optional[Span] = None  # the assignment target, for renames


class Mutate(msgspec.Struct, frozen=True, gc=False, array_like=True, tag="mutate"):
    """`name += ...`, `name.update(...)`, `del name`: the value is no longer known."""

    name: str


class Augment(Mutate, frozen=True, gc=False, array_like=True, tag="augment"):
    """`name += value`, or `name = name + value`, unconditional or not: the value bound
    before it, combined with `value` by `op`, where that value is known (a `Mutate`
    to whatever reads events without telling the two apart)."""

    op: str
    node: Node
    conditional: bool
    target_span: Optional[Span] = None


class SetItems(Mutate, frozen=True, gc=False, array_like=True, tag="setitems"):
    """`name[key] = value`, `name.update(...)` at module level: entries set in the dict
    bound before, `parts` the mappings merged over it in order (as a `Merge`'s: a `Map`
    of the one item, or what `update` is handed), unconditional or not (a `Mutate` to
    whatever reads events without telling the two apart)."""

    parts: tuple[Node, ...]
    conditional: bool


class StarImport(msgspec.Struct, frozen=True, gc=False, array_like=True, tag="star"):
    module: str
    conditional: bool
    # Only the upper-case names (mitol's `import_settings_modules` copies those).
    upper: bool = False
    # Written in an `except` handler: the fallback of a `try` whose import failed
    # (geonode-project's `except ImportError: from geonode.settings import *`).
    fallback: bool = False


class Rebind(msgspec.Struct, frozen=True, gc=False, array_like=True, tag="rebind"):
    """A statement that may bind any name of the module, those bound before included:
    `vars().update(yaml.safe_load(f))` (openedx's production settings), a helper
    handed `globals()`, `exec`, django-split-settings' `include()`."""

    reason: str
    # Only these may be bound (baserow's helper is given the names it sets); () any.
    names: tuple[str, ...] = ()
    # `Cls.method(__name__)`: the class (qualified) and the method handed this module.
    # When the method is one of the class's `exporters`, the statement binds the
    # class's upper-case members (readthedocs' `DockerBaseSettings.load_settings(
    # __name__)`); otherwise it may bind anything.
    exports: str = ""
    method: str = ""
    conditional: bool = False


Event = Union[Assign, Mutate, Augment, SetItems, StarImport, Rebind]


# -- apps and their configuration ------------------------------------------------


class AppCall(msgspec.Struct, frozen=True, gc=False, array_like=True):
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


class _ConfOp(msgspec.Struct, frozen=True, gc=False, array_like=True, tag_field="k"):
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


class ConfAddDefaults(_ConfOp, tag="adddefaults", frozen=True):
    """`app.add_defaults(mapping)`: a layer of its own, read after the app.conf changes
    and before the configuration source; a callable is a promise of one, called when
    the settings load (verified on Celery 5.7)."""

    mapping: Node


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


class ConfigFromItem(_ConfOp, tag="cfi", frozen=True):
    """`from_object(table[key])`: in a Flask factory, one config class of several
    picked by a key (`app.config.from_object(config[config_name])`); on a Celery app,
    one entry of a Flask config (`celery.config_from_object(app.config["CELERY"])`)."""

    table: Node
    key: Node


class FlaskFactory(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A module-level function that builds `x = Flask(...)` and returns it.

    What it does to `x.config` is recorded in `conf_ops` under the receiver
    `module.function.config`; a parameter read there is `Ref("module.function.param")`.
    """

    params: tuple[str, ...]
    defaults: dict[str, Node]
    # The functions it may hand the Flask app to, as their first argument: where
    # `app.extensions` is filled (`celery_init_app(app)`, Celery's Flask guide; see
    # `ConfigurationWrites._handed_to` for the shapes followed).
    passes_app_to: tuple[str, ...] = ()
    # What the statements that certainly run when it is called do to Celery apps it is
    # not given (superset's `celery_app.config_from_object(app.config["CELERY_CONFIG"])`
    # on a module-level app), in order; its own Flask app stands as `module.function.x`
    # (`local`: x), a parameter as `module.function.param`. Empty when a call may not run
    # the body (a decorated, async or generator function).
    celery_ops: tuple["ConfOp", ...] = ()
    local: str = ""
    # False: what it returns is made by another call (dify's `DifyApp(__name__)`, a
    # `Flask` subclass, or a helper that builds one); its config is not read (a
    # subclass may fill it itself), only `passes_app_to`.
    flask: bool = True


class FactoryCall(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """Module-level `var = callee(...)` where the callee may be a Flask or Celery app
    factory (its name says `app` or `celery`): the arguments that pick its configuration."""

    var: str
    callee: str
    args: tuple[Node, ...]
    kwargs: dict[str, Node]
    opaque: bool  # *args or **kwargs
    # Arguments that stand for an object a Celery factory may read (the Flask app): a
    # name's qualified name, or `create_app()` for an argument-less call; by position
    # (None: anything else) and by keyword.
    positional_objects: tuple[Optional[str], ...] = ()
    keyword_objects: dict[str, str] = {}
    span: Optional[Span] = None  # the call


class TaskClassSet(_ConfOp, tag="taskcls", frozen=True):
    """`app.Task = ProjectTask`: the app's default task class from then on, as
    `Celery(task_cls=...)` would make it (baserow)."""

    node: Node


class NamespaceSet(_ConfOp, tag="ns", frozen=True):
    """`app.namespace = "CELERY"` (jumpserver): the prefix Celery reads its settings
    with when it loads them, as `config_from_object(..., namespace=)` sets it."""

    node: Node


ConfOp = Union[
    NamespaceSet,
    ConfSet,
    ConfUnset,
    ConfUpdate,
    ConfOpaque,
    ConfAddDefaults,
    ConfigFromObject,
    ConfSetDefault,
    ConfigFromItem,
    TaskClassSet,
]


class CeleryFactory(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A module-level function that builds `x = Celery(...)` and returns it, or stores
    it in its Flask app's `extensions` (`make_celery(app)`, `celery_init_app(app)`).

    The app and what the function's top level does to it are read with `x` standing
    as `module.function.x` and each parameter as `module.function.param`; the model
    makes one app of each call, putting the call's target and arguments in their place.
    """

    params: tuple[str, ...]
    local: str  # x
    app: AppCall
    conf_ops: tuple[ConfOp, ...]
    # `app.extensions["celery"] = x`, `app` a parameter: (that parameter, the key).
    extension: Optional[tuple[str, str]] = None


class ExtensionRead(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """Module-level `var = owner.extensions["key"]`: a Flask app's extension, which a
    Celery factory the app was handed to may have stored (Celery's Flask guide)."""

    var: str
    owner: str  # qualified
    key: str
    # In a branch (dify's `else: app = create_app(); celery = app.extensions[...]`):
    # the callee of the call that bound `owner` just before, in the same branch.
    built_by: str = ""


class SettingsModuleDefault(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")` (or an
    assignment to it)."""

    module: str  # "" when not a literal
    span: Span
    # What it is computed from, when not a literal (kpi's `f"{PROJECT_NAME}.settings"`).
    computed: Optional[Node] = None


class TaskRegistration(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`app.register_task(Cls())` / `app.tasks.register(Cls())`."""

    receiver: str
    cls: str
    span: Span


# -- functions, classes and their bodies -------------------------------------------


class Decorator(msgspec.Struct, frozen=True, gc=False, array_like=True):
    qualname: Optional[str]
    called: bool  # `@x(...)` rather than `@x`
    kwargs: dict[str, Node]
    keyword_spans: dict[str, Span]
    positional_count: int
    opaque: bool  # `**kwargs` passed
    span: Span  # of the decorator expression: the call, for `@x(...)`
    mappings: tuple[Node, ...] = ()  # `@app.task(**OPTIONS)`: the unpacked mappings


class PoolCreation(msgspec.Struct, frozen=True, gc=False, array_like=True):
    factory: str  # e.g. multiprocessing.Pool
    span: Span


class LocalCall(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A call that may reach code of this module: `helper()` or `self.method()`."""

    kind: Literal["function", "method"]
    name: str
    span: Span


class ResultWait(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`result.get()` (or join/wait) on a task's result."""

    method: str
    span: Span


class RetryCall(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`self.retry(...)` in a function whose first parameter is `self`, or `f.retry(...)`
    in a function `f` (a task that is not bound retries through its own name)."""

    statement: Literal["expr", "raise", "return"]
    span: Span
    statement_span: Span
    throw_false: bool
    throws: bool  # certainly raises
    delay: Optional["Delay"] = None  # `countdown=` / `eta=now() + X`
    receiver: str = ""  # the name `retry` is called on: the first parameter, or `f`
    # Whose `max_retries` the call obeys: the task's ("task": none given, or `None`,
    # which `Task.retry` replaces by the task's), its own argument ("own"), or
    # "unknown" (`*args` / `**kwargs` may pass one).
    limit: Literal["task", "own", "unknown"] = "task"
    # The first positional argument (`args`, the arguments the task is sent again
    # with) when it is certainly no sequence of arguments: "exception", the name an
    # enclosing `except ... as name` binds, or "string" (a literal or f-string); "" when
    # it may be one, or none is given.
    args: Literal["", "exception", "string"] = ""
    args_span: Optional[Span] = None
    # The first positional argument is the only one, and neither `exc=` nor `**` is
    # given: it can be passed as `exc=` instead.
    exc_movable: bool = False


class FunctionFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A function or method. Without a body analysis (`light`), `returns_value` is
    True and the body lists are empty: rules that need more stay silent."""

    span: Span  # the name in `def name`
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

    @property
    def params(self) -> tuple[str, ...]:
        """Every named parameter: the positional ones, then the keyword-only. Not a field:
        it repeated their names, 1.8 MB of the 24 MB of facts of the 1,000 files parsed
        on a large tree."""
        return (*self.positional, *self.kwonly)


class ClassFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    span: Span  # the name in `class Name`
    bases: tuple[Optional[str], ...]  # qualified; None when not a plain name
    opaque_bases: bool  # a base that is an expression, or a metaclass
    attrs: dict[str, Node]
    attr_spans: dict[str, Span]
    methods: dict[str, FunctionFacts]
    decorators: tuple[Decorator, ...]
    # Of a class with a base named like `Celery`: the configuration keys its methods
    # write on the app (`facts.app_classes`; "*": keys that cannot be told).
    conf_writes: tuple[str, ...] = ()
    # Its classmethods that copy the upper-case members of the class (properties
    # evaluated) into a module they are handed: readthedocs' `Settings.load_settings`.
    exporters: tuple[str, ...] = ()


# -- message delays (visibility-timeout-exceeded) ---------------------------------


class Delay(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """How long a message waits before it runs: `countdown=X`, or `eta=<now>() + X`.

    `seconds` is X (a number, or a `timedelta`); `span` is the keyword's value.
    """

    seconds: Node
    span: Span


# -- call sites ------------------------------------------------------------------


ValueShape = Literal[
    "sequence", "iterable", "dict", "none", "string", "scalar", "starred", "expression"
]


class CallArgument(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """The value of an argument, as far as syntax tells (what `args=` is given)."""

    span: Span
    source: str
    starred: bool
    shape: ValueShape
    wrapped: bool  # `(x)`: parenthesized on its own
    outer: Optional[Span] = None  # with the wrapping parentheses


class Dispatch(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A call that sends a task or builds a signature."""

    method: str  # delay, apply_async, send_task, s, si, signature, ...
    span: Span
    discarded: bool  # a statement of its own: the result is dropped
    keywords: dict[str, Node]
    target: Optional[str] = None  # the qualified receiver (not for send_task)
    task_name: Optional[str] = None  # send_task("x") / app.signature("x")
    # apply_async only: the first positional argument, or the value of `args=`.
    args_value: Optional[CallArgument] = None
    # apply_async only: `countdown=` / `eta=now() + X`.
    delay: Optional[Delay] = None
    # The task is picked at run time: sent from `x.tasks[name]` (or a local bound to it),
    # `send_task(name)`, `x.signature(name)` with a name that is no literal string.
    picked_at_run_time: bool = False


# -- task decorator factories --------------------------------------------------------
#
# Task decorators built ahead of use and applied by name: `retrying =
# shared_task(autoretry_for=...)`, `partial(app.task, bind=True)`, a project's
# own decorator that calls `shared_task`. Which of them really make tasks is
# decided by the model, once the maker's name is resolved.


class MakerCall(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A call to what may be a task decorator, with the options it passes."""

    maker: str  # qualified callee: celery.shared_task, proj.celery.app.task, a factory
    kwargs: dict[str, Node]
    keyword_spans: dict[str, Span]
    span: Span  # the call, to add a keyword to it
    forwards: bool  # passes on the keywords it was given (`**kwargs`, a partial)
    opaque: bool  # `**x` of something else: options that cannot be seen


class TaskFactory(msgspec.Struct, frozen=True, gc=False, array_like=True):
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


class DroppedResult(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A task call handed to code that runs it and drops what it returns.

    `beat`: the signature given to `add_periodic_task` (beat sends it and
    never reads the result). `on_commit`: the call a lambda given to
    `on_commit` makes (Django discards the callback's return value).
    """

    span: Span  # the call: the span of its `Dispatch`
    reason: DropReason


# -- result reads, chords and transactions (CL503, CL601) ------------------------
#
# `facts/results.py` and `facts/transactions.py` fill these. The model decides
# which task or app each receiver names; extraction only records the shapes.


class ResultSource(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """Where a task result may come from.

    `call`: `x.delay()`, `x.apply_async()`, `x.send_task()` (also
    `x.s(...).delay()`), with `x` qualified in `receiver`. `handle`:
    `AsyncResult(id)` (receiver: its `app=`, None for the current app) or
    `x.AsyncResult(id)` (receiver: `x`, an app or a task).
    """

    kind: Literal["call", "handle"]
    span: Span  # the call
    method: str  # delay, apply_async, send_task, AsyncResult
    receiver: Optional[str]
    current_app: bool = False  # `AsyncResult(id)` with no `app=`: the current app's


class ResultRead(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A read of a task's state or value: `.get()`, `.ready()`, `.state`, ...

    On a result-producing call directly, or on a local variable that every
    assignment in its function binds to one (`sources`: all of them).
    """

    what: str  # get, wait, ready, successful, failed, state, status, result, info
    span: Span  # the call, or the attribute
    sources: tuple[ResultSource, ...]


class ChordBuild(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`chord(header, body)` / `chord(header)(body)`, or `group(...) | sig` (a chord too)."""

    span: Span
    form: Literal["chord", "pipe"]
    tasks: tuple[str, ...]  # qualified `x` of every `x.s()` / `x.si()` / `x.signature()` in it
    opaque: bool  # parts that are not task signatures (variables, calls)


class WorkerStart(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`app.worker_main(argv)`: a worker started from Python code (libretime's
    `worker.worker_main(["worker", "--time-limit=1800", ...])`). `words`: the argv's
    literal strings, None for any other element; empty when the argv is not a list
    this module writes."""

    receiver: Optional[str]  # qualified: the app
    words: tuple[Optional[str], ...]
    span: Span


class AtomicRequestsSet(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`DATABASES["default"]["ATOMIC_REQUESTS"] = True` at module level (cookiecutter-
    django's settings): one database's setting written into a dict bound before."""

    alias: str
    node: Node
    conditional: bool
    span: Span  # the statement


class RequestView(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """The code a request runs a task call in, when it may be a view: Django runs a view
    inside `transaction.atomic()` when a database sets ATOMIC_REQUESTS (CL601).

    A method of the module's class `cls` (a view if its MRO reaches Django's or DRF's
    view classes), a function decorated with DRF's `@api_view`, or else a module-level
    function whose first parameter is `request` (a view in a views module).
    """

    name: str  # `create_order`, `OrderViewSet.create`
    cls: Optional[str] = None
    api_view: bool = False


class TransactionDispatch(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A task sent while a Django `transaction.atomic()` block is open.

    The call is in the block (`with transaction.atomic():`), in a function
    decorated with `@transaction.atomic`, or in a function of the same module
    called from there (`via`: the calls leading to it, outermost first).
    Calls inside nested functions and lambdas (`on_commit` callbacks) are not
    in the block.
    """

    span: Span  # the call
    method: str  # delay, apply_async, send_task
    receiver: Optional[str]  # qualified `x` of `x.delay()` / `x.s().delay()` / `x.send_task()`
    atomic: Span  # the `transaction.atomic(...)` call, or the decorator
    decorated: bool
    via: tuple[str, ...] = ()  # ("helper()", "self.notify()")
    statement: bool = False  # a statement of its own: its result is dropped
    in_loop: bool = False  # inside a loop or comprehension of its function
    # What the name `transaction` means where the call is: django.db.transaction
    # ("django"), nothing at all ("free"), or something else ("other").
    transaction: Literal["django", "free", "other"] = "other"
    # The method's name in `task.delay(...)` (the fix renames it to
    # `delay_on_commit`); None for `send_task()` and a signature's `.delay()`.
    method_span: Optional[Span] = None
    # Set when the transaction is the request's (ATOMIC_REQUESTS), not a block's: the
    # view the call is in; `atomic` is then the view's `def`.
    view: Optional[RequestView] = None
    # Inside the body of a `try` of its function that handles exceptions: what the
    # handler does when sending fails (mitxonline logs and re-raises).
    in_try: bool = False


# -- task discovery: imports, autodiscovery, task names (CL602, CL605) ------------
#
# What a worker imports and which names tasks are sent by. `function` is None
# for code that runs when the module is imported (module level, also inside
# `if`/`try` and class bodies; never under `if TYPE_CHECKING:`), else the
# module-level function (or `Class.method`) the code is written in.


class ModuleImport(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`import a.b` (module "a.b") or `from a import b, c` (module "a", names b, c)."""

    module: str  # absolute
    names: tuple[str, ...]  # from-imports: each may be a submodule
    function: Optional[str]
    span: Span
    # A statement of the module's own top level (not in a branch, `try`, `with` or
    # function): importing the module certainly runs it.
    certain: bool = False


class DynamicImport(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`importlib.import_module(x)`, `__import__(x)`, `import_string(x)`, ...: None if computed."""

    module: Optional[str]
    function: Optional[str]
    span: Span


class AutodiscoverCall(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`app.autodiscover_tasks(packages, related_name=..., force=...)`.

    `packages` is None when not given (Celery asks its fixups: Django's apps);
    for `lambda: X` it is X, with `lazy` set. `related_name` None: the default
    "tasks".
    """

    receiver: str
    packages: Optional[Node]
    lazy: bool
    related_name: Optional[Node]
    function: Optional[str]
    span: Span


class TaskNameUse(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A task named by a string literal: `x.send_task("n")`, `signature("n")`, `Signature("n")`."""

    method: str  # send_task, signature, Signature, subtask
    receiver: Optional[str]  # qualified receiver or callee; None for a local (`self.app`)
    name: str
    span: Span  # the string


class FunctionalTask(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A task decorator called as a function: `app.task(name="x")(impl)`, `shared_task(impl)`."""

    maker: str
    name: Optional[Node]
    span: Span


class Discovery(msgspec.Struct, frozen=True, gc=False, array_like=True):
    imports: tuple[ModuleImport, ...] = ()
    dynamic_imports: tuple[DynamicImport, ...] = ()
    autodiscovers: tuple[AutodiscoverCall, ...] = ()
    called_at_import: tuple[str, ...] = ()  # module functions called at import time
    task_names: tuple[TaskNameUse, ...] = ()
    functional_tasks: tuple[FunctionalTask, ...] = ()
    # Module functions a worker runs as it starts, before it consumes: handlers of
    # `import_modules` (sent as it imports its modules), `celeryd_init`, `worker_init`,
    # `celeryd_after_setup`, and of an app's `on_configure`/`on_after_configure`/
    # `on_after_finalize`.
    run_at_worker_start: tuple[str, ...] = ()
    # Imported functions called at import time (`app = create_app()`), qualified: what
    # their bodies import is imported too.
    imported_called_at_import: tuple[str, ...] = ()
    # What the functions of `run_at_worker_start` call, qualified (builtins left out):
    # hypothesis/lms's `worker_init` handler calls `create_app()`, which scans and so
    # imports every module of its package.
    called_at_worker_start: tuple[str, ...] = ()


class ImportTime(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """What importing the module certainly does: its own top-level statements, not in a
    branch, `try`, `with` or function, barring an exception."""

    # (What they import is `Discovery.imports`, those marked `certain`.)
    # The calls they certainly make of callees named like app factories (`app` or `celery`
    # in the name): `create_app()`, `flask_app = create_app("production")`, the
    # `create_app()` of `make_celery(create_app())`; `var` "" unless the call's value is
    # bound to a name.
    calls: tuple[FactoryCall, ...] = ()


# -- the file --------------------------------------------------------------------


class Suppression(msgspec.Struct, frozen=True, gc=False, array_like=True):
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


class ParseError(msgspec.Struct, frozen=True, gc=False, array_like=True):
    message: str
    line: int = 1
    col: int = 0


class FileFacts(msgspec.Struct, frozen=True, gc=False):
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
    flask_factories: dict[str, FlaskFactory] = {}
    factory_calls: tuple[FactoryCall, ...] = ()
    celery_factories: dict[str, CeleryFactory] = {}
    extension_reads: tuple[ExtensionRead, ...] = ()
    # Module-level functions that change their first parameter's `.config` (lemur's
    # `configure_app(app, config)`): a Flask factory handing its app to one.
    config_writers: tuple[str, ...] = ()
    at_import: ImportTime = ImportTime()

    dropped_results: tuple[DroppedResult, ...] = ()
    # Result reads, chords, dispatches inside transactions (CL503, CL601).
    result_reads: tuple[ResultRead, ...] = ()
    chords: tuple[ChordBuild, ...] = ()
    transaction_dispatches: tuple[TransactionDispatch, ...] = ()
    # Names of views `transaction.non_atomic_requests` exempts from ATOMIC_REQUESTS, or
    # may: the classes and functions that mention it (a decorator, `method_decorator`),
    # and the names inside a `non_atomic_requests(...)` call (`MyView.as_view()`).
    non_atomic_views: tuple[str, ...] = ()
    # `DATABASES[alias]["ATOMIC_REQUESTS"] = value` statements of the module's own body.
    atomic_requests_sets: tuple[AtomicRequestsSet, ...] = ()
    worker_starts: tuple[WorkerStart, ...] = ()
    # Code (not a comment) names a result backend: `result_backend`, `CELERY_RESULT_BACKEND`.
    names_result_backend: bool = False
    # A call is handed the sending method of a task picked at run time, or an app's
    # `send_task` (flower's executor: `run_blocking(..., task.apply_async, ...)`).
    hands_picked_sends: bool = False
    # exec/globals()/split-settings: names may be bound that the facts do not show.
    dynamic: bool = False
    suppressions: tuple[Suppression, ...] = ()
    discovery: Discovery = Discovery()


def failed(message: str, line: int = 1, col: int = 0) -> FileFacts:
    return FileFacts(error=ParseError(message, line, col))


# -- Deployment facts (facts.deploy) ---------------------------------------------
# What deployment files (compose, Kubernetes, Procfile, Dockerfile, .env, entrypoint
# scripts, supervisord, systemd) say about each process they start. Parsed per run,
# never executed; the model turns them into services (model.services).


class EnvEntry(msgspec.Struct, frozen=True, gc=False, array_like=True):
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


class DeployedProcess(msgspec.Struct, frozen=True, gc=False):
    """A process a deployment file starts: its command words and environment.

    `env` is in the order the platform applies it (later entries win);
    `env_complete` is False when some source could not be read (a missing
    `env_file`, an `envFrom` of something not in the repository, a
    pass-through `- VAR`), so an absent variable may still be set.
    """

    name: str
    platform: str  # compose, kubernetes, procfile, dockerfile, script, supervisor, systemd,
    # cloudfoundry
    path: str
    line: int
    argv: tuple[Optional[str], ...]  # None: a word that cannot be known
    env: tuple[EnvEntry, ...] = ()
    env_complete: bool = True
    profiles: tuple[str, ...] = ()
    col: tuple[int, int] = (0, 0)
    # A script's line in a branch of `case "$1" in` (`case_subject` "1", the script's
    # first argument) or `case "$ROLE" in` ("ROLE"), or of an `if` that tests the value
    # against words as a `case` would (`if [ "$1" == "web" ]; then ... elif ...`): it
    # runs only when the first branch whose patterns match the value is this one
    # (written on line `case_branch`), of the `case` or `if` written on `case_at`.
    case_subject: str = ""
    case_patterns: tuple[str, ...] = ()
    case_branch: int = 0
    # What the image it runs copied in (Dockerfile `COPY`/`ADD`): (path in the image,
    # the file or directory of the repository copied there).
    copied: tuple[tuple[str, str], ...] = ()
    case_at: int = 0
    # Where its project files come from: the repository paths (files, directories,
    # globs) its image copied in and its volumes mount; None when not known.
    code: Optional[tuple[str, ...]] = None
    # Its `argv` are given to the ENTRYPOINT of an image not built from the repository
    # (nor a Docker Hub official one): a program not known, which may run them as
    # arguments of its own (`airflow "$@"`).
    entrypoint_unknown: bool = False
    # The directory its command starts in, where a relative program word (`ENTRYPOINT
    # ["./entrypoint.sh"]`) is found among what its image `copied`: the image's last
    # `WORKDIR`, or the compose service's `working_dir:`; "" when not known.
    workdir: str = ""


class DeploymentProblem(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A deployment file that could not be read (too big, binary, malformed)."""

    path: str
    line: int
    message: str


class DeploymentFacts(msgspec.Struct, frozen=True, gc=False):
    processes: tuple[DeployedProcess, ...] = ()
    problems: tuple[DeploymentProblem, ...] = ()
    # Files read besides the deployment files discovery found (`.env` and `env_file:`
    # files, Dockerfiles a compose service builds), with their (mtime, size) before
    # they were read: a replayed run depends on them too.
    also_read: tuple[Watched, ...] = ()
