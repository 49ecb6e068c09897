"""`FactStore.mentioning`: which files mention each text, every file read once for all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from celerylint import pipeline
from celerylint.config import Config
from celerylint.sources.project import gather_sources
from celerylint.store import FactStore


def test_every_file_is_read_once_for_all_the_texts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.py").write_text("retrying = make()\n")
    (tmp_path / "b.py").write_text("from a import retrying\nBROKER_URL = 1\n")
    (tmp_path / "c.py").write_text("x = 1\n")
    config = Config(root=tmp_path, config_file=None)
    store = FactStore(gather_sources([tmp_path], config).files, config, use_cache=False)
    reads: list[str] = []
    read = FactStore.read

    def counted(self: FactStore, path: str) -> bytes | None:
        reads.append(path)
        return None if path.endswith("c.py") else read(self, path)  # c.py: unreadable

    monkeypatch.setattr(FactStore, "read", counted)
    found = store.mentioning(["retrying", "BROKER_URL", "retrying", "absent"])
    named = {text: sorted(Path(p).name for p in paths) for text, paths in found.items()}
    assert named == {
        "retrying": ["a.py", "b.py", "c.py"],  # an unreadable file may mention anything
        "BROKER_URL": ["b.py", "c.py"],
        "absent": ["c.py"],
    }
    assert sorted(Path(p).name for p in reads) == ["a.py", "b.py", "c.py"]


def test_a_text_holding_a_shorter_one_is_found_where_it_is(tmp_path: Path) -> None:
    # ".KEY" is looked for only in the files holding "KEY": the answers stay exact.
    (tmp_path / "a.py").write_text("x = settings.KEY\n")
    (tmp_path / "b.py").write_text("KEY = 1\n")
    (tmp_path / "c.py").write_text("KEYS = 2\n")
    (tmp_path / "d.py").write_text("y = 1\n")
    config = Config(root=tmp_path, config_file=None)
    store = FactStore(gather_sources([tmp_path], config).files, config, use_cache=False)
    found = store.mentioning([".KEY", "KEY", "S = ", ".KEYS"])
    named = {text: sorted(Path(p).name for p in paths) for text, paths in found.items()}
    assert list(named) == [".KEY", "KEY", "S = ", ".KEYS"]
    assert named == {
        ".KEY": ["a.py"],
        "KEY": ["a.py", "b.py", "c.py"],
        "S = ": ["c.py"],
        ".KEYS": [],
    }


def _two_namespaced_configs(root: Path) -> None:
    """Two apps whose configuration modules hold old names (CL901) and misspelt ones (CL903)."""
    configs = {
        "a": "CELERYD_CONCURRENCY = 4\nCELERY_DEFAULT_QUEUE = 'a'\n"
        "CELERY_TASK_SOFT_TIMELIMIT = 240\n",
        "b": "CELERYBEAT_SCHEDULE = {}\nCELERY_RESULT_EXPIRE = 3600\n",
    }
    for name, config in configs.items():
        (root / name).mkdir()
        (root / name / "__init__.py").write_text("")
        (root / name / "celeryconfig.py").write_text(config)
        (root / name / "celery.py").write_text(
            "from celery import Celery\n\n"
            f'app = Celery("{name}")\n'
            f'app.config_from_object("{name}.celeryconfig", namespace="CELERY")\n'
        )


def test_each_rule_reads_the_files_once_for_all_its_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whether other code reads a renamed key takes reading every file: CL901 and CL903
    # ask for all their keys together, and no text is looked for twice in a check.
    _two_namespaced_configs(tmp_path)
    config = Config(root=tmp_path, config_file=None)
    sources = gather_sources([tmp_path], config)
    store = pipeline.load_facts(sources, config, use_cache=False, overlay=None)
    project = pipeline.build_project(store, sources, config)
    asked: list[list[str]] = []
    mentioning = FactStore.mentioning

    def counted(self: FactStore, texts: list[str]) -> dict[str, list[str]]:
        asked.append(texts)
        return mentioning(self, texts)

    monkeypatch.setattr(FactStore, "mentioning", counted)
    found = pipeline.find_problems(project, store, lambda code: True)
    assert sorted(d.code for d in found) == ["CL901", "CL901", "CL901", "CL903", "CL903"]
    assert all(d.fix is not None for d in found)  # every key is provably renamable
    assert [sorted(texts) for texts in asked] == [
        sorted(f"{dot}{key}" for key in keys for dot in ("", "."))
        for keys in (
            ["CELERYD_CONCURRENCY", "CELERY_DEFAULT_QUEUE", "CELERYBEAT_SCHEDULE"],
            ["CELERY_TASK_SOFT_TIMELIMIT", "CELERY_RESULT_EXPIRE"],
        )
    ]
    assert pipeline.find_problems(project, store, lambda code: True) == found
    assert len(asked) == 2  # the second check of the same project reads nothing


def test_many_files_are_read_by_workers_with_the_same_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celerylint import store as store_module

    for n in range(40):
        body = "CELERY_QUEUES = {}\n" if n % 3 == 0 else ".CELERY_QUEUES\n" if n % 5 == 0 else ""
        (tmp_path / f"m{n}.py").write_text(f"x = {n}\n{body}")
    config = Config(root=tmp_path, config_file=None)
    files = gather_sources([tmp_path], config).files
    edited = str(tmp_path / "m1.py")  # an open buffer: its text, not the file's
    overlay = {edited: b"CELERY_QUEUES = 1\n"}
    texts = [".CELERY_QUEUES", "CELERY_QUEUES", "absent"]
    serial = FactStore(files, config, use_cache=False, overlay=overlay).mentioning(texts)
    forks: list[int] = []
    real_parallel = store_module._parallel

    def counted(*args: Any) -> Any:
        forks.append(1)
        return real_parallel(*args)

    monkeypatch.setattr(store_module, "_parallel", counted)
    monkeypatch.setattr(store_module, "PARALLEL_THRESHOLD_MENTIONING", 10)
    parallel = FactStore(files, config, use_cache=False, overlay=overlay).mentioning(texts)
    assert forks == [1]
    assert parallel == serial
    assert edited in parallel["CELERY_QUEUES"]
    assert len(parallel["CELERY_QUEUES"]) == 14 + 5 + 1  # assigned, dotted, the buffer


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files `FactStore.read` reads (what `mentioning` reads in-process)."""
    names: list[str] = []
    read = FactStore.read

    def counted(self: FactStore, path: str) -> bytes | None:
        names.append(Path(path).name)
        return read(self, path)

    monkeypatch.setattr(FactStore, "read", counted)
    return names


def test_a_file_the_prefilter_read_is_not_read_for_a_marker_it_lacks(
    tmp_path: Path, reads: list[str]
) -> None:
    # The prefilter looks for `task` and `CELERY` in every file it leaves out: a file
    # without `CELERY` holds no `CELERY_QUEUES`, and is not read again to learn it.
    files = {
        "plain.py": "x = 1\n",  # left out, holds neither marker
        "reads.py": "from django.conf import settings\nq = settings.CELERY_QUEUES\n",
        "tasky.py": "self.task_id = 1\n",  # left out, holds `task`
        "app.py": "from celery import Celery\napp = Celery('x')\n",  # parsed
        "later.py": "y = 2\n",  # left out, changed after (a text the check did not read)
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    config = Config(root=tmp_path, config_file=None)
    sources = gather_sources([tmp_path], config)
    store = pipeline.load_facts(sources, config, use_cache=False, overlay=None)
    (tmp_path / "later.py").write_text("CELERY_QUEUES = task = 1\n")
    found = store.mentioning([".CELERY_QUEUES", "CELERY_QUEUES"])
    assert {text: sorted(Path(p).name for p in paths) for text, paths in found.items()} == {
        ".CELERY_QUEUES": ["reads.py"],
        "CELERY_QUEUES": ["reads.py"],  # as the check read `later.py`: without them
    }
    assert sorted(reads) == ["app.py", "reads.py"]
    reads.clear()
    found = store.mentioning(["task_id"])  # `task`: files holding it, and parsed ones
    assert sorted(reads) == ["app.py", "tasky.py"]
    assert [Path(p).name for p in found["task_id"]] == ["tasky.py"]
    reads.clear()
    store.mentioning(["x = "])  # no marker: every file
    assert len(reads) == len(files)


def test_files_left_out_by_a_cache_are_read(tmp_path: Path, reads: list[str]) -> None:
    # A warm run takes the files left out from the cache: nothing says which markers
    # they hold, so each is read.
    (tmp_path / "plain.py").write_text("x = 1\n")
    (tmp_path / "reads.py").write_text("q = settings.CELERY_QUEUES\n")
    config = Config(root=tmp_path, config_file=None).with_overrides(cache_dir=tmp_path / "cache")
    sources = gather_sources([tmp_path], config)
    pipeline.load_facts(sources, config, use_cache=True, overlay=None).cache.save()
    store = pipeline.load_facts(sources, config, use_cache=True, overlay=None)
    assert [Path(p).name for p in store.mentioning(["CELERY_QUEUES"])["CELERY_QUEUES"]] == [
        "reads.py"
    ]
    assert sorted(reads) == ["plain.py", "reads.py"]
