"""The remembered walk: reused while the tree's directories and ignore files are the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from celerylint.config import Config
from celerylint.sources import walk_memory
from celerylint.sources.project import gather_sources


def _project(tmp_path: Path) -> Config:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    (tmp_path / "proj" / "tasks.py").write_text("x = 1\n")
    (tmp_path / "Procfile").write_text("worker: celery -A proj worker\n")
    return Config(root=tmp_path, config_file=None)


def _walked(config: Config) -> tuple[list[str], list[str]]:
    sources = gather_sources([config.root], config, watch=True)
    files = sorted(str(Path(f.path).relative_to(config.root)) for f in sources.files)
    return files, [Path(p).name for p in sources.deployment_files]


def _no_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("walked again")

    monkeypatch.setattr(walk_memory, "discover", refuse)


def test_unchanged_tree_is_not_walked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _project(tmp_path)
    first = _walked(config)
    _no_walk(monkeypatch)
    assert _walked(config) == first == (["proj/__init__.py", "proj/tasks.py"], ["Procfile"])


def test_an_edited_file_keeps_the_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _project(tmp_path)
    _walked(config)
    (tmp_path / "proj" / "tasks.py").write_text("x = 2  # longer now\n")
    _no_walk(monkeypatch)
    assert _walked(config)[0] == ["proj/__init__.py", "proj/tasks.py"]


@pytest.mark.parametrize(
    ("change", "files"),
    [
        (lambda root: (root / "proj" / "more.py").write_text(""), ["more.py", "tasks.py"]),
        (lambda root: (root / "proj" / "tasks.py").unlink(), []),
        (lambda root: (root / "proj" / "tasks.py").rename(root / "proj" / "jobs.py"), ["jobs.py"]),
        (lambda root: (root / ".gitignore").write_text("proj/tasks.py\n"), []),
        (lambda root: (root / "proj" / "sub").mkdir(), ["tasks.py"]),
    ],
    ids=["added", "deleted", "renamed", "ignored", "new-directory"],
)
def test_any_change_to_the_tree_walks_again(
    tmp_path: Path, change: object, files: list[str]
) -> None:
    config = _project(tmp_path)
    (tmp_path / ".git").mkdir()  # .gitignore applies inside a repository
    _walked(config)
    change(tmp_path)  # type: ignore[operator]
    found = [Path(f).name for f in _walked(config)[0] if f != "proj/__init__.py"]
    assert found == files


def test_gitignore_edited_in_place_walks_again(tmp_path: Path) -> None:
    config = _project(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("# nothing\n")
    assert "proj/tasks.py" in _walked(config)[0]
    (tmp_path / ".gitignore").write_text("proj/tasks.py\n")
    assert "proj/tasks.py" not in _walked(config)[0]


@pytest.mark.parametrize("content", [b"", b"\x00\xff garbage", b'{"files": 3}', b"[[],[],[],[]]"])
def test_a_damaged_record_is_walked_again(tmp_path: Path, content: bytes) -> None:
    config = _project(tmp_path)
    _walked(config)
    (record,) = (tmp_path / ".celerylint_cache").glob("walk-*.json")
    record.write_bytes(content)
    assert _walked(config)[0] == ["proj/__init__.py", "proj/tasks.py"]


def test_each_configuration_has_its_own_record(tmp_path: Path) -> None:
    config = _project(tmp_path)
    assert _walked(config)[0] == ["proj/__init__.py", "proj/tasks.py"]
    excluding = config.with_overrides(extend_exclude=["proj/tasks.py"])
    assert _walked(excluding)[0] == ["proj/__init__.py"]
    assert _walked(config)[0] == ["proj/__init__.py", "proj/tasks.py"]


def test_the_remembered_naming_is_the_one_a_walk_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two services define `svc.worker` (keys `svc.worker@a`, `...@b`); a namespace
    # directory's module has a dotted name and its short alias; a checkout top with an
    # `__init__.py` lends its name to its modules (more aliases).
    files = {
        "a/svc/__init__.py": "",
        "a/svc/worker.py": "",
        "b/svc/__init__.py": "",
        "b/svc/worker.py": "",
        "ns/proj/jobs.py": "",
        "shop/__init__.py": "",
        "shop/orders.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "shop" / ".git").mkdir()
    config = Config(root=tmp_path, config_file=None)
    walked = gather_sources([config.root], config)
    assert {"svc.worker@a", "svc.worker@b"} <= {f.module for f in walked.files}
    assert walked.aliases["jobs"] == "ns.proj.jobs"
    assert walked.roots["svc.worker@a"] == "a" and walked.roots["svc.worker@b"] == "b"
    gather_sources([config.root], config, watch=True)  # records the walk
    _no_walk(monkeypatch)
    remembered = gather_sources([config.root], config, watch=True)
    assert (remembered.files, remembered.roots, remembered.aliases) == (
        walked.files,
        walked.roots,
        walked.aliases,
    )
