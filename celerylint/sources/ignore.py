"""The gitignore dialect: one ignore file's patterns, matched as git matches them.

Used for `.gitignore` files, `.git/info/exclude` and the configured excludes.
A pattern becomes one regular expression over '/'-separated relative paths;
the translation follows git's wildmatch (`**`, character classes with POSIX
names, escapes, trailing spaces) so that what celerylint skips is exactly
what `git check-ignore` reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["IgnoreRules"]


class IgnoreRules:
    """The patterns of one ignore file, matched against '/'-separated paths
    relative to the file's directory.

    `match` returns True (ignored), False (re-included by a `!` pattern) or
    None (no pattern matched), so that a stack of files can be consulted from
    the deepest one up, as git does.
    """

    __slots__ = (
        "_any_dir",
        "_any_dir_name",
        "_any_file",
        "_any_file_name",
        "_has_negation",
        "_regexes",
        "_rules",
    )

    def __init__(self, lines: Iterable[str]) -> None:
        rules = [parsed for parsed in map(_parse_pattern, lines) if parsed is not None]
        try:
            self._compile(rules)
        except re.error:
            # e.g. a reversed range `[z-a]`; git never matches those either.
            rules = [rule for rule in rules if _compiles(rule[0])]
            self._compile(rules)
        self._rules = tuple((body, negated, dir_only) for body, negated, dir_only, _ in rules)
        self._has_negation = any(negated for _, negated, _ in self._rules)
        # One regex per pattern only for a file with `!` patterns, once one of its
        # alternations matched (compiling each pattern took a fifth of a cold walk).
        self._regexes: list[re.Pattern[str]] | None = None

    def _compile(self, rules: list[tuple[str, bool, bool, str | None]]) -> None:
        """Two matchers answer "does anything match?" in two calls; most paths
        match nothing, so the per-pattern loop rarely runs. Patterns without a
        slash are matched against the last segment: `(?:.*/)?x` over the whole
        path tries every '/' of it in every branch (a third of a cold walk)."""
        file_bodies: list[str] = []
        dir_bodies: list[str] = []
        file_names: list[str] = []
        dir_names: list[str] = []
        for body, _negated, dir_only, name in rules:
            (dir_names if name is not None else dir_bodies).append(name or body)
            if not dir_only:
                (file_names if name is not None else file_bodies).append(name or body)
        self._any_file = _alternation(file_bodies)
        self._any_dir = _alternation(dir_bodies)
        self._any_file_name = _Names(file_names) if file_names else None
        self._any_dir_name = _Names(dir_names) if dir_names else None

    def __bool__(self) -> bool:
        return bool(self._rules)

    def match(self, rel: str, is_dir: bool) -> bool | None:
        by_name = self._any_dir_name if is_dir else self._any_file_name
        by_path = self._any_dir if is_dir else self._any_file
        if (by_name is None or not by_name.match(rel.rpartition("/")[2])) and (
            by_path is None or by_path.fullmatch(rel) is None
        ):
            return None
        if not self._has_negation:
            return True
        if self._regexes is None:
            self._regexes = [re.compile(body, re.DOTALL) for body, _, _ in self._rules]
        for regex, (_, negated, dir_only) in zip(
            reversed(self._regexes), reversed(self._rules), strict=True
        ):
            if (is_dir or not dir_only) and regex.fullmatch(rel) is not None:
                return not negated
        return None


def _compiles(body: str) -> bool:
    try:
        re.compile(body, re.DOTALL)
    except re.error:
        return False
    return True


class _Names:
    """Patterns without a slash, matched against a path's last segment: literal names
    and `*` before a literal (most lines of a .gitignore) without a regex, the others
    in one alternation. The 16-project tree's 26 .gitignore files took 24 ms to
    compile with them all in it, 14 ms so."""

    __slots__ = ("_exact", "_others", "_suffixes")

    def __init__(self, patterns: list[str]) -> None:
        exact: set[str] = set()
        suffixes: list[str] = []
        others: list[str] = []
        for pattern in patterns:
            literal = pattern.lstrip("*")
            if _WILDCARDS.isdisjoint(literal):
                if literal == pattern:
                    exact.add(pattern)
                else:  # stars before it: any text without a '/', a segment has none
                    suffixes.append(literal)
            else:
                others.append(_translate_path(pattern))
        self._exact = frozenset(exact)
        self._suffixes = tuple(suffixes)
        self._others = _alternation(others)

    def match(self, name: str) -> bool:
        return (
            name in self._exact
            or name.endswith(self._suffixes)
            or (self._others is not None and self._others.fullmatch(name) is not None)
        )


# What makes a pattern more than its literal text.
_WILDCARDS = frozenset("*?[\\")


def _alternation(bodies: list[str]) -> re.Pattern[str] | None:
    if not bodies:
        return None
    return re.compile("(?:" + "|".join(bodies) + ")", re.DOTALL)


def _parse_pattern(line: str) -> tuple[str, bool, bool, str | None] | None:
    """One gitignore line -> (regex, negated, directory-only, name), or None.

    The name, a pattern without a slash, matches (`_Names`) the last segment of
    exactly the paths the regex matches: no segment regex matches a '/' (classes
    exclude it), except a segment of stars only, which has none.

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
        name = None if _all_stars(pattern) else pattern
        return "(?:.*/)?" + _translate_path(pattern), negated, dir_only, name
    # git compares the literal head (up to the first of *?[\) on its own and
    # wildmatches the rest, where a `**` right after the head then counts as
    # a leading `**`: `/a**/b` matches `ab` and `a/x/b`.
    head_len = next((i for i, c in enumerate(pattern) if c in "*?[\\"), len(pattern))
    head, rest = pattern[:head_len], pattern[head_len:]
    stars = len(rest) - len(rest.lstrip("*"))
    if head and stars >= 2 and rest[stars : stars + 1] in ("", "/"):
        tail = rest[stars + 1 :]
        body = re.escape(head) + ("(?:.*/)?" + _translate_path(tail) if rest[stars:] else ".*")
        return body, negated, dir_only, None
    return _translate_path(pattern), negated, dir_only, None


def _all_stars(segment: str) -> bool:
    """`**` and longer: a whole segment of stars, which matches across slashes."""
    return len(segment) >= 2 and not segment.strip("*")


def _translate_path(pattern: str) -> str:
    """Segments joined by '/'; an empty segment (from `//`) stays a literal '/'."""
    segments = _split_segments(pattern)
    parts: list[str] = []
    last = len(segments) - 1
    for index, seg in enumerate(segments):
        if _all_stars(seg):  # `**` (or more stars) as a whole segment
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
