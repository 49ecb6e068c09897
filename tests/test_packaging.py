"""What the README promises about running the tests is what CI runs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def _readme_test_command() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(
        r"Run the test suite \(this is exactly what CI runs\):\s*```sh\n(?P<cmd>[^\n]+)\n```",
        readme,
    )
    assert match, "README: the test command block is missing"
    return match.group("cmd")


def test_readme_test_command_is_what_ci_runs() -> None:
    command = _readme_test_command()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in ci, f".ci/run does not run the README's command {command!r}"


def test_parallel_test_command_installs_its_runner() -> None:
    """`-n` needs pytest-xdist, so the test extra the command installs must carry it."""
    command = _readme_test_command()
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    test_extra = pyproject["project"]["optional-dependencies"]["test"]
    uses_xdist = re.search(r"(^|\s)(-n|--numprocesses)(\s|=|$)", command) is not None
    if uses_xdist:
        assert "'.[test]'" in command
        assert any(re.match(r"pytest-xdist\b", req) for req in test_extra)
    addopts = pyproject["tool"]["pytest"]["ini_options"].get("addopts", "")
    assert "-n" not in addopts.split(), "-n in addopts breaks pytest where xdist is absent"
