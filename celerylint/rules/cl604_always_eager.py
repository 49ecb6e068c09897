"""CL604 always-eager: eager mode on in settings that production uses."""

from __future__ import annotations

import re
from collections.abc import Iterator

from celerylint import catalog
from celerylint.diagnostics import Diagnostic
from celerylint.facts.schema import Name, Ref, Span
from celerylint.model.project import Project
from celerylint.model.settings import Entry, Layer
from celerylint.rules._places import (
    dev_only_layer,
    is_dev_path,
    test_only_layer,
    test_or_dev_class,
)
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule

SETTING = "task_always_eager"
# `CELERY_TASK_ALWAYS_EAGER = DEBUG`: eager where the project debugs, which a name says.
_SWITCH_NAME = re.compile(r"DEBUG|TEST|DEV|LOCAL", re.IGNORECASE)


@rule("CL604", "always-eager")
def always_eager(project: Project) -> Iterator[Diagnostic]:
    seen: set[tuple[str, Span]] = set()
    for app in project.apps:
        keys = catalog.lookup_keys(SETTING, app.namespace)
        for layer in app.configured_layers:
            if test_only_layer(project, layer) or dev_only_layer(layer):
                continue
            if _decided_before(project, app.read_before(layer), keys):
                continue
            entry = layer.find(keys)
            if entry is None or entry.node.span is None or (entry.path, entry.node.span) in seen:
                continue
            if entry.path in project.test_paths or is_dev_path(entry.path):
                continue
            if test_or_dev_class(project.modules, entry, dev=True):
                continue
            if not _literally_true(project, entry):
                continue
            seen.add((entry.path, entry.node.span))
            yield diagnostic(
                "CL604",
                f"`{entry.key}` is True: every `.delay()` runs the task inline in the calling "
                "process, never on a worker (no queue, retries, time limits or concurrency); "
                "keep eager mode to test settings",
                entry.path,
                entry.node.span,
            )


def _decided_before(project: Project, layers: list[Layer], keys: tuple[str, ...]) -> bool:
    """One of the layers Celery reads first (app.conf, add_defaults) sets the key, or may
    with what cannot be told. A write in conftest.py never reaches production."""
    for layer in layers:
        override = layer.find(keys)
        if override is not None and override.path not in project.test_paths:
            return True
        if layer.open_ended or layer.unknown_keys & set(keys):
            return True
    return False


def _literally_true(project: Project, entry: Entry) -> bool:
    """True written in the code: not from the environment, not a DEBUG-like switch."""
    if entry.conditional:
        return False
    node = entry.node
    if isinstance(node, (Name, Ref)):
        written = node.id if isinstance(node, Name) else node.qualname
        if _SWITCH_NAME.search(written):
            return False
    value = project.evaluator.evaluate(node, entry.path)
    return value.known and value.value is True
