"""What every command calls: check, fix, describe.

`check` replays an unchanged run from its record, or runs the stages
(`celerylint.pipeline`); `fix` runs them to a fixpoint through the fixer;
`describe` stops at the model. Nothing here prints: the CLI and the language
server decide what to show. Only what a replayed run needs is imported at the
top: the pipeline (model, rules, extractors) costs more to import than a
replay takes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from celerylint.check_result import CheckResult
from celerylint.rules.meta import BY_CODE

if TYPE_CHECKING:
    from celerylint.config import Config
    from celerylint.fixer import FixOptions, FixResult
    from celerylint.prescan import Prescan
    from celerylint.replay import Record, RunCache
    from celerylint.sources.project import ProjectSources
    from celerylint.sources.watch import Watched
    from celerylint.store import Progress, Readings

__all__ = ["CheckResult", "check", "describe", "fix"]


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
    from celerylint.sources.project import gather_sources

    if use_cache:  # with an overlay or for a model: most files' facts are cached
        from celerylint.pipeline import run

        return run(gather_sources(paths, config), config, selected, use_cache, overlay, progress)
    # Every file is read (`--no-cache`): workers read them as the walk finds them.
    prescan = _prescan(config, digest=False)
    try:
        sources = gather_sources(paths, config, found=prescan.found)
        # Imported once the workers are at work (28 ms: the model, the rules): before
        # the walk, the other core waited for it.
        from celerylint.pipeline import run

        return run(sources, config, selected, False, overlay, progress, prescan=prescan)
    finally:
        prescan.close()


def _replayed(
    paths: Sequence[Path],
    config: Config,
    selected: Callable[[str], bool],
    progress: Optional[Progress],
) -> CheckResult:
    """The recorded result if nothing the run reads changed, or only files whose facts
    stayed the same (`reuse`); else a check, then recorded."""
    from celerylint import replay
    from celerylint.sources.watch import unchanged

    codes = tuple(code for code in sorted(BY_CODE) if selected(code))
    scope = [os.path.abspath(p) for p in paths]  # as `gather_sources` names the scope
    cache = replay.RunCache(config.effective_cache_dir, replay.record_name(config, codes, scope))
    record = cache.load()
    if record is not None and unchanged(record.watched):
        return CheckResult(
            replay.decode_diagnostics(record.diagnostics),
            files_checked=record.files_checked,
            files_parsed=0,
            prefiltered_out=record.prefiltered_out,
            errors=record.errors,
            watched=record.watched,
        )
    from celerylint.cache import facts_file
    from celerylint.sources.watch import watch
    from celerylint.store import cache_key

    code = watch(replay.code_files())
    # A first run (no facts cached yet) reads every file: workers read and hash them as
    # the walk finds them. Another has most facts cached: its walk reads none.
    first = not facts_file(config.effective_cache_dir, cache_key(config)).exists()
    prescan = _prescan(config, digest=True) if first else None
    try:
        return _computed(paths, config, selected, progress, cache, record, code, prescan)
    finally:
        if prescan is not None:
            prescan.close()


def _computed(
    paths: Sequence[Path],
    config: Config,
    selected: Callable[[str], bool],
    progress: Optional[Progress],
    cache: RunCache,
    record: Optional[Record],
    code: list[Watched],
    prescan: Optional[Prescan],
) -> CheckResult:
    """`_replayed` once its record did not hold: the files changed since are reused if
    their facts did not change, else the run computes (and is recorded)."""
    from celerylint.sources.project import gather_sources
    from celerylint.sources.requirements import dependency_files
    from celerylint.sources.watch import known_keys, watch, watch_known

    found = prescan.found if prescan is not None else None
    sources = gather_sources(paths, config, watch=True, found=found)
    # Stat'ed before the facts stage reads them: a file changed during the run
    # then differs from its record, and the next run computes again.
    pins = [str(path) for path in dependency_files(config.root)]  # read for CL601's fix
    # The files given first: pre-commit names the files that changed, and a check of
    # the record stops at the first difference.
    given = set(sources.scope)
    files = sorted((f.path for f in sources.files), key=lambda path: path not in given)
    inputs = watch([*files, *sources.deployment_files, *pins])
    stats = {path: key for path, key in known_keys(inputs) if key is not None}
    computed = [*inputs, *code, *watch_known(sources.watched)]
    readings: Readings = {}
    if record is not None:
        from celerylint.reuse import reused

        reuse, readings = reused(record, sources, config, computed, stats)
        if reuse is not None:
            # The changed files kept their facts and answers: the record's stay true.
            return _recorded(
                cache, reuse, len(files), len(computed), record.facts, record.mentioned
            )
    from celerylint.pipeline import run

    result = run(
        sources, config, selected, True, None, progress, stats, earlier=readings, prescan=prescan
    )
    assert result.project is not None and result.store is not None
    result.watched = [*computed, *result.project.deployment.also_read]
    store = result.store
    facts = store.facts_digests()
    from celerylint.reuse import reusable

    result.reusable = reusable(sources, store, config, result.diagnostics, facts, store.mentioned)
    return _recorded(cache, result, len(files), len(computed), facts, store.mentioned)


def _prescan(config: Config, digest: bool) -> Prescan:
    """Workers to read (and with `digest`, hash) the files the walk finds, as it does."""
    from celerylint.prescan import Prescan
    from celerylint.store import worker_count

    return Prescan(config, worker_count(), digest)


def _recorded(
    cache: RunCache,
    result: CheckResult,
    sources: int,
    computed: int,
    facts: dict[str, str],
    mentioned: dict[str, list[str]],
) -> CheckResult:
    """`result`, saved as the record of its question (`replay.Record` says the rest)."""
    from celerylint import replay

    assert result.watched is not None
    cache.save(
        replay.Record(
            result.watched,
            replay.encode_diagnostics(result.diagnostics),
            result.files_checked,
            result.files_parsed,
            result.prefiltered_out,
            result.errors,
            sources=sources,
            computed=computed,
            mentioned=mentioned,
            facts=facts,
        )
    )
    return result


def fix(
    paths: Sequence[Path],
    config: Config,
    options: FixOptions,
    *,
    selected: Callable[[str], bool] = lambda code: True,
    use_cache: bool = True,
) -> FixResult:
    """Apply fixes to a fixpoint (writing them, or only diffing); what remains is checked."""
    from celerylint.fixer import fix_to_fixpoint  # difflib, tempfile: only when fixing

    return fix_to_fixpoint(_FixChecks(paths, config, selected, use_cache), options)


class _FixChecks:
    """The fixer's checks (`fixer.Checker`).

    The first and the last read the project as it is on disk. Between them nothing is
    written, so each check with the fixes' texts takes the walk and the facts of every
    other file from the check before (no walk, no stat, no cache to decode) and
    extracts only texts it has not seen lately: on courtlistener, 17 checks of a fix
    run went from 0.4 to 0.1 s each. A file some fix changed stays in the overlay,
    with its text from disk when no fix of the moment changes it: its texts are all
    remembered together, the one on disk too (the fixer goes back to it when it tries
    a round's fixes apart).
    """

    def __init__(
        self,
        paths: Sequence[Path],
        config: Config,
        selected: Callable[[str], bool],
        use_cache: bool,
    ) -> None:
        self.paths = paths
        self.config = config
        self.selected = selected
        self.use_cache = use_cache
        self._sources: Optional[ProjectSources] = None
        self._last: Optional[CheckResult] = None
        self._on_disk: dict[str, Optional[bytes]] = {}  # of the files fixes changed

    def __call__(self, overlay: Optional[dict[str, bytes]], *, fixes: bool = True) -> CheckResult:
        if not overlay:  # the files on disk: the first check, or the last, after writing
            self._sources = None
            self._on_disk.clear()
            self._last = check(
                self.paths, self.config, selected=self.selected, use_cache=self.use_cache
            )
            return self._last
        from celerylint.pipeline import run
        from celerylint.sources.project import gather_sources
        from celerylint.sources.reading import read_bytes

        if self._sources is None:
            self._sources = gather_sources(self.paths, self.config)
        previous = self._last.store if self._last is not None else None
        for path in overlay:
            if path not in self._on_disk:
                try:
                    self._on_disk[path] = data = read_bytes(path)
                except OSError:
                    self._on_disk[path] = None  # read as the store reads it: an error
                    continue
                if previous is not None:
                    previous.remember_as_buffer(path, data)
        texts = {path: data for path, data in self._on_disk.items() if data is not None}
        self._last = run(
            self._sources,
            self.config,
            self.selected,
            self.use_cache,
            {**texts, **overlay},
            None,
            previous=previous,
            with_fixes=fixes,
        )
        return self._last


def describe(root: Path, config: Optional[Config] = None) -> dict[str, Any]:
    """The static view of apps, settings and tasks (for `celerylint inspect` and tests)."""
    from celerylint.config import load_config
    from celerylint.model.describe import describe_project

    config = config or load_config(None, root).with_overrides(root=root.absolute())
    result = check([root], config, selected=lambda code: False, use_cache=False)
    assert result.project is not None
    return describe_project(result.project, config.root)
