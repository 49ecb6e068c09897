"""The modules a worker of an app imports before it consumes a message.

A worker registers the tasks of the modules it imports, and refuses a
message for any other task ("Received unregistered task of type ...",
CELERY_FACTS.md). It imports (Celery 5.7):

- the module that creates the app (`celery -A proj`), with its packages;
- `imports` and `include` (`celery/loaders/base.py`, `default_modules`,
  imported by `import_default_modules` at worker start);
- for `autodiscover_tasks(packages, related_name="tasks")`: each package,
  then `<package>.<related_name>` when it exists (`find_related_module`);
  a package that is no module (an AppConfig path `orders.apps.OrdersConfig`)
  is walked up one level first, so the related module looked for is
  `orders.apps.tasks`. Without packages, the packages come from the fixups
  (`celery/app/base.py`, `_autodiscover_tasks_from_fixups`): Django's app
  configs, when the Django fixup is installed;
- with the Django fixup (`celery/fixups/django.py`), `django.setup()` and
  the system checks run first (`validate_models`, on `import_modules`):
  every INSTALLED_APPS package and its `models`, the `admin` modules (admin
  autodiscovery), the `templatetags` libraries and the URLconf (URL checks),
  and what AppConfig `ready()` methods import;
- and whatever those import when they are imported: module-level imports,
  also inside `if`/`try`, and imports in module functions called at import
  or run as the worker starts (handlers of `import_modules`, `worker_init`,
  `celeryd_init`, `celeryd_after_setup`, and of an app's `on_after_configure`
  and `on_after_finalize`; not `worker_process_init`, which only the pool's
  children run). A handler that runs a function of the project (hypothesis/lms's
  `worker_init` calls `create_app()`, which scans its package) may import
  anything.

Everything here only ever widens what is reachable; anything that cannot be
followed (a computed `include`, a dynamic import, INSTALLED_APPS built at
run time) makes the app's imports open-ended.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Optional

import msgspec

from celerylint.facts.schema import AutodiscoverCall, Const, Discovery, Node, Ref
from celerylint.facts.values import Value
from celerylint.model.namespace import Modules
from celerylint.model.settings import App, ConfigSource

if TYPE_CHECKING:
    from celerylint.model.project import Project

DJANGO_SETTINGS_PREFIX = "django.conf.settings."
# Modules Django imports for every installed app (setup, admin autodiscovery, checks).
_DJANGO_APP_MODULES = ("models", "admin", "apps", "urls", "signals", "receivers", "handlers")
# Module names `celery -A <module> worker` is commonly given besides the app's own module.
_ENTRY_LEAVES = frozenset(
    {
        *("worker", "workers", "celery", "celery_app", "celeryapp", "celery_worker"),
        *("app", "main", "tasks"),
    }
)


# (the dotted name as written, the module key) of each module a worker imports first.
Roots = list[tuple[str, str]]


class WorkerImports(msgspec.Struct):
    """What the worker of one app imports; `open_reason` set when it cannot all be seen.

    A build asked to reach some modules stops once it has (`complete` False then):
    `modules` holds them, and perhaps not all the others, nor an `open_reason`."""

    app: App
    modules: set[str] = msgspec.field(default_factory=set)
    open_reason: Optional[str] = None
    how: list[str] = msgspec.field(default_factory=list)  # how the worker finds tasks, for messages
    complete: bool = True


class WorkerImportsBuilder:
    """Builds the worker imports of the project's apps, one app at a time.

    What every app's build looks through (the project's autodiscover calls, the
    modules of each source root, the URLconfs, the modules under a package) is
    gathered once for all the apps: the builds cost what their apps import, not
    apps times project modules.
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self.modules: Modules = project.modules
        # Each app's start (`start`): the modules its worker imports first, and how.
        self._starts: dict[str, tuple[WorkerImports, Roots]] = {}

    def build(self, app: App, reaching: Optional[set[str]] = None) -> WorkerImports:
        """The app's worker imports; with `reaching` (not empty), only until all those
        modules are found."""
        start, roots = self._start(app)
        result = WorkerImports(app, how=list(start.how), open_reason=start.open_reason)
        if result.open_reason is None:
            self._close(roots, result, set(reaching) if reaching is not None else None)
        return result

    def start(self, app: App) -> WorkerImports:
        """What the app's worker imports first, and how it finds them, without what
        those import: `open_reason` set if that much already cannot all be seen."""
        return self._start(app)[0]

    def _start(self, app: App) -> tuple[WorkerImports, Roots]:
        known = self._starts.get(app.key)
        if known is not None:
            return known
        result = WorkerImports(app, complete=False)
        roots: Roots = [(self.modules.display(app.module), app.module)]
        result.how.append(f"it imports `{self.modules.display(app.module)}`")
        roots.extend(self._entries(app))
        self._settings_roots(app, result, roots)
        django = self._is_django(app)
        for call, module in self._autodiscovers.get(app, ()):
            self._autodiscover(app, call, module, django, result, roots)
        if django:
            self._django_roots(app, result, roots)
        self._starts[app.key] = (result, roots)
        return result, roots

    @functools.cached_property
    def _autodiscovers(self) -> dict[App, list[tuple[AutodiscoverCall, str]]]:
        """app -> the project's `autodiscover_tasks()` calls on it, with their module."""
        found: dict[App, list[tuple[AutodiscoverCall, str]]] = {}
        for module in self.project.relevant:
            facts = self.modules.facts(module)
            for call in facts.discovery.autodiscovers if facts else ():
                app = self._app_of(call.receiver, module)
                if app is not None:
                    found.setdefault(app, []).append((call, module))
        return found

    @functools.cached_property
    def _relevant_by_root(self) -> dict[Optional[str], list[str]]:
        """Source root -> the relevant modules in it."""
        found: dict[Optional[str], list[str]] = {}
        for module in self.project.relevant:
            found.setdefault(self.modules.roots.get(module), []).append(module)
        return found

    @functools.cached_property
    def _urlconfs(self) -> Roots:
        """Every `urls` (or `urls_*`) module of the project."""
        found: Roots = []
        for module in self.modules.paths:
            leaf = self.modules.display(module).rsplit(".", 1)[-1]
            if leaf == "urls" or leaf.startswith("urls_"):
                found.append((self.modules.display(module), module))
        return found

    # -- roots -----------------------------------------------------------------

    def _entries(self, app: App) -> Roots:
        """Modules a `celery -A <module> worker` command may name besides the app's own.

        The deployment files say which (`-A proj.tasks`, `--app=web.worker:app`;
        Celery also tries `<module>.celery`). Where a command does not, any
        module binding the app at module level may be the one, if it is a
        script next to it, a package, or named like an entry point
        (`worker.py`, `tasks.py`: `celery -A proj.tasks worker` is common).
        """
        found: Roots = []
        workers = [s for s in self.project.services if s.role == "worker"]
        # The module each names, read as `service_app` reads it (a bare name several
        # directories' files carry is the one the service holds, or none).
        named = [v for v in (self.project.app_written(s) for s in workers) if v is not None]
        for value in named:
            dotted = value.split(":", 1)[0]
            for candidate in (dotted, f"{dotted}.celery"):
                self._add_root(candidate, app.module, found)
        if named and len(named) == len(workers) and self._binds_app(found, app):
            return found  # every worker names its app, and some name this one
        # A worker runs from its app's source root: a module of another root (a monorepo's
        # other service) is never what its `-A` names. Checking those too made this
        # quadratic in the services: each app resolved every binding of every root.
        root = self.modules.roots.get(app.module)
        for module in self._relevant_by_root.get(root, ()):
            if module == app.module:
                continue
            display = self.modules.display(module)
            leaf = display.rsplit(".", 1)[-1]
            is_package = self.modules.paths[module].endswith("__init__.py")
            if "." in display and leaf not in _ENTRY_LEAVES and not is_package:
                continue
            for name in self.modules.namespace(module).bindings:
                if self._app_of(f"{module}.{name}", module) is app:
                    found.append((display, module))
                    break
        return found

    def _binds_app(self, roots: Roots, app: App) -> bool:
        """Some of the modules `-A` names binds `app`: the deployment says how its worker
        starts. (A deployment of another service says nothing about this app's worker.)"""
        return any(
            self._app_of(f"{module}.{name}", module) is app
            for _display, module in roots
            for name in self.modules.namespace(module).bindings
        )

    def _settings_roots(self, app: App, result: WorkerImports, roots: Roots) -> None:
        for name in ("imports", "include"):
            setting = app.setting(name)
            if setting.known and setting.is_default:
                continue
            names = _strings(setting.value)
            if names is None:
                result.open_reason = f"`{name}` is not static"
                return
            if names:
                result.how.append(f"`{name}` lists {', '.join(sorted(names))}")
            near = setting.entry.path if setting.entry else app.path
            for dotted in names:
                self._add_root(dotted, self.modules.module_of(near), roots)

    def _autodiscover(
        self,
        app: App,
        call: AutodiscoverCall,
        near: str,
        django: bool,
        result: WorkerImports,
        roots: Roots,
    ) -> None:
        packages_node, related_node = call.packages, call.related_name
        related: Optional[str] = "tasks"
        path = self.modules.paths[near]
        if related_node is not None:
            value = self.project.evaluator.evaluate(related_node, path)
            if not value.known or not isinstance(value.value, (str, type(None))):
                result.open_reason = "the related_name given to autodiscover_tasks() is not static"
                return
            related = value.value or None
        if packages_node is None:
            if not django:
                if self.project.django_settings:
                    result.open_reason = "autodiscover_tasks() may use Django's apps"
                return
            packages = self._django_setting(app, "INSTALLED_APPS", result)
            if packages is None:
                return
            how = "autodiscover_tasks() of the INSTALLED_APPS packages"
            packages = [_app_package(self.modules, p, near) for p in packages]
        else:
            packages = self._packages(app, packages_node, path, result)
            if packages is None:
                return
            listed = ", ".join(packages) or "nothing"
            how = f"autodiscover_tasks() of {listed}"
            if isinstance(packages_node, Ref) and packages_node.qualname.startswith(
                DJANGO_SETTINGS_PREFIX
            ):
                setting = packages_node.qualname[len(DJANGO_SETTINGS_PREFIX) :]
                how = f"autodiscover_tasks() of settings.{setting} ({listed})"
        suffix = f" (`{related}` modules)" if related else ""
        result.how.append(how + suffix)
        for package in packages:
            self._find_related(package, related, near, roots)

    def _packages(
        self, app: App, node: Node, path: str, result: WorkerImports
    ) -> Optional[list[str]]:
        if isinstance(node, Ref) and node.qualname.startswith(DJANGO_SETTINGS_PREFIX):
            key = node.qualname[len(DJANGO_SETTINGS_PREFIX) :]
            return self._django_setting(app, key, result)
        value = self.project.evaluator.evaluate(node, path)
        names = _strings(value)
        if names is None:
            result.open_reason = "the packages given to autodiscover_tasks() are not static"
        return names

    def _find_related(self, package: str, related: Optional[str], near: str, roots: Roots) -> None:
        """celery.loaders.base.find_related_module: the package, then package.related."""
        module = self.modules.find(package, near)
        if module is None and "." in package:
            package = package.rpartition(".")[0]  # an AppConfig path: walk up one level
            module = self.modules.find(package, near)
        if module is not None:
            roots.append((package, module))
        if related:
            self._add_root(f"{package}.{related}", near, roots)

    def _django_roots(self, app: App, result: WorkerImports, roots: Roots) -> None:
        source = self._django_source(app)
        for layer in source.layers:
            module = self.modules.module_of(layer.path) if layer.path else None
            if module is not None:
                roots.append((self.modules.display(module), module))
        installed = self._django_setting(app, "INSTALLED_APPS", result)
        if installed is None:
            return
        result.how.append("Django imports the INSTALLED_APPS")
        for entry in installed:
            package = _app_package(self.modules, entry, app.module)
            self._find_related(entry, None, app.module, roots)
            for leaf in _DJANGO_APP_MODULES:
                self._add_root(f"{package}.{leaf}", app.module, roots)
            self._add_package_tree(f"{package}.templatetags", roots)
        urlconf = self._django_setting(app, "ROOT_URLCONF", result, required=False)
        for dotted in urlconf or ():
            self._add_root(dotted, app.module, roots)
        # The URL checks import every URLconf `include()`d: any `urls` module counts.
        roots.extend(self._urlconfs)

    def _add_package_tree(self, package: str, roots: Roots) -> None:
        """The modules that are `package` or under it (a dotted name, in any root): through
        the index of children, not one of every dotted prefix (2.8 MB on a large tree)."""
        parent = package.rpartition(".")[0]
        level = [k for k in self.modules.children(parent) if self.modules.display(k) == package]
        while level:
            roots.extend((self.modules.display(key), key) for key in level)
            displays = dict.fromkeys(self.modules.display(key) for key in level)
            level = [child for display in displays for child in self.modules.children(display)]

    def _add_root(self, dotted: str, near: Optional[str], roots: Roots) -> None:
        module = self.modules.find(dotted, near)
        if module is not None:
            roots.append((dotted, module))

    # -- Django ------------------------------------------------------------------

    def _is_django(self, app: App) -> bool:
        """The Django fixup is installed: DJANGO_SETTINGS_MODULE is set for the worker."""
        if app.source.kind == "django":
            return True
        facts = self.modules.facts(app.module)
        return bool(facts and facts.settings_module_defaults)

    def _django_source(self, app: App) -> ConfigSource:
        if app.source.kind == "django":
            return app.source
        return self.project.app_builder.source_for(
            Const(None, "django.conf:settings"), app.path, None
        )

    def _django_setting(
        self, app: App, key: str, result: WorkerImports, required: bool = True
    ) -> Optional[list[str]]:
        """A Django setting's strings, from every candidate settings module (their union)."""
        source = self._django_source(app)
        if source.kind != "django" or not source.layers:
            result.open_reason = f"the Django settings ({key}) are not known"
            return None
        found: list[str] = []
        for layer in source.layers:
            entry = layer.entries.get(key)
            if entry is None:
                if layer.open_ended:
                    result.open_reason = f"{key} is not static"
                    return None
                continue
            if entry.conditional:
                result.open_reason = f"{key} is set conditionally"
                return None
            names = _strings(self.project.evaluator.evaluate(entry.node, entry.path))
            if names is None:
                if required:
                    result.open_reason = f"{key} is not static"
                    return None
                continue
            found.extend(n for n in names if n not in found)
        return found

    # -- the closure -------------------------------------------------------------

    def _app_of(self, receiver: str, near: str) -> Optional[App]:
        symbol = self.modules.resolve(receiver, near)
        if symbol.kind != "binding" or symbol.rest:
            return None
        key = f"{symbol.module}:{symbol.name}"
        return next((app for app in self.project.apps if app.key == key), None)

    def _close(self, roots: Roots, result: WorkerImports, remaining: Optional[set[str]]) -> None:
        """Every module imported, directly or not, when the roots are imported; or, with
        `remaining`, until those are all found."""
        seen = result.modules
        level = [module for _, module in roots]
        while level:
            # One import level at a time, its facts asked for together: on a cold run the
            # closure parses hundreds of modules the prefilter skipped, in parallel so.
            level = [module for module in dict.fromkeys(level) if module not in seen]
            self.modules.prefetch(level)
            pending: list[str] = []
            for module in level:
                if not self._visit(module, seen, pending, result):
                    return
                if remaining is not None:
                    remaining.discard(module)
                    if not remaining:
                        result.complete = False  # what else it imports is not looked at
                        return
            level = pending

    def _visit(
        self, module: str, seen: set[str], pending: list[str], result: WorkerImports
    ) -> bool:
        """Mark `module` imported and queue what importing it imports; False when what it
        imports cannot be known (then `result.open_reason` says why)."""
        seen.add(module)
        pending.extend(self.modules.parents(module))
        facts = self.modules.facts(module)
        if facts is None:
            return True
        if facts.error is not None:
            result.open_reason = f"`{self.modules.display(module)}` cannot be parsed"
            return False
        discovery = facts.discovery
        runs: set[Optional[str]] = {
            None,
            *discovery.called_at_import,
            *discovery.run_at_worker_start,
        }
        if self.modules.display(module).rsplit(".", 1)[-1] == "apps":
            # An AppConfig's ready() runs at django.setup(): all its imports count.
            runs.update(i.function for i in discovery.imports)
            runs.update(d.function for d in discovery.dynamic_imports)
        if not self._follow(module, discovery, runs, pending, result):
            return False
        for called in discovery.called_at_worker_start:
            # What a project function a handler runs imports is not followed (lms's
            # `worker_init` handler calls `create_app()`, whose `config.scan()` imports
            # every module of its package): a name of a project module (not resolved,
            # which would load modules the prefilter left out).
            if self.modules.find(called.rpartition(".")[0], module) is not None:
                display = self.modules.display(module)
                result.open_reason = f"`{display}` runs `{called}` as the worker starts"
                return False
        for called in discovery.imported_called_at_import:
            # `flask_app = create_app()`: what create_app imports (Celery's Flask guide
            # imports the views, and they the tasks, there).
            symbol = self.modules.resolve(called, module)
            if symbol.kind != "function" or symbol.rest or not symbol.module:
                continue
            defining = self.modules.facts(symbol.module)
            if defining is not None and defining.error is None:
                runs_there: set[Optional[str]] = {symbol.name}
                if not self._follow(symbol.module, defining.discovery, runs_there, pending, result):
                    return False
        return True

    def _follow(
        self,
        module: str,
        discovery: Discovery,
        runs: set[Optional[str]],
        pending: list[str],
        result: WorkerImports,
    ) -> bool:
        """Queue what the functions `runs` of `module` (None: its top level) import.

        A function run may call the module's others, which are not followed: an import
        of a module computed at run time in any of them (WebODM's URLconf scans its
        plugins through two helpers) may then happen too."""
        calls_functions = any(function is not None for function in runs)
        for dynamic in discovery.dynamic_imports:
            if dynamic.function not in runs and not calls_functions:
                continue
            if dynamic.module is None:
                display = self.modules.display(module)
                result.open_reason = f"`{display}` imports modules computed at run time"
                return False
            if dynamic.function not in runs:
                continue
            dotted = dynamic.module.replace(":", ".")
            found = self.modules.find(dotted, module)
            found = found or self.modules.find(dotted.rpartition(".")[0], module)
            if found is not None:
                pending.append(found)
        for imported in discovery.imports:
            if imported.function not in runs:
                continue
            target = self.modules.find(imported.module, module)
            if target is not None:
                pending.append(target)
            for name in imported.names:
                sub = self.modules.find(f"{imported.module}.{name}", module)
                if sub is not None:
                    pending.append(sub)
        return True


def _app_package(modules: Modules, entry: str, near: str) -> str:
    """The package of an INSTALLED_APPS entry (`orders.apps.OrdersConfig` -> `orders`)."""
    if modules.find(entry, near) is not None:
        return entry
    parts = entry.split(".")
    if len(parts) >= 3 and parts[-2] == "apps":
        return ".".join(parts[:-2])
    return entry.rpartition(".")[0] or entry


def _strings(value: Value) -> Optional[list[str]]:
    """A string or a list/tuple of strings (Celery's `maybe_list`); None if unknown."""
    if not value.known:
        return None
    raw = value.value
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, (list, tuple)) and all(isinstance(item, str) for item in raw):
        return list(raw)
    return None
