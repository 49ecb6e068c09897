"""The lowest Celery version a project's dependency pins allow.

Read statically and conservatively from the files at the project root:
requirements*.txt, requirements/*.txt, *.in (and requirements/*.in),
pyproject.toml (`[project].dependencies`, `[tool.poetry.dependencies]`) and
the lock files poetry.lock, uv.lock and Pipfile.lock. Every mention of
celery must give a lower bound, and the floor is the lowest of them: a file
that pins an older Celery, or allows any, may be the one that is installed.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Optional

Version = tuple[int, ...]

_PACKAGE = "celery"
# `name[extras] specifiers ; marker`: the name, then everything up to the marker.
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;]*)")
# A final release (`5.4`, `5.4.0`; `==5.4.*`): pre-, post- and dev releases
# give no floor rather than a wrong one.
_RELEASE = re.compile(r"^\d+(?:\.\d+)*$")
_OPERATOR_SPACE = re.compile(r"(===|==|~=|!=|>=|<=|>|<)\s+")


def dependency_files(root: Path) -> list[Path]:
    """The dependency files at the project root that exist."""
    found = [
        *root.glob("requirements*.txt"),
        *root.glob("requirements/*.txt"),
        *root.glob("*.in"),
        *root.glob("requirements/*.in"),
        *(root / name for name in ("pyproject.toml", "poetry.lock", "uv.lock", "Pipfile.lock")),
    ]
    return sorted({path for path in found if path.is_file()})


def celery_version_floor(files: Iterable[Path]) -> Optional[Version]:
    """The lowest Celery release every pin in `files` allows; None if any allows every release."""
    floors: list[Version] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # an unreadable file pins nothing we can see
        for floor in _floors(path.name, text):
            if floor is None:
                return None
            floors.append(floor)
    return min(floors) if floors else None


def _floors(name: str, text: str) -> Iterator[Optional[Version]]:
    """The floor of each mention of celery in one file (None: a mention without one)."""
    if name == "Pipfile.lock":
        yield from _pipfile_lock(text)
    elif name.endswith((".toml", ".lock")):
        # Imported here: only runs whose fixes depend on the Celery version read pins.
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib
        if name != "pyproject.toml":
            text = _celery_packages(text)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return
        if name == "pyproject.toml":
            yield from _pyproject(data)
        else:
            yield from _lock_packages(data)
    else:
        for line in text.splitlines():
            yield from _requirement_line(line)


def _requirement_line(line: str) -> Iterator[Optional[Version]]:
    # A trailing comment, pip's per-line options (`--hash=...`), a continuation.
    line = line.split(" #", 1)[0].split(" --", 1)[0].strip().rstrip("\\").strip()
    if not line or line.startswith(("#", "-")):
        return  # a comment or an option (-r, -c, -e, --hash)
    requirement = requirement_floor(line)
    if requirement is not None:
        yield requirement[1]


def requirement_floor(text: str) -> Optional[tuple[str, Optional[Version]]]:
    """`(name, floor)` of a PEP 508 requirement naming celery; None for another package."""
    match = _REQUIREMENT.match(text)
    if match is None or _normalize(match.group(1)) != _PACKAGE:
        return None
    rest = match.group(2).strip()
    if rest.startswith("@"):
        return (_PACKAGE, None)  # a direct URL: any version
    return (_PACKAGE, specifier_floor(rest.strip("()")))


def specifier_floor(specifiers: str) -> Optional[Version]:
    """The lowest release a PEP 440 specifier set (`>=5.4,<6`) allows; None if unbounded."""
    return _clauses_floor(_OPERATOR_SPACE.sub(r"\1", specifiers).split(","))


def _clauses_floor(clauses: Iterable[str]) -> Optional[Version]:
    floors: list[Version] = []
    for clause in clauses:
        match = re.match(r"^(===|==|~=|>=|>)(\S+)$", clause.strip())
        if match is None:
            continue  # `<6`, `!=5.4.1`: no lower bound (an unparsable one neither)
        operator, version = match.groups()
        if operator == "==" and version.endswith(".*"):
            version = version[:-2]
        floor = _release(version)
        if floor is not None:
            floors.append(floor)  # `>5.4` allows only releases above 5.4: 5.4 is a safe floor
    return max(floors) if floors else None


def poetry_floor(constraint: str) -> Optional[Version]:
    """The floor of a Poetry constraint: `^5.4`, `~5.4`, `5.4.0`, `>=5.4,<6`, `*`."""
    constraint = constraint.strip()
    if constraint.startswith(("^", "~")) and not constraint.startswith("~="):
        return _release(constraint[1:].strip())
    if _release(constraint) is not None:
        return _release(constraint)  # a bare version is an exact pin
    if "||" in constraint:
        return None  # alternatives: the lowest is not worth reading
    return _clauses_floor(re.split(r"[,\s]+", _OPERATOR_SPACE.sub(r"\1", constraint)))


def _pyproject(data: dict[str, Any]) -> Iterator[Optional[Version]]:
    project = data.get("project")
    if isinstance(project, dict):
        for entry in project.get("dependencies") or []:
            if isinstance(entry, str):
                requirement = requirement_floor(entry)
                if requirement is not None:
                    yield requirement[1]
    poetry = data.get("tool", {}).get("poetry", {})
    dependencies = poetry.get("dependencies") if isinstance(poetry, dict) else None
    if isinstance(dependencies, dict):
        for key, value in dependencies.items():
            if _normalize(key) == _PACKAGE:
                yield from _poetry_entry(value)


def _poetry_entry(value: object) -> Iterator[Optional[Version]]:
    """`"^5.4"`, `{version = "^5.4", extras = [...]}`, or a list of such tables."""
    if isinstance(value, str):
        yield poetry_floor(value)
    elif isinstance(value, dict):
        version = value.get("version")
        yield poetry_floor(version) if isinstance(version, str) else None
    elif isinstance(value, list):
        for item in value:
            yield from _poetry_entry(item)
    else:
        yield None


# A lock file's `[[package]]` table headers, each on a line of its own.
_PACKAGE_HEADER = re.compile(r"^\[\[package\]\][ \t]*$", re.MULTILINE)


def _celery_packages(text: str) -> str:
    """The `[[package]]` tables of a lock file that mention celery (with their sub-tables,
    up to the next `[[package]]`): what `_lock_packages` reads, as a TOML document of
    its own. tomllib took 0.1 s for courtlistener's 400 KB uv.lock, on every check."""
    starts = [match.start() for match in _PACKAGE_HEADER.finditer(text)]
    tables = (text[start:end] for start, end in zip(starts, [*starts[1:], len(text)], strict=True))
    return "".join(table for table in tables if _PACKAGE in table.lower())


def _lock_packages(data: dict[str, Any]) -> Iterator[Optional[Version]]:
    """poetry.lock and uv.lock: `[[package]] name = "celery" version = "5.5.2"`."""
    for package in data.get("package") or []:
        if isinstance(package, dict) and _normalize(str(package.get("name", ""))) == _PACKAGE:
            version = package.get("version")
            yield _release(version) if isinstance(version, str) else None


def _pipfile_lock(text: str) -> Iterator[Optional[Version]]:
    """`{"default": {"celery": {"version": "==5.5.2"}}, "develop": {...}}`."""
    try:
        data = json.loads(text)
    except ValueError:
        return
    if not isinstance(data, dict):
        return
    for section in ("default", "develop"):
        packages = data.get(section)
        if not isinstance(packages, dict):
            continue
        for key, entry in packages.items():
            if _normalize(key) == _PACKAGE:
                version = entry.get("version") if isinstance(entry, dict) else None
                yield specifier_floor(version) if isinstance(version, str) else None


def _release(version: str) -> Optional[Version]:
    version = version.strip()
    if version.startswith(("v", "V")):
        version = version[1:]
    if not _RELEASE.match(version):
        return None
    return tuple(int(part) for part in version.split("."))


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def at_least(floor: Optional[Version], wanted: Version) -> bool:
    """`floor` is known and not below `wanted` (`(5, 4)` == `(5, 4, 0)`)."""
    if floor is None:
        return False
    width = max(len(floor), len(wanted))
    return floor + (0,) * (width - len(floor)) >= wanted + (0,) * (width - len(wanted))
