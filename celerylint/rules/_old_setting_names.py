"""Old (pre-4.0) setting names of a source, and the fix renaming them (CL901, CL902).

A configuration that mixes old and new names refuses to start, so old names
are renamed for a whole configuration source at once.
"""

from __future__ import annotations

from typing import Optional

from celerylint import catalog
from celerylint.rules._setting_renames import Rename
from celerylint.rules._settings_sources import SettingsSource


def _first_index(keys: tuple[str, ...], key: str) -> int:
    return keys.index(key) if key in keys else len(keys)


def winning_key(source: SettingsSource, key: str, setting: str) -> Optional[str]:
    """Another key of the layer that Celery reads before `key` for `setting`.

    Not for app.conf keys: Celery converts them all to one style, the later
    write winning, so renaming one of them changes nothing.
    """
    if source.kind == "changes":
        return None
    keys = catalog.lookup_keys(setting, source.prefix)
    mine = _first_index(keys, key)
    for other in dict.fromkeys(keys):
        if other != key and other in source.layer.entries and _first_index(keys, other) < mine:
            return other
    return None


def old_keys(source: SettingsSource) -> dict[str, str]:
    """Old key -> setting, for the keys of the source Celery reads as old names."""
    found: dict[str, str] = {}
    for key in source.setting_keys():
        kind, setting = catalog.classify_source_key(key, source.prefix)
        if kind == "old" and setting is not None:
            found[key] = setting
    return found


def whole_rename(source: SettingsSource) -> Rename:
    """The fix renaming every (not shadowed) old name of a non-namespaced source."""
    renames: dict[str, str] = {}
    for key, setting in sorted(old_keys(source).items()):
        if winning_key(source, key, setting) is None:
            renames[key] = setting
    listing = ", ".join(f"`{old}` -> `{new}`" for old, new in renames.items())
    return Rename(
        f"Rename every old setting name of {source.label} to its new name: {listing}",
        source,
        renames,
        allow_existing=source.kind == "changes",
    )
