"""`python -m celerylint`."""

from celerylint.entry import run

run()
