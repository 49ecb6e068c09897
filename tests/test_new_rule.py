"""`scripts/new_rule.py` scaffolds a rule that loads, and refuses one that cannot exist."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from celerylint.ruledocs import SPEC_KEYS

REPO = Path(__file__).resolve().parent.parent
NEW_RULE = REPO / "scripts" / "new_rule.py"
GEN_DOCS = REPO / "scripts" / "gen_docs.py"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of what the scaffold reads and writes: specs, package, docs, README."""
    root = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "rules", root / "rules")
    shutil.copytree(REPO / "celerylint", root / "celerylint", ignore=ignore)
    shutil.copytree(REPO / "docs" / "rules", root / "docs" / "rules")
    shutil.copy(REPO / "README.md", root / "README.md")
    return root


def _run(script: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, cwd=cwd
    )


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_scaffolded_rule_parses_loads_and_is_catalogued(checkout: Path) -> None:
    run = _run(NEW_RULE, "--root", str(checkout), "CL904", "queue-not-consumed", cwd=checkout)
    assert run.returncode == 0, run.stdout + run.stderr

    spec = yaml.safe_load((checkout / "rules" / "queue-not-consumed.yaml").read_text())
    assert list(spec) == list(SPEC_KEYS)
    assert (spec["code"], spec["name"]) == ("CL904", "queue-not-consumed")
    flagged, clean = spec["examples"]
    assert "# expect: CL904" in flagged["files"]["proj/tasks.py"]
    assert "# expect" not in clean["files"]["proj/tasks.py"]

    # The copy's package, not this checkout's: the new module registers itself,
    # and the regenerated index knows the rule.
    probe = (
        "import celerylint, sys\n"
        f"assert celerylint.__file__.startswith({str(checkout)!r}), celerylint.__file__\n"
        "from celerylint.rules.registry import REGISTRY, load_checks\n"
        "from celerylint.rules.meta import BY_CODE\n"
        "check = load_checks()['CL904']\n"
        "assert check.__module__ == 'celerylint.rules.cl904_queue_not_consumed'\n"
        "assert REGISTRY.names['CL904'] == BY_CODE['CL904'].name == 'queue-not-consumed'\n"
        "assert list(check(None)) == []\n"
    )
    imported = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(checkout)},
    )
    assert imported.returncode == 0, imported.stderr

    stale = _run(GEN_DOCS, "--root", str(checkout), "--check", cwd=checkout)
    assert stale.returncode == 0, stale.stdout
    assert "[queue-not-consumed](docs/rules/queue-not-consumed.md)" in (
        checkout / "README.md"
    ).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("code", "name", "complaint"),
    [
        ("CL201", "brand-new-rule", "CL201 already exists"),
        ("CL904", "missing-time-limit", "missing-time-limit already exists"),
        ("CL94", "brand-new-rule", "malformed code"),
        ("cl904", "brand-new-rule", "malformed code"),
        ("CL904", "Brand_New", "malformed name"),
        ("CL904", "brand--new", "malformed name"),
    ],
)
def test_refuses_existing_or_malformed(
    checkout: Path, code: str, name: str, complaint: str
) -> None:
    before = _snapshot(checkout)
    run = _run(NEW_RULE, "--root", str(checkout), code, name, cwd=checkout)
    assert run.returncode == 2
    assert complaint in run.stderr
    assert _snapshot(checkout) == before
