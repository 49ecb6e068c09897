"""Shared test configuration."""

from __future__ import annotations

import pytest


def _modelled_celery_installed() -> tuple[bool, str]:
    """Whether the installed Celery is the minor version celerylint's tables model."""
    import celery

    from celerylint import _catalog_data

    installed = celery.__version__.split(".")[:2]
    modelled = _catalog_data.CELERY_VERSION.split(".")[:2]
    reason = (
        f"compares with real Celery {'.'.join(modelled)}, whose semantics celerylint models; "
        f"installed: {celery.__version__} (Celery 5.7 needs Python 3.10+)"
    )
    return installed == modelled, reason


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "real_celery: compares with the installed Celery's behaviour"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    modelled, reason = _modelled_celery_installed()
    if modelled:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "real_celery" in item.keywords:
            item.add_marker(skip)
