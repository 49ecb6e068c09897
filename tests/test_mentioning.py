"""`FactStore.mentioning`: which files mention each text, every file read once for all."""

from __future__ import annotations

from pathlib import Path

import pytest

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
