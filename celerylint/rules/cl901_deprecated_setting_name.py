"""CL901 deprecated-setting-name: an old (pre-4.0) setting name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint import catalog
from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.rules._old_setting_names import old_keys, whole_rename, winning_key
from celerylint.rules._setting_renames import Found, Rename, with_renames
from celerylint.rules._settings_sources import Reporter, SettingsSource, settings_sources
from celerylint.rules.registry import rule

# Django settings hold the project's own keys next to Celery's. Only old names
# carrying one of Celery's marks are reported there: an unmarked old name such
# as S3_BUCKET (Celery's upper-cased spelling of s3_bucket) is far more often
# the project's own setting.
_DJANGO_OLD_MARKS = ("CELERY", "BROKER_")


@rule("CL901", "deprecated-setting-name")
def deprecated_setting_name(project: Project) -> Iterator[Diagnostic]:
    report = Reporter()
    found: list[Found] = []
    for source in settings_sources(project):
        if source.app.source.kind == "opaque" and source.kind != "changes":
            continue
        found.extend(_deprecated_in(source, report))
    yield from with_renames(project, found)


def _deprecated_in(source: SettingsSource, report: Reporter) -> Iterator[Found]:
    olds = old_keys(source)
    if not olds:
        return
    whole: Optional[Rename] = None
    for key, setting in olds.items():
        entry = source.layer.entries[key]
        if source.kind == "django" and not key.startswith(_DJANGO_OLD_MARKS):
            continue
        winner = winning_key(source, key, setting)
        if winner is not None and source.kind == "django" and not key.startswith("CELERY"):
            continue  # BROKER_URL next to CELERY_BROKER_URL: maybe the project's own key
        rename: Optional[Rename] = None
        if winner is not None:
            found = report(
                "CL901",
                f"`{key}` is an old setting name that Celery never reads here: `{winner}` "
                f"is also set in {source.label} and wins; remove `{key}`, or give its value "
                f"to `{winner}` if it is the one meant",
                entry,
            )
        elif source.kind == "django" and not source.namespaced:
            target = catalog.lookup_keys(setting, "CELERY")[0]
            then = f"`{key}` keeps its name" if target == key else f"rename it to `{target}`"
            found = report(
                "CL901",
                f"`{key}` is read as the old name of `{setting}` because the Django settings "
                "are loaded without a namespace; old names are deprecated (Celery 6 drops "
                "them) and Django hides lower-case names: load the settings with "
                "`config_from_object('django.conf:settings', namespace='CELERY')`, "
                f"then {then}",
                entry,
            )
        elif source.namespaced and source.kind != "changes":
            target = catalog.lookup_keys(setting, source.prefix)[0]
            rename = Rename(f"Rename `{key}` to `{target}`", source, {key: target})
            found = report(
                "CL901",
                f"`{key}` is the old name of `{setting}`, deprecated (Celery 6 drops old "
                f"names); under namespace={source.prefix!r} write `{target}`",
                entry,
            )
        elif _mixing_checked(source):
            if whole is None:
                whole = whole_rename(source)
            rename = whole
            found = report(
                "CL901",
                f"`{key}` is the old name of `{setting}`, deprecated (Celery 6 drops old "
                f"names); rename it to `{setting}` together with the other old names of "
                f"{source.label}: a mix of old and new names stops the worker",
                entry,
            )
        else:
            # Celery converts the name and checks no mixing here: one key at a time.
            rename = Rename(
                f"Rename `{key}` to `{setting}`", source, {key: setting}, allow_existing=True
            )
            found = report(
                "CL901",
                f"`{key}` is the old name of `{setting}`, deprecated (Celery 6 drops old "
                f"names); rename it to `{setting}`",
                entry,
            )
        yield found, rename


def _mixing_checked(source: SettingsSource) -> bool:
    """Whether Celery refuses a mix of old and new names in this source (verified on
    Celery 5.7, `detect_settings`): not under a namespace, and not in app.conf when a
    `config_from_object` source is loaded (then only that source is checked)."""
    if source.namespaced:
        return False
    return source.kind != "changes" or source.app.source.kind == "none"
