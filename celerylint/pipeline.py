"""The stages of a check, one way, each with a typed output:

    sources (ProjectSources) -> facts (FactStore) -> model (Project)
        -> rules (diagnostics) -> scope and per-file-ignores -> suppressions
        -> fixes that need call layouts -> CheckResult

`run` runs them once; the language server runs them one by one (`load_facts`,
`build_project`, `report`), keeping facts and project inputs between checks.
Imported only by runs that compute: a replayed run
(`api.check`) never loads the model, the rules or the extractors.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Optional, TypeVar, cast

import msgspec

from celerylint.check_result import CheckResult
from celerylint.config import Config
from celerylint.diagnostics import Diagnostic, Span
from celerylint.facts.deploy_memory import remembered_deployments
from celerylint.facts.schema import DeploymentFacts, FileFacts, Suppression
from celerylint.model.project import Project
from celerylint.rules import run_rules
from celerylint.rules.meta import BY_CODE
from celerylint.sources.prefilter import names_only_a_settings_module
from celerylint.sources.project import ProjectSources, is_under
from celerylint.sources.requirements import dependency_files
from celerylint.store import FactStore, Readings, Stats
from celerylint.suppress import per_file_ignores, suppress_file_by_file

if TYPE_CHECKING:
    from celerylint.prescan import Prescan
    from celerylint.sources.modules import SourceFile
    from celerylint.store import Progress

T = TypeVar("T")


def run(
    sources: ProjectSources,
    config: Config,
    selected: Callable[[str], bool],
    use_cache: bool,
    overlay: Optional[dict[str, bytes]],
    progress: Optional[Progress],
    stats: Optional[Stats] = None,
    previous: Optional[FactStore] = None,
    with_fixes: bool = True,
    earlier: Optional[Readings] = None,
    prescan: Optional[Prescan] = None,
) -> CheckResult:
    """`stats`: the (mtime, size) of files stat'ed just before (`FactStore`).
    `previous`: the store of the check before, when no file changed on disk since
    (the fixer's checks: only its texts in `overlay` changed). Without `with_fixes`
    the findings carry no fix that needs the layout of calls (the fixer only asks
    whether its fixes brought new findings). `earlier`: files this run read before
    (`reuse`, which found it must compute). `prescan`: the files the walk's workers
    read (`FactStore`)."""
    # Deployment files are read while worker processes parse, if any do: this process
    # only waits for them then (the 16-project tree: 0.09 s).
    inputs = _Meanwhile(
        functools.partial(
            read_inputs, sources, config, config.effective_cache_dir if use_cache else None
        )
    )
    store = load_facts(
        sources,
        config,
        use_cache,
        overlay,
        progress,
        previous=previous,
        disk_unchanged=previous is not None,
        stats=stats,
        earlier=earlier,
        meanwhile=inputs.run,
        prescan=prescan,
    )
    project = build_project(store, sources, config, inputs.result())
    result = report(project, store, sources, config, selected, with_fixes)
    # Saved only now: the model and the rules load skipped modules on demand.
    store.cache.save()
    result.store = store
    return result


def report(
    project: Project,
    store: FactStore,
    sources: ProjectSources,
    config: Config,
    selected: Callable[[str], bool],
    with_fixes: bool = True,
) -> CheckResult:
    """The rules' findings under the scope, per-file-ignores and suppressions applied."""
    found = find_problems(project, store, selected)
    ignored = per_file_ignores(config)
    reported = in_scope(found, sources.scope, ignored)
    diagnostics = suppress_file_by_file(
        reported, suppressions_in_scope(store, sources.scope), selected, ignored
    )
    if with_fixes:
        diagnostics = build_fixes(diagnostics, store)
    return CheckResult(
        diagnostics,
        files_checked=len(store.files),
        files_parsed=store.parsed,
        prefiltered_out=len(store.files) - len(set(store.relevant)),
        errors=[
            *(f"{path}: {message}" for path, message in sources.errors),
            # A deployment file that cannot be read is a warning: the rest still runs.
            *(
                f"{p.path}:{p.line}: deployment file not read: {p.message}"
                for p in project.deployment.problems
            ),
        ],
        project=project,
    )


def load_facts(
    sources: ProjectSources,
    config: Config,
    use_cache: bool,
    overlay: Optional[dict[str, bytes]],
    progress: Optional[Progress] = None,
    previous: Optional[FactStore] = None,
    disk_unchanged: bool = False,
    stats: Optional[Stats] = None,
    earlier: Optional[Readings] = None,
    meanwhile: Optional[Callable[[], None]] = None,
    prescan: Optional[Prescan] = None,
) -> FactStore:
    """Facts of every file that can matter: cached, or extracted now (in parallel).

    `previous`: the store of the last check in this process, whose decoded cache
    and open buffers' facts are reused; with `disk_unchanged`, its facts of the
    files read from disk too (see `FactStore`). `meanwhile`: run while worker
    processes parse, if any do."""
    store = FactStore(
        sources.files,
        config,
        use_cache,
        overlay,
        previous,
        disk_unchanged,
        stats,
        earlier,
        prescan=prescan,
    )
    store.load(progress, meanwhile)
    return store


class _Meanwhile(Generic[T]):
    """A function run once: while workers parse (`run`), or else when its result is
    asked for. An error it raised is raised then, as if it had run then."""

    def __init__(self, function: Callable[[], T]) -> None:
        self._function = function
        self._outcome: Optional[tuple[Optional[T], Optional[Exception]]] = None

    def run(self) -> None:
        if self._outcome is None:
            try:
                self._outcome = (self._function(), None)
            except Exception as exc:  # raised by `result`, where the caller expects it
                self._outcome = (None, exc)

    def result(self) -> T:
        self.run()
        assert self._outcome is not None
        value, error = self._outcome
        if error is not None:
            raise error
        return cast(T, value)


class ProjectInputs(msgspec.Struct, frozen=True):
    """What the model reads besides Python files: deployment files and dependency pins."""

    deployment: DeploymentFacts
    dependency_files: list[Path]


def read_inputs(
    sources: ProjectSources, config: Config, cache_dir: Optional[Path] = None
) -> ProjectInputs:
    """Deployment facts (remembered in `cache_dir`, if given) and dependency pins."""
    deployment = remembered_deployments(sources.deployment_files, config.root, cache_dir)
    return ProjectInputs(deployment=deployment, dependency_files=dependency_files(config.root))


class _ModuleOfPath:
    """The fact store's files as path -> module key, not a second dict of every file."""

    __slots__ = ("_files",)

    def __init__(self, files: dict[str, SourceFile]) -> None:
        self._files = files

    def get(self, path: str) -> Optional[str]:
        source = self._files.get(path)
        return (source.module or None) if source is not None else None


def build_project(
    store: FactStore,
    sources: ProjectSources,
    config: Config,
    inputs: Optional[ProjectInputs] = None,
) -> Project:
    """The project model; it loads the facts of further modules on demand.

    `inputs`: deployment files and pins read before (the language server reads
    them again only when they change)."""
    inputs = inputs or read_inputs(sources, config, store.cache.directory)
    paths = {source.module: path for path, source in store.files.items() if source.module}

    def loader(module: str) -> Optional[FileFacts]:
        facts = store.on_demand(paths[module])
        if facts is None or facts.error is not None:
            return None
        return facts

    def prefetch(modules: list[str]) -> None:
        store.on_demand_many([paths[module] for module in modules])

    relevant = [store.files[p].module for p in store.relevant if store.files[p].module]

    def mentioning(texts: list[str], among_relevant: bool = False) -> dict[str, list[str]]:
        found = (
            store.mentioning_among(sorted(set(store.relevant)), texts)
            if among_relevant
            else store.mentioning(texts)
        )
        return {
            text: [store.files[p].module for p in paths if store.files[p].module]
            for text, paths in found.items()
        }

    return Project(
        paths,
        loader,
        relevant,
        by_path=_ModuleOfPath(store.files),
        aliases=sources.aliases,
        roots=sources.roots,
        mentioning=mentioning,
        prefetch=prefetch,
        read=store.read,
        test_paths=store.tests,
        deployment=inputs.deployment,
        task_decorators=config.task_decorators,
        django_settings_module=config.django_settings_module,
        service_groups=config.services,
        external_tasks=config.external_tasks,
        dependency_files=inputs.dependency_files,
        fix_defaults={
            "time_limit": config.fix_time_limit,
            "soft_time_limit": config.fix_soft_time_limit,
            "max_retries": config.fix_max_retries,
        },
    )


def find_problems(
    project: Project, store: FactStore, selected: Callable[[str], bool]
) -> list[Diagnostic]:
    """The selected rules' findings, and CL000 for files that could not be parsed."""
    diagnostics = [d for d in run_rules(project, selected) if selected(d.code)]
    if selected("CL000"):
        diagnostics.extend(parse_errors(store))
    return diagnostics


def build_fixes(diagnostics: list[Diagnostic], store: FactStore) -> list[Diagnostic]:
    """The fixes that need the layout of calls, measured in the reported findings' files."""
    if not any(d.pending_fix for d in diagnostics):
        return diagnostics
    from celerylint.fixes.call_layout import CallLayouts

    layouts = CallLayouts(store.read)
    return [
        msgspec.structs.replace(d, fix=d.pending_fix(layouts), pending_fix=None)
        if d.pending_fix
        else d
        for d in diagnostics
    ]


def parse_errors(store: FactStore) -> list[Diagnostic]:
    meta = BY_CODE["CL000"]
    found = []
    for path in sorted(set(store.relevant)):
        facts = store.facts.get(path)
        error = facts.error if facts is not None else None
        if error and _may_matter(store, path):
            line, col = error.line, error.col
            found.append(
                Diagnostic(
                    meta.code,
                    meta.name,
                    error.message,
                    path,
                    Span(line, col, line, col),
                    meta.severity,
                )
            )
    return found


def _may_matter(store: FactStore, path: str) -> bool:
    """Whether a file that failed to parse could have mattered, had it parsed."""
    data = store.read(path)
    return data is None or not names_only_a_settings_module(
        data, os.path.basename(path), store.tokens
    )


def in_scope(
    found: list[Diagnostic], scope: list[str], ignored: Callable[[str, str], bool]
) -> list[Diagnostic]:
    """The findings under the paths given that per-file-ignores leave on."""
    return [
        d for d in found if not ignored(d.path, d.code) and any(is_under(d.path, s) for s in scope)
    ]


def suppressions_in_scope(store: FactStore, scope: list[str]) -> dict[str, list[Suppression]]:
    """The suppression comments of the files under `scope`, from their facts."""
    return {
        path: list(facts.suppressions)
        for path, facts in store.facts.items()
        if facts.suppressions and any(is_under(path, x) for x in scope)
    }
