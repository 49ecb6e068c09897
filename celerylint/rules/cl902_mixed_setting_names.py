"""CL902 mixed-setting-names: old and new names in one configuration."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint import catalog
from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.rules._old_setting_names import whole_rename
from celerylint.rules._setting_renames import Found, with_renames
from celerylint.rules._settings_sources import Reporter, settings_sources
from celerylint.rules.registry import rule


@rule("CL902", "mixed-setting-names")
def mixed_setting_names(project: Project) -> Iterator[Diagnostic]:
    report = Reporter()
    found: list[Found] = []
    for source in settings_sources(project):
        if not source.mixing_checked or source.layer.open_ended:
            continue
        if source.app.record.opaque:
            continue  # Celery(**kwargs): the keys left out of the check are unknown
        errors = catalog.mixing_error(
            source.setting_keys(conditional=False), ignore_keys=source.ignore_keys
        )
        if not errors:
            continue
        rename = whole_rename(source)
        into_new = all(catalog.is_old_name(key) for key, _replacement in errors)
        for key, replacement in errors:
            entry = source.layer.entries[key]
            if into_new:
                message = (
                    f"`{key}` is an old setting name in {source.label}, which otherwise "
                    'uses new names: Celery raises ImproperlyConfigured ("Cannot mix new '
                    'and old setting keys") and the worker does not start; rename '
                    f"`{key}` to `{replacement}`"
                )
            else:
                message = (
                    f"`{key}` is a new setting name in {source.label}, which otherwise "
                    'uses old names: Celery raises ImproperlyConfigured ("Cannot mix new '
                    'and old setting keys") and the worker does not start; rename the old '
                    f"names to new ones (Celery's own suggestion is `{key}` -> `{replacement}`)"
                )
            found.append((report("CL902", message, entry), rename))
    yield from with_renames(project, found)
