"""CL502 result-expires-disabled: results that never expire."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.rules.base import diagnostic
from celerylint.rules.registry import rule


@rule("CL502", "result-expires-disabled")
def result_expires_disabled(project: Project) -> Iterator[Diagnostic]:
    for app in project.apps:
        if not app.backend_configured:
            continue
        setting = app.setting("result_expires")
        located = setting.location
        if located and setting.known and setting.value.value in (None, 0):
            yield diagnostic(
                "CL502",
                f"`{app.setting_key('result_expires')}` is {setting.value.value!r}: results "
                "never expire and the result backend grows until it fills up",
                *located,
            )
