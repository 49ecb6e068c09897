"""Orchestration: discover -> prefilter -> facts (cached, parallel) -> model -> rules."""

from __future__ import annotations

import dataclasses
import fnmatch
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
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

# Below this many files to parse, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 48

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


def _extract_job(job: tuple[str, str, bool, tuple[str, ...]]) -> dict[str, Any]:
    path, module, is_package, task_decorators = job
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return {"error": {"message": f"cannot read: {exc.strerror or exc}", "line": 1, "col": 0}}
    return extract_source(data, module, is_package, task_decorators)


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
        self._hashes: dict[str, str] = {}

    def load(self) -> None:
        """Settle every file: cached facts, prefiltered out, or parsed now (in parallel)."""
        to_parse: list[str] = []
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
                self.facts[path] = {
                    "error": {"message": f"cannot read: {exc.strerror or exc}", "line": 1, "col": 0}
                }
                self.relevant.append(path)
                continue
            self._stats[path] = stat
            entry = self.cache.lookup(path, stat)
            if entry is None:
                try:
                    with open(path, "rb") as handle:
                        data = handle.read()
                except OSError as exc:
                    message = f"cannot read: {exc.strerror or exc}"
                    self.facts[path] = {"error": {"message": message, "line": 1, "col": 0}}
                    self.relevant.append(path)
                    continue
                sha = content_hash(data)
                self._hashes[path] = sha
                entry = self.cache.by_hash(path, sha, source.module, source.is_package)
                if entry is None:
                    relative = path[len(self.root) :] if path.startswith(self.root) else path
                    if is_relevant(data, relative, self.tokens):
                        to_parse.append(path)
                        self.relevant.append(path)
                    else:
                        self._remember(path, None)
                    continue
                entry = [stat.st_mtime_ns, stat.st_size, *entry[2:]]
                self.cache.store(path, entry)
            if entry[5] is not None:
                self.facts[path] = entry[5]
                self.relevant.append(path)
        self._parse(to_parse)
        self.cache.prune(set(self.files))

    def _parse(self, paths: list[str]) -> None:
        jobs = [
            (p, self.files[p].module, self.files[p].is_package, self.task_decorators) for p in paths
        ]
        workers = min(os.cpu_count() or 1, 8)
        if len(jobs) >= PARALLEL_THRESHOLD and workers > 1:
            try:
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    results = list(pool.map(_extract_job, jobs, chunksize=16))
            except (OSError, RuntimeError):
                results = [_extract_job(job) for job in jobs]
        else:
            results = [_extract_job(job) for job in jobs]
        for path, facts in zip(paths, results):
            self.facts[path] = facts
            self._remember(path, facts)
        self.parsed += len(jobs)

    def _remember(self, path: str, facts: Optional[dict[str, Any]]) -> None:
        stat = self._stats.get(path)
        sha = self._hashes.get(path)
        if stat is None or sha is None:
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
            self._parse([path])
            facts = self.facts[path]
            self.relevant.append(path)
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
