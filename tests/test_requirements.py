"""The Celery version floor read from a project's dependency pins (sources.requirements)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest

from celerylint.sources.requirements import (
    at_least,
    celery_version_floor,
    dependency_files,
    poetry_floor,
    requirement_floor,
    specifier_floor,
)


@pytest.mark.parametrize(
    ("text", "floor"),
    [
        ("celery==5.4.0", (5, 4, 0)),
        ("celery>=5.4", (5, 4)),
        ("celery[redis]~=5.5", (5, 5)),
        ("Celery[redis,sqs] >= 5.4.0, < 6", (5, 4, 0)),
        ("celery==5.4.*", (5, 4)),
        ("celery>5.4", (5, 4)),
        ("celery>=5.4; python_version >= '3.8'", (5, 4)),
        ("celery", None),
        ("celery<6", None),
        ("celery!=5.3.0", None),
        ("celery==5.4.0rc1", None),
        ("celery @ https://example.com/celery.tar.gz", None),
    ],
)
def test_requirement_floor(text: str, floor: Optional[tuple[int, ...]]) -> None:
    assert requirement_floor(text) == ("celery", floor)


def test_other_packages_are_not_celery() -> None:
    assert requirement_floor("django-celery-beat==2.7.0") is None
    assert requirement_floor("celery-singleton>=0.3") is None


def test_specifier_floor_takes_the_highest_lower_bound() -> None:
    assert specifier_floor(">=5.2, >=5.4, <6") == (5, 4)
    assert specifier_floor("") is None


@pytest.mark.parametrize(
    ("constraint", "floor"),
    [
        ("^5.4", (5, 4)),
        ("~5.5.1", (5, 5, 1)),
        ("5.4.0", (5, 4, 0)),
        (">= 5.4, < 6", (5, 4)),
        (">=5.4 <6", (5, 4)),
        ("*", None),
        ("^5.3 || ^5.4", None),
    ],
)
def test_poetry_floor(constraint: str, floor: Optional[tuple[int, ...]]) -> None:
    assert poetry_floor(constraint) == floor


@pytest.mark.parametrize(
    ("floor", "expected"),
    [((5, 4), True), ((5, 4, 0), True), ((5, 5, 2), True), ((5, 3, 9), False), (None, False)],
)
def test_at_least(floor: Optional[tuple[int, ...]], expected: bool) -> None:
    assert at_least(floor, (5, 4)) is expected


def _floor(tmp_path: Path, files: dict[str, str]) -> Optional[tuple[int, ...]]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return celery_version_floor(dependency_files(tmp_path))


def test_requirements_files(tmp_path: Path) -> None:
    text = (
        "# pins\n-r base.txt\ndjango==5.1\n"
        "celery[redis]==5.5.2 \\\n    --hash=sha256:abc  # via -r requirements.in\n"
    )
    assert _floor(tmp_path, {"requirements.txt": text}) == (5, 5, 2)


def test_the_lowest_pin_of_all_files_wins(tmp_path: Path) -> None:
    files = {"requirements/base.txt": "celery>=5.4\n", "requirements/legacy.in": "celery>=5.2\n"}
    assert _floor(tmp_path, files) == (5, 2)


def test_a_mention_without_a_floor_gives_none(tmp_path: Path) -> None:
    files = {"requirements.txt": "celery==5.5.0\n", "requirements-dev.txt": "celery\n"}
    assert _floor(tmp_path, files) is None


def test_no_pin(tmp_path: Path) -> None:
    assert _floor(tmp_path, {"requirements.txt": "django==5.1\n"}) is None
    assert _floor(tmp_path, {}) is None


def test_pyproject_project_and_poetry(tmp_path: Path) -> None:
    pyproject = (
        '[project]\nname = "x"\ndependencies = ["celery[redis]~=5.5"]\n'
        '[tool.poetry.dependencies]\npython = "^3.10"\n'
        'celery = {version = "^5.4", extras = ["redis"]}\n'
    )
    assert _floor(tmp_path, {"pyproject.toml": pyproject}) == (5, 4)


def test_lock_files(tmp_path: Path) -> None:
    lock = (
        '[[package]]\nname = "celery"\nversion = "5.5.2"\n\n'
        '[[package]]\nname = "kombu"\nversion = "5.5.0"\n'
    )
    assert _floor(tmp_path, {"poetry.lock": lock}) == (5, 5, 2)
    assert _floor(tmp_path, {"uv.lock": lock.replace("5.5.2", "5.4.0")}) == (5, 4, 0)


UV_LOCK = """\
version = 1
requires-python = ">=3.12"

[manifest]
members = ["shop"]

[[package]]
name = "celery"
version = "5.5.2"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "kombu" },
]
wheels = [
    { url = "https://files.example/celery-5.5.2.whl", hash = "sha256:00" },
]

[package.optional-dependencies]
redis = [
    { name = "kombu", extra = ["redis"] },
]

[[package]]
name = "celery-types"
version = "0.1.0"

[[package]]
name = "django-celery-beat"
version = "2.8.1"
dependencies = [
    { name = "celery" },
]

[[package]]
name = "kombu"
version = "5.4.0"

[[package.wheels]]
url = "https://files.example/kombu.whl"
"""


def test_a_lock_file_is_read_by_its_celery_tables(tmp_path: Path) -> None:
    # Only the tables mentioning celery are parsed; the others cannot pin it.
    upper = UV_LOCK.replace('"celery"\nversion', '"Celery"\nversion')
    without = UV_LOCK.replace('name = "celery"\nversion = "5.5.2"', 'name = "billiard"')
    assert _floor(tmp_path / "uv", {"uv.lock": UV_LOCK}) == (5, 5, 2)
    assert _floor(tmp_path / "upper", {"uv.lock": upper}) == (5, 5, 2)
    assert _floor(tmp_path / "poetry", {"poetry.lock": without}) is None


def test_pipfile_lock(tmp_path: Path) -> None:
    text = '{"default": {"celery": {"version": "==5.5.2"}}, "develop": {}}'
    assert _floor(tmp_path, {"Pipfile.lock": text}) == (5, 5, 2)


def test_broken_files_pin_nothing(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "[project\n",
        "Pipfile.lock": "{",
        "requirements.txt": "celery>=5.4\n",
    }
    assert _floor(tmp_path, files) == (5, 4)
