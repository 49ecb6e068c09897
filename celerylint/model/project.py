"""The project model: apps with resolved settings, tasks, call sites, services."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal, Optional, Protocol, Union
from urllib.parse import urlsplit

import msgspec

from celerylint.facts.schema import (
    Assign,
    ClassFacts,
    Decorator,
    DeploymentFacts,
    Dispatch,
    FileFacts,
    Formatted,
    Name,
    Node,
    Ref,
    Seq,
    SettingsModuleDefault,
    TaskFactory,
    TaskRegistration,
    WorkerStart,
)
from celerylint.facts.values import Evaluator
from celerylint.model.import_time import certainly_imported
from celerylint.model.namespace import FactsLoader, ModuleOfPath, Modules
from celerylint.model.references import References
from celerylint.model.registry import (
    TaskNameRef,
    TaskRegistry,
    build_registry,
    makes_signature,
    task_name_refs,
)
from celerylint.model.services import Service, deployed_services, matches_app
from celerylint.model.settings import CELERY_CLASSES, App, AppBuilder, ConfigSource
from celerylint.model.tasks import (
    CURRENT_APP,
    LEGACY_TASK,
    SHARED_TASK,
    DeclaredOption,
    Option,
    Task,
    TaskOptions,
)
from celerylint.model.worker_imports import WorkerImports, WorkerImportsBuilder
from celerylint.sources.places import PathsOfTests
from celerylint.sources.prefilter import implies_relevant, prefilter_tokens
from celerylint.sources.reading import read_or_none
from celerylint.sources.requirements import celery_version_floor

# Dispatch methods whose result is a signature or canvas part: the result may be read.
SIGNATURES = frozenset({"s", "si", "signature", "map", "starmap", "chunks"})


class Mentioning(Protocol):
    """Which project modules' sources contain each text: every module's, or (cheaper:
    no file left out is read) the relevant ones' only."""

    def __call__(self, texts: list[str], among_relevant: bool = False) -> dict[str, list[str]]: ...


class ResultReaders(msgspec.Struct, frozen=True):
    """The tasks whose results some code keeps: by qualified name and by task name."""

    qualnames: frozenset[str]
    names: frozenset[str]  # send_task("proj.tasks.x"), app.signature("proj.tasks.x")
    # Some call outside tests keeps the result of a task it picks at run time
    # (`app.tasks[name].delay()`, `send_task(name)`): any task's result may be read.
    any_task: bool = False

    def reads(self, task: Task) -> bool:
        return task.qualname in self.qualnames or bool(task.name and task.name in self.names)


class TaskMaking(msgspec.Struct, frozen=True):
    """What a task decorator (maybe built ahead by a factory) gives the task it makes."""

    apps: Optional[list[App]]  # None: apps that cannot be seen
    options: dict[str, DeclaredOption]
    opaque: bool  # options that cannot be seen
    maker: Optional[str]  # Celery's decorator at the end, if the task is made by it alone
    options_call: Optional[Decorator]  # where to add a keyword for this task alone


class CallSite(msgspec.Struct, frozen=True):
    """A call that sends a task or builds a signature, and where it is."""

    module: str
    path: str
    call: Dispatch


class Project:
    """Everything rules read. Built from per-file facts; never imports code."""

    def __init__(
        self,
        paths: dict[str, str],
        loader: FactsLoader,
        relevant: list[str],
        task_decorators: tuple[str, ...] = (),
        django_settings_module: Optional[str] = None,
        service_groups: tuple[tuple[str, tuple[str, ...]], ...] = (),
        fix_defaults: Optional[dict[str, int]] = None,
        aliases: Optional[dict[str, str]] = None,
        roots: Optional[dict[str, str]] = None,
        mentioning: Optional[Mentioning] = None,
        external_tasks: tuple[str, ...] = (),
        deployment: Optional[DeploymentFacts] = None,
        dependency_files: Sequence[Path] = (),
        prefetch: Optional[Callable[[list[str]], None]] = None,
        by_path: Optional[ModuleOfPath] = None,
        read: Optional[Callable[[str], Optional[bytes]]] = None,
        test_paths: Optional[PathsOfTests] = None,
    ) -> None:
        self._mentioning = mentioning
        # A file's bytes as this check sees them (the fact store's: an open buffer's or a
        # fix round's text before the disk's); None if unreadable.
        self.read = read or read_or_none
        # text -> the modules found to contain it: each text is looked for once a check.
        self._mentions: dict[str, list[str]] = {}
        # app key -> whether the app may name its tasks itself (`names_tasks_itself`).
        self._names_tasks: dict[str, bool] = {}
        # Every process the deployment files start (model.services).
        self.deployment = deployment or DeploymentFacts()
        self.services: list[Service] = deployed_services(self.deployment.processes)
        # (environment, app key) -> the app as a deployment's environment resolves it
        self._service_apps: dict[tuple[object, ...], App] = {}
        # `-A` as written -> the app it loads: services are many, and rules ask often.
        self._apps_loaded: dict[str, Optional[App]] = {}
        # Values fixes write: time limits and the retry ceiling ([tool.celerylint.fix]).
        self.fix_defaults = fix_defaults or {
            "time_limit": 300,
            "soft_time_limit": 240,
            "max_retries": 5,
        }
        self.modules = Modules(paths, loader, aliases or {}, roots or {}, prefetch, by_path)
        # The project's files only a test suite runs (`path in project.test_paths`): the
        # fact store's, which parsed none of them up front.
        self.test_paths = test_paths if test_paths is not None else PathsOfTests(paths.values())
        self.evaluator = Evaluator(
            self._resolve_name, self._resolve_ref, resolve_item=self._resolve_item
        )
        self.relevant = sorted(m for m in relevant if m in paths)
        self.task_decorators = frozenset(task_decorators)
        self.django_settings = self._django_settings(django_settings_module)
        self.app_builder = AppBuilder(self.modules, self.evaluator, self.django_settings)
        app_modules = self._app_modules()
        self.apps: list[App] = self.app_builder.build(
            app_modules, app_modules, self.test_paths.__contains__, self._imported_where_run
        )
        self._load_named_config_modules()
        self.options = TaskOptions(self.modules, self.evaluator, self.refs_in)
        self.tasks: list[Task] = self._find_tasks(self.app_builder)
        self.dispatches: list[CallSite] = [
            CallSite(module, paths[module], call)
            for module in self.relevant
            for call in self._facts(module).dispatches
        ]
        self.links = self._link_services(service_groups)
        # Task names (globs) served by another repository's worker ([tool.celerylint]).
        self.external_tasks = external_tasks
        self._dependency_files = dependency_files
        self._worker_imports: dict[str, WorkerImports] = {}

    def _app_modules(self) -> list[str]:
        """The modules whose top level may make an app: the relevant ones, and those
        that call a Celery factory (`celery = make_celery(app)`) or read what one stored
        (`flask_app.extensions["celery"]`): such a module holds nothing the prefilter
        keeps, so the files are searched, but only when the project has such factories."""
        # A factory of test code (Celery's own `TestApp`) makes apps for test runs only.
        factories = [
            (name, factory)
            for module in self.relevant
            if self.modules.paths[module] not in self.test_paths
            for name, factory in self._facts(module).celery_factories.items()
        ]
        if not factories or self._mentioning is None:
            return self.relevant
        # A factory a relevant module calls (or whose app it reads) is taken to be called
        # there only: searching every file of the 16-project tree costs 50 ms.
        called = {
            call.callee.rsplit(".", 1)[-1]
            for module in self.relevant
            for call in self._facts(module).factory_calls
        }
        read = {r.key for module in self.relevant for r in self._facts(module).extension_reads}
        texts: set[str] = set()
        for name, factory in factories:
            key = factory.extension[1] if factory.extension is not None else None
            if name in called or key in read:
                continue
            texts.add(f"{name}(")
            if key is not None:
                texts.update((f'extensions["{key}"]', f"extensions['{key}']"))
        if not texts:
            return self.relevant
        found = self.modules_mentioning(sorted(texts))
        mentioning = {module for modules in found.values() for module in modules}
        return sorted(mentioning.union(self.relevant))

    @functools.cached_property
    def worker_starts(self) -> list[tuple[Optional[App], WorkerStart]]:
        """The workers the project's code starts (`app.worker_main(argv)`), outside its
        test suite, each with its app (None: not known)."""
        found = []
        for module in self.relevant:
            if self.modules.paths[module] in self.test_paths:
                continue
            for start in self._facts(module).worker_starts:
                receiver = start.receiver
                app = self.app_builder.app_for(receiver, self.apps, module) if receiver else None
                found.append((app, start))
        return found

    @functools.cached_property
    def celery_version_floor(self) -> Optional[tuple[int, ...]]:
        """The lowest Celery release the dependency pins allow (sources.requirements);
        None: not pinned, or some pin allows any release. Read when a rule asks: a lock
        file can be large, and only some fixes depend on the version."""
        return celery_version_floor(self._dependency_files)

    def modules_mentioning(self, texts: list[str]) -> dict[str, list[str]]:
        """For each text, every project module whose source contains it, parsed or not
        (slow: every file is read, once for all the texts not asked before: ask together
        what you can)."""
        if self._mentioning is None:
            return {text: list(self.modules.paths) for text in texts}
        unknown = [text for text in texts if text not in self._mentions]
        if unknown:
            self._mentions.update(self._mentioning(unknown))
        return {text: self._mentions[text] for text in texts}

    def relevant_modules_mentioning(self, texts: list[str]) -> dict[str, list[str]]:
        """For each text, the relevant modules (those the prefilter kept) whose source
        contains it: no other file is read."""
        if self._mentioning is None:
            return {text: list(self.relevant) for text in texts}
        return self._mentioning(texts, among_relevant=True)

    @functools.cached_property
    def result_readers(self) -> ResultReaders:
        """The tasks whose results some call keeps (or passes on in a signature, or sends
        under an id of its choosing).

        A call handed to beat (`add_periodic_task`) or to an `on_commit`
        lambda keeps nothing: whoever runs it drops the result.
        """
        qualnames: set[str] = set()
        names: set[str] = set()
        any_task = False
        dropped = {
            module: {d.span for d in self._facts(module).dropped_results}
            for module in self.relevant
        }
        for site in self.dispatches:
            call = site.call
            # `apply_async(..., task_id=pk)`: the caller picks the id, and reads the result
            # by it later (course-discovery shows `TaskResult` rows of its bulk uploads).
            chosen_id = "task_id" in call.keywords
            if call.discarded and call.method not in SIGNATURES and not chosen_id:
                continue
            if call.span in dropped[site.module] and not chosen_id:
                continue
            if call.task_name:
                names.add(call.task_name)
            any_task = any_task or self._picks_task_at_run_time(site)
            if not call.target:
                continue
            symbol = self.modules.resolve(call.target, site.module)
            if symbol.kind in ("function", "class") and symbol.module and symbol.name:
                qualnames.add(f"{symbol.module}.{symbol.name}")
        any_task = any_task or any(
            self._facts(module).hands_picked_sends
            for module in self.relevant
            if self.modules.paths[module] not in self.test_paths
        )
        return ResultReaders(frozenset(qualnames), frozenset(names), any_task)

    def _picks_task_at_run_time(self, site: CallSite) -> bool:
        """Whether a call outside tests sends a task whose name is known at run time only
        (`x.signature(name)` if `x` makes signatures by name: an app, not a task)."""
        call = site.call
        if not call.picked_at_run_time or site.path in self.test_paths:
            return False
        return call.method != "signature" or makes_signature(self, call.target, site.module)

    def app_classes(self, app: App) -> Optional[list[ClassFacts]]:
        """The project's classes from the app's own up to `Celery`, most derived first (none
        for a plain `Celery`); None when the chain leaves the project or has a class with
        several bases."""
        callee: Optional[str] = app.record.callee
        near: Optional[str] = app.module
        found: list[ClassFacts] = []
        for _depth in range(10):
            if callee in CELERY_CLASSES:
                return found
            if not callee:
                return None
            symbol = self.modules.resolve(callee, near)
            if symbol.kind == "external" and symbol.qualname in CELERY_CLASSES:
                return found  # `Celery = celery.Celery`, then `Celery(...)`
            if symbol.kind != "class" or not symbol.module or not symbol.name or symbol.rest:
                return None
            cls = self.modules.class_facts(symbol.module, symbol.name)
            if cls is None or len(cls.bases) != 1:
                return None
            found.append(cls)
            callee, near = cls.bases[0], symbol.module
        return None

    def names_tasks_itself(self, app: App) -> bool:
        """Whether the app may name its tasks otherwise than `module.function`: its class
        overrides `gen_task_name` (rapidpro's registers each task by its function's
        name alone), or cannot be seen."""
        if app.key not in self._names_tasks:
            classes = self.app_classes(app)
            self._names_tasks[app.key] = classes is None or any(
                "gen_task_name" in cls.methods for cls in classes
            )
        return self._names_tasks[app.key]

    def is_bound(self, task: Task) -> Optional[bool]:
        """Whether the task decorator binds the task (`bind=True`); None if unknown."""
        if task.decorator is None:
            return None
        declared = task.own_options.get("bind")
        if declared is None:
            return None if task.opaque_options else False
        value = self.evaluator.evaluate(declared.node, declared.path)
        return bool(value.value) if value.known else None

    # -- task discovery ------------------------------------------------------------

    @functools.cached_property
    def task_registry(self) -> TaskRegistry:
        """The task names the project's apps register, and whether that is all of them."""
        return build_registry(self)

    @functools.cached_property
    def task_name_refs(self) -> list[TaskNameRef]:
        """Tasks named by string literals: send_task, signatures, beat, routes, annotations."""
        return task_name_refs(self)

    def worker_imports(self, app: App, reaching: Optional[set[str]] = None) -> WorkerImports:
        """The modules the app's worker imports at start (and how it finds them). With
        `reaching` (not empty), the search may stop once it found those modules: such
        a result (not `complete`) is not kept for the next question."""
        found = self._worker_imports.get(app.key)
        if found is None:
            found = self._worker_imports_builder.build(app, reaching)
            if found.complete:
                self._worker_imports[app.key] = found
        return found

    def worker_imports_start(self, app: App) -> WorkerImports:
        """What the app's worker imports first (and how), not what those import: cheap,
        and enough to tell that some worker's imports cannot all be seen."""
        return self._worker_imports_builder.start(app)

    @functools.cached_property
    def _worker_imports_builder(self) -> WorkerImportsBuilder:
        return WorkerImportsBuilder(self)

    @functools.cached_property
    def references(self) -> References:
        """Where names are used: consulted before a setting's key is renamed."""
        return References(self.modules, self.modules_mentioning)

    # -- name resolution for the evaluator ------------------------------------

    def _facts(self, module: str) -> FileFacts:
        """A module's facts; empty when it has none (unparsable, outside the project)."""
        return self.modules.facts(module) or _NO_FACTS

    def _resolve_name(self, name: str, path: str) -> Optional[tuple[Node, str]]:
        module = self.modules.module_of(path)
        if module is None:
            return None
        return self.modules.binding_of(f"{module}.{name}", module)

    def _resolve_ref(self, qualname: str, path: str) -> Optional[tuple[Node, str]]:
        if qualname.startswith(_DJANGO_SETTINGS_ATTRIBUTE):
            return self._django_setting_binding(qualname[len(_DJANGO_SETTINGS_ATTRIBUTE) :])
        return self.modules.binding_of(qualname, self.modules.module_of(path))

    def _resolve_item(
        self, container: Node, key: str, path: str
    ) -> Optional[tuple[Optional[Node], str]]:
        """`flask_app.config["KEY"]` (flask-celery-example's `Celery(app.name,
        broker=app.config["CELERY_BROKER_URL"])`)."""
        return self.app_builder.flask_item(container, key, path)

    def _django_setting_binding(self, name: str) -> Optional[tuple[Node, str]]:
        """`django.conf.settings.X` (mediacms: `soft_time_limit=settings.SOFT_LIMIT`): X of
        the settings module, when the project has exactly one for its processes."""
        candidates = {module for module, _ in self.django_settings}
        if len(candidates) != 1 or "." in name:
            return None
        module = self.modules.find(candidates.pop())
        if module is None:
            return None
        return self.modules.binding_of(f"{Modules.display(module)}.{name}", module)

    def refs_in(self, node: Node, path: str, depth: int = 0) -> Optional[list[str]]:
        """Qualified names of the classes in `(A, B)`, `A`, or a constant naming them."""
        if depth > 10:
            return None
        if isinstance(node, Seq):
            names: list[str] = []
            for element in node.items:
                inner = self.refs_in(element, path, depth + 1)
                if inner is None:
                    return None
                names.extend(inner)
            return names
        if isinstance(node, Name):
            module = self.modules.module_of(path)
            qualname = f"{module}.{node.id}" if module else node.id
        elif isinstance(node, Ref):
            qualname = node.qualname
        else:
            return None
        symbol = self.modules.resolve(qualname, self.modules.module_of(path))
        if symbol.kind in ("class", "function") and not symbol.rest:
            return [f"{symbol.module}.{symbol.name}"]
        if symbol.kind == "external":
            return [symbol.qualname]
        binding = symbol.binding
        if symbol.kind == "binding" and binding and not symbol.rest and not binding.conditional:
            return self.refs_in(binding.node, self.modules.paths[binding.module], depth + 1)
        return None

    # -- services ----------------------------------------------------------------

    def _load_named_config_modules(self) -> None:
        """An app that loads no configuration itself reads the module its processes
        name (`celery --config X`, CELERY_CONFIG_MODULE=X): the project's view of it is
        that module when every process of it that names one names the same, and not
        known when they differ. A process naming none runs it with Celery's defaults
        (`as_deployed`)."""
        named: dict[str, list[tuple[Service, tuple[bool, Optional[str]]]]] = {}
        for service in self.services:
            config = service.config_module
            app = self.service_app(service) if config is not None else None
            if config is not None and app is not None and app.source.kind == "none":
                named.setdefault(app.key, []).append((service, config))
        for app in self.apps:
            given = named.get(app.key)
            if not given:
                continue
            if len({config for _, config in given}) == 1:
                service, config = given[0]
                app.load_source(self.app_builder.named_source(app, config, service.label))
            else:
                why = "its processes name different configuration modules"
                app.load_source(ConfigSource("opaque", [], why))

    def service_app(self, service: Service) -> Optional[App]:
        """The project app a service runs: its `-A`; a web process runs the only app,
        unless its image and volumes hold no file of it (Open-Assistant's safety
        service copies in only `inference/safety/*.py`)."""
        if service.app is None:
            if service.role == "web" and service.command_known and len(self.apps) == 1:
                only = self.apps[0]
                return (
                    only
                    if service.may_hold(only.path) and self._web_may_use(service, only)
                    else None
                )
            return None
        written = self.app_written(service)
        if written is None:
            return None
        if written not in self._apps_loaded:
            self._apps_loaded[written] = self._app_loaded(written, self.apps)
        return self._apps_loaded[written]

    def _web_may_use(self, service: Service, app: App) -> bool:
        """Whether the project's package a web server serves may use `app`: it is the
        app's own top package, or one of its modules mentions that package's name
        (libretime's API, `gunicorn libretime_api.asgi`, never imports the worker's
        `libretime_worker`). True when the server's module is not the project's."""
        found = (self.modules.find(name) for name in service.web_modules)
        served = next((module for module in found if module is not None), None)
        if served is None:
            return True
        top, app_top = served.partition(".")[0], app.module.partition(".")[0]
        if top == app_top:
            return True
        mentioning = self.modules_mentioning([app_top])[app_top]
        return any(module == top or module.startswith(f"{top}.") for module in mentioning)

    def app_written(self, service: Service) -> Optional[str]:
        """The service's `-A` with the module it names: a top-level name several files of
        the project have (flower's `-A tasks`: `docs/tasks.py`, `examples/tasks.py`)
        names the one the process holds (its image copies in, its volumes mount), and is
        not known when it may hold several: the file walked first is no better a guess.
        None when absent or not known."""
        written = service.app
        if written is None:
            return None
        head = written.partition(":")[0].partition(".")[0]
        candidates = self.modules.same_named(head)
        if len(candidates) < 2:
            return written
        held = [key for key in candidates if service.may_hold(self.modules.paths[key])]
        if len(held) != 1:
            return None
        return Modules.display(held[0]) + written[len(head) :]

    def _app_loaded(self, written: str, apps: list[App]) -> Optional[App]:
        """The app of `apps` that `-A written` loads, if one fits."""
        found = [app for app in apps if matches_app(written, app.module, app.var)]
        if not found:
            found = self._app_imported_as(written, apps)
        if not found:
            found = [app for app in apps if app.module.startswith(f"{written}.")]
        return found[0] if len(found) == 1 else None

    def _imported_where_run(self, apps: list[App]) -> dict[str, set[str]]:
        """App key -> the modules every process running the app certainly imports (what
        its own module imports; with every deployed worker and beat of it, what their
        `-A` module imports too): where a Flask factory called at import configures it.
        Nothing where no Flask factory of the project configures a Celery app."""
        if not any(
            factory.celery_ops
            for module in self.relevant
            for factory in self._facts(module).flask_factories.values()
        ):
            return {}
        started: dict[str, list[set[str]]] = {}
        for service in self.services:
            if service.role not in ("worker", "beat"):
                continue
            written = self.app_written(service)
            if written is None:
                continue
            app = self._app_loaded(written, apps)
            if app is None:
                continue
            target, colon, _ = written.partition(":")
            module = self.modules.find(target) or (
                None if colon else self.modules.find(target.rpartition(".")[0])
            )
            roots = [module] if module is not None else []
            started.setdefault(app.key, []).append(certainly_imported(self.modules, roots))
        return {
            app.key: certainly_imported(self.modules, [app.module]).union(
                set.intersection(*started[app.key]) if app.key in started else ()
            )
            for app in apps
        }

    def _app_imported_as(self, written: str, apps: list[App]) -> list[App]:
        """The app `-A proj.tasks:CELERY` (or `proj.tasks.CELERY`) names where `proj.tasks`
        imports it from the module that makes it (security_monkey): Celery takes the
        attribute of the imported module, whatever module bound it first. `-A app.worker`,
        a module with neither `app` nor `celery`: Celery takes the Celery instance among
        its names (`find_app`), so one app imported there is that app (the FastAPI
        template's worker module imports `celery_app`)."""
        target, colon, attribute = written.partition(":")
        symbol = self.modules.resolve(f"{target}.{attribute}" if colon else written)
        if symbol.kind == "binding" and not symbol.rest and symbol.module:
            key = f"{symbol.module}:{symbol.name}"
            return [app for app in apps if app.key == key]
        module = self.modules.find(written) if not colon else None
        if module is None:
            return []
        keys = set()
        for name in self.modules.namespace(module).bindings:
            bound = self.modules.resolve(f"{Modules.display(module)}.{name}", module)
            if bound.kind == "binding" and not bound.rest and bound.module:
                keys.add(f"{bound.module}:{bound.name}")
        return [app for app in apps if app.key in keys]

    def as_deployed(self, app: App, service: Service) -> App:
        """`app` with its settings resolved in `service`'s environment (and settings module)."""
        django = self.django_settings
        known, module = service.env_value("DJANGO_SETTINGS_MODULE")
        if known and module and self.modules.find(module) is not None:
            django = [(module, None)]
        # The app of that key as the project found it (the first, should a module bind
        # the name twice), configured again in the service's environment.
        made = next((other for other in self.apps if other.key == app.key), None)
        if made is None:
            return app
        named = service.config_module
        key = (
            tuple(sorted(service.environment.items(), key=lambda kv: kv[0])),
            service.env_complete,
            tuple(django),
            named,
            app.key,
        )
        deployed = self._service_apps.get(key)
        if deployed is None:
            evaluator = self.evaluator.with_environment(service.env_value)
            builder = self.app_builder.in_environment(evaluator, django)
            deployed = builder.configured(made)
            if named is not None and deployed.source.kind == "none":
                deployed.load_source(builder.named_source(deployed, named, service.label))
            self._service_apps[key] = deployed
        return deployed

    def deployed(self, roles: tuple[str, ...]) -> list[tuple[Service, App]]:
        """Services of these roles whose app is known, with the app as each resolves it."""
        return [
            (service, self.as_deployed(app, service))
            for service in self.services
            if service.role in roles and (app := self.service_app(service)) is not None
        ]

    def service_pool(self, service: Service, app: App) -> Optional[str]:
        """The pool a worker service runs; None when unknown.

        `-P` (or CELERY_WORKER_POOL) names it, but the `worker_pool` setting
        wins when neither does or they say prefork (CELERY_FACTS.md).
        """
        try:
            written = service.pool_written
        except LookupError:
            return None
        written = "prefork" if written == "processes" else written
        if written is not None and written != "prefork":
            return written
        setting = app.setting("worker_pool")
        if not setting.known or not isinstance(setting.value.value, str):
            return None
        return "prefork" if setting.value.value == "processes" else setting.value.value

    # -- Django ------------------------------------------------------------------

    def _django_settings(self, configured: Optional[str]) -> list[tuple[str, Optional[str]]]:
        """Settings modules the Celery app may load (with where they were named)."""
        if configured:
            return [(configured, None)]
        found: list[tuple[str, Optional[str]]] = []
        for module in self.relevant:
            leaf = module.rsplit(".", 1)[-1]
            facts = self._facts(module)
            if not facts.settings_module_defaults:
                continue
            makes_apps = facts.apps or facts.celery_factories
            if leaf in ("manage", "wsgi", "asgi") or makes_apps or "celery" in leaf:
                for default in facts.settings_module_defaults:
                    dotted = default.module or self._computed_settings_module(default, module)
                    if all(dotted != known for known, _ in found):
                        found.append((dotted, module))
        # The deployment's DJANGO_SETTINGS_MODULE beats those defaults in the
        # processes it starts: one more candidate (disagreeing ones make values
        # unknown). One that is not in the repository is left out: it is made at
        # build time (taiga's Dockerfile copies docker/config.py there), and
        # what it holds cannot be told.
        deployed = [
            m for m in self._deployed_settings_modules() if self.modules.find(m) is not None
        ]
        found = _without_stale_entry_points(found, self.modules, bool(deployed))
        for module in deployed:
            if all(module != known for known, _ in found):
                found.append((module, None))
        return found

    def _computed_settings_module(self, default: SettingsModuleDefault, module: str) -> str:
        """The settings module a default that is no literal names, if it can be told
        (`f"{PROJECT_NAME}.settings"`, the name a constant of the module); else ""."""
        node, path = default.computed, self.modules.paths[module]
        # The evaluator leaves a formatted string unknown (rules read only its literal
        # text); a settings module is one only when every part is known text.
        parts = node.parts if isinstance(node, Formatted) else (node,) if node else ()
        texts = [self.evaluator.evaluate(part, path) for part in parts]
        if not texts or not all(v.known and isinstance(v.value, str) for v in texts):
            return ""
        dotted = "".join(v.value for v in texts)
        return dotted if _DOTTED.fullmatch(dotted) else ""

    def _deployed_settings_modules(self) -> list[str]:
        """DJANGO_SETTINGS_MODULE as the deployed processes set it (entrypoint scripts'
        exports included), in the order the deployment files were read."""
        found: dict[str, None] = {}
        for process in self.deployment.processes:
            value = {entry.name: entry.value for entry in process.env}.get("DJANGO_SETTINGS_MODULE")
            if value:
                found[value] = None
        for service in self.services:  # `VAR=x celery ...` on the command line too
            value = service.environment.get("DJANGO_SETTINGS_MODULE")
            if value:
                found[value] = None
        return [module for module in found if _DOTTED.fullmatch(module)]

    # -- tasks -------------------------------------------------------------------

    def _find_tasks(self, builder: AppBuilder) -> list[Task]:
        tasks: list[Task] = []
        for module in [*self.relevant, *self._factory_users(builder)]:
            facts = self._facts(module)
            path = self.modules.paths[module]
            mentions_celery = _imports_celery(facts)
            for name, function in facts.functions.items():
                for decorator in function.decorators:
                    making = self._making(decorator, path, module, builder, mentions_celery)
                    if making is None:
                        continue
                    options = making.options
                    base = self._base_of(options.get("base"))
                    display = f"{self.modules.display(module)}.{name}"
                    task = Task(
                        f"{module}.{name}",
                        module,
                        path,
                        "function",
                        function,
                        {k: v for k, v in options.items() if k not in ("base", "name")},
                        making.opaque,
                        base,
                        None if making.apps is None else list(making.apps),
                    )
                    named = options.get("name")
                    named_node = named.node if named else None
                    task.name = self._task_name(named_node, named.path if named else path, display)
                    task.decorator = decorator
                    task.maker = making.maker
                    task.options_call = making.options_call
                    tasks.append(task)
                    break
            for registration in facts.registrations:
                app = builder.app_for(registration.receiver, self.apps, module)
                if app is None:
                    continue
                registered = self.registered_class(registration, module)
                if registered is None:
                    continue
                cls_module, cls_name = registered
                if not self.options.is_task_class(cls_module, cls_name):
                    continue
                cls = self._facts(cls_module).classes[cls_name]
                qualname = f"{cls_module}.{cls_name}"
                cls_path = self.modules.paths[cls_module]
                task = Task(qualname, cls_module, cls_path, "class", cls, {}, False, None, [app])
                name_node = cls.attrs.get("name")
                display = f"{self.modules.display(cls_module)}.{cls_name}"
                task.name = self._task_name(name_node, cls_path, display)
                if all(t.qualname != qualname for t in tasks):
                    tasks.append(task)
        tasks.sort(key=lambda t: (t.path, t.span.line))
        return tasks

    def registered_class(
        self, registration: TaskRegistration, module: str
    ) -> Optional[tuple[str, str]]:
        """(module, name) of the class `app.register_task(Cls())` registers. A class of
        this module is the one defined here even when the call's result rebinds its name
        (mailarch's `Handler = app.register_task(Handler())`)."""
        own = registration.cls.removeprefix(f"{module}.")
        if own != registration.cls and own in self._facts(module).classes:
            return module, own
        symbol = self.modules.resolve(registration.cls, module)
        if symbol.kind != "class" or not symbol.module or not symbol.name:
            return None
        return symbol.module, symbol.name

    def _factory_users(self, builder: AppBuilder) -> list[str]:
        """Modules the prefilter left out that may apply a decorator factory of the project.

        `@retrying` names nothing the prefilter knows, so the files that use a
        factory are found by its name (reading every file: only when the project
        has a factory that makes tasks).
        """
        names: set[str] = set()
        for module in self.relevant:
            facts = self._facts(module)
            for name in facts.factories:
                qualname = f"{module}.{name}"
                if name in names:
                    continue
                if self._factory_making(qualname, module, {}, False, False, builder, module, 0):
                    names.add(name)
            names.update(self._decorator_aliases(module, facts, builder))
        # kitsune's `shared_task_with_retry` contains `shared_task`: every file using it
        # is relevant already (reading 11,000 files for it took 50 ms of the corpus).
        tokens = prefilter_tokens(self.task_decorators)
        asked = sorted(name for name in names if not implies_relevant(name, tokens))
        relevant = set(self.relevant)
        users: set[str] = set()
        for found in self.modules_mentioning(asked).values() if asked else ():
            users.update(m for m in found if m not in relevant)
        # Parsed now, together (in parallel when they are many), not one by one as read.
        self.modules.prefetch(sorted(users))
        return sorted(users)

    def _base_of(self, declared: Optional[DeclaredOption]) -> Optional[str]:
        """The qualified class of a `base=` option."""
        if declared is None:
            return None
        node = declared.node
        if isinstance(node, Ref):
            return node.qualname
        if isinstance(node, Name):
            return f"{self.modules.module_of(declared.path)}.{node.id}"
        return None

    def _task_name(self, node: Optional[Node], path: str, default: str) -> Optional[str]:
        if node is None:
            return default
        value = self.evaluator.evaluate(node, path)
        return value.value if value.known and isinstance(value.value, str) else None

    def _making(
        self,
        decorator: Decorator,
        path: str,
        module: str,
        builder: AppBuilder,
        mentions_celery: bool,
    ) -> Optional[TaskMaking]:
        """How a decorator makes a task, or None if it makes none."""
        qualname = decorator.qualname
        if not qualname:
            return None
        given = {
            key: DeclaredOption(node, path, decorator.keyword_spans.get(key), decorator)
            for key, node in decorator.kwargs.items()
        }
        opaque = decorator.opaque
        if opaque and decorator.mappings:
            unpacked = self._unpacked_options(decorator, path, builder)
            if unpacked is not None:
                given, opaque = {**unpacked, **given}, False
        qualname, apps = self._maker_apps(qualname, builder, mentions_celery, module, module)
        if apps is not False:
            own = qualname not in self.task_decorators
            return TaskMaking(
                apps, given, opaque, qualname if own else None, decorator if own else None
            )
        making = self._factory_making(
            qualname, module, given, opaque, decorator.called, builder, module, 0
        )
        if making is not None and making.options_call is None and making.maker is not None:
            # A partial takes more keywords where it is used: that decorator is this task's own.
            factory = self._factory(qualname, module)
            if factory is not None and factory[0].kind == "partial":
                making = msgspec.structs.replace(making, options_call=decorator)
        return making

    def _unpacked_options(
        self, decorator: Decorator, path: str, builder: AppBuilder
    ) -> Optional[dict[str, DeclaredOption]]:
        """`@app.task(**OPTIONS)`, `OPTIONS = dict(max_retries=5, ...)` (OSF's migrations):
        the options each unpacked dict display gives (they hold no keyword spans: no fix
        edits them); None when one is no display of known keys."""
        options: dict[str, DeclaredOption] = {}
        for mapping in decorator.mappings:
            entries = builder.mapping_entries(mapping, path)
            if entries is None:
                return None
            for key, node, where in entries:
                options[key] = DeclaredOption(node, where, None, decorator)
        return options

    def _factory(self, qualname: str, near: str) -> Optional[tuple[TaskFactory, str]]:
        """The decorator factory a name is bound to, and its module."""
        symbol = self.modules.resolve(qualname, near)
        if symbol.rest or not symbol.module or not symbol.name:
            return None
        factory = self._facts(symbol.module).factories.get(symbol.name)
        if factory is None:
            return None
        if symbol.kind == "binding":
            binding = symbol.binding
            if binding is None or binding.conditional or binding.node.span != factory.span:
                return None  # rebound after the factory was made
        elif symbol.kind not in ("function", "class"):
            return None
        return factory, symbol.module

    def _factory_making(
        self,
        qualname: str,
        near: str,
        given: dict[str, DeclaredOption],
        opaque: bool,
        called: bool,
        builder: AppBuilder,
        task_module: str,
        depth: int,
    ) -> Optional[TaskMaking]:
        """How a decorator factory, used with the keywords `given`, makes a task."""
        found = self._factory(qualname, near) if depth < 8 else None
        if found is None:
            return None
        factory, module = found
        path = self.modules.paths[module]
        if factory.kind == "ready" and (given or called):
            opaque = True  # `@x(...)` of a ready-made decorator: not what Celery expects
        passed = {k: v for k, v in given.items() if k not in factory.params}
        mentions_celery = _imports_celery(self._facts(module))
        makings: list[TaskMaking] = []
        for call in factory.calls:
            as_call = Decorator(
                call.maker, True, call.kwargs, call.keyword_spans, 0, call.opaque, call.span
            )
            options = {
                key: DeclaredOption(node, path, call.keyword_spans.get(key), as_call)
                for key, node in call.kwargs.items()
            }
            lost = bool(passed) and not call.forwards
            if call.forwards:
                options.update(passed)
            hidden = opaque or call.opaque or lost
            named, apps = self._maker_apps(
                call.maker, builder, mentions_celery, module, task_module
            )
            if apps is not False:
                maker = named if named not in self.task_decorators else None
                owner = as_call if factory.kind == "ready" and maker else None
                makings.append(TaskMaking(apps, options, hidden, maker, owner))
                continue
            inner = self._factory_making(
                call.maker, module, options, hidden, True, builder, task_module, depth + 1
            )
            if inner is not None:
                makings.append(inner)
        if not makings:
            return None
        if len(makings) > 1:
            # Several ways to make the task: which one, and with what, is not seen.
            apps = makings[0].apps if all(m.apps == makings[0].apps for m in makings) else None
            return TaskMaking(apps, {}, True, None, None)
        making = makings[0]
        if factory.kind == "wrapper":
            # A project decorator: what it does to the function and its calls is its own.
            return msgspec.structs.replace(making, maker=None, options_call=None)
        return making

    def _decorator_aliases(
        self, module: str, facts: FileFacts, builder: AppBuilder
    ) -> Iterator[str]:
        """Names a module binds to a task decorator under another name (nautobot's
        `nautobot_task = shared_task`): `@nautobot_task` names nothing the prefilter
        knows either."""
        for event in facts.events:
            if type(event) is not Assign or type(event.node) is not Ref or event.conditional:
                continue
            if event.target_span is None:
                # An import (no target of its own): resolving every import of every
                # module parsed 310 more of saleor's.
                continue
            if event.node.qualname.endswith(f".{event.name}") and event.name != "task":
                # Bound under its own name (`LANGUAGES = languages.LANGUAGES`): no new
                # name to look for, but `task = app.task` (addons-server): `@task` is
                # nothing the prefilter knows.
                continue
            target = self._aliased(f"{module}.{event.name}", module)
            mentions_celery = _imports_celery(facts)
            apps = self._task_decorator_apps(target, builder, mentions_celery, module, module)
            if apps is not False:
                yield event.name

    def _maker_apps(
        self,
        qualname: str,
        builder: AppBuilder,
        mentions_celery: bool,
        module: str,
        task_module: str,
    ) -> tuple[str, Union[list[App], Literal[False], None]]:
        """The name a task maker is known by, and the apps it registers with (as
        `_task_decorator_apps`). What the name is bound to first: nautobot's
        `nautobot_task = shared_task`, addons-server's `task = app.task`
        (`proj.celery.task` reads like an app's `.task`, of no app known), used as a
        decorator or inside a decorator factory."""
        aliased = self._aliased(qualname, module)
        if aliased != qualname:
            apps = self._task_decorator_apps(aliased, builder, mentions_celery, module, task_module)
            if apps is not False:
                return aliased, apps
        return qualname, self._task_decorator_apps(
            qualname, builder, mentions_celery, module, task_module
        )

    def _aliased(self, qualname: str, near: str) -> str:
        """What a decorator's name is bound to when a module assigns it another name
        (nautobot's `nautobot_task = shared_task`, `task = app.task`): the name the
        resolver reaches through module-level assignments of names."""
        symbol = self.modules.resolve(qualname, near)
        if symbol.kind == "external":
            return symbol.qualname
        if symbol.kind == "binding" and symbol.module and symbol.name:
            binding = symbol.binding
            tail = f"{symbol.name}.{symbol.rest}" if symbol.rest else symbol.name
            if qualname.endswith(f".{tail}") or (binding is not None and binding.conditional):
                return qualname  # no other name on the way (`app.task` as written)
            return f"{Modules.display(symbol.module)}.{tail}"
        return qualname

    def _task_decorator_apps(
        self,
        qualname: str,
        builder: AppBuilder,
        mentions_celery: bool,
        module: str,
        task_module: str,
    ) -> Union[list[App], Literal[False], None]:
        """The apps a decorator registers its task with; None: unknown apps; False: not a task.

        `module` is where the decorator is written, `task_module` where the task is.
        """
        if qualname in SHARED_TASK or qualname in LEGACY_TASK or qualname in self.task_decorators:
            return self._apps_near(task_module)
        if not qualname.endswith(".task"):
            return False
        receiver = qualname[: -len(".task")]
        if receiver in CURRENT_APP:
            return self._apps_near(task_module)
        app = builder.app_for(receiver, self.apps, module)
        if app is not None:
            return [app]
        symbol = self.modules.resolve(receiver, module)
        if symbol.kind == "external":
            return False  # invoke.task, huey.task, ...
        leaf = receiver.rsplit(".", 1)[-1].lower()
        if mentions_celery or "celery" in leaf or leaf in ("app", "capp"):
            return None
        return False

    def _apps_near(self, module: str) -> Optional[list[App]]:
        """Apps a shared task runs in: the apps of the nearest package, if unambiguous.

        A Django project's tasks live beside the app's package (`orders.tasks`
        and `proj.celery`); a monorepo's services each have their own app in
        their own package. When the nearest apps sit in different modules the
        task's app cannot be told statically: None (unknown). An app the test
        suite defines runs no task written outside it: a reusable Django app's
        tasks (openwisp) run in the app of the project that installs it, not in
        the one of `tests/` (then None too, if that is the only app).
        """
        path = self.modules.paths.get(module)
        apps_under = self._apps_under[path is not None and path in self.test_paths]
        if not apps_under:
            return None
        parts = tuple(module.split("."))
        near: list[App] = []
        for depth in range(len(parts), -1, -1):  # the longest leading parts an app shares
            near = apps_under.get(parts[:depth], [])
            if near:
                break
        return near if len({app.module for app in near}) == 1 else None

    @functools.cached_property
    def _apps_under(self) -> dict[bool, dict[tuple[str, ...], list[App]]]:
        """For a task in the test suite (True) or not, each leading part of the apps'
        modules (`()`, `("proj",)`, ...) -> the apps whose module starts with them: a
        task's nearest apps without comparing it with every app."""
        found: dict[bool, dict[tuple[str, ...], list[App]]] = {True: {}, False: {}}
        for app in self.apps:
            parts = tuple(app.module.split("."))
            for in_tests in (True, False) if app.path not in self.test_paths else (True,):
                for depth in range(len(parts) + 1):
                    found[in_tests].setdefault(parts[:depth], []).append(app)
        return found

    def task_for(self, target: Optional[str], near: str) -> Optional[Task]:
        """The function task a call's receiver (`t` in `t.delay()`, written in `near`) names."""
        if not target:
            return None
        symbol = self.modules.resolve(target, near, guarded=True)
        if symbol.kind != "function" or symbol.rest or not symbol.module or not symbol.name:
            return None
        return self._function_tasks.get(f"{symbol.module}.{symbol.name}")

    @functools.cached_property
    def _function_tasks(self) -> dict[str, Task]:
        return {task.qualname: task for task in self.tasks if task.kind == "function"}

    def option(self, task: Task, name: str, app: Optional[App]) -> Option:
        return self.options.option(task, name, app)

    # -- services -----------------------------------------------------------------

    def _link_services(
        self, groups: tuple[tuple[str, tuple[str, ...]], ...]
    ) -> list[tuple[App, App, str]]:
        """Pairs of distinct apps that exchange messages, with why they are linked."""
        links: dict[tuple[str, str], str] = {}
        keys: dict[str, list[App]] = {}
        for app in self.apps:
            broker = app.setting("broker_url")
            if broker.known and isinstance(broker.value.value, str) and broker.value.value:
                if not broker.is_default and not _local_development_broker(broker.value.value):
                    keys.setdefault(f"broker {broker.value.value!r}", []).append(app)
            elif broker.value.env:
                keys.setdefault(f"broker from ${broker.value.env}", []).append(app)
        for group, refs in groups:
            members = [app for app in self.apps if app.id in refs]
            keys.setdefault(f"services group {group!r}", []).extend(members)
        for reason, members in keys.items():
            for a in members:
                for b in members:
                    if a.key != b.key:
                        links.setdefault((a.key, b.key), reason)
        by_key = {app.key: app for app in self.apps}
        return [(by_key[a], by_key[b], reason) for (a, b), reason in sorted(links.items())]


_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "0.0.0.0", "::1"})


def _local_development_broker(url: str) -> bool:
    """`redis://localhost:6379/0`, `amqp://guest@127.0.0.1//`, `memory://`: the broker
    every tutorial writes; two unrelated projects side by side both use it."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return host.lower() in _LOCAL_HOSTS


def _imports_celery(facts: FileFacts) -> bool:
    return any(
        isinstance(event, Assign)
        and isinstance(event.node, Ref)
        and event.node.qualname.startswith("celery")
        for event in facts.events
    )


# How a module names a Django setting (`from django.conf import settings`).
_DJANGO_SETTINGS_ATTRIBUTE = "django.conf.settings."
_NO_FACTS = FileFacts()


_ENTRY_POINTS = frozenset({"manage", "wsgi", "asgi"})


def _without_stale_entry_points(
    found: list[tuple[str, Optional[str]]], modules: Modules, deployed: bool
) -> list[tuple[str, Optional[str]]]:
    """The settings candidates, less those a `manage.py`, `wsgi.py` or `asgi.py` names
    that are no module of the project while another candidate names one that is, or
    the deployment does (`deployed`). No process could start with such a module, and
    the worker never imports those files: fAIr's old `asgi.py` names
    `djangoproject.settings`; kpi's `kobo/apps/openrosa/apps/main/wsgi.py`, left from
    a merged project, names `kobo.apps.openrosa.settings.prod`, while its `manage.py`,
    `kobo/wsgi.py` and Dockerfile name `kobo.settings.prod`."""

    def entry_point(near: Optional[str]) -> bool:
        return near is not None and near.rsplit(".", 1)[-1] in _ENTRY_POINTS

    def missing(dotted: str, near: Optional[str]) -> bool:
        return near is not None and modules.find(dotted, near) is None

    if not deployed and not any(dotted and not missing(dotted, near) for dotted, near in found):
        return found
    return [
        (dotted, near)
        for dotted, near in found
        if not (entry_point(near) and dotted and missing(dotted, near))
    ]
