"""The console script answers `--version` and `rule NAME` before importing the CLI."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from celerylint import __version__

REPO = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys; sys.argv = ['celerylint', *sys.argv[1:]]\n"
        "from celerylint.entry import run\n"
        "try:\n    run()\nfinally:\n"
        "    heavy = {'argparse', 'celerylint.cli', 'celerylint.report', 'msgspec'}\n"
        "    print(sorted(heavy & set(sys.modules)), file=sys.stderr)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )


def test_version_without_the_cli() -> None:
    run = _run("--version")
    assert (run.returncode, run.stdout) == (0, f"celerylint {__version__}\n")
    assert run.stderr.strip() == "[]"


def test_rule_page_without_the_cli() -> None:
    run = _run("rule", "pickle-accepted")
    page = (REPO / "docs" / "rules" / "pickle-accepted.md").read_text(encoding="utf-8")
    assert (run.returncode, run.stdout) == (0, page)
    assert run.stderr.strip() == "[]"


def test_anything_else_goes_to_the_cli() -> None:
    unknown = _run("rule", "CL999")
    assert unknown.returncode == 2
    assert "celerylint: error: unknown rule 'CL999'" in unknown.stderr
    help_run = _run("rule", "--help")
    assert help_run.returncode == 0 and "usage: celerylint rule" in help_run.stdout


def test_msgspec_is_imported_without_typing_extensions() -> None:
    code = (
        "import sys\n"
        "from celerylint.entry import import_msgspec\n"
        "import_msgspec()\n"
        "assert 'typing_extensions' not in sys.modules, 'loaded anyway'\n"
        "from celerylint.cache import _facts_decoder, new_entry\n"
        "from celerylint.facts.schema import FileFacts\n"
        "entry = new_entry((1, 2), 'd', 'a', False, FileFacts())\n"
        "assert _facts_decoder().decode(entry.facts) == FileFacts()\n"
        "import importlib.util\n"
        "if importlib.util.find_spec('typing_extensions'):\n"
        "    import typing_extensions  # still importable afterwards\n"
        "print('ok')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout, run.stderr) == (0, "ok\n", "")


def test_a_check_leaves_with_its_code_and_all_its_output(tmp_path: Path) -> None:
    """The console script skips the interpreter's teardown: the report must still be
    flushed whole, and the exit code kept."""
    (tmp_path / "celery_app.py").write_text(
        "from celery import Celery\napp = Celery('x', broker='redis://')\n", encoding="utf-8"
    )
    for n in range(300):
        (tmp_path / f"m{n}.py").write_text(
            "from celery_app import app\n\n@app.task\ndef t():\n    pass\n", encoding="utf-8"
        )
    code = (
        "import sys; sys.argv = ['celerylint', *sys.argv[1:]]\n"
        "from celerylint.entry import run\nrun()\n"
    )
    argv = [sys.executable, "-c", code, "check", "--no-cache", "--output-format", "concise"]
    run = subprocess.run([*argv, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stdout.count("CL201") == 300, run.stderr
    assert run.stdout.endswith("\n")
    # A reader that goes away early (`| head -c 10`; JSON is more than a pipe holds):
    # no traceback, and not the 120 of a flush failing at the interpreter's exit.
    argv[-1] = "json"
    proc = subprocess.Popen([*argv, str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) in (1, 2)
    assert "Traceback" not in err and "Exception ignored" not in err, err


@pytest.mark.parametrize(("extra", "collects"), [((), False), (("--fix",), True)])
def test_only_commands_that_iterate_collect_garbage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], collects: bool
) -> None:
    """`entry.run` turns the cyclic collector off for a one-shot run; `--fix` (many checks
    in one process), the daemon and the server turn it back on."""
    from celerylint.cli import main

    (tmp_path / "m.py").write_text("x = 1\n")
    gc.disable()
    try:
        main(["check", "--no-cache", *extra, str(tmp_path)])
        assert gc.isenabled() is collects
    finally:
        gc.enable()
    capsys.readouterr()
