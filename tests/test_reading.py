"""`read_bytes` gives what `open(path, "rb").read()` gives, and fails as it fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from celerylint.sources.reading import read_bytes


@pytest.mark.parametrize("size", [0, 1, 4096, (1 << 18) - 1, 1 << 18, (1 << 20) + 3])
def test_the_whole_file_whatever_its_size(tmp_path: Path, size: int) -> None:
    path = tmp_path / "module.py"
    data = (bytes(range(256)) * (size // 256 + 1))[:size]  # CR and NUL bytes kept as they are
    path.write_bytes(data)
    assert read_bytes(str(path)) == path.read_bytes() == data


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_errors_are_the_os_errors_open_raises(tmp_path: Path, make: str) -> None:
    path = tmp_path / "module.py"
    if make == "directory":
        path.mkdir()
    with pytest.raises(OSError) as read_error:
        read_bytes(str(path))
    with pytest.raises(OSError) as open_error:
        path.open("rb").read()
    assert read_error.value.errno == open_error.value.errno
