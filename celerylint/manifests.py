"""Deployment files: what a worker is started with, and which Django settings.

`celery -A proj worker --time-limit=600 -P threads` in a Procfile, a compose
file, a k8s manifest, a Dockerfile or a shell script changes what the Python
code alone says: a global hard limit, a pool without child processes. Commands
are found line by line, whatever the file format (YAML lists, JSON arrays,
shell continuations, Procfile entries), so no parser is needed; values are
only used to keep rules silent, never to report.

`DJANGO_SETTINGS_MODULE` set by the deployment (a Dockerfile `ENV`, a
compose or k8s `environment`, `export` in an entrypoint, a Procfile or `.env`
line) names the settings module deployed processes load: it is one more
candidate beside those `manage.py` and `wsgi.py` name. YAML is read with
`facts.deploy.load_yaml` (safe, with a node budget), command lines with `shlex`;
a file that does not parse names nothing.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_NAMES = re.compile(
    r"^(procfile(\..+)?|dockerfile(\..+)?|.+\.dockerfile|makefile|.+\.(ya?ml|sh|bash|conf|ini|"
    r"cfg|toml|service|env|json|j2|tpl|mk)"
    # entrypoint scripts often have no extension: start-worker, run_celery, entrypoint
    r"|[^.]*(worker|celery|entrypoint|start|run|docker)[^.]*)$",
    re.IGNORECASE,
)
_MAX_BYTES = 512 * 1024
_MAX_FILES = 5000


def is_deployment_file(name: str) -> bool:
    """A file name where a worker command line may be written (discovery collects them)."""
    return _NAMES.match(name) is not None


# `celery` as a command word (shell, YAML, or a JSON/exec-form array element), then
# `worker` as an argument of its own: not `celery_worker_up` in a dashboard.
_WORKER = re.compile(
    rb"(?:^|[\s\"'\[,=(/])celery[\"']?[\s,][^\n]*?(?:^|[\s\"',])worker[\"']?(?=[\s,\]]|$)([^\n]*)",
    re.MULTILINE,
)
_TIME_LIMIT = re.compile(rb"--time-limit\b")
# `--pool=solo`, `--pool solo`, `-P solo`, `-Psolo` (not the p of --max-tasks-per-child).
# A result backend given to a process from outside the code: an environment variable
# (`CELERY_RESULT_BACKEND=...` in an env file, a compose list or a Dockerfile, a
# compose mapping, a k8s `name:`) or the `--result-backend` option. Not Python's
# `CELERY_RESULT_BACKEND = ...` (a settings module, which the model reads).
_RESULT_BACKEND = re.compile(
    rb"--result-backend\b"
    rb"|(?<![\w])(?:CELERY_)?RESULT_BACKEND(?:=\S|:[ \t]|[ \t]*$|[\"'],?[ \t]*$)"
    rb"|^[ \t]*[\"'](?:CELERY_)?RESULT_BACKEND[\"'][ \t]*:"
    rb"|^[ \t]*ENV[ \t]+(?:CELERY_)?RESULT_BACKEND[ \t]",
    re.MULTILINE,
)
_POOL = re.compile(rb"(?:--pool[ =]|(?<![\w-])-P ?)[\"']?([A-Za-z_.:]+)")
# `-A proj`, `-Aproj`, `--app proj`, `--app=proj.celery:app` (the app celery loads).
_APP = re.compile(rb"(?:--app[ =]|(?<![\w-])-A ?)[\"']?([A-Za-z_][\w.:]*)")


@dataclass(frozen=True)
class SettingsModuleAssignment:
    """`DJANGO_SETTINGS_MODULE=proj.settings.production` in a deployment file."""

    module: str
    path: str


@dataclass
class WorkerCommands:
    """What the worker command lines (and settings assignments) found in the repository say."""

    count: int = 0
    sets_time_limit: bool = False
    pools: list[str] = field(default_factory=list)  # one entry per command ("prefork" if none)
    files: list[str] = field(default_factory=list)
    settings_modules: list[SettingsModuleAssignment] = field(default_factory=list)
    # Some deployment file names a result backend (`CELERY_RESULT_BACKEND=...` in an
    # environment, `--result-backend`): the code alone cannot show that no app has one.
    names_result_backend: bool = False
    apps: list[str] = field(default_factory=list)  # `-A` values, as written

    @property
    def all_without_children(self) -> bool:
        """Every worker found runs tasks without child processes (threads, solo, green)."""
        no_children = {"threads", "solo", "gevent", "eventlet"}
        return bool(self.pools) and all(pool in no_children for pool in self.pools)


def scan(paths: list[str], root: Path) -> WorkerCommands:
    """Read the deployment files discovery found (not under hidden directories such as
    .github: a CI job's `celery worker` is a test run, not how production starts)."""
    found = WorkerCommands()
    base = str(root)
    for path in paths[:_MAX_FILES]:
        relative = os.path.relpath(path, base) if path.startswith(base) else path
        if any(part.startswith(".") for part in Path(relative).parts[:-1]):
            continue
        try:
            if os.path.getsize(path) > _MAX_BYTES:
                continue
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        if _RESULT_BACKEND.search(data):
            found.names_result_backend = True
        if b"worker" in data and b"celery" in data.lower():
            _read_commands(data, path, found)
        if _SETTINGS_VARIABLE.encode() in data:
            for module in dict.fromkeys(settings_modules(data, path)):
                found.settings_modules.append(SettingsModuleAssignment(module, path))
    return found


def _read_commands(data: bytes, path: str, found: WorkerCommands) -> None:
    # Join shell continuations so `celery -A x worker \\\n  --time-limit=9` is one line.
    text = re.sub(rb"\\\r?\n", b" ", data)
    for match in _WORKER.finditer(text):
        start = text.rfind(b"\n", 0, match.start()) + 1
        if text[start : match.start() + 1].lstrip().startswith(b"#"):
            continue  # a commented-out command
        line = match.group(0)
        found.count += 1
        found.files.append(path)
        if _TIME_LIMIT.search(line):
            found.sets_time_limit = True
        pool = _POOL.search(match.group(1))
        found.pools.append(pool.group(1).decode("ascii", "replace").lower() if pool else "prefork")
        app = _APP.search(line)
        if app:
            found.apps.append(app.group(1).decode("ascii", "replace"))


_SETTINGS_VARIABLE = "DJANGO_SETTINGS_MODULE"
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\Z")


def settings_modules(data: bytes, path: str) -> list[str]:
    """The settings modules a deployment file assigns to DJANGO_SETTINGS_MODULE."""
    text = data.decode("utf-8", "replace")
    if path.lower().endswith((".yml", ".yaml")):
        from celerylint.facts.deploy import DeploymentError, load_yaml

        found: list[str] = []
        try:
            # With the node budget of facts.deploy: an alias bomb is not walked.
            for document in load_yaml(text, partial=True):
                _from_yaml(document, found, 0)
        except DeploymentError:
            pass  # a template (Helm, Jinja), a broken document or a bomb: names nothing
    else:
        found = _from_lines(text)
    return [module for module in found if _DOTTED.match(module)]


def _from_yaml(node: Any, found: list[str], depth: int) -> None:
    """compose `environment:` (a mapping or `VAR=value` items), k8s `env:` (name/value
    pairs), and command strings anywhere."""
    if depth > 50:
        return
    if isinstance(node, dict):
        value = node.get(_SETTINGS_VARIABLE)
        if isinstance(value, str):
            found.append(value)
        if node.get("name") == _SETTINGS_VARIABLE and isinstance(node.get("value"), str):
            found.append(node["value"])
        for child in node.values():
            _from_yaml(child, found, depth + 1)
    elif isinstance(node, list):
        for item in node:
            _from_yaml(item, found, depth + 1)
    elif isinstance(node, str) and _SETTINGS_VARIABLE in node:
        found.extend(_from_lines(node))


def _from_lines(text: str) -> list[str]:
    """`ENV VAR=value` / `ENV VAR value` (Dockerfile), `export VAR=value`, `VAR=value cmd`."""
    found: list[str] = []
    for line in re.sub(r"\\\r?\n", " ", text).splitlines():
        if _SETTINGS_VARIABLE not in line or line.lstrip().startswith("#"):
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue  # an unbalanced quote
        for i, word in enumerate(words):
            if _SETTINGS_VARIABLE in word and any(space.isspace() for space in word):
                found.extend(_from_lines(word))  # sh -c "DJANGO_SETTINGS_MODULE=x celery ..."
            elif word.startswith(f"{_SETTINGS_VARIABLE}="):
                found.append(word.split("=", 1)[1])
            elif word == _SETTINGS_VARIABLE and i == 1 and words[0] == "ENV" and len(words) > 2:
                found.append(words[2])  # the Dockerfile's legacy `ENV key value`
    return found
