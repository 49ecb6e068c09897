"""Shared test configuration."""

from __future__ import annotations

import pytest

from celerylint.store import FactStore


def pytest_configure(config: pytest.Config) -> None:
    # The test extra pins the Celery celerylint's tables model (5.7, on every
    # supported Python), so these tests always run: a different Celery fails
    # them (and test_catalog's version check) instead of skipping them.
    config.addinivalue_line(
        "markers", "real_celery: compares with the installed Celery's behaviour"
    )


@pytest.fixture
def demand_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many files each `FactStore.on_demand_many` call had to parse, in order."""
    batches: list[int] = []
    many = FactStore.on_demand_many

    def recorded(store: FactStore, paths: list[str]) -> None:
        batches.append(len([p for p in paths if p not in store.facts]))
        many(store, paths)

    monkeypatch.setattr(FactStore, "on_demand_many", recorded)
    return batches
