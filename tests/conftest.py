"""Shared test configuration."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # The test extra pins the Celery celerylint's tables model (5.7, on every
    # supported Python), so these tests always run: a different Celery fails
    # them (and test_catalog's version check) instead of skipping them.
    config.addinivalue_line(
        "markers", "real_celery: compares with the installed Celery's behaviour"
    )
