"""How the bench scripts find the celerylint to measure (shared by bench.py and corpus_sweep.py)."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def find_celerylint(override: str | None) -> tuple[list[str] | None, dict[str, str]]:
    env = dict(os.environ)
    # Measured as installed: a pip install leaves compiled bytecode; without it every
    # run would compile each module again (a tenth of a second on its own).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if override:
        return shlex.split(override), env
    script = Path(sys.executable).parent / "celerylint"
    if script.exists():
        return [str(script)], env
    # Not installed: run the package from this checkout.
    if (REPO_ROOT / "celerylint" / "cli.py").exists():
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
        )
        return [sys.executable, "-m", "celerylint"], env
    return None, env
