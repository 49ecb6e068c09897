"""Deployment files as a configuration source: parsed for real, hostile ones survived."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml

from celerylint.cli import main
from celerylint.facts import deploy
from celerylint.facts.deploy import dockerfile_image, read_deployments
from celerylint.facts.values import converted
from celerylint.model.services import deployed_services, worker_queues

APP = (
    "import os\n\nfrom celery import Celery\n\n"
    'app = Celery("proj", broker="redis://redis:6379/0")\n\n\n'
    '@app.task(queue="reports")\ndef build():\n    pass\n'
)
WORKER = "worker: celery -A proj worker -Q default\n"


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
    return root


def services(root: Path, files: dict[str, str | bytes]) -> dict[str, object]:
    write(root, files)
    paths = sorted(str(p) for p in root.rglob("*") if p.is_file())
    facts = read_deployments(paths, root)
    return {s.name: s for s in deployed_services(facts.processes)}


def run(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[list[str], str]:
    main(["check", "--no-cache", "--output-format", "json", str(root)])
    captured = capsys.readouterr()
    return sorted(f["code"] for f in json.loads(captured.out)), captured.err


# -- parsing -----------------------------------------------------------------------


def test_compose_anchors_env_forms_env_file_and_interpolation(tmp_path: Path) -> None:
    found = services(
        tmp_path,
        {
            ".env": "POOL=threads\n",
            "common.env": "QUEUES=a,b\nSECRET=x\n",
            "docker-compose.yml": (
                "x-base: &base\n  image: proj\n  env_file: [common.env]\n"
                "  environment: &env\n    - CELERY_WORKER_POOL=${POOL}\n"
                "services:\n"
                "  worker:\n    <<: *base\n"
                '    command: sh -c "cd /app && exec celery -A proj worker -Q $$QUEUES"\n'
                "  beat:\n    <<: *base\n"
                "    entrypoint: [python, -m, celery, -A, proj.celery:app, beat]\n"
                "  web:\n    <<: *base\n    command: gunicorn proj.wsgi\n    profiles: [web]\n"
            ),
        },
    )
    worker = found["worker"]
    assert worker.role == "worker" and worker.app == "proj"  # type: ignore[attr-defined]
    assert worker.queues == ("a", "b")  # type: ignore[attr-defined]
    assert worker.pool_written == "threads"  # type: ignore[attr-defined]
    assert found["beat"].role == "beat" and found["beat"].app == "proj.celery:app"  # type: ignore[attr-defined]
    assert found["web"].role == "web" and found["web"].profiles == ("web",)  # type: ignore[attr-defined]


def test_env_files_read_as_compose_reads_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """compose's env-file parser also takes `KEY: value` (suitenumerique/docs); a statement
    neither it nor python-dotenv reads is left out without a word on stderr."""
    found = services(
        tmp_path,
        {
            "worker.env": (
                "CELERY_WORKER_POOL: solo\nexport QUEUES: 'a,b'\nPREFETCH:4\n"
                "this is no statement\nBROKER=redis://r:6379/0\n"
            ),
            "docker-compose.yml": (
                "services:\n  worker:\n    image: proj\n    env_file: [worker.env]\n"
                "    command: celery -A proj worker -Q $$QUEUES\n"
            ),
        },
    )
    worker = found["worker"]
    assert worker.pool_written == "solo"  # type: ignore[attr-defined]
    assert worker.queues == ("a", "b")  # type: ignore[attr-defined]
    environment = worker.environment  # type: ignore[attr-defined]
    assert environment["PREFETCH"] == "4" and environment["BROKER"] == "redis://r:6379/0"
    assert [k for k in environment if " " in k or ":" in k] == []
    assert worker.origins["BROKER"].line == 5  # type: ignore[attr-defined]
    assert capsys.readouterr().err == ""


def test_an_env_file_expands_its_own_variables_not_the_linting_machine_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A variable the file does not set comes from the environment of the machine that
    deploys, not of the one that lints: unknown (its default where one is written). The
    same findings in CI and on a laptop, whatever either has exported."""
    monkeypatch.setenv("REDIS_HOST", "from-the-linter")
    found = services(
        tmp_path,
        {
            "worker.env": (
                "HOST=r\nBROKER=redis://${HOST}:6379/0\nBACKEND=redis://${REDIS_HOST}/1\n"
                "POOL=${WORKER_POOL:-solo}\nQUEUES=${QUEUE_LIST}\n"
            ),
            "docker-compose.yml": (
                "services:\n  worker:\n    image: proj\n    env_file: [worker.env]\n"
                "    command: celery -A proj worker -P $$POOL\n"
            ),
        },
    )
    environment = found["worker"].environment  # type: ignore[attr-defined]
    assert environment["BROKER"] == "redis://r:6379/0"
    assert environment["BACKEND"] is None and environment["QUEUES"] is None
    assert environment["POOL"] == "solo"


def test_reading_env_files_loads_only_python_dotenv_s_parser(tmp_path: Path) -> None:
    """Its package's `__init__` imports logging, tempfile and shutil (50 ms and 4.8 MiB of
    a run on a project with an env file): never loaded by a check."""
    import subprocess
    import sys

    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": APP,
            ".env": "POOL=threads\n",
            "docker-compose.yml": (
                "services:\n  worker:\n    image: proj\n    env_file: [.env]\n"
                "    command: celery -A proj worker -P $$POOL\n"
            ),
        },
    )
    script = (
        "import sys\n"
        "from celerylint.cli import main\n"
        f"code = main(['check', '--no-cache', '--output-format', 'json', {str(tmp_path)!r}])\n"
        "print(sorted(m for m in ('dotenv', 'dotenv.main', 'logging', 'tempfile') "
        "if m in sys.modules), file=sys.stderr)\n"
        # The package, imported afterwards in the same process, is whole.
        "import dotenv, io\n"
        "print(dotenv.parser.parse_stream(io.StringIO('A=1')).__next__().key, "
        "dict(dotenv.dotenv_values(stream=io.StringIO('B=2'))), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stderr.splitlines()[-2:] == ["[]", "A {'B': '2'}"]


def test_kubernetes_env_from_config_maps_and_secrets(tmp_path: Path) -> None:
    found = services(
        tmp_path,
        {
            "k8s/config.yaml": (
                "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\n"
                "data: {BROKER_URL: cmVkaXM6Ly9yOjYzNzkvMA==}\n---\n"
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {Q: high}\n"
            ),
            "k8s/worker.yaml": (
                "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\n"
                "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
                "          containers:\n            - name: w\n"
                "              envFrom: [{secretRef: {name: creds}}, {configMapRef: {name: cfg}}]\n"
                '              command: ["celery", "-A", "proj", "worker", "-Q", "$(Q)"]\n'
            ),
        },
    )
    worker = found["nightly/w"]
    assert worker.queues == ("high",)  # type: ignore[attr-defined]
    assert worker.environment["BROKER_URL"] == "redis://r:6379/0"  # type: ignore[attr-defined]
    assert worker.origins["BROKER_URL"].secret  # type: ignore[attr-defined]


def test_dockerfile_stages_scripts_supervisor_systemd(tmp_path: Path) -> None:
    found = services(
        tmp_path,
        {
            "Dockerfile": (
                'FROM python:3.12 AS base\nENV POOL=solo\nFROM base\nCMD ["/start-worker"]\n'
            ),
            "compose/start-worker": '#!/bin/sh\nset -e\nexec celery -A proj worker -P "$POOL"\n',
            "deploy/supervisord.conf": (
                "[program:celery]\ncommand=celery -A proj worker -Q a,b\n"
                'environment=DJANGO_SETTINGS_MODULE="proj.settings"\n'
            ),
            "deploy/worker.service": (
                "[Service]\nEnvironment=Q=x\nExecStart=/venv/bin/celery -A proj worker -Q ${Q}\n"
            ),
        },
    )
    # The CMD runs a script that `exec`s celery, with the image's ENV from its base stage.
    assert found["Dockerfile"].role == "worker"  # type: ignore[attr-defined]
    assert found["Dockerfile"].pool_written == "solo"  # type: ignore[attr-defined]
    assert found["celery"].queues == ("a", "b")  # type: ignore[attr-defined]
    assert found["worker"].queues == ("x",)  # type: ignore[attr-defined]


def test_options_of_some_nodes_of_celery_multi_are_unknown(tmp_path: Path) -> None:
    """Weblate's `celery multi ... --queues:celery=celery,notify`: a node's own queues.
    Read as the worker's, `-Q` would be absent and the worker would consume the default
    queue only (queue-without-consumer then reported every other queue)."""
    found = services(
        tmp_path,
        {
            "deploy/one": "#!/bin/sh\ncelery multi start w1 -A proj --queues:w1=a,b\n",
            "deploy/two": "#!/bin/sh\ncelery multi start w1 w2 -A proj -Q a -Q:w2 b -c:1 3\n",
            "deploy/plain": "#!/bin/sh\ncelery multi start w1 -A proj -Q a,b -Aproj.celery:app\n",
        },
    )
    assert found["one:2"].queues is None  # type: ignore[attr-defined]
    two = found["two:2"]
    assert two.queues is None  # type: ignore[attr-defined]
    with pytest.raises(LookupError):
        two.option("concurrency")  # type: ignore[attr-defined]
    plain = found["plain:2"]
    assert plain.queues == ("a", "b")  # type: ignore[attr-defined]
    assert plain.app == "proj.celery:app"  # type: ignore[attr-defined]


def image_services(commands: dict[str, str]) -> str:
    """A compose file of services running one image, each with its command."""
    return "services:\n" + "".join(
        f"  {name}:\n    image: proj\n    command: {command}\n"
        for name, command in commands.items()
    )


BOOTSTRAP = """\
#!/bin/bash
set -e
case "${1}" in
  worker)
    echo "Starting Celery worker..."
    celery --app=proj.celery:app worker -Q mail,reports
    ;;
  beat|scheduler)  # the scheduler
    celery --app=proj.celery:app beat ;;
  'flower') exec celery --app=proj.celery:app flower ;;
  app)
    case "$MODE" in
      dev) flask run ;;
      *) gunicorn proj.wsgi ;;
    esac
    ;;
  *)
    exec "$@"
esac
"""


def test_an_entrypoint_script_runs_the_branch_of_its_case_its_argument_takes(
    tmp_path: Path,
) -> None:
    """Superset's `docker-bootstrap.sh worker`: each `case "$1"` branch starts a
    different process; the one the service's argument selects is what it runs."""
    compose = image_services(
        {
            "worker": '["/app/bootstrap.sh", "worker"]',
            "beat": "/app/bootstrap.sh scheduler",
            "flower": "sh /app/bootstrap.sh flower",
            "web": "/app/bootstrap.sh app",
            "passthrough": "/app/bootstrap.sh celery -A proj worker -Q other",
            "unknown": "/app/bootstrap.sh $ROLE",
        }
    )
    found = services(tmp_path, {"bootstrap.sh": BOOTSTRAP, "docker-compose.yml": compose})
    worker = found["worker"]
    assert worker.role == "worker" and worker.queues == ("mail", "reports")  # type: ignore[attr-defined]
    assert found["beat"].role == "beat"  # type: ignore[attr-defined]
    assert found["flower"].role == "flower"  # type: ignore[attr-defined]
    assert found["web"].role == "web"  # type: ignore[attr-defined]
    # No branch of its own starts anything: the script runs its arguments.
    assert found["passthrough"].queues == ("other",)  # type: ignore[attr-defined]
    assert not found["unknown"].command_known  # type: ignore[attr-defined]


def test_an_if_on_the_first_argument_is_read_as_a_case(tmp_path: Path) -> None:
    """treeherder's `entrypoint_prod.sh`: `if [ "$1" == "web" ]; then ... elif [ "$1" ==
    "worker_misc" ]; then ...`. Each branch was run by every service (the web server
    was a worker and beat)."""
    script = (
        "#!/bin/bash\n"
        'if [ "$1" == "web" ]; then\n'
        "    exec gunicorn proj.wsgi\n"
        'elif [[ "${1}" == worker_* ]]; then\n'
        '    if [ -n "$DEBUG" ]; then\n        echo debugging\n    fi\n'
        "    exec celery -A proj worker -Q misc\n"
        'elif [ "$1" = "beat" ]; then\n'
        "    exec celery -A proj beat\n"
        "else\n"
        "    exec celery -A proj worker -Q other\n"
        "fi\n"
    )
    compose = image_services(
        {
            "web": "/app/entry.sh web",
            "misc": "/app/entry.sh worker_misc",
            "beat": "/app/entry.sh beat",
            "other": "/app/entry.sh anything",
        }
    )
    found = services(tmp_path, {"entry.sh": script, "docker-compose.yml": compose})
    assert found["web"].role == "web"  # type: ignore[attr-defined]
    assert found["misc"].role == "worker" and found["misc"].queues == ("misc",)  # type: ignore[attr-defined]
    assert found["beat"].role == "beat"  # type: ignore[attr-defined]
    assert found["other"].queues == ("other",)  # type: ignore[attr-defined]


def test_a_case_on_a_variable_takes_the_service_s_value(tmp_path: Path) -> None:
    script = (
        "#!/bin/sh\ncase $ROLE in  # what to run\n"
        "  solo) celery -A proj worker -P solo ;;\n"
        "  *) celery -A proj worker -P threads\n"
        "esac\n"
    )
    compose = (
        "services:\n"
        "  solo:\n    image: proj\n    environment:\n      ROLE: solo\n"
        "    command: /app/bootstrap.sh\n"
        "  threads:\n    image: proj\n    environment:\n      ROLE: big\n"
        "    command: /app/bootstrap.sh\n"
    )
    found = services(tmp_path, {"bootstrap.sh": script, "docker-compose.yml": compose})
    assert found["solo"].pool_written == "solo"  # type: ignore[attr-defined]
    assert found["threads"].pool_written == "threads"  # type: ignore[attr-defined]


def test_an_export_holds_in_the_branch_that_made_it(tmp_path: Path) -> None:
    """An `export` under `case "$1"` or `if` is made only where that branch runs: the
    branch's own commands see it, the commands after the block do not know it (each
    service ran with the file's last export)."""
    in_branch = (
        '#!/bin/sh\ncase "$1" in\n'
        "  reports)\n    export QUEUES=reports\n    exec celery -A proj worker -Q $QUEUES ;;\n"
        "  io)\n    export QUEUES=io\n    exec celery -A proj worker -Q $QUEUES ;;\n"
        "esac\n"
    )
    after = (
        '#!/bin/sh\ncase "$1" in\n'
        "  reports)\n    export QUEUES=reports\n    ;;\n"
        "  io)\n    export QUEUES=io POOL=gevent\n    ;;\n"
        "esac\n"
        'if [ -n "$DEBUG" ]; then\n  export POOL=solo\nfi\n'
        "exec celery -A proj worker -Q $QUEUES -P $POOL\n"
    )
    compose = image_services(
        {
            "reports": "/app/in_branch.sh reports",
            "io": "/app/in_branch.sh io",
            "after": "/app/after.sh reports",
        }
    )
    found = services(
        tmp_path, {"in_branch.sh": in_branch, "after.sh": after, "docker-compose.yml": compose}
    )
    assert found["reports"].queues == ("reports",)  # type: ignore[attr-defined]
    assert found["io"].queues == ("io",)  # type: ignore[attr-defined]
    assert found["after"].role == "worker" and found["after"].queues is None  # type: ignore[attr-defined]
    with pytest.raises(LookupError):
        found["after"].pool_written  # type: ignore[attr-defined]  # noqa: B018


def test_a_script_s_exports_are_the_environment_its_worker_runs_in(tmp_path: Path) -> None:
    """`celery worker` reads its options from CELERY_WORKER_<OPTION> (click's
    auto_envvar_prefix): exported by the script that starts it as set by the compose
    file, over the compose file's value; an explicit option wins over its variable; one
    exported in another branch only may be set; workers side by side see alike only
    what both see."""
    script = (
        "#!/bin/bash\n"
        "export CELERY_WORKER_QUEUES=celery,email CELERY_WORKER_TIME_LIMIT=300\n"
        'case "$1" in\n  io) export CELERY_WORKER_POOL=gevent ;;\nesac\n'
        "exec celery -A proj worker\n"
    )
    explicit = (
        "#!/bin/bash\nexport CELERY_WORKER_QUEUES=celery,email CELERY_WORKER_TIME_LIMIT=300\n"
        "exec celery -A proj worker -Q celery --time-limit=60\n"
    )
    beside = (
        "#!/bin/bash\nexport CELERY_WORKER_TIME_LIMIT=120\ncelery -A proj worker -Q a &\n"
        "export CELERY_WORKER_POOL=solo\ncelery -A proj worker -Q b &\nwait\n"
    )
    compose = (
        "services:\n"
        "  worker:\n    image: proj\n    command: ./start.sh\n"
        "    environment:\n      CELERY_WORKER_QUEUES: other\n"
        "  explicit:\n    image: proj\n    command: ./explicit.sh\n"
        "  beside:\n    image: proj\n    command: ./beside.sh\n"
    )
    files = {"start.sh": script, "explicit.sh": explicit, "beside.sh": beside}
    found = services(tmp_path, {**files, "docker-compose.yml": compose})
    worker = found["worker"]
    assert worker.queues == ("celery", "email")  # type: ignore[attr-defined]
    assert worker.option("time_limit") == "300"  # type: ignore[attr-defined]
    origin = worker.variable_origin("CELERY_WORKER_QUEUES")  # type: ignore[attr-defined]
    assert origin is not None and origin[0].endswith("start.sh") and origin[1].line == 2
    with pytest.raises(LookupError):  # exported in the `io` branch only
        worker.pool_written  # type: ignore[attr-defined]  # noqa: B018
    given = found["explicit"]
    assert given.queues == ("celery",)  # type: ignore[attr-defined]
    assert given.option("time_limit") == "60"  # type: ignore[attr-defined]
    beside_ = found["beside"]
    assert beside_.queues == ("a", "b")  # type: ignore[attr-defined]
    assert beside_.option("time_limit") == "120"  # type: ignore[attr-defined]
    with pytest.raises(LookupError):  # solo for one worker, prefork for the other
        beside_.pool_written  # type: ignore[attr-defined]  # noqa: B018


def test_a_script_s_functions_run_where_they_are_called(tmp_path: Path) -> None:
    """baserow's entrypoint: `celery-worker)` calls `start_celery_worker -Q ...`, a
    function of the script that runs `exec celery -A baserow worker ... "$@"`. Its help
    text, a quoted string over many lines, and a here-document name programs without
    running them."""
    script = (
        "#!/bin/bash\n"
        "start_worker() {\n"
        '  exec celery -A proj worker -l INFO "$@"\n'
        "}\n\n"
        "show_help() {\n"
        '    echo """\n'
        "celery-worker : Start the celery worker\n"
        "gunicorn      : Start the web server\n"
        '"""\n'
        "}\n\n"
        "python3 << END\n"
        "import celery\n"
        "END\n"
        'case "$1" in\n'
        "  celery-worker)\n    start_worker -Q celery,io -n default@%h ;;\n"
        '  celery-beat)\n    exec celery -A proj beat "${@:2}" ;;\n'
        "  *)\n    show_help ;;\n"
        "esac\n"
    )
    compose = image_services(
        {
            "worker": "/app/entry.sh celery-worker",
            "beat": "/app/entry.sh celery-beat -l INFO",
            "help": "/app/entry.sh help",
        }
    )
    found = services(tmp_path, {"entry.sh": script, "docker-compose.yml": compose})
    assert found["worker"].role == "worker"  # type: ignore[attr-defined]
    assert found["worker"].queues == ("celery", "io")  # type: ignore[attr-defined]
    assert found["beat"].role == "beat"  # type: ignore[attr-defined]
    assert found["beat"].options["loglevel"] == "INFO"  # type: ignore[attr-defined]
    assert found["help"].role not in ("worker", "beat", "web")  # type: ignore[attr-defined]


def test_a_compose_build_context_is_interpolated(tmp_path: Path) -> None:
    """courtlistener: `context: "${CL_BASE_DIR:-../../}"`, and the image's ENTRYPOINT
    script picks its branch by the service's `command: celery`."""
    found = services(
        tmp_path,
        {
            "docker/app/Dockerfile": 'FROM python:3.12\nENTRYPOINT ["/bin/sh", "/srv/entry.sh"]\n',
            "docker/app/entry.sh": (
                "#!/bin/sh\ncase \"$1\" in\n'celery')\n    exec celery --app=proj worker\n"
                "    ;;\n'web')\n    exec gunicorn proj.wsgi\n    ;;\nesac\n"
            ),
            "docker/compose/docker-compose.yml": (
                "services:\n  tasks:\n    build:\n      context: ${BASE:-../../}\n"
                "      dockerfile: ./docker/app/Dockerfile\n    command: celery\n"
            ),
        },
    )
    assert found["tasks"].role == "worker" and found["tasks"].app == "proj"  # type: ignore[attr-defined]


def test_a_script_s_arguments_and_unreadable_words(tmp_path: Path) -> None:
    """What a script is given fills its `"$@"` and `$1`; a word that stays unreadable (a
    bash array, a program in a variable) leaves the command unknown, never "not Celery":
    a worker dropped as such made queue-without-consumer report queues it consumes."""
    compose = image_services(
        {
            "passed": "/app/run.sh worker -Q a,b",
            "first": "/app/first.sh beat",
            "array": "/app/array.sh -Q slow",
            "variable": "/app/variable.sh",
        }
    )
    found = services(
        tmp_path,
        {
            "docker-compose.yml": compose,
            "run.sh": '#!/bin/sh\nexec celery -A proj "$@"\n',
            "first.sh": "#!/bin/sh\nexec celery -A proj $1 --loglevel=INFO\n",
            "array.sh": (
                '#!/bin/bash\nCELERY_OPTS=( "${CELERY_ROLE}" )\n'
                'celery --app="${CELERY_APP:-ietf}" "${CELERY_OPTS[@]}" "$@" &\n'
            ),
            "variable.sh": (
                '#!/usr/bin/env bash\nCELERY_BIN=${CELERY_BIN:-"$(which celery||echo celery)"}\n'
                "$CELERY_BIN -A proj worker -Q reports &\n"
            ),
        },
    )
    assert found["passed"].role == "worker" and found["passed"].queues == ("a", "b")  # type: ignore[attr-defined]
    assert found["first"].role == "beat"  # type: ignore[attr-defined]
    assert not found["array"].command_known  # type: ignore[attr-defined]
    assert not found["variable"].command_known  # type: ignore[attr-defined]


def test_a_script_s_own_variables_are_put_in_its_commands(tmp_path: Path) -> None:
    """IntelOwl's entrypoints assign the worker's arguments to a variable and run
    `celery $ARGUMENTS`: the words are the variable's, split as the shell splits them;
    a variable assigned differently in two branches is unknown where it is read."""
    compose = image_services(
        {
            "default": "/app/default.sh",
            "quoted": "/app/quoted.sh",
            "branches": "/app/branches.sh",
            "prefix": "/app/prefix.sh",
        }
    )
    found = services(
        tmp_path,
        {
            "docker-compose.yml": compose,
            "default.sh": (
                '#!/bin/bash\nQUEUES=default,broadcast\nARGUMENTS="-A proj worker -Q ${QUEUES}"\n'
                "/usr/local/bin/celery $ARGUMENTS --time-limit=100\n"
            ),
            # One word, as the shell passes it: the app named `proj worker`, no subcommand.
            "quoted.sh": '#!/bin/bash\nAPP="proj worker"\nexec celery -A "$APP" -Q a\n',
            "branches.sh": (
                '#!/bin/bash\nif [ "$STAGE" = ci ]; then\n  Q=ci\nelse\n  Q=prod\nfi\n'
                "exec celery -A proj worker -Q $Q\n"
            ),
            # The environment of one command, not a variable of the script.
            "prefix.sh": "#!/bin/bash\nC_FORCE_ROOT=1 celery -A proj worker -Q $C_FORCE_ROOT\n",
        },
    )
    default = found["default"]
    assert default.role == "worker" and default.queues == ("default", "broadcast")  # type: ignore[attr-defined]
    assert default.options["time_limit"] == "100"  # type: ignore[attr-defined]
    assert found["quoted"].role != "worker"  # type: ignore[attr-defined]
    assert found["branches"].role == "worker" and found["branches"].queues is None  # type: ignore[attr-defined]
    assert found["prefix"].queues is None  # type: ignore[attr-defined]


def test_a_shell_script_s_commands_are_read_one_by_one(tmp_path: Path) -> None:
    """timesketch's e2e image runs `celery ... worker & gunicorn --threads $N ...` under
    `bash -c`: the worker runs beside the server, and a variable not known spoils only
    the command it is in."""
    found = services(
        tmp_path,
        {
            "docker-compose.yml": image_services(
                {
                    "both": '[bash, -c, "celery -A proj worker -Q a & gunicorn --threads $$N w:a"]',
                    "redirected": '[sh, -c, "celery -A proj worker -Q b 2>&1 | tee log"]',
                    "served": '[sh, -c, "celery -A proj beat; gunicorn --threads $$N w:a"]',
                }
            ),
        },
    )
    assert found["both"].role == "worker" and found["both"].queues == ("a",)  # type: ignore[attr-defined]
    assert found["redirected"].role == "worker" and found["redirected"].queues == ("b",)  # type: ignore[attr-defined]
    assert found["served"].role == "web"  # type: ignore[attr-defined]


def test_a_shell_line_is_split_where_the_shell_splits_it(tmp_path: Path) -> None:
    """`;`, `&&` and `&` separate commands, outside quotes and comments (a quoted `;` had
    made the whole `sh -c` script unknown); a script's line starts each of its commands,
    a Procfile's line its last, as `sh -c` does; a worker a Procfile's `sh -c` script
    names still consumes its queues for queue-without-consumer."""
    found = services(
        tmp_path,
        {
            "docker-compose.yml": image_services(
                {"quoted": "[sh, -c, \"echo 'up; now' && celery -A proj worker -Q 'a;b'\"]"}
            ),
            "run.sh": "#!/bin/sh\ncelery -A proj worker -Q c & python manage.py runserver\n",
            "Procfile": "worker: cd api && celery -A proj worker -Q d # or e; f\n",
        },
    )
    assert found["quoted"].queues == ("a;b",)  # type: ignore[attr-defined]
    assert found["worker"].queues == ("d",)  # type: ignore[attr-defined]
    facts = read_deployments([str(tmp_path / "run.sh")], tmp_path)
    assert [p.argv for p in facts.processes] == [
        ("celery", "-A", "proj", "worker", "-Q", "c"),
        ("python", "manage.py", "runserver"),
    ]
    argv = ("sh", "-c", "cd api && celery -A proj worker -Q d")
    assert worker_queues(argv) == {"d"}


def test_a_helm_template_that_names_celery_is_a_service_not_read(tmp_path: Path) -> None:
    """A Helm template is YAML only once rendered: its workloads are not read. One that
    names Celery may run a worker (cla's production worker): a service whose command is
    not known, so that queue-without-consumer claims nothing."""
    worker = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-worker\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - name: worker\n"
        '          command: ["celery", "-A", "proj", "worker", "-Q", "{{ .Values.queue }}"]\n'
    )
    web = worker.replace("worker", "web").replace('"celery", "-A", "proj", ', '"gunicorn", ')
    found = services(
        tmp_path, {"chart/templates/worker.yaml": worker, "chart/templates/web.yaml": web}
    )
    assert list(found) == ["chart/templates/worker.yaml"]
    assert not found["chart/templates/worker.yaml"].command_known  # type: ignore[attr-defined]


def test_workers_a_script_starts_side_by_side_are_one_consumer(tmp_path: Path) -> None:
    """mozillians' run-celery.sh starts `worker -Q celery &` and `worker -Q cis &`: the
    container consumes both queues; an option the two give differently is unknown. A
    worker without `-Q` among them consumes the default queue: not told, as before. A
    beat of the same app beside a worker (SEED) makes it a worker and beat."""
    found = services(
        tmp_path,
        {
            "docker-compose.yml": image_services(
                {
                    "both": "./run-celery.sh",
                    "default": "./run-default.sh",
                    "with-beat": "./run-beat.sh",
                }
            ),
            "run-celery.sh": (
                "#!/bin/bash\ncelery -A proj worker -Q celery -c 4 --time-limit=60 &\n"
                "celery -A proj worker -Q cis,celery -c 2 --time-limit=60 &\nwait\n"
            ),
            "run-default.sh": (
                "#!/bin/bash\ncelery -A proj worker &\ncelery -A proj worker -Q cis &\nwait\n"
            ),
            # SEED: the beat in the background, then the worker.
            "run-beat.sh": "#!/bin/bash\ncelery -A proj beat -s /tmp/s &\ncelery -A proj worker\n",
        },
    )
    both = found["both"]
    assert both.role == "worker" and both.queues == ("celery", "cis")  # type: ignore[attr-defined]
    assert both.options["time_limit"] == "60"  # type: ignore[attr-defined]
    assert both.options["concurrency"] != "4"  # type: ignore[attr-defined]
    assert not found["default"].command_known  # type: ignore[attr-defined]
    beat = found["with-beat"]
    assert beat.role == "worker" and beat.also_beat and beat.queues == ()  # type: ignore[attr-defined]


def test_a_management_command_named_like_celery_may_start_a_worker(tmp_path: Path) -> None:
    """koku's compose worker runs `python manage.py restart_celery`, which starts a worker
    on `-Q celery,download,hcs,...`: not read, so its command is unknown (CL603 claims
    nothing), where it was dropped as "not Celery"."""
    found = services(
        tmp_path,
        {
            "docker-compose.yml": image_services(
                {
                    "worker": "python manage.py restart_celery",
                    "beat": "./manage.py celerybeat_custom",
                    "migrate": "python manage.py migrate",
                }
            ),
        },
    )
    assert not found["worker"].command_known  # type: ignore[attr-defined]
    assert not found["beat"].command_known  # type: ignore[attr-defined]
    assert found["migrate"].role == "other" and found["migrate"].command_known  # type: ignore[attr-defined]


def test_short_options_written_together_and_bare_entrypoints(tmp_path: Path) -> None:
    """`-EQ slow` is `-E -Q slow` (Celery's parser); `-EBS x` adds beat. seed's image
    runs a bare-name ENTRYPOINT (`COPY entry.sh /usr/local/bin/entry`, which execs "$@")
    before the worker: the worker was dropped, and queue-without-consumer could claim
    its queues had no consumer."""
    found = services(
        tmp_path,
        {
            "Procfile": (
                "slow: celery -A proj worker -EQ slow\n"
                "both: celery -A proj worker -c 4 -EBS django_celery_beat.schedulers:X\n"
            ),
            "Dockerfile": (
                "FROM python:3.12\nCOPY ./docker/entry.sh /usr/local/bin/entry\n"
                'ENTRYPOINT ["entry"]\n'
            ),
            "docker/entry.sh": '#!/bin/sh\nexec "$@"\n',
            "docker-compose.yml": (
                "services:\n  fast:\n    build: .\n    command: celery -A proj worker -Q fast\n"
                "  other:\n    image: proj\n    command: other-tool celery -A proj worker\n"
                "  alone:\n    image: nginx\n    command: sh -c nginx\n"
            ),
        },
    )
    assert found["slow"].queues == ("slow",)  # type: ignore[attr-defined]
    assert found["both"].role == "worker" and found["both"].also_beat  # type: ignore[attr-defined]
    assert found["fast"].role == "worker" and found["fast"].queues == ("fast",)  # type: ignore[attr-defined]
    assert not found["other"].command_known  # type: ignore[attr-defined]
    assert found["alone"].role == "other"  # type: ignore[attr-defined]


def _cookiecutter_django(stage: str, worker: str, beat: str, web: str) -> dict[str, str]:
    """The files of one stage (local, production) of a cookiecutter-django project."""
    base = f"compose/{stage}/django"
    return {
        f"{base}/Dockerfile": (
            "FROM python:3.13\nENV APP_HOME=/app\nWORKDIR ${APP_HOME}\n"
            f"COPY ./{base}/entrypoint /entrypoint\n"
            f"COPY --chown=django:django ./{base}/start /start\n"
            f"COPY --chown=django:django ./{base}/celery/worker/start /start-celeryworker\n"
            f"COPY --chown=django:django ./{base}/celery/beat/start /start-celerybeat\n"
            "COPY --from=python-build-stage /wheels /wheels\n"
            'ENTRYPOINT ["/entrypoint"]\n'
        ),
        f"{base}/entrypoint": '#!/bin/bash\nset -o errexit\nexec "$@"\n',
        f"{base}/start": f"#!/bin/bash\npython manage.py migrate\nexec {web}\n",
        f"{base}/celery/worker/start": f"#!/bin/bash\nexec {worker}\n",
        f"{base}/celery/beat/start": f"#!/bin/bash\nrm -f './celerybeat.pid'\nexec {beat}\n",
        f"docker-compose.{stage}.yml": (
            "services:\n  django: &django\n    build:\n      context: .\n"
            f"      dockerfile: ./{base}/Dockerfile\n    command: /start\n"
            "  celeryworker:\n    <<: *django\n    command: /start-celeryworker\n"
            "  celerybeat:\n    <<: *django\n    command: /start-celerybeat\n"
        ),
    }


def test_scripts_are_found_where_the_image_copied_them(tmp_path: Path) -> None:
    """cookiecutter-django: every start script is named `start`, and the Dockerfile
    copies each to its own path (`/start-celeryworker`): the compose command names the
    copy. By file name alone, all of them were `command not known`."""
    celery = "-A config.celery_app"
    local = services(
        tmp_path / "local",
        _cookiecutter_django(
            "local",
            f"watchfiles --filter python celery.__main__.main --args '{celery} worker -l INFO'",
            f"watchfiles --filter python celery.__main__.main --args '{celery} beat -l INFO'",
            "python manage.py runserver_plus 0.0.0.0:8000",
        ),
    )
    production = services(
        tmp_path / "production",
        _cookiecutter_django(
            "production",
            f"celery {celery} worker -Q default,mail -l INFO",
            f"celery {celery} beat -l INFO",
            "/usr/local/bin/gunicorn config.wsgi --bind 0.0.0.0:5000",
        ),
    )
    for found in (local, production):
        roles = [found[n].role for n in ("django", "celeryworker", "celerybeat")]  # type: ignore[attr-defined]
        assert roles == ["web", "worker", "beat"]
        assert found["celeryworker"].app == "config.celery_app"  # type: ignore[attr-defined]
    assert production["celeryworker"].queues == ("default", "mail")  # type: ignore[attr-defined]
    # The copied scripts are run through the services, not services of their own.
    assert not any(name.startswith("start") for name in {**local, **production})


def test_what_a_dockerfile_copies_where(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "scripts/run-worker.sh": "#!/bin/sh\nexec celery -A proj worker -Q a\n",
            "bin/one.sh": "#!/bin/sh\nexec celery -A proj worker -Q one\n",
            "bin/beat.sh": "#!/bin/sh\nexec celery -A proj beat\n",
            "Dockerfile": (
                "FROM python:3.13 AS build\nCOPY scripts/ /usr/local/bin/\n"
                "FROM build\nWORKDIR /srv\nCOPY bin/one.sh bin/beat.sh tools/\n"
                "COPY --from=build /usr/local/bin/run-worker.sh /elsewhere.sh\n"
                "WORKDIR ./app/\nCOPY bin/one.sh .\nCOPY bin/beat.sh ../x/./b.sh\n"
            ),
        },
    )
    image = dockerfile_image(str(tmp_path / "Dockerfile"), "Dockerfile")
    copied = dict(image.copied([tmp_path]))
    # As the image has the paths: `.` is the WORKDIR, a directory the file goes into.
    assert copied == {
        "/usr/local/bin": str(tmp_path / "scripts"),
        "/srv/tools/one.sh": str(tmp_path / "bin" / "one.sh"),
        "/srv/tools/beat.sh": str(tmp_path / "bin" / "beat.sh"),
        "/srv/app/one.sh": str(tmp_path / "bin" / "one.sh"),
        "/srv/x/b.sh": str(tmp_path / "bin" / "beat.sh"),
    }
    compose = (
        "services:\n"
        "  worker:\n    build: .\n    command: /usr/local/bin/run-worker.sh\n"
        "  one:\n    build: .\n    command: ./tools/one.sh\n"
        "  beat:\n    build: .\n    command: /srv/tools/beat.sh\n"
    )
    found = services(tmp_path, {"docker-compose.yml": compose})
    assert found["worker"].queues == ("a",)  # type: ignore[attr-defined]
    assert found["beat"].role == "beat"  # type: ignore[attr-defined]
    assert found["one"].queues == ("one",)  # type: ignore[attr-defined]


def _integrations(tmp_path: Path, commands: dict[str, str]) -> dict[str, object]:
    """IntelOwl's integration images: each directory's Dockerfile copies its own
    `entrypoint.sh` into its WORKDIR and runs `./entrypoint.sh`."""
    files: dict[str, str | bytes] = {"proj/__init__.py": "", "proj/celery.py": APP}
    for name, command in commands.items():
        files[f"{name}/Dockerfile"] = (
            "FROM python:3.12-slim\nWORKDIR /opt/svc\nCOPY app.py entrypoint.sh ./\n"
            'ENTRYPOINT ["./entrypoint.sh"]\n'
        )
        files[f"{name}/entrypoint.sh"] = f"#!/bin/sh\nexec {command}\n"
        files[f"{name}/app.py"] = ""
    return services(tmp_path, files)


def test_a_relative_entrypoint_is_the_script_copied_into_the_workdir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`./entrypoint.sh` is the script the image copied into its WORKDIR. Compared as
    written with `/opt/svc/./entrypoint.sh`, it was each directory's `entrypoint.sh` by
    file name: every service's command was not known, and CL603 was silent."""
    found = _integrations(
        tmp_path,
        {"web": "gunicorn app:app", "jobs": "celery -A proj worker -Q jobs --time-limit 60"},
    )
    assert found["web/Dockerfile"].role == "web"  # type: ignore[attr-defined]
    assert found["jobs/Dockerfile"].queues == ("jobs",)  # type: ignore[attr-defined]
    assert run(tmp_path, capsys)[0] == ["CL603"]


def test_a_relative_program_where_the_directory_is_not_known(tmp_path: Path) -> None:
    """A compose `working_dir:` is where the command starts; after a `cd` the directory
    is not known: `./entrypoint.sh` is then every script of that name (two here, one a
    worker: not known)."""
    compose = (
        "services:\n"
        "  moved:\n    build: web\n    working_dir: /srv\n    entrypoint: ./entrypoint.sh\n"
        "  back:\n    build: web\n    working_dir: /opt/svc\n    entrypoint: ./entrypoint.sh\n"
        "  cd:\n    build: web\n    entrypoint: sh -c 'cd /srv && ./entrypoint.sh'\n"
    )
    write(tmp_path, {"docker-compose.yml": compose})
    found = _integrations(
        tmp_path,
        {"web": "gunicorn app:app", "jobs": "celery -A proj worker -Q jobs --time-limit 60"},
    )
    assert found["back"].role == "web"  # type: ignore[attr-defined]
    assert not found["moved"].command_known  # type: ignore[attr-defined]
    assert not found["cd"].command_known  # type: ignore[attr-defined]


def test_a_systemd_unit_reads_the_environment_file_the_repository_ships(tmp_path: Path) -> None:
    """mailarch: `EnvironmentFile=/etc/default/celeryd`, the file Celery's daemonization
    guide installs there, shipped as `backend/celery/celeryd`: its `CELERYD_OPTS` hold the
    worker's `--time-limit` (CL201 had been reported on every task)."""
    found = services(
        tmp_path,
        {
            "deploy/celeryd": (
                'CELERY_BIN="/srv/env/bin/celery"\nCELERY_APP="proj.celery:app"\n'
                'CELERYD_OPTS="--time-limit=300 --concurrency=1"\n'
            ),
            "deploy/celeryd.service": (
                "[Service]\nEnvironment=CELERYD_OPTS=--time-limit=5\n"
                "EnvironmentFile=-/etc/default/celeryd\n"
                "ExecStart=/bin/sh -c '${CELERY_BIN} -A $CELERY_APP multi start w1 $CELERYD_OPTS'\n"
            ),
        },
    )
    worker = found["celeryd"]
    assert worker.role == "worker" and worker.app == "proj.celery:app"  # type: ignore[attr-defined]
    # The file's value wins over `Environment=`, as systemd reads them.
    assert worker.option("time_limit") == "300"  # type: ignore[attr-defined]


def test_project_runners_run_their_command(tmp_path: Path) -> None:
    """rero-ils: `uv run celery --app rero_ils.celery worker` was no service at all, nor
    codabench's `watchmedo auto-restart ... -- celery ...`, nor warehouse's `hupper`."""
    found = services(
        tmp_path,
        {
            "docker-compose.yml": image_services(
                {
                    "uv": "uv run --no-sync --env-file .env celery -A proj worker -Q a",
                    # dify's dev/start-beat: the tool's options before `run`
                    "uv-directory": "uv --directory api run celery -A proj worker -Q b",
                    "poetry": "poetry run celery -A proj beat",
                    "pipenv": "pipenv run gunicorn proj.wsgi",
                    "watched": (
                        "watchmedo auto-restart -p '*.py' --recursive -- "
                        "celery -A proj worker -Q site-worker"
                    ),
                    # warehouse's development worker, under Pyramid's reloader
                    "hupper": (
                        "hupper --shutdown-interval 10 -w a.py -m celery -A proj worker -Q h"
                    ),
                }
            )
        },
    )
    assert found["uv"].queues == ("a",)  # type: ignore[attr-defined]
    assert found["uv-directory"].queues == ("b",)  # type: ignore[attr-defined]
    assert found["poetry"].role == "beat"  # type: ignore[attr-defined]
    assert found["pipenv"].role == "web"  # type: ignore[attr-defined]
    assert found["watched"].queues == ("site-worker",)  # type: ignore[attr-defined]
    assert found["hupper"].queues == ("h",)  # type: ignore[attr-defined]


def test_environment_values_convert_like_the_lookup() -> None:
    assert converted("4", "int") == (True, 4)
    assert converted("no", "env_bool") == (True, False)
    assert converted("a,b", "list") == (True, ("a", "b"))
    assert converted("x", "int") == (False, None)
    assert converted("x", "opaque") == (False, None)


# -- hostile files -------------------------------------------------------------------

BOMB = "DJANGO_SETTINGS_MODULE: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"k{i}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("docker-compose.yml", "services:\n" + "  x: {image: y}\n" * 200_000, "KiB cap"),
        ("docker-compose.yml", BOMB, "alias bomb"),
        ("docker-compose.yml", b"\x89PNG\r\n\x1a\n\0\0\0", "binary file"),
        ("docker-compose.yml", "services:\n  web: [unclosed\n", "invalid YAML"),
        ("docker-compose.yml", "a: &a [*a]\n", "nested too deeply"),
        ("Procfile", "web: " + "x" * (10 * 1024 * 1024) + "\n", "KiB cap"),
        ("k8s/deploy.yaml", "apiVersion: v1\nkind: Pod\nspec: {containers: [}\n", "invalid YAML"),
        ("supervisord.conf", "[program:x\ncommand=celery\n", "invalid supervisord"),
        ("Dockerfile", b"FROM x\nCMD \xff\xfe\n", "not UTF-8"),
    ],
)
def test_hostile_file_is_one_warning_and_the_rest_still_runs(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str | bytes,
    message: str,
) -> None:
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": APP,
            "ops/Procfile": WORKER,
            f"bad/{name}": content,
        },
    )
    codes, err = run(tmp_path, capsys)
    assert codes == ["CL201", "CL603"]  # the good Procfile is still read
    warnings = [line for line in err.splitlines() if "deployment file not read" in line]
    assert len(warnings) == 1 and message in warnings[0], err


def test_big_non_manifest_yaml_is_skipped_quietly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {"proj/__init__.py": "", "proj/celery.py": APP, "tests/cassette.yaml": "x: y\n" * 600_000},
    )
    _, err = run(tmp_path, capsys)
    assert "deployment file not read" not in err


def test_a_binary_file_named_like_a_script_is_skipped_quietly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Celery beat's shelve file, committed (fastapi-celery-project): not a script.
    files: dict[str, str | bytes] = {
        "proj/__init__.py": "",
        "proj/celery.py": APP,
        "celerybeat-schedule": b"\x00\x06\x15a\x00\x00\x00\x02",
        "start-worker.sh": b"\x00binary\x00",
    }
    write(tmp_path, files)
    _, err = run(tmp_path, capsys)
    assert "celerybeat-schedule" not in err
    # A `.sh` file is a script by name: that it cannot be read is worth a warning.
    assert "start-worker.sh:1: deployment file not read: binary file" in err


def test_yaml_without_a_workload_configmap_or_secret_is_not_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # kpi's 800 kB OpenAPI schema has `kind:` properties, not at a line's start as a
    # manifest's key: reading it as a manifest took 0.4 s of every cold check. Even
    # broken, it is not read (no warning); a manifest next to it still is.
    schema = "openapi: 3.0.3\npaths:\n  /a:\n    kind: Deployment\n  - [broken\n"
    manifest = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - name: worker\n"
        "          command: [celery, -A, proj, worker]\n"
    )
    write(tmp_path, {"static/schema.yaml": schema, "k8s/worker.yaml": manifest})
    parsed: list[str] = []
    real = deploy.load_yaml

    def counted(text: str, partial: bool = False) -> list[object]:
        parsed.append(text)
        return real(text, partial)

    monkeypatch.setattr(deploy, "load_yaml", counted)
    facts = read_deployments(
        [str(tmp_path / "static/schema.yaml"), str(tmp_path / "k8s/worker.yaml")], tmp_path
    )
    assert parsed == [manifest]
    assert facts.problems == ()
    assert [p.name for p in facts.processes] == ["worker/worker"]


# -- pre-commit ----------------------------------------------------------------------


def test_hooks_run_on_deployment_and_config_files() -> None:
    hooks = yaml.safe_load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        assert "types" not in hook
        pattern = re.compile(hook["files"])
        for name in (
            "a/b.py",
            "pyproject.toml",
            "Procfile",
            "docker-compose.prod.yml",
            "compose.yaml",
            "k8s/worker.yaml",
            ".env",
            "docker/Dockerfile",
            "bin/entrypoint.sh",
        ):
            assert pattern.search(name), name
        for name in ("README.md", "docs/conf.yml", "setup.cfg"):
            assert not pattern.search(name), name


def test_check_on_a_compose_file_reports_its_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": APP.replace(
                'broker="redis://redis:6379/0"', 'broker=os.environ["B"]'
            ),
            "docker-compose.yml": (
                "services:\n  web:\n    build: .\n    command: gunicorn proj.wsgi\n"
                "    environment: {B: 'redis://a/0'}\n"
                "  worker:\n    build: .\n    command: celery -A proj worker -Q reports\n"
                "    environment: {B: 'redis://b/0'}\n"
            ),
        },
    )
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    main(["check", "--no-cache", "--output-format", "json", "docker-compose.yml"])
    found = json.loads(capsys.readouterr().out)
    assert [(f["code"], f["location"]["row"]) for f in found] == [("CL606", 5)]


def test_services_of_different_deployments_are_not_paired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A development compose file's web never talks to a production file's worker."""
    app = APP.replace('broker="redis://redis:6379/0"', 'broker=os.environ["B"]')
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": app.replace('queue="reports"', ""),
            "docker-compose.dev.yml": (
                "services:\n  web:\n    build: .\n    command: gunicorn proj.wsgi\n"
                "    environment: {B: 'redis://dev/0'}\n"
            ),
            "docker-compose.prod.yml": (
                "services:\n  worker:\n    build: .\n    command: celery -A proj worker\n"
                "    environment: {B: 'redis://prod/0'}\n"
            ),
        },
    )
    codes, _ = run(tmp_path, capsys)
    assert "CL606" not in codes


def test_unknown_variables_leave_the_rest_of_a_command_readable(tmp_path: Path) -> None:
    found = services(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n"
                "  minio:\n    image: minio/minio\n"
                '    entrypoint: /bin/sh -c "mkdir -p /x/${BUCKET} && minio server /x"\n'
                "  worker:\n    build: .\n"
                '    command: sh -c "wait-for db && celery -A proj worker -Q ${QUEUES}"\n'
                "  taiga:\n    build: .\n    command: gosu taiga celery -A proj worker -Q a\n"
                # paperless-ngx's s6-overlay service scripts
                "  paperless:\n    build: .\n"
                "    command: s6-setuidgid paperless celery -A proj worker -Q b\n"
                # secret managers and process tools that run the rest of the line
                "  doppler:\n    build: .\n"
                "    command: doppler run --preserve-env -- celery -A proj worker -Q c\n"
                "  nice:\n    build: .\n"
                "    command: nice -n 10 timeout -s KILL 3600 celery -A proj worker -Q d\n"
                "  dotenv:\n    build: .\n"
                "    command: dotenv -f .env run celery -A proj worker -Q e\n"
            ),
        },
    )
    minio = found["minio"]
    assert minio.role == "other" and minio.command_known  # type: ignore[attr-defined]
    assert found["worker"].role == "worker" and found["worker"].queues is None  # type: ignore[attr-defined]
    assert found["taiga"].queues == ("a",)  # type: ignore[attr-defined]
    assert found["paperless"].queues == ("b",)  # type: ignore[attr-defined]
    assert found["doppler"].queues == ("c",)  # type: ignore[attr-defined]
    assert found["nice"].queues == ("d",)  # type: ignore[attr-defined]
    assert found["dotenv"].queues == ("e",)  # type: ignore[attr-defined]


# -- compose override files ------------------------------------------------------------


BASE = (
    "services:\n"
    "  worker:\n"
    "    build: .\n"
    "    command: celery -A proj worker -Q default\n"
    "    env_file: [base.env]\n"
    "    environment:\n"
    "      B: redis://base/0\n"
    "      KEEP: kept\n"
    "    profiles: [work]\n"
    "  web:\n"
    "    build: .\n"
    "    command: gunicorn proj.wsgi\n"
)
OVERRIDE = (
    "services:\n"
    "  worker:\n"
    "    command: [celery, -A, proj, worker, -Q, reports, -P, threads]\n"
    "    env_file: [dev.env]\n"
    "    environment:\n"
    "      - B=redis://dev/0\n"
    "    profiles: [dev]\n"
    "  flower:\n"
    "    image: mher/flower\n"
    "    command: celery -A proj flower\n"
)


def test_the_override_file_merges_into_the_base_file_as_compose_does(tmp_path: Path) -> None:
    found = services(
        tmp_path,
        {
            "Dockerfile": "FROM python\nENV FROM_IMAGE=1\n",
            "base.env": "A=1\nSHARED=base\n",
            "dev.env": "SHARED=dev\n",
            "docker-compose.yml": BASE,
            "docker-compose.override.yml": OVERRIDE,
        },
    )
    assert sorted(found) == ["flower", "web", "worker"]
    worker = found["worker"]
    # `command` replaced (as a whole, not merged word by word).
    assert worker.queues == ("reports",) and worker.pool_written == "threads"  # type: ignore[attr-defined]
    # `environment` merged by key, `env_file` appended (the later file wins), image first.
    assert worker.environment == {  # type: ignore[attr-defined]
        "FROM_IMAGE": "1",
        "A": "1",
        "SHARED": "dev",
        "B": "redis://dev/0",
        "KEEP": "kept",
    }
    assert worker.env_complete  # type: ignore[attr-defined]
    assert worker.profiles == ("work", "dev")  # type: ignore[attr-defined]
    # Findings point at the file and line that decide: the override's command, its B.
    assert (os.path.basename(worker.path), worker.line) == ("docker-compose.override.yml", 3)  # type: ignore[attr-defined]
    origin = worker.variable_origin("B")  # type: ignore[attr-defined]
    assert origin is not None and os.path.basename(origin[0]) == "docker-compose.override.yml"
    assert origin[1].line == 6
    # A service only the override defines, and one only the base does: one deployment.
    assert found["flower"].role == "flower"  # type: ignore[attr-defined]
    assert len({s.deployment for s in found.values()}) == 1  # type: ignore[attr-defined]


def test_compose_yaml_takes_the_override_of_its_directory_only(tmp_path: Path) -> None:
    found = services(
        tmp_path,
        {
            "compose.yaml": BASE.replace("    build: .\n", ""),
            "compose.override.yaml": OVERRIDE,
            # `-f` sets are unknowable: a dev file stays a deployment of its own.
            "docker-compose.dev.yml": "services:\n  dev:\n    command: celery -A proj worker\n",
            "sub/docker-compose.override.yml": "services:\n  lone:\n    environment: [X=1]\n",
        },
    )
    assert found["worker"].queues == ("reports",)  # type: ignore[attr-defined]
    assert found["dev"].deployment != found["worker"].deployment  # type: ignore[attr-defined]
    # An override without a base beside it is read alone: its environment is partial.
    assert not found["lone"].env_complete  # type: ignore[attr-defined]


def test_a_broken_override_is_one_warning_and_the_base_is_still_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": APP,
            "docker-compose.yml": "services:\n  worker:\n    command: celery -A proj worker\n",
            "docker-compose.override.yml": "services: [unclosed\n",
        },
    )
    codes, err = run(tmp_path, capsys)
    assert "docker-compose.override.yml" in err and "invalid YAML" in err
    assert "CL603" in codes  # the base's worker consumes `celery`, not `reports`


def test_services_split_across_base_and_override_are_paired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = APP.replace('broker="redis://redis:6379/0"', 'broker=os.environ["B"]')
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": app.replace('queue="reports"', ""),
            "docker-compose.yml": (
                "services:\n  web:\n    build: .\n    command: gunicorn proj.wsgi\n"
                "    environment: {B: 'redis://one/0'}\n"
            ),
            "docker-compose.override.yml": (
                "services:\n  worker:\n    build: .\n    command: celery -A proj worker\n"
                "    environment: {B: 'redis://two/0'}\n"
            ),
        },
    )
    codes, _ = run(tmp_path, capsys)
    assert "CL606" in codes


def test_a_service_completed_elsewhere_without_a_command_runs_something_unknown(
    tmp_path: Path,
) -> None:
    found = services(
        tmp_path,
        {
            "docker-compose.override.yml": "services:\n  celery:\n    environment: [X=1]\n",
            "dev/docker-compose.yml": (
                "services:\n  worker:\n    extends: {file: ../common.yml, service: base}\n"
            ),
        },
    )
    assert not found["celery"].command_known  # type: ignore[attr-defined]
    assert not found["worker"].command_known  # type: ignore[attr-defined]


def test_an_overlay_patching_a_base_service_is_not_a_process_of_its_own(tmp_path: Path) -> None:
    """`docker compose -f docker-compose.yml -f docker-compose.override.dev.yml`: the
    overlay's `celerybeat:` without a command only patches the base's service."""
    found = services(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n  celerybeat:\n    build: .\n    command: celery -A proj beat\n"
            ),
            "docker-compose.override.dev.yml": (
                "services:\n  celerybeat:\n    environment: [X=1]\n"
                "  worker:\n    command: celery -A proj worker\n"
                "  mystery:\n    environment: [X=1]\n"
            ),
        },
    )
    assert found["celerybeat"].command_known  # type: ignore[attr-defined]
    assert os.path.basename(found["celerybeat"].path) == "docker-compose.yml"  # type: ignore[attr-defined]
    assert found["worker"].role == "worker"  # type: ignore[attr-defined]
    assert not found["mystery"].command_known  # type: ignore[attr-defined]


def test_an_image_only_service_named_like_a_worker_runs_something_unknown(
    tmp_path: Path,
) -> None:
    # The image's own command is not in the repository: infrastructure runs nothing of
    # the app, but `celery: image: myapp` may be the worker (CL603 must stay silent).
    found = services(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n"
                "  redis:\n    image: redis:7\n"
                "  celery:\n    image: myapp:latest\n"
                "  jobs:\n    image: registry/app-worker:1\n"
            ),
        },
    )
    assert found["redis"].command_known  # type: ignore[attr-defined]
    assert found["redis"].role == "other"  # type: ignore[attr-defined]
    assert not found["celery"].command_known  # type: ignore[attr-defined]
    assert not found["jobs"].command_known  # type: ignore[attr-defined]


def test_an_image_only_worker_keeps_queue_without_consumer_silent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": APP,
        "docker-compose.yml": (
            "services:\n"
            "  worker:\n    image: myapp\n    command: celery -A proj.celery worker -Q default\n"
        ),
    }
    write(tmp_path, files)
    codes, _ = run(tmp_path, capsys)
    assert any(code.startswith("CL603") for code in codes), codes
    (tmp_path / "docker-compose.yml").write_text(
        files["docker-compose.yml"] + "  celery:\n    image: myapp\n"
    )
    codes, _ = run(tmp_path, capsys)
    assert not any(code.startswith("CL603") for code in codes), codes


def test_a_service_running_an_image_another_one_builds_runs_its_entrypoint(
    tmp_path: Path,
) -> None:
    """codabench: `site_worker` names the tag the `django` service builds, whose
    Containerfile's ENTRYPOINT is `bash -c`; compose runs it with that image. A tag two
    services build differently, or one nobody builds here, is no such image."""
    found = services(
        tmp_path,
        {
            "docker/Containerfile": (
                'FROM python:3.12\nENV IN_IMAGE=1\nENTRYPOINT ["/bin/bash", "-c"]\n'
            ),
            "docker/Other": "FROM python:3.12\n",
            "docker-compose.yml": (
                "services:\n"
                "  web:\n    build: {context: ., dockerfile: docker/Containerfile}\n"
                "    image: ${PREFIX:-proj}_image\n    command: ['gunicorn proj.wsgi']\n"
                "  worker:\n    image: proj_image\n"
                "    command: ['celery -A proj worker -Q reports -l info']\n"
                "  a:\n    build: {context: ., dockerfile: docker/Containerfile}\n"
                "    image: twice\n"
                "  b:\n    build: {context: ., dockerfile: docker/Other}\n    image: twice\n"
                "  other:\n    image: twice\n    command: ['celery -A proj worker']\n"
            ),
        },
    )
    worker = found["worker"]
    assert worker.role == "worker" and worker.queues == ("reports",)  # type: ignore[attr-defined]
    assert worker.environment == {"IN_IMAGE": "1"}  # type: ignore[attr-defined]
    # Not given to `bash -c` by either build: a program named "celery -A proj worker".
    assert found["other"].role == "other"  # type: ignore[attr-defined]


def test_an_image_s_entrypoint_decides_the_program_its_command_is_given_to(
    tmp_path: Path,
) -> None:
    """Airflow's image runs `airflow <command>`: its compose file's (and opencve's, built
    `FROM apache/airflow`) `command: celery worker` is Airflow's own Celery app. On an
    image whose ENTRYPOINT is not known, a worker naming no app is not known; one naming
    the project's app, or on an official image or a local tag, is the project's."""
    found = services(
        tmp_path,
        {
            "scheduler/Dockerfile": "FROM apache/airflow:slim-2.10.4-python3.12\n",
            "airflow/Dockerfile": 'FROM apache/airflow:2.9\nCMD ["celery", "worker"]\n',
            "docker-compose.yml": (
                "x-airflow-common: &airflow-common\n"
                "  image: ${AIRFLOW_IMAGE_NAME:-apache/airflow:2.10.4}\n"
                "services:\n"
                "  airflow-worker:\n    <<: *airflow-common\n    command: celery worker\n"
                "  airflow-flower:\n    <<: *airflow-common\n    command: celery flower\n"
                "  airflow-bash:\n    <<: *airflow-common\n"
                '    command: bash -c "celery -A proj worker"\n'
                "  opencve:\n    build: {context: ., dockerfile: scheduler/Dockerfile}\n"
                "    command: celery worker\n"
                "  pulled:\n    image: ghcr.io/org/proj:1\n    command: celery -A proj worker\n"
                "  local:\n    image: myproject:latest\n    command: celery worker\n"
                "  hub:\n    image: docker.io/library/python:3.12\n    command: celery worker\n"
                "  foreign:\n    image: org/tool\n    command: celery worker -P threads\n"
                "  named:\n    image: org/proj\n    environment: {CELERY_APP: proj}\n"
                "    command: celery worker\n"
                "  own:\n    image: org/proj\n    entrypoint: celery\n    command: worker\n"
            ),
            "k8s/workers.yaml": (
                "apiVersion: v1\nkind: Pod\nmetadata: {name: pod}\nspec:\n  containers:\n"
                "    - {name: airflow, image: apache/airflow, args: [celery, worker]}\n"
                "    - {name: args, image: gcr.io/org/proj, args: [celery, worker]}\n"
                "    - {name: command, image: gcr.io/org/proj, command: [celery, worker]}\n"
            ),
        },
    )
    airflow = ("airflow-worker", "airflow-flower", "opencve", "airflow/Dockerfile", "pod/airflow")
    for name in airflow:
        assert found[name].role == "other" and found[name].command_known, name  # type: ignore[attr-defined]
    for name in ("airflow-bash", "pulled", "named"):
        assert found[name].role == "worker" and found[name].app == "proj", name  # type: ignore[attr-defined]
    for name in ("local", "hub", "own", "pod/command"):
        assert found[name].role == "worker" and found[name].app is None, name  # type: ignore[attr-defined]
    assert not found["foreign"].command_known  # type: ignore[attr-defined]
    assert found["foreign"].role == "other"  # type: ignore[attr-defined]
    assert not found["pod/args"].command_known  # type: ignore[attr-defined]


def test_image_repositories_as_docker_hub_names_them() -> None:
    assert deploy.image_repository("docker.io/library/python:3.12@sha256:ab") == "python"
    assert deploy.image_repository("APACHE/airflow:2.9") == "apache/airflow"
    assert deploy.image_repository("localhost:5000/app:1") == "localhost:5000/app"
    assert deploy.image_repository(f"{deploy.UNKNOWN_MARK}/app:1") is None
    assert deploy.image_repository(f"apache/airflow:{deploy.UNKNOWN_MARK}") == "apache/airflow"


# -- compose extends -------------------------------------------------------------------


COMMON = (
    "services:\n"
    "  worker:\n"
    "    build: .\n"
    "    command: celery -A proj worker -Q default -P threads\n"
    "    env_file: [common.env]\n"
    "    environment:\n"
    "      B: redis://common/0\n"
    "      KEEP: kept\n"
    "  redis:\n"
    "    image: redis:7\n"
)


def test_extends_merges_the_extended_service_under_the_extending_one(tmp_path: Path) -> None:
    found = services(
        tmp_path,
        {
            # The extended file's `build:` and `env_file:` are relative to its own directory.
            "common/Dockerfile": "FROM python\nENV FROM_IMAGE=1\n",
            "common/common.env": "SHARED=common\n",
            "common/services.yml": COMMON,
            "docker-compose.yml": (
                "services:\n"
                "  celery:\n"
                "    extends: {file: common/services.yml, service: worker}\n"
                "    environment: [B=redis://mine/0]\n"
                "  cache:\n"
                "    extends:\n      file: common/services.yml\n      service: redis\n"
                # The same file's service, in the short form and the long one, in a chain.
                "  slow:\n    extends: celery\n    command: celery -A proj worker -Q slow\n"
                "  slower:\n    extends: {service: slow}\n"
            ),
        },
    )
    celery = found["celery"]
    assert celery.queues == ("default",) and celery.pool_written == "threads"  # type: ignore[attr-defined]
    # `environment` merged by key, the extending service's value winning.
    assert celery.environment == {  # type: ignore[attr-defined]
        "FROM_IMAGE": "1",
        "SHARED": "common",
        "B": "redis://mine/0",
        "KEEP": "kept",
    }
    assert celery.env_complete  # type: ignore[attr-defined]
    # It is a service of its own file: findings point there, not into the extended file.
    assert (os.path.basename(celery.path), celery.line) == ("docker-compose.yml", 2)  # type: ignore[attr-defined]
    assert celery.deployment == found["cache"].deployment  # type: ignore[attr-defined]
    assert found["cache"].command_known and found["cache"].role == "other"  # type: ignore[attr-defined]
    for name in ("slow", "slower"):
        # `command` replaced as a whole: no `-P threads` left.
        assert found[name].queues == ("slow",) and found[name].pool_written is None  # type: ignore[attr-defined]
        assert found[name].environment["B"] == "redis://mine/0"  # type: ignore[attr-defined]
    assert found["slower"].line == 11  # type: ignore[attr-defined]  # slow's command


def test_an_extended_file_is_watched(tmp_path: Path) -> None:
    files = {"docker-compose.yml": "services:\n  w:\n    extends: {file: x.yml, service: w}\n"}
    paths = [str(write(tmp_path, files) / "docker-compose.yml")]
    also_read = [path for path, _, _ in read_deployments(paths, tmp_path).also_read]
    assert also_read.count(str(tmp_path / "x.yml")) == 1  # created later, a new run reads it


def test_extends_that_cannot_be_followed_leaves_the_service_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = services(
        tmp_path,
        {
            "common.yml": "services: [unclosed\n",
            "docker-compose.yml": (
                "services:\n"
                "  missing_file:\n    extends: {file: nowhere.yml, service: worker}\n"
                "  missing_service:\n    extends: {service: nowhere}\n"
                "  variable:\n    extends: {file: '${DIR}/x.yml', service: worker}\n"
                "  self:\n    extends: self\n"
                "  ping:\n    extends: pong\n"
                "  pong:\n    extends: ping\n"
                "  broken:\n    extends: {file: common.yml, service: worker}\n"
                "  broken_too:\n    extends: {file: common.yml, service: worker}\n"
            ),
        },
    )
    assert len(found) == 8
    assert not any(service.command_known for service in found.values())  # type: ignore[attr-defined]
    write(tmp_path, {"proj/__init__.py": "", "proj/celery.py": APP})
    _, err = run(tmp_path, capsys)
    # The broken file is one warning; a missing one is unknown, as a missing env_file is.
    warnings = [line for line in err.splitlines() if "deployment file not read" in line]
    assert len(warnings) == 1 and "common.yml" in warnings[0], err


def test_a_worker_known_through_extends_decides_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PostHog's docker-compose.hobby.yml: every service extends docker-compose.base.yml's."""
    write(
        tmp_path,
        {
            "proj.py": (
                "from celery import Celery\n\n"
                'app = Celery("proj", broker="redis://redis:6379/0")\n\n\n'
                "@app.task(time_limit=60)\ndef crunch():\n    pass\n"
            ),
            "docker-compose.base.yml": (
                "services:\n  redis:\n    image: redis:7\n"
                "  worker:\n    image: python:3.12\n    command: celery -A proj worker -P threads\n"
            ),
            "docker-compose.hobby.yml": (
                "services:\n"
                "  redis:\n    extends: {file: docker-compose.base.yml, service: redis}\n"
                "  worker:\n    extends: {file: docker-compose.base.yml, service: worker}\n"
            ),
        },
    )
    codes, _ = run(tmp_path, capsys)
    assert "CL204" in codes  # every worker runs the threads pool


def test_a_dockerfile_env_of_the_old_form_loses_its_quotes() -> None:
    """`ENV KEY "value"` (openedx ecommerce): Docker removes the quotes; the settings
    module named so matched no module."""
    assert deploy._dockerfile_env('DJANGO_SETTINGS_MODULE "proj.settings.production"') == [
        ("DJANGO_SETTINGS_MODULE", "proj.settings.production")
    ]
    assert deploy._dockerfile_env('A=1 B="two words"') == [("A", "1"), ("B", "two words")]


def test_cloud_foundry_manifests_start_their_applications_commands(tmp_path: Path) -> None:
    """openFEC's `manifests/manifest_celery_worker_prod.yml`: Cloud Foundry runs each
    application's `command` (or those of its `processes`) with its `env`; a `((var))`
    of a vars file is not known. Read as Kubernetes, such a file had no workload."""
    manifest = (
        "---\n"
        "applications:\n"
        "  - name: celery-worker\n"
        "    no-route: true\n"
        "    command: celery --app proj worker --queues downloads --pool threads\n"
        "    env:\n"
        "      APP_NAME: fec\n"
        "      BROKER: ((broker_url))\n"
        "  - name: api\n"
        "    processes:\n"
        "      - type: web\n"
        "        command: gunicorn proj.wsgi\n"
        "      - type: beat\n"
        "        command: celery --app proj beat\n"
    )
    found = services(tmp_path, {"manifests/manifest_prod.yml": manifest})
    worker = found["celery-worker"]
    assert worker.role == "worker" and worker.queues == ("downloads",)  # type: ignore[attr-defined]
    assert worker.pool_written == "threads"  # type: ignore[attr-defined]
    assert worker.environment["APP_NAME"] == "fec"  # type: ignore[attr-defined]
    assert worker.environment["BROKER"] is None  # type: ignore[attr-defined]
    assert found["api/web"].role == "web"  # type: ignore[attr-defined]
    assert found["api/beat"].role == "beat"  # type: ignore[attr-defined]


def test_same_named_scripts_are_told_apart_by_the_path_the_command_writes(
    tmp_path: Path,
) -> None:
    # safe-transaction-service: a worker, a scheduler and a flower `run.sh`, each run by
    # its path from a directory not known (`WORKDIR ${APP_HOME}`). Each service runs
    # its own script; a bare `run.sh` could be any of them, and is not read as their
    # lines together.
    found = services(
        tmp_path,
        {
            "docker/celery/worker/run.sh": (
                "#!/bin/bash\nexec celery -A proj worker -Q default,indexing --pool=gevent\n"
            ),
            "docker/celery/scheduler/run.sh": "#!/bin/bash\nexec celery -A proj beat\n",
            "docker-compose.yml": (
                "services:\n"
                "  worker:\n    image: app\n    command: docker/celery/worker/run.sh\n"
                "  scheduler:\n    image: app\n    command: docker/celery/scheduler/run.sh\n"
                "  either:\n    image: app\n    command: run.sh\n"
            ),
        },
    )
    worker, scheduler, either = found["worker"], found["scheduler"], found["either"]
    assert worker.role == "worker"  # type: ignore[attr-defined]
    assert worker.queues == ("default", "indexing")  # type: ignore[attr-defined]
    assert worker.options.get("pool") == "gevent"  # type: ignore[attr-defined]
    assert scheduler.role == "beat"  # type: ignore[attr-defined]
    assert not either.command_known  # type: ignore[attr-defined]


def test_celery_processes_sent_to_the_background_in_one_shell_command(tmp_path: Path) -> None:
    # open-discussions: a worker with an embedded beat sent to the background, then
    # another worker, in one `bash -c`: the service stands for both, as a script's lines.
    found = services(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n"
                "  celery:\n"
                "    image: app\n"
                "    command: >\n"
                "      /bin/bash -c '\n"
                "      sleep 3;\n"
                "      celery -A proj worker -Q spam,default -B &\n"
                "      celery -A proj worker -Q spam,edx,default'\n"
            ),
        },
    )
    celery = found["celery"]
    assert celery.role == "worker"  # type: ignore[attr-defined]
    assert celery.also_beat  # type: ignore[attr-defined]
    assert celery.queues == ("spam", "default", "edx")  # type: ignore[attr-defined]


def test_a_broker_s_or_a_database_s_image_runs_nothing_of_the_project(tmp_path: Path) -> None:
    # nautobot's k8s `postgres:14` container, a compose `celery-broker: image: rabbitmq`:
    # their own command is the server's. The project's own image without a command may
    # run anything, a worker included.
    found = services(
        tmp_path,
        {
            "k8s/db.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: db\nspec:\n"
                "  template:\n    spec:\n      containers:\n"
                "        - name: db\n          image: postgres:14\n"
            ),
            "k8s/app.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n"
                "  template:\n    spec:\n      containers:\n"
                "        - name: app\n          image: myorg/app:1.0\n"
            ),
            "docker-compose.yml": (
                "services:\n"
                "  celery-broker:\n    image: rabbitmq:3-management\n"
                "  celery:\n    image: myorg/app\n"
            ),
        },
    )
    known = {name: service.command_known for name, service in found.items()}  # type: ignore[attr-defined]
    assert known == {"db/db": True, "app/app": False, "celery-broker": True, "celery": False}
    assert found["db/db"].role == "other"  # type: ignore[attr-defined]
    assert found["celery-broker"].role == "other"  # type: ignore[attr-defined]
