"""Serializer names as Celery canonicalises them, and producer/accept-list mismatches.

Shared by the serialization rules (CL101, CL102, CL103).
"""

from __future__ import annotations

from typing import Optional

import msgspec

from celerylint import catalog
from celerylint.diagnostics import Span
from celerylint.facts.values import Value
from celerylint.model.settings import App, Setting


def serializer_set(value: Value) -> Optional[set[str]]:
    """Canonical serializer names of an accept list; None if unknown or not a list."""
    if not value.known:
        return None
    items = value.value
    if isinstance(items, str):
        items = (items,)
    if not isinstance(items, (tuple, list, set, frozenset)):
        return None
    names = set()
    for item in items:
        if not isinstance(item, str):
            return None
        names.add(catalog.canonical_serializer(item) or item.lower())
    return names


def serializer_name(value: Value) -> Optional[str]:
    if value.known and isinstance(value.value, str):
        return catalog.canonical_serializer(value.value)
    return None


def result_accept(app: App) -> Setting:
    setting = app.setting("result_accept_content")
    if setting.known and setting.value.value is None:
        return app.setting("accept_content")
    return setting


class Mismatch(msgspec.Struct, frozen=True):
    serializer: str
    accepted: set[str]
    here: tuple[str, Span]  # where to report: the producer's setting, else the accept list
    other: Optional[tuple[str, Span]]  # the accept list, when it is not `here`


def mismatch(produced: Setting, accepted: Setting) -> Optional[Mismatch]:
    """A known serializer missing from a known accept list, with where each is set."""
    serializer = serializer_name(produced.value)
    names = serializer_set(accepted.value)
    if serializer is None or names is None or serializer in names:
        return None
    producer_at, accepted_at = produced.location, accepted.location
    here = producer_at or accepted_at
    if here is None:
        return None  # both are Celery's defaults: they agree
    return Mismatch(serializer, names, here, accepted_at if producer_at else None)


def listing(names: set[str]) -> str:
    return ", ".join(sorted(names)) or "nothing"
