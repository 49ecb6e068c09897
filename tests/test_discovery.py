from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import celerylint.sources.discover as discover_module
import celerylint.sources.ignore_files as ignore_files_module
from celerylint.config import Config, display_path
from celerylint.sources.discover import Discovery, discover
from celerylint.sources.ignore import IgnoreRules
from celerylint.sources.modules import SourceFile, module_name

needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
as_root = hasattr(os, "geteuid") and os.geteuid() == 0


def make(base: Path, *names: str, text: str = "") -> None:
    """Create files (names ending in '/' are directories)."""
    for name in names:
        path = base / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


def git_repo(base: Path, gitignore: str | None = None) -> None:
    (base / ".git" / "info").mkdir(parents=True, exist_ok=True)
    if gitignore is not None:
        (base / ".gitignore").write_text(gitignore, encoding="utf-8")


def cfg(root: Path, **kw: object) -> Config:
    return Config(root=root, config_file=None).with_overrides(**kw)


def rels(result: Discovery, base: Path) -> list[str]:
    return [Path(f.path).relative_to(base).as_posix() for f in result.files]


def run(base: Path, *paths: Path, **kw: object) -> list[str]:
    result = discover(list(paths) or [base], cfg(base, **kw))
    assert result.errors == []
    return rels(result, base)


# -- basics and module names --------------------------------------------------


def test_finds_only_python_files_sorted(tmp_path: Path) -> None:
    make(tmp_path, "b.py", "a.py", "pkg/__init__.py", "pkg/z.py", "notes.txt", "a.pyi", "c.pyc")
    make(tmp_path, "pkg/data.py/")  # a directory named like a module is walked, not a file
    make(tmp_path, "pkg/data.py/inner.py")
    assert run(tmp_path) == ["a.py", "b.py", "pkg/__init__.py", "pkg/data.py/inner.py", "pkg/z.py"]


def test_paths_are_absolute_and_not_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, "proj/mod.py")
    monkeypatch.chdir(tmp_path / "proj")
    result = discover([Path(".")], cfg(tmp_path / "proj"))
    assert result.files == [SourceFile(str(tmp_path / "proj" / "mod.py"), "mod", False)]


def test_module_names(tmp_path: Path) -> None:
    make(
        tmp_path,
        "manage.py",
        "proj/__init__.py",
        "proj/settings/__init__.py",
        "proj/settings/base.py",
        "proj/celery.py",
        "scripts/run.py",
        "proj/nopkg/helper.py",
    )
    result = discover([tmp_path], cfg(tmp_path))
    got = {
        Path(f.path).relative_to(tmp_path).as_posix(): (f.module, f.is_package)
        for f in result.files
    }
    assert got == {
        "manage.py": ("manage", False),
        "proj/__init__.py": ("proj", True),
        "proj/celery.py": ("proj.celery", False),
        "proj/settings/__init__.py": ("proj.settings", True),
        "proj/settings/base.py": ("proj.settings.base", False),
        "scripts/run.py": ("run", False),
        # a directory without __init__.py starts a new top level
        "proj/nopkg/helper.py": ("helper", False),
    }
    for f in result.files:
        assert module_name(Path(f.path)) == (f.module, f.is_package)


def test_src_layout(tmp_path: Path) -> None:
    make(tmp_path, "src/pkg/__init__.py", "src/pkg/mod.py", "src/pkg/sub/__init__.py")
    result = discover([tmp_path], cfg(tmp_path))
    assert [(f.module, f.is_package) for f in result.files] == [
        ("pkg", True),
        ("pkg.mod", False),
        ("pkg.sub", True),
    ]
    assert module_name(tmp_path / "src" / "pkg" / "mod.py") == ("pkg.mod", False)


def test_walk_started_inside_package_keeps_full_module_name(tmp_path: Path) -> None:
    make(tmp_path, "pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/mod.py")
    result = discover([tmp_path / "pkg" / "sub"], cfg(tmp_path))
    assert [f.module for f in result.files] == ["pkg.sub", "pkg.sub.mod"]


def test_module_name_of_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path, "pkg/__init__.py", "pkg/mod.py")
    monkeypatch.chdir(tmp_path / "pkg")
    assert module_name(Path("mod.py")) == ("pkg.mod", False)
    assert module_name(Path("__init__.py")) == ("pkg", True)


def test_init_directory_is_not_a_package_marker(tmp_path: Path) -> None:
    make(tmp_path, "pkg/__init__.py/", "pkg/mod.py")
    assert module_name(tmp_path / "pkg" / "mod.py") == ("mod", False)
    assert [f.module for f in discover([tmp_path], cfg(tmp_path)).files] == ["mod"]


def test_empty_path_list(tmp_path: Path) -> None:
    make(tmp_path, "a.py")
    assert discover([], cfg(tmp_path)) == Discovery([], [])


def test_deterministic(tmp_path: Path) -> None:
    make(tmp_path, *(f"d{i % 7}/m{i}.py" for i in range(60)))
    first = discover([tmp_path], cfg(tmp_path))
    assert first == discover([tmp_path], cfg(tmp_path))
    assert [str(f.path) for f in first.files] == sorted(str(f.path) for f in first.files)


# -- explicit arguments -------------------------------------------------------


def test_explicit_files_bypass_excludes(tmp_path: Path) -> None:
    make(tmp_path, "migrations/0001.py", "build/gen.py", "notes.txt", "ok.py")
    result = run(
        tmp_path,
        tmp_path / "migrations" / "0001.py",
        tmp_path / "build" / "gen.py",
        tmp_path / "notes.txt",  # not Python: silently skipped
        extend_exclude=("migrations",),
    )
    assert result == ["build/gen.py", "migrations/0001.py"]


def test_explicit_directory_inside_excluded_tree_is_walked(tmp_path: Path) -> None:
    make(tmp_path, "build/lib/a.py", "build/lib/node_modules/b.py")
    assert run(tmp_path, tmp_path / "build" / "lib") == ["build/lib/a.py"]


def test_missing_explicit_path_is_an_error(tmp_path: Path) -> None:
    result = discover([tmp_path / "nope.py"], cfg(tmp_path))
    assert result.files == []
    assert result.errors == [(tmp_path / "nope.py", "no such file or directory")]


def test_duplicate_and_overlapping_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, "pkg/a.py", "pkg/sub/b.py")
    monkeypatch.chdir(tmp_path)
    result = discover(
        [Path("pkg"), tmp_path / "pkg", Path("pkg/sub"), Path("pkg/a.py"), Path("./pkg/a.py")],
        cfg(tmp_path),
    )
    assert rels(result, tmp_path) == ["pkg/a.py", "pkg/sub/b.py"]


# -- excludes -----------------------------------------------------------------


def test_default_excludes(tmp_path: Path) -> None:
    make(
        tmp_path,
        "app.py",
        ".venv/lib/site.py",
        "venv/x.py",
        "node_modules/pkg/x.py",
        "web/node_modules/y.py",
        "pkg/__pycache__/m.py",
        ".tox/py39/t.py",
        "dist/d.py",
        ".git/hooks/h.py",
        ".celerylint_cache/c.py",
    )
    assert run(tmp_path) == ["app.py"]


def test_exclude_replaces_defaults(tmp_path: Path) -> None:
    make(tmp_path, ".venv/x.py", "gen/y.py", ".git/hooks/h.py")
    # .git is never source, whatever `exclude` says
    assert run(tmp_path, exclude=("gen",)) == [".venv/x.py"]


@pytest.mark.parametrize(
    ("pattern", "excluded"),
    [
        ("migrations", {"app/migrations/0001.py", "migrations/m.py"}),
        ("migrations/", {"app/migrations/0001.py", "migrations/m.py"}),
        ("tests/fixtures/*", {"tests/fixtures/f.py"}),
        ("/tests", {"tests/fixtures/f.py", "tests/t.py"}),
        ("./tests", {"tests/fixtures/f.py", "tests/t.py"}),
        ("**/generated_*.py", {"generated_a.py", "app/generated_b.py"}),
        ("generated_*.py", {"generated_a.py", "app/generated_b.py"}),
        ("app/**/0001.py", {"app/migrations/0001.py"}),
        ("*.py", None),
        ("settings_?.py", {"app/settings_1.py", "app/settings_x.py"}),
        ("settings_[0-9].py", {"app/settings_1.py"}),
    ],
)
def test_exclude_patterns(tmp_path: Path, pattern: str, excluded: set[str] | None) -> None:
    every = {
        "app/migrations/0001.py",
        "migrations/m.py",
        "tests/fixtures/f.py",
        "tests/t.py",
        "other/tests/fixtures/o.py",
        "generated_a.py",
        "app/generated_b.py",
        "app/settings_1.py",
        "app/settings_x.py",
    }
    make(tmp_path, *every)
    expected = set() if excluded is None else every - excluded
    assert set(run(tmp_path, extend_exclude=(pattern,))) == expected


def test_exclude_absolute_path_pattern(tmp_path: Path) -> None:
    make(tmp_path, "gen/a.py", "b.py")
    assert run(tmp_path, extend_exclude=(str(tmp_path / "gen"),)) == ["b.py"]


def test_exclude_negation(tmp_path: Path) -> None:
    make(tmp_path, "gen/a.py", "gen/keep.py")
    assert run(tmp_path, extend_exclude=("gen/*.py", "!gen/keep.py")) == ["gen/keep.py"]


def test_exclude_is_relative_to_root_not_to_argument(tmp_path: Path) -> None:
    make(tmp_path, "svc/tests/fixtures/f.py", "svc/tests/t.py")
    got = run(tmp_path, tmp_path / "svc", extend_exclude=("svc/tests/fixtures",))
    assert got == ["svc/tests/t.py"]


def test_walk_outside_root_uses_argument_as_base(tmp_path: Path) -> None:
    make(tmp_path, "outside/node_modules/x.py", "outside/gen/y.py", "outside/z.py")
    (tmp_path / "root").mkdir()
    result = discover([tmp_path / "outside"], cfg(tmp_path / "root", extend_exclude=("/gen",)))
    assert rels(result, tmp_path) == ["outside/z.py"]


# -- .gitignore ---------------------------------------------------------------


def test_gitignore_basic(tmp_path: Path) -> None:
    git_repo(tmp_path, "*.gen.py\n/top_only.py\nsecret/\n# comment\n\nlocal_*.py\n")
    make(
        tmp_path,
        "a.py",
        "x.gen.py",
        "pkg/y.gen.py",
        "top_only.py",
        "pkg/top_only.py",
        "secret/s.py",
        "pkg/secret.py",
        "local_settings.py",
    )
    make(tmp_path, "pkg/secret", text="a file: 'secret/' only matches directories")
    assert run(tmp_path) == ["a.py", "pkg/secret.py", "pkg/top_only.py"]


def test_nested_gitignore_with_negation(tmp_path: Path) -> None:
    git_repo(tmp_path, "gen_*.py\n")
    make(tmp_path, "gen_a.py", "sub/gen_b.py", "sub/gen_keep.py", "sub/deeper/gen_keep.py")
    (tmp_path / "sub" / ".gitignore").write_text("!gen_keep.py\n", encoding="utf-8")
    assert run(tmp_path) == ["sub/deeper/gen_keep.py", "sub/gen_keep.py"]


def test_nested_gitignore_is_relative_to_its_directory(tmp_path: Path) -> None:
    git_repo(tmp_path)
    make(tmp_path, "sub/a.py", "sub/inner/a.py", "a.py")
    (tmp_path / "sub" / ".gitignore").write_text("/a.py\n", encoding="utf-8")
    assert run(tmp_path) == ["a.py", "sub/inner/a.py"]


def test_negation_cannot_reinclude_inside_ignored_directory(tmp_path: Path) -> None:
    git_repo(tmp_path, "vendor/\n!vendor/keep.py\n")
    make(tmp_path, "vendor/keep.py", "vendor/other.py", "ok.py")
    assert run(tmp_path) == ["ok.py"]


def test_negation_of_directory_contents(tmp_path: Path) -> None:
    git_repo(tmp_path, "vendor/*\n!vendor/keep.py\n")
    make(tmp_path, "vendor/keep.py", "vendor/other.py", "vendor/sub/x.py")
    assert run(tmp_path) == ["vendor/keep.py"]


def test_double_star_patterns(tmp_path: Path) -> None:
    git_repo(tmp_path, "a/**/b.py\n**/junk/\nlogs/**\n")
    make(
        tmp_path,
        "a/b.py",
        "a/x/y/b.py",
        "a/c.py",
        "x/a/b.py",
        "deep/er/junk/j.py",
        "logs/l.py",
        "logs/deep/l.py",
    )
    assert run(tmp_path) == ["a/c.py", "x/a/b.py"]


def test_info_exclude(tmp_path: Path) -> None:
    git_repo(tmp_path, "!scratch_keep.py\n")
    (tmp_path / ".git" / "info" / "exclude").write_text("scratch*.py\n", encoding="utf-8")
    make(tmp_path, "scratch.py", "scratch_keep.py", "a.py")
    # .gitignore outranks info/exclude
    assert run(tmp_path) == ["a.py", "scratch_keep.py"]


def test_gitignore_applies_when_walking_a_subdirectory(tmp_path: Path) -> None:
    git_repo(tmp_path, "*_pb2.py\nsub/gen/\n")
    make(tmp_path, "sub/inner/x_pb2.py", "sub/inner/ok.py", "sub/gen/g.py")
    (tmp_path / "sub" / ".gitignore").write_text("inner/skip.py\n", encoding="utf-8")
    make(tmp_path, "sub/inner/skip.py")
    assert run(tmp_path, tmp_path / "sub" / "inner") == ["sub/inner/ok.py"]
    assert run(tmp_path, tmp_path / "sub") == ["sub/inner/ok.py"]


def test_gitignore_found_above_config_root(tmp_path: Path) -> None:
    git_repo(tmp_path, "*_pb2.py\n")
    make(tmp_path, "svc/a_pb2.py", "svc/a.py")
    result = discover([tmp_path / "svc"], cfg(tmp_path / "svc"))
    assert rels(result, tmp_path) == ["svc/a.py"]


def test_gitignore_ignored_outside_git(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.py\n", encoding="utf-8")
    make(tmp_path, "a.py")
    assert run(tmp_path) == ["a.py"]


def test_respect_gitignore_false(tmp_path: Path) -> None:
    git_repo(tmp_path, "a.py\n")
    make(tmp_path, "a.py")
    assert run(tmp_path, respect_gitignore=False) == ["a.py"]


def test_nested_repository_has_its_own_rules(tmp_path: Path) -> None:
    git_repo(tmp_path, "*_x.py\n")
    make(tmp_path, "a_x.py", "sub/b_x.py", "sub/b_y.py")
    git_repo(tmp_path / "sub", "*_y.py\n")
    assert run(tmp_path) == ["sub/b_x.py"]


def test_gitignore_with_crlf_bom_and_trailing_spaces(tmp_path: Path) -> None:
    git_repo(tmp_path)
    (tmp_path / ".gitignore").write_bytes(b"\xef\xbb\xbfa.py\r\nb.py   \r\nc.py\\ \n")
    make(tmp_path, "a.py", "b.py", "c.py", "c.py ")
    assert run(tmp_path) == ["c.py"]


def test_gitignore_with_undecodable_bytes(tmp_path: Path) -> None:
    git_repo(tmp_path)
    (tmp_path / ".gitignore").write_bytes(b"caf\xe9.py\n")
    try:
        (tmp_path / os.fsdecode(b"caf\xe9.py")).write_text("")
    except (OSError, UnicodeError):
        pytest.skip("file system refuses non-UTF-8 names")
    make(tmp_path, "cafe.py")
    assert run(tmp_path) == ["cafe.py"]


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "expected"),
    [
        ("foo", "foo", False, True),
        ("foo", "a/b/foo", True, True),
        ("foo", "foobar", False, None),
        ("foo/", "foo", False, None),
        ("foo/", "a/foo", True, True),
        ("/foo", "a/foo", False, None),
        ("a/foo", "a/foo", False, True),
        ("a/foo", "x/a/foo", False, None),
        ("*.py", "a/b.py", False, True),
        ("a/*.py", "a/b/c.py", False, None),
        ("a?c", "abc", False, True),
        ("a?c", "a/c", False, None),
        ("**/foo", "foo", False, True),
        ("**/foo", "x/y/foo", False, True),
        ("a/**/b", "a/b", False, True),
        ("a/**/b", "a/x/y/b", False, True),
        ("a/**", "a/x/y", False, True),
        ("a/**", "a", True, None),
        ("**", "anything/at/all", False, True),
        ("a**b", "axxb", False, True),
        ("a**b", "ax/xb", False, None),
        ("[abc].py", "b.py", False, True),
        ("[!abc].py", "b.py", False, None),
        ("[!abc].py", "d.py", False, True),
        ("[^abc].py", "d.py", False, True),
        ("[a-c].py", "b.py", False, True),
        ("[a\\-c].py", "b.py", False, None),
        ("[a\\-c].py", "-.py", False, True),
        ("[]].py", "].py", False, True),
        ("[a-].py", "-.py", False, True),
        ("[[:digit:]].py", "7.py", False, True),
        ("[[:digit:]].py", "x.py", False, None),
        ("[!x]", "/", False, None),
        ("[z-a].py", "b.py", False, None),
        ("[unclosed.py", "[unclosed.py", False, None),  # git: an unclosed [ never matches
        ("\\#hash.py", "#hash.py", False, True),
        ("\\!bang.py", "!bang.py", False, True),
        ("#comment", "#comment", False, None),
        ("!foo", "foo", False, False),
        ("a.b", "axb", False, None),
        ("(x)+", "(x)+", False, True),
        ("/", "anything", True, None),
        ("a//b", "a/b", False, None),  # git: an empty segment never matches
        # names matched without a regex: literal, and stars before a literal
        ("build", "x/build", True, True),
        ("build", "x/build2", True, None),
        ("build", "x/rebuild", False, None),
        ("*.py", "a.pyc", False, None),
        ("**.log", "a/b.log", False, True),
        ("*", "a/b", False, True),
        ("*.py", ".py", False, True),
    ],
)
def test_ignore_rules(pattern: str, path: str, is_dir: bool, expected: bool | None) -> None:
    assert IgnoreRules([pattern]).match(path, is_dir) is expected


def test_ignore_rules_last_match_wins() -> None:
    rules = IgnoreRules(["*.py", "!keep*.py", "keep_not.py"])
    assert rules.match("a.py", False) is True
    assert rules.match("keep1.py", False) is False
    assert rules.match("keep_not.py", False) is True
    assert rules.match("a.txt", False) is None
    assert not IgnoreRules(["# only a comment", ""])


def test_star_matches_newline_in_names() -> None:
    assert IgnoreRules(["*.py"]).match("odd\nname.py", False) is True


# -- symbolic links -----------------------------------------------------------


@needs_symlinks
def test_symlink_loop_is_reported_once_and_terminates(tmp_path: Path) -> None:
    make(tmp_path, "pkg/__init__.py", "pkg/mod.py")
    os.symlink("..", tmp_path / "pkg" / "up")
    os.symlink(".", tmp_path / "pkg" / "self")
    result = discover([tmp_path], cfg(tmp_path))
    assert rels(result, tmp_path) == ["pkg/__init__.py", "pkg/mod.py"]
    assert [(p.relative_to(tmp_path).as_posix(), m.split(":")[0]) for p, m in result.errors] == [
        ("pkg/self", "symbolic link loop"),
        ("pkg/up", "symbolic link loop"),
    ]


@needs_symlinks
def test_symlink_to_ancestor_of_argument_is_a_loop(tmp_path: Path) -> None:
    make(tmp_path, "sibling/s.py", "proj/a.py")
    os.symlink(tmp_path, tmp_path / "proj" / "top")
    result = discover([tmp_path / "proj"], cfg(tmp_path / "proj"))
    assert rels(result, tmp_path) == ["proj/a.py"]
    assert len(result.errors) == 1
    assert result.errors[0][1].startswith("symbolic link loop")


@needs_symlinks
def test_self_referencing_link(tmp_path: Path) -> None:
    os.symlink("me", tmp_path / "me")
    result = discover([tmp_path], cfg(tmp_path))
    assert result.errors == [
        (tmp_path / "me", "symbolic link loop (too many levels of symbolic links)")
    ]


@needs_symlinks
def test_symlinked_directory_outside_tree_is_followed(tmp_path: Path) -> None:
    make(tmp_path, "shared/__init__.py", "shared/util.py", "proj/app/__init__.py")
    os.symlink(tmp_path / "shared", tmp_path / "proj" / "app" / "common")
    result = discover([tmp_path / "proj"], cfg(tmp_path / "proj"))
    assert [(Path(f.path).relative_to(tmp_path).as_posix(), f.module) for f in result.files] == [
        ("proj/app/__init__.py", "app"),
        ("proj/app/common/__init__.py", "app.common"),
        ("proj/app/common/util.py", "app.common.util"),
    ]
    assert result.errors == []


@needs_symlinks
def test_real_path_preferred_over_link(tmp_path: Path) -> None:
    make(tmp_path, "real/m.py", "real/one.py")
    os.symlink("real", tmp_path / "a_link")  # sorts before "real"
    os.symlink("real/one.py", tmp_path / "b_one.py")
    assert run(tmp_path) == ["real/m.py", "real/one.py"]


@needs_symlinks
def test_two_links_to_same_directory_visit_it_once(tmp_path: Path) -> None:
    make(tmp_path, "outside/x.py", "proj/a.py")
    os.symlink(tmp_path / "outside", tmp_path / "proj" / "l2")
    os.symlink(tmp_path / "outside", tmp_path / "proj" / "l1")
    result = discover([tmp_path / "proj"], cfg(tmp_path / "proj"))
    assert rels(result, tmp_path) == ["proj/a.py", "proj/l1/x.py"]
    assert result.errors == []


@needs_symlinks
def test_symlinked_file_to_outside(tmp_path: Path) -> None:
    make(tmp_path, "elsewhere/shared.py", "proj/a.py")
    os.symlink(tmp_path / "elsewhere" / "shared.py", tmp_path / "proj" / "shared.py")
    os.symlink(tmp_path / "elsewhere" / "shared.py", tmp_path / "proj" / "again.py")
    result = discover([tmp_path / "proj"], cfg(tmp_path / "proj"))
    assert rels(result, tmp_path) == ["proj/a.py", "proj/again.py"]


@needs_symlinks
def test_dangling_symlink_is_reported(tmp_path: Path) -> None:
    make(tmp_path, "a.py")
    os.symlink("nowhere.py", tmp_path / "gone.py")
    os.symlink("user@host.123:1", tmp_path / ".#a.py")  # an Emacs lock file
    make(tmp_path, "node_modules/")
    os.symlink("nowhere", tmp_path / "node_modules" / "dead")  # excluded: not reported
    result = discover([tmp_path], cfg(tmp_path))
    assert rels(result, tmp_path) == ["a.py"]
    assert result.errors == [(tmp_path / "gone.py", "broken symbolic link to 'nowhere.py'")]


@needs_symlinks
def test_dangling_symlink_in_gitignored_place_is_not_reported(tmp_path: Path) -> None:
    git_repo(tmp_path, "tmp_*\n")
    os.symlink("nowhere", tmp_path / "tmp_link")
    assert discover([tmp_path], cfg(tmp_path)).errors == []


@needs_symlinks
def test_explicit_dangling_symlink(tmp_path: Path) -> None:
    os.symlink("nowhere.py", tmp_path / "gone.py")
    result = discover([tmp_path / "gone.py"], cfg(tmp_path))
    assert result.files == []
    assert result.errors == [(tmp_path / "gone.py", "broken symbolic link to 'nowhere.py'")]


@needs_symlinks
def test_explicit_symlinked_file_and_its_target(tmp_path: Path) -> None:
    make(tmp_path, "real.py")
    os.symlink("real.py", tmp_path / "alias.py")
    result = discover([tmp_path / "alias.py", tmp_path / "real.py"], cfg(tmp_path))
    assert rels(result, tmp_path) == ["real.py"]  # the same file once, under its real name
    result = discover([tmp_path / "alias.py"], cfg(tmp_path))
    assert rels(result, tmp_path) == ["alias.py"]


@needs_symlinks
def test_explicit_symlinked_directory(tmp_path: Path) -> None:
    make(tmp_path, "real/pkg/__init__.py")
    os.symlink("real", tmp_path / "alias")
    result = discover([tmp_path / "alias"], cfg(tmp_path))
    assert rels(result, tmp_path) == ["alias/pkg/__init__.py"]


# -- unreadable and odd names -------------------------------------------------


@pytest.mark.skipif(as_root, reason="root ignores directory permissions")
def test_unreadable_directory(tmp_path: Path) -> None:
    make(tmp_path, "a.py", "locked/b.py")
    locked = tmp_path / "locked"
    locked.chmod(0)
    try:
        result = discover([tmp_path], cfg(tmp_path))
    finally:
        locked.chmod(0o755)
    assert rels(result, tmp_path) == ["a.py"]
    assert result.errors == [(locked, "cannot read directory: permission denied")]


def test_unreadable_directory_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Runs even as root, where the real permission test above is skipped.
    make(tmp_path, "a.py", "locked/b.py")
    locked = str(tmp_path / "locked")
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(discover_module.os, "scandir", scandir)
    result = discover([tmp_path], cfg(tmp_path))
    assert rels(result, tmp_path) == ["a.py"]
    assert result.errors == [(Path(locked), "cannot read directory: permission denied")]


def test_unreadable_gitignore_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git_repo(tmp_path, "a.py\n")
    make(tmp_path, "a.py", "b.py")
    target = str(tmp_path / ".gitignore")

    def denied(file: object, *args: object, **kwargs: object) -> object:
        if os.fspath(file) == target:  # type: ignore[call-overload]
            raise PermissionError(13, "Permission denied", file)
        return open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(ignore_files_module, "open", denied, raising=False)
    result = discover([tmp_path], cfg(tmp_path))
    assert rels(result, tmp_path) == ["a.py", "b.py"]
    assert result.errors == [(Path(target), "cannot read ignore file: permission denied")]


def test_non_utf8_file_names(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.py")
    try:
        (tmp_path / name).write_text("")
        os.mkdir(tmp_path / os.fsdecode(b"d\xff"))
    except (OSError, UnicodeError):
        pytest.skip("file system refuses non-UTF-8 names")
    result = discover([tmp_path], cfg(tmp_path))
    assert [Path(f.path).name for f in result.files] == [name]
    assert display_path(result.files[0].path).endswith("caf\ufffd.py")
    if hasattr(os, "symlink"):
        os.symlink(os.fsdecode(b"t\xe9"), tmp_path / os.fsdecode(b"dead\xe9.py"))
        result = discover([tmp_path], cfg(tmp_path))
        ((path, message),) = result.errors
        f"{display_path(path)}: {message}".encode()


# -- speed --------------------------------------------------------------------


def _tree(base: Path, packages: int, modules: int) -> int:
    count = 0
    for p in range(packages):
        pkg = base / f"pkg{p}"
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        (pkg / "data.json").write_text("")
        count += 1
        for m in range(modules):
            (pkg / f"m{m}.py").write_text("")
            count += 1
    return count


def test_no_stat_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git_repo(tmp_path, "*.gen.py\n")
    expected = _tree(tmp_path, 20, 30)
    calls: list[str] = []
    for name in ("stat", "lstat"):
        real = getattr(os, name)

        def counting(path: object, *a: object, _real: object = real, **k: object) -> object:
            calls.append(os.fspath(path))  # type: ignore[call-overload]
            return _real(path, *a, **k)  # type: ignore[operator]

        monkeypatch.setattr(os, name, counting)
    result = discover([tmp_path], cfg(tmp_path))
    assert len(result.files) == expected
    # a handful for the git root and the argument itself, none per file or directory
    assert len(calls) < 15, calls


def test_large_tree_is_fast(tmp_path: Path) -> None:
    git_repo(tmp_path, "*.gen.py\n!keep.gen.py\n")
    expected = _tree(tmp_path, 100, 49)
    discover([tmp_path], cfg(tmp_path))  # warm the OS caches
    start = time.perf_counter()
    result = discover([tmp_path], cfg(tmp_path))
    elapsed = time.perf_counter() - start
    assert len(result.files) == expected == 5000
    # the target is well under 0.2 s; the bound leaves room for slow CI machines
    assert elapsed < 1.0, f"{elapsed:.3f} s for 5,000 files"
