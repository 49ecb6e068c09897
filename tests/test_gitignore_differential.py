"""The gitignore matcher in `celerylint.sources.ignore` agrees with git itself.

celerylint keeps its own matcher (faster than pathspec), so this compares it
with `git ls-files --others --exclude-standard` on one temporary repository
holding many independent cases: each case is a directory with its own
`.gitignore` (patterns there are relative to it, as for any nested ignore
file), sometimes a deeper `.gitignore` too, and files whose names are made of
the characters patterns treat specially. Every `.py` file git lists as not
ignored must be exactly what `discover()` returns, and the other way round.

Hand-written cases pin the corners of gitignore(5) and of git's wildmatch
(negation, anchoring, `dir/`, `**`, classes, escapes, trailing spaces);
generated cases (a fixed seed, so every run checks the same ones) combine them.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from celerylint.config import Config
from celerylint.sources.discover import discover

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
    pytest.mark.skipif(os.name == "nt", reason="file names with \\ * ? : are POSIX-only"),
]

Case = tuple[dict[str, str], list[str]]  # (ignore files by path, files) relative to the case

# (ignore files, files): each a corner where a matcher can differ from git.
HAND_CASES: list[Case] = [
    # negation, order, and no re-inclusion under an excluded directory
    ({".gitignore": "*.py\n!keep.py\n"}, ["a.py", "keep.py", "d/keep.py", "d/b.py"]),
    ({".gitignore": "!keep.py\n*.py\n"}, ["keep.py", "a.py"]),
    ({".gitignore": "d/\n!d/keep.py\n"}, ["d/keep.py", "d/x.py", "e/d/x.py"]),
    ({".gitignore": "d/*\n!d/keep.py\n"}, ["d/keep.py", "d/x.py"]),
    ({".gitignore": "*\n!*/\n!*.py\n"}, ["a.py", "d/b.py", "d/e/c.py"]),
    ({".gitignore": "**\n!*.py\n"}, ["a.py", "d/b.py"]),
    ({".gitignore": "\\!bang.py\n"}, ["!bang.py", "bang.py"]),
    ({".gitignore": "\\#hash.py\n#comment.py\n"}, ["#hash.py", "comment.py", "#comment.py"]),
    # anchoring: a slash at the start or in the middle, not at the end
    ({".gitignore": "/top.py\n"}, ["top.py", "d/top.py"]),
    ({".gitignore": "d/x.py\n"}, ["d/x.py", "e/d/x.py"]),
    ({".gitignore": "x.py\n"}, ["x.py", "d/x.py", "d/e/x.py"]),
    ({".gitignore": "build/\n"}, ["build/a.py", "src/build/b.py", "buildx/c.py"]),
    ({".gitignore": "/build/\n"}, ["build/a.py", "src/build/b.py"]),
    ({".gitignore": "x.py/\n"}, ["x.py/in.py", "d/x.py"]),
    ({".gitignore": "d//\n"}, ["d/a.py"]),
    ({".gitignore": "//d\n"}, ["d/a.py"]),
    ({".gitignore": "a//b\n"}, ["a/b/x.py", "a/b.py"]),
    ({".gitignore": "/\n"}, ["a.py"]),
    # ** in every position
    ({".gitignore": "**/gen.py\n"}, ["gen.py", "a/gen.py", "a/b/gen.py"]),
    ({".gitignore": "a/**/b\n"}, ["a/b/x.py", "a/c/b/x.py", "a/c/d/b/y.py", "a/b.py"]),
    ({".gitignore": "a/**\n"}, ["a/x.py", "a/b/y.py", "a.py"]),
    ({".gitignore": "/**/x.py\n"}, ["x.py", "d/x.py"]),
    ({".gitignore": "a**b/\n"}, ["axxb/x.py", "ax/yb/x.py"]),
    ({".gitignore": "***.py\n"}, ["a.py", "d/a.py"]),
    ({".gitignore": "d/**/\n"}, ["d/x.py", "d/e/y.py"]),
    ({".gitignore": "/****/x.py\n"}, ["x.py", "d/x.py", "d/e/x.py"]),
    # git compares the literal head first, so a `**` right after it acts as a leading `**`
    ({".gitignore": "/a**/b.py\n"}, ["ab.py", "a/x/b.py", "axy/b.py", "c/ab.py"]),
    ({".gitignore": "/a**\n"}, ["ab/x.py", "a/y.py", "ba/z.py"]),
    ({".gitignore": "d/e**/\n"}, ["d/e/x.py", "d/ef/y.py", "d/f/z.py"]),
    # wildcards never cross a slash
    ({".gitignore": "a?b.py\na*c.py\n"}, ["a-b.py", "ab.py", "a/b.py", "axxc.py", "a/c.py"]),
    ({".gitignore": "d/*.py\n"}, ["d/a.py", "d/e/a.py"]),
    # character classes
    ({".gitignore": "*.py[co]\n"}, ["a.pyc/x.py", "a.pyo/x.py", "a.pyd/x.py"]),
    ({".gitignore": "[a-c].py\n"}, ["a.py", "b.py", "d.py", "-.py"]),
    ({".gitignore": "[!a]x.py\n[^b]y.py\n"}, ["ax.py", "bx.py", "by.py", "cy.py"]),
    ({".gitignore": "[]]x.py\n[]-a]y.py\n"}, ["]x.py", "ax.py", "^y.py", "by.py", "]y.py"]),
    ({".gitignore": "[a-]x.py\n[a-c-e].py\n"}, ["-x.py", "ax.py", "bx.py", "-.py", "d.py"]),
    ({".gitignore": "[a\\-c].py\n[\\]]x.py\n"}, ["b.py", "-.py", "a.py", "]x.py", "\\x.py"]),
    ({".gitignore": "[[:digit:]x].py\n"}, ["1.py", "x.py", "y.py"]),
    ({".gitignore": "[[:alpha:]][[:upper:]].py\n"}, ["aB.py", "ab.py", "1B.py"]),
    ({".gitignore": "[[:punct:]]p.py\n[[:space:]]s.py\n"}, ["!p.py", "ap.py", " s.py", "as.py"]),
    ({".gitignore": "[[:foo:]x].py\n"}, ["x.py", "y.py"]),  # unknown class: matches nothing
    ({".gitignore": "[[:alph:]].py\n[[:]x.py\n"}, ["a.py", "[x.py", ":x.py"]),
    ({".gitignore": "[z-ab].py\n[b-a]q.py\n"}, ["a.py", "b.py", "z.py", "aq.py", "bq.py"]),
    ({".gitignore": "a[b.py\n"}, ["a[b.py", "ab.py"]),  # unclosed: matches nothing
    ({".gitignore": "[a/b]x.py\n"}, ["a/bx.py", "ax.py", "d/ax.py"]),
    ({".gitignore": "\\[a].py\n"}, ["[a].py", "a.py"]),
    # escapes and trailing spaces
    ({".gitignore": "sp.py   \n"}, ["sp.py", "sp.py .py"]),
    ({".gitignore": "sp\\ \n"}, ["sp /x.py", "sp/x.py"]),
    ({".gitignore": "sp\\  \n"}, ["sp /x.py", "sp  /x.py"]),
    ({".gitignore": "bs\\\\ \n"}, ["bs\\/x.py", "bs\\ /x.py"]),
    ({".gitignore": "d\\\n"}, ["d\\/x.py", "d/x.py"]),  # dangling backslash: matches nothing
    ({".gitignore": "e\\/f\n"}, ["e/f/x.py", "e\\/f/x.py"]),
    ({".gitignore": "\\a\\*.py\n"}, ["a*.py", "ab.py"]),
    ({".gitignore": " lead.py\n"}, [" lead.py", "lead.py"]),
    # nested ignore files: relative to their directory, deeper ones win
    ({".gitignore": "*.py\n", "d/.gitignore": "!x.py\n"}, ["x.py", "d/x.py", "d/y.py"]),
    ({".gitignore": "!x.py\n", "d/.gitignore": "x.py\n"}, ["x.py", "d/x.py", "d/e/x.py"]),
    ({"d/.gitignore": "/x.py\ne/\n"}, ["x.py", "d/x.py", "d/f/x.py", "d/e/y.py", "e/y.py"]),
    ({".gitignore": "d/e/\n", "d/.gitignore": "!e/\n"}, ["d/e/x.py"]),
]

# Names made of the characters gitignore patterns treat specially.
NAMES = [
    "a", "b", "x", "ab", "A", "1", "-", "^", ":", "]", "[a]", "a[b", "!a", "#a", "a b", "a ",
    " a", "a\\", "a*", "a?", "a.b", "x.pyc", "build", "a]b", "{a}",
]  # fmt: skip
ATOMS = [
    "a", "b", "x", "ab", "A", "1", ".", "-", " ", "!", "#", "\\", "\\ ", "\\*", "\\[", "[", "]",
    "*", "**", "?", "/", ":", "^", ".py", "py", "build", "[a-c]", "[!a]", "[^b]", "[z-a]", "[]a]",
    "[a-]", "[[:alpha:]]", "[[:digit:]]", "[[:punct:]]", "[[:space:]]", "[[:upper:]]", "[[:foo:]]",
    "[:alpha:]", "[/]", "**/", "/**",
]  # fmt: skip


def _pattern(rng: random.Random) -> str:
    text = "".join(rng.choice(ATOMS) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.2:
        text = "!" + text
    if rng.random() < 0.2:
        text = "/" + text
    if rng.random() < 0.2:
        text += "/"
    if rng.random() < 0.15:
        text += " " * rng.randint(1, 2)
    return text


def _path(rng: random.Random) -> str:
    dirs = [rng.choice(NAMES) for _ in range(rng.randint(0, 2))]
    return "/".join([*dirs, rng.choice(NAMES) + ".py"])


def _generated_cases(seed: int, count: int) -> list[Case]:
    rng = random.Random(seed)
    cases: list[Case] = []
    for _ in range(count):
        files = sorted({_path(rng) for _ in range(rng.randint(3, 10))})
        ignores = {".gitignore": "".join(_pattern(rng) + "\n" for _ in range(rng.randint(1, 4)))}
        dirs = sorted({f.rsplit("/", 1)[0] for f in files if "/" in f})
        if dirs and rng.random() < 0.5:
            nested = rng.choice(dirs) + "/.gitignore"
            ignores[nested] = "".join(_pattern(rng) + "\n" for _ in range(rng.randint(1, 3)))
        cases.append((ignores, files))
    return cases


GIT_ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


def _git(root: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "-c", f"core.excludesFile={os.devnull}", *args],
        cwd=root,
        env=GIT_ENV,
        check=True,
        capture_output=True,
    ).stdout


def _mismatches(root: Path, cases: list[Case], info_exclude: str = "") -> list[str]:
    """Write every case under root/cNNNN/, then compare git's verdicts with discover()'s."""
    _git(root, "init", "-q", "--template=")
    (root / ".git" / "info").mkdir(parents=True, exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text(info_exclude, encoding="utf-8")
    for index, (ignores, files) in enumerate(cases):
        base = root / f"c{index:04d}"
        for rel in files:
            path = base / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
        for rel, text in ignores.items():
            path = base / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    listed = _git(root, "ls-files", "-z", "--others", "--exclude-standard")
    by_git = {name for name in os.fsdecode(listed).split("\0") if name.endswith(".py")}
    config = Config(root=root, config_file=None).with_overrides(exclude=())
    result = discover([root], config)
    assert result.errors == []
    by_us = {Path(f.path).relative_to(root).as_posix() for f in result.files}

    problems = []
    for index, (ignores, _files) in enumerate(cases):
        prefix = f"c{index:04d}/"
        git_kept = {p[len(prefix) :] for p in by_git if p.startswith(prefix)}
        our_kept = {p[len(prefix) :] for p in by_us if p.startswith(prefix)}
        if git_kept != our_kept:
            problems.append(
                f"{ignores!r}: git keeps only {sorted(git_kept - our_kept)}, "
                f"celerylint keeps only {sorted(our_kept - git_kept)}"
            )
    return problems


def test_hand_written_cases_agree_with_git(tmp_path: Path) -> None:
    problems = _mismatches(tmp_path, HAND_CASES)
    if problems:
        pytest.fail(f"{len(problems)} of {len(HAND_CASES)} cases differ:\n" + "\n".join(problems))


def test_generated_cases_agree_with_git(tmp_path: Path) -> None:
    cases = _generated_cases(seed=20240611, count=400)
    problems = _mismatches(tmp_path, cases)
    if problems:  # pytest.fail: a long list makes assertion rewriting slow
        pytest.fail(f"{len(problems)} of {len(cases)} cases differ:\n" + "\n".join(problems))


def test_info_exclude_and_gitignore_agree_with_git(tmp_path: Path) -> None:
    """`.git/info/exclude` applies below every .gitignore, which can re-include."""
    cases: list[Case] = [
        ({}, ["a.py", "skip.py", "d/skip.py", "gen/x.py"]),
        ({".gitignore": "!skip.py\n"}, ["skip.py", "d/skip.py", "gen/x.py"]),
    ]
    problems = _mismatches(tmp_path, cases, info_exclude="skip.py\n/c0001/gen/\n")
    assert not problems, "\n".join(problems)


def test_the_comparison_sees_a_difference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness itself can fail: a matcher that ignores nothing disagrees."""
    import celerylint.sources.ignore as discovery

    monkeypatch.setattr(discovery.IgnoreRules, "match", lambda self, rel, is_dir: None)
    problems = _mismatches(tmp_path, [({".gitignore": "*.py\n"}, ["a.py"])])
    assert problems == [
        "{'.gitignore': '*.py\\n'}: git keeps only [], celerylint keeps only ['a.py']"
    ]
