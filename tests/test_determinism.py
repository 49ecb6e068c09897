"""Same input, byte-identical report: whatever the number of worker processes."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from celerylint import store
from celerylint.cli import main

APP = 'from celery import Celery\n\napp = Celery("proj", broker="redis://r/0")\n'
TASK = (
    "from proj.celery import app\n\n\n"
    "@app.task(max_retries=None, autoretry_for=(Exception,))\n"
    "def work_{n}(x):\n    return x\n"
)


def report(root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    main(["check", "--no-cache", "--output-format", "json", str(root)])
    return capsys.readouterr().out


def test_parallel_and_serial_extraction_give_the_same_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    (tmp_path / "proj" / "celery.py").write_text(APP)
    files = store.PARALLEL_THRESHOLD + 20  # enough to take the process-pool path
    for n in range(files):
        (tmp_path / "proj" / f"tasks_{n}.py").write_text(TASK.format(n=n))
    forks = []
    real_parallel = store._parallel
    monkeypatch.setattr(store, "_parallel", lambda *args: forks.append(1) or real_parallel(*args))
    parallel = report(tmp_path, capsys)
    assert forks == [1]
    # The pool leaves this process's collector as it found it (the server lives on).
    assert gc.isenabled() and gc.get_freeze_count() == 0
    monkeypatch.setattr(store, "PARALLEL_THRESHOLD", 10**9)
    serial = report(tmp_path, capsys)
    assert forks == [1]
    assert parallel == serial
    assert parallel.count('"code": "CL401"') == files
