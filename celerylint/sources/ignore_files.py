"""Which ignore files apply where: `.gitignore` files, `.git/info/exclude`, excludes.

The walk asks this module for the ignore files in force at its top
directory (those of the enclosing work tree above it) and reads each
directory's `.gitignore` through it as it goes; every file is read once.
Paths handed to the rules are '/'-separated and relative to the directory
of the ignore file, as git matches them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from celerylint.sources.fs_errors import os_message
from celerylint.sources.ignore import IgnoreRules
from celerylint.sources.watch import StatKey, stat_key

# The ignore files in force in a directory, outermost first:
# (their directory relative to the git work tree root, their rules).
IgnoreStack = tuple[tuple[str, IgnoreRules], ...]


class IgnoreFiles:
    """Reads ignore files once each; unreadable ones are reported in `errors`."""

    def __init__(
        self, respect_gitignore: bool, errors: list[tuple[Path, str]], watch: bool = False
    ) -> None:
        self.respect_gitignore = respect_gitignore
        self.watch = watch
        self.errors = errors
        self._rules_cache: dict[str, IgnoreRules | None] = {}
        # With `watch`: every file consulted, read or missing, and its (mtime, size)
        # before reading; a replayed run (`celerylint.replay`) is valid while they hold.
        self.consulted: list[tuple[str, StatKey]] = []

    def read(self, path: str) -> IgnoreRules | None:
        if path in self._rules_cache:
            return self._rules_cache[path]
        rules: IgnoreRules | None = None
        if self.watch:
            self.consulted.append((path, stat_key(path)))
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            pass
        except OSError as exc:
            self.errors.append((Path(path), f"cannot read ignore file: {os_message(exc)}"))
        else:
            # surrogateescape: patterns then compare equal to undecodable names.
            text = raw.decode("utf-8", "surrogateescape").lstrip("\ufeff")
            parsed = IgnoreRules(text.split("\n"))
            rules = parsed if parsed else None
        self._rules_cache[path] = rules
        return rules

    def repo_rules(self, git_root: str) -> IgnoreStack:
        dot_git = os.path.join(git_root, ".git")
        # A worktree's pointer file; not a .git directory, which changes on every git command.
        if self.watch and os.path.isfile(dot_git):
            self.consulted.append((dot_git, stat_key(dot_git)))
        git_dir = _git_dir(git_root)
        if git_dir is None:
            return ()
        rules = self.read(os.path.join(git_dir, "info", "exclude"))
        return (("", rules),) if rules is not None else ()

    def initial_git(self, start: str) -> tuple[str | None, IgnoreStack]:
        """Git context of a walk's top directory: its path relative to the work
        tree root, and the ignore files that apply above it."""
        if not self.respect_gitignore:
            return None, ()
        git_root = _find_git_root(start)
        if git_root is None:
            return None, ()
        stack = list(self.repo_rules(git_root))
        rel = rel_under(start, git_root) or ""
        here, base = git_root, ""
        # The top directory's own .gitignore is read when it is scanned.
        for part in rel.split("/")[:-1] if rel else []:
            rules = self.read(os.path.join(here, ".gitignore"))
            if rules is not None:
                stack.append((base, rules))
            here = os.path.join(here, part)
            base = join_rel(base, part)
        if rel:
            rules = self.read(os.path.join(here, ".gitignore"))
            if rules is not None:
                stack.append((base, rules))
        return rel, tuple(stack)


def rel_under(path: str, base: str) -> str | None:
    """`path` relative to `base` with '/' separators, or None if outside."""
    if path == base:
        return ""
    prefix = base if base.endswith(os.sep) else base + os.sep
    if not path.startswith(prefix):
        return None
    rel = path[len(prefix) :]
    return rel if os.sep == "/" else rel.replace(os.sep, "/")


def join_rel(rel: str, name: str) -> str:
    return f"{rel}/{name}" if rel else name


def _find_git_root(start: str) -> str | None:
    here = start
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _git_dir(work_tree: str) -> str | None:
    """The git directory of a work tree: `.git` itself, or what a `.git` file
    (worktree, submodule) points at, resolved to the common directory that
    holds `info/exclude`."""
    dot_git = os.path.join(work_tree, ".git")
    if os.path.isdir(dot_git):
        return dot_git
    try:
        with open(dot_git, encoding="utf-8", errors="surrogateescape") as fh:
            first = fh.readline().strip()
    except OSError:
        return None
    if not first.startswith("gitdir:"):
        return None
    git_dir = os.path.join(work_tree, first[len("gitdir:") :].strip())
    try:
        with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as fh:
            git_dir = os.path.join(git_dir, fh.read().strip())
    except (OSError, UnicodeDecodeError):
        pass
    return git_dir


def exclude_rules(patterns: Iterable[str], root: str) -> IgnoreRules:
    """Config excludes use gitignore syntax relative to the project root;
    also accept the `./dir` and absolute spellings people write for ruff."""
    out = []
    prefix = root if root.endswith(os.sep) else root + os.sep
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern[1:] if negated else pattern
        if body.startswith(prefix):
            body = "/" + body[len(prefix) :].replace(os.sep, "/")
        elif body.startswith("./"):
            body = body[1:]
        out.append(("!" if negated else "") + body)
    return IgnoreRules(out)
