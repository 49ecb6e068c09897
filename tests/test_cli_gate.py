"""The CLI as a CI gate: paths, roots, exit codes and fix reports that can be trusted.

Each test runs the real command line (`celerylint.cli.main`) on a small project.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from celerylint.cli import main
from celerylint.rules import cl101_pickle_accepted

CELERY_APP = """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
app.conf.accept_content = ["json", "pickle"]
app.conf.task_time_limit = 300
"""

TASKS = "from proj.celery import app\n\n\n@app.task(time_limit=10)\ndef work():\n    return 1\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def project(root: Path) -> Path:
    """A git work tree with one finding (CL101 in proj/celery.py)."""
    (root / ".git").mkdir(parents=True)
    return write(
        root, {"proj/__init__.py": "", "proj/celery.py": CELERY_APP, "proj/tasks.py": TASKS}
    )


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict], str]:
    code = main(["check", "--no-cache", "--output-format", "json", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def codes(findings: list[dict]) -> list[tuple[str, str]]:
    return [(Path(f["filename"]).name, f["code"]) for f in findings]


# -- 1. paths with `..` ------------------------------------------------------------


@pytest.mark.parametrize(
    ("cwd", "given", "expected"),
    [
        ("proj", "..", [("celery.py", "CL101")]),
        ("proj", "../proj", [("celery.py", "CL101")]),
        (".", "proj/../proj/celery.py", [("celery.py", "CL101")]),
        (".", "proj/../proj/tasks.py", []),
    ],
)
def test_paths_with_dot_dot_are_checked(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    cwd: str,
    given: str,
    expected: list[tuple[str, str]],
) -> None:
    project(tmp_path)
    monkeypatch.chdir(tmp_path / cwd)
    code, findings, _ = run_json(capsys, given)
    assert codes(findings) == expected
    assert code == (1 if expected else 0)


# -- 2. missing paths and empty directories --------------------------------------------


def test_missing_path_next_to_a_valid_one_exits_2_and_checks_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, findings, err = run_json(capsys, "nonexistent", "proj/tasks.py")
    assert code == 2
    assert findings == []
    assert "celerylint: error: nonexistent: no such file or directory" in err
    code, findings, err = run_json(capsys, "nonexistent", "proj/celery.py")
    assert code == 2
    assert codes(findings) == [("celery.py", "CL101")]


def test_directory_without_python_files_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path)
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    code, findings, err = run_json(capsys, "empty")
    assert (code, findings) == (0, [])
    assert f"warning: {tmp_path / 'empty'}: no Python files found" in err
    code, findings, err = run_json(capsys, "empty", "proj")
    assert code == 1 and codes(findings) == [("celery.py", "CL101")]
    assert "no Python files found" in err and "proj: no Python" not in err


# -- 3. a fix that cannot be written --------------------------------------------------

PICKLE_ONLY_ACCEPTED = CELERY_APP.replace(
    "app.conf.task_time_limit = 300\n",
    'app.conf.task_serializer = "json"\napp.conf.result_serializer = "json"\n'
    "app.conf.task_time_limit = 300\n",
)


@pytest.mark.parametrize("extra", [[], ["--exit-zero"]])
def test_fix_that_cannot_be_written_is_not_fixed_and_exits_1(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: list[str],
) -> None:
    from celerylint import fixer

    project(tmp_path)
    config = tmp_path / "proj" / "celery.py"
    config.write_text(PICKLE_ONLY_ACCEPTED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def immutable(source: str, target: str) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(fixer.os, "replace", immutable)
    argv = ["check", "--no-cache", "--fix", "--unsafe-fixes", "--show-fixes", *extra]
    code = main([*argv, "--output-format", "concise"])
    out, err = capsys.readouterr()
    assert code == 1
    assert config.read_text(encoding="utf-8") == PICKLE_ONLY_ACCEPTED
    assert f"celerylint: error: {config}: not fixed: cannot write: Operation not permitted" in err
    # The finding is still there, as the file on disk still has it; nothing is "Fixed".
    assert out.splitlines()[0].startswith("proj/celery.py:4:36: CL101 ")
    assert "Fixed" not in out and "All checks passed!" not in out


# -- 6. fixes that edit another file than the finding's ---------------------------------

NO_LIMITS_APP = 'from celery import Celery\n\napp = Celery("proj", broker="redis://r:6379/0")\n'
TWO_TASKS = (
    "from proj.celery import app\n\n\n@app.task\ndef a():\n    return 1\n\n\n"
    "@app.task\ndef b():\n    return 2\n"
)


def cross_file_project(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    return write(
        root, {"proj/__init__.py": "", "proj/celery.py": NO_LIMITS_APP, "proj/tasks.py": TWO_TASKS}
    )


def test_show_fixes_names_the_file_changed_and_counts_the_findings_fixed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cross_file_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    argv = ["check", "--no-cache", "--select", "CL201", "--fix", "--unsafe-fixes"]
    assert main([*argv, "--show-fixes", "--output-format", "concise"]) == 0
    out = capsys.readouterr().out
    # One global setting in celery.py fixed both tasks' findings in tasks.py.
    assert out == (
        "Fixed 2 errors:\n"
        "- proj/celery.py:\n"
        "    1 \u00d7 CL201 (missing-time-limit), for proj/tasks.py\n"
        "\n"
        "All checks passed!\n"
    )
    assert (tmp_path / "proj" / "tasks.py").read_text(encoding="utf-8") == TWO_TASKS
    assert "task_time_limit = 300" in (tmp_path / "proj" / "celery.py").read_text("utf-8")


def test_summary_counts_findings_fixed_by_a_cross_file_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cross_file_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    argv = ["check", "--no-cache", "--select", "CL201", "--fix", "--unsafe-fixes"]
    assert main([*argv, "--output-format", "concise"]) == 0
    assert capsys.readouterr().out == "All checks passed!\nFixed 2 errors.\n"


def test_json_keeps_ruffs_fix_schema_and_puts_cross_file_fixes_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cross_file_project(tmp_path)
    write(tmp_path, {"proj/retry.py": RETRY_TASK})
    code, findings, _ = run_json(capsys, "--select", "CL201,CL401", str(tmp_path))
    assert code == 1
    by_code = {(f["code"], Path(f["filename"]).name): f for f in findings}
    # Same-file fix: exactly ruff's schema, edits without a file name.
    same = by_code[("CL401", "retry.py")]
    assert same["cross_file_fix"] is None
    assert [set(edit) for edit in same["fix"]["edits"]] == [{"content", "location", "end_location"}]
    # Cross-file fix: nothing a ruff consumer could apply to tasks.py; all of it apart.
    cross = by_code[("CL201", "tasks.py")]
    assert cross["fix"] is None
    assert cross["cross_file_fix"]["applicability"] == "unsafe"
    assert [edit["filename"] for edit in cross["cross_file_fix"]["edits"]] == [
        str(tmp_path / "proj" / "celery.py")
    ]


RETRY_TASK = (
    "from proj.celery import app\n\n\n@app.task(time_limit=5, max_retries=None)\n"
    "def r():\n    raise r.retry()\n"
)


def test_full_format_help_names_the_file_a_fix_edits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cross_file_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-cache", "--select", "CL201", "--color", "never"]) == 1
    out = capsys.readouterr().out
    assert "= help: Add a global `task_time_limit = 300` (in proj/celery.py) (unsafe)" in out


# -- 7. a fix that would introduce a new finding ----------------------------------------

PICKLE_SENT = CELERY_APP.replace(
    "app.conf.task_time_limit = 300\n",
    'app.conf.task_serializer = "pickle"\napp.conf.task_time_limit = 300\n',
)


def test_fix_that_would_introduce_a_finding_is_reverted_and_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # CL101 offers no fix while the app sends pickle (`_may_send_pickle`); made blind to
    # that here, it stands for a rule that misses what its fix breaks.
    monkeypatch.setattr(cl101_pickle_accepted, "_may_send_pickle", lambda *args: False)
    project(tmp_path)
    config = tmp_path / "proj" / "celery.py"
    config.write_text(PICKLE_SENT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    argv = ["check", "--no-cache", "--fix", "--unsafe-fixes", "--output-format", "concise"]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    # Removing pickle from accept_content while tasks are sent as pickle would make
    # every message refused (CL102): the fix is not applied, and says why.
    assert config.read_text(encoding="utf-8") == PICKLE_SENT
    assert "CL102" not in out
    assert [line.split(" ")[:2] for line in out.splitlines()[:2]] == [
        ["proj/celery.py:4:36:", "CL101"],
        ["proj/celery.py:5:28:", "CL101"],
    ]
    assert "fix for CL101 at line 4 not applied: it would introduce CL102 at" in err
    # Not offered as fixable any more in this run.
    assert "fixable" not in out


# -- 4. one project root, whatever the paths given ---------------------------------------

WEB_APP = """\
from celery import Celery

app = Celery("web", broker="amqp://guest@rabbit:5672//")
app.conf.task_serializer = "msgpack"
app.conf.accept_content = ["json", "msgpack"]
app.conf.task_time_limit = 300
"""
WORKER_APP = """\
from celery import Celery

app = Celery("worker", broker="amqp://guest@rabbit:5672//")
app.conf.task_time_limit = 300
"""


def monorepo(root: Path) -> Path:
    """Two services with their own (packaging) pyproject.toml, one broker: web sends
    msgpack, which the worker refuses (CL103, a cross-service finding)."""
    (root / ".git").mkdir(parents=True)
    return write(
        root,
        {
            "web/pyproject.toml": '[project]\nname = "web"\n',
            "web/web/__init__.py": "",
            "web/web/celery.py": WEB_APP,
            "worker/pyproject.toml": '[project]\nname = "worker"\n',
            "worker/worker/__init__.py": "",
            "worker/worker/celery.py": WORKER_APP,
        },
    )


@pytest.mark.parametrize("given", [[], ["web"], ["web/web/celery.py"], ["web", "worker"]])
def test_root_does_not_depend_on_the_paths_given(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    given: list[str],
) -> None:
    monorepo(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, findings, _ = run_json(capsys, *given)
    assert (code, codes(findings)) == (1, [("celery.py", "CL103")])


def test_config_chooses_configuration_not_the_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monorepo(tmp_path)
    write(tmp_path, {"web/pyproject.toml": '[tool.celerylint]\nselect = ["CL1"]\n'})
    monkeypatch.chdir(tmp_path)
    code, findings, _ = run_json(capsys, "--config", "web/pyproject.toml")
    assert (code, codes(findings)) == (1, [("celery.py", "CL103")])
    assert main(["check", "--config", "web/pyproject.toml", "--show-settings"]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert f"root = {json.dumps(str(tmp_path))}" in shown
    assert f"config-file = {json.dumps(str(tmp_path / 'web' / 'pyproject.toml'))}" in shown
    assert 'select = ["CL1"]' in shown


def test_configuration_above_the_repository_is_not_the_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.celerylint]\n", "stray/celery_tasks.py": "x = 1\n"})
    repo = project(tmp_path / "repo")
    monkeypatch.chdir(repo)
    assert main(["check", "--show-settings"]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert f"root = {json.dumps(str(repo))}" in shown
    assert "config-file = null" in shown
    code, findings, _ = run_json(capsys)
    assert (code, codes(findings)) == (1, [("celery.py", "CL101")])


def test_show_settings_prints_root_configuration_and_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monorepo(tmp_path)
    write(tmp_path, {"pyproject.toml": '[tool.celerylint]\nextend-exclude = ["legacy"]\n'})
    monkeypatch.chdir(tmp_path / "web")
    assert main(["check", "--select", "CL1", "--ignore", "CL102", "--show-settings"]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert f"root = {json.dumps(str(tmp_path))}" in shown
    assert f"config-file = {json.dumps(str(tmp_path / 'pyproject.toml'))}" in shown
    assert 'extend-exclude = ["legacy"]' in shown
    assert 'rules = ["CL101", "CL103", "CL104"]' in shown


# -- 5. --force-exclude --------------------------------------------------------------------


def test_force_exclude_applies_excludes_to_files_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path)
    write(tmp_path, {"pyproject.toml": '[tool.celerylint]\nextend-exclude = ["proj/celery.py"]\n'})
    monkeypatch.chdir(tmp_path)
    code, findings, _ = run_json(capsys, "proj/celery.py")
    assert (code, codes(findings)) == (1, [("celery.py", "CL101")])
    assert run_json(capsys, "--force-exclude", "proj/celery.py")[:2] == (0, [])


def test_pre_commit_hooks_force_exclude() -> None:
    import yaml

    hooks = yaml.safe_load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text())
    assert all("--force-exclude" in hook["entry"].split() for hook in hooks)


# -- 8. GitHub annotations --------------------------------------------------------------------


def test_github_paths_are_relative_to_the_repository_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path)
    monkeypatch.chdir(tmp_path / "proj")
    assert main(["check", "--no-cache", "--output-format", "github", "."]) == 1
    assert capsys.readouterr().out.startswith(
        "::error title=celerylint (CL101),file=proj/celery.py,line=4,"
    )


def test_github_paths_outside_git_are_absolute(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"proj/__init__.py": "", "proj/celery.py": CELERY_APP})
    monkeypatch.chdir(tmp_path / "proj")
    assert main(["check", "--no-cache", "--output-format", "github", "."]) == 1
    expected = f"::error title=celerylint (CL101),file={tmp_path / 'proj' / 'celery.py'},"
    assert capsys.readouterr().out.startswith(expected)


UNBOUNDED_RETRIES = (
    "from proj.celery import app\n\n\n@app.task(time_limit=10, max_retries=None)\n"
    "def r():\n    raise r.retry()\n"
)


# -- 9. repeated selection flags ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--select", "CL101", "--select", "CL401"], {"CL101", "CL401"}),
        (["--select", "CL1,CL4", "--ignore", "CL101", "--ignore", "CL401"], set()),
        (["--select", "CL5", "--extend-select", "CL101", "--extend-select", "CL401"], None),
    ],
)
def test_repeated_selection_flags_add_up(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
    expected: set[str] | None,
) -> None:
    project(tmp_path)
    write(tmp_path, {"proj/tasks.py": UNBOUNDED_RETRIES})
    monkeypatch.chdir(tmp_path)
    _, findings, _ = run_json(capsys, *flags)
    assert {f["code"] for f in findings} == (
        expected if expected is not None else {"CL101", "CL401"}
    )


# -- 10. color, statistics, inspect, symbolic links ----------------------------------------------


def run_on_a_terminal(argv: list[str], cwd: Path, env: dict[str, str]) -> bytes:
    """The real console script's output on a pseudo-terminal."""
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    script = "import sys; from celerylint.cli import run; sys.argv[0] = 'celerylint'; run()"
    proc = subprocess.run(
        [sys.executable, "-c", script, *argv],
        cwd=cwd,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env=env,
        timeout=120,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.returncode == 1
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("flags", "env", "escapes"),
    [
        ([], {"TERM": "xterm"}, True),
        ([], {"NO_COLOR": "1", "TERM": "xterm"}, False),
        (["--color", "never"], {}, False),
        (["--no-color"], {}, False),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
    ],
)
def test_color_on_a_terminal(
    tmp_path: Path, flags: list[str], env: dict[str, str], escapes: bool
) -> None:
    project(tmp_path)
    plain = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    out = run_on_a_terminal(["check", "--no-cache", *flags], tmp_path, {**plain, **env})
    assert b"CL101" in out
    assert (b"\x1b[" in out) is escapes


def test_color_always_when_piped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path)
    assert main(["check", "--no-cache", "--color", "always", str(tmp_path)]) == 1
    assert "\x1b[" in capsys.readouterr().out


def test_statistics_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path)
    other = UNBOUNDED_RETRIES.replace("r()", "s()").replace("r.retry", "s.retry")
    write(tmp_path, {"proj/tasks.py": UNBOUNDED_RETRIES + other})
    code, table, _ = run_json(capsys, "--statistics", str(tmp_path))
    assert code == 1
    assert table == [
        {"code": "CL401", "name": "unbounded-retries", "count": 2, "fixable": False},
        {"code": "CL101", "name": "pickle-accepted", "count": 1, "fixable": False},
    ]


def test_inspect_missing_path_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "/nonexistent/celerylint/project"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "celerylint: error: /nonexistent/celerylint/project: no such file or directory\n"
    )


def test_broken_links_warn_only_when_they_may_hold_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(tmp_path)
    for name, target in {
        "notes.txt": "/nowhere/notes.txt",
        "socket.sock": "/run/nothing.sock",
        "module.py": "/nowhere/module.py",
        "vendored": "/nowhere/package",
    }.items():
        (tmp_path / name).symlink_to(target)
    _, _, err = run_json(capsys, str(tmp_path))
    warned = sorted(Path(line.split(": ")[2]).name for line in err.splitlines())
    assert warned == ["module.py", "vendored"]


# -- docs/ci.md: every outcome and its exit code ------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "files", "argv", "expected"),
    [
        ("no findings", {}, ["--select", "CL5"], 0),
        ("findings", {}, [], 1),
        ("findings, --exit-zero", {}, ["--exit-zero"], 0),
        ("fix: everything fixed", {}, ["--select", "CL101", "--fix", "--unsafe-fixes"], 0),
        (
            "fix: everything fixed, --exit-non-zero-on-fix",
            {},
            ["--select", "CL101", "--fix", "--unsafe-fixes", "--exit-non-zero-on-fix"],
            1,
        ),
        ("fix: findings remain", {}, ["--select", "CL101", "--fix"], 1),
        ("fix: findings remain, --exit-zero", {}, ["--select", "CL101", "--fix", "--exit-zero"], 0),
        ("diff: something to fix", {}, ["--select", "CL101", "--diff", "--unsafe-fixes"], 1),
        ("diff: nothing to fix", {}, ["--select", "CL101", "--diff"], 0),
        ("missing path", {}, ["proj", "missing.py"], 2),
        ("missing path, --exit-zero", {}, ["--exit-zero", "proj", "missing.py"], 2),
        ("directory without Python files", {"docs/index.md": "x"}, ["docs"], 0),
        ("invalid configuration", {"pyproject.toml": "[tool.celerylint]\nselekt = 1\n"}, [], 2),
        ("unknown selector", {}, ["--select", "CL999"], 2),
        ("show settings", {}, ["--show-settings"], 0),
    ],
)
def test_every_outcome_has_its_documented_exit_code(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    outcome: str,
    files: dict[str, str],
    argv: list[str],
    expected: int,
) -> None:
    project(tmp_path)
    write(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-cache", *argv]) == expected, outcome


def test_ci_table_lists_write_failures_and_internal_errors() -> None:
    # Both rows are driven by tests above and below (a monkeypatched write, a broken check).
    table = (Path(__file__).parent.parent / "docs" / "ci.md").read_text(encoding="utf-8")
    assert "| `--fix`: a fix could not be written" in table
    assert "| Internal error (a bug in celerylint) | `2`" in table


def test_internal_error_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from celerylint import api, cli

    project(tmp_path)
    monkeypatch.chdir(tmp_path)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "check", broken)
    monkeypatch.setattr(sys, "argv", ["celerylint", "check", "--no-cache"])
    with pytest.raises(SystemExit) as exited:
        cli.run()
    assert exited.value.code == 2
    assert "celerylint: internal error: RuntimeError: boom" in capsys.readouterr().err
