"""Which files to read: paths given, excludes, .gitignore, symlinks.

This runs before every pre-commit invocation, so it does no more system
calls than it has to: one `scandir` per directory, the file types scandir
already knows, a `stat` only for symbolic links, and excluded directories are
pruned before they are opened. Only a walk that is recorded for replay
(`watch`) also stats each directory, and the ignore files it reads. Paths are
handled as `str` inside the walk and turned into `Path` objects only for the
files that are kept.

The same walk collects the deployment files (Procfiles, compose files,
Dockerfiles, scripts) where worker command lines are written, so excludes and
.gitignore apply to them too.
"""

from __future__ import annotations

import heapq
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Optional

import msgspec

from celerylint.config import Config, display_path
from celerylint.sources.deployment_names import is_deployment_file
from celerylint.sources.fs_errors import link_message, may_hold_python, os_message
from celerylint.sources.ignore_files import (
    IgnoreFiles,
    IgnoreStack,
    exclude_rules,
    join_rel,
    rel_under,
)
from celerylint.sources.modules import DJANGO_ENTRY, INIT_FILE, PackageNames, SourceFile
from celerylint.sources.namespace_roots import with_namespace_paths
from celerylint.sources.watch import StatKey, exists_key, stat_key

__all__ = ["Discovery", "discover"]


class Discovery(msgspec.Struct):
    files: list[SourceFile] = msgspec.field(default_factory=list)
    errors: list[tuple[Path, str]] = msgspec.field(default_factory=list)
    # Procfiles, compose files, Dockerfiles, scripts...: where worker command lines live.
    deployment_files: list[str] = msgspec.field(default_factory=list)
    # What the walk's outcome depends on besides the files kept: every directory
    # scanned, every ignore file consulted, and above the root the `.git` and
    # `__init__.py` that decide the repository and the package names, with their
    # (mtime, size) before they were read. A replayed run (`celerylint.replay`)
    # is valid while they hold.
    watched: list[tuple[str, StatKey]] = msgspec.field(default_factory=list)
    # Checkout tops with an `__init__.py`, which are no package: path -> name
    # (`PackageNames.checkout_packages`).
    checkout_packages: dict[str, str] = msgspec.field(default_factory=dict)
    # Files read to name packages below namespace directories, with their (mtime_ns,
    # size) when read and the digest of their imports (`namespace_roots`): a remembered
    # walk holds while each is unchanged, or imports the same (an edit of a task module).
    evidence: list[tuple[str, int, int, str]] = msgspec.field(default_factory=list)


def discover(
    paths: Sequence[Path],
    config: Config,
    watch: bool = False,
    found: Optional[Callable[[str], None]] = None,
) -> Discovery:
    """The Python files to analyze under `paths`, and what could not be read.

    Directories are walked with the configured excludes and .gitignore
    applied; files named explicitly are kept even when excluded. Every real
    file appears once, under its path without symbolic links when it has one.
    `found` is told each Python file as it is found (a file reached by two paths,
    under both).
    """
    walker = _Walker(config, watch, found)
    above = walker.root
    while watch:
        git, init = os.path.join(above, ".git"), os.path.join(above, INIT_FILE)
        walker.watched += [(git, exists_key(git)), (init, stat_key(init))]
        parent = os.path.dirname(above)
        if parent == above:
            break
        above = parent
    seen: set[str] = set()
    for given in paths:
        path = os.path.abspath(given)
        if path in seen:
            continue
        seen.add(path)
        walker.add_path(path)

    chosen = _one_per_real_file(walker.candidates)
    files = with_namespace_paths(
        [SourceFile(c.path, c.module, c.is_package) for c in chosen],
        walker.root,
        frozenset(walker.packages.checkout_packages),
        walker.read_for_evidence if watch else None,
    )
    errors = sorted(set(walker.errors), key=lambda e: (str(e[0]), e[1]))
    return Discovery(
        files=files,
        errors=errors,
        deployment_files=sorted(walker.deployment_files),
        watched=[*walker.watched, *walker.ignore_files.consulted],
        checkout_packages=walker.packages.checkout_packages,
        evidence=walker.evidence,
    )


class _Candidate:
    """A file found; several may share a real path."""

    __slots__ = ("is_package", "linked", "module", "path", "real")

    def __init__(self, path: str, real: str, linked: bool, module: str, is_package: bool) -> None:
        self.path = path
        self.real = real
        self.linked = linked  # reached through a symbolic link
        self.module = module
        self.is_package = is_package


def _one_per_real_file(candidates: list[_Candidate]) -> list[_Candidate]:
    """One candidate per real file, preferring a path without symbolic links; sorted by path."""
    best: dict[str, _Candidate] = {}
    for cand in candidates:
        current = best.get(cand.real)
        if current is None or (cand.linked, cand.path) < (current.linked, current.path):
            best[cand.real] = cand
    return sorted(best.values(), key=lambda c: c.path)


class _Frame:
    """A directory waiting to be scanned (a plain class: thousands are made)."""

    __slots__ = (
        "ex_rel",
        "git_rel",
        "is_link",
        "linked",
        "parent_package",
        "path",
        "real",
        "stack",
    )

    def __init__(
        self,
        path: str,
        real: str,
        is_link: bool,
        linked: bool,
        ex_rel: str,
        git_rel: str | None,
        stack: IgnoreStack,
        parent_package: str | None,
    ) -> None:
        self.path = path
        self.real = real
        self.is_link = is_link  # this directory entry is itself a symbolic link
        self.linked = linked  # a symbolic link was followed to get here
        self.ex_rel = ex_rel  # relative to the exclude base
        self.git_rel = git_rel  # relative to the git work tree root; None outside git
        self.stack = stack  # ignore files in force: (base relative to git root, rules)
        self.parent_package = parent_package


class _Walker:
    def __init__(
        self, config: Config, watch: bool = False, found: Optional[Callable[[str], None]] = None
    ) -> None:
        self.root = os.path.abspath(config.root)
        self.found = found
        self.exclude = exclude_rules(config.all_excludes, self.root)
        self.respect_gitignore = config.respect_gitignore
        self.packages = PackageNames(self.root, self.read_for_names if watch else None)
        self.errors: list[tuple[Path, str]] = []
        self.ignore_files = IgnoreFiles(self.respect_gitignore, self.errors, watch)
        self.watch = watch
        self.candidates: list[_Candidate] = []
        self.deployment_files: list[str] = []
        self.watched: list[tuple[str, StatKey]] = []
        self.evidence: list[tuple[str, int, int, str]] = []
        self._real_dirs: dict[str, str] = {}

    def read_for_names(self, path: str) -> None:
        """A file read to name packages: a replayed walk holds while it is unchanged."""
        self.watched.append((path, stat_key(path)))

    def read_for_evidence(self, path: str, key: tuple[int, int], digest: str) -> None:
        """A file read to name a package below namespace directories (`Discovery.evidence`)."""
        self.evidence.append((path, *key, digest))

    def _ignored(self, frame: _Frame, name: str, is_dir: bool) -> bool:
        if self.exclude.match(join_rel(frame.ex_rel, name), is_dir):
            return True
        if frame.git_rel is None or not frame.stack:
            return False
        rel = join_rel(frame.git_rel, name)
        for base, rules in reversed(frame.stack):
            verdict = rules.match(rel[len(base) + 1 :] if base else rel, is_dir)
            if verdict is not None:
                return verdict
        return False

    def real_dir(self, directory: str) -> str:
        real = self._real_dirs.get(directory)
        if real is None:
            real = self._real_dirs[directory] = os.path.realpath(directory)
        return real

    def add_path(self, path: str) -> None:
        """A path named on the command line; a file is kept whatever the
        excludes say, a directory is walked."""
        try:
            st = os.lstat(path)
        except OSError as exc:
            self.errors.append((Path(path), os_message(exc)))
            return
        is_link = stat.S_ISLNK(st.st_mode)
        if is_link:
            try:
                st = os.stat(path)
            except OSError as exc:
                self.errors.append((Path(path), link_message(path, exc)))
                return
        if stat.S_ISDIR(st.st_mode):
            self.walk(path)
            return
        if not stat.S_ISREG(st.st_mode) or not path.endswith(".py"):
            return
        if is_link:
            real = os.path.realpath(path)
        else:
            directory, name = os.path.split(path)
            real = os.path.join(self.real_dir(directory), name)
        module, is_package = self.packages.of_file(path)
        self._add(_Candidate(path, real, is_link, module, is_package))

    # -- the walk: real directories depth-first, then symbolic links ---------

    def walk(self, start: str) -> None:
        top = self._top_frame(start)
        visited = {top.real}
        pending = [top]
        # Symlinked directories wait until every real directory has been seen,
        # so a file reachable both ways is reported under its real path.
        deferred: list[tuple[str, int, _Frame, str]] = []
        counter = 0
        while pending or deferred:
            if pending:
                frame = pending.pop()
            else:
                _, _, frame, link_parent_real = heapq.heappop(deferred)
                if not self._enter_linked(frame, link_parent_real, visited):
                    continue
            for child in self._scan(frame):
                if child.is_link:
                    counter += 1
                    heapq.heappush(deferred, (child.path, counter, child, frame.real))
                elif child.real not in visited:
                    visited.add(child.real)
                    pending.append(child)

    def _top_frame(self, start: str) -> _Frame:
        ex_rel = rel_under(start, self.root)
        git_rel, stack = self.ignore_files.initial_git(start)
        return _Frame(
            path=start,
            real=os.path.realpath(start),
            is_link=False,
            linked=False,
            ex_rel=ex_rel if ex_rel is not None else "",
            git_rel=git_rel,
            stack=stack,
            parent_package=self.packages.of_dir(os.path.dirname(start)),
        )

    def _enter_linked(self, frame: _Frame, link_parent_real: str, visited: set[str]) -> bool:
        """Whether a symlinked directory is to be scanned: not a loop, not seen before."""
        if _is_within(link_parent_real, frame.real):
            self.errors.append(
                (
                    Path(frame.path),
                    "symbolic link loop: points to an enclosing directory "
                    f"'{display_path(frame.real)}'",
                )
            )
            return False
        if frame.real in visited:
            return False
        visited.add(frame.real)
        return True

    def _scan(self, frame: _Frame) -> list[_Frame]:
        """Read one directory: keep its Python and deployment files, return its subdirectories."""
        if self.watch:
            self.watched.append((frame.path, stat_key(frame.path)))
        try:
            with os.scandir(frame.path) as it:
                entries = list(it)
        except OSError as exc:
            self.errors.append((Path(frame.path), f"cannot read directory: {os_message(exc)}"))
            return []
        package = self._enter_directory(frame, entries)
        children: list[_Frame] = []
        for entry in entries:
            kind = self._entry_kind(frame, entry)
            if kind is None:
                continue
            is_link, is_dir, is_file = kind
            name = entry.name
            if is_dir:
                if name == ".git" or self._ignored(frame, name, True):
                    continue
                children.append(self._child_frame(frame, entry, is_link, package))
            elif is_file and name.endswith(".py"):
                if not self._ignored(frame, name, False):
                    self._add_module(frame, entry, is_link, package)
            elif not is_dir and is_deployment_file(name) and not self._ignored(frame, name, False):
                self.deployment_files.append(entry.path)
        return children

    def _enter_directory(self, frame: _Frame, entries: list[os.DirEntry[str]]) -> str | None:
        """Take in the directory's own ignore rules (its .gitignore, or a nested
        repository's) and return its package name, or None if it is no package."""
        git_rel, stack = frame.git_rel, frame.stack
        has_init = False
        has_gitignore = False
        has_git = False
        has_manage = False
        for entry in entries:
            name = entry.name
            if name == INIT_FILE:
                has_init = entry.is_file()
            elif name == DJANGO_ENTRY:
                has_manage = entry.is_file()
            elif name == ".gitignore":
                has_gitignore = True
            elif name == ".git":
                has_git = True
                if self.respect_gitignore and git_rel != "":
                    # A nested repository (or submodule) has its own ignore rules.
                    git_rel, stack = "", self.ignore_files.repo_rules(frame.path)
        if has_gitignore and git_rel is not None:
            rules = self.ignore_files.read(os.path.join(frame.path, ".gitignore"))
            if rules is not None:
                stack = (*stack, (git_rel, rules))
        # Frames are not shared, so updating this one in place is safe.
        frame.git_rel, frame.stack = git_rel, stack

        if not has_init or self.packages.is_checkout_top(frame.path, has_git, has_manage):
            return None
        name = os.path.basename(frame.path)
        return f"{frame.parent_package}.{name}" if frame.parent_package else name

    def _entry_kind(self, frame: _Frame, entry: os.DirEntry[str]) -> tuple[bool, bool, bool] | None:
        """(is_link, is_dir, is_file) of an entry, following a symbolic link;
        is_file only for `.py` files. None for a broken link (reported unless ignored)."""
        name = entry.name
        is_link = entry.is_symlink()
        if is_link:
            try:
                mode = os.stat(entry.path).st_mode
            except OSError as exc:
                # Emacs lock files (.#name) are dangling links by design.
                if (
                    not name.startswith(".#")
                    and may_hold_python(entry.path, exc)
                    and not self._ignored(frame, name, False)
                ):
                    self.errors.append((Path(entry.path), link_message(entry.path, exc)))
                return None
            return is_link, stat.S_ISDIR(mode), stat.S_ISREG(mode)
        is_dir = entry.is_dir(follow_symlinks=False)
        is_file = not is_dir and name.endswith(".py") and entry.is_file(follow_symlinks=False)
        return is_link, is_dir, is_file

    def _child_frame(
        self, frame: _Frame, entry: os.DirEntry[str], is_link: bool, package: str | None
    ) -> _Frame:
        name = entry.name
        child_real = self._real(frame, entry, is_link)
        return _Frame(
            path=entry.path,
            real=child_real,
            is_link=is_link,
            linked=frame.linked or is_link,
            ex_rel=join_rel(frame.ex_rel, name),
            git_rel=None if frame.git_rel is None else join_rel(frame.git_rel, name),
            stack=frame.stack,
            parent_package=package,
        )

    @staticmethod
    def _real(frame: _Frame, entry: os.DirEntry[str], is_link: bool) -> str:
        """The entry's path with no symbolic link in it: its own path, the same string,
        where none led to it (one string per file, not two: 1.7 MB at 4x saleor)."""
        if is_link:
            return os.path.realpath(entry.path)
        if frame.real == frame.path:
            return entry.path
        return os.path.join(frame.real, entry.name)

    def _add_module(
        self, frame: _Frame, entry: os.DirEntry[str], is_link: bool, package: str | None
    ) -> None:
        module, is_package = self.packages.in_package(package, frame.path, entry.name)
        real = self._real(frame, entry, is_link)
        self._add(_Candidate(entry.path, real, frame.linked or is_link, module, is_package))

    def _add(self, candidate: _Candidate) -> None:
        self.candidates.append(candidate)
        if self.found is not None:
            self.found(candidate.path)


def _is_within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(
        directory if directory.endswith(os.sep) else directory + os.sep
    )
