"""`python -m celerylint`."""

from celerylint.cli import run

run()
