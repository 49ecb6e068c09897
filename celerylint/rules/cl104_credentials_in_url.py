"""CL104 credentials-in-url: a broker or result backend URL with a password written in the code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Optional

import msgspec

from celerylint import catalog
from celerylint.diagnostics import Diagnostic
from celerylint.facts.schema import BinOp, Const, Formatted, Node, Span
from celerylint.facts.values import Value
from celerylint.model.project import Project
from celerylint.model.settings import App, Entry, Layer
from celerylint.rules._places import test_only_layer, test_or_dev_class
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule

# The settings that hold a connection URL (Celery(broker=..., backend=...) included).
URL_SETTINGS = ("broker_url", "result_backend", "broker_read_url", "broker_write_url")
_CONSTRUCTOR = {"broker": "broker_url", "backend": "result_backend"}

# Text that is not written in the code: an environment value, a format placeholder.
HOLE = "\x00"
# A password that is itself a placeholder for something filled in elsewhere.
_PLACEHOLDER = re.compile(
    r"^(\$\{[^}]*\}|\$[A-Za-z_]\w*|<[^>]*>|\{[^}]*\}|%\([^)]*\)s|%s|\*+|x+|X+|\.\.\.)$"
)
_PERCENT_FIELD = re.compile(r"%(\([^)]*\))?[-#0 +]*(\*|\d+)?(\.(\*|\d+))?[a-zA-Z%]")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


class Credentials(msgspec.Struct, frozen=True):
    """The parts of a URL with a password written in it."""

    scheme: str
    user: str
    host: str

    def masked(self) -> str:
        shown = f"{self.scheme}://{self.user}:****@{self.host}"
        return shown.replace(HOLE, "{...}")


@rule("CL104", "credentials-in-url")
def credentials_in_url(project: Project) -> Iterator[Diagnostic]:
    seen: set[tuple[str, Span]] = set()
    for app in project.apps:
        for layer in _layers(project, app):
            if test_only_layer(project, layer):
                continue
            for entry in _url_entries(app, layer):
                if entry.path in project.test_paths:
                    continue
                if test_or_dev_class(project.modules, entry, dev=False):
                    continue
                for path, span, found in _literal_passwords(project, entry):
                    if path in project.test_paths or (path, span) in seen:
                        continue
                    seen.add((path, span))
                    yield diagnostic(
                        "CL104",
                        f"`{entry.key}` has a password written in the code "
                        f"(`{found.masked()}`): anyone who can read the repository can use "
                        "the broker or the results; read it from the environment",
                        path,
                        span,
                    )


def _layers(project: Project, app: App) -> list[Layer]:
    """The app's configuration layers, and the other modules of its Django settings package.

    Split Django settings keep one module per environment (`settings/staging.py`)
    and the deployment picks one with DJANGO_SETTINGS_MODULE: a password in any
    of them is committed, whichever the code names.
    """
    layers = list(app.configured_layers)
    if app.source.kind != "django":
        return layers
    loaded = {project.modules.module_of(layer.path) for layer in layers if layer.path}
    packages = {
        package
        for package, _, _ in (module.rpartition(".") for module in loaded if module)
        if "settings" in package.rpartition(".")[2]
    }
    for module in sorted(m for package in packages for m in project.modules.children(package)):
        if module not in loaded:
            layers.append(_settings_layer(project, module))
    return layers


def _settings_layer(project: Project, module: str) -> Layer:
    """A Django settings module's upper-case names, as Django reads them."""
    path = project.modules.paths[module]
    layer = Layer(description=f"module {module}", path=path)
    for name, binding in project.modules.namespace(module).bindings.items():
        if name.isupper():
            where = project.modules.paths[binding.module]
            layer.entries[name] = Entry(
                name, binding.node, where, binding.key_span, binding.conditional
            )
    return layer


def _url_entries(app: App, layer: Layer) -> Iterator[Entry]:
    """The layer's entries that name one of the URL settings, under any spelling.

    Besides the keys Celery reads (`catalog.lookup_keys`), the `CELERY_`
    spellings Celery would ignore in this layer count too: `CELERY_BROKER_URL`
    in a Flask config is still the broker's URL, passed on with
    `Celery(broker=app.config["CELERY_BROKER_URL"])`.
    """
    keys: set[str] = set()
    for name in URL_SETTINGS:
        keys.update(catalog.lookup_keys(name, app.namespace))
        keys.update((name.upper(), f"CELERY_{name.upper()}"))
    if layer is app.changes:
        keys.update(_CONSTRUCTOR)
    for key, entry in layer.entries.items():
        if key in keys or entry.key in keys:
            yield entry


def _literal_passwords(project: Project, entry: Entry) -> Iterator[tuple[str, Span, Credentials]]:
    """(file, span, credentials) of each URL holding a password written as a literal."""
    value = project.evaluator.evaluate(entry.node, entry.path)
    candidates: list[tuple[str, Optional[tuple[str, Span]]]] = []
    if value.known:
        urls = value.value if isinstance(value.value, (list, tuple)) else (value.value,)
        candidates.extend((url, value.location) for url in urls if isinstance(url, str))
    elif value.env is not None:
        default = value.env_default
        if default is not None and default.known and isinstance(default.value, str):
            candidates.append((default.value, default.location))
    else:
        text = _template(project, value, 0)
        if text is not None:
            candidates.append((text, value.location))
    for text, located in candidates:
        if located is None:
            continue
        for url in text.split(";"):  # failover brokers: "amqp://a;amqp://b"
            found = _credentials(url.strip())
            if found is not None:
                yield located[0], located[1], found
                break


def _template(project: Project, value: Value, depth: int) -> Optional[str]:
    """The text an unknown string value builds, with HOLE for every part the code does not
    write (environment values, placeholders filled at run time); None if not a string."""
    if depth > 10 or value.node is None or value.path is None:
        return None
    if value.known:
        return value.value if isinstance(value.value, str) else None
    node, path = value.node, value.path
    if isinstance(node, Formatted):
        return "".join(_part(project, part, path, depth) for part in node.parts)
    if isinstance(node, BinOp) and node.op == "+":
        left = _part(project, node.left, path, depth)
        right = _part(project, node.right, path, depth)
        return left + right
    if isinstance(node, BinOp) and node.op == "%" and isinstance(node.left, Const):
        template = node.left.value
        if isinstance(template, str):
            return _PERCENT_FIELD.sub(lambda m: "%" if m.group() == "%%" else HOLE, template)
    return None


def _part(project: Project, node: Node, path: str, depth: int) -> str:
    value = project.evaluator.evaluate(node, path)
    if value.known:
        return str(value.value) if isinstance(value.value, (str, int)) else HOLE
    if value.env is not None:
        return HOLE
    return _template(project, value, depth + 1) or HOLE


def _credentials(url: str) -> Optional[Credentials]:
    """The URL's credentials when its password is written out (not a hole or placeholder)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return None
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
    userinfo, at, host = netloc.rpartition("@")
    if not at:
        return None
    user, colon, password = userinfo.partition(":")
    if not colon or not password or HOLE in password or _PLACEHOLDER.match(password):
        return None
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if user == "guest" and password == "guest" and hostname in _LOCAL_HOSTS:
        return None  # RabbitMQ's own default account, usable from the same machine only
    return Credentials(scheme, user, host)
