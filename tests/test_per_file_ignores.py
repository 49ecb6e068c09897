"""`per-file-ignores` patterns are read in the dialect of `exclude`.

Both are gitignore patterns relative to the project root, matched by the same
matcher: a pattern that excludes a file is exactly a pattern that turns a rule
off in it. (Per-file-ignores used to be `fnmatch` globs, where `*` crosses
directories, `**/x.py` misses a top-level `x.py` and a directory name matches
nothing; the cases below are where the two dialects differ.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from celerylint.cli import main

# A task sent with a single value for `args` in each of these files: CL802 in every one
# (`jobs/`: no test directory, whose files are never reported).
TASK_FILES = [
    "x.py",
    "a/b/x.py",
    "a/jobs/x.py",
    "legacy/y.py",
    "proj/tasks.py",
    "jobs/sub/x.py",
    "jobs/x.py",
]

APP = """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
"""


def _task(rel: str) -> str:
    name = rel.replace("/", "_").replace(".", "_")
    return (
        f"from proj.celery import app\n\n\n@app.task(time_limit=5)\ndef {name}(x):\n"
        f"    return x\n\n\n{name}.apply_async(args=(1))\n"
    )


def _reported(root: Path, config: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The files in which CL802 is still reported with this configuration."""
    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    capsys.readouterr()
    main(["check", "--no-cache", "--select", "CL802", "--output-format", "json", str(root)])
    findings = json.loads(capsys.readouterr().out)
    return sorted({Path(f["filename"]).resolve().relative_to(root).as_posix() for f in findings})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path.resolve()
    (root / "proj").mkdir()
    (root / "proj" / "__init__.py").write_text("", encoding="utf-8")
    (root / "proj" / "celery.py").write_text(APP, encoding="utf-8")
    for rel in TASK_FILES:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_task(rel), encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("pattern", "covered"),
    [
        # `*` stays within a directory (fnmatch: jobs/sub/x.py too)
        ("jobs/*.py", ["jobs/x.py"]),
        # a pattern with a slash is anchored at the root, not at any depth
        ("jobs/*", ["jobs/sub/x.py", "jobs/x.py"]),
        # `**/` matches at the top too (fnmatch: not x.py)
        ("**/x.py", ["a/b/x.py", "a/jobs/x.py", "jobs/sub/x.py", "jobs/x.py", "x.py"]),
        # a directory covers what it holds, at any depth (fnmatch: nothing)
        ("jobs/", ["a/jobs/x.py", "jobs/sub/x.py", "jobs/x.py"]),
        ("jobs", ["a/jobs/x.py", "jobs/sub/x.py", "jobs/x.py"]),
        # a leading slash anchors (fnmatch: nothing)
        ("/x.py", ["x.py"]),
        # a bare name matches at any depth (both dialects)
        ("x.py", ["a/b/x.py", "a/jobs/x.py", "jobs/sub/x.py", "jobs/x.py", "x.py"]),
        # `./dir` is accepted as for exclude (fnmatch: nothing)
        ("./legacy", ["legacy/y.py"]),
        ("a/**/x.py", ["a/b/x.py", "a/jobs/x.py"]),
    ],
)
def test_per_file_ignores_match_like_exclude(
    project: Path, pattern: str, covered: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    everywhere = _reported(project, "", capsys)
    assert everywhere == sorted(TASK_FILES)
    expected = sorted(set(TASK_FILES) - set(covered))

    ignores = f'[tool.celerylint.per-file-ignores]\n{json.dumps(pattern)} = ["CL802"]\n'
    assert _reported(project, ignores, capsys) == expected, "per-file-ignores"

    excludes = f"[tool.celerylint]\nextend-exclude = [{json.dumps(pattern)}]\n"
    assert _reported(project, excludes, capsys) == expected, "extend-exclude"


def test_per_file_ignores_keep_other_codes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A directory pattern turns off only the codes it lists."""
    config = '[tool.celerylint.per-file-ignores]\n"jobs/" = ["CL101"]\n'
    assert _reported(project, config, capsys) == sorted(TASK_FILES)
