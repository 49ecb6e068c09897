"""Which file names discovery collects as deployment files: the quick test in front of
the pattern answers as the pattern does."""

from __future__ import annotations

import pytest

from celerylint.sources.deployment_names import _NAMES, is_deployment_file

COLLECTED = [
    "docker-compose.yml",
    "compose.YAML",
    "Procfile",
    "procfile.dev",
    "Dockerfile",
    "Dockerfile.worker",
    "worker.dockerfile",
    "start.sh",
    "run.bash",
    "supervisord.conf",
    "uwsgi.ini",
    "celery.service",
    ".env.prod.env",
    "x.env",
    "start-worker",
    "run_celery",
    "ENTRYPOINT",
    "a.b.yml",
]
LEFT = [
    "app.js",
    "index.html",
    "data.json",
    "README.md",
    "logo.png",
    "style.css",
    ".env",
    ".yml",
    "messages.po",
    "worker.py.bak",
    "celery.txt",
    "setup.cfg",
    "Makefile",
    "requirements.txt",
    "x.yml.orig",
    "docker-compose.yml~",
]
# Corners of the pattern itself.
CORNERS = [
    "dockerfile.",
    "x.yml\n",
    "worker\n",
    "\u00e9start",
    "Dockerfile\u0130",
    "a.SH",
    ".",
    "..",
    "",
]


@pytest.mark.parametrize("name", [*COLLECTED, *LEFT, *CORNERS])
def test_the_quick_test_answers_as_the_pattern(name: str) -> None:
    assert is_deployment_file(name) is (_NAMES.match(name) is not None)


def test_the_usual_names() -> None:
    assert [name for name in COLLECTED if not is_deployment_file(name)] == []
    assert [name for name in LEFT if is_deployment_file(name)] == []
