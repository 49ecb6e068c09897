"""Deployment facts are remembered between checks while no file they come from
changed: the deployment files, and the env files and Dockerfiles those read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from celerylint.facts import deploy_memory
from celerylint.facts.deploy import read_deployments
from celerylint.facts.schema import DeploymentFacts

COMPOSE = (
    "services:\n"
    "  worker:\n    build: .\n    command: celery -A proj worker -Q {queue}\n"
    "    env_file: [envs/worker]\n"
)


def touch(path: Path, text: str) -> None:
    """Write `text` with an mtime no earlier read can have seen."""
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "envs").mkdir()
    touch(tmp_path / "envs" / "worker", "BROKER_URL=redis://a/0\n")
    touch(tmp_path / "compose.yaml", COMPOSE.format(queue="default"))
    return tmp_path


def remembered(project: Path) -> DeploymentFacts:
    paths = [str(project / "compose.yaml")]
    return deploy_memory.remembered_deployments(paths, project, project / ".cache")


def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the calls to read_deployments from now on."""
    calls: list[int] = []

    def counted(paths: list[str], root: Path) -> DeploymentFacts:
        calls.append(1)
        return read_deployments(paths, root)

    monkeypatch.setattr(deploy_memory, "read_deployments", counted)
    return calls


def broker(facts: DeploymentFacts) -> str | None:
    (process,) = facts.processes
    return next(entry.value for entry in process.env if entry.name == "BROKER_URL")


def test_unchanged_files_are_not_read_again(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = remembered(project)
    calls = reads(monkeypatch)
    assert (
        remembered(project) == first == read_deployments([str(project / "compose.yaml")], project)
    )
    assert calls == []


@pytest.mark.parametrize("changed", ["compose.yaml", "envs/worker"])
def test_a_changed_deployment_or_env_file_is_read_again(
    project: Path, monkeypatch: pytest.MonkeyPatch, changed: str
) -> None:
    remembered(project)
    calls = reads(monkeypatch)
    if changed == "compose.yaml":
        touch(project / changed, COMPOSE.format(queue="reports"))
    else:
        touch(project / changed, "BROKER_URL=redis://b/0\n")
    facts = remembered(project)
    assert calls == [1]
    assert facts == read_deployments([str(project / "compose.yaml")], project)
    assert broker(facts) == ("redis://b/0" if changed == "envs/worker" else "redis://a/0")


def test_a_damaged_record_is_read_again(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    remembered(project)
    for record in (project / ".cache").glob("deploy-*.json"):
        record.write_text("[")
    calls = reads(monkeypatch)
    assert broker(remembered(project)) == "redis://a/0" and calls == [1]


def test_without_a_cache_directory_nothing_is_kept(project: Path) -> None:
    paths = [str(project / "compose.yaml")]
    assert broker(deploy_memory.remembered_deployments(paths, project, None)) == "redis://a/0"
    assert not (project / ".cache").exists()
