"""Orchestration: discover -> prefilter -> facts (cached, parallel) -> model -> rules."""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from celerylint.cache import FactsCache, content_hash, fingerprint
from celerylint.config import Config
from celerylint.diagnostics import Diagnostic, Span
from celerylint.discovery import SourceFile, discover
from celerylint.facts import extract_source, is_relevant, prefilter_tokens
from celerylint.model.project import Project
from celerylint.rules.meta import BY_CODE

# Below this many files to read, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 200

# A project file must never stand in for these when resolving imports.
_SHADOWED = frozenset(
    {"celery", "kombu", "django", "billiard", "multiprocessing", "concurrent", "os", "datetime"}
)


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic]
    files_checked: int = 0
    files_parsed: int = 0
    prefiltered_out: int = 0
    errors: list[str] = field(default_factory=list)
    project: Optional[Project] = None


def _fork() -> Any:
    """Fork where the platform has it: workers then start without re-importing anything
    (Python 3.14 makes forkserver the default on Linux, which costs ~0.1 s per worker)."""
    import multiprocessing

    try:
        return multiprocessing.get_context("fork")
    except ValueError:
        return None


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "line": 1, "col": 0}}


# A file to settle: (path, module, is_package, root-relative path, sha of its
# cached facts or None, parse even if the prefilter says no).
Job = tuple[str, str, bool, str, Optional[str], bool]


def _settle(
    job: Job, tokens: tuple[bytes, ...], task_decorators: tuple[str, ...]
) -> tuple[Optional[str], str, Optional[dict[str, Any]]]:
    """Read, hash, prefilter and extract one file: (sha, status, facts).

    status: "same" (content as cached), "skip" (prefiltered out), "parsed", "error".
    Runs in worker processes: reading and scanning 4,000 files costs as much as
    parsing the hundred that matter, so all of it is spread across cores.
    """
    path, module, is_package, relative, known_sha, force = job
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return None, "error", _error(f"cannot read: {exc.strerror or exc}")
    sha = content_hash(data)
    if sha == known_sha:
        return sha, "same", None
    if not force and not is_relevant(data, relative, tokens):
        return sha, "skip", None
    return sha, "parsed", extract_source(data, module, is_package, task_decorators)


class FactStore:
    """Facts for every discovered file: from the cache, eagerly, or on demand."""

    def __init__(
        self,
        files: list[SourceFile],
        config: Config,
        use_cache: bool,
        overlay: Optional[dict[str, bytes]] = None,
    ) -> None:
        self.files = {str(f.path): f for f in files}
        self.root = str(config.root)
        # Unsaved contents (a `--diff` run's fixed text): used instead of the disk.
        self.overlay = overlay or {}
        self.tokens = prefilter_tokens(config.task_decorators)
        self.task_decorators = tuple(config.task_decorators)
        cache_dir = config.cache_dir or (config.root / ".celerylint_cache")
        key = fingerprint(sorted(config.task_decorators))
        self.cache = FactsCache(cache_dir if use_cache else None, key)
        self.facts: dict[str, dict[str, Any]] = {}
        self.relevant: list[str] = []
        self.parsed = 0
        self._stats: dict[str, os.stat_result] = {}

    def _job(self, path: str, force: bool = False) -> Job:
        source = self.files[path]
        relative = path[len(self.root) :] if path.startswith(self.root) else path
        cached = self.cache.entries.get(path)
        known = None
        if cached and cached[3] == source.module and cached[4] == source.is_package:
            known = cached[2]
        return (path, source.module, source.is_package, relative, known, force)

    def load(self) -> None:
        """Settle every file: cached facts, prefiltered out, or parsed now (in parallel)."""
        pending: list[Job] = []
        for path, source in self.files.items():
            if path in self.overlay:
                self.facts[path] = extract_source(
                    self.overlay[path], source.module, source.is_package, self.task_decorators
                )
                self.relevant.append(path)
                continue
            try:
                stat = os.stat(path)
            except OSError as exc:
                self.facts[path] = _error(f"cannot read: {exc.strerror or exc}")
                self.relevant.append(path)
                continue
            self._stats[path] = stat
            entry = self.cache.lookup(path, stat)
            if entry is None:
                pending.append(self._job(path))
            elif entry[5] is not None:
                self.facts[path] = entry[5]
                self.relevant.append(path)
        self._settle_all(pending)
        self.cache.prune(set(self.files))

    def _settle_all(self, jobs: list[Job]) -> None:
        settle = functools.partial(
            _settle, tokens=self.tokens, task_decorators=self.task_decorators
        )
        workers = min(os.cpu_count() or 1, 8)
        results: Optional[list[Any]] = None
        if len(jobs) >= PARALLEL_THRESHOLD and workers > 1:
            chunk = max(16, len(jobs) // (workers * 4))
            from concurrent.futures import ProcessPoolExecutor

            try:
                with ProcessPoolExecutor(max_workers=workers, mp_context=_fork()) as pool:
                    results = list(pool.map(settle, jobs, chunksize=chunk))
            except (OSError, RuntimeError):
                results = None  # no processes here (sandbox, frozen app): do it in-process
        if results is None:
            results = [settle(job) for job in jobs]
        for job, (sha, status, facts) in zip(jobs, results):
            path = job[0]
            if status == "same":
                cached = self.cache.entries[path]
                facts = cached[5]
                stat = self._stats.get(path)
                if stat is not None:
                    self.cache.store(path, [stat.st_mtime_ns, stat.st_size, *cached[2:]])
            elif status == "parsed":
                self.parsed += 1
            if status == "error":
                self.facts[path] = facts or _error("cannot read")
                self.relevant.append(path)
                continue
            if facts is not None:
                self.facts[path] = facts
                self.relevant.append(path)
            if status in ("parsed", "skip") and sha is not None:
                self._remember(path, sha, facts)

    def _remember(self, path: str, sha: str, facts: Optional[dict[str, Any]]) -> None:
        stat = self._stats.get(path)
        if stat is None:
            return
        source = self.files[path]
        entry = [stat.st_mtime_ns, stat.st_size, sha, source.module, source.is_package, facts]
        self.cache.store(path, entry)

    def mentioning(self, text: str) -> list[str]:
        """Paths of every discovered file whose bytes contain `text` (prefiltered or not).

        For rules that must know that *no* file uses a name (a rename's safety);
        it reads every file, so only call it when such a question arises.
        """
        needle = text.encode()
        found = []
        for path in self.files:
            data = self.overlay.get(path)
            if data is None:
                try:
                    with open(path, "rb") as handle:
                        data = handle.read()
                except OSError:
                    found.append(path)  # unreadable: it might mention it
                    continue
            if needle in data:
                found.append(path)
        return found

    def on_demand(self, path: str) -> Optional[dict[str, Any]]:
        """Facts of a file the prefilter skipped but the model needs after all."""
        facts = self.facts.get(path)
        if facts is None and path in self.files:
            job = self._job(path, force=True)
            self._settle_all([(*job[:4], None, True)])
            facts = self.facts.get(path)
        return facts


def canonical_modules(
    files: list[SourceFile], root: Path
) -> tuple[list[SourceFile], dict[str, str], dict[str, str]]:
    """Unique module keys, aliases and source roots for the discovered files.

    `proj/celery.py` in a namespace directory is imported as `proj.celery`
    when the project root is on sys.path; calling it `celery` would shadow the
    real package (the short name stays available as an alias). Where several
    source roots define the same module name (a monorepo's services, test
    fixtures), each becomes `name@root`, resolved only from its own root.
    """
    renamed: list[SourceFile] = []
    aliases: dict[str, str] = {}
    for source in files:
        if "." in source.module or source.is_package:
            renamed.append(source)
            continue
        try:
            parts = source.path.relative_to(root).with_suffix("").parts
        except ValueError:
            renamed.append(source)
            continue
        if len(parts) > 1 and all(part.isidentifier() for part in parts):
            dotted = ".".join(parts)
            renamed.append(dataclasses.replace(source, module=dotted))
            if source.module not in _SHADOWED:
                aliases.setdefault(source.module, dotted)
        else:
            renamed.append(source)
    return (*_unique_keys(renamed, root), aliases)


def _unique_keys(files: list[SourceFile], root: Path) -> tuple[list[SourceFile], dict[str, str]]:
    def source_root(source: SourceFile) -> str:
        depth = source.module.count(".") + (1 if source.is_package else 0)
        base = source.path.parents[depth] if depth < len(source.path.parents) else root
        try:
            return base.relative_to(root).as_posix()
        except ValueError:
            return base.as_posix()

    counts: dict[str, int] = {}
    for source in files:
        counts[source.module] = counts.get(source.module, 0) + 1
    keyed: list[SourceFile] = []
    roots: dict[str, str] = {}
    for source in files:
        where = source_root(source)
        if counts[source.module] > 1:
            source = dataclasses.replace(source, module=f"{source.module}@{where}")
        keyed.append(source)
        roots[source.module] = where
    return keyed, roots


def build_project(
    store: FactStore, config: Config, aliases: dict[str, str], roots: dict[str, str]
) -> Project:
    paths = {source.module: path for path, source in store.files.items() if source.module}
    by_module = {module: path for module, path in paths.items()}

    def loader(module: str) -> Optional[dict[str, Any]]:
        facts = store.on_demand(by_module[module])
        if facts is None or "error" in facts:
            return None
        return facts

    relevant = [store.files[p].module for p in store.relevant if store.files[p].module]

    def mentioning(text: str) -> list[str]:
        return [store.files[p].module for p in store.mentioning(text) if store.files[p].module]

    return Project(
        paths,
        loader,
        relevant,
        aliases=aliases,
        roots=roots,
        mentioning=mentioning,
        task_decorators=config.task_decorators,
        django_settings_module=config.django_settings_module,
        service_groups=config.services,
        fix_defaults={
            "time_limit": config.fix_time_limit,
            "soft_time_limit": config.fix_soft_time_limit,
            "max_retries": config.fix_max_retries,
        },
    )


def parse_errors(store: FactStore) -> list[Diagnostic]:
    meta = BY_CODE["CL000"]
    found = []
    for path in sorted(set(store.relevant)):
        error = store.facts.get(path, {}).get("error")
        if error:
            line, col = error["line"], error["col"]
            found.append(
                Diagnostic(
                    meta.code,
                    meta.name,
                    error["message"],
                    path,
                    Span(line, col, line, col),
                    meta.severity,
                )
            )
    return found


def check(
    paths: Sequence[Path],
    config: Config,
    *,
    selected: Callable[[str], bool] = lambda code: True,
    use_cache: bool = True,
    overlay: Optional[dict[str, bytes]] = None,
) -> CheckResult:
    """Lint: the model is built from the whole project; findings are kept under `paths`."""
    from celerylint.rules import run_rules
    from celerylint.suppress import Suppression, apply_suppressions

    discovery = discover([config.root], config)
    scope = [str(Path(p).absolute()) for p in paths]
    known = {str(f.path) for f in discovery.files}
    extra = [
        p
        for p in scope
        if not _is_under(p, str(config.root)) or (os.path.isfile(p) and p not in known)
    ]
    if extra:
        explicit = discover([Path(p) for p in extra], config)
        discovery.files.extend(f for f in explicit.files if str(f.path) not in known)
        discovery.errors.extend(explicit.errors)
    files, roots, aliases = canonical_modules(discovery.files, config.root)
    store = FactStore(files, config, use_cache, overlay)
    store.load()
    project = build_project(store, config, aliases, roots)
    diagnostics = [d for d in run_rules(project, selected) if selected(d.code)]
    if selected("CL000"):
        diagnostics.extend(parse_errors(store))
    store.cache.save()
    diagnostics = _per_file_ignores(diagnostics, config)
    diagnostics = [d for d in diagnostics if any(_is_under(d.path, s) for s in scope)]
    suppressions: dict[str, list[Suppression]] = {}
    for path, facts in store.facts.items():
        for raw in facts.get("suppressions", ()):
            suppressions.setdefault(path, []).append(
                Suppression(
                    raw["line"],
                    Span.from_list(raw["span"]),
                    tuple(raw["names"]),
                    tuple(Span.from_list(s) for s in raw["name_spans"]),
                    Span.from_list(raw["removal"]) if raw["removal"] else None,
                )
            )
    suppressions = {p: s for p, s in suppressions.items() if any(_is_under(p, x) for x in scope)}
    diagnostics = apply_suppressions(diagnostics, suppressions, selected)
    diagnostics.sort(key=Diagnostic.sort_key)
    errors = [f"{path}: {message}" for path, message in discovery.errors]
    return CheckResult(
        diagnostics,
        files_checked=len(store.files),
        files_parsed=store.parsed,
        prefiltered_out=len(store.files) - len(set(store.relevant)),
        errors=errors,
        project=project,
    )


def _is_under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _per_file_ignores(diagnostics: list[Diagnostic], config: Config) -> list[Diagnostic]:
    if not config.per_file_ignores:
        return diagnostics
    from celerylint.selection import matches

    kept = []
    for diagnostic in diagnostics:
        try:
            relative = Path(diagnostic.path).relative_to(config.root).as_posix()
        except ValueError:
            relative = Path(diagnostic.path).as_posix()
        ignored = any(
            (fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(Path(relative).name, pattern))
            and matches(diagnostic.code, selectors)
            for pattern, selectors in config.per_file_ignores
        )
        if not ignored:
            kept.append(diagnostic)
    return kept


def describe(root: Path, config: Optional[Config] = None) -> dict[str, Any]:
    """The static view of apps, settings and tasks (for `celerylint inspect` and tests)."""
    from celerylint.config import load_config
    from celerylint.model.describe import describe_project

    config = config or load_config(None, root).with_overrides(root=root.absolute())
    result = check([root], config, selected=lambda code: False, use_cache=False)
    assert result.project is not None
    return describe_project(result.project, config.root)
