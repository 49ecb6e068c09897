"""The command line as users and CI see it: exit codes, formats, errors, the hook."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Optional

import pytest

from celerylint.cli import main

REPO = Path(__file__).resolve().parent.parent

CELERY_APP = """\
from celerylint_demo_unused import nothing  # noqa: F401
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
app.conf.accept_content = ["json", "pickle"]
app.conf.task_time_limit = 300
"""

CLEAN_APP = """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
app.conf.task_time_limit = 300
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict]]:
    code = main(["check", "--no-cache", "--output-format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_findings_exit_1_and_json_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"proj/__init__.py": "", "proj/celery.py": CELERY_APP})
    code, findings = run_json(capsys, str(tmp_path))
    assert code == 1
    assert [(f["code"], f["location"]["row"]) for f in findings] == [("CL101", 5)]
    finding = findings[0]
    assert finding["rule"] == "pickle-accepted"
    assert finding["severity"] == "error"
    assert finding["filename"] == str(tmp_path / "proj" / "celery.py")
    # 1-based column of the "pickle" element.
    assert finding["location"] == {"row": 5, "column": 36}
    assert finding["end_location"] == {"row": 5, "column": 44}
    assert {"code", "message", "fix", "url", "noqa_row", "cell"} <= set(finding)


def test_clean_project_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"proj/celery.py": CLEAN_APP})
    code, findings = run_json(capsys, str(tmp_path))
    assert (code, findings) == (0, [])


def test_exit_zero_keeps_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"proj/celery.py": CELERY_APP})
    code, findings = run_json(capsys, "--exit-zero", str(tmp_path))
    assert code == 0 and len(findings) == 1


def test_select_ignore_by_code_prefix_and_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"proj/celery.py": CELERY_APP})
    assert run_json(capsys, "--select", "CL2", str(tmp_path)) == (0, [])
    assert run_json(capsys, "--ignore", "pickle-accepted", str(tmp_path)) == (0, [])
    code, findings = run_json(capsys, "--select", "CL1", str(tmp_path))
    assert code == 1 and findings[0]["code"] == "CL101"


def test_unknown_selector_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"proj/celery.py": CLEAN_APP})
    assert main(["check", "--select", "CL999", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "celerylint: error: --select: unknown rule selector 'CL999'"


def test_bad_config_key_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {"pyproject.toml": "[tool.celerylint]\nselekt = ['CL1']\n", "proj/celery.py": CLEAN_APP},
    )
    assert main(["check", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "selekt" in err[0] and "pyproject.toml" in err[0]


def test_unknown_rule_in_config_select_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {"pyproject.toml": "[tool.celerylint]\nselect = ['CL1', 'bogus']\n", "a.py": CLEAN_APP},
    )
    assert main(["check", str(tmp_path)]) == 2
    assert "unknown rule selector 'bogus'" in capsys.readouterr().err


def test_missing_path_reports_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "/nonexistent/celerylint/path"]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_parse_error_is_a_finding_and_rest_is_analyzed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {"proj/celery.py": CELERY_APP, "proj/broken_celery_tasks.py": "def oops(:\n    pass\n"},
    )
    code, findings = run_json(capsys, str(tmp_path))
    assert code == 1
    assert sorted((Path(f["filename"]).name, f["code"]) for f in findings) == [
        ("broken_celery_tasks.py", "CL000"),
        ("celery.py", "CL101"),
    ]


def test_explicit_file_reports_only_that_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The model still sees the whole project (the app in celery.py), but only
    # findings located in the named file are reported.
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": CELERY_APP.replace("app.conf.task_time_limit = 300\n", ""),
            "proj/tasks.py": (
                "from proj.celery import app\n\n@app.task\ndef work():\n    return 1\n"
            ),
        },
    )
    code, findings = run_json(capsys, str(tmp_path / "proj" / "tasks.py"))
    assert code == 1
    assert [(Path(f["filename"]).name, f["code"]) for f in findings] == [("tasks.py", "CL201")]


def test_concise_and_github_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"proj/celery.py": CELERY_APP})
    (tmp_path / ".git").mkdir()  # github paths are relative to the repository's root
    os.chdir(tmp_path)
    assert main(["check", "--no-cache", "--output-format", "concise", "."]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("proj/celery.py:5:36: CL101 [pickle-accepted] ")
    assert main(["check", "--no-cache", "--output-format", "github", "."]) == 1
    assert capsys.readouterr().out.startswith(
        "::error title=celerylint (CL101),file=proj/celery.py"
    )


def test_full_format_without_tty_has_no_escapes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"proj/celery.py": CELERY_APP})
    os.chdir(tmp_path)
    assert main(["check", "--no-cache", "."]) == 1
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    assert "proj/celery.py:5:36: CL101 [pickle-accepted]" in out
    assert 'app.conf.accept_content = ["json", "pickle"]' in out
    assert out.rstrip().splitlines()[-2:] == [
        "Found 1 error.",
        "No fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option).",
    ]


def test_statistics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"proj/celery.py": CELERY_APP})
    assert main(["check", "--no-cache", "--statistics", str(tmp_path)]) == 1
    assert capsys.readouterr().out.split() == ["1", "CL101", "pickle-accepted"]


def test_rules_and_rule_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    table = capsys.readouterr().out
    assert "CL101" in table and "missing-time-limit" in table
    assert main(["rule", "CL201"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("# missing-time-limit (CL201)")
    assert "## Why is this bad?" in page
    assert main(["rule", "no-such-rule"]) == 2


def test_cache_is_used_and_cleaned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"proj/celery.py": CELERY_APP})
    assert main(["check", "--output-format", "json", str(tmp_path)]) == 1
    first = capsys.readouterr().out
    assert (tmp_path / ".celerylint_cache").is_dir()
    assert main(["check", "--output-format", "json", str(tmp_path)]) == 1
    assert capsys.readouterr().out == first
    (tmp_path / "proj" / "celery.py").write_text(CLEAN_APP, encoding="utf-8")
    assert main(["check", "--output-format", "json", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["clean", str(tmp_path)]) == 0
    assert not (tmp_path / ".celerylint_cache").exists()


def test_version_and_module_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "celerylint", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("celerylint ")


def test_version_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from celerylint.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('libcst', 'rich', 'yaml', 'celery', 'kombu') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY=\n" in proc.stderr, proc.stderr


def test_check_does_not_import_heavy_modules(tmp_path: Path) -> None:
    write(tmp_path, {"proj/celery.py": CELERY_APP})
    # dataclasses: each @dataclass class costs about 0.5 ms to create, a msgspec Struct 0.01 ms.
    code = (
        "import sys\n"
        "from celerylint.cli import main\n"
        f"main(['check', '--no-cache', '--output-format', 'json', {str(tmp_path)!r}])\n"
        "heavy = ('libcst', 'rich', 'yaml', 'celery', 'kombu', 'dataclasses')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY=\n" in proc.stderr, proc.stderr


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pre_commit_try_repo(tmp_path: Path) -> None:
    """The published hook, installed and run by pre-commit itself."""
    pre_commit = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
    if not Path(pre_commit).exists():
        pytest.fail("pre-commit is a test dependency and must be installed")
    project = tmp_path / "project"
    write(project, {"proj/__init__.py": "", "proj/celery.py": CELERY_APP})
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("PRE_COMMIT", None)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=project,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "init")

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pre_commit, "try-repo", str(REPO), "celerylint", "--all-files"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    proc = try_repo()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "CL101 [pickle-accepted]" in proc.stdout
    (project / "proj" / "celery.py").write_text(CLEAN_APP, encoding="utf-8")
    git("add", ".")
    proc = try_repo()
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_per_file_ignores_and_suppressions_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.celerylint.per-file-ignores]\n"proj/legacy_*.py" = ["CL201"]\n'
            ),
            "proj/__init__.py": "",
            "proj/celery.py": CELERY_APP.replace("app.conf.task_time_limit = 300\n", ""),
            "proj/legacy_tasks.py": (
                "from proj.celery import app\n\n\n"
                "@app.task\ndef old():  # celerylint: ignore[CL201]\n    return 1\n"
            ),
            "proj/tasks.py": (
                "from proj.celery import app\n\n\n@app.task\ndef new():\n    return 1\n"
            ),
        },
    )
    code, findings = run_json(capsys, "--select", "CL201,CL001", str(tmp_path))
    # CL201 is off in legacy_*.py: neither the finding nor an "unused suppression".
    assert [(Path(f["filename"]).name, f["code"]) for f in findings] == [("tasks.py", "CL201")]
    assert code == 1


@pytest.mark.parametrize("columns", ["60", "120", None])
def test_help_is_argparse_s_own_with_the_terminal_looked_up_once(
    monkeypatch: pytest.MonkeyPatch, columns: Optional[str]
) -> None:
    """`_Formatter` only saves argparse's terminal lookup per argument: every help text
    is the one argparse's own formatter writes for the same terminal."""
    import argparse

    from celerylint import cli

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    cli._terminal_width.cache_clear()
    ours = cli._parser.__wrapped__()
    monkeypatch.setattr(cli, "_Formatter", argparse.HelpFormatter)
    theirs = cli._parser.__wrapped__()
    cli._terminal_width.cache_clear()

    def helps(parser: argparse.ArgumentParser) -> list[str]:
        texts = [parser.format_help()]
        for action in parser._subparsers._group_actions if parser._subparsers else ():
            texts.extend(sub.format_help() for sub in action.choices.values())
        return texts

    assert helps(ours) == helps(theirs)
    assert len(helps(ours)) == 1 + len(cli.COMMANDS)
