"""Deployment files -> `DeploymentFacts`: the processes they start, with their environment.

Every format is read with a real parser and never executed: YAML (compose,
Kubernetes) through PyYAML's safe composer with limits, `.env` files through
python-dotenv's `dotenv_values`, command lines through `shlex`, Dockerfile,
Procfile, supervisord and systemd files by their line grammars. A file that
cannot be read becomes one `DeploymentProblem` (reported as a warning) and
the others are still read.

YAML is composed into nodes (aliases stay shared, so composing is cheap) and
converted here with a budget of nodes: a document whose alias expansion
explodes ("billion laughs") is rejected instead of expanded. Converted
mappings and lists remember the line of each entry for the findings.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import json
import os
import posixpath
import re
import shlex
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Optional, cast

import msgspec

from celerylint.facts.schema import DeployedProcess, DeploymentFacts, DeploymentProblem, EnvEntry
from celerylint.sources.watch import Watched, watch

MAX_BYTES = 2 * 1024 * 1024
_MAX_NODES = 200_000  # converted YAML nodes per file, aliases expanded
_MAX_DEPTH = 100
_WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"}
_COMPOSE = re.compile(r"^(docker-)?compose([.-].*)?\.ya?ml$", re.IGNORECASE)
# A document the Kubernetes reader uses: its `kind:` starts a line (a manifest's
# top-level keys do). Any other YAML file is not parsed: kpi's 800 kB OpenAPI
# schema, with a `kind:` property deep inside, took 0.4 s of every cold check.
_USED_KINDS = "|".join(sorted({*_WORKLOADS, "ConfigMap", "Secret"}))
_USED_KIND = re.compile(rf"^kind:[ \t]*[\"']?(?:{_USED_KINDS})\b", re.MULTILINE)
_WORKLOAD_KIND = re.compile(rf"^kind:[ \t]*[\"']?(?:{'|'.join(_WORKLOADS)})\b", re.MULTILINE)


class DeploymentError(Exception):
    """A file that cannot be read as what it claims to be; the message is the diagnostic."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


class YMap(dict[str, Any]):
    """A YAML mapping that knows the line of each key."""

    lines: dict[str, int]


class YList(list[Any]):
    """A YAML sequence that knows the line of each item."""

    lines: list[int]


def line_of(container: Any, key: Any, default: int) -> int:
    if isinstance(container, YMap):
        return container.lines.get(key, default)
    if isinstance(container, YList) and isinstance(key, int) and key < len(container.lines):
        return container.lines[key]
    return default


# -- YAML with limits ----------------------------------------------------------------


def load_yaml(text: str, partial: bool = False) -> list[Any]:
    """Every document of a YAML stream, converted with a node budget.

    `partial`: the documents before a malformed one, instead of the error.
    """
    import yaml  # ~20 ms, only when a YAML deployment file exists

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    budget = [_MAX_NODES]
    documents: list[Any] = []
    try:
        for node in yaml.compose_all(text, Loader=loader):
            if node is not None:
                documents.append(_convert(node, budget, 0))
    except yaml.YAMLError as error:
        if partial:
            return documents
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise DeploymentError(f"invalid YAML: {problem}", line) from None
    except RecursionError:
        raise DeploymentError("YAML nested too deeply") from None
    return documents


def _convert(node: Any, budget: list[int], depth: int) -> Any:
    import yaml

    budget[0] -= 1
    if budget[0] < 0:
        raise DeploymentError(
            f"YAML expands to more than {_MAX_NODES} nodes (an alias bomb?): not read"
        )
    if depth > _MAX_DEPTH:
        raise DeploymentError("YAML nested too deeply (or a recursive alias): not read")
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == "tag:yaml.org,2002:null" else node.value
    if isinstance(node, yaml.SequenceNode):
        items = YList()
        items.lines = []
        for child in node.value:
            items.append(_convert(child, budget, depth + 1))
            items.lines.append(child.start_mark.line + 1)
        return items
    mapping = YMap()
    mapping.lines = {}
    merged: list[YMap] = []
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            value = _convert(value_node, budget, depth + 1)
            merged.extend(v for v in (value if isinstance(value, list) else [value]) if v)
            continue
        key = _convert(key_node, budget, depth + 1)
        if not isinstance(key, str):
            continue  # keys that matter here are strings
        mapping[key] = _convert(value_node, budget, depth + 1)
        mapping.lines[key] = key_node.start_mark.line + 1
    # `<<: [*a, *b]`: explicit keys win, then earlier merged mappings over later ones.
    for base in merged:
        if isinstance(base, YMap):
            for key, value in base.items():
                if key not in mapping:
                    mapping[key] = value
                    mapping.lines[key] = base.lines.get(key, node.start_mark.line + 1)
    return mapping


# -- reading files -------------------------------------------------------------------


def read_text(path: str) -> str:
    """The file's text, or a DeploymentError saying why it cannot be read."""
    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            raise DeploymentError(
                f"file is {size // 1024} KiB, over the {MAX_BYTES // 1024} KiB cap"
            )
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise DeploymentError(f"cannot read: {error.strerror or error}") from None
    if b"\0" in data:
        raise DeploymentError("binary file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DeploymentError(f"not UTF-8 (byte {error.start})") from None


def kind_of(path: str) -> Optional[str]:
    """Which deployment format a file is, by name (content decides for YAML and scripts)."""
    name = os.path.basename(path)
    lower = name.lower()
    if _COMPOSE.match(name):
        return "compose"
    if lower.endswith((".yml", ".yaml")):
        return "kubernetes"
    if lower == "procfile" or lower.startswith("procfile."):
        return "procfile"
    if lower == "dockerfile" or lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return "dockerfile"
    if lower.endswith(".service"):
        return "systemd"
    if lower.endswith((".conf", ".ini")):
        return "supervisor"
    if lower.endswith((".sh", ".bash")) or "." not in name:
        return "script"
    return None


class _Reader(msgspec.Struct):
    root: Path
    processes: list[DeployedProcess] = msgspec.field(default_factory=list)
    problems: list[DeploymentProblem] = msgspec.field(default_factory=list)
    config_maps: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)
    secrets: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)
    # Kubernetes containers wait for every ConfigMap and Secret to be read.
    pending: list[tuple[str, str, int, Any, Any]] = msgspec.field(default_factory=list)
    built: set[str] = msgspec.field(default_factory=set)  # Dockerfiles a compose service builds
    # Services of `-f` overlay files (`docker-compose.override.dev.yml`) with no command
    # of their own: a patch of the base file's service of that name, if there is one.
    patches: list[DeployedProcess] = msgspec.field(default_factory=list)
    also_read: list[Watched] = msgspec.field(default_factory=list)  # DeploymentFacts.also_read
    # Each Dockerfile read once: several compose services often build the same one.
    images: dict[str, Image] = msgspec.field(default_factory=dict)
    # The deployment files by file name (`EnvironmentFile=/etc/default/celeryd`).
    names: dict[str, list[str]] = msgspec.field(default_factory=dict)
    # Each compose file's services, read once: the file services `extends:` is read for
    # each of them, and often as a deployment of its own.
    composed: dict[str, _Services | DeploymentError] = msgspec.field(default_factory=dict)

    def image(self, path: str) -> Image:
        """`dockerfile_image` of a Dockerfile, read once (raises DeploymentError)."""
        known = self.images.get(path)
        if known is None:
            known = self.images[path] = dockerfile_image(path, path)
        return known

    def dotenv(self, path: Path) -> Optional[dict[str, Optional[str]]]:
        """A `.env` file's variables (None if it cannot be read), remembering the file's
        (mtime, size) before it is read."""
        text = self._env_text(path)
        return None if text is None else _variables(text)

    def env_file(self, path: Path) -> Optional[list[EnvEntry]]:
        """The variables of an env file, each at its line; None if it cannot be read."""
        text = self._env_text(path)
        if text is None:
            return None
        lines = _dotenv_lines(text)
        return [EnvEntry(k, v, str(path), lines.get(k, 1)) for k, v in _variables(text).items()]

    def _env_text(self, path: Path) -> Optional[str]:
        self.also_read.extend(watch([str(path)]))
        return _env_text(path)

    def compose_services(self, path: str) -> _Services:
        """A compose file's services (raises DeploymentError), read once."""
        known = self.composed.get(path)
        if known is None:
            try:
                known = _services(path, load_yaml(read_text(path)))
            except DeploymentError as error:
                known = error
            self.composed[path] = known
        if isinstance(known, DeploymentError):
            raise known
        return known

    def problem(self, path: str, error: DeploymentError) -> None:
        relative = os.path.relpath(path, self.root) if os.path.isabs(path) else path
        problem = DeploymentProblem(relative, error.line, str(error))
        if problem not in self.problems:  # a broken file several services extend: once
            self.problems.append(problem)


def read_deployments(paths: list[str], root: Path) -> DeploymentFacts:
    """The processes every deployment file starts; problems for files that cannot be read."""
    _lines.cache_clear()  # a long-lived process (the fixer, an editor) reads files again
    reader = _Reader(root)
    by_kind: dict[str, list[str]] = {}
    for path in paths:
        reader.names.setdefault(os.path.basename(path), []).append(path)
        relative = os.path.relpath(path, root)
        if any(part.startswith(".") for part in Path(relative).parts[:-1]):
            continue  # .github and friends: CI runs, not deployments
        kind = kind_of(path)
        if kind is not None:
            by_kind.setdefault(kind, []).append(path)
    # Compose first: it records which Dockerfiles it builds (their CMD is not a service of its own).
    for kind in (
        "compose",
        "kubernetes",
        "procfile",
        "script",
        "supervisor",
        "systemd",
        "dockerfile",
    ):
        for path in by_kind.get(kind, []):
            try:
                _READERS[kind](reader, path)
            except DeploymentError as error:
                reader.problem(path, error)
    for path, name, line, container, pod in reader.pending:
        reader.processes.append(_container(reader, path, name, line, container, pod))
    bases = {
        (os.path.dirname(p.path), p.name)
        for p in reader.processes
        if p.platform == "compose" and "override" not in os.path.basename(p.path)
    }
    reader.processes.extend(
        patch for patch in reader.patches if (os.path.dirname(patch.path), patch.name) not in bases
    )
    processes = tuple(_located(p) for p in reader.processes)
    return DeploymentFacts(processes, tuple(reader.problems), tuple(reader.also_read))


def _located(process: DeployedProcess) -> DeployedProcess:
    """Columns for the lines findings point at: the line's text without its indentation."""
    env = tuple(msgspec.structs.replace(e, col=_columns(e.path, e.line)) for e in process.env)
    return msgspec.structs.replace(process, env=env, col=_columns(process.path, process.line))


def _columns(path: str, line: int) -> tuple[int, int]:
    lines = _lines(path)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(text) - len(text.lstrip()), len(text.rstrip())


@functools.lru_cache(maxsize=256)
def _lines(path: str) -> list[str]:
    try:
        return read_text(path).splitlines()
    except DeploymentError:
        return []


# -- interpolation -------------------------------------------------------------------

_COMPOSE_VARIABLE = re.compile(r"\$(?:\$|\{([A-Za-z_]\w*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_]\w*))")


# Stands for an unknown variable inside a command word that stays readable otherwise
# (`sh -c "mkdir /x/${BUCKET} && minio server"`); model.services reads such words as unknown.
UNKNOWN_MARK = "\x00"


def interpolate(text: str, values: dict[str, Optional[str]], mark: bool = False) -> Optional[str]:
    """`${VAR}`, `${VAR:-default}`, `$VAR` and `$$` (compose); None if a variable is
    unknown (or, with `mark`, the text with UNKNOWN_MARK in its place)."""
    unknown = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        operator, default = match.group(2), match.group(3) or ""
        if name not in values:
            if operator in (":-", "-"):
                return default
            unknown = True
            return ""
        value = values[name]
        if value is None:
            unknown = True
            return ""
        if operator == ":-" and not value:
            return default
        if operator in (":+", "+"):
            return default if (value or operator == "+") else ""
        return value

    if mark:
        # Mark where unknown values go; the replacement above returns "" for them.
        def marked(match: re.Match[str]) -> str:
            nonlocal unknown
            unknown = False
            replaced = replace(match)
            return UNKNOWN_MARK if unknown else replaced

        return _COMPOSE_VARIABLE.sub(marked, text)
    result = _COMPOSE_VARIABLE.sub(replace, text)
    return None if unknown else result


def _variables(text: str) -> dict[str, Optional[str]]:
    """An env file's variables, parsed by python-dotenv's parser, `${VAR}` and
    `${VAR:-default}` expanded as python-dotenv's `dotenv_values` does, but from the
    variables set above in the file only: it also reads this process's environment, and
    the machine that deploys is not the one that lints (a variable from there is
    unknown, None; its default where one is written). Last setting wins."""
    values: dict[str, Optional[str]] = {}
    for binding in dotenv_parser().parse_stream(io.StringIO(text)):
        if binding.key is not None:
            value = binding.value
            values[binding.key] = None if value is None else _expanded(value, values)
    return values


# python-dotenv's variable reference (`dotenv.variables`): only the braced forms.
_DOTENV_VARIABLE = re.compile(r"\$\{([^}:]*)(?::-([^}]*))?\}")


def _expanded(value: str, values: dict[str, Optional[str]]) -> Optional[str]:
    def value_of(match: re.Match[str]) -> Optional[str]:
        name, default = match.group(1), match.group(2)
        return values.get(name) if name in values else default

    return _substituted(_DOTENV_VARIABLE, value, value_of)


def _substituted(
    pattern: re.Pattern[str], text: str, value_of: Callable[[re.Match[str]], Optional[str]]
) -> Optional[str]:
    """`text` with each match of `pattern` replaced by `value_of(match)`; None when any
    of those is unknown (None)."""
    unknown = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        value = value_of(match)
        if value is None:
            unknown = True
            return ""
        return value

    result = pattern.sub(replace, text)
    return None if unknown else result


def dotenv_parser() -> Any:
    """python-dotenv's parser module (`parse_stream`), without running its package's
    `__init__`: that imports `dotenv.main`, and with it logging, threading, tempfile,
    shutil and the compression libraries (50 ms and 4.8 MiB of a run's peak on a
    project with an env file), none of which the parser needs."""
    loaded = sys.modules.get("dotenv.parser") or sys.modules.get(_DOTENV_PARSER)
    if loaded is not None:
        return loaded
    import importlib.util

    package = importlib.util.find_spec("dotenv")  # finds it; imports nothing
    if package is None or not package.submodule_search_locations:
        raise ImportError("python-dotenv is not installed")
    location = os.path.join(package.submodule_search_locations[0], "parser.py")
    spec = importlib.util.spec_from_file_location(_DOTENV_PARSER, location)
    if spec is None or spec.loader is None:
        raise ImportError(f"python-dotenv's parser is not at {location}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # Under a name of ours: as `dotenv.parser`, a later `import dotenv` in the same
    # process (a program using celerylint's API) would find it without making it an
    # attribute of the package.
    sys.modules[_DOTENV_PARSER] = module
    return module


_DOTENV_PARSER = "celerylint.facts._dotenv_parser"


# `KEY: value`, which docker compose's env-file parser reads as `KEY=value` (compose-go's
# dotenv: "yaml-style value declaration"), and python-dotenv rejects or misreads.
_YAML_STYLE = re.compile(r"^([ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.-]*)[ \t]*:[ \t]*")


def _env_text(path: Path) -> Optional[str]:
    """An env file's text as docker compose reads it, for python-dotenv: a `KEY: value`
    statement written `KEY=value`, and a statement neither reads left out (blank lines
    in its place): python-dotenv would log each to stderr."""
    parse_stream = dotenv_parser().parse_stream
    try:
        text = read_text(str(path))
    except DeploymentError:
        return None
    statements = []
    for binding in parse_stream(io.StringIO(text)):
        written = binding.original.string
        if binding.error or (binding.key is not None and ":" in binding.key):
            written = _YAML_STYLE.sub(r"\1=", written, count=1)
            again = list(parse_stream(io.StringIO(written)))
            if any(b.error or (b.key is not None and ":" in b.key) for b in again):
                written = "\n" * binding.original.string.count("\n")
        statements.append(written)
    return "".join(statements)


def _dotenv_lines(text: str) -> dict[str, int]:
    """The line each variable of an env file's text is first set on."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip().removeprefix("export ").strip()
        if "=" in stripped and not stripped.startswith("#"):
            lines.setdefault(stripped.split("=", 1)[0].strip(), number)
    return lines


def words(value: Any, values: dict[str, Optional[str]]) -> Optional[tuple[Optional[str], ...]]:
    """A compose `command:`/`entrypoint:` (a string split like a shell, or a list)."""
    if value is None:
        return None
    if isinstance(value, str):
        # Compose interpolates before splitting; word by word keeps the known words
        # known when one variable is not.
        try:
            return tuple(interpolate(word, values, mark=True) for word in shlex.split(value))
        except ValueError:
            return (None,)
    if isinstance(value, list):
        return tuple(interpolate(item, values) if isinstance(item, str) else None for item in value)
    return (None,)


# -- compose -------------------------------------------------------------------------


# Without `-f`, compose reads the first of these in the project directory, then the
# first override file beside it, merged into it (compose-go's DefaultFileNames and
# DefaultOverrideFileNames). Other names are combined by `-f` sets, which are unknowable.
_BASE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
_OVERRIDE_FILES = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)

# One compose file's definition of a service: (file, line of the service, its mapping).
_Layer = tuple[str, int, YMap]
# A compose file's services by name: each one's definitions (one per YAML document).
_Services = dict[str, list[_Layer]]


def default_compose_file(path: str) -> bool:
    """A file compose reads without `-f` (a base or override file): the services of
    one directory's default files are one deployment."""
    return os.path.basename(path) in (*_BASE_FILES, *_OVERRIDE_FILES)


def _first(directory: Path, names: tuple[str, ...]) -> Optional[Path]:
    return next((directory / name for name in names if (directory / name).is_file()), None)


def _compose(reader: _Reader, path: str) -> None:
    directory = Path(path).parent
    name = os.path.basename(path)
    base = _first(directory, _BASE_FILES)
    override = _first(directory, _OVERRIDE_FILES)
    if name in _OVERRIDE_FILES and base is not None:
        return  # merged into the base file when that is read
    files = [path]
    if name in _BASE_FILES and override is not None and base == Path(path):
        files.append(str(override))
    # Compose interpolates `${VAR}` from the shell and the `.env` beside the file.
    project_env = reader.dotenv(directory / ".env") or {}
    layers: _Services = {}
    for index, file_path in enumerate(files):
        try:
            services = reader.compose_services(file_path)
        except DeploymentError as error:
            if index == 0:
                raise
            reader.problem(file_path, error)  # the base file is still read alone
            continue
        for service_name, defined in services.items():
            layers.setdefault(service_name, []).extend(defined)
    merged = len(files) > 1
    resolved = {
        service_name: _extended(reader, service_name, defined, project_env, frozenset())
        for service_name, defined in layers.items()
    }
    images = _built_images(resolved, project_env)
    for service_name, defined in layers.items():
        extended = resolved[service_name]
        process = _compose_service(
            reader, service_name, defined, extended, project_env, merged, images
        )
        patch = process.argv == (None,) and "override" in name and not merged
        (reader.patches if patch else reader.processes).append(process)


def _built_images(
    services: dict[str, Optional[list[_Layer]]], values: dict[str, Optional[str]]
) -> dict[str, _Layer]:
    """The images services of the file build, by the tag they give them (`build:` with
    `image: web-image`), with the `build:` that makes each: a service naming that tag
    and building nothing runs it (codabench's `site_worker: image: django_site-worker`,
    built by `django`, whose ENTRYPOINT is `bash -c`). Not a tag two builds give."""
    found: dict[str, Optional[_Layer]] = {}
    for layers in services.values():
        build = _last(layers, "build") if layers else None
        image = _last(layers, "image") if layers else None
        tag = _image_tag(image, values) if build is not None and image is not None else None
        if tag is not None:
            found[tag] = build if tag not in found else None
    return {tag: build for tag, build in found.items() if build is not None}


def _image_tag(layer: _Layer, values: dict[str, Optional[str]]) -> Optional[str]:
    written = layer[2]["image"]
    return interpolate(written, values) if isinstance(written, str) else None


def _services(path: str, documents: list[Any]) -> _Services:
    """The services of a compose file's documents (`x-` ones are extension fields)."""
    found: _Services = {}
    for document in documents:
        services = document.get("services") if isinstance(document, dict) else None
        if not isinstance(services, YMap):
            continue
        for service_name, service in services.items():
            if service_name.startswith("x-") or not isinstance(service, YMap):
                continue
            layer = (path, services.lines[service_name], service)
            found.setdefault(service_name, []).append(layer)
    return found


def _extended(
    reader: _Reader,
    name: str,
    layers: list[_Layer],
    values: dict[str, Optional[str]],
    seen: frozenset[tuple[str, str]],
) -> Optional[list[_Layer]]:
    """A service's definitions in the order compose merges them: before each one that
    `extends:` another service, that service's (themselves extended), as compose merges
    the extending service over the extended one by the rules it merges files by. None
    when an `extends` cannot be followed (a missing file or service, a cycle, an unset
    variable): what the service runs is not known.

    `seen`: the (file, service) definitions being extended; extending one again is a cycle."""
    resolved: list[_Layer] = []
    for layer in layers:
        path, _, service = layer
        if "extends" in service:
            base = _extends_base(reader, path, service["extends"], values, seen | {(path, name)})
            if base is None:
                return None
            resolved.extend(base)
        resolved.append(layer)
    return resolved


def _extends_base(
    reader: _Reader,
    path: str,
    extends: Any,
    values: dict[str, Optional[str]],
    seen: frozenset[tuple[str, str]],
) -> Optional[list[_Layer]]:
    """The definitions of the service an `extends:` written in the file `path` names,
    extended in turn: of the same file (`extends: base`, `{service: base}`), or of
    `file:`, relative to `path` (that file's own relative paths, `build:` or `env_file:`,
    stay relative to it, as each layer's are)."""
    target = _extends_target(extends, values)
    if target is None:
        return None
    written_file, name = target
    file_path = os.path.normpath(Path(path).parent / written_file) if written_file else path
    if (file_path, name) in seen:
        return None
    if file_path not in reader.composed:
        # Not a deployment file discovery found (nor perhaps there): a replayed run
        # depends on it too.
        reader.also_read.extend(watch([file_path]))
    try:
        services = reader.compose_services(file_path)
    except DeploymentError as error:
        # A missing file is unknown, as a missing `env_file` is; a broken one is a warning.
        if os.path.isfile(file_path):
            reader.problem(file_path, error)
        return None
    defined = services.get(name)
    return _extended(reader, name, defined, values, seen) if defined else None


def _extends_target(
    extends: Any, values: dict[str, Optional[str]]
) -> Optional[tuple[Optional[str], str]]:
    """(file or None for the same file, service) of an `extends:` value, interpolated as
    compose does before following it; None when it cannot be read."""
    if isinstance(extends, str):
        extends = {"service": extends}  # the short form names a service of the same file
    if not isinstance(extends, dict):
        return None
    written_service, written_file = extends.get("service"), extends.get("file")
    service = interpolate(written_service, values) if isinstance(written_service, str) else None
    if written_file is None:
        return (None, service) if service else None
    file_name = interpolate(written_file, values) if isinstance(written_file, str) else None
    return (file_name, service) if service and file_name else None


def _last(layers: list[_Layer], key: str) -> Optional[_Layer]:
    """The last file that sets `key` of the service: compose replaces such values."""
    return next((layer for layer in reversed(layers) if key in layer[2]), None)


def _compose_service(
    reader: _Reader,
    name: str,
    own: list[_Layer],
    extended: Optional[list[_Layer]],
    values: dict[str, Optional[str]],
    merged: bool,
    images: dict[str, _Layer],
) -> DeployedProcess:
    """A service as compose merges its definitions (`own`: base file, then override; with
    what they extend before them, `extended`): mappings merged, `command`/`entrypoint`/
    `image`/`build` replaced, `environment` merged by key, `env_file` and `profiles`
    appended. `images`: the images the file's services build, by tag (`_built_images`)."""
    env: list[EnvEntry] = []
    # An override file read alone, or an `extends:` not followed, completes a service
    # defined elsewhere.
    alone = not merged and "override" in os.path.basename(own[0][0])
    elsewhere = alone or extended is None
    layers = own if extended is None else extended
    complete = not elsewhere
    image_cmd: Optional[tuple[Optional[str], ...]] = None
    image_entry: Optional[tuple[Optional[str], ...]] = None
    build = _last(layers, "build")
    image = _last(layers, "image")
    if build is None and image is not None:
        build = images.get(_image_tag(image, values) or "")
    # The image whose ENTRYPOINT runs when no file sets one (a Dockerfile not read: not
    # known); None when the service names none.
    base: Optional[str] = UNKNOWN_MARK if build else None
    built_from = (
        _built_dockerfile(Path(build[0]).parent, build[2]["build"], values) if build else None
    )
    copied: tuple[tuple[str, str], ...] = ()
    code: Optional[tuple[str, ...]] = None
    workdir = ""
    if built_from is not None:
        dockerfile, context = built_from
        reader.built.add(str(dockerfile))
        reader.also_read.extend(watch([str(dockerfile)]))
        try:
            built = reader.image(str(dockerfile))
            env.extend(built.env)
            image_cmd, image_entry, base = built.cmd, built.entrypoint, built.base
            copied = built.copied([context])
            code = built.code(context)
            workdir = _known_workdir(built.workdir)
        except DeploymentError as error:
            reader.problem(str(dockerfile), error)
            complete = False
    elif image is not None and image[2]["image"] is not None:
        complete = False  # the image may set variables of its own
        written = image[2]["image"]
        if build is None and isinstance(written, str):
            base = interpolate(written, values, mark=True)
    working_dir = _last(layers, "working_dir")
    if working_dir is not None:
        workdir = _working_dir(working_dir[2]["working_dir"], values)
    for path, _, service in layers:
        complete &= _env_files(reader, path, service.get("env_file"), values, env)
    for path, line, service in layers:
        complete &= _environment(path, line, service.get("environment"), values, env)
    command_layer = _last(layers, "command")
    entry_layer = _last(layers, "entrypoint")
    command = words(command_layer[2]["command"], values) if command_layer else None
    entrypoint = words(entry_layer[2]["entrypoint"], values) if entry_layer else None
    given = command if command is not None else image_cmd or ()
    entrypoint_unknown = False
    if entrypoint is not None:
        argv = entrypoint + (command or ())
    elif image_entry is not None:
        argv = image_entry + given
    elif base is not None:
        argv, entrypoint_unknown = run_by_image(base, given)
    else:
        argv = given  # no image named: the service is completed elsewhere
    if not argv and elsewhere and image is None:
        # What it runs is in the file it completes (an image's own command is read as in
        # any compose file): not known.
        argv = (None,)
    elif (
        not argv
        and image is not None
        and _named_like_celery(name, image[2]["image"])
        and not runs_infrastructure(image[2]["image"])
    ):
        # The image's own command is not in the repository. An image-only service is
        # usually infrastructure (redis, postgres) and runs nothing of the app, but one
        # named like a worker (`celery: image: myapp`) may well run one: unknown. Not a
        # broker's or a database's own image (`celery-broker: image: rabbitmq`).
        argv = (None,)
    # The finding points at the command where it is written, else at the service: in
    # the service's own files (the deployment they are), not in a file it extends.
    written = command_layer or entry_layer
    own_files = {path for path, _, _ in own}
    path, line, service = written if written and written[0] in own_files else own[0]
    command_line = line_of(service, "command", line_of(service, "entrypoint", line))
    profiles = [
        item
        for _, _, service in layers
        if isinstance(service.get("profiles"), list)
        for item in service["profiles"]
        if isinstance(item, str)
    ]
    if code is not None and not elsewhere:
        mounted = _bind_mounts(layers, values)
        code = None if mounted is None else (*code, *mounted)
    return DeployedProcess(
        name,
        "compose",
        path,
        command_line,
        argv,
        tuple(env),
        complete,
        tuple(profiles),
        copied=copied,
        code=code if not elsewhere else None,
        entrypoint_unknown=entrypoint_unknown,
        workdir=workdir,
    )


def _working_dir(written: Any, values: dict[str, Optional[str]]) -> str:
    """The directory a compose `working_dir:` starts the command in; "" when not known
    (a variable not known; Docker takes only an absolute path)."""
    directory = interpolate(written, values) if isinstance(written, str) else None
    if directory is None or not posixpath.isabs(directory):
        return ""
    return posixpath.normpath(directory)


def _bind_mounts(layers: list[_Layer], values: dict[str, Optional[str]]) -> Optional[list[str]]:
    """The repository paths a service's `volumes:` mount (`./src:/app`, or `type: bind`);
    None when one cannot be read. Named volumes hold no file of the repository."""
    mounted: list[str] = []
    for path, _, service in layers:
        volumes = service.get("volumes")
        if volumes is None:
            continue
        if not isinstance(volumes, list):
            return None
        for volume in volumes:
            if isinstance(volume, str):
                source = volume.split(":", 1)[0]
                if not source.startswith((".", "/", "~", "$")):
                    continue  # a named volume
            elif isinstance(volume, dict):
                if volume.get("type") != "bind":
                    continue
                given = volume.get("source")
                if not isinstance(given, str):
                    return None
                source = given
            else:
                return None
            expanded = interpolate(source, values)
            if expanded is None or expanded.startswith("~"):
                return None
            mounted.append(os.path.normpath(Path(path).parent / expanded))
    return mounted


_CELERY_HINTS = ("celery", "worker", "beat", "flower", "scheduler", "queue")


# Official images of servers a Celery project runs beside it (its broker, its result
# backend, its database, its proxy): their own command never runs the project's code.
_INFRASTRUCTURE_IMAGES = frozenset(
    {"redis", "valkey/valkey", "rabbitmq", "postgres", "postgis/postgis", "mysql", "mariadb"}
    | {"mongo", "memcached", "nginx", "httpd", "haproxy", "traefik", "caddy", "elasticsearch"}
    | {"minio/minio", "mher/flower"}
    | {f"bitnami/{name}" for name in ("redis", "rabbitmq", "postgresql", "mysql", "mongodb")}
)


def runs_infrastructure(image: object) -> bool:
    """Whether an image, given no command, runs a server of the infrastructure (a
    broker, a database, a proxy) and nothing of the project: an official one of those."""
    if not isinstance(image, str):
        return False
    repository = image_repository(image)
    return repository is not None and repository in _INFRASTRUCTURE_IMAGES


def _named_like_celery(service: str, image: object) -> bool:
    text = f"{service} {image if isinstance(image, str) else ''}".lower()
    return any(hint in text for hint in _CELERY_HINTS)


def _env_files(
    reader: _Reader,
    path: str,
    env_files: Any,
    values: dict[str, Optional[str]],
    env: list[EnvEntry],
) -> bool:
    """Add the variables of a service's `env_file:` list; False when one cannot be read."""
    complete = True
    for item in env_files if isinstance(env_files, list) else [env_files] if env_files else []:
        file_name = item.get("path") if isinstance(item, dict) else item
        if not isinstance(file_name, str):
            complete = False
            continue
        file_name = interpolate(file_name, values) or ""
        entries = reader.env_file((Path(path).parent / file_name).resolve())
        if entries is None:
            complete = False
            continue
        env.extend(entries)
    return complete


def _environment(
    path: str, line: int, environment: Any, values: dict[str, Optional[str]], env: list[EnvEntry]
) -> bool:
    """Add a service's `environment:` (a mapping or `VAR=value` items); False when a
    variable passes the shell's value through (`VAR:` or `- VAR`)."""
    complete = True
    if isinstance(environment, dict):
        for key, value in environment.items():
            text = None if value is None else interpolate(str(value), values)
            if value is None:
                complete = False  # `VAR:` with no value passes the shell's through
            env.append(EnvEntry(key, text, path, line_of(environment, key, line)))
    elif isinstance(environment, list):
        for index, item in enumerate(environment):
            if not isinstance(item, str):
                continue
            key, sep, value = item.partition("=")
            entry_line = line_of(environment, index, line)
            if not sep:
                complete = False
                env.append(EnvEntry(key, None, path, entry_line))
                continue
            env.append(EnvEntry(key, interpolate(value, values), path, entry_line))
    return complete


def _built_dockerfile(
    directory: Path, build: Any, values: dict[str, Optional[str]]
) -> Optional[tuple[Path, Path]]:
    """The Dockerfile a compose service builds, and its build context."""
    if isinstance(build, str):
        written_context, written_name = build, "Dockerfile"
    elif isinstance(build, dict) and isinstance(build.get("context", "."), str):
        written_context = str(build.get("context", "."))
        written = build.get("dockerfile")
        written_name = written if isinstance(written, str) else "Dockerfile"
    else:
        return None
    # courtlistener: `context: "${CL_BASE_DIR:-../../}"`.
    context, name = interpolate(written_context, values), interpolate(written_name, values)
    if context is None or name is None or "://" in context:
        return None
    candidate = (directory / context / name).resolve()
    return (candidate, (directory / context).resolve()) if candidate.is_file() else None


# -- Kubernetes ----------------------------------------------------------------------


def _kubernetes(reader: _Reader, path: str) -> None:
    try:
        text = read_text(path)
    except DeploymentError:
        if not _looks_like_manifest(path):
            return  # a big fixture or test cassette, not a manifest: nothing to say
        raise
    if "kind:" not in text and "applications:" in text and "command:" in text:
        _cloud_foundry(reader, path, text)
        return
    if "kind:" not in text or _USED_KIND.search(text) is None:
        return  # no workload, ConfigMap or Secret
    if "{{" in text:
        # A Helm template, YAML only once rendered: what a workload of it that names
        # Celery runs is not known (cla's production worker is one), never "nothing".
        if "celery" in text.lower() and _WORKLOAD_KIND.search(text) is not None:
            shown = os.path.relpath(path, reader.root)
            reader.processes.append(
                DeployedProcess(shown, "kubernetes", path, 1, (None,), (), False)
            )
        return
    for document in load_yaml(text):
        if not isinstance(document, dict):
            continue
        kind, metadata = document.get("kind"), document.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if kind in ("ConfigMap", "Secret") and isinstance(name, str):
            reader_map = reader.config_maps if kind == "ConfigMap" else reader.secrets
            reader_map[name] = _k8s_data(document, kind == "Secret")
        if kind not in _WORKLOADS:
            continue
        pod = _pod_spec(document)
        containers = pod.get("containers") if isinstance(pod, dict) else None
        if not isinstance(containers, list):
            continue
        for index, container in enumerate(containers):
            if isinstance(container, dict):
                label = f"{name}/{container.get('name', index)}"
                line = line_of(containers, index, 1)
                reader.pending.append((path, label, line, container, pod))


def _cloud_foundry(reader: _Reader, path: str, text: str) -> None:
    """A Cloud Foundry manifest (openFEC's `manifest_celery_worker_prod.yml`): each of
    its `applications` runs its `command`, or those of its `processes`, with its `env`
    and whatever `cf set-env` and bound services add."""
    for document in load_yaml(text):
        applications = document.get("applications") if isinstance(document, dict) else None
        if not isinstance(applications, list):
            continue
        for index, application in enumerate(applications):
            if not isinstance(application, dict):
                continue
            name = str(application.get("name", index))
            env = _cf_env(application.get("env"), path, line_of(applications, index, 1))
            processes = application.get("processes")
            runs = [(name, application, applications, index)]
            if isinstance(processes, list):
                runs += [
                    (f"{name}/{p.get('type', i)}", p, processes, i)
                    for i, p in enumerate(processes)
                    if isinstance(p, dict)
                ]
            for label, holder, container, at in runs:
                command = holder.get("command")
                if not isinstance(command, str):
                    continue
                argv = tuple(
                    None if word is None or "((" in word else word for word in shell_words(command)
                )
                line = line_of(container, at, 1)
                reader.processes.append(
                    DeployedProcess(label, "cloudfoundry", path, line, argv, env, False)
                )


def _cf_env(env: Any, path: str, line: int) -> tuple[EnvEntry, ...]:
    """A manifest's `env:` mapping; a `((variable))` of a vars file is not known."""
    if not isinstance(env, dict):
        return ()
    return tuple(
        EnvEntry(
            str(key),
            None if not isinstance(value, (str, int, float)) or "((" in str(value) else str(value),
            path,
            line,
        )
        for key, value in env.items()
    )


def _looks_like_manifest(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b"apiVersion" in head and b"kind" in head


def _pod_spec(document: dict[str, Any]) -> Any:
    spec = document.get("spec")
    if document.get("kind") == "Pod":
        return spec
    if document.get("kind") == "CronJob" and isinstance(spec, dict):
        spec = (spec.get("jobTemplate") or {}).get("spec")
    template = spec.get("template") if isinstance(spec, dict) else None
    return template.get("spec") if isinstance(template, dict) else None


def _k8s_data(document: dict[str, Any], secret: bool) -> dict[str, str]:
    data: dict[str, str] = {}
    raw = document.get("data")
    for key, value in raw.items() if isinstance(raw, dict) else ():
        if not isinstance(value, str):
            continue
        if secret:
            try:
                value = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                continue
        data[key] = value
    plain = document.get("stringData")
    for key, value in plain.items() if isinstance(plain, dict) else ():
        if isinstance(value, str):
            data[key] = value
    return data


def _container(
    reader: _Reader, path: str, name: str, line: int, container: dict[str, Any], pod: Any
) -> DeployedProcess:
    relative = path
    env: list[EnvEntry] = []
    complete = True
    env_from = container.get("envFrom")
    for index, source in enumerate(env_from if isinstance(env_from, list) else ()):
        if not isinstance(source, dict):
            continue
        prefix = source.get("prefix") or ""
        for ref_key, table, secret in (
            ("configMapRef", reader.config_maps, False),
            ("secretRef", reader.secrets, True),
        ):
            ref = source.get(ref_key)
            if isinstance(ref, dict):
                found = table.get(str(ref.get("name")))
                if found is None:
                    complete = False
                    continue
                entry_line = line_of(env_from, index, line)
                env.extend(
                    EnvEntry(f"{prefix}{k}", v, relative, entry_line, secret)
                    for k, v in found.items()
                )
    variables = container.get("env")
    known: dict[str, Optional[str]] = {}
    for index, item in enumerate(variables if isinstance(variables, list) else ()):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        value, secret = _k8s_value(reader, item, known)
        entry = EnvEntry(item["name"], value, relative, line_of(variables, index, line), secret)
        env.append(entry)
        known[entry.name] = value
    values = {entry.name: entry.value for entry in env}
    argv: list[Optional[str]] = []
    for key in ("command", "args"):
        for word in container.get(key) or ():
            argv.append(_k8s_expand(word, values) if isinstance(word, str) else None)
    entrypoint_unknown = False
    if not container.get("command") and not container.get("args"):
        # The image's own CMD: not known, but for a broker's or a database's (nautobot's
        # `postgres:14` container runs nothing of the project).
        argv = [] if runs_infrastructure(container.get("image")) else [None]
    elif not container.get("command"):
        # `args` alone are given to the image's ENTRYPOINT.
        image = container.get("image")
        written = image if isinstance(image, str) else UNKNOWN_MARK
        given, entrypoint_unknown = run_by_image(written, tuple(argv))
        argv = list(given)
    command_line = line_of(container, "command", line_of(container, "args", line))
    return DeployedProcess(
        name,
        "kubernetes",
        relative,
        command_line,
        tuple(argv),
        tuple(env),
        complete,
        entrypoint_unknown=entrypoint_unknown,
    )


def _k8s_value(
    reader: _Reader, item: dict[str, Any], known: dict[str, Optional[str]]
) -> tuple[Optional[str], bool]:
    if "value" in item:
        value = item["value"]
        return (_k8s_expand(value, known) if isinstance(value, str) else None), False
    source = item.get("valueFrom")
    if isinstance(source, dict):
        for ref_key, table, secret in (
            ("configMapKeyRef", reader.config_maps, False),
            ("secretKeyRef", reader.secrets, True),
        ):
            ref = source.get(ref_key)
            if isinstance(ref, dict):
                return table.get(str(ref.get("name")), {}).get(str(ref.get("key"))), secret
    return None, False


_K8S_VARIABLE = re.compile(r"\$\$|\$\(([A-Za-z_][\w.-]*)\)")


def _k8s_expand(text: str, values: dict[str, Optional[str]]) -> Optional[str]:
    """`$(VAR)` in Kubernetes commands and values; unknown when VAR's value is."""

    def value_of(match: re.Match[str]) -> Optional[str]:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        if name not in values:
            return match.group(0)  # Kubernetes leaves unknown references as written
        return values[name]

    return _substituted(_K8S_VARIABLE, text, value_of)


# -- Procfile, scripts, supervisord, systemd -------------------------------------------


def _procfile(reader: _Reader, path: str) -> None:
    relative = path
    for number, line in enumerate(read_text(path).splitlines(), 1):
        name, sep, command = line.partition(":")
        if not sep or line.lstrip().startswith("#") or not re.fullmatch(r"[\w.-]+", name.strip()):
            continue
        # The platform's config vars (Heroku, Dokku) are the environment: not in the file.
        reader.processes.append(
            DeployedProcess(
                name.strip(), "procfile", relative, number, _shell_line(command), (), False
            )
        )


def _shell_line(command: str) -> tuple[Optional[str], ...]:
    """The words of a command line the platform runs through a shell (a Procfile's:
    Heroku, honcho and foreman do): one of several commands (`cd api && celery ...`) is
    the `sh -c` script it is, read as a compose `sh -c` command is."""
    if len(shell_commands(command)) > 1:
        return ("sh", "-c", command)
    return shell_words(command)


def shell_words(command: str) -> tuple[Optional[str], ...]:
    try:
        return tuple(shlex.split(command, comments=True))
    except ValueError:
        return (None,)


# The characters of the operators that separate a shell line's commands.
_OPERATORS = frozenset("&;|\n")


def shell_commands(text: str) -> list[tuple[str, str]]:
    """The commands of a shell command line (a `sh -c` script, a Procfile's command, a
    script's line), each with the operator that ends it: `&&`, `||`, `;`, a new line, or
    `&` (sent to the background; not in a redirection: `2>&1`, `&>log`, `|&`); "" for
    the last. Operators quoted, escaped, in `$(...)` or backquotes, or in a comment
    separate nothing; a pipeline (`celery ... | tee log`) is one command. Blank commands
    are left out."""
    if _OPERATORS.isdisjoint(text):
        return [(text, "")] if text.strip() else []  # most lines: nothing to scan
    found: list[tuple[str, str]] = []
    start = i = 0
    quote = ""  # the quote open: ', " or `
    nested = 0  # `$(` open
    while i < len(text):
        char = text[i]
        operator = ""
        if quote:
            if char == "\\" and quote != "'":
                i += 1
            elif char == quote:
                quote = ""
        elif char == "\\":
            i += 1
        elif char in "'\"`":
            quote = char
        elif text.startswith("$(", i):
            nested += 1
            i += 1
        elif char == ")" and nested:
            nested -= 1
        elif char == "#" and (i == 0 or text[i - 1] in " \t\n;&|("):
            end = text.find("\n", i)  # a comment, up to the line's end
            i = (len(text) if end < 0 else end) - 1
        elif not nested:
            operator = _operator(text, i)
        if operator:
            found.append((text[start:i], operator))
            i += len(operator)
            start = i
            continue
        i += 1
    found.append((text[start:], ""))
    return [(command, operator) for command, operator in found if command.strip()]


def _operator(text: str, i: int) -> str:
    """The operator that separates commands at `text[i]`, if one does."""
    pair = text[i : i + 2]
    if pair in ("&&", "||"):
        return pair
    if text[i] in ";\n":
        return text[i]
    redirection = text[i - 1 : i] in ("<", ">", "|") or pair == "&>"
    return "&" if text[i] == "&" and not redirection else ""


# A line that starts a process: the program's name as a word, maybe quoted or with its
# directory (`exec "celery" --app=config worker`, doccano's prod-celery.sh).
_STARTERS = re.compile(
    r"(^|[\s/\"'])(celery(?:-3)?|gunicorn|uwsgi|daphne|uvicorn|hypercorn|flower)[\"']?(\s|$)"
    r"|manage\.py\s+runserver"
)
# A program named by a variable: GeoNode's `$CELERY_BIN -A $CELERY_APP worker`.
_VARIABLE_PROGRAM = re.compile(r"(?:exec\s+)?\"?\$\{?\w*(?i:celery)\w*\}?\"?\s")


def _starts_a_process(stripped: str) -> bool:
    """Whether a script line may start a process a deployment runs (one regex for the
    usual programs; the rarer shapes only where their words occur)."""
    return (
        _STARTERS.search(stripped) is not None
        or ("$" in stripped and _VARIABLE_PROGRAM.match(stripped) is not None)
        # watchfiles restarting celery (cookiecutter-django's local start scripts).
        or ("watchfiles" in stripped and "celery" in stripped)
    )


def _script(reader: _Reader, path: str) -> None:
    extensionless = "." not in os.path.basename(path)
    try:
        text = read_text(path)
    except DeploymentError:
        if extensionless:
            return  # named like a script but not text: a beat schedule (`celerybeat-schedule`)
        raise
    if extensionless and not text.startswith("#!"):
        return  # an extensionless file that is not a script
    relative = path
    # Each export with the branch it is made in (`_Blocks.key`).
    env: list[tuple[tuple[int, ...], EnvEntry]] = []
    branches = _CaseBranches()
    ifs = _IfBranches()
    blocks = _Blocks()
    variables = _ScriptVariables()
    lines = list(_shell_lines(text))
    functions = _shell_functions(lines)
    inside = {number for body in functions.values() for number, _ in body}
    for number, line in lines:
        if number in inside:
            continue  # a function's body runs where the function is called
        written = line.strip()
        stripped = branches.command(written, number)
        blocks.read(written, number, branches.branch_line)
        ifs.read(written, number)
        if variables.assigns(stripped):
            continue
        if stripped.startswith("export "):
            for word in shell_words(stripped[7:]):
                if word and "=" in word:
                    key, _, value = word.partition("=")
                    value_known = None if "$" in value or "`" in value else value
                    entry = EnvEntry(key, value_known, relative, number)
                    env.append((blocks.key, entry))
            continue
        for argv in _commands(stripped, functions, variables):
            reader.processes.append(
                DeployedProcess(
                    f"{os.path.basename(path)}:{number}",
                    "script",
                    relative,
                    number,
                    argv,
                    _exported(env, blocks.key),
                    False,
                    **(branches.where() or ifs.where()),
                )
            )


def _commands(
    stripped: str, functions: dict[str, list[tuple[int, str]]], variables: _ScriptVariables
) -> Iterator[tuple[Optional[str], ...]]:
    """The processes a script line starts: those of its commands (`cd api && exec celery
    ...`: the shell runs one after the other) that start one, or those of the script's
    function a command calls (baserow's `start_celery_worker -Q export` runs `exec
    celery -A baserow worker ... "$@"` with its arguments)."""
    for command in _line_commands(stripped):
        called = _call(command, functions, variables)
        if called is None:
            if _starts(command):
                yield shell_words(variables.expanded(command))
            continue
        name, arguments = called
        for _number, line in functions[name]:
            for inner in _line_commands(line.strip()):
                if _starts(inner):
                    yield _with_arguments(shell_words(variables.expanded(inner)), arguments)


def _line_commands(stripped: str) -> Iterator[str]:
    """The commands of a script's line; none for a line that only mentions a program
    (`if celery inspect ping; then`: a test, `echo`)."""
    if not stripped.startswith(_NOT_STARTING):
        yield from (command.strip() for command, _operator in shell_commands(stripped))


def _call(
    command: str, functions: dict[str, list[tuple[int, str]]], variables: _ScriptVariables
) -> Optional[tuple[str, list[Optional[str]]]]:
    """The script's function a command calls and its arguments; None if it calls none."""
    head = command.split(None, 2)
    start = 1 if head[:1] == ["exec"] else 0
    # A function's name as written first: only such a command is split as the shell
    # would to find the call (not every line of every script: 4,000 of the corpus').
    if len(head) <= start or head[start] not in functions:
        return None
    words = shell_words(variables.expanded(command))
    called = words[start] if len(words) > start else None
    if called is None or called not in functions:
        return None
    return called, list(words[start + 1 :])


def _starts(stripped: str) -> bool:
    """Whether a script's line starts a process (not one that only mentions one)."""
    return _starts_a_process(stripped) and not stripped.startswith(_NOT_STARTING)


# Lines that mention a program without starting it.
_NOT_STARTING = ("#", "echo ", "if ", "until ")
# `name() {` or `function name {`: a shell function's first line.
_FUNCTION = re.compile(r"(?:function\s+)?([A-Za-z_][\w-]*)\s*(?:\(\s*\))?\s*\{\s*(#.*)?$")


def _shell_functions(lines: list[tuple[int, str]]) -> dict[str, list[tuple[int, str]]]:
    """The script's functions and the lines of their bodies, up to a `}` alone on a line
    indented as the definition is."""
    found: dict[str, list[tuple[int, str]]] = {}
    open_: Optional[tuple[str, str, list[tuple[int, str]]]] = None
    for number, line in lines:
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if open_ is not None:
            name, opened_at, body = open_
            if stripped == "}" and indent == opened_at:
                found[name] = body
                open_ = None
            else:
                body.append((number, line))
            continue
        match = _FUNCTION.fullmatch(stripped)
        if match is not None and ("(" in stripped or stripped.startswith("function ")):
            open_ = (match.group(1), indent, [])
    return found


def _with_arguments(
    words: tuple[Optional[str], ...], arguments: list[Optional[str]]
) -> tuple[Optional[str], ...]:
    """A function body's command with the call's arguments put in."""
    out: list[Optional[str]] = []
    for word in words:
        given = positional(word, arguments)
        out.extend([word] if given is None else given)
    return tuple(out)


# `$1`...`$9`, `${2}`; `${@:2}`, the arguments from the second on.
_POSITIONAL = re.compile(r"\$\{?([1-9])\}?")
_FROM = re.compile(r"\$\{@:([1-9])\}")


def positional(
    word: Optional[str], arguments: list[Optional[str]]
) -> Optional[list[Optional[str]]]:
    """The words a script's (or a function's) argument reference stands for, given its
    `arguments`: `"$@"`, `$*`, `$1`...`$9`, `${@:N}`; None for any other word."""
    if word in ("$@", "$*"):
        return list(arguments)
    if word is None:
        return None
    found = _POSITIONAL.fullmatch(word)
    if found is not None:
        index = int(found.group(1)) - 1
        return [arguments[index] if index < len(arguments) else ""]
    found = _FROM.fullmatch(word)
    if found is not None:
        return list(arguments[int(found.group(1)) - 1 :])
    return None


def _exported(
    env: list[tuple[tuple[int, ...], EnvEntry]], where: tuple[int, ...]
) -> tuple[EnvEntry, ...]:
    """The exports a command sees: as made where the branch they were made in holds the
    command (its own, or one around it); not known where another branch made them (an
    `export` under `case "$1"` or `if` holds only where that branch ran)."""
    return tuple(
        entry if where[: len(made)] == made else msgspec.structs.replace(entry, value=None)
        for made, entry in env
    )


# The last word of a block written on one line: `if [ -f x ]; then y; fi`.
_ONE_LINE_BLOCK = re.compile(r"(^|[;\s])(fi|done)\s*(#.*)?$")


class _Blocks:
    """Where a script's lines stand among its `if`, loop and `case` blocks: the line
    each open block's current branch starts on, outermost first (`key`). The branches of
    the outermost `case` are those `_CaseBranches` reads; a nested one is one branch."""

    def __init__(self) -> None:
        self._open: list[int] = []
        self._case: Optional[int] = None  # the outermost `case`'s place in `_open`

    @property
    def key(self) -> tuple[int, ...]:
        return tuple(self._open)

    def read(self, stripped: str, number: int, case_line: int) -> None:
        """Take in a line (as written), then the outermost `case` branch it is in."""
        first = stripped.split(None, 1)[0].rstrip(";") if stripped else ""
        if _CASE.match(stripped):
            self._open.append(number)
            if self._case is None:
                self._case = len(self._open) - 1
        elif first == "esac" and self._open:
            self._open.pop()
            if self._case == len(self._open):
                self._case = None
        elif first in ("if", "for", "while", "until"):
            if not _ONE_LINE_BLOCK.search(stripped):
                self._open.append(number)
        elif first in ("elif", "else") and self._open:
            self._open[-1] = number
        elif first in ("fi", "done") and self._open:
            self._open.pop()
        if self._case is not None and case_line:
            self._open[self._case] = case_line


# `NAME=value` alone on a line: a variable of the script (not the environment).
_ASSIGNMENT = re.compile(r"(?:local\s+)?([A-Za-z_]\w*)=(?![(=])")
# `$NAME`, `${NAME}`: plain reads only (`${NAME:-x}` and the like are left as written).
_READ = re.compile(r"\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))")


class _ScriptVariables:
    """The variables a script assigns itself (IntelOwl's `ARGUMENTS="-A proj worker
    ..."`, then `celery $ARGUMENTS`): a value, or None when it is assigned differently
    more than once (in `if` branches: which one holds is not known)."""

    def __init__(self) -> None:
        self._values: dict[str, Optional[str]] = {}

    def assigns(self, stripped: str) -> bool:
        """Whether the line only assigns a variable (then it is noted)."""
        found = _ASSIGNMENT.match(stripped)
        if found is None:
            return False
        words = shell_words(stripped[found.start(1) :])
        if len(words) != 1 or words[0] is None:
            return False  # `A=1 celery worker`: the command's environment
        name, value = found.group(1), self.expanded(words[0][len(found.group(1)) + 1 :])
        if "$(" in value or "`" in value:
            value = UNKNOWN_MARK  # a command's output
        known = self._values.get(name, value)
        self._values[name] = value if known == value else None
        return True

    def expanded(self, text: str) -> str:
        """`text` with the script's own variables put in, outside single quotes (an
        unknown value as UNKNOWN_MARK); the others (the environment's) as written."""
        if not self._values or "$" not in text:
            return text

        def value(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2)
            if name not in self._values:
                return match.group(0)
            known = self._values[name]
            return UNKNOWN_MARK if known is None else known

        parts = text.split("'")
        parts[::2] = [_READ.sub(value, part) for part in parts[::2]]
        return "'".join(parts)


# `case WORD in`; WORD picks the branch: its variable, for `"$1"`, `${ROLE}`, `$MODE`.
_CASE = re.compile(r"case\s+(\S+)\s+in(\s+#.*)?$")
_CASE_VARIABLE = re.compile(r"\"?\$\{?(\w+)\}?\"?")
# A branch's patterns, and a command that may follow on its line: `worker|celery) cmd`.
_BRANCH = re.compile(r"\(?\s*([\w*?.'\"|/\[\]-][\w*?.'\"|/\[\] -]*?)\s*\)\s*(.*)$")
# What ends a branch: `;;` (or bash's `;&`, `;;&`), maybe with a comment after it.
_BRANCH_END = re.compile(r"\s*(;;&?|;&)\s*(#.*)?$")


class _Branches:
    """The branch of a `case` (or of an `if` read as one) a script's line is in."""

    def __init__(self) -> None:
        # The block being read: None outside one; its variable, or "" when the word it
        # tests is no variable (`case "$(uname)" in`: any branch may run).
        self._subject: Optional[str] = None
        self._patterns: tuple[str, ...] = ()  # of the branch being read, () between branches
        self._line = 0  # where the branch's patterns are written
        self._at = 0  # where the block is written
        self._nested = 0  # blocks of the same kind open inside the branch

    def where(self) -> dict[str, Any]:
        """The `DeployedProcess` fields of the line just read."""
        if not self._subject or not self._patterns:
            return {}
        return {
            "case_subject": self._subject,
            "case_patterns": self._patterns,
            "case_branch": self._line,
            "case_at": self._at,
        }


class _CaseBranches(_Branches):
    """Which branch of a script's outermost `case` each line is in, and each line's
    command without the `case` syntax around it (patterns, `;;`)."""

    def __init__(self) -> None:
        super().__init__()
        self._ending = False  # the branch ends with the line just read

    def command(self, stripped: str, number: int) -> str:
        """The line's command, without what the `case` syntax adds around it."""
        if self._ending:
            self._patterns, self._ending = (), False
        closing = stripped == "esac" or stripped.startswith(("esac ", "esac;"))
        if self._subject is None:
            found = _CASE.match(stripped)
            if found is not None:
                variable = _CASE_VARIABLE.fullmatch(found.group(1))
                self._subject = variable.group(1) if variable else ""
                self._at = number
                return ""
            return stripped
        if not self._patterns:  # between branches
            if closing:
                self._subject = None
                return ""
            found = _BRANCH.match(stripped)
            if found is None or stripped.startswith("#"):
                return stripped
            self._patterns = tuple(p.strip().strip("'\"") for p in found.group(1).split("|"))
            self._line, self._nested = number, 0
            stripped = found.group(2)
        if _CASE.match(stripped):
            self._nested += 1
            return ""
        if closing:
            if self._nested:
                self._nested -= 1
            else:  # the last branch needs no `;;`
                self._subject, self._patterns = None, ()
            return ""
        if self._nested:  # a branch of a nested `case`: its lines may run
            found = _BRANCH.match(stripped)
            stripped = found.group(2) if found is not None else stripped
        end = _BRANCH_END.search(stripped)
        if end is not None:
            self._ending = not self._nested
            stripped = stripped[: end.start()]
        return stripped

    @property
    def branch_line(self) -> int:
        """The line the outermost `case` branch being read starts on; 0 outside one."""
        return self._line if self._subject is not None and self._patterns else 0


# `if [ "$1" == "web" ]; then`, `elif [[ $ROLE = worker ]]; then`: one variable tested
# against one word.
_IF_TEST = re.compile(
    r"(?:el)?if\s+(\[\[?|test)\s+\"?\$\{?(\w+)\}?\"?\s+==?\s+"
    r"(\"[^\"]*\"|'[^']*'|[^\s\]'\"]+)\s*(?:\]\]?)?\s*;\s*then\s*(#.*)?"
)


class _IfBranches(_Branches):
    """Which branch of a script's outermost `if` each line is in, when its conditions
    test one variable against words (treeherder's `if [ "$1" == "web" ]; then ... elif
    [ "$1" == "worker_misc" ]; then ...`): the branches of a `case` on that variable,
    `else` matching any value. An `elif` of another shape ends what can be told."""

    def read(self, stripped: str, number: int) -> None:
        first = stripped.split(None, 1)[0].rstrip(";") if stripped else ""
        if self._subject is None:
            found = _IF_TEST.fullmatch(stripped) if first == "if" else None
            if found is not None:
                self._subject, self._patterns = found.group(2), (_word_pattern(found),)
                self._line = self._at = number
                self._nested = 0
            return
        if first == "if" and not _ONE_LINE_BLOCK.search(stripped):
            self._nested += 1
        elif first == "fi":
            if self._nested:
                self._nested -= 1
            else:
                self._subject = None
        elif self._nested:
            return
        elif first == "elif":
            found = _IF_TEST.fullmatch(stripped)
            if found is None or found.group(2) != self._subject:
                self._subject = None
            else:
                self._patterns, self._line = (_word_pattern(found),), number
        elif first == "else":
            self._patterns, self._line = ("*",), number


def _word_pattern(found: re.Match[str]) -> str:
    """The word a test compares with, as a `case` pattern: a glob only where `[[ ]]`
    leaves it unquoted."""
    word = found.group(3)
    if word[:1] in ("'", '"'):
        word = word[1:-1]
    elif found.group(1) == "[[":
        return word
    return "".join(f"[{c}]" if c in "*?[" else c for c in word)


def _shell_lines(text: str) -> Iterator[tuple[int, str]]:
    """A script's lines as the shell reads its commands: `\\` continuations joined, a
    quoted string that spans lines kept in its line (baserow's `echo \"\"\"` help
    text, which names `celery-worker`), and here-documents left out (a program's input,
    not commands)."""
    pending: Optional[tuple[int, str]] = None
    heredoc: Optional[tuple[str, bool]] = None  # its delimiter; whether tabs are stripped
    for number, line in _logical_lines(text):
        if heredoc is not None:
            delimiter, dash = heredoc
            if (line.lstrip("\t") if dash else line) == delimiter:
                heredoc = None
            continue
        start, joined = (number, line) if pending is None else (pending[0], f"{pending[1]}\n{line}")
        if _unclosed_quote(joined):
            pending = (start, joined)
            continue
        pending = None
        found = _HEREDOC.search(joined)
        if found is not None:
            heredoc = (found.group(3), found.group(1) == "-")
        yield start, joined
    if pending is not None:
        yield pending


# `<<END`, `<<-'END'`, `<< "END"`; not `<<<` (a string).
_HEREDOC = re.compile(r"(?<!<)<<(-?)\s*(['\"]?)([A-Za-z_]\w*)\2")


def _unclosed_quote(text: str) -> bool:
    """Whether a quote opened in `text` is still open at its end (a comment aside)."""
    if "\\" not in text and "#" not in text:
        # One kind of quote only (most lines): counted, not read character by character.
        if "'" not in text:
            return text.count('"') % 2 == 1
        if '"' not in text:
            return text.count("'") % 2 == 1
    single = double = False
    escaped = False
    previous = " "
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and not single:
            escaped = True
        elif char == "'" and not double:
            single = not single
        elif char == '"' and not single:
            double = not double
        elif char == "#" and not single and not double and previous.isspace():
            return False  # the rest of the line is a comment
        previous = char
    return single or double


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with `\\` continuations joined, each with the number it starts on."""
    start, parts = 0, list[str]()
    for number, line in enumerate(text.splitlines(), 1):
        if not parts:
            start = number
        if line.rstrip().endswith("\\"):
            parts.append(line.rstrip()[:-1])
            continue
        parts.append(line)
        yield start, " ".join(parts)
        parts = []
    if parts:
        yield start, " ".join(parts)


def _supervisor(reader: _Reader, path: str) -> None:
    text = read_text(path)
    if "[program:" not in text:
        return
    import configparser  # here: few projects have supervisord files

    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as error:
        raise DeploymentError(f"invalid supervisord file: {str(error).splitlines()[0]}") from None
    relative = path
    lines = {line.strip(): n for n, line in enumerate(text.splitlines(), 1)}
    for section in parser.sections():
        if not section.startswith("program:") or not parser.has_option(section, "command"):
            continue
        env: list[EnvEntry] = []
        if parser.has_option(section, "environment"):
            raw = parser.get(section, "environment").replace("\n", " ")
            for part in shell_words(raw.replace(",", " ")):
                if part and "=" in part:
                    key, _, value = part.partition("=")
                    env.append(EnvEntry(key, None if "%(" in value else value, relative, 1))
        command = parser.get(section, "command").replace("\n", " ")
        reader.processes.append(
            DeployedProcess(
                section.split(":", 1)[1],
                "supervisor",
                relative,
                lines.get(f"[{section}]", 1),
                shell_words(command),
                tuple(env),
                False,
            )
        )


def _systemd(reader: _Reader, path: str) -> None:
    relative = path
    env: list[EnvEntry] = []
    from_files: list[EnvEntry] = []  # EnvironmentFile=: over Environment=, whatever the order
    command: Optional[tuple[int, str]] = None
    for number, line in _logical_lines(read_text(path)):
        key, sep, value = line.strip().partition("=")
        if not sep:
            continue
        if key == "Environment":
            for word in shell_words(value):
                if word and "=" in word:
                    name, _, setting = word.partition("=")
                    env.append(EnvEntry(name, setting, relative, number))
        elif key == "EnvironmentFile":
            from_files.extend(_environment_file(reader, value))
        elif key == "ExecStart":
            command = (number, value.lstrip("-@+!:"))
    if command is not None:
        name = os.path.basename(path).rsplit(".", 1)[0]
        reader.processes.append(
            DeployedProcess(
                # Drop-ins and EnvironmentFile= may add variables: not complete.
                name,
                "systemd",
                relative,
                command[0],
                shell_words(command[1]),
                (*env, *from_files),
                False,
            )
        )


def _environment_file(reader: _Reader, written: str) -> list[EnvEntry]:
    """The variables of `EnvironmentFile=/etc/default/celeryd`: the repository's one file
    of that name, which Celery's daemonization guide installs there (mailarch ships
    `backend/celery/celeryd` with its `CELERYD_OPTS`); none when it ships no such file,
    or several."""
    candidates = reader.names.get(os.path.basename(written.strip().lstrip("-")), [])
    if len(candidates) != 1:
        return []
    return reader.env_file(Path(candidates[0])) or []


# -- Dockerfile ----------------------------------------------------------------------


class Image(msgspec.Struct):
    env: list[EnvEntry] = msgspec.field(default_factory=list)
    cmd: Optional[tuple[Optional[str], ...]] = None
    entrypoint: Optional[tuple[Optional[str], ...]] = None
    cmd_line: int = 0
    entrypoint_line: int = 0
    # `COPY`/`ADD` of the build context: (destination, source as written, whether the
    # destination is a directory the source goes into).
    copies: list[tuple[str, str, bool]] = msgspec.field(default_factory=list)
    workdir: str = "/"
    # Where the image's files of the project may come from: each source of its `COPY`
    # and `ADD` lines (globs kept), also through `--from` another stage; None when
    # that cannot be told (a base image that is no official one, a source not
    # read, `--from` another image, `git clone`).
    sources: Optional[list[str]] = msgspec.field(default_factory=list)
    # The image the stage is built FROM, through the stages it is built from, as written
    # with the build arguments put in (UNKNOWN_MARK where not known): its ENTRYPOINT is
    # that image's when the Dockerfile sets none.
    base: str = UNKNOWN_MARK

    def code(self, context: Path) -> Optional[tuple[str, ...]]:
        """The repository paths (files, directories, globs) the image's project files
        come from, built from `context`; None when not known."""
        if self.sources is None:
            return None
        return tuple(os.path.normpath(context / source) for source in self.sources)

    def copied(self, contexts: list[Path]) -> tuple[tuple[str, str], ...]:
        """The copies whose source is in the repository, built from the first of
        `contexts` that holds it: (path in the image, file or directory copied there; a
        directory's contents are)."""
        found = []
        for destination, source, into in self.copies:
            for context in contexts:
                path = os.path.normpath(context / source)
                if os.path.isdir(path):
                    found.append((destination, path))
                elif os.path.isfile(path):
                    name = posixpath.basename(source)
                    found.append((posixpath.join(destination, name) if into else destination, path))
                else:
                    continue
                break
        return tuple(found)


def dockerfile_image(path: str, relative: str) -> Image:
    """The final stage's environment, CMD and ENTRYPOINT (stages built `FROM` another inherit)."""
    stages: dict[str, Image] = {}
    current = Image()
    # Build arguments by their defaults, before the first FROM and in the stage: only
    # where the sources of COPY lines are told (a build may pass others; then a
    # service is at worst tied to no app).
    global_args: dict[str, Optional[str]] = {}
    args: Optional[dict[str, Optional[str]]] = None
    for number, line in _logical_lines(read_text(path)):
        instruction, _, rest = line.strip().partition(" ")
        instruction = instruction.upper()
        rest = rest.strip()
        if instruction == "ARG":
            scope = global_args if args is None else args
            name, equals, default = rest.partition("=")
            known = {**global_args, **(args or {})}
            if equals:
                parsed = shell_words(default)
                text = parsed[0] if len(parsed) == 1 else None
                scope[name.strip()] = interpolate(text, known) if text is not None else None
            else:
                scope[name.strip()] = global_args.get(name.strip())
            continue
        if instruction == "FROM":
            args = {}
            words_ = rest.split()
            image_words = [word for word in words_ if not word.startswith("--")]
            base = stages.get(image_words[0].lower()) if image_words else None
            current = (
                Image(
                    list(base.env),
                    base.cmd,
                    base.entrypoint,
                    base.cmd_line,
                    base.entrypoint_line,
                    copies=list(base.copies),
                    workdir=base.workdir,
                    sources=None if base.sources is None else list(base.sources),
                    base=base.base,
                )
                if base
                else Image(
                    sources=[] if _official(image_words) else None,
                    base=_from_image(image_words, global_args),
                )
            )
            if len(words_) >= 3 and words_[-2].upper() == "AS":
                stages[words_[-1].lower()] = current
        elif instruction == "WORKDIR":
            values = {entry.name: entry.value for entry in current.env}
            workdir = interpolate(rest, values) if rest else None
            current.workdir = (
                posixpath.normpath(posixpath.join(current.workdir, workdir)) if workdir else "?"
            )
        elif instruction in ("COPY", "ADD"):
            values = {entry.name: entry.value for entry in current.env}
            current.copies.extend(_copies(rest, current.workdir, values))
            if current.sources is not None:
                added = _sources(rest, {**(args or {}), **values}, stages)
                current.sources = None if added is None else [*current.sources, *added]
        elif instruction == "RUN" and "git clone" in rest:
            current.sources = None  # code from elsewhere, maybe the project's own
        elif instruction == "ENV":
            values = {entry.name: entry.value for entry in current.env}
            for key, value in _dockerfile_env(rest):
                current.env.append(EnvEntry(key, interpolate(value, values), relative, number))
                values[key] = current.env[-1].value
        elif instruction in ("CMD", "ENTRYPOINT"):
            argv = _exec_form(rest)
            if instruction == "CMD":
                current.cmd, current.cmd_line = argv, number
            else:
                # ENTRYPOINT resets an inherited CMD.
                current.entrypoint, current.cmd, current.entrypoint_line = argv, None, number
    return current


def _known_workdir(workdir: str) -> str:
    """An image's WORKDIR; "" when a variable of it is not known."""
    return "" if workdir.startswith("?") else workdir


def _copies(
    rest: str, workdir: str, values: dict[str, Optional[str]]
) -> list[tuple[str, str, bool]]:
    """`COPY [--chown=...] src... dest` of the build context: (path in the image, source)
    for each source; none for `--from=` (another stage or image), URLs, globs or a
    variable not known."""
    words_ = _copy_words(rest)
    if words_ is None:
        return []
    if any(word.startswith("--from") for word in words_):
        return []
    paths = [interpolate(word, values) for word in words_ if not word.startswith("--")]
    if len(paths) < 2 or any(path is None or "://" in path for path in paths):
        return []
    *sources, written_destination = cast(list[str], paths)
    # As the image has it (`./` of WORKDIR /opt/svc is /opt/svc), for a command to name it;
    # whether it is a directory is read from the destination as written.
    destination = posixpath.normpath(posixpath.join(workdir, written_destination))
    if destination.startswith("?") or any(set(s) & set("*?[") for s in sources):
        return []
    # `./`, `.` (the WORKDIR) and `/app/` are directories the sources go into.
    into = posixpath.basename(written_destination) in ("", ".", "..") or len(sources) > 1
    return [(destination, source, into) for source in sources]


# A Docker Hub official image (`python:3.12-slim`, `node`): no project code in it. Any
# other (`org/app-base`, `${BASE}`) may be an image of the project itself.
_OFFICIAL_IMAGE = re.compile(r"[a-z0-9][a-z0-9._-]*(:[\w.-]+)?(@sha256:[0-9a-f]+)?")


def _copy_words(rest: str) -> Optional[list[str]]:
    """The words of a `COPY`/`ADD` line; None when one cannot be read."""
    if rest.startswith("["):
        written = list(_exec_form(rest))
    else:  # shlex only where quoting needs it: 365 COPY lines of the corpus took 25 ms
        written = list(shell_words(rest)) if set(rest) & set("\"'\\") else list(rest.split())
    if any(word is None for word in written):
        return None
    return [word for word in written if word is not None]


def _official(words_: list[str]) -> bool:
    return bool(words_) and _OFFICIAL_IMAGE.fullmatch(words_[0]) is not None


def _from_image(words_: list[str], arguments: dict[str, Optional[str]]) -> str:
    """The image a `FROM` line names, with the build arguments put in."""
    if not words_:
        return UNKNOWN_MARK
    return interpolate(words_[0], arguments, mark=True) or UNKNOWN_MARK


def image_repository(written: str) -> Optional[str]:
    """An image's repository as Docker Hub names it, without tag and digest
    (`docker.io/library/python:3.12` is `python`, `apache/airflow:2.9` is
    `apache/airflow`); None when a variable not known names it."""
    head, slash, last = written.partition("@")[0].lower().rpartition("/")
    name = head + slash + last.partition(":")[0]
    if not name or UNKNOWN_MARK in name:
        return None
    for prefix in ("docker.io/", "index.docker.io/", "library/"):
        name = name.removeprefix(prefix)
    return name


# Images whose ENTRYPOINT gives the command to a program of their own, unless its first
# word is one it runs as written: Airflow's `/entrypoint` runs `bash ...` and `python
# ...`, drops a leading `airflow`, and else execs `airflow "$@"`
# (scripts/docker/entrypoint_prod.sh), so the `command: celery worker` of Airflow's
# compose file runs `airflow celery worker`, Airflow's own Celery app.
_IMAGE_PROGRAMS = {"apache/airflow": ("airflow", frozenset({"bash", "python", "airflow"}))}


def run_by_image(
    image: str, command: tuple[Optional[str], ...]
) -> tuple[tuple[Optional[str], ...], bool]:
    """What runs when `command` is given to the ENTRYPOINT of `image` (as written), one
    not set in the repository; and whether that ENTRYPOINT is not known. A Docker Hub
    official image (or a local tag, `myproject:latest`) runs the command as given: its
    entrypoint, if any, execs a command it is given (the official `python` image has
    none). An image `_IMAGE_PROGRAMS` knows puts its program first. Any other
    (`org/app`, `ghcr.io/...`) may give it to a program of its own."""
    repository = image_repository(image)
    if repository is None:
        return command, True
    known = _IMAGE_PROGRAMS.get(repository)
    if known is not None:
        program, as_written = known
        return (command if command[:1] and command[0] in as_written else (program, *command)), False
    return command, _OFFICIAL_IMAGE.fullmatch(repository) is None


def _sources(
    rest: str, values: dict[str, Optional[str]], stages: dict[str, Image]
) -> Optional[list[str]]:
    """The sources a `COPY`/`ADD` line takes from the build context (or, `--from` a
    stage, that stage's sources); None when they cannot be told."""
    words_ = _copy_words(rest)
    if words_ is None:
        return None
    source_stage = next((w.split("=", 1)[1] for w in words_ if w.startswith("--from=")), None)
    if source_stage is not None:
        stage = stages.get(source_stage.lower())
        return None if stage is None or stage.sources is None else list(stage.sources)
    paths = [interpolate(word, values) for word in words_ if not word.startswith("--")]
    if len(paths) < 2 or any(path is None or "://" in path for path in paths):
        return None
    return cast(list[str], paths[:-1])


def _dockerfile_env(rest: str) -> list[tuple[str, str]]:
    parts = shell_words(rest)
    if parts and parts[0] is not None and "=" not in parts[0]:
        # `ENV key value`: the rest of the line, its quotes removed as Docker removes
        # them (openedx ecommerce: `ENV DJANGO_SETTINGS_MODULE "ecommerce.settings..."`).
        value = rest.split(None, 1)[1] if len(parts) > 1 else ""
        if all(part is not None for part in parts[1:]):
            value = " ".join(cast(str, part) for part in parts[1:])
        return [(parts[0], value)]
    return [
        (word.partition("=")[0], word.partition("=")[2]) for word in parts if word and "=" in word
    ]


def _exec_form(rest: str) -> tuple[Optional[str], ...]:
    if rest.startswith("["):
        try:
            parsed = json.loads(rest)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return tuple(item if isinstance(item, str) else None for item in parsed)
    return ("/bin/sh", "-c", rest)


def _dockerfile(reader: _Reader, path: str) -> None:
    if str(Path(path).resolve()) in reader.built:
        return  # its CMD is the default of the compose services built from it
    relative = path
    image = reader.image(path)
    entrypoint_unknown = False
    if image.entrypoint is None:
        argv, entrypoint_unknown = run_by_image(image.base, image.cmd or ())
    else:
        # An ENTRYPOINT with no CMD takes its arguments from whatever runs the image
        # (treeherder's `entrypoint_prod.sh web`, `... worker_misc`): not known here.
        given: tuple[Optional[str], ...] = (None,) if image.entrypoint and image.cmd is None else ()
        argv = image.entrypoint + (image.cmd or given)
    # An image without a command of its own (a base image others run) still gives its
    # processes its environment: a process with no command (no Celery service).
    if argv or image.env:
        reader.processes.append(
            DeployedProcess(
                os.path.relpath(path, reader.root),
                "dockerfile",
                relative,
                image.cmd_line or image.entrypoint_line or 1,
                argv,
                tuple(image.env),
                False,  # whatever runs the image adds variables of its own
                # Built from the repository's top, mostly; else from its own directory.
                copied=image.copied([reader.root, Path(path).parent]),
                entrypoint_unknown=entrypoint_unknown,
                workdir=_known_workdir(image.workdir),
            )
        )


_READERS = {
    "compose": _compose,
    "kubernetes": _kubernetes,
    "procfile": _procfile,
    "script": _script,
    "supervisor": _supervisor,
    "systemd": _systemd,
    "dockerfile": _dockerfile,
}
