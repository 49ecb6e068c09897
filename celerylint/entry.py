"""The console script. `--version` and `rule NAME` are answered before the CLI is
imported: argparse, the option parser and the report formats are most of their
start-up, and both are asked often (editors, hooks, humans). Everything else,
including any mistake in those two, goes to the CLI."""

from __future__ import annotations

import sys


def run() -> None:
    argv = sys.argv[1:]
    answered = _answer(argv)
    if answered is None:
        from celerylint.command_replay import replay

        answered = replay(argv)
    if answered is not None:
        sys.exit(answered)
    from celerylint.cli import run as run_cli

    run_cli()


def _answer(argv: list[str]) -> int | None:
    if argv == ["--version"]:
        from celerylint import __version__

        return _write(f"celerylint {__version__}\n")
    if len(argv) == 2 and argv[0] == "rule" and not argv[1].startswith("-"):
        from celerylint.rules.meta import lookup

        meta = lookup(argv[1])
        if meta is None:
            return None  # the CLI says what is wrong
        from celerylint.ruledocs import rule_page

        return _write(rule_page(meta))
    return None


def _write(text: str) -> int:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        return 2  # piped into `head`, as the CLI does
    except OSError as exc:  # a full disk
        say_output_failed(exc)
        return 2
    return 0


def say_output_failed(exc: OSError) -> None:
    """The one line for output that could not be written (the CLI says it too)."""
    sys.stderr.write(f"celerylint: error: cannot write the output: {exc.strerror}\n")
