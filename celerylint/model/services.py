"""Services: the processes deployment files start, read as Celery sees its command line.

A deployed process becomes a `Service` with its role (worker, beat, web,
flower, other), the app it runs (`-A`), the queues it consumes, its pool,
concurrency and limits, and its environment in the order the platform applies
it. Commands are unwrapped the way a shell would run them: `sh -c "..."`,
`exec`, `env VAR=x`, leading `VAR=x` assignments, `python -m celery`, an
entrypoint script that `exec "$@"`s its arguments. Variables in commands
(`-Q $QUEUES`) take the service's values, or are unknown.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
import shlex
from collections.abc import Iterator, Sequence
from typing import Optional

import msgspec

from celerylint.facts.deploy import (
    UNKNOWN_MARK,
    default_compose_file,
    positional,
    shell_commands,
    shell_words,
)
from celerylint.facts.schema import DeployedProcess, EnvEntry, Span

Role = str  # "worker", "beat", "web", "flower", "other"
# Celery's program; Fedora's python3-celery installs it as `celery-3` (Pagure's images).
_CELERY_PROGRAMS = frozenset({"celery", "celery-3"})
# Programs that run a Celery app of their own (`airflow celery worker`: Airflow's executor
# app, which runs Airflow's task instances, never the project's tasks).
_OWN_CELERY_APPS = frozenset({"airflow"})
_WEB = {"gunicorn", "uwsgi", "daphne", "uvicorn", "hypercorn", "granian", "waitress-serve"}
_SHELLS = {"sh", "bash", "dash", "ash", "zsh"}
# A script name that says it starts a Celery process (`/start-celeryworker`).
_NAMED_LIKE_CELERY = re.compile(r"celery|worker|beat|flower", re.IGNORECASE)
# Commands that run the rest of the line (with their own flags skipped).
_WRAPPERS = {
    "exec",
    "nohup",
    "tini",
    "dumb-init",
    "--",
    "newrelic-admin",
    "run-program",
    "ddtrace-run",
    "opentelemetry-instrument",
    "auto-restart",
    "setpriv",
    "sudo",
    "time",
}
# Project tools that run a command in the project's environment: `uv run celery ...`
# (rero-ils), `poetry run`, `pipenv run`.
_RUNNERS = frozenset({"uv", "poetry", "pipenv", "pdm", "rye", "hatch"})
# Their options that take a value, of `run` (`uv run --with x --env-file .env celery`)
# or of the tool, before `run` (`uv --directory api run`, `poetry -C api run`).
_RUNNER_VALUED = frozenset(
    {"--with", "--with-editable", "--with-requirements", "--python", "-p", "--env-file"}
    | {"--group", "--only-group", "--no-group", "--extra", "--package", "--directory"}
    | {"--project", "--index", "--index-url", "--extra-index-url", "-e", "--env"}
    | {"-C", "-P", "--cache-dir", "--config-file", "--config", "--data-dir"}
)


# Commands that run a command given after their own options (`nice -n 10 celery ...`),
# with the options that take a value; `timeout` takes a duration first.
_OPTION_WRAPPERS = {
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "--class", "-n", "--classdata", "-p", "--pid"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "timeout": frozenset({"-s", "--signal", "-k", "--kill-after"}),
    # Pyramid's reloader: `hupper --reload-interval 10 -m celery -A proj worker`
    # (warehouse) runs `python -m celery ...`; `-m` is passed over like a flag.
    "hupper": frozenset({"-w", "-x", "--shutdown-interval", "--reload-interval"}),
}
# Secret managers that run the command after `--` (`doppler run -- celery ...`).
_DASHED_WRAPPERS = frozenset({"doppler", "op", "infisical", "chamber", "aws-vault", "dotenv"})


def _past_wrapper(base: str, argv: list[Optional[str]], i: int) -> Optional[int]:
    """Where the command a wrapper runs starts (past the end: none that can be told);
    None when `base` is no such wrapper."""
    if base in _DASHED_WRAPPERS:
        rest = argv[i + 1 :]
        if "--" in rest:
            return argv.index("--", i + 1) + 1
        # `doppler run celery ...`, `dotenv -f .env run celery ...`: past the subcommand
        # and the flags after it.
        found = next((j for j, word in enumerate(rest) if word in ("run", "exec")), None)
        return _past_options(argv, i + 1 if found is None else i + 2 + found)
    if base == "envdir":
        return i + 2  # `envdir DIR command`
    valued = _OPTION_WRAPPERS.get(base)
    if valued is None:
        return None
    i = _past_options(argv, i + 1, valued)
    return i + 1 if base == "timeout" else i


def _past_options(argv: list[Optional[str]], i: int, valued: frozenset[str] = frozenset()) -> int:
    """Where a command starts after the options from `i` on (`valued`: those followed by
    a value: a runner's `run` options, a wrapper's)."""
    while i < len(argv) and (word := argv[i]) is not None and word.startswith("-"):
        i += 2 if word in valued else 1
    return i


_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_]\w*)(?::?-([^}]*))?\}|([A-Za-z_]\w*))")
# Worker options whose value follows (`-Q a,b` or `--queues=a,b`).
_OPTIONS = {
    "-A": "app",
    "--app": "app",
    "-b": "broker",
    "--broker": "broker",
    "--result-backend": "result_backend",
    "-Q": "queues",
    "--queues": "queues",
    "-X": "exclude",
    "--exclude-queues": "exclude",
    "-P": "pool",
    "--pool": "pool",
    "-c": "concurrency",
    "--concurrency": "concurrency",
    "--time-limit": "time_limit",
    "--soft-time-limit": "soft_time_limit",
    "--prefetch-multiplier": "prefetch_multiplier",
    "--autoscale": "autoscale",
    "--config": "config",
    "--workdir": "workdir",
    "-l": "loglevel",
    "--loglevel": "loglevel",
    "-n": "hostname",
    "--hostname": "hostname",
    "-s": "schedule",
    "--schedule": "schedule",
    "-S": "scheduler",
    "--scheduler": "scheduler",
    "-f": "logfile",
    "--logfile": "logfile",
    "--pidfile": "pidfile",
    "-E": "",
    "-B": "",
    "--beat": "",
}
# Worker options not read here whose value is the next word.
_OTHER_VALUED = {
    "--uid",
    "--gid",
    "--umask",
    "--executable",
    "--max-tasks-per-child",
    "--max-memory-per-child",
    "--statedb",
    "-O",
    "--heartbeat-interval",
    "--scheduler-cls",
}
# Options whose presence only ever silences a rule (a global time limit, a result
# backend, a configuration module the app reads): an unreadable word is not taken for
# them, as the code alone is not.
_ONLY_AS_WRITTEN = {"time_limit", "soft_time_limit", "result_backend", "config"}
_UNKNOWN = "\0unknown"  # an option whose value cannot be known
# The variables `celery worker` reads its options from (click's `auto_envvar_prefix`
# "CELERY", then the subcommand: `CELERY_WORKER_TIME_LIMIT=2` is `--time-limit 2`).
_WORKER_VARIABLES = {
    name: f"CELERY_WORKER_{variable}"
    for name, variable in {
        "queues": "QUEUES",
        "exclude": "EXCLUDE_QUEUES",
        "pool": "POOL",
        "concurrency": "CONCURRENCY",
        "time_limit": "TIME_LIMIT",
        "soft_time_limit": "SOFT_TIME_LIMIT",
        "prefetch_multiplier": "PREFETCH_MULTIPLIER",
        "autoscale": "AUTOSCALE",
    }.items()
}


class Service(msgspec.Struct):
    """One deployed process: what it runs, with which environment, written where."""

    name: str
    platform: str
    path: str
    line: int
    role: Role
    options: dict[str, str] = msgspec.field(default_factory=dict)  # worker options as written
    environment: dict[str, Optional[str]] = msgspec.field(default_factory=dict)
    origins: dict[str, EnvEntry] = msgspec.field(default_factory=dict)  # the entry that won
    env_complete: bool = True
    command_known: bool = True
    also_beat: bool = False
    profiles: tuple[str, ...] = ()
    col: tuple[int, int] = (0, 0)
    # The repository paths its project files come from (`DeployedProcess.code`).
    code: Optional[tuple[str, ...]] = None
    # A web server's arguments that may name the module it serves (`gunicorn
    # proj.wsgi:application`): `proj.wsgi`; which one is the project's module, the model
    # tells. Empty when the server names none (`manage.py runserver`).
    web_modules: tuple[str, ...] = ()

    def may_hold(self, path: str) -> bool:
        """Whether the process may have the repository file `path`: its image copied it
        in or a volume mounts it, or what it holds is not known."""
        if self.code is None:
            return True
        path = os.path.abspath(path)
        return any(
            path == source
            or path.startswith(source.rstrip(os.sep) + os.sep)
            or fnmatch.fnmatchcase(path, source)
            for source in self.code
        )

    @property
    def deployment(self) -> str:
        """The deployment the service belongs to: its compose file (a directory's default
        compose file and its override are one) or Procfile, else the directory of its
        manifests or units (one directory of k8s files is one release)."""
        if self.platform == "compose" and default_compose_file(self.path):
            return os.path.join(os.path.dirname(self.path), "compose")  # base + override
        if self.platform in ("compose", "procfile"):
            return self.path
        return os.path.dirname(self.path)

    @property
    def span(self) -> Span:
        """The line that starts the service's command (or declares it)."""
        return Span(self.line, self.col[0], self.line, self.col[1])

    def variable_origin(self, name: str) -> Optional[tuple[str, Span]]:
        """Where this service's value of a variable is set."""
        entry = self.origins.get(name)
        if entry is None:
            return None
        return entry.path, Span(entry.line, entry.col[0], entry.line, entry.col[1])

    @property
    def label(self) -> str:
        return f"`{self.name}` ({os.path.basename(self.path)}:{self.line})"

    def option(self, name: str) -> Optional[str]:
        """A worker option's value: as written, else from its `CELERY_WORKER_<OPTION>`
        variable (the `celery` command reads both); None when absent; raises LookupError
        when unknown."""
        value = self.options.get(name)
        if value is None and self.role == "worker" and name in _WORKER_VARIABLES:
            value = self.environment.get(_WORKER_VARIABLES[name])
            if value is None and _WORKER_VARIABLES[name] in self.environment:
                raise LookupError(name)  # set, to a value that cannot be known
        if value == _UNKNOWN:
            raise LookupError(name)
        return value

    def gives(self, name: str) -> bool:
        """Whether the worker option is given, as written or by its variable, whatever its
        value (an unreadable one included)."""
        if name in self.options:
            return True
        variable = _WORKER_VARIABLES.get(name)
        return self.role == "worker" and variable is not None and variable in self.environment

    @property
    def app(self) -> Optional[str]:
        """`-A` as written (`proj`, `proj.celery:app`); None if absent or unknown."""
        value = self.options.get("app") or self.environment.get("CELERY_APP")
        return None if value in (None, _UNKNOWN) else value

    @property
    def queues(self) -> Optional[tuple[str, ...]]:
        """The queues a worker consumes by name; () without `-Q`; None when unknown."""
        if not self.command_known:
            return None
        try:
            written = self.option("queues")
        except LookupError:
            return None
        if written is None:
            return ()
        return tuple(q.strip() for q in written.split(",") if q.strip())

    @property
    def excluded(self) -> tuple[str, ...]:
        written = self.options.get("exclude")
        if written in (None, _UNKNOWN):
            return ()
        return tuple(q.strip() for q in written.split(",") if q.strip())

    @property
    def pool_written(self) -> Optional[str]:
        """The pool named by `-P`, or CELERY_WORKER_POOL; None when neither; raises if unknown."""
        written = self.option("pool")
        return written.lower() if written else None

    @property
    def config_module(self) -> Optional[tuple[bool, Optional[str]]]:
        """The configuration module the process names, as (known, module): `--config`,
        which the `celery` command stores in CELERY_CONFIG_MODULE, or that variable; None
        when neither is written. A variable absent from an environment the repository
        does not hold all of is taken as unset: the module is named where it is used."""
        written = self.options.get("config")
        if written is None:
            if "CELERY_CONFIG_MODULE" not in self.environment:
                return None
            written = self.environment["CELERY_CONFIG_MODULE"]
        if written in (None, _UNKNOWN):
            return False, None
        return True, written

    def env_value(self, name: str) -> tuple[bool, Optional[str]]:
        """(known, value) of a variable in this service: absent from a complete
        environment is known unset (None)."""
        if name in self.environment:
            value = self.environment[name]
            return value is not None, value
        return self.env_complete, None


def services_from(processes: Sequence[DeployedProcess], scripts: Scripts) -> list[Service]:
    """One service per process that runs something recognisable."""
    found = []
    for process in processes:
        service = _service(process, scripts.run_by(process))
        if service is not None:
            found.append(service)
    return found


def _service(process: DeployedProcess, scripts: Scripts) -> Optional[Service]:
    environment = _Environment(process.env)
    argv = [_expand(word, environment) for word in process.argv]
    command = _celery_command(argv, scripts, 0, environment)
    service = Service(
        process.name,
        process.platform,
        process.path,
        process.line,
        "other",
        # As the command runs: with what it is given before it and a script's exports.
        environment=dict(environment),
        origins=environment.origins,
        env_complete=process.env_complete,
        profiles=process.profiles,
        col=process.col,
        code=None if process.code is None else tuple(map(os.path.abspath, process.code)),
    )
    if command is None:
        return None if process.platform == "script" else service
    kind, words = command
    if kind == "celery" and process.entrypoint_unknown and _names_no_app(words, environment):
        # Given to an image's ENTRYPOINT not known, `celery worker` may be the arguments
        # of another program (Airflow's image runs `airflow celery worker`), and a worker
        # naming no app has nothing tying it to this project: what runs is not known.
        kind = "unknown"
    if kind == "unknown":
        service.command_known = False
        return service
    if kind == "web":
        service.role = "web"
        service.web_modules = _named_modules(words)
        return service
    _read_celery(words, service)
    return service


# A dotted module name, perhaps with `:attribute` (`proj.wsgi:application`).
_MODULE_WORD = re.compile(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?::[\w.()]+)?")


def _named_modules(words: Sequence[Optional[str]]) -> tuple[str, ...]:
    """The words of a web server's command that may name the module it serves: its
    positional arguments and uWSGI's `--module` (an option's value may look like one
    too, `-k uvicorn.workers.UvicornWorker`: only a module of the project counts)."""
    found = []
    for word in words:
        if word is None:
            continue
        name, sep, value = word.partition("=")
        written = value if sep and name in ("--module", "--wsgi") else word
        match = _MODULE_WORD.fullmatch(written)
        if match is not None and not written.startswith("-"):
            found.append(match.group(1))
    return tuple(found)


class _Environment(dict[str, Optional[str]]):
    """The environment a command is read in, with the entry each variable's value comes
    from (none for `VAR=x` written before the command)."""

    def __init__(self, entries: Sequence[EnvEntry] = ()) -> None:
        super().__init__()
        self.origins: dict[str, EnvEntry] = {}
        self.export(entries)

    def export(self, entries: Sequence[EnvEntry]) -> None:
        """Set by these entries, a later one over an earlier."""
        for entry in entries:
            self[entry.name] = entry.value
            self.origins[entry.name] = entry

    def assign(self, name: str, value: Optional[str]) -> None:
        """Set as written on the command line (`VAR=x command`)."""
        self[name] = value
        self.origins.pop(name, None)

    def copy(self) -> _Environment:
        """A copy for one command of a script: what it sets is its own."""
        copied = _Environment()
        copied.adopt(self)
        return copied

    def adopt(self, other: _Environment) -> None:
        """Become the environment of a command run in this one (`other`, a copy of it
        the command added to)."""
        self.clear()
        self.update(other)
        self.origins = dict(other.origins)


def _shared(environments: Sequence[_Environment]) -> _Environment:
    """The environment of the commands a script starts side by side, read as one
    service: a variable they see alike keeps its value, one they see differently (or
    not all of them) is unknown."""
    shared = environments[0].copy()
    for name in {name for environment in environments for name in environment}:
        if len({(name in e, e.get(name)) for e in environments}) > 1:
            shared.assign(name, None)
    return shared


def _is_script(word: str) -> bool:
    """A `sh -c` script: read command by command, its unknown words stay marked."""
    return any(separator in word for separator in (" ", "&&", ";", "\n"))


def _expand(word: Optional[str], environment: dict[str, Optional[str]]) -> Optional[str]:
    """`$VAR`, `${VAR}`, `${VAR:-d}` from the service's environment; None when unknown."""
    if word is None:
        return None
    if UNKNOWN_MARK in word:
        return word if _is_script(word) else None
    if "$" not in word:
        return word
    unknown = False
    # In a `sh -c` script an unknown value spoils only the command it is in (timesketch:
    # `celery ... worker & gunicorn --threads $NUM_THREADS ...`).
    script = _is_script(word)

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1) or match.group(3)
        value = environment.get(name)
        if value is None:
            if match.group(2) is not None and name not in environment:
                return match.group(2)
            unknown = True
            return UNKNOWN_MARK if script else ""
        return value

    result = _VARIABLE.sub(replace, word)
    if script and "$" not in result:
        return result
    # What is left is no variable read here: `${OPTS[@]}`, `$(cmd)`, `$1`.
    unknown = unknown or "$" in result
    if unknown and word.startswith("-") and "=" in word:
        return f"{word.split('=', 1)[0]}={UNKNOWN_MARK}"  # `--time-limit=$LIMIT`: which option
    return None if unknown else result


def _celery_command(
    argv: list[Optional[str]],
    scripts: Scripts,
    depth: int,
    environment: _Environment,
) -> Optional[tuple[str, list[Optional[str]]]]:
    """("celery", words after `celery`) / ("web", []) / ("unknown", []) / None (something else)."""
    if depth > 5:
        return None
    i = 0
    wrapped = False  # past a wrapper script: its own arguments come before the command
    unread = False  # past a script named like a Celery process, not among the files read
    while i < len(argv):
        word = argv[i]
        if word is None:
            return "unknown", []
        base = os.path.basename(word)
        if base in ("gosu", "su-exec", "chpst", "setuidgid", "setuser", "s6-setuidgid"):
            # `gosu user command...` (`setuser`: phusion's base image, onadata;
            # `s6-setuidgid`: paperless-ngx's s6-overlay services)
            i += 2
            continue
        assignment = re.fullmatch(r"([A-Za-z_]\w*)=(.*)", word, re.DOTALL)
        if assignment is not None:
            # `VAR=x command`, `env VAR=x command`: the command runs with VAR set.
            value = assignment.group(2)
            environment.assign(assignment.group(1), None if "$" in value or "`" in value else value)
            i += 1
            continue
        if base in _WRAPPERS:
            i += 1
            continue
        past = _past_wrapper(base, argv, i)
        if past is not None:
            i = past
            continue
        if base in _RUNNERS:
            # `uv run --no-sync celery ...`, `uv --directory api run celery ...` (the
            # tool's options first; its directory changes nothing read, as `cd` does not).
            run = _past_options(argv, i + 1, _RUNNER_VALUED)
            if argv[run : run + 1] == ["run"]:
                i = _past_options(argv, run + 1, _RUNNER_VALUED)
                continue
        if base == "watchmedo":
            # `watchmedo auto-restart -p '*.py' --recursive -- celery ...` (codabench): its
            # options take values, the command follows `--` (else, a wrapper as others).
            i = argv.index("--", i + 1) + 1 if "--" in argv[i + 1 :] else i + 1
            continue
        if base == "env":
            i += 1
            continue
        if base in _SHELLS:
            j = i + 1
            while j < len(argv) and (argv[j] or "").startswith("-") and "c" not in (argv[j] or ""):
                j += 1
            flag = argv[j] if j < len(argv) else None
            if flag is not None and flag.startswith("-") and "c" in flag:
                script = argv[j + 1] if j + 1 < len(argv) else None
                return (
                    _from_shell(script, scripts, depth, environment)
                    if script is not None
                    else ("unknown", [])
                )
            i += 1  # `sh start.sh ...`: the script comes next
            continue
        if base in _CELERY_PROGRAMS:
            return "celery", argv[i + 1 :]
        if base.startswith("python") and argv[i + 1 : i + 3] == ["-m", "celery"]:
            return "celery", argv[i + 3 :]
        if base in _WEB:
            return "web", argv[i + 1 :]
        if base == "manage.py" and _runs_server(argv[i + 1 : i + 2]):
            return "web", []
        if base == "manage.py" and _starts_celery(argv[i + 1 : i + 2]):
            return "unknown", []
        if base.startswith("python") and len(argv) > i + 2 and _is_manage(argv[i + 1]):
            if _starts_celery(argv[i + 2 : i + 3]):
                return "unknown", []
            return ("web", []) if _runs_server(argv[i + 2 : i + 3]) else None
        if base == "watchfiles":
            return _watchfiles(argv[i + 1 :], scripts, depth, environment)
        # Flask's server: `flask run`, `flask --app web run`, `python -m flask run`.
        flask = i + 1 if base == "flask" else None
        if base.startswith("python") and argv[i + 1 : i + 3] == ["-m", "flask"]:
            flask = i + 3
        if flask is not None:
            return ("web", []) if "run" in argv[flask:] else None
        if base == "flower":
            return "celery", ["flower"]
        if base in _OWN_CELERY_APPS:
            return None
        try:
            scripted = scripts.named(word)
        except AmbiguousScript:
            return "unknown", []  # one of several scripts of that name, maybe a worker
        if scripted is not None:
            # An entrypoint script: its own celery line, else it `exec "$@"`s the rest.
            own = _script_commands(scripted, argv[i + 1 :], scripts, depth, environment)
            if own:
                return _together(own, environment)
            wrapped = True
            i += 1
            continue
        if word.endswith((".sh", ".bash")) or "/" in word or scripts.source(word) is not None:
            wrapped = True  # an entrypoint script (wait-for-it.sh ... --) that runs the rest
            unread = unread or _NAMED_LIKE_CELERY.search(base) is not None
            i += 1
            continue
        if word.startswith("-") or wrapped:
            i += 1
            continue
        if _runs_celery(argv[i + 1 :]):
            # A program not read before a Celery command (a bare-name ENTRYPOINT that
            # `exec "$@"`s, seed's `seed-entrypoint`): it may well run it.
            return "unknown", []
        return None  # another program (nginx, certbot, manage.py migrate): not Celery
    if unread:
        # Only a script named like a Celery process that starts nothing we read
        # (`/start-celeryworker`, copied under that name by a Dockerfile), and its
        # arguments: it may well start a worker.
        return "unknown", []
    return None


def _running(
    scripted: list[DeployedProcess],
    arguments: list[Optional[str]],
    environment: dict[str, Optional[str]],
) -> list[DeployedProcess]:
    """A script's lines that run when it is given `arguments` in `environment`: in a
    `case` (or an `if` read as one) whose value is known, those of the first branch it
    matches (superset's `docker-bootstrap.sh worker`), and the lines outside any."""
    # The branch each `case` (or `if` read as one) takes, by its subject and line; -1:
    # unknown.
    taken: dict[tuple[str, int], int] = {}

    def branch(subject: str, at: int) -> int:
        if (subject, at) not in taken:
            first = arguments[0] if arguments else ""
            value = first if subject == "1" else environment.get(subject)
            branches = sorted(
                {
                    (p.case_branch, p.case_patterns)
                    for p in scripted
                    if p.case_subject == subject and p.case_at == at
                }
            )
            taken[subject, at] = (
                -1
                if value is None or UNKNOWN_MARK in value
                else next((line for line, patterns in branches if _matches(value, patterns)), 0)
            )
        return taken[subject, at]

    return [
        p
        for p in scripted
        if not p.case_subject or branch(p.case_subject, p.case_at) in (-1, p.case_branch)
    ]


def _matches(value: str, patterns: tuple[str, ...]) -> bool:
    """Whether a `case` branch's shell patterns match `value`."""
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


def _script_commands(
    scripted: list[DeployedProcess],
    arguments: list[Optional[str]],
    scripts: Scripts,
    depth: int,
    environment: _Environment,
) -> list[tuple[tuple[str, list[Optional[str]]], _Environment]]:
    """The commands a script given `arguments` runs, each with the environment it runs
    in: the service's, with the script's exports that hold at its line over it (a
    `celery worker` reads `CELERY_WORKER_QUEUES` there as from the compose file)."""
    found = []
    for line in _running(scripted, arguments, environment):
        inner = environment.copy()
        inner.export(line.env)
        command = _celery_command(_in(line, inner, arguments), scripts.moved(), depth + 1, inner)
        if command is not None:
            found.append((command, inner))
    return found


def _in(
    process: DeployedProcess,
    environment: dict[str, Optional[str]],
    arguments: list[Optional[str]],
) -> list[Optional[str]]:
    """A script's command words, with the variables of the environment it runs in, and
    `arguments`, what the script is given, for `"$@"` and `$1`...`$9` (datatracker's
    `celery --app=ietf "${CELERY_OPTS[@]}" "$@"`)."""
    words: list[Optional[str]] = []
    for word in process.argv:
        given = positional(word, arguments)
        if given is not None:
            words.extend(given)
        else:
            words.append(_expand(word, environment))
    return words


def _from_shell(
    script: str,
    scripts: Scripts,
    depth: int,
    environment: _Environment,
) -> Optional[tuple[str, list[Optional[str]]]]:
    found: list[tuple[tuple[str, list[Optional[str]]], _Environment]] = []
    commands = shell_commands(script)
    # A command sent to the background (`celery ... worker & gunicorn ...`, timesketch's
    # e2e image) runs beside the next one: the container runs both.
    background = any(operator == "&" for _, operator in commands)
    for part, _ in commands:
        try:
            argv: list[Optional[str]] = [
                None if UNKNOWN_MARK in word else word for word in shlex.split(part, comments=True)
            ]
        except ValueError:
            return "unknown", []
        if argv[:1] in (["cd"], ["pushd"]):
            scripts = scripts.moved()  # the commands after it run elsewhere
        # `VAR=x` before one command of the script is that command's alone.
        scoped = environment.copy()
        command = _celery_command(argv, scripts, depth + 1, scoped) if argv else None
        if command is not None:
            found.append((command, scoped))
    runs = [
        c
        for c in found
        if c[0][0] != "celery" or _subcommand(c[0][1]) in ("worker", "beat", "flower", "multi")
    ]
    if background and any(c[0][0] == "celery" for c in runs):
        runs = [c for c in runs if c[0][0] == "celery"]  # the worker, beside its server
        if len(runs) > 1:
            # Celery processes side by side (open-discussions: a worker with `-B` sent to
            # the background, then another): one worker standing for them, as a script's.
            return _together(runs, environment)
    chosen = runs[-1] if runs else (found[-1] if found else None)
    if chosen is None:
        return None
    environment.adopt(chosen[1])
    return chosen[0]


# django-extensions' `runserver_plus` serves like `runserver` (cookiecutter-django).
_SERVERS = ("runserver", "runserver_plus")


def _runs_server(words: list[Optional[str]]) -> bool:
    return bool(words) and words[0] in _SERVERS


def _runs_celery(words: list[Optional[str]]) -> bool:
    """Whether Celery's program is among the words (`celery`, `python -m celery`)."""
    return _after_celery(words) is not None


def _after_celery(words: Sequence[Optional[str]]) -> Optional[int]:
    """Where the words after Celery's program start; None when it is not among them."""
    for index, word in enumerate(words):
        if word is not None and os.path.basename(word) in _CELERY_PROGRAMS:
            return index + 1
        if word == "-m" and list(words[index + 1 : index + 2]) == ["celery"]:
            return index + 2
    return None


def worker_queues(argv: Sequence[Optional[str]]) -> frozenset[str]:
    """The queues a command line's Celery workers consume by name (`-Q` less `-X`), those
    of the commands of a `sh -c` script among its words too (a Procfile's `cd api &&
    celery ...`), read as a service's options are; none for another command, or queues
    not known."""
    return frozenset().union(*map(_consumed, _commands_in(argv)))


def _consumed(argv: Sequence[Optional[str]]) -> frozenset[str]:
    start = _after_celery(argv)
    if start is None:
        return frozenset()
    read = Service("", "", "", 0, "other")
    _read_celery(list(argv[start:]), read)
    if read.role != "worker":
        return frozenset()
    return frozenset(read.queues or ()) - set(read.excluded)


def _commands_in(argv: Sequence[Optional[str]]) -> Iterator[Sequence[Optional[str]]]:
    """A command line, and the commands of the `sh -c` scripts among its words."""
    yield argv
    for word in argv:
        if word is not None and _is_script(word):
            yield from (shell_words(command) for command, _ in shell_commands(word))


def _names_no_app(words: list[Optional[str]], environment: dict[str, Optional[str]]) -> bool:
    """A Celery worker command that names no app: no `-A` (nor a word that may be one)
    and no CELERY_APP."""
    read = Service("", "", "", 0, "other")
    _read_celery(words, read)
    return read.role == "worker" and "app" not in read.options and "CELERY_APP" not in environment


def _starts_celery(words: list[Optional[str]]) -> bool:
    """A project's management command named like Celery (koku's `manage.py
    restart_celery`, which runs `celery ... worker -Q celery,download,hcs,...`): what it
    starts is not read, but it may well be a worker."""
    return bool(words) and words[0] is not None and _NAMED_LIKE_CELERY.search(words[0]) is not None


def _is_manage(word: Optional[str]) -> bool:
    """`manage.py`, also with a directory (`python /code/manage.py runserver`)."""
    return word is not None and os.path.basename(word) == "manage.py"


# watchfiles' options that take a value (`watchfiles --filter python target`).
_WATCHFILES_VALUED = frozenset(
    {"--ignore-paths", "--target-type", "--filter", "--args", "--verbosity"}
    | {"--sigint-timeout", "--grace-period", "--sigkill-timeout"}
)
# Functions a `watchfiles` target may name that run Celery's command line.
_CELERY_MAINS = frozenset({"celery.__main__.main", "celery.bin.celery.main"})


def _watchfiles(
    words: list[Optional[str]],
    scripts: Scripts,
    depth: int,
    environment: _Environment,
) -> Optional[tuple[str, list[Optional[str]]]]:
    """`watchfiles [options] target [paths]`, which runs the target and restarts it on
    changes: a command, or a function given `--args` (cookiecutter-django's local
    `watchfiles --filter python celery.__main__.main --args '-A config.celery_app worker'`)."""
    arguments: Optional[str] = ""
    positional: list[str] = []  # the target, then the paths watched
    j = 0
    while j < len(words):
        word = words[j]
        j += 1
        if word is None:
            return "unknown", []
        if not word.startswith("-"):
            positional.append(word)
            continue
        name, sep, written = word.partition("=")
        value: Optional[str] = written
        if name in _WATCHFILES_VALUED and not sep:
            value = words[j] if j < len(words) else None
            j += 1
        if name == "--args":
            arguments = value
    if not positional:
        return None
    target = positional[0]
    if target in _CELERY_MAINS:
        if arguments is None:
            return "unknown", []
        try:
            return "celery", [_expand(word, environment) for word in shlex.split(arguments)]
        except ValueError:
            return "unknown", []
    try:
        command = [_expand(word, environment) for word in shlex.split(target)]
    except ValueError:
        return "unknown", []
    return _celery_command(command, scripts, depth + 1, environment)


def _subcommand(words: list[Optional[str]]) -> Optional[str]:
    """The celery subcommand (`worker`); None if there is none, `_UNKNOWN` when a word
    before it cannot be read (`celery -A proj "${CELERY_OPTS[@]}"`)."""
    i = 0
    while i < len(words):
        word = words[i]
        if word is None:
            return _UNKNOWN
        if word.startswith("-"):
            takes_value = word in _OPTIONS and _OPTIONS[word] != ""
            i += 2 if takes_value and "=" not in word else 1
            continue
        return word
    return None


def _read_celery(words: list[Optional[str]], service: Service) -> None:
    subcommand = _subcommand(words)
    if subcommand == _UNKNOWN:
        service.command_known = False
        return
    service.role = {"worker": "worker", "multi": "worker", "beat": "beat", "flower": "flower"}.get(
        subcommand or "", "other"
    )
    per_node: set[str] = set()  # the options given to some of `celery multi`'s nodes
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word is None:
            # `$WORKER_ARGS`, `--queues=$Q`: any option may be there, with any value;
            # but one that keeps a rule silent only counts where it is seen.
            for known in _OPTIONS.values():
                if known and known not in _ONLY_AS_WRITTEN:
                    service.options.setdefault(known, _UNKNOWN)
            continue
        if not word.startswith("-"):
            continue
        name, sep, value = word.partition("=")
        option = _OPTIONS.get(name)
        # `celery multi start w1 w2 -Q:w1 a,b`: an option of some nodes only.
        per_node_option = option is None and _OPTIONS.get(name.partition(":")[0])
        if per_node_option:
            option = per_node_option
        if option is None and name.startswith("-") and not name.startswith("--") and len(name) > 2:
            # Short options together: `-Qa,b`, `-Psolo`, `-EQ slow`, `-EBS sched`.
            letters = name[1:]
            k = 0
            while k < len(letters) and _OPTIONS.get(f"-{letters[k]}") == "":
                service.also_beat |= letters[k] == "B"
                k += 1
            if k == len(letters):
                continue
            option, rest = _OPTIONS.get(f"-{letters[k]}"), letters[k + 1 :]
            sep, value = ("=", rest) if rest else ("", "")
        if option is None:
            if name in _OTHER_VALUED and not sep:
                i += 1  # `--uid $UID`: its value says nothing of what is read here
            continue
        if option == "":
            service.also_beat |= name in ("-B", "--beat")
            continue
        if not sep:
            if i >= len(words):
                continue
            given = words[i]
            i += 1
            value = given if given is not None else _UNKNOWN
        if per_node_option:
            per_node.add(option)
        service.options[option] = _UNKNOWN if UNKNOWN_MARK in value else value
    for option in per_node:
        service.options[option] = _UNKNOWN


# Where a program named without a directory is found (the PATH of Python's images).
_PATH_DIRECTORIES = frozenset(
    {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}
)
# The long spelling of each option `_read_celery` reads (to write a merged command).
_LONG_FLAGS = {option: flag for flag, option in _OPTIONS.items() if option and flag[1] == "-"}


def _together(
    started: list[tuple[tuple[str, list[Optional[str]]], _Environment]],
    environment: _Environment,
) -> tuple[str, list[Optional[str]]]:
    """What one service runs when it starts `started` (commands, each with the
    environment it runs in) side by side: the one command, or one worker standing for
    them all (`_side_by_side`), else unknown; `environment` takes what they see alike."""
    environment.adopt(_shared([inner for _, inner in started]))
    if len(started) == 1:
        return started[0][0]
    merged = _side_by_side([command for command, _ in started])
    return ("celery", merged) if merged is not None else ("unknown", [])


def _side_by_side(commands: list[tuple[str, list[Optional[str]]]]) -> Optional[list[Optional[str]]]:
    """The words of one worker standing for what a script starts side by side:
    workers (mozillians' run-celery.sh: `worker -Q celery &`, then `worker -Q cis &`),
    one consuming every queue they name, an option they give differently unknown; and
    a beat of the same app beside them (SEED: `celery beat ... &`, then the worker).
    None when something else runs, or when one of several workers consumes the default
    queue (no `-Q`)."""
    workers: list[Service] = []
    beats: list[Service] = []
    for kind, words in commands:
        read = Service("", "", "", 0, "other")
        subcommand = _subcommand(words) if kind == "celery" else None
        if subcommand not in ("worker", "beat"):
            return None
        _read_celery(words, read)
        (workers if subcommand == "worker" else beats).append(read)
    if not workers or (len(workers) > 1 and any("queues" not in w.options for w in workers)):
        return None
    apps = {read.options.get("app") for read in (*workers, *beats)}
    if len(apps) > 1:
        return None  # another app's beat: not this worker's
    merged: list[Optional[str]] = ["worker"]
    for option in dict.fromkeys(key for read in workers for key in read.options):
        values = [read.options.get(option) for read in workers]
        if option == "queues" and _UNKNOWN not in values:
            names = (q.strip() for v in values if v for q in v.split(","))
            value = ",".join(dict.fromkeys(q for q in names if q))
        elif len(set(values)) == 1 and values[0] is not None:
            value = values[0]
        else:
            value = UNKNOWN_MARK
        merged.append(f"{_LONG_FLAGS[option]}={UNKNOWN_MARK if value == _UNKNOWN else value}")
    if beats or any(read.also_beat for read in workers):
        merged.append("--beat")
    return merged


class Scripts:
    """The deployment's scripts as a command names them: by the path its image copied
    one to (Dockerfile `COPY ./compose/.../worker/start /start-celeryworker`:
    cookiecutter-django; `ENTRYPOINT ["./entrypoint.sh"]` after `WORKDIR /opt/svc` and
    `COPY entrypoint.sh ./`: IntelOwl's integrations), else by file name."""

    def __init__(
        self,
        by_name: dict[str, list[DeployedProcess]],
        by_path: dict[str, list[DeployedProcess]],
        copied: tuple[tuple[str, str], ...] = (),
        workdir: str = "",
    ) -> None:
        self._by_name = by_name
        self._by_path = by_path
        self._copied = copied
        self._workdir = workdir

    @classmethod
    def of(cls, processes: Sequence[DeployedProcess]) -> Scripts:
        by_name: dict[str, list[DeployedProcess]] = {}
        by_path: dict[str, list[DeployedProcess]] = {}
        for process in processes:
            if process.platform == "script":
                by_name.setdefault(os.path.basename(process.path), []).append(process)
                by_path.setdefault(os.path.realpath(process.path), []).append(process)
        return cls(by_name, by_path)

    def run_by(self, process: DeployedProcess) -> Scripts:
        """The scripts as `process` names them, with what its image copied in, from the
        directory its command starts in."""
        return Scripts(self._by_name, self._by_path, process.copied, process.workdir)

    def moved(self) -> Scripts:
        """The scripts as a command names them where the directory it runs in is not
        known (after a `cd`; a script's lines, whose `cd`s are not read)."""
        return Scripts(self._by_name, self._by_path, self._copied)

    def named(self, word: str) -> Optional[list[DeployedProcess]]:
        """The lines of the script `word` names; None if it names none read.
        AmbiguousScript when it may name any of several scripts read."""
        source = self.source(word)
        if source is not None:
            return self._by_path.get(source)
        candidates = self._by_name.get(os.path.basename(word))
        if candidates is None or len({p.path for p in candidates}) == 1:
            return candidates
        # Several scripts of that name (safe-transaction-service's worker, scheduler and
        # flower `run.sh`): the one whose path ends as the command writes it
        # (`docker/web/celery/worker/run.sh`, run from a directory not known), else none:
        # the lines of different scripts are no one script's.
        written = posixpath.normpath(word)
        if "/" in written and not posixpath.isabs(written):
            tail = os.sep + written.replace("/", os.sep)
            matching = [p for p in candidates if (os.sep + p.path).endswith(tail)]
            if len({p.path for p in matching}) == 1:
                return matching
        raise AmbiguousScript(word)

    def source(self, word: str) -> Optional[str]:
        """The repository file the image copied to the path `word`, if it copied one (a
        bare name: to a directory of the PATH, `COPY entry.sh /usr/local/bin/entry`)."""
        path = self._in_image(word)
        for destination, source in self._copied:
            if path == destination or (
                "/" not in word
                and posixpath.basename(destination) == word
                and posixpath.dirname(destination) in _PATH_DIRECTORIES
            ):
                return os.path.realpath(source)
            inside = destination.rstrip("/") + "/"
            if path is not None and path.startswith(inside) and os.path.isdir(source):
                return os.path.realpath(os.path.join(source, *path[len(inside) :].split("/")))
        return None

    def _in_image(self, word: str) -> Optional[str]:
        """The path in the image that `word` names, a relative one (`./entrypoint.sh`)
        from the directory the command runs in; None for a bare name (looked for in the
        PATH) or where that directory is not known."""
        if posixpath.isabs(word):
            return posixpath.normpath(word)
        if "/" in word and self._workdir:
            return posixpath.normpath(posixpath.join(self._workdir, word))
        return None


class AmbiguousScript(Exception):
    """A command names a script by a name several scripts of the deployment have."""


def deployed_services(processes: Sequence[DeployedProcess]) -> list[Service]:
    """The services of a deployment: entrypoint scripts a process runs are read
    through it, not as services of their own."""
    scripts = Scripts.of(processes)
    called_names: set[str] = set()
    called_paths: set[str] = set()
    for process in processes:
        if process.platform == "script":
            continue
        seen_by = scripts.run_by(process)
        for word in (word for words in _commands_in(process.argv) for word in words if word):
            source = seen_by.source(word)
            if source is not None:
                called_paths.add(source)
            # A relative path (`./entrypoint.sh`) also names the script of that name a
            # `cd` before it (not followed here) may have moved to.
            if source is None or ("/" in word and not posixpath.isabs(word)):
                called_names.add(os.path.basename(word))
    kept = [
        p
        for p in processes
        if p.platform != "script"
        or (
            os.path.basename(p.path) not in called_names
            and os.path.realpath(p.path) not in called_paths
        )
    ]
    return services_from(kept, scripts)


def matches_app(written: str, module: str, var: str) -> bool:
    """Whether `-A written` loads the app `var` of `module`, as Celery's find_app does:
    `proj` (its `app`/`celery` attribute or `proj.celery`'s), `proj.celery:app`, `proj.app`."""
    if ":" in written:
        target, _, attribute = written.partition(":")
        return target == module and attribute == var
    if module in (written, f"{written}.celery"):
        return True
    head, _, attribute = written.rpartition(".")
    return head == module and attribute == var
