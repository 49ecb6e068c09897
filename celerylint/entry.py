"""The console script. `--version` and `rule NAME` are answered before the CLI is
imported: argparse, the option parser and the report formats are most of their
start-up, and both are asked often (editors, hooks, humans). Everything else,
including any mistake in those two, goes to the CLI."""

from __future__ import annotations

import gc
import os
import sys


def run() -> None:
    # No cyclic garbage collection in a one-shot run: importing the package and decoding
    # its records allocate objects that live until the end, and the passes over them
    # cost 2-5 ms of a pre-commit run on saleor, while a cold check of 16 projects
    # peaked 0.3 MB higher without any. Commands that live long or iterate (the server,
    # the daemon, `--fix`) collect again (`cli.main`).
    gc.disable()
    argv = sys.argv[1:]
    answered = _answer(argv)
    if answered is None:
        # The daemon first: it answers an unchanged run nearly as fast as a record is
        # checked here, and a changed one far faster than this process would.
        from celerylint.resident import ask

        answered = ask(argv)
    if answered is None:
        from celerylint.command_replay import replay

        answered = replay(argv)
    if answered is not None:
        sys.exit(answered)
    import_msgspec()
    from celerylint.cli import outcome

    _leave(outcome())


def import_msgspec() -> None:
    """Import msgspec without typing_extensions. msgspec only prefers its
    `get_type_hints` (and `Required`) to the standard library's, which are the same
    for celerylint's types (no TypedDict); loading it, and the `inspect` it imports,
    cost 11 ms of every run that is not replayed. A process that already has it, or
    msgspec, is left alone, and it can be imported normally afterwards."""
    if "typing_extensions" in sys.modules or "msgspec" in sys.modules:
        return
    sys.modules["typing_extensions"] = None  # type: ignore[assignment]  # "not installed"
    try:
        import msgspec  # noqa: F401
    finally:
        del sys.modules["typing_extensions"]


def _leave(code: int) -> None:
    """Exit without tearing the heap down: freeing the facts and the model object by
    object took 10-25 ms of a run on saleor. Everything the run writes is closed by
    now (the worker pool too); only the standard streams are buffered."""
    if not emit(""):  # flushes stdout
        code = 2
    sys.stderr.flush()
    os._exit(code)


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


def on_terminal() -> bool:
    """stdout or stderr is a terminal: colours, widths and the progress bar depend on
    it, so such a run is neither recorded, replayed nor sent to the daemon."""
    return os.isatty(1) or os.isatty(2)


def _write(text: str) -> int:
    return 0 if emit(text) else 2


def emit(stdout: str, stderr: str = "") -> bool:
    """Write an answer made without the CLI; False when it could not be (the exit code
    is then 2): piped into `head`, as the CLI does, or a full disk (said on stderr)."""
    try:
        sys.stderr.write(stderr)
        sys.stdout.write(stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        return False
    except OSError as exc:
        say_output_failed(exc)
        return False
    return True


def say_output_failed(exc: OSError) -> None:
    """The one line for output that could not be written (the CLI says it too)."""
    sys.stderr.write(f"celerylint: error: cannot write the output: {exc.strerror}\n")
