"""The `check` options for CI gates, editors and adoption, and what they do.

Grouped here so that cli.py keeps to parsing and the exit-code policy:
file selection on the command line (ruff's flags), where the report goes
(`--output-file`, `--quiet`, `--silent`), reading a buffer from stdin,
`--show-files`, and the baseline and `--add-suppressions` steps.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Optional, TextIO

if TYPE_CHECKING:
    from celerylint.check_result import CheckResult
    from celerylint.config import Config

CACHE_DIR_ENV = "CELERYLINT_CACHE_DIR"
HUMAN_FORMATS = ("full", "concise", "grouped")


def csv_list(value: str) -> list[str]:
    """`--select A,B` (and the other comma-separated flags) as a list."""
    return [part.strip() for part in value.split(",") if part.strip()]


def _per_file_ignore(value: str) -> tuple[str, tuple[str, ...]]:
    """ruff's `PATTERN:CODES`, e.g. `tests/*:CL201,CL501` (the last colon separates)."""
    pattern, colon, codes = value.rpartition(":")
    selectors = tuple(csv_list(codes))
    if not colon or not pattern.strip() or not selectors:
        raise argparse.ArgumentTypeError(
            f"expected PATTERN:CODES (e.g. 'tests/*:CL201'), got {value!r}"
        )
    from celerylint.selection import SelectionError, validate

    try:
        validate(selectors, f"--per-file-ignores {pattern!r}")
    except SelectionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return pattern.strip(), selectors


def add_options(check: argparse.ArgumentParser) -> None:
    files = check.add_argument_group("file selection")
    files.add_argument(
        "--exclude", type=csv_list, metavar="PATTERNS", help="paths to skip, replacing `exclude`"
    )
    files.add_argument(
        "--extend-exclude",
        type=csv_list,
        metavar="PATTERNS",
        help="paths to skip, on top of `exclude`",
    )
    files.add_argument(
        "--per-file-ignores",
        type=_per_file_ignore,
        action="append",
        metavar="PATTERN:CODES",
        help="rules to disable in matching files, replacing the configured ones (repeatable)",
    )
    files.add_argument(
        "--extend-per-file-ignores",
        type=_per_file_ignore,
        action="append",
        metavar="PATTERN:CODES",
        help="rules to disable in matching files, on top of the configured ones (repeatable)",
    )
    files.add_argument("--show-files", action="store_true", help="list the files to check; exit 0")
    check.add_argument(
        "--daemon",
        action="store_true",
        help="start a resident process for the next runs if none runs (docs/pre-commit.md)",
    )
    files.add_argument(
        "--stdin-filename",
        type=Path,
        metavar="PATH",
        help="read this file's content from stdin (the rest of the project from disk)",
    )
    output = check.add_argument_group("report")
    output.add_argument(
        "--output-file", type=Path, metavar="PATH", help="write the report to PATH, not stdout"
    )
    output.add_argument("-q", "--quiet", action="store_true", help="findings only, no summary")
    output.add_argument("-s", "--silent", action="store_true", help="print nothing; exit code only")
    adoption = check.add_argument_group("adoption")
    adoption.add_argument(
        "--add-suppressions",
        action="store_true",
        help="write `# celerylint: ignore[...]` comments on every reported line",
    )
    adoption.add_argument(
        "--reason", metavar="TEXT", help="with --add-suppressions: text after each comment"
    )
    adoption.add_argument(
        "--baseline", type=Path, metavar="FILE", help="report only findings not in FILE"
    )
    adoption.add_argument(
        "--write-baseline", type=Path, metavar="FILE", help="write the current findings to FILE"
    )
    check.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help=f"where to keep the cache (env {CACHE_DIR_ENV})",
    )


def with_overrides(args: argparse.Namespace, config: Config) -> Config:
    """The configuration with the command line's file-selection and cache flags applied."""
    changes: dict[str, object] = {}
    if args.exclude is not None:
        changes["exclude"] = args.exclude
    if args.extend_exclude:
        changes["extend_exclude"] = [*config.extend_exclude, *args.extend_exclude]
    if args.per_file_ignores is not None:
        changes["per_file_ignores"] = args.per_file_ignores
    if args.extend_per_file_ignores:
        base = changes.get("per_file_ignores", config.per_file_ignores)
        assert isinstance(base, (list, tuple))
        changes["per_file_ignores"] = [*base, *args.extend_per_file_ignores]
    cache_dir = args.cache_dir or os.environ.get(CACHE_DIR_ENV) or None
    if cache_dir is not None:
        changes["cache_dir"] = Path(os.path.abspath(cache_dir))
    return config.with_overrides(**changes) if changes else config


def check_usage(args: argparse.Namespace) -> Optional[str]:
    """A combination of options that cannot work, as a message; None when fine."""
    if args.stdin_filename is not None and (args.fix or args.diff or args.add_suppressions):
        return "--stdin-filename cannot be combined with --fix, --diff or --add-suppressions"
    if args.reason is not None and not args.add_suppressions:
        return "--reason only goes with --add-suppressions"
    if args.add_suppressions and (args.fix or args.diff):
        return "--add-suppressions cannot be combined with --fix or --diff"
    if args.write_baseline is not None and (args.fix or args.diff or args.add_suppressions):
        return "--write-baseline cannot be combined with --fix, --diff or --add-suppressions"
    return None


def replayable(args: argparse.Namespace) -> bool:
    """Whether the run writes nothing but its report, so that the same command on an
    unchanged project may be answered from a record (`command_replay`)."""
    writes = (args.fix, args.diff, args.add_suppressions, args.write_baseline, args.output_file)
    reads = (args.baseline, args.stdin_filename, args.no_cache)
    return not any((*writes, *reads))


def read_stdin(args: argparse.Namespace) -> dict[str, bytes]:
    """With --stdin-filename: {absolute path: the bytes on stdin}, the overlay of the run."""
    if args.stdin_filename is None:
        return {}
    return {os.path.abspath(args.stdin_filename): sys.stdin.buffer.read()}


def output_format(args: argparse.Namespace) -> str:
    return str(args.output_format or os.environ.get("CELERYLINT_OUTPUT_FORMAT") or "full")


@contextlib.contextmanager
def report_stream(args: argparse.Namespace, out: TextIO) -> Iterator[TextIO]:
    """Where the report goes: `out`, nowhere (--silent), or a file written whole at the end."""
    if args.silent:
        yield io.StringIO()
    elif args.output_file is not None:
        buffer = io.StringIO()
        yield buffer
        from celerylint.atomic import atomic_write

        atomic_write(args.output_file, buffer.getvalue().encode("utf-8", "surrogateescape"))
    else:
        yield out


def show_files(paths: list[Path], config: Config, out: TextIO) -> int:
    """Print the files a check of `paths` reports on, one per line, relative to the cwd."""
    from celerylint.report import display_path
    from celerylint.sources.project import gather_sources, is_under

    sources = gather_sources(paths, config)
    cwd = Path.cwd()
    for path in sorted(source.path for source in sources.files):
        if any(is_under(path, scope) for scope in sources.scope):
            out.write(display_path(path, cwd) + "\n")
    return 0


def adopting(args: argparse.Namespace) -> bool:
    """Whether the run adds suppressions, writes a baseline or reads one (`adopt`)."""
    return bool(
        args.add_suppressions or args.write_baseline is not None or args.baseline is not None
    )


def adopt(
    args: argparse.Namespace, result: CheckResult, config: Config, overlay: dict[str, bytes]
) -> Optional[int]:
    """Run --add-suppressions or --write-baseline (then the run ends: exit 0), or
    apply --baseline to `result` in place (None: go on and report)."""
    from celerylint.fingerprint import repository_root
    from celerylint.report.lines import SourceCache

    repository = repository_root(config.root)

    def say(text: str) -> None:
        if not args.silent:
            print(text, file=sys.stderr)

    if args.add_suppressions:
        from celerylint.add_suppressions import add_suppressions

        outcome = add_suppressions(result.diagnostics, args.reason)
        for problem in outcome.skipped:
            say(f"celerylint: warning: not suppressed: {problem}")
        files = len(outcome.files)
        say(
            f"Added {outcome.added} suppression{'s' * (outcome.added != 1)}"
            f" in {files} file{'s' * (files != 1)}."
        )
        return 0
    from celerylint.baseline import load_baseline, new_findings, write_baseline

    if args.write_baseline is not None:
        count = write_baseline(
            args.write_baseline, result.diagnostics, repository, SourceCache(overlay)
        )
        say(f"Wrote {count} finding{'s' * (count != 1)} to the baseline {args.write_baseline}.")
        return 0
    if args.baseline is not None:
        accepted = load_baseline(args.baseline)
        result.diagnostics = new_findings(
            result.diagnostics, accepted, repository, SourceCache(overlay)
        )
    return None
