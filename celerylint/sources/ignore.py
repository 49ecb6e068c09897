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
    """One gitignore line -> (regex, negated, directory-only), or None."""
    line = line.rstrip("\r")
    if not line or line.startswith("#"):
        return None
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        stripped += " "  # "foo\ " keeps its escaped trailing space
    pattern = stripped
    negated = pattern.startswith("!")
    if negated:
        pattern = pattern[1:]
    dir_only = pattern.endswith("/")
    pattern = pattern.rstrip("/")
    if not pattern:
        return None
    anchored = "/" in pattern
    segments = [seg for seg in pattern.split("/") if seg]
    if not segments:
        return None
    parts: list[str] = []
    last = len(segments) - 1
    for index, seg in enumerate(segments):
        if seg == "**":
            parts.append(".*" if index == last else "(?:.*/)?")
        else:
            parts.append(_translate_segment(seg) + ("" if index == last else "/"))
    body = "".join(parts)
    if not anchored:
        body = "(?:.*/)?" + body
    return body, negated, dir_only


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
                out.append(re.escape(c))
            else:
                out.append(_translate_class(seg[i + 1 : end]))
                i = end
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(seg[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _class_end(seg: str, start: int) -> int | None:
    k = start + 1
    n = len(seg)
    if k < n and seg[k] in "!^":
        k += 1
    if k < n and seg[k] == "]":
        k += 1
    while k < n:
        c = seg[k]
        if c == "\\":
            k += 2
            continue
        if c == "[" and seg.startswith("[:", k):
            close = seg.find(":]", k + 2)
            if close != -1:
                k = close + 2
                continue
        if c == "]":
            return k
        k += 1
    return None


_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "digit": "0-9",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


def _translate_class(body: str) -> str:
    negate = bool(body) and body[0] in "!^"
    if negate:
        body = body[1:]
    # (text, kind) tokens: "raw" and "esc" are single characters ("\\-" is an
    # escaped dash, never a range), "cls" is an already translated [:name:].
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c == "\\" and i + 1 < n:
            tokens.append((body[i + 1], "esc"))
            i += 2
            continue
        if c == "[" and body.startswith("[:", i):
            close = body.find(":]", i + 2)
            if close != -1:
                tokens.append((_POSIX_CLASSES.get(body[i + 2 : close], ""), "cls"))
                i = close + 2
                continue
        tokens.append((c, "raw"))
        i += 1
    out: list[str] = []
    k = 0
    while k < len(tokens):
        text, kind = tokens[k]
        if (
            kind != "cls"
            and k + 2 < len(tokens)
            and tokens[k + 1] == ("-", "raw")
            and tokens[k + 2][1] != "cls"
        ):
            out.append(f"{re.escape(text)}-{re.escape(tokens[k + 2][0])}")
            k += 3
            continue
        out.append(text if kind == "cls" else re.escape(text))
        k += 1
    inner = "".join(out)
    # Like git's wildmatch in path mode, a class never matches '/'.
    if negate:
        return f"[^/{inner}]"
    return f"(?!/)[{inner}]" if inner else "(?!)"
