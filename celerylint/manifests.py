"""Worker command lines in deployment files: what a worker is started with.

`celery -A proj worker --time-limit=600 -P threads` in a Procfile, a compose
file, a k8s manifest, a Dockerfile or a shell script changes what the Python
code alone says: a global hard limit, a pool without child processes. Commands
are found line by line, whatever the file format (YAML lists, JSON arrays,
shell continuations, Procfile entries), so no parser is needed; values are
only used to keep rules silent, never to report.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

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
_POOL = re.compile(rb"(?:--pool[ =]|(?<![\w-])-P ?)[\"']?([A-Za-z_.:]+)")
# `-A proj`, `-Aproj`, `--app proj`, `--app=proj.celery:app` (the app celery loads).
_APP = re.compile(rb"(?:--app[ =]|(?<![\w-])-A ?)[\"']?([A-Za-z_][\w.:]*)")


@dataclass
class WorkerCommands:
    """What the worker command lines found in the repository say."""

    count: int = 0
    sets_time_limit: bool = False
    pools: list[str] = field(default_factory=list)  # one entry per command ("prefork" if none)
    files: list[str] = field(default_factory=list)
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
        if b"worker" in data and b"celery" in data.lower():
            _read_commands(data, path, found)
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
