"""`[tool.celerylint]` settings: found, parsed, validated.

Validation is about shapes only (types, ranges, `module:var` references);
rule names are checked by the CLI against the rule registry, which this
module must not import (it is loaded on every run, before anything else).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

import msgspec

__all__ = [
    "DEFAULT_EXCLUDE",
    "Config",
    "ConfigError",
    "display_path",
    "find_root",
    "git_work_tree",
    "load_config",
    "load_config_for",
]

# Ruff's default exclusions plus our own cache directory.
DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pytype",
    ".ruff_cache",
    ".pytest_cache",
    ".svn",
    ".tox",
    ".venv",
    ".celerylint_cache",
    "__pypackages__",
    "__pycache__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)

PYPROJECT = "pyproject.toml"
SECTION = "[tool.celerylint]"


class ConfigError(Exception):
    """A configuration problem; `str(e)` is one line naming the file and key."""


def display_path(path: os.PathLike[str] | str) -> str:
    """`path` as printable text, even when the file name is not valid UTF-8.

    Undecodable bytes come back from the OS as lone surrogates, which would
    make `print` raise; they are shown as U+FFFD instead.
    """
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text


class Config(msgspec.Struct, frozen=True):
    """The effective settings; every field has a usable default."""

    root: Path
    config_file: Path | None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    task_decorators: tuple[str, ...] = ()
    django_settings_module: str | None = None
    services: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Task names (or glob patterns) another repository's worker serves: send_task
    # and beat entries may name them (unknown-task-name).
    external_tasks: tuple[str, ...] = ()
    respect_gitignore: bool = True
    # Paths given explicitly are excluded too (`--force-exclude`; pre-commit passes files).
    force_exclude: bool = False
    fix_time_limit: int = 300
    fix_soft_time_limit: int = 240
    fix_max_retries: int = 5
    cache_dir: Path | None = None

    @property
    def all_excludes(self) -> tuple[str, ...]:
        return self.exclude + self.extend_exclude

    @property
    def effective_cache_dir(self) -> Path:
        return self.cache_dir if self.cache_dir is not None else self.root / ".celerylint_cache"

    def with_overrides(self, **kw: Any) -> Config:
        """A copy with CLI flags applied; lists are accepted for tuple fields."""
        fixed: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()}
        return msgspec.structs.replace(self, **fixed)


# ---------------------------------------------------------------------------
# Finding the file


def load_config(explicit: Path | None, start: Path) -> Config:
    """Load the configuration for a run started in `start` (the working directory).

    The project root is `find_root(start)`. Its ``[tool.celerylint]`` table is
    the configuration, unless `explicit` (``--config``) names another file:
    that file chooses the configuration, never the root.
    """
    root, found, table = _find_root(start)
    if explicit is not None:
        path = Path(os.path.abspath(explicit))
        data = _read_toml(path)
        if path.name == PYPROJECT:
            table = _tool_table(data, path)
            section = SECTION
        else:
            table, section = data, ""
        return _build(table if table is not None else {}, path, root, section)
    if found is not None and table is not None:
        return _build(table, found, root, SECTION)
    return Config(root=root, config_file=None, cache_dir=root / ".celerylint_cache")


def load_config_for(explicit: Path | None, paths: Sequence[Path], cwd: Path) -> Config:
    """The configuration of a run on `paths` from the working directory `cwd`.

    The root is the working directory's (`find_root`), so that it does not
    depend on which of its paths are given. Paths that do not belong to it
    (outside that root, in another git work tree, or with neither a
    configuration nor git to tie them to the working directory) are another
    project: its root is found the same way from the directory they share.
    """
    here = os.path.abspath(cwd)
    root, found, _table = _find_root(Path(here))
    given = [os.path.abspath(p) for p in paths] or [here]
    repository = git_work_tree(Path(here))
    belongs = (
        (found is not None or repository is not None)
        and all(_is_within(p, str(root)) for p in given)
        and all(git_work_tree(Path(d)) == repository for d in {_directory(p) for p in given})
    )
    return load_config(explicit, Path(here) if belongs else Path(os.path.commonpath(given)))


def _directory(path: str) -> str:
    return path if os.path.isdir(path) else os.path.dirname(path)


def find_root(start: Path) -> Path:
    """The project root for a run started in `start`: the nearest directory at or
    above it, up to the git work tree root, whose `pyproject.toml` has a
    ``[tool.celerylint]`` table; else the git work tree root; else `start`
    (its directory, for a file)."""
    return _find_root(start)[0]


def _find_root(start: Path) -> tuple[Path, Path | None, dict[str, Any] | None]:
    """The root, and its pyproject.toml and ``[tool.celerylint]`` table if it has one."""
    first = os.path.abspath(start)
    if not os.path.isdir(first):
        first = os.path.dirname(first)
    here = first
    while True:
        candidate = os.path.join(here, PYPROJECT)
        if os.path.isfile(candidate):
            table = _probe_pyproject(Path(candidate))
            if table is not None:
                return Path(here), Path(candidate), table
        # A `.git` directory, or a file in worktrees and submodules: the repository
        # ends here, and a configuration above it belongs to something else.
        if os.path.exists(os.path.join(here, ".git")):
            return Path(here), None, None
        parent = os.path.dirname(here)
        if parent == here:
            return Path(first), None, None
        here = parent


def git_work_tree(start: Path) -> Path | None:
    """The root of the git work tree `start` is in (the nearest directory with a
    `.git` directory or file), or None outside git."""
    here = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return Path(here)
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _is_within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _probe_pyproject(path: Path) -> dict[str, Any] | None:
    raw = _read_bytes(path)
    # Most pyproject files on the way up belong to other tools; a byte search
    # avoids parsing them, and keeps an unrelated broken one from failing us.
    if b"celerylint" not in raw:
        return None
    return _tool_table(_parse_toml(raw, path), path)


def _tool_table(data: dict[str, Any], path: Path) -> dict[str, Any] | None:
    tool = data.get("tool")
    if not isinstance(tool, dict) or "celerylint" not in tool:
        return None
    table = tool["celerylint"]
    if not isinstance(table, dict):
        raise ConfigError(
            f"{display_path(path)}: {SECTION}: expected a table, got {_describe(table)}"
        )
    return table


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ConfigError(f"{display_path(path)}: cannot read: {reason}") from None


_AT_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_AT_EOF = re.compile(r"\s*\(at end of document\)\s*$")


def _parse_toml(raw: bytes, path: Path) -> dict[str, Any]:
    shown = display_path(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - raw.rfind(b"\n", 0, exc.start)
        raise ConfigError(
            f"{shown}:{row}:{column}: invalid TOML: not UTF-8 (byte 0x{raw[exc.start]:02x})"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    # Imported here: most runs find no configuration to parse (4 ms).
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python < 3.11 only
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc).splitlines()[0] if str(exc) else "syntax error"
        line: Optional[int] = getattr(exc, "lineno", None)
        col: Optional[int] = getattr(exc, "colno", None)
        found = _AT_LINE.search(message)
        if found:
            line, col = int(found.group(1)), int(found.group(2))
        message = _AT_EOF.sub(" at end of file", _AT_LINE.sub("", message))
        where = f":{line}:{col}" if line is not None and col is not None else ""
        raise ConfigError(f"{shown}{where}: invalid TOML: {message}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    return _parse_toml(_read_bytes(path), path)


# ---------------------------------------------------------------------------
# Validation

_TOP_KEYS = (
    "select",
    "ignore",
    "extend-select",
    "exclude",
    "extend-exclude",
    "per-file-ignores",
    "task-decorators",
    "django-settings-module",
    "services",
    "external-tasks",
    "respect-gitignore",
    "force-exclude",
    "fix",
    "cache-dir",
)
_FIX_KEYS = ("time-limit", "soft-time-limit", "max-retries")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
# A task name as Celery sends it, or a glob over names (`billing.*`).
_TASK_PATTERN = re.compile(r"^[A-Za-z0-9_.:/@*?\[\]!-]+$")


class _Validator:
    def __init__(self, path: Path, section: str) -> None:
        self.prefix = f"{display_path(path)}: {section + ' ' if section else ''}"

    def fail(self, key: str, what: str) -> ConfigError:
        return ConfigError(f"{self.prefix}{key}: {what}")

    def check_keys(self, table: dict[str, Any], allowed: tuple[str, ...], parent: str) -> None:
        for key in table:
            if key in allowed:
                continue
            hint = ""
            dashed = key.replace("_", "-")
            import difflib  # only for a mistyped key

            close = [dashed] if dashed in allowed else difflib.get_close_matches(dashed, allowed, 1)
            if close:
                hint = f"; did you mean {_join_key(parent, close[0])!r}?"
            raise self.fail(_join_key(parent, key), f"unknown key{hint}")

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(key, f"expected an array of strings, got {_describe(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{key}[{index}]", f"expected a string, got {_describe(item)}")
        return tuple(value)

    def dotted(self, value: Any, key: str, example: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {_describe(value)}")
        if not _is_dotted(value):
            raise self.fail(key, f"expected a dotted name like {example!r}, got {_short(value)}")
        return value

    def integer(self, value: Any, key: str, minimum: int) -> int:
        # bool is an int subclass; `time-limit = true` is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            kind = "a positive integer" if minimum > 0 else "a non-negative integer"
            raise self.fail(key, f"expected {kind}, got {_describe(value)}")
        if value < minimum:
            kind = "positive" if minimum > 0 else "non-negative"
            raise self.fail(key, f"must be {kind}, got {value}")
        return value


def _build(table: dict[str, Any], path: Path, root: Path, section: str) -> Config:
    v = _Validator(path, section)
    v.check_keys(table, _TOP_KEYS, "")
    kw: dict[str, Any] = {}
    for key in ("select", "ignore", "extend-select", "exclude", "extend-exclude"):
        if key in table:
            kw[key.replace("-", "_")] = v.strings(table[key], key)

    if "task-decorators" in table:
        decorators = v.strings(table["task-decorators"], "task-decorators")
        for index, item in enumerate(decorators):
            v.dotted(item, f"task-decorators[{index}]", "myproj.tasks.job")
        kw["task_decorators"] = decorators

    if "django-settings-module" in table:
        kw["django_settings_module"] = v.dotted(
            table["django-settings-module"], "django-settings-module", "proj.settings"
        )

    for key in ("respect-gitignore", "force-exclude"):
        if key in table:
            value = table[key]
            if not isinstance(value, bool):
                raise v.fail(key, f"expected a boolean, got {_describe(value)}")
            kw[key.replace("-", "_")] = value
    if "external-tasks" in table:
        patterns = v.strings(table["external-tasks"], "external-tasks")
        for index, item in enumerate(patterns):
            if not _TASK_PATTERN.match(item):
                raise v.fail(
                    f"external-tasks[{index}]",
                    f"expected a task name or glob like 'billing.tasks.*', got {_short(item)}",
                )
        kw["external_tasks"] = patterns

    if "per-file-ignores" in table:
        kw["per_file_ignores"] = _per_file_ignores(v, table["per-file-ignores"])

    if "services" in table:
        kw["services"] = _services(v, table["services"])

    if "fix" in table:
        kw.update(_fix(v, table["fix"]))

    cache_dir = root / ".celerylint_cache"
    if "cache-dir" in table:
        value = table["cache-dir"]
        if not isinstance(value, str) or not value.strip():
            raise v.fail("cache-dir", f"expected a non-empty path string, got {_describe(value)}")
        cache_dir = root / os.path.expanduser(value)
    kw["cache_dir"] = cache_dir

    return Config(root=root, config_file=path, **kw)


def _per_file_ignores(v: _Validator, value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise v.fail(
            "per-file-ignores",
            f'expected a table of pattern = ["CODE", ...], got {_describe(value)}',
        )
    out = []
    for pattern, codes in value.items():
        key = _join_key("per-file-ignores", pattern)
        if not pattern.strip():
            raise v.fail(key, "the file pattern is empty")
        out.append((pattern, v.strings(codes, key)))
    return tuple(out)


def _services(v: _Validator, value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise v.fail(
            "services",
            f'expected a table of group = ["pkg.module:app", ...], got {_describe(value)}',
        )
    out = []
    for group, refs in value.items():
        key = _join_key("services", group)
        items = v.strings(refs, key)
        if not items:
            raise v.fail(key, 'expected at least one app reference like "proj.celery:app"')
        for index, ref in enumerate(items):
            if not _is_app_ref(ref):
                raise v.fail(
                    f"{key}[{index}]",
                    f"expected an app reference 'module:variable' like 'proj.celery:app', "
                    f"got {_short(ref)}",
                )
        out.append((group, tuple(dict.fromkeys(items))))
    return tuple(out)


def _fix(v: _Validator, value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise v.fail(
            "fix",
            f"expected a table with {', '.join(_FIX_KEYS)}, got {_describe(value)}",
        )
    v.check_keys(value, _FIX_KEYS, "fix")
    defaults = {f.name: f.default for f in msgspec.structs.fields(Config)}
    hard: int = defaults["fix_time_limit"]
    soft: int = defaults["fix_soft_time_limit"]
    out: dict[str, int] = {}
    if "time-limit" in value:
        hard = out["fix_time_limit"] = v.integer(value["time-limit"], "fix.time-limit", 1)
    if "soft-time-limit" in value:
        soft = out["fix_soft_time_limit"] = v.integer(
            value["soft-time-limit"], "fix.soft-time-limit", 1
        )
    if "max-retries" in value:
        out["fix_max_retries"] = v.integer(value["max-retries"], "fix.max-retries", 0)
    if soft >= hard:
        # A soft limit at or past the hard one never fires: the worker kills first.
        if "soft-time-limit" in value:
            raise v.fail(
                "fix.soft-time-limit",
                f"must be less than the time limit ({hard}), got {soft}",
            )
        raise v.fail(
            "fix.time-limit",
            f"must be greater than the default soft time limit ({soft}); "
            "set fix.soft-time-limit too",
        )
    return out


# ---------------------------------------------------------------------------
# Small helpers


def _is_dotted(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def _is_app_ref(text: str) -> bool:
    module, sep, attr = text.partition(":")
    return bool(sep) and _is_dotted(module) and attr.isidentifier()


def _join_key(parent: str, key: str) -> str:
    shown = key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)
    return f"{parent}.{shown}" if parent else shown


def _short(value: str, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 4] + '..."'


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a float ({value})"
    if isinstance(value, str):
        return f"a string ({_short(value)})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"
