"""The facts cache: reused when valid, invalidated when not, safe when shared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from celerylint.cli import main

APP = """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
app.conf.task_time_limit = 60
"""
TASKS = (
    "from proj.celery import app\n\n\n@app.task(max_retries=None)\ndef a():\n    raise a.retry()\n"
)


def project(root: Path) -> Path:
    (root / "proj").mkdir(parents=True)
    (root / "proj" / "__init__.py").write_text("")
    (root / "proj" / "celery.py").write_text(APP)
    (root / "proj" / "tasks.py").write_text(TASKS)
    return root


def run(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[list, dict]:
    main(["check", "--output-format", "json", "--timings", *extra, str(root)])
    captured = capsys.readouterr()
    timings = json.loads(captured.err.strip().splitlines()[-1])
    return [(f["code"], f["location"]["row"]) for f in json.loads(captured.out)], timings


def test_warm_run_parses_nothing_and_reports_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    cold, cold_timings = run(root, capsys)
    warm, warm_timings = run(root, capsys)
    assert cold == warm == [("CL401", 4)]
    assert cold_timings["parsed"] > 0
    assert warm_timings["parsed"] == 0


def test_edited_file_is_parsed_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    run(root, capsys)
    tasks = root / "proj" / "tasks.py"
    tasks.write_text(TASKS.replace("max_retries=None", "max_retries=3"))
    # Same size, same mtime: only the content hash can tell.
    os.utime(tasks, ns=(0, 0))
    findings, timings = run(root, capsys)
    assert findings == []
    assert timings["parsed"] == 1


def test_touched_but_unchanged_file_is_not_parsed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    run(root, capsys)
    os.utime(root / "proj" / "tasks.py", ns=(10**18, 10**18))
    findings, timings = run(root, capsys)
    assert findings == [("CL401", 4)]
    assert timings["parsed"] == 0


def test_configuration_that_changes_facts_has_its_own_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    run(root, capsys)
    (root / "pyproject.toml").write_text('[tool.celerylint]\ntask-decorators = ["proj.jobs.job"]\n')
    _findings, timings = run(root, capsys)
    assert timings["parsed"] > 0
    # The old configuration's cache file is gone, not left to accumulate.
    assert len(list((root / ".celerylint_cache").glob("facts-*.json"))) == 1


def test_no_cache_neither_reads_nor_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    run(root, capsys, "--no-cache")
    assert not (root / ".celerylint_cache").exists()


def test_corrupt_cache_is_ignored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    run(root, capsys)
    for cache in (root / ".celerylint_cache").glob("facts-*.json"):
        cache.write_text('{"entries": {"x": [1, 2')
    findings, _timings = run(root, capsys)
    assert findings == [("CL401", 4)]


@pytest.mark.parametrize("facts", [{"version": -1}, "not facts", [1, 2]])
def test_an_entry_whose_facts_do_not_decode_is_parsed_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], facts: object
) -> None:
    # Facts are decoded when first asked for, file by file: a bad one costs its file only.
    root = project(tmp_path)
    run(root, capsys)
    cache_dir = root / ".celerylint_cache"
    for record in cache_dir.glob("run-*.json"):
        record.unlink()  # or the run is replayed without reading any facts
    facts_file = next(cache_dir.glob("facts-*.json"))
    data = json.loads(facts_file.read_text())
    tasks = next(path for path in data["entries"] if path.endswith("tasks.py"))
    data["entries"][tasks][5] = facts
    facts_file.write_text(json.dumps(data))
    findings, timings = run(root, capsys)
    assert findings == [("CL401", 4)]
    assert timings["parsed"] == 1


def test_concurrent_runs_share_the_cache_safely(tmp_path: Path) -> None:
    root = project(tmp_path)
    for index in range(30):
        (root / "proj" / f"mod{index}.py").write_text(TASKS.replace("def a", f"def a{index}"))
    command = [sys.executable, "-m", "celerylint", "check", "--output-format", "json", str(root)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE) for _ in range(4)]
    outputs = [process.communicate()[0] for process in runs]
    assert all(process.returncode == 1 for process in runs)
    assert len(set(outputs)) == 1
    [cache] = (root / ".celerylint_cache").glob("facts-*.json")
    json.loads(cache.read_text())  # whole, valid JSON: written by rename, never in place
    assert not list((root / ".celerylint_cache").glob("*.tmp"))


def test_a_long_lived_process_decodes_a_record_once_while_its_file_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celerylint import cache

    monkeypatch.setattr(cache, "_remembered", None)
    cache.keep_decoded()
    decoded: list[bytes] = []

    def decode(data: bytes) -> list[str]:
        decoded.append(data)
        return [data.decode()]

    record = tmp_path / "run-a.json"
    cache.save_record(record, b"one", "run-*.json", 8, ["one"])
    assert cache.read_record(record, decode) == ["one"] and decoded == []  # as written
    first = cache.read_record(record, decode)
    assert cache.read_record(record, decode) is first
    # Replaced by another process (a new inode), or rewritten in place: read again.
    other = tmp_path / "other"
    other.write_bytes(b"two")
    os.replace(other, record)
    assert cache.read_record(record, decode) == ["two"] and decoded == [b"two"]
    with open(record, "wb") as handle:
        handle.write(b"three")
    assert cache.read_record(record, decode) == ["three"]
    # Only the most recently used few are kept.
    for n in range(cache.REMEMBERED_RECORDS + 5):
        cache.save_record(tmp_path / f"run-{n}.json", b"x", "run-*.json", 100, ["x"])
    assert cache._remembered is not None and len(cache._remembered) == cache.REMEMBERED_RECORDS


def test_deferred_writes_happen_when_the_caller_runs_them(tmp_path: Path) -> None:
    from celerylint import cache

    record = tmp_path / "cache" / "run-a.json"
    with cache.writes_deferred() as writes:
        cache.save_record(record, b"data", "run-*.json", 8)
        facts = cache.FactsCache(tmp_path / "cache", "k")
        facts.store("a.py", cache.CacheEntry(1, 2, "d", "a", False, cache.NO_FACTS))
        facts.save()
    assert not record.exists() and len(writes) == 2
    for write in writes:
        write()
    assert record.read_bytes() == b"data"
    assert cache.FactsCache(tmp_path / "cache", "k").entries["a.py"].digest == "d"
    cache.save_record(record, b"now", "run-*.json", 8)  # outside: at once
    assert record.read_bytes() == b"now"


def test_a_long_lived_process_decodes_each_files_facts_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon's checks each make their own facts cache, from the one remembered
    record: a file's facts are decoded by the first and shared by the others."""
    from celerylint import cache

    root = project(tmp_path)
    run(root, capsys)
    monkeypatch.setattr(cache, "_remembered", None)
    monkeypatch.setattr(cache, "_decoded_facts", {})
    cache.keep_decoded()
    directory = root / ".celerylint_cache"
    key = next(directory.glob("facts-*.json")).stem.removeprefix("facts-")
    tasks = str(root / "proj" / "tasks.py")
    first = cache.FactsCache(directory, key).facts(tasks)
    assert first is not None and cache.FactsCache(directory, key).facts(tasks) is first
