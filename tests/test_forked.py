"""The forked worker processes (`celerylint.forked`): the same results as `map`, in
order; nothing left behind when a worker fails or the caller stops reading; the
caller works in-process when no worker can be made."""

from __future__ import annotations

import gc
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from celerylint import forked, store
from celerylint.config import Config
from celerylint.sources.project import gather_sources

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")


class Point(msgspec.Struct):
    x: int


def square(n: int) -> tuple[int, str, bytes]:
    return n * n, f"n{n}", bytes([n % 256])


def as_struct(n: int) -> Point:
    return Point(n)


def fails_on_seven(n: int) -> int:
    if n == 7:
        raise ValueError("seven")
    return n


def children_of_this_process() -> list[str]:
    """Processes whose parent is this one, zombies included."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.append(entry)
    return found


@pytest.mark.parametrize(("items", "workers", "chunk"), [(100, 2, 7), (3, 4, 1), (0, 2, 5)])
def test_results_are_map_s_in_order(items: int, workers: int, chunk: int) -> None:
    assert list(forked.parallel_map(square, list(range(items)), workers, chunk)) == [
        square(n) for n in range(items)
    ]
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_objects_marshal_refuses_come_back_too() -> None:
    assert list(forked.parallel_map(as_struct, list(range(10)), 2, 3)) == [
        Point(n) for n in range(10)
    ]


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="/proc")
def test_a_failing_worker_fails_the_map_and_leaves_no_process() -> None:
    before = children_of_this_process()
    with pytest.raises(forked.WorkersFailed):
        list(forked.parallel_map(fails_on_seven, list(range(50)), 2, 2))
    assert children_of_this_process() == before
    assert gc.get_freeze_count() == 0


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="/proc")
def test_a_caller_that_stops_reading_leaves_no_process() -> None:
    before = children_of_this_process()
    results = forked.parallel_map(square, list(range(10_000)), 2, 10)
    assert next(results) == square(0)
    assert len(children_of_this_process()) == len(before) + 2
    results.close()
    assert children_of_this_process() == before


def test_workers_do_not_run_this_process_s_signal_handlers(tmp_path: Path) -> None:
    """The daemon removes its socket on SIGTERM: a worker that gets one just ends."""
    marker = tmp_path / "handled"
    previous = signal.signal(signal.SIGTERM, lambda *_: marker.write_text("handled"))
    try:
        with pytest.raises(forked.WorkersFailed):
            list(forked.parallel_map(_terminate_self, [1, 2], 2, 1))
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert not marker.exists()


def _terminate_self(n: int) -> int:
    os.kill(os.getpid(), signal.SIGTERM)
    return n


def test_the_store_works_in_process_when_no_worker_can_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(30):
        (tmp_path / f"m{n}.py").write_text(f"from celery import shared_task\nx = {n}\n")
    config = Config(root=tmp_path, config_file=None)
    files = gather_sources([tmp_path], config).files
    monkeypatch.setattr(store, "PARALLEL_THRESHOLD", 5)
    in_workers = store.FactStore(files, config, use_cache=False)
    in_workers.load()

    def no_fork() -> int:
        raise OSError("fork refused")

    monkeypatch.setattr(os, "fork", no_fork)
    here = store.FactStore(files, config, use_cache=False)
    here.load()
    assert here.facts == in_workers.facts and len(here.facts) == 30


def test_meanwhile_runs_here_while_the_workers_work(tmp_path: Path) -> None:
    # The workers wait for a file this process writes in `meanwhile`: the map could not
    # end if `meanwhile` ran after the results were collected.
    flag = tmp_path / "go"

    def wait_for_flag(n: int) -> int:
        while not flag.exists():
            os.sched_yield()
        return n

    results = forked.parallel_map(wait_for_flag, list(range(8)), 2, 2, flag.touch)
    assert list(results) == list(range(8))


def test_deployments_are_read_once_while_workers_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celerylint import pipeline

    for n in range(30):
        (tmp_path / f"m{n}.py").write_text(f"from celery import shared_task\nx = {n}\n")
    (tmp_path / "Procfile").write_text("worker: celery -A m0 worker\n")
    config = Config(root=tmp_path, config_file=None)
    monkeypatch.setattr(store, "PARALLEL_THRESHOLD", 5)
    read = pipeline.read_inputs
    calls: list[int] = []

    def counted(*args: object) -> object:
        calls.append(os.getpid())
        return read(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "read_inputs", counted)
    sources = gather_sources([tmp_path], config)
    result = pipeline.run(sources, config, lambda code: True, False, None, None)
    assert calls == [os.getpid()]
    assert result.project is not None and result.project.deployment.processes


def test_an_error_meanwhile_is_raised_where_its_result_is_asked_for() -> None:
    # As before deployments were read meanwhile: the error comes out of the model stage.
    from celerylint.pipeline import _Meanwhile

    runs: list[int] = []

    def failing() -> int:
        runs.append(1)
        raise ValueError("unreadable")

    later = _Meanwhile(failing)
    later.run()
    with pytest.raises(ValueError, match="unreadable"):
        later.result()
    assert runs == [1]


# -- Stream: workers forked before the items are all known ---------------------------


@pytest.mark.parametrize(("batches", "size", "workers"), [(200, 7, 2), (3, 1, 4), (0, 5, 2)])
def test_a_stream_gives_map_s_results_in_the_order_given(
    batches: int, size: int, workers: int
) -> None:
    # 200 batches: far more than the children may hold unfinished, submitted without
    # reading any result in between (they are read on each submit).
    stream = forked.Stream(square, workers)
    try:
        items = list(range(batches * size))
        for start in range(0, len(items), size):
            stream.submit(items[start : start + size])
        assert list(stream.results()) == [square(n) for n in items]
    finally:
        stream.close()
    assert gc.isenabled() and gc.get_freeze_count() == 0


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="/proc")
def test_a_failing_stream_worker_fails_the_results_and_leaves_no_process() -> None:
    before = children_of_this_process()
    stream = forked.Stream(fails_on_seven, 2)
    try:
        with pytest.raises((forked.WorkersFailed, OSError)):
            for start in range(0, 50, 2):
                stream.submit([start, start + 1])
            list(stream.results())
    finally:
        stream.close()
    assert children_of_this_process() == before
    assert gc.get_freeze_count() == 0


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="/proc")
def test_a_stream_closed_before_its_results_leaves_no_process() -> None:
    before = children_of_this_process()
    stream = forked.Stream(square, 2)
    stream.submit(list(range(10)))
    assert len(children_of_this_process()) == len(before) + 2
    stream.close()
    assert children_of_this_process() == before


def test_a_stream_batch_larger_than_a_pipe_holds_is_refused() -> None:
    stream = forked.Stream(len, 2)
    try:
        with pytest.raises(ValueError, match="bytes"):
            stream.submit(["x" * forked.MAX_BATCH])
    finally:
        stream.close()


def test_a_server_answers_each_batch_in_order_until_closed() -> None:
    server = forked.Server(square)
    try:
        assert server.map([3, 1, 2]) == [square(3), square(1), square(2)]
        assert server.map([]) == []
        assert server.map(list(range(300))) == [square(n) for n in range(300)]
    finally:
        server.close()
    server.close()  # once is enough


def test_a_server_sends_back_what_marshal_refuses() -> None:
    server = forked.Server(as_struct)
    try:
        assert server.map([4, 2]) == [Point(4), Point(2)]
    finally:
        server.close()


def _warm_up_here() -> None:
    os.environ["CELERYLINT_TEST_WARMED"] = str(os.getpid())


def _warmed(_item: int) -> str:
    return os.environ.get("CELERYLINT_TEST_WARMED", "")


def test_a_server_warms_up_in_its_own_process() -> None:
    server = forked.Server(_warmed, warm_up=_warm_up_here)
    try:
        [pid] = server.map([0])
    finally:
        server.close()
    assert pid not in ("", str(os.getpid()))
    assert "CELERYLINT_TEST_WARMED" not in os.environ


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="/proc")
def test_a_failing_server_fails_its_batch_and_leaves_no_process() -> None:
    before = children_of_this_process()
    server = forked.Server(fails_on_seven)
    try:
        assert server.map([1, 2]) == [1, 2]
        with pytest.raises(forked.WorkersFailed):
            server.map([6, 7])
        with pytest.raises((forked.WorkersFailed, OSError)):
            server.map([1])
    finally:
        server.close()
    assert children_of_this_process() == before


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="/proc")
def test_an_idle_server_closed_leaves_no_process() -> None:
    before = children_of_this_process()
    idle = forked.Server(square)
    assert len(children_of_this_process()) == len(before) + 1
    idle.close()
    assert children_of_this_process() == before


def _project(root: Path, files: int) -> None:
    """An app, relevant and irrelevant modules, one unreadable, one file a rule reads
    only through `mentioning` (CL901 asks which files name an old setting)."""
    (root / "proj").mkdir()
    (root / "proj" / "__init__.py").write_text("")
    (root / "proj" / "celery.py").write_text(
        'from celery import Celery\n\napp = Celery("proj")\napp.conf.CELERY_RESULT_BACKEND = "x"\n'
        'app.config_from_object("proj.celeryconfig")\n'
    )
    for n in range(files):
        body = "@shared_task\ndef t():\n    pass\n" if n % 3 == 0 else f"x = {n}\n"
        (root / "proj" / f"m{n}.py").write_text(f"from celery import shared_task\n\n{body}")
    (root / "proj" / "reads.py").write_text('NAME = "CELERY_RESULT_BACKEND"\n')
    # An old name without `CELERY`, set in a config module and read where the prefilter
    # looks for nothing else: its rename is no fix then.
    (root / "proj" / "celeryconfig.py").write_text('BROKER_URL = "memory://"\n')
    (root / "proj" / "urls.py").write_text(
        "from django.conf import settings\n\nURL = settings.BROKER_URL\n"
    )
    locked = root / "proj" / "locked.py"
    locked.write_text("x = 1\n")
    locked.chmod(0)


@pytest.fixture
def streams_started(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item for each `Stream` a prescan starts."""
    from celerylint import prescan

    started: list[int] = []

    def counted(*args: Any) -> Any:
        started.append(1)
        return forked.Stream(*args)

    monkeypatch.setattr(prescan, "Stream", counted)
    return started


def _with_and_without_prescan(
    monkeypatch: pytest.MonkeyPatch, run: Callable[[str], object]
) -> list[object]:
    """`run(label)` in a run with a prescan ("with"), then in one without: there, too
    few files for workers, the store reads every file itself."""
    runs = []
    for threshold, label in ((5, "with"), (10**9, "without")):
        monkeypatch.setattr(store, "PARALLEL_THRESHOLD", threshold)
        runs.append(run(label))
    return runs


def test_a_run_whose_walk_workers_prefilter_reports_what_one_without_them_does(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    streams_started: list[int],
) -> None:
    from celerylint.cli import main

    def check(label: str) -> tuple[int, str, str]:
        code = main(["check", "--no-cache", "--output-format", "json", str(tmp_path)])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    _project(tmp_path, 40)
    runs = _with_and_without_prescan(monkeypatch, check)
    assert streams_started == [1]
    assert runs[0] == runs[1]
    if os.geteuid() != 0:  # root reads any file
        assert "cannot read" in str(runs[0])
    assert '"code": "CL901"' in str(runs[0])
    # `urls.py` reads it, and only the `BROKER` marker sends `mentioning` there.
    _code, out, _err = check("again")
    [broker] = [d for d in json.loads(out) if "`BROKER_URL`" in d["message"]]
    assert broker["fix"] is None


def test_a_path_longer_than_a_batch_holds_leaves_the_reading_to_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streams_started: list[int]
) -> None:
    from celerylint import prescan

    monkeypatch.setattr(store, "PARALLEL_THRESHOLD", 1)
    scan = prescan.Prescan(Config(root=tmp_path, config_file=None), 2)
    try:
        scan.found(str(tmp_path / "a.py"))
        scan.found("/" + "x" * forked.MAX_BATCH)
        scan.found(str(tmp_path / "b.py"))
        assert scan.results() is None
    finally:
        scan.close()
    assert streams_started == [1]  # no second pool once the first failed
    assert gc.get_freeze_count() == 0


class _Scanned:
    """What a prescan found, as the store asks for it."""

    digest = True

    def __init__(self, scans: dict[str, Any]) -> None:
        self._scans = scans

    def results(self) -> dict[str, Any]:
        return self._scans

    def close(self) -> None:
        pass

    def settle_forced(self, jobs: list[Any], digest: bool) -> None:
        return None  # no server: the store parses them itself


def test_a_file_changed_since_the_walk_s_workers_read_it_is_read_again(tmp_path: Path) -> None:
    # Both files hold a task; the workers' word on each says "left out", once with the
    # (mtime, size) the file has now and once with another (it changed since).
    for name in ("same.py", "changed.py"):
        (tmp_path / name).write_text(
            "from celery import shared_task\n\n@shared_task\ndef t(): pass\n"
        )
    config = Config(root=tmp_path, config_file=None, cache_dir=tmp_path / "cache")
    files = gather_sources([tmp_path], config).files
    now = {f.path: os.stat(f.path) for f in files}
    scans = {
        path: ("skip", 0, "0" * 64, (st.st_mtime_ns, st.st_size + (path.endswith("changed.py"))))
        for path, st in now.items()
    }
    facts = store.FactStore(files, config, use_cache=True, prescan=_Scanned(scans))  # type: ignore[arg-type]
    facts.load()
    assert sorted(os.path.basename(p) for p in facts.relevant) == ["changed.py"]


def test_a_first_run_with_a_cache_prescans_and_caches_what_a_run_without_one_does(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    streams_started: list[int],
) -> None:
    from celerylint.cli import main

    def check(label: str) -> tuple[int, str, object]:
        directory = tmp_path / f"cache-{label}"
        code = main(
            ["check", "--output-format", "json", "--cache-dir", str(directory), str(tmp_path)]
        )
        [facts_file] = directory.glob("facts-*.json")
        return code, capsys.readouterr().out, json.loads(facts_file.read_text())["entries"]

    _project(tmp_path, 40)
    runs = _with_and_without_prescan(monkeypatch, check)
    assert streams_started == [1]
    assert runs[0] == runs[1]


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="/proc")
def test_modules_the_model_asks_for_are_parsed_in_the_server_with_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A time limit read from a module the prefilter leaves out (no Celery in it): the
    model asks for it while the rules run, and the walk's server parses it."""
    from celerylint.cli import main

    _project(tmp_path, 40)
    (tmp_path / "proj" / "limits.py").write_text("SOFT = 60\nHARD = 30\n")
    (tmp_path / "proj" / "timed.py").write_text(
        "from celery import shared_task\n\nfrom proj.limits import HARD, SOFT\n\n\n"
        "@shared_task(soft_time_limit=SOFT, time_limit=HARD)\ndef timed():\n    pass\n"
    )
    asked: list[list[Any]] = []
    original = forked.Server.map

    def map_counted(self: forked.Server[Any, Any], items: Any) -> Any:
        asked.append([job[0] for job, _digest in items])
        return original(self, items)

    monkeypatch.setattr(forked.Server, "map", map_counted)
    before = children_of_this_process()

    def check(label: str) -> tuple[int, str]:
        code = main(["check", "--no-cache", "--output-format", "json", str(tmp_path)])
        return code, capsys.readouterr().out

    runs = _with_and_without_prescan(monkeypatch, check)
    assert str(tmp_path / "proj" / "limits.py") in [path for paths in asked for path in paths]
    assert runs[0] == runs[1]
    assert "soft time limit 60s is above the hard limit 30s" in str(runs[0])
    assert children_of_this_process() == before
