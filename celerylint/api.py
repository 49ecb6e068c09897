"""The pipeline behind every command, as one-way stages with typed outputs.

    paths -> sources (ProjectSources) -> facts (FactStore) -> model (Project)
          -> rules (diagnostics) -> scope and per-file-ignores -> suppressions
          -> CheckResult

`check` runs them once; `fix` runs them to a fixpoint through the fixer;
`describe` stops at the model. Each stage reads only what the one before it
produced, and nothing here prints: the CLI (and, later, the language server)
decides what to show.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from celerylint.config import Config
from celerylint.diagnostics import Diagnostic, Span
from celerylint.facts.deploy import read_deployments
from celerylint.facts.schema import FileFacts, Suppression
from celerylint.fixer import FixOptions, FixResult, fix_to_fixpoint
from celerylint.rules import run_rules
from celerylint.rules.meta import BY_CODE
from celerylint.sources.project import ProjectSources, gather_sources, is_under
from celerylint.sources.requirements import dependency_files

if TYPE_CHECKING:
    # Imported where used: a replayed run (`_replayed`) never builds a model, and
    # importing it costs more than the replay itself.
    from celerylint.model.project import Project
    from celerylint.store import FactStore, Progress
from celerylint.suppress import per_file_ignores, suppress_file_by_file

__all__ = ["CheckResult", "FixOptions", "FixResult", "check", "check_sources", "describe", "fix"]


@dataclass
class CheckResult:
    # What is reported, sorted.
    diagnostics: list[Diagnostic]
    files_checked: int = 0
    files_parsed: int = 0
    prefiltered_out: int = 0
    # Files and directories that could not be read, as "path: reason".
    errors: list[str] = field(default_factory=list)
    # The model the rules ran on (for `describe`); None when the run was replayed.
    project: Optional[Project] = None


def check(
    paths: Sequence[Path],
    config: Config,
    *,
    selected: Callable[[str], bool] = lambda code: True,
    use_cache: bool = True,
    overlay: Optional[dict[str, bytes]] = None,
    progress: Optional[Progress] = None,
    need_model: bool = False,
) -> CheckResult:
    """Lint: the model is built from the whole project; findings are kept under `paths`.

    `overlay` maps paths to contents to use instead of the files on disk (the
    fixer's text between rounds). `progress` is told how reading files goes.
    An unchanged run is replayed from the cache, without a model, unless
    `need_model` (the language server answers hovers from it).
    """
    if use_cache and not overlay and not need_model:
        return _replayed(paths, config, selected, progress)
    return _check(gather_sources(paths, config), config, selected, use_cache, overlay, progress)


def _replayed(
    paths: Sequence[Path],
    config: Config,
    selected: Callable[[str], bool],
    progress: Optional[Progress],
) -> CheckResult:
    """The recorded result if nothing the run reads changed; else a check, then recorded."""
    from celerylint import replay

    codes = tuple(code for code in sorted(BY_CODE) if selected(code))
    scope = [os.path.abspath(p) for p in paths]  # as `gather_sources` names the scope
    cache = replay.RunCache(config.effective_cache_dir, replay.record_name(config, codes, scope))
    record = cache.load()
    if record is not None:
        return CheckResult(
            replay.decode_diagnostics(record.diagnostics),
            files_checked=record.files_checked,
            files_parsed=0,
            prefiltered_out=record.prefiltered_out,
            errors=record.errors,
        )
    from celerylint.sources.watch import watch, watch_known

    code = watch(replay.code_files())
    sources = gather_sources(paths, config, watch=True)
    # Stat'ed before the facts stage reads them: a file changed during the run
    # then differs from its record, and the next run computes again.
    pins = [str(path) for path in dependency_files(config.root)]  # read for CL601's fix
    inputs = watch([*(str(f.path) for f in sources.files), *sources.deployment_files, *pins])
    result = _check(sources, config, selected, True, None, progress)
    cache.save(
        replay.Record(
            [*code, *watch_known(sources.watched), *inputs],
            replay.encode_diagnostics(result.diagnostics),
            result.files_checked,
            result.files_parsed,
            result.prefiltered_out,
            result.errors,
        )
    )
    return result


def check_sources(
    sources: ProjectSources,
    config: Config,
    *,
    selected: Callable[[str], bool] = lambda code: True,
    overlay: Optional[dict[str, bytes]] = None,
) -> CheckResult:
    """`check` on sources gathered before (`gather_sources`): the language server walks
    the project once, and again only when files are created or deleted. Never replayed."""
    return _check(sources, config, selected, True, overlay, None)


def _check(
    sources: ProjectSources,
    config: Config,
    selected: Callable[[str], bool],
    use_cache: bool,
    overlay: Optional[dict[str, bytes]],
    progress: Optional[Progress],
) -> CheckResult:
    store = load_facts(sources, config, use_cache, overlay, progress)
    project = build_project(store, sources, config)
    found = find_problems(project, store, selected)
    # Saved only now: the model and the rules load skipped modules on demand.
    store.cache.save()
    ignored = per_file_ignores(config)
    reported = in_scope(found, sources.scope, ignored)
    diagnostics = suppress_file_by_file(
        reported, suppressions_in_scope(store, sources.scope), selected, ignored
    )
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


def fix(
    paths: Sequence[Path],
    config: Config,
    options: FixOptions,
    *,
    selected: Callable[[str], bool] = lambda code: True,
    use_cache: bool = True,
) -> FixResult:
    """Apply fixes to a fixpoint (writing them, or only diffing); what remains is checked."""

    def check_with(overlay: Optional[dict[str, bytes]]) -> CheckResult:
        return check(paths, config, selected=selected, use_cache=use_cache, overlay=overlay)

    return fix_to_fixpoint(check_with, options)


def describe(root: Path, config: Optional[Config] = None) -> dict[str, Any]:
    """The static view of apps, settings and tasks (for `celerylint inspect` and tests)."""
    from celerylint.config import load_config
    from celerylint.model.describe import describe_project

    config = config or load_config(None, root).with_overrides(root=root.absolute())
    result = check([root], config, selected=lambda code: False, use_cache=False)
    assert result.project is not None
    return describe_project(result.project, config.root)


# -- the stages ------------------------------------------------------------------


def load_facts(
    sources: ProjectSources,
    config: Config,
    use_cache: bool,
    overlay: Optional[dict[str, bytes]],
    progress: Optional[Progress] = None,
) -> FactStore:
    """Facts of every file that can matter: cached, or extracted now (in parallel)."""
    from celerylint.store import FactStore

    store = FactStore(sources.files, config, use_cache, overlay)
    store.load(progress)
    return store


def build_project(store: FactStore, sources: ProjectSources, config: Config) -> Project:
    """The project model; it loads the facts of further modules on demand."""
    from celerylint.model.project import Project

    paths = {source.module: path for path, source in store.files.items() if source.module}

    def loader(module: str) -> Optional[FileFacts]:
        facts = store.on_demand(paths[module])
        if facts is None or facts.error is not None:
            return None
        return facts

    relevant = [store.files[p].module for p in store.relevant if store.files[p].module]

    def mentioning(text: str) -> list[str]:
        return [store.files[p].module for p in store.mentioning(text) if store.files[p].module]

    return Project(
        paths,
        loader,
        relevant,
        aliases=sources.aliases,
        roots=sources.roots,
        mentioning=mentioning,
        deployment=read_deployments(sources.deployment_files, config.root),
        task_decorators=config.task_decorators,
        django_settings_module=config.django_settings_module,
        service_groups=config.services,
        external_tasks=config.external_tasks,
        dependency_files=dependency_files(config.root),
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
        dataclasses.replace(d, fix=d.pending_fix(layouts), pending_fix=None) if d.pending_fix else d
        for d in diagnostics
    ]


def parse_errors(store: FactStore) -> list[Diagnostic]:
    meta = BY_CODE["CL000"]
    found = []
    for path in sorted(set(store.relevant)):
        facts = store.facts.get(path)
        error = facts.error if facts is not None else None
        if error:
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
