"""Which files to read: paths given, excludes, .gitignore, symlinks.

This runs before every pre-commit invocation, so it does no more system
calls than it has to: one `scandir` per directory, the file types scandir
already knows, a `stat` only for symbolic links, and excluded directories are
pruned before they are opened. Paths are handled as `str` inside the walk and
turned into `Path` objects only for the files that are kept.
"""

from __future__ import annotations

import errno
import heapq
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from celerylint.config import Config, display_path
from celerylint.manifests import is_deployment_file

__all__ = [
    "Discovery",
    "IgnoreRules",
    "SourceFile",
    "discover",
    "display_path",
    "module_name",
]

_INIT = "__init__.py"


@dataclass(frozen=True)
class SourceFile:
    path: Path
    module: str
    is_package: bool


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    errors: list[tuple[Path, str]] = field(default_factory=list)
    # Procfiles, compose files, Dockerfiles, scripts...: where worker command lines live.
    deployment_files: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------
# gitignore-style patterns


class IgnoreRules:
    """The patterns of one ignore file, matched against '/'-separated paths
    relative to the file's directory.

    `match` returns True (ignored), False (re-included by a `!` pattern) or
    None (no pattern matched), so that a stack of files can be consulted from
    the deepest one up, as git does.
    """

    __slots__ = ("_any_dir", "_any_file", "_has_negation", "_rules")

    def __init__(self, lines: Iterable[str]) -> None:
        rules: list[tuple[re.Pattern[str], bool, bool]] = []
        file_bodies: list[str] = []
        dir_bodies: list[str] = []
        for line in lines:
            parsed = _parse_pattern(line)
            if parsed is None:
                continue
            body, negated, dir_only = parsed
            try:
                regex = re.compile(body, re.DOTALL)
            except re.error:
                # e.g. a reversed range `[z-a]`; git never matches those either.
                continue
            rules.append((regex, negated, dir_only))
            dir_bodies.append(body)
            if not dir_only:
                file_bodies.append(body)
        self._rules = tuple(rules)
        self._has_negation = any(negated for _, negated, _ in rules)
        # One alternation answers "does anything match?" in a single call;
        # most paths match nothing, so the per-pattern loop rarely runs.
        self._any_file = _alternation(file_bodies)
        self._any_dir = _alternation(dir_bodies)

    def __bool__(self) -> bool:
        return bool(self._rules)

    def match(self, rel: str, is_dir: bool) -> bool | None:
        quick = self._any_dir if is_dir else self._any_file
        if quick is None or quick.fullmatch(rel) is None:
            return None
        if not self._has_negation:
            return True
        for regex, negated, dir_only in reversed(self._rules):
            if (is_dir or not dir_only) and regex.fullmatch(rel) is not None:
                return not negated
        return None


def _alternation(bodies: list[str]) -> re.Pattern[str] | None:
    if not bodies:
        return None
    return re.compile("(?:" + "|".join(bodies) + ")", re.DOTALL)


def _parse_pattern(line: str) -> tuple[str, bool, bool] | None:
    """One gitignore line -> (regex, negated, directory-only), or None.

    Follows git (dir.c and wildmatch.c), including its corners: trailing
    spaces are trimmed unless escaped; only one leading and one trailing
    slash are special (`a//b` needs an empty path segment); a pattern ending
    in a dangling backslash, or with an unclosed `[` or an unknown
    `[:class:]`, matches nothing.
    """
    line = line.rstrip("\r")
    if not line or line.startswith("#"):
        return None
    pattern = _trim_trailing_spaces(line)
    negated = pattern.startswith("!")
    if negated:
        pattern = pattern[1:]
    dir_only = pattern.endswith("/")
    if dir_only:
        pattern = pattern[:-1]
    if not pattern or (len(pattern) - len(pattern.rstrip("\\"))) % 2:
        return None  # empty, or ends in an unescaped backslash
    anchored = "/" in pattern
    if pattern.startswith("/"):
        pattern = pattern[1:]
    if not anchored:
        return "(?:.*/)?" + _translate_path(pattern), negated, dir_only
    # git compares the literal head (up to the first of *?[\) on its own and
    # wildmatches the rest, where a `**` right after the head then counts as
    # a leading `**`: `/a**/b` matches `ab` and `a/x/b`.
    head_len = next((i for i, c in enumerate(pattern) if c in "*?[\\"), len(pattern))
    head, rest = pattern[:head_len], pattern[head_len:]
    stars = len(rest) - len(rest.lstrip("*"))
    if head and stars >= 2 and rest[stars : stars + 1] in ("", "/"):
        tail = rest[stars + 1 :]
        body = re.escape(head) + ("(?:.*/)?" + _translate_path(tail) if rest[stars:] else ".*")
        return body, negated, dir_only
    return _translate_path(pattern), negated, dir_only


def _translate_path(pattern: str) -> str:
    """Segments joined by '/'; an empty segment (from `//`) stays a literal '/'."""
    segments = _split_segments(pattern)
    parts: list[str] = []
    last = len(segments) - 1
    for index, seg in enumerate(segments):
        if len(seg) >= 2 and not seg.strip("*"):  # `**` (or more stars) as a whole segment
            parts.append(".*" if index == last else "(?:.*/)?")
        else:
            parts.append(_translate_segment(seg) + ("" if index == last else "/"))
    return "".join(parts)


def _trim_trailing_spaces(line: str) -> str:
    """git's trim_trailing_spaces: drop trailing spaces not escaped by a backslash."""
    last_space: int | None = None
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == " ":
            if last_space is None:
                last_space = i
        else:
            if c == "\\":
                i += 1
                if i == n:
                    return line
            last_space = None
        i += 1
    return line if last_space is None else line[:last_space]


def _split_segments(pattern: str) -> list[str]:
    """Split at the slashes that separate segments: not escaped, not in `[...]`."""
    segments: list[str] = []
    start = i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            end = _class_end(pattern, i)
            if end is not None:
                i = end + 1
                continue
        if c == "/":
            segments.append(pattern[start:i])
            start = i + 1
        i += 1
    segments.append(pattern[start:])
    return segments


def _translate_segment(seg: str) -> str:
    out: list[str] = []
    i, n = 0, len(seg)
    while i < n:
        c = seg[i]
        if c == "*":
            while i + 1 < n and seg[i + 1] == "*":
                i += 1
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = _class_end(seg, i)
            if end is None:
                return "(?!)"  # git's wildmatch gives up on an unclosed bracket
            out.append(_translate_class(seg[i + 1 : end]))
            i = end
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(seg[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _class_items(seg: str, start: int) -> tuple[int, list[tuple[str, str]]] | None:
    """Parse the bracket expression opening at `seg[start]` as git's wildmatch
    does: (index of its closing ']', items), or None when it is not closed.

    Items are ("chr", c), ("range", lo + hi) and ("class", name); a `-`
    between two characters is a range (after an item that is a range or a
    class it is a plain `-`), `[:` starts a class only when the next `]`
    follows a `:`, and the first character (after `!` or `^`) is never the
    closing bracket.
    """
    n = len(seg)
    k = start + 1
    if k < n and seg[k] in "!^":
        k += 1
    items: list[tuple[str, str]] = []
    prev: str | None = None
    first = True
    while True:
        if k >= n:
            return None
        c = seg[k]
        if c == "]" and not first:
            return k, items
        first = False
        if c == "\\":
            k += 1
            if k >= n:
                return None
            prev = seg[k]
            items.append(("chr", prev))
        elif c == "-" and prev is not None and k + 1 < n and seg[k + 1] != "]":
            k += 1
            if seg[k] == "\\":
                k += 1
                if k >= n:
                    return None
            items.append(("range", prev + seg[k]))
            prev = None
        elif c == "[" and seg.startswith("[:", k):
            close = seg.find("]", k + 2)
            if close == -1:
                return None
            if close - (k + 2) >= 1 and seg[close - 1] == ":":
                items.append(("class", seg[k + 2 : close - 1]))
                prev = None
                k = close
            else:  # no ":]": an ordinary '['
                prev = c
                items.append(("chr", c))
        else:
            prev = c
            items.append(("chr", c))
        k += 1


def _class_end(seg: str, start: int) -> int | None:
    parsed = _class_items(seg, start)
    return None if parsed is None else parsed[0]


# git's ctype (ASCII only; its isspace has no \f or \v).
_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


def _translate_class(body: str) -> str:
    """The regex for one bracket expression, given what is inside `[...]`."""
    parsed = _class_items(f"[{body}]", 0)
    assert parsed is not None  # the caller found its end with _class_end
    negate = bool(body) and body[0] in "!^"
    out: list[str] = []
    for kind, text in parsed[1]:
        if kind == "chr":
            out.append(re.escape(text))
        elif kind == "range":
            # git matches the start character on its own; a reversed range adds nothing.
            lo, hi = text[0], text[1]
            if lo <= hi:
                out.append(f"{re.escape(lo)}-{re.escape(hi)}")
        elif text in _POSIX_CLASSES:
            out.append(_POSIX_CLASSES[text])
        else:
            return "(?!)"  # git's wildmatch gives up on an unknown class
    inner = "".join(out)
    # Like git's wildmatch in path mode, a class never matches '/'.
    if negate:
        return f"[^/{inner}]"
    return f"(?!/)[{inner}]"


# ---------------------------------------------------------------------------
# Module names


class _Packages:
    """Package names of directories, from `__init__.py` files, memoised."""

    def __init__(self) -> None:
        self._cache: dict[str, str | None] = {}

    def of_dir(self, directory: str) -> str | None:
        """Dotted name of `directory` if it is a package, else None."""
        chain: list[str] = []
        here = directory
        result: str | None = None
        while True:
            if here in self._cache:
                result = self._cache[here]
                break
            name = os.path.basename(here)
            if not name or not os.path.isfile(os.path.join(here, _INIT)):
                self._cache[here] = result = None
                break
            chain.append(here)
            parent = os.path.dirname(here)
            if parent == here:
                break
            here = parent
        # `chain` runs from `directory` upward; names are built top-down, so
        # the last one assigned is `directory`'s own.
        for package_dir in reversed(chain):
            name = os.path.basename(package_dir)
            result = f"{result}.{name}" if result else name
            self._cache[package_dir] = result
        return result

    def of_file(self, path: str) -> tuple[str, bool]:
        directory, name = os.path.split(path)
        package = self.of_dir(directory)
        if name == _INIT and package is not None:
            return package, True
        stem = name[:-3] if name.endswith(".py") else os.path.splitext(name)[0]
        return (f"{package}.{stem}" if package else stem), False


def module_name(path: Path) -> tuple[str, bool]:
    """Dotted module name of a Python file, from the `__init__.py` files above it.

    `src/pkg/sub/mod.py` gives ("pkg.sub.mod", False) when `pkg` and `sub`
    hold an `__init__.py`; `pkg/sub/__init__.py` gives ("pkg.sub", True); a
    file whose directory is not a package is top-level: ("manage", False).
    """
    return _Packages().of_file(os.path.abspath(path))


# ---------------------------------------------------------------------------
# The walk


class _Candidate:
    """A file found; several may share a real path."""

    __slots__ = ("is_package", "linked", "module", "path", "real")

    def __init__(self, path: str, real: str, linked: bool, module: str, is_package: bool) -> None:
        self.path = path
        self.real = real
        self.linked = linked  # reached through a symbolic link
        self.module = module
        self.is_package = is_package


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
        stack: tuple[tuple[str, IgnoreRules], ...],
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


def _os_message(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (too many levels of symbolic links)"
    if exc.errno == errno.ENOENT:
        return "no such file or directory"
    return (exc.strerror or exc.__class__.__name__).lower()


def _rel_under(path: str, base: str) -> str | None:
    """`path` relative to `base` with '/' separators, or None if outside."""
    if path == base:
        return ""
    prefix = base if base.endswith(os.sep) else base + os.sep
    if not path.startswith(prefix):
        return None
    rel = path[len(prefix) :]
    return rel if os.sep == "/" else rel.replace(os.sep, "/")


def _join_rel(rel: str, name: str) -> str:
    return f"{rel}/{name}" if rel else name


class _Walker:
    def __init__(self, config: Config) -> None:
        self.root = os.path.abspath(config.root)
        self.exclude = IgnoreRules(_normalise_excludes(config.all_excludes, self.root))
        self.respect_gitignore = config.respect_gitignore
        self.packages = _Packages()
        self.errors: list[tuple[Path, str]] = []
        self.candidates: list[_Candidate] = []
        self.deployment_files: list[str] = []
        self._rules_cache: dict[str, IgnoreRules | None] = {}
        self._real_dirs: dict[str, str] = {}

    # -- ignore files --------------------------------------------------------

    def _read_rules(self, path: str) -> IgnoreRules | None:
        if path in self._rules_cache:
            return self._rules_cache[path]
        rules: IgnoreRules | None = None
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            pass
        except OSError as exc:
            self.errors.append((Path(path), f"cannot read ignore file: {_os_message(exc)}"))
        else:
            # surrogateescape: patterns then compare equal to undecodable names.
            text = raw.decode("utf-8", "surrogateescape").lstrip("\ufeff")
            parsed = IgnoreRules(text.split("\n"))
            rules = parsed if parsed else None
        self._rules_cache[path] = rules
        return rules

    def _repo_rules(self, git_root: str) -> tuple[tuple[str, IgnoreRules], ...]:
        git_dir = _git_dir(git_root)
        if git_dir is None:
            return ()
        rules = self._read_rules(os.path.join(git_dir, "info", "exclude"))
        return (("", rules),) if rules is not None else ()

    def _initial_git(self, start: str) -> tuple[str | None, tuple[tuple[str, IgnoreRules], ...]]:
        """Git context of a walk's top directory: its path relative to the work
        tree root, and the ignore files that apply above it."""
        if not self.respect_gitignore:
            return None, ()
        git_root = _find_git_root(start)
        if git_root is None:
            return None, ()
        stack = list(self._repo_rules(git_root))
        rel = _rel_under(start, git_root) or ""
        here, base = git_root, ""
        # The top directory's own .gitignore is read when it is scanned.
        for part in rel.split("/")[:-1] if rel else []:
            rules = self._read_rules(os.path.join(here, ".gitignore"))
            if rules is not None:
                stack.append((base, rules))
            here = os.path.join(here, part)
            base = _join_rel(base, part)
        if rel:
            rules = self._read_rules(os.path.join(here, ".gitignore"))
            if rules is not None:
                stack.append((base, rules))
        return rel, tuple(stack)

    def _ignored(self, frame: _Frame, name: str, is_dir: bool) -> bool:
        if self.exclude.match(_join_rel(frame.ex_rel, name), is_dir):
            return True
        if frame.git_rel is None or not frame.stack:
            return False
        rel = _join_rel(frame.git_rel, name)
        for base, rules in reversed(frame.stack):
            verdict = rules.match(rel[len(base) + 1 :] if base else rel, is_dir)
            if verdict is not None:
                return verdict
        return False

    # -- paths ---------------------------------------------------------------

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
            self.errors.append((Path(path), _os_message(exc)))
            return
        is_link = stat.S_ISLNK(st.st_mode)
        if is_link:
            try:
                st = os.stat(path)
            except OSError as exc:
                self.errors.append((Path(path), _link_message(path, exc)))
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
        self.candidates.append(_Candidate(path, real, is_link, module, is_package))

    def walk(self, start: str) -> None:
        real = os.path.realpath(start)
        ex_rel = _rel_under(start, self.root)
        git_rel, stack = self._initial_git(start)
        top = _Frame(
            path=start,
            real=real,
            is_link=False,
            linked=False,
            ex_rel=ex_rel if ex_rel is not None else "",
            git_rel=git_rel,
            stack=stack,
            parent_package=self.packages.of_dir(os.path.dirname(start)),
        )
        visited = {real}
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
                if _is_within(link_parent_real, frame.real):
                    self.errors.append(
                        (
                            Path(frame.path),
                            "symbolic link loop: points to an enclosing directory "
                            f"'{display_path(frame.real)}'",
                        )
                    )
                    continue
                if frame.real in visited:
                    continue
                visited.add(frame.real)
            for child in self._scan(frame):
                if child.is_link:
                    counter += 1
                    heapq.heappush(deferred, (child.path, counter, child, frame.real))
                elif child.real not in visited:
                    visited.add(child.real)
                    pending.append(child)

    def _scan(self, frame: _Frame) -> list[_Frame]:
        try:
            with os.scandir(frame.path) as it:
                entries = list(it)
        except OSError as exc:
            self.errors.append((Path(frame.path), f"cannot read directory: {_os_message(exc)}"))
            return []

        git_rel, stack = frame.git_rel, frame.stack
        has_init = False
        has_gitignore = False
        for entry in entries:
            name = entry.name
            if name == _INIT:
                has_init = entry.is_file()
            elif name == ".gitignore":
                has_gitignore = True
            elif name == ".git" and self.respect_gitignore and git_rel != "":
                # A nested repository (or submodule) has its own ignore rules.
                git_rel, stack = "", self._repo_rules(frame.path)
        if has_gitignore and git_rel is not None:
            rules = self._read_rules(os.path.join(frame.path, ".gitignore"))
            if rules is not None:
                stack = (*stack, (git_rel, rules))
        # Frames are not shared, so updating this one in place is safe.
        frame.git_rel, frame.stack = git_rel, stack

        name = os.path.basename(frame.path)
        package: str | None = None
        if has_init:
            package = f"{frame.parent_package}.{name}" if frame.parent_package else name

        children: list[_Frame] = []
        for entry in entries:
            name = entry.name
            is_link = entry.is_symlink()
            if is_link:
                try:
                    mode = os.stat(entry.path).st_mode
                except OSError as exc:
                    if not name.startswith(".#") and not self._ignored(frame, name, False):
                        # Emacs lock files (.#name) are dangling links by design.
                        self.errors.append((Path(entry.path), _link_message(entry.path, exc)))
                    continue
                is_dir = stat.S_ISDIR(mode)
                is_file = stat.S_ISREG(mode)
            else:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = (
                    not is_dir and name.endswith(".py") and entry.is_file(follow_symlinks=False)
                )
            if is_dir:
                if name == ".git" or self._ignored(frame, name, True):
                    continue
                child_real = (
                    os.path.realpath(entry.path) if is_link else os.path.join(frame.real, name)
                )
                children.append(
                    _Frame(
                        path=entry.path,
                        real=child_real,
                        is_link=is_link,
                        linked=frame.linked or is_link,
                        ex_rel=_join_rel(frame.ex_rel, name),
                        git_rel=None if git_rel is None else _join_rel(git_rel, name),
                        stack=stack,
                        parent_package=package,
                    )
                )
            elif is_file and name.endswith(".py"):
                if self._ignored(frame, name, False):
                    continue
                if name == _INIT and package is not None:
                    module, is_package = package, True
                else:
                    stem = name[:-3]
                    module, is_package = (f"{package}.{stem}" if package else stem), False
                real = os.path.realpath(entry.path) if is_link else os.path.join(frame.real, name)
                self.candidates.append(
                    _Candidate(entry.path, real, frame.linked or is_link, module, is_package)
                )
            elif not is_dir and is_deployment_file(name) and not self._ignored(frame, name, False):
                self.deployment_files.append(entry.path)
        return children


def _is_within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(
        directory if directory.endswith(os.sep) else directory + os.sep
    )


def _link_message(path: str, exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        try:
            target = os.readlink(path)
        except OSError:
            return "broken symbolic link"
        return f"broken symbolic link to '{display_path(target)}'"
    return _os_message(exc)


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


def _normalise_excludes(patterns: Iterable[str], root: str) -> list[str]:
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
    return out


def discover(paths: Sequence[Path], config: Config) -> Discovery:
    """The Python files to analyze under `paths`, and what could not be read.

    Directories are walked with the configured excludes and .gitignore
    applied; files named explicitly are kept even when excluded. Every real
    file appears once, under its path without symbolic links when it has one.
    """
    walker = _Walker(config)
    seen: set[str] = set()
    for given in paths:
        path = os.path.abspath(given)
        if path in seen:
            continue
        seen.add(path)
        walker.add_path(path)

    best: dict[str, _Candidate] = {}
    for cand in walker.candidates:
        current = best.get(cand.real)
        if current is None or (cand.linked, cand.path) < (current.linked, current.path):
            best[cand.real] = cand
    chosen = sorted(best.values(), key=lambda c: c.path)
    files = [SourceFile(Path(c.path), c.module, c.is_package) for c in chosen]
    errors = sorted(set(walker.errors), key=lambda e: (str(e[0]), e[1]))
    return Discovery(files=files, errors=errors, deployment_files=sorted(walker.deployment_files))
