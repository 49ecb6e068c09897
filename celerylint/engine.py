"""Orchestration: discover -> prefilter -> facts (cached, parallel) -> model -> rules."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from celerylint.config import Config
from celerylint.diagnostics import Diagnostic, Span
from celerylint.discovery import IgnoreRules, _normalise_excludes, discover
from celerylint.manifests import WorkerCommands
from celerylint.manifests import scan as scan_workers
from celerylint.model.project import Project
from celerylint.module_keys import canonical_modules
from celerylint.rules.meta import BY_CODE
from celerylint.store import FactStore


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic]
    files_checked: int = 0
    files_parsed: int = 0
    prefiltered_out: int = 0
    errors: list[str] = field(default_factory=list)
    project: Optional[Project] = None


def build_project(
    store: FactStore,
    config: Config,
    aliases: dict[str, str],
    roots: dict[str, str],
    workers: WorkerCommands,
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
        workers=workers,
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
    workers = scan_workers(discovery.deployment_files, config.root)
    project = build_project(store, config, aliases, roots, workers)
    diagnostics = [d for d in run_rules(project, selected) if selected(d.code)]
    if selected("CL000"):
        diagnostics.extend(parse_errors(store))
    store.cache.save()
    ignored = _per_file_ignores(config)
    diagnostics = [d for d in diagnostics if not ignored(d.path, d.code)]
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
    # Judged file by file: a suppression of a rule that per-file-ignores turns off
    # there is not "unused", and CL001/CL002 obey per-file-ignores themselves.
    by_path: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    for path, marks in suppressions.items():

        def selected_here(code: str, path: str = path) -> bool:
            return selected(code) and not ignored(path, code)

        by_path[path] = apply_suppressions(by_path.get(path, []), {path: marks}, selected_here)
    diagnostics = [d for found in by_path.values() for d in found]
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


def _per_file_ignores(config: Config) -> Callable[[str, str], bool]:
    """Whether `[tool.celerylint.per-file-ignores]` turns a code off in a file.

    Patterns are read like `exclude` (gitignore syntax relative to the project
    root, by the same matcher): a pattern covers a file when it matches the
    file or one of its directories, as an excluded directory excludes all it
    holds.
    """
    if not config.per_file_ignores:
        return lambda path, code: False
    from celerylint.selection import matches

    root = os.path.abspath(config.root)
    rules = [
        (IgnoreRules(_normalise_excludes([pattern], root)), selectors)
        for pattern, selectors in config.per_file_ignores
    ]

    def covers(rule: IgnoreRules, relative: str) -> bool:
        parts = relative.split("/")
        return any(
            rule.match("/".join(parts[:end]), True) is True for end in range(1, len(parts))
        ) or (rule.match(relative, False) is True)

    def ignored(path: str, code: str) -> bool:
        try:
            relative = Path(path).relative_to(config.root).as_posix()
        except ValueError:
            relative = Path(path).as_posix()
        return any(matches(code, selectors) and covers(rule, relative) for rule, selectors in rules)

    return ignored


def describe(root: Path, config: Optional[Config] = None) -> dict[str, Any]:
    """The static view of apps, settings and tasks (for `celerylint inspect` and tests)."""
    from celerylint.config import load_config
    from celerylint.model.describe import describe_project

    config = config or load_config(None, root).with_overrides(root=root.absolute())
    result = check([root], config, selected=lambda code: False, use_cache=False)
    assert result.project is not None
    return describe_project(result.project, config.root)
