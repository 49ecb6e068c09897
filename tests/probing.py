"""Real Celery in a process of its own, for the tests that compare celerylint with it:
a fixture project is imported there, never in the test process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

# Imports a fixture project as a worker would and prints what Celery resolved.
PROBE = Path(__file__).resolve().parent / "celery_probe.py"
PROBE_TIMEOUT = 120

# Only what an interpreter needs to start; anything else (CELERY_BROKER_URL,
# DJANGO_SETTINGS_MODULE, ...) in the developer's shell would change what
# Celery resolves.
KEPT_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP")


def probe_environment(extra: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """This process's environment cut down to `KEPT_ENV`, with `extra`; no bytecode is
    written into the fixtures."""
    env = {key: os.environ[key] for key in KEPT_ENV if key in os.environ}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def run_script(script: str, run_in: Path, *args: str) -> Any:
    """What `python -c script *args`, started in `run_in` (which is then on `sys.path`,
    as `celery -A` started there makes it), prints, read as JSON."""
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=run_in,
        env=probe_environment({"PYTHONPATH": str(run_in)}),
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
