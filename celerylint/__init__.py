"""celerylint: a static linter, pre-commit hook and autofixer for Celery applications."""

__version__ = "0.1.0"
