"""Premise of CL602's silence for apps that name their tasks, on real Celery.

A `Celery` subclass overriding `gen_task_name` (rapidpro's `TembaCelery`) registers a
task under whatever that method returns, not `module.function`: a name written
elsewhere (a beat entry, `send_task`) may be right although no `module.function`
matches it. An explicit `name=` is used as written.
"""

from __future__ import annotations

import pytest
from celery import Celery

pytestmark = pytest.mark.real_celery


class _ShortNames(Celery):
    def gen_task_name(self, name: str, module: str) -> str:
        return f"proj.{name}"


def test_an_app_that_overrides_gen_task_name_registers_its_own_names() -> None:
    app = _ShortNames("proj", broker="memory://", set_as_current=False)

    @app.task
    def squash_counts() -> None:
        return None

    @app.task(name="proj.tasks.explicit")
    def explicit() -> None:
        return None

    app.finalize()
    # Other tests' shared tasks join every app: only these two are looked at.
    assert app.tasks["proj.squash_counts"].run is squash_counts.run
    assert app.tasks["proj.tasks.explicit"].run is explicit.run
    assert f"{__name__}.squash_counts" not in app.tasks
