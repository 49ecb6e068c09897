"""`celerylint inspect` for people: a readable tree, and a picture of the topology.

The tree is `describe_project`'s data (apps, settings with the file:line
that sets them, tasks with their effective options and where each comes
from) plus the services: apps linked by a broker, and the services the
deployment files start, per app, with the settings their environments make
differ within one deployment. The graph shows how messages travel — producers
-> broker -> queues -> workers, with the serializer on each edge — as
Mermaid (renders in GitHub READMEs and PR comments) or Graphviz dot. Only
what the model knows is drawn; unknown values are labelled as such.
"""

from __future__ import annotations

import os
from typing import Any, Optional

import msgspec

from celerylint import catalog
from celerylint.facts.values import Value
from celerylint.model.project import Project
from celerylint.model.queues import declared_queues, default_only
from celerylint.model.routes import route_for
from celerylint.model.services import Service
from celerylint.model.settings import App
from celerylint.model.tasks import Task

DEFAULT_QUEUE = "celery"


def _shown(entry: dict[str, Any]) -> str:
    if entry["known"]:
        return repr(entry["value"])
    return f"unknown ({entry['reason']})" if entry.get("reason") else "unknown"


def _unknown_because(unread: list[dict[str, Any]]) -> str:
    """`unknown`, with the reasons the settings are unknown (each candidate settings
    module's, when a project has several), the first few."""
    reasons = sorted({v["reason"] for v in unread if v.get("reason")})
    if not reasons:
        return "unknown"
    shown = "; ".join(reasons[:3])
    more = f"; {len(reasons) - 3} more reasons" if len(reasons) > 3 else ""
    return f"unknown ({shown}{more})"


def render_tree(view: dict[str, Any], project: Project) -> str:
    lines: list[str] = []
    apps: dict[str, Any] = view["apps"]
    lines.append(f"Apps ({len(apps)})")
    for app_id, app in sorted(apps.items()):
        namespace = f", namespace {app['namespace']}" if app["namespace"] else ""
        lines.append(f"  {app_id}  (config: {app['source']}{namespace})")
        changed = {k: v for k, v in app["settings"].items() if v["layer"] != "default"}
        # Settings the app's configuration may change but that cannot be read (a config
        # module outside the project): not at their defaults, as far as anyone can tell.
        defaults = [v for v in app["settings"].values() if v["layer"] == "default"]
        unread = [v for v in defaults if not v["known"]]
        if unread:
            why = _unknown_because(unread)
            if len(unread) < len(defaults):
                lines.append(f"    {len(unread)} other settings {why}")
            else:
                lines.append(f"    every {'other ' if changed else ''}setting {why}")
        elif not changed:
            lines.append("    every setting at its default")
        for name, setting in sorted(changed.items()):
            origin = f"  {setting['origin']}" if setting["origin"] else ""
            lines.append(f"    {name} = {_shown(setting)}{origin}")
    tasks: dict[str, Any] = view["tasks"]
    lines.append(f"Tasks ({len(tasks)})")
    for label, task in sorted(tasks.items()):
        apps_of = ", ".join(task["apps"]) or "app not known"
        lines.append(f"  {label}  [{apps_of}]")
        for name, option in sorted(task["options"].items()):
            if option["known"] and option["origin"] is None and option["from"] != "task":
                continue  # Celery's default: noise in a tree for people
            where = f" {option['origin']}" if option["origin"] else ""
            lines.append(f"    {name} = {_shown(option)}  (from {option['from']}{where})")
    lines.append("Services")
    if not project.links:
        lines.append("  no apps linked (each app is its own service)")
    seen: set[tuple[str, str]] = set()
    for first, second, reason in project.links:
        pair = (min(first.id, second.id), max(first.id, second.id))
        if pair not in seen:
            seen.add(pair)
            lines.append(f"  {pair[0]} <-> {pair[1]}  ({reason})")
    lines.extend(_deployed_services(project))
    return "\n".join(lines) + "\n"


_NO_APP = "app not known"
# Web servers name no Celery app (`-A`): they are no Celery service missing its app.
_WEB = "web servers"


def _deployed_services(project: Project) -> list[str]:
    """The deployed services per app: role, queues, pool, where each is started; then,
    per deployment, the settings its environments make differ between them."""
    # A command not read may start a worker, of an app the project defines: none defined,
    # it is noise (akvo-rsr's nginx and memcached containers, image-only).
    shown = [
        s for s in project.services if s.role != "other" or (not s.command_known and project.apps)
    ]
    if not shown:
        return ["  no Celery or web services found in deployment files"]
    lines = [f"Deployed services ({len(shown)})"]
    by_app: dict[str, list[tuple[Service, Optional[App]]]] = {}
    for service in shown:
        app = project.service_app(service)
        written = f"app {service.app} (not in the code read)" if service.app else None
        unlinked = _WEB if service.role == "web" and service.command_known else _NO_APP
        label = f"app {app.id}" if app else written or unlinked
        by_app.setdefault(label, []).append((service, app))
    for label, members in sorted(by_app.items(), key=lambda item: item[0] == _NO_APP):
        lines.append(f"  {label}")
        deployments: dict[str, list[tuple[Service, App]]] = {}
        for service, app in members:
            deployed = project.as_deployed(app, service) if app else None
            lines.append(
                f"    {service.name}  {'; '.join(_service_parts(project, service, deployed))}"
            )
            if deployed is not None:
                deployments.setdefault(service.deployment, []).append((service, deployed))
        for deployment, together in deployments.items():
            lines.extend(_differences(deployment, together))
    return lines


def _consumed(service: Service, app: Optional[App]) -> str:
    """What a worker consumes: its `-Q`, else `task_queues`, else the default queue."""
    queues = service.queues
    if queues is None:
        return "queues not known"
    if queues:
        return f"queues {', '.join(queues)}"
    if app is not None and default_only(app):
        return "default queue"
    declared = declared_queues(app) if app else None
    if declared is None:
        return "no -Q: the queues of task_queues, not known"
    return f"no -Q: task_queues {', '.join(declared.names)}"


def _service_parts(project: Project, service: Service, app: Optional[App]) -> list[str]:
    if not service.command_known:
        parts = ["command not known"]
    else:
        parts = [service.role + (" + beat" if service.also_beat else "")]
    if service.role == "worker":
        parts.append(_consumed(service, app))
        pool = project.service_pool(service, app) if app else None
        parts.append(f"pool {pool or 'not known'}")
    parts.append(f"{os.path.relpath(service.path)}:{service.line}")
    return parts


def _differences(deployment: str, members: list[tuple[Service, App]]) -> list[str]:
    """The settings that differ between services of one app in one deployment."""
    if len(members) < 2:
        return []
    lines: list[str] = []
    paths = sorted({os.path.relpath(service.path) for service, _ in members})
    where = " + ".join(paths) if len(paths) <= 2 else os.path.relpath(deployment)
    names = sorted({name for _, app in members for name in _configured(app)})
    for name in names:
        values = {
            service.name: _value(app.setting(name).value, service) for service, app in members
        }
        if len(set(values.values())) > 1:
            listed = ", ".join(f"{k}: {v}" for k, v in values.items())
            lines.append(f"    {name} differs in {where}: {listed}")
    return lines


def _configured(app: App) -> set[str]:
    names = set()
    for layer in app.configured_layers:
        for key in layer.entries:
            _, setting = catalog.classify_source_key(key, app.namespace)
            if setting is not None:
                names.add(setting)
    return names


def _value(value: Value, service: Service) -> str:
    if not value.known:
        return "unknown"
    shown = repr(value.value)
    secrets = [e.value for e in service.origins.values() if e.secret and e.value]
    return "<secret>" if any(secret in shown for secret in secrets) else shown


# -- the topology --------------------------------------------------------------------


class Topology(msgspec.Struct):
    """Nodes by kind, and labelled edges between node ids."""

    producers: dict[str, str] = msgspec.field(default_factory=dict)
    brokers: dict[str, str] = msgspec.field(default_factory=dict)
    queues: dict[str, str] = msgspec.field(default_factory=dict)
    workers: dict[str, str] = msgspec.field(default_factory=dict)
    edges: dict[tuple[str, str], set[str]] = msgspec.field(default_factory=dict)

    def edge(self, source: str, target: str, label: str) -> None:
        self.edges.setdefault((source, target), set()).add(label)


def _text(value: Value, unknown: str = "unknown") -> str:
    if not value.known:
        return f"${value.env}" if value.env else unknown
    if isinstance(value.value, (list, tuple, set, frozenset)):
        return ", ".join(sorted(str(v) for v in value.value))
    return str(value.value)


def _broker(app: App) -> str:
    setting = app.setting("broker_url")
    if setting.is_default:
        return "default broker"
    return _text(setting.value, "broker not known")


def _task_queue(project: Project, task: Task, app: App) -> str:
    """The queue a task is sent to: its `queue` option, then `task_routes`, then the default."""
    option = project.option(task, "queue", app)
    if option.origin != "default":
        return str(option.value.value) if option.known and option.value.value else "not known"
    routes = app.setting("task_routes")
    if not routes.is_default:
        known, route = route_for(routes.value.value, task.name) if routes.known else (False, None)
        if not known:
            return "not known"
        if route is not None and route.queue is not None:
            return route.queue
    default = app.setting("task_default_queue").value
    if not default.known:
        return "not known"
    return str(default.value) if default.value else DEFAULT_QUEUE


def topology(project: Project) -> Topology:
    graph = Topology()
    ids: dict[str, str] = {}

    def node(kind: dict[str, str], key: str, label: str) -> str:
        if key not in ids:
            ids[key] = f"n{len(ids)}"
            kind[ids[key]] = label
        return ids[key]

    for app in project.apps:
        broker = node(graph.brokers, f"broker:{_broker(app)}", _broker(app))
        pools = ", ".join(_pools(project, app)) or "pool not known"
        worker = node(graph.workers, f"worker:{app.key}", f"worker {app.id} ({pools})")
        accept = _text(app.setting("accept_content").value)
        for task in project.tasks:
            if app not in (task.apps or []):
                continue
            queue_name = _task_queue(project, task, app)
            queue = node(graph.queues, f"queue:{broker}:{queue_name}", queue_name)
            graph.edge(broker, queue, "")
            graph.edge(queue, worker, f"accepts {accept}")
    by_qualname = {task.qualname: task for task in project.tasks}
    by_name = {task.name: task for task in project.tasks if task.name}
    for site in project.dispatches:
        sent = _sent_task(
            project, site.call.target, site.call.task_name, site.module, by_qualname, by_name
        )
        if sent is None or not sent.apps:
            continue
        app = sent.apps[0]
        producer = node(graph.producers, f"producer:{site.module}", site.module)
        broker = ids[f"broker:{_broker(app)}"]
        serializer = project.option(sent, "serializer", app).value
        graph.edge(producer, broker, _text(serializer))
    return graph


def _pools(project: Project, app: App) -> list[str]:
    """The pools the app's deployed workers run ("not known" for those that cannot be told)."""
    pools = set()
    for service in project.services:
        running = project.service_app(service) if service.role == "worker" else None
        if running is not None and running.key == app.key:
            deployed = project.as_deployed(running, service)
            pools.add(project.service_pool(service, deployed) or "not known")
    return sorted(pools)


def _sent_task(
    project: Project,
    target: Optional[str],
    name: Optional[str],
    module: str,
    by_qualname: dict[str, Task],
    by_name: dict[str, Task],
) -> Optional[Task]:
    if name:
        return by_name.get(name)
    if not target:
        return None
    symbol = project.modules.resolve(target, module)
    if symbol.module and symbol.name:
        return by_qualname.get(f"{symbol.module}.{symbol.name}")
    return None


def _quoted(label: str, quote: str) -> str:
    # Labels come from the analysed code: keep them from closing the quote.
    return label.replace(quote, "'").replace("\n", " ")


def render_mermaid(graph: Topology) -> str:
    lines = ["flowchart LR"]
    shapes = (
        (graph.producers, '["{}"]'),
        (graph.brokers, '[("{}")]'),
        (graph.queues, '[["queue {}"]]'),
        (graph.workers, '("{}")'),
    )
    for nodes, shape in shapes:
        for ident, label in nodes.items():
            lines.append(f"  {ident}{shape.format(_quoted(label, chr(34)))}")
    for (source, target), labels in graph.edges.items():
        text = " / ".join(sorted(label for label in labels if label))
        arrow = f' -- "{_quoted(text, chr(34))}" -->' if text else " -->"
        lines.append(f"  {source}{arrow} {target}")
    return "\n".join(lines) + "\n"


def render_dot(graph: Topology) -> str:
    lines = ["digraph celery {", "  rankdir=LR;"]
    shapes = (
        (graph.producers, "box"),
        (graph.brokers, "cylinder"),
        (graph.queues, "box3d"),
        (graph.workers, "ellipse"),
    )
    for nodes, shape in shapes:
        for ident, label in nodes.items():
            shown = label if nodes is not graph.queues else f"queue {label}"
            lines.append(f'  {ident} [shape={shape}, label="{_escape_dot(shown)}"];')
    for (source, target), labels in graph.edges.items():
        text = " / ".join(sorted(label for label in labels if label))
        attrs = f' [label="{_escape_dot(text)}"]' if text else ""
        lines.append(f"  {source} -> {target}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _escape_dot(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
