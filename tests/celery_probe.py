"""Import a fixture project with real Celery and print what Celery resolved.

Usage: ``python tests/celery_probe.py [--app module:variable] <fixture_dir>``

This is the ground truth of the differential tests, so it must run the
fixture the way a worker would and nothing else: it imports the project
(never celerylint), in its own process, with no stray ``CELERY_*`` or
``DJANGO_*`` variables (Celery reads some of them directly, e.g.
``CELERY_BROKER_URL`` beats every config source). ``<fixture_dir>/probe.json``
says what to import::

    {"apps": ["proj.celery:app"],        # module:variable of each Celery app
     "import": ["orders.tasks"],         # modules to import after the app, in order
     "import_default_modules": true,     # run the worker's autodiscovery/imports
     "env": {"DJANGO_SETTINGS_MODULE": "proj.settings.production"},
     "path": ["svc_a", "svc_b"],        # optional: source roots below the fixture
     "scripts": true}                   # optional: apps run as scripts (see below)

With ``"scripts": true`` an app ``svc_a.tasks:app`` lives in a directory that
is no package and runs the way ``celery -A tasks`` started in ``svc_a`` runs
it: ``svc_a`` is ``sys.path[0]`` and the module is ``tasks``; the ``import``
modules are then found next to it too.

Each app is probed in a fresh interpreter of its own (see ``probe``); the
``import`` modules are imported in each of them.

Output (stdout, JSON)::

    {"proj.celery:app": {"settings": {name: value},
                         "tasks": {task_name: {option: value}}}}

Task options are the attributes of the registered task object, i.e. after
Celery merged decorator keywords, base classes, the app's settings
(``Task.from_config``) and ``task_annotations`` - what a worker runs with.

Any import error propagates: the probe exits non-zero with the traceback.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# The settings and task options compared: the static view (celerylint inspect) lists the same.
from celerylint.model.describe import SETTINGS, TASK_OPTIONS

# Settings whose real value comes from a Settings property (environment
# variables and fallback keys), not from the plain mapping lookup.
PROPERTY_SETTINGS = frozenset({"broker_url", "result_backend"})


# Not Task attributes unless a task sets them; these are the defaults Celery
# itself falls back to when it reads them (celery.app.autoretry).
AUTORETRY_DEFAULTS: dict[str, Any] = {"autoretry_for": (), "retry_backoff": False}

CLEARED_ENV_PREFIXES = ("CELERY_", "DJANGO_")

APP_TIMEOUT = 90


def to_json(value: Any) -> Any:
    """Turn a Celery value into plain JSON, in the shape celerylint reports."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, type):
        return qualified_name(value)
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_json(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return repr(value)


def qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def load_spec(fixture: Path) -> dict[str, Any]:
    spec = json.loads((fixture / "probe.json").read_text(encoding="utf-8"))
    unknown = set(spec) - {"apps", "import", "import_default_modules", "env", "path", "scripts"}
    if unknown:
        raise SystemExit(f"probe.json: unknown keys {sorted(unknown)}")
    if not spec.get("apps"):
        raise SystemExit("probe.json: 'apps' must name at least one app")
    return spec


def prepare_process(fixture: Path, env: dict[str, str], roots: list[str]) -> None:
    for name in list(os.environ):
        if name.startswith(CLEARED_ENV_PREFIXES):
            del os.environ[name]
    os.environ.update(env)
    # Importing the fixture must not leave __pycache__ in the source tree.
    sys.dont_write_bytecode = True
    sys.path[0] = str(fixture)
    # A monorepo's projects each run from their own directory.
    sys.path[1:1] = [str(fixture / root) for root in roots]
    # A fixture must not depend on the directory it is started from.
    os.chdir(tempfile.mkdtemp(prefix="celery-probe-"))


def resolve_app(ref: str) -> Any:
    module_name, _, attr = ref.partition(":")
    if not attr:
        raise SystemExit(f"probe.json: app {ref!r} is not 'module:variable'")
    return getattr(importlib.import_module(module_name), attr)


def dump_settings(app: Any) -> dict[str, Any]:
    conf = app.conf
    out: dict[str, Any] = {}
    for name in SETTINGS:
        value = getattr(conf, name) if name in PROPERTY_SETTINGS else conf.get(name)
        out[name] = to_json(value)
    return out


def dump_task(task: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for option in TASK_OPTIONS:
        out[option] = to_json(getattr(task, option, AUTORETRY_DEFAULTS.get(option)))
    return out


def probe_app(fixture: Path, ref: str) -> dict[str, Any]:
    """Probe one app, in the current process, as its own worker would see it."""
    spec = load_spec(fixture)
    env = {str(k): str(v) for k, v in spec.get("env", {}).items()}
    prepare_process(fixture, env, [str(root) for root in spec.get("path", [])])

    if spec.get("scripts"):
        # A script directory: its files import each other by bare name.
        directory, _, script = ref.partition(":")[0].rpartition(".")
        sys.path[0] = str(fixture.joinpath(*directory.split(".")))
        app = resolve_app(f"{script}:{ref.partition(':')[2]}")
    else:
        app = resolve_app(ref)
    for module_name in spec.get("import", []):
        importlib.import_module(module_name)
    if spec.get("import_default_modules"):
        # What a worker does at startup: autodiscover_tasks, `imports`, `include`.
        app.loader.import_default_modules()

    app.finalize(auto=True)
    tasks = {
        name: dump_task(task)
        for name, task in sorted(app.tasks.items())
        if not name.startswith("celery.")
    }
    return {"settings": dump_settings(app), "tasks": tasks}


def probe(fixture: Path) -> dict[str, Any]:
    """Probe every app of the fixture, each in a fresh interpreter.

    ``@app.task`` is shared by default: Celery registers it with *every* app
    finalized in the same process, with that app's settings. Two services
    probed side by side would each show the other's tasks, which neither
    worker ever runs.
    """
    result: dict[str, Any] = {}
    for ref in load_spec(fixture)["apps"]:
        proc = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--app", ref, str(fixture)],
            capture_output=True,
            text=True,
            check=False,
            # Below the test's own timeout, so a hung fixture is not left behind.
            timeout=APP_TIMEOUT,
        )
        sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            raise SystemExit(f"probing {ref} failed (exit {proc.returncode})")
        result[ref] = json.loads(proc.stdout)
    return result


def main(argv: list[str]) -> int:
    args = argv[1:]
    ref = None
    if len(args) == 3 and args[0] == "--app":
        ref, args = args[1], args[2:]
    if len(args) != 1:
        print(f"usage: {argv[0]} [--app module:variable] <fixture_dir>", file=sys.stderr)
        return 2
    fixture = Path(args[0]).resolve()
    # Whatever the fixture prints must not corrupt the JSON on stdout.
    with contextlib.redirect_stdout(sys.stderr):
        result = probe(fixture) if ref is None else probe_app(fixture, ref)
    json.dump(result, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
