from __future__ import annotations

import os
from pathlib import Path

import pytest

from celerylint.config import DEFAULT_EXCLUDE, Config, ConfigError, display_path, load_config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def pyproject(directory: Path, body: str) -> Path:
    return write(directory / "pyproject.toml", "[tool.celerylint]\n" + body)


def load_error(directory: Path, body: str) -> str:
    pyproject(directory, body)
    with pytest.raises(ConfigError) as info:
        load_config(None, directory)
    message = str(info.value)
    assert "\n" not in message
    return message


# -- finding the file ---------------------------------------------------------


def test_no_config_anywhere_uses_start_dir(tmp_path: Path) -> None:
    start = tmp_path / "a" / "b"
    start.mkdir(parents=True)
    config = load_config(None, start)
    assert config.config_file is None
    assert config.root == start
    assert config.select == ()
    assert config.exclude == DEFAULT_EXCLUDE
    assert config.cache_dir == start / ".celerylint_cache"


def test_search_upward_finds_table(tmp_path: Path) -> None:
    found = pyproject(tmp_path, 'select = ["CL101"]\n')
    start = tmp_path / "pkg" / "sub"
    start.mkdir(parents=True)
    config = load_config(None, start)
    assert config.config_file == found
    assert config.root == tmp_path
    assert config.select == ("CL101",)


def test_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    found = pyproject(tmp_path, 'ignore = ["CL102"]\n')
    write(tmp_path / "svc" / "pyproject.toml", "[tool.black]\nline-length = 100\n")
    config = load_config(None, tmp_path / "svc")
    assert config.config_file == found
    assert config.root == tmp_path
    assert config.ignore == ("CL102",)


def test_pyproject_mentioning_us_only_in_another_tool_is_skipped(tmp_path: Path) -> None:
    found = pyproject(tmp_path, "")
    write(tmp_path / "svc" / "pyproject.toml", '[project]\nname = "celerylint-plugin"\n')
    assert load_config(None, tmp_path / "svc").config_file == found


def test_pyproject_without_table_is_no_root(tmp_path: Path) -> None:
    # A service's own pyproject.toml (for packaging, black...) does not cut the
    # project in two: the repository is the root.
    (tmp_path / ".git").mkdir()
    write(tmp_path / "svc" / "pyproject.toml", "[tool.black]\n")
    start = tmp_path / "svc" / "pkg"
    start.mkdir()
    config = load_config(None, start)
    assert config.config_file is None
    assert config.root == tmp_path


def test_configuration_above_the_git_root_is_not_used(tmp_path: Path) -> None:
    pyproject(tmp_path, 'select = ["CL1"]\n')
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    config = load_config(None, tmp_path / "repo")
    assert config.config_file is None
    assert config.root == tmp_path / "repo"
    assert config.select == ()


def test_git_root_is_fallback(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    start = tmp_path / "a" / "b"
    start.mkdir(parents=True)
    config = load_config(None, start)
    assert config.root == tmp_path
    assert config.cache_dir == tmp_path / ".celerylint_cache"


def test_git_file_counts_as_git_root(tmp_path: Path) -> None:
    # worktrees and submodules have a `.git` file, not a directory
    write(tmp_path / ".git", "gitdir: /elsewhere\n")
    (tmp_path / "a").mkdir()
    assert load_config(None, tmp_path / "a").root == tmp_path


def test_start_may_be_a_file(tmp_path: Path) -> None:
    found = pyproject(tmp_path, "")
    module = write(tmp_path / "pkg" / "mod.py", "")
    assert load_config(None, module).config_file == found


def test_unrelated_broken_pyproject_is_skipped(tmp_path: Path) -> None:
    found = pyproject(tmp_path, "")
    write(tmp_path / "svc" / "pyproject.toml", "[tool.black\nline-length = \n")
    assert load_config(None, tmp_path / "svc").config_file == found


def test_broken_pyproject_mentioning_us_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", "[tool.celerylint]\nselect = [\n")
    with pytest.raises(ConfigError) as info:
        load_config(None, tmp_path)
    assert str(info.value).startswith(f"{path}:")
    assert "invalid TOML" in str(info.value)


# -- values -------------------------------------------------------------------

FULL = """\
select = ["CL1"]
ignore = ["CL102", "pickle-accepted"]
extend-select = ["CL9"]
exclude = ["migrations"]
extend-exclude = ["tests/fixtures/*"]
task-decorators = ["myproj.tasks.job"]
django-settings-module = "proj.settings"
respect-gitignore = false
cache-dir = ".cache/cl"

[tool.celerylint.per-file-ignores]
"tests/*.py" = ["CL101"]
"settings/*.py" = ["CL2", "CL3"]

[tool.celerylint.services]
billing = ["web.celery:app", "worker.celery:app", "web.celery:app"]
mail = ["mail.app:celery"]

[tool.celerylint.fix]
time-limit = 120
soft-time-limit = 100
max-retries = 0
"""


def test_every_key(tmp_path: Path) -> None:
    pyproject(tmp_path, FULL)
    config = load_config(None, tmp_path)
    assert config.select == ("CL1",)
    assert config.ignore == ("CL102", "pickle-accepted")
    assert config.extend_select == ("CL9",)
    assert config.exclude == ("migrations",)
    assert config.extend_exclude == ("tests/fixtures/*",)
    assert config.all_excludes == ("migrations", "tests/fixtures/*")
    assert config.task_decorators == ("myproj.tasks.job",)
    assert config.django_settings_module == "proj.settings"
    assert config.respect_gitignore is False
    assert config.cache_dir == tmp_path / ".cache" / "cl"
    assert config.per_file_ignores == (
        ("tests/*.py", ("CL101",)),
        ("settings/*.py", ("CL2", "CL3")),
    )
    # order kept, duplicates dropped
    assert config.services == (
        ("billing", ("web.celery:app", "worker.celery:app")),
        ("mail", ("mail.app:celery",)),
    )
    assert (config.fix_time_limit, config.fix_soft_time_limit, config.fix_max_retries) == (
        120,
        100,
        0,
    )
    hash(config)  # frozen and made of tuples: usable as a cache key


def test_defaults(tmp_path: Path) -> None:
    pyproject(tmp_path, "")
    config = load_config(None, tmp_path)
    assert config == Config(
        root=tmp_path,
        config_file=tmp_path / "pyproject.toml",
        cache_dir=tmp_path / ".celerylint_cache",
    )
    assert ".venv" in config.exclude and "node_modules" in config.exclude
    assert (config.fix_time_limit, config.fix_soft_time_limit, config.fix_max_retries) == (
        300,
        240,
        5,
    )


def test_extend_exclude_keeps_defaults(tmp_path: Path) -> None:
    pyproject(tmp_path, 'extend-exclude = ["gen"]\n')
    config = load_config(None, tmp_path)
    assert config.all_excludes == (*DEFAULT_EXCLUDE, "gen")


def test_absolute_cache_dir(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    pyproject(tmp_path, f'cache-dir = "{target.as_posix()}"\n')
    assert load_config(None, tmp_path).cache_dir == target


def test_dotted_table_spelling(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[tool]\ncelerylint.select = ["CL1"]\ncelerylint.fix.max-retries = 2\n',
    )
    config = load_config(None, tmp_path)
    assert config.select == ("CL1",)
    assert config.fix_max_retries == 2


def test_bom_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes("\ufeff[tool.celerylint]\nselect = []\n".encode())
    assert load_config(None, tmp_path).config_file is not None


# -- errors -------------------------------------------------------------------


def test_unknown_key_with_suggestion(tmp_path: Path) -> None:
    message = load_error(tmp_path, 'selct = ["CL1"]\n')
    assert message == (
        f"{tmp_path / 'pyproject.toml'}: [tool.celerylint] selct: unknown key; "
        "did you mean 'select'?"
    )


def test_snake_case_key_suggests_kebab(tmp_path: Path) -> None:
    message = load_error(tmp_path, 'extend_select = ["CL1"]\n')
    assert "extend_select: unknown key; did you mean 'extend-select'?" in message


def test_unknown_key_without_suggestion(tmp_path: Path) -> None:
    message = load_error(tmp_path, "frobnicate = 1\n")
    assert message.endswith("[tool.celerylint] frobnicate: unknown key")


def test_unknown_fix_key(tmp_path: Path) -> None:
    message = load_error(tmp_path, "[tool.celerylint.fix]\ntime_limit = 10\n")
    assert "fix.time_limit: unknown key; did you mean 'fix.time-limit'?" in message


def test_unknown_subtable_is_unknown_key(tmp_path: Path) -> None:
    message = load_error(tmp_path, "[tool.celerylint.lint]\nselect = []\n")
    assert "[tool.celerylint] lint: unknown key" in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('select = "CL101"\n', 'select: expected an array of strings, got a string ("CL101")'),
        ("ignore = [1]\n", "ignore[0]: expected a string, got an integer (1)"),
        ('exclude = "build"\n', "exclude: expected an array of strings"),
        ("extend-exclude = {a = 1}\n", "extend-exclude: expected an array of strings, got a table"),
        ('respect-gitignore = "yes"\n', "respect-gitignore: expected a boolean"),
        ('django-settings-module = ["x"]\n', "django-settings-module: expected a string"),
        (
            'django-settings-module = "proj/settings.py"\n',
            "django-settings-module: expected a dotted name like 'proj.settings'",
        ),
        (
            'task-decorators = ["my-proj.job"]\n',
            "task-decorators[0]: expected a dotted name like 'myproj.tasks.job'",
        ),
        ("cache-dir = 5\n", "cache-dir: expected a non-empty path string, got an integer"),
        ('cache-dir = ""\n', "cache-dir: expected a non-empty path string"),
        ('per-file-ignores = ["a"]\n', "per-file-ignores: expected a table of pattern"),
        (
            '[tool.celerylint.per-file-ignores]\n"tests/*.py" = "CL101"\n',
            'per-file-ignores."tests/*.py": expected an array of strings, got a string',
        ),
        ('services = ["web:app"]\n', "services: expected a table of group"),
        (
            '[tool.celerylint.services]\nbilling = ["web.celery"]\n',
            "services.billing[0]: expected an app reference 'module:variable' like "
            "'proj.celery:app', got \"web.celery\"",
        ),
        (
            '[tool.celerylint.services]\nbilling = ["web.celery:app.x"]\n',
            "services.billing[0]: expected an app reference",
        ),
        (
            '[tool.celerylint.services]\nbilling = [":app"]\n',
            "services.billing[0]: expected an app reference",
        ),
        ("[tool.celerylint.services]\nbilling = []\n", "services.billing: expected at least one"),
        (
            '[tool.celerylint.services]\nbilling = "web:app"\n',
            "services.billing: expected an array",
        ),
        ("fix = true\n", "fix: expected a table with time-limit, soft-time-limit, max-retries"),
        (
            "[tool.celerylint.fix]\ntime-limit = -1\n",
            "fix.time-limit: must be positive, got -1",
        ),
        (
            "[tool.celerylint.fix]\ntime-limit = 0\n",
            "fix.time-limit: must be positive, got 0",
        ),
        (
            "[tool.celerylint.fix]\ntime-limit = true\n",
            "fix.time-limit: expected a positive integer, got a boolean (true)",
        ),
        (
            "[tool.celerylint.fix]\ntime-limit = 1.5\n",
            "fix.time-limit: expected a positive integer, got a float (1.5)",
        ),
        (
            "[tool.celerylint.fix]\nmax-retries = -1\n",
            "fix.max-retries: must be non-negative, got -1",
        ),
        (
            "[tool.celerylint.fix]\ntime-limit = 60\nsoft-time-limit = 60\n",
            "fix.soft-time-limit: must be less than the time limit (60), got 60",
        ),
        (
            "[tool.celerylint.fix]\nsoft-time-limit = 301\n",
            "fix.soft-time-limit: must be less than the time limit (300), got 301",
        ),
        (
            "[tool.celerylint.fix]\ntime-limit = 200\n",
            "fix.time-limit: must be greater than the default soft time limit (240)",
        ),
    ],
)
def test_wrong_types(tmp_path: Path, body: str, expected: str) -> None:
    message = load_error(tmp_path, body)
    assert message.startswith(f"{tmp_path / 'pyproject.toml'}: [tool.celerylint] ")
    assert expected in message


def test_table_itself_must_be_a_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool]\ncelerylint = "on"\n')
    with pytest.raises(ConfigError, match=r"\[tool\.celerylint\]: expected a table, got a string"):
        load_config(None, tmp_path)


def test_long_or_multiline_values_stay_on_one_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, 'select = """CL1\nCL2\n"""\n')
    assert "\n" not in message
    assert '"CL1\\nCL2\\n"' in message


def test_malformed_toml_has_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[tool.celerylint]\nselect = ["CL1",\nignore = 3\n')
    with pytest.raises(ConfigError) as info:
        load_config(None, tmp_path)
    message = str(info.value)
    assert message.startswith(f"{path}:3:")
    assert ": invalid TOML: " in message
    assert "(at line" not in message
    assert "\n" not in message


def test_duplicate_key_is_malformed(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", "[tool.celerylint]\nselect = []\nselect = []\n")
    with pytest.raises(ConfigError, match="invalid TOML") as info:
        load_config(None, tmp_path)
    assert str(info.value).startswith(f"{path}:3:")


def test_non_utf8_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b'[tool.celerylint]\nselect = ["\xff"]\n')
    with pytest.raises(ConfigError) as info:
        load_config(None, tmp_path)
    assert str(info.value) == (
        f"{tmp_path / 'pyproject.toml'}:2:12: invalid TOML: not UTF-8 (byte 0xff)"
    )


# -- --config -----------------------------------------------------------------


def test_explicit_standalone_file(tmp_path: Path) -> None:
    pyproject(tmp_path, 'select = ["IGNORED"]\n')
    explicit = write(
        tmp_path / "conf" / "celerylint.toml", 'select = ["CL1"]\n[fix]\nmax-retries = 3\n'
    )
    config = load_config(explicit, tmp_path)
    assert config.config_file == explicit
    assert config.root == tmp_path  # --config chooses the configuration, not the root
    assert config.select == ("CL1",)
    assert config.fix_max_retries == 3


def test_explicit_standalone_file_errors_have_no_section(tmp_path: Path) -> None:
    explicit = write(tmp_path / "celerylint.toml", "[tool.celerylint]\nselect = []\n")
    with pytest.raises(ConfigError) as info:
        load_config(explicit, tmp_path)
    assert str(info.value) == f"{explicit}: tool: unknown key"


def test_explicit_pyproject(tmp_path: Path) -> None:
    explicit = pyproject(tmp_path / "other", 'select = ["CL7"]\n')
    config = load_config(explicit, tmp_path)
    assert config.select == ("CL7",)
    assert config.root == tmp_path


def test_explicit_pyproject_without_table_gives_defaults(tmp_path: Path) -> None:
    explicit = write(tmp_path / "pyproject.toml", "[tool.black]\n")
    config = load_config(explicit, tmp_path)
    assert config.config_file == explicit
    assert config.select == ()


def test_explicit_relative_path_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "celerylint.toml", "")
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("celerylint.toml"), Path("."))
    assert config.config_file == tmp_path / "celerylint.toml"
    assert config.root.is_absolute()


def test_explicit_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(missing, tmp_path)
    assert str(info.value) == f"{missing}: cannot read: No such file or directory"


def test_explicit_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path, tmp_path)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root ignores file permissions",
)
def test_unreadable_file(tmp_path: Path) -> None:
    path = pyproject(tmp_path, "")
    path.chmod(0)
    try:
        with pytest.raises(ConfigError, match="cannot read: Permission denied"):
            load_config(None, tmp_path)
    finally:
        path.chmod(0o644)


# -- overrides and helpers ----------------------------------------------------


def test_with_overrides(tmp_path: Path) -> None:
    config = Config(root=tmp_path, config_file=None)
    changed = config.with_overrides(select=["CL1", "CL2"], respect_gitignore=False)
    assert changed.select == ("CL1", "CL2")
    assert changed.respect_gitignore is False
    assert config.select == ()
    with pytest.raises(TypeError):
        config.with_overrides(no_such_field=1)
    with pytest.raises(AttributeError):
        config.select = ("x",)  # type: ignore[misc]


def test_effective_cache_dir(tmp_path: Path) -> None:
    assert Config(root=tmp_path, config_file=None).effective_cache_dir == (
        tmp_path / ".celerylint_cache"
    )


def test_display_path_renders_undecodable_names() -> None:
    name = os.fsdecode(b"caf\xe9.toml")
    shown = display_path(Path(name))
    assert shown == "caf\ufffd.toml"
    shown.encode("utf-8")


def test_error_for_undecodable_config_name_renders(tmp_path: Path) -> None:
    missing = tmp_path / os.fsdecode(b"caf\xe9.toml")
    with pytest.raises(ConfigError) as info:
        load_config(missing, tmp_path)
    str(info.value).encode("utf-8")
    assert "caf\ufffd.toml: cannot read" in str(info.value)


def test_unreadable_file_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The permission test above cannot run as root; this one runs everywhere.
    import celerylint.config as config_module

    path = pyproject(tmp_path, "")

    def denied(file: object, *args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied", str(file))

    monkeypatch.setattr(config_module, "open", denied, raising=False)
    with pytest.raises(ConfigError) as info:
        load_config(None, tmp_path)
    assert str(info.value) == f"{path}: cannot read: Permission denied"
