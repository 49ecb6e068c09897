"""The console script answers `--version` and `rule NAME` before importing the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
