"""CL903 unknown-setting: a setting key Celery never reads there."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Optional

import msgspec

from celerylint import catalog, setting_history
from celerylint.diagnostics import Applicability, Diagnostic
from celerylint.facts.schema import Ref, Unknown
from celerylint.facts.values import Value
from celerylint.fixes.edits import make_fix
from celerylint.model.project import Project
from celerylint.model.settings import Entry
from celerylint.rules._setting_references import ask_read_elsewhere, referenced
from celerylint.rules._setting_renames import rename_edits
from celerylint.rules._settings_sources import Reporter, SettingsSource, settings_sources
from celerylint.rules.registry import rule


def _style(source: SettingsSource, exclude: str) -> str:
    """The style ("old" or "new") a renamed key should take: mostly old names -> old."""
    if source.kind == "django":
        return "old"  # Django exposes upper-case names only
    if source.kind == "changes" and source.app.source.kind != "none":
        return "new"  # Celery converts app.conf keys to the source's style
    old = new = 0
    for key in source.setting_keys():
        if key == exclude or key in source.ignore_keys:
            continue
        kind, _setting = catalog.classify_source_key(key, None)
        old += kind == "old"
        new += kind == "new"
    return "old" if old > new else "new"


def _looks_like_setting(key: str, entry: Entry) -> bool:
    """A lower-case name that may be meant as a setting, not a helper of the module."""
    if key.startswith("_") or "_" not in key:
        return False
    node = entry.node
    if isinstance(node, Ref):
        return False  # an imported name
    return not (isinstance(node, Unknown) and node.reason in ("function", "class"))


def _unknown_candidates(source: SettingsSource) -> Iterable[tuple[str, Entry]]:
    """The keys of a source that are plausibly meant as Celery settings."""
    entries = source.layer.entries
    if source.kind == "changes":
        # Everything written on app.conf is meant for Celery.
        yield from entries.items()
        return
    if source.kind == "django":
        prefix = (source.prefix or "CELERY").rstrip("_").upper() + "_"
        for key, entry in entries.items():
            if key.startswith((prefix, "CELERY")) or _misprefixed(source, key):
                yield key, entry
        for key, entry in source.extra.items():
            if key.startswith("celery_") and _looks_like_setting(key, entry):
                yield key, entry
        return
    for key, entry in entries.items():
        if key.isupper():
            if key.startswith("CELERY") or _misprefixed(source, key):
                yield key, entry
        elif key.islower() and _looks_like_setting(key, entry):
            yield key, entry


def _misprefixed(source: SettingsSource, key: str) -> Optional[catalog.Misprefixed]:
    """The key meant, when `key` is a setting under the source's namespace with the
    namespace misspelt (`CELEY_TASK_TRACK_STARTED` under namespace='CELERY')."""
    if source.kind == "changes":
        return None  # app.conf keys are checked as setting names, whatever the namespace
    return catalog.misprefixed(key, source.prefix)


# Python types a setting of each Celery type may plausibly hold. Celery's types
# are loose (task_queues is "dict" but holds a list of queues, broker_url is
# "string" but may be a list of fail-over URLs), so only a value of a clearly
# different kind rules a candidate out: `CELERY_QUEUE = "reports"` is the
# project's own queue name, not a misspelt `task_queues`.
_FITTING: dict[str, tuple[type, ...]] = {
    "bool": (bool, int, str),
    "int": (int, float, str),
    "float": (int, float, str),
    "dict": (dict, list, tuple),
    "list": (list, tuple, str, frozenset, set),
    "tuple": (list, tuple, str, frozenset, set),
    "string": (str, list, tuple),
    "str": (str, list, tuple),
}


def _fits(value: Value, setting: Optional[str]) -> bool:
    """Whether a key's value could be meant for `setting` (unknown values always could)."""
    if setting is None:
        return False
    if not value.known or value.value is None:
        return True
    try:
        kind = catalog.setting_type(setting)
    except KeyError:
        return False
    allowed = _FITTING.get(kind)
    return allowed is None or isinstance(value.value, allowed)


def _configured(source: SettingsSource, setting: str) -> Optional[str]:
    """A key of the layer that Celery reads for `setting`, if any."""
    for key in catalog.lookup_keys(setting, source.prefix):
        if key in source.layer.entries:
            return key
    return None


def _removed(key: str, prefix: Optional[str]) -> Optional[str]:
    """What happened to a key some older Celery read, if it is one."""
    removal = setting_history.removed(key, prefix)
    if removal is None:
        return None
    name = "" if removal.name == key else f" (`{removal.name}`)"
    return (
        f"`{key}`{name} was removed in Celery {removal.removed_in} "
        f"({removal.last} was the last version to read it); Celery ignores it"
    )


def _made_up(key: str, prefix: Optional[str]) -> Optional[str]:
    """What to say of a never-existing key built from a setting's words, if it is one."""
    made_up = setting_history.made_up(key, prefix)
    if made_up is None:
        return None
    message = f"`{key}` is not a setting in any Celery version"
    if made_up.removal is not None:
        message += (
            f" (`{made_up.removal.name}`, with the same words, was removed in "
            f"Celery {made_up.removal.removed_in})"
        )
    return message + "; Celery ignores it"


class _Ignored(msgspec.Struct, frozen=True):
    """A key Celery ignores, reported unless other code reads it."""

    source: SettingsSource
    key: str
    entry: Entry
    candidates: list[str]  # the settings it may be meant as
    dead: Optional[str]  # what Celery's history says of it
    # The namespaced key it is, but for a misspelt namespace prefix (then the one candidate).
    misprefixed: Optional[catalog.Misprefixed] = None


@rule("CL903", "unknown-setting")
def unknown_setting(project: Project) -> Iterator[Diagnostic]:
    report = Reporter()
    ignored: list[_Ignored] = []
    for source in settings_sources(project):
        if source.app.source.kind == "opaque" and source.kind != "changes":
            continue
        for key, entry in sorted(_unknown_candidates(source)):
            found = _ignored(project, source, key, entry)
            if found is not None:
                ignored.append(found)
    # Whether other code reads a key takes reading every file: once, for all the keys.
    ask_read_elsewhere(project, [item.key for item in ignored if item.source.kind != "changes"])
    for item in ignored:
        diagnostic = _unknown(project, item, report)
        if diagnostic is not None:
            yield diagnostic


def _ignored(
    project: Project, source: SettingsSource, key: str, entry: Entry
) -> Optional[_Ignored]:
    """The key, if Celery ignores it and it may be meant as a setting (or once was one)."""
    if catalog.classify_source_key(key, source.prefix)[0] != "ignored":
        return None
    # app.conf keys are spelled with new (or old) names whatever the namespace.
    prefix = None if source.kind == "changes" else source.prefix
    namespaced = bool(prefix and prefix.rstrip("_"))
    style = None if namespaced else _style(source, key)
    value = project.evaluator.evaluate(entry.node, entry.path)
    misprefixed = _misprefixed(source, key)
    if misprefixed is not None:
        meant = catalog.classify_source_key(misprefixed.key, prefix)[1]
        if _fits(value, meant):
            return _Ignored(source, key, entry, [misprefixed.key], None, misprefixed)
    candidates = [
        candidate
        for candidate in catalog.closest_settings(key, prefix, style=style)
        if _fits(value, catalog.classify_source_key(candidate, prefix)[1])
    ]
    # What Celery's history says: a removed setting, or (nothing close) a made-up one.
    dead = _removed(key, prefix)
    if dead is None and not candidates:
        dead = _made_up(key, prefix)
        if dead is None:
            return None
    return _Ignored(source, key, entry, candidates, dead)


def _why(item: _Ignored) -> str:
    if item.misprefixed is not None:
        return f"its prefix is not `{item.misprefixed.prefix}`, so it is silently ignored"
    return "it is silently ignored"


def _unknown(project: Project, item: _Ignored, report: Reporter) -> Optional[Diagnostic]:
    source, key, entry = item.source, item.key, item.entry
    candidates, dead = item.candidates, item.dead
    # Last, as it may read every file of the project.
    if source.kind != "changes" and referenced(project, source, key):
        return None  # a helper the module uses itself, or a key other code reads
    if dead is not None and not candidates:
        return report("CL903", dead, entry, None)
    fix = None
    present: Optional[str] = None
    if len(candidates) == 1:
        target = candidates[0]
        if key in source.extra and target in source.layer.entries:
            return None  # a lower-case helper next to the real Django setting
        setting = catalog.classify_source_key(target, source.prefix)[1]
        present = _configured(source, setting) if setting else target
        if present is None:
            edits = rename_edits(project, source, {key: target})
            if edits:
                fix = make_fix(f"Rename `{key}` to `{target}`", Applicability.UNSAFE, edits)
    if source.kind == "changes":
        where = source.label
    elif source.namespaced:
        where = f"{source.label} (loaded with namespace={source.prefix!r})"
    else:
        where = f"{source.label} (loaded without a namespace)"
    suggestion = " or ".join(f"`{candidate}`" for candidate in candidates[:3])
    message = dead or f"`{key}` is not a setting Celery reads from {where}: {_why(item)}"
    if present is not None:
        message += f"; Celery reads `{present}` (also set) instead"
    else:
        message += f"; did you mean {suggestion}?"
    if source.kind == "django" and not source.namespaced and key.upper().startswith("CELERY_"):
        message += " (or load the settings with namespace='CELERY')"
    return report("CL903", message, entry, fix)
