"""Generate ``celerylint/_removed_settings_data.py`` from Celery's git history.

Projects keep settings that an older Celery read and the current one no longer
does (``CELERY_SEND_TASK_ERROR_EMAILS``, ``CELERYD_FORCE_EXECV``): Celery
ignores them without a word. To say so with certainty, celerylint ships the
names every released Celery read, and when the last one that read each was.

The tables come from ``celery/app/defaults.py`` at every final release tag of a
Celery clone (2.2.0, when the file appeared, to the newest tag), read with
``ast`` — the old modules are never imported. Each version's ``NAMESPACES`` is
flattened the way that version's own ``flatten`` did it:

* up to 3.1, nested dicts of ``Option`` keyed by upper-case names
  (``{'CELERY': {'SEND_TASK_ERROR_EMAILS': Option(...)}}`` reads
  ``CELERY_SEND_TASK_ERROR_EMAILS``);
* from 4.0, ``Namespace(...)`` of lower-case names, each also read under its
  old name (``Option(old=...)`` or the namespace's ``__old__`` templates,
  else the upper-cased new name), as ``celery.app.defaults._to_compat`` does.

A name is *removed* when some release read it and the installed Celery (the
catalog in ``celerylint/_catalog_data.py``) reads it under no name at all.
Run with the Celery version the catalog was generated from installed::

    python scripts/gen_removed_settings.py --celery-git /path/to/celery/.git

``tests/test_catalog.py`` checks the shipped table against the installed Celery
(no removed name is read by it) and, when a clone is at hand
(``CELERYLINT_CELERY_GIT``), that regenerating gives the same file.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "celerylint" / "_removed_settings_data.py"
DEFAULTS_PATH = "celery/app/defaults.py"
RELEASE_TAG = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")

sys.path.insert(0, str(REPO_ROOT))
from scripts.gen_catalog import ruff_format  # noqa: E402


@dataclass
class Option:
    """What an ``Option(...)`` call says about names (defaults do not matter here)."""

    old: set[str] = field(default_factory=set)


Tree = dict[str, "Tree | Option"]


class DefaultsReader:
    """Evaluates the ``NAMESPACES`` literal of one version's defaults.py."""

    def __init__(self, source: str) -> None:
        self.module = ast.parse(source)
        self.names: dict[str, ast.expr] = {}
        for stmt in self.module.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                if isinstance(target, ast.Name):
                    self.names[target.id] = stmt.value

    def namespaces(self) -> tuple[Tree, bool]:
        """The options tree, and whether it is the 4.0+ style (lower-case names)."""
        node = self.names["NAMESPACES"]
        tree = self.tree(node)
        modern = isinstance(node, ast.Call)
        return tree, modern

    def tree(self, node: ast.expr) -> Tree:
        if isinstance(node, ast.Dict):
            out: Tree = {}
            for key, value in zip(node.keys, node.values, strict=True):
                if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
                    raise ValueError(f"unexpected key at line {node.lineno}")
                out[key.value] = self.entry(value)
            return out
        if isinstance(node, ast.Call) and _callee(node) == "Namespace":
            old = None
            out = {}
            for keyword in node.keywords:
                if keyword.arg == "__old__":
                    old = self.strings(keyword.value)
                elif keyword.arg is not None:
                    out[keyword.arg] = self.entry(keyword.value)
                else:
                    raise ValueError(f"Namespace(**...) at line {node.lineno}")
            if old is not None:  # celery.app.defaults.Namespace
                for key, option in out.items():
                    if isinstance(option, Option) and not option.old:
                        option.old = {template.format(key) for template in old}
            return out
        raise ValueError(f"unexpected namespace at line {node.lineno}")

    def entry(self, node: ast.expr) -> Tree | Option:
        if isinstance(node, ast.Call) and _callee(node) == "Option":
            option = Option()
            for keyword in node.keywords:
                if keyword.arg == "old":
                    option.old = self.strings(keyword.value)
            return option
        return self.tree(node)

    def strings(self, node: ast.expr) -> set[str]:
        """A set of name templates: a literal, a module constant, or ``old_ns('x')``."""
        if isinstance(node, ast.Name):
            return self.strings(self.names[node.id])
        if isinstance(node, ast.Set):
            return {_string(element) for element in node.elts}
        if isinstance(node, ast.Call) and _callee(node) == "old_ns" and len(node.args) == 1:
            return {_string(node.args[0]) + "_{0}"}  # celery.app.defaults.old_ns
        raise ValueError(f"unexpected old names at line {node.lineno}")


def _callee(call: ast.Call) -> str:
    return call.func.id if isinstance(call.func, ast.Name) else ""


def _string(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise ValueError(f"expected a string at line {node.lineno}")


def read_names(source: str) -> set[str]:
    """Every key one version's defaults.py reads a setting under."""
    tree, modern = DefaultsReader(source).namespaces()
    names: set[str] = set()
    stack: list[tuple[str, Tree]] = [("", tree)]
    while stack:
        prefix, options = stack.pop()
        for key, value in options.items():
            if not isinstance(value, Option):
                stack.append((prefix + key + "_", value))
                continue
            name = prefix + key
            names.add(name)
            if modern:  # celery.app.defaults._to_compat
                if value.old:
                    names.update(template.format(key).upper() for template in value.old)
                else:
                    names.add(name.upper())
    return names


def release_tags(git_dir: Path) -> list[tuple[tuple[int, int, int], str]]:
    listed = _git(git_dir, "tag", "--list").split()
    tags = []
    for tag in listed:
        match = RELEASE_TAG.fullmatch(tag)
        if match:
            major, minor, patch = (int(part) for part in match.groups())
            tags.append(((major, minor, patch), tag))
    return sorted(tags)


def _git(git_dir: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "--git-dir", str(git_dir), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise FileNotFoundError(result.stderr.strip())
    return result.stdout


def current_names() -> tuple[str, set[str]]:
    """The installed Celery's version and every key it reads (from the shipped catalog)."""
    from celerylint import _catalog_data

    names = set(_catalog_data.SETTINGS) | set(_catalog_data.OLD_TO_NEW)
    return _catalog_data.CELERY_VERSION, names


def collect(git_dir: Path) -> dict[str, tuple[str, str]]:
    """Removed key -> (last release that read it, first minor version that did not)."""
    current_version, current = current_names()
    last_seen: dict[str, tuple[int, int, int]] = {}
    releases = []
    for version, tag in release_tags(git_dir):
        try:
            source = _git(git_dir, "show", f"{tag}:{DEFAULTS_PATH}")
        except FileNotFoundError:
            continue  # before 2.2 the settings lived elsewhere
        releases.append(version)
        for name in read_names(source):
            last_seen[name] = version
    removed: dict[str, tuple[str, str]] = {}
    for name, last in last_seen.items():
        if name in current:
            continue
        later = [v for v in releases if v[:2] > last[:2]]
        removed_in = ".".join(map(str, later[0][:2])) if later else _minor(current_version)
        removed[name] = (".".join(map(str, last)), removed_in)
    return removed


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def render_module(removed: dict[str, tuple[str, str]]) -> str:
    from celerylint import _catalog_data

    lines = [
        "# Generated by scripts/gen_removed_settings.py from Celery's release tags,",
        f"# against celery {_catalog_data.CELERY_VERSION} (celerylint/_catalog_data.py).",
        "# DO NOT EDIT: run `python scripts/gen_removed_settings.py` to regenerate.",
        '"""Setting keys that some Celery release read and the current one ignores."""',
        "",
        "from __future__ import annotations",
        "",
        f"CELERY_VERSION = {_catalog_data.CELERY_VERSION!r}",
        "",
        "# key -> (last release that read it, first minor version that did not)",
        "REMOVED: dict[str, tuple[str, str]] = {",
    ]
    for name in sorted(removed):
        last, gone = removed[name]
        lines.append(f"    {name!r}: ({last!r}, {gone!r}),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def generate(git_dir: Path) -> str:
    return ruff_format(render_module(collect(git_dir)), DEFAULT_OUTPUT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--celery-git",
        type=Path,
        required=True,
        help="the git directory of a Celery clone with its release tags",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="where to write the module (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    output: Path = args.output
    output.write_text(generate(args.celery_git), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
