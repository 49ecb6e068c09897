"""Fix machinery shared by the rules: edits on recorded spans and shared rewriters.

Rules build their fixes from these pieces; `celerylint.fixer` applies them.
"""
