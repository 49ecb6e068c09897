"""Command line: argument parsing and exit codes, nothing else.

Exit codes: 0 nothing reported, 1 findings remain (or a fix could not be
written), 2 usage, configuration, missing path or internal error; docs/ci.md
has the table, `_exit_code` the policy. Heavy modules (the api's pipeline,
rich, yaml, libcst) are imported only by the commands that need them, so
`celerylint --version` stays instant.
"""

from __future__ import annotations

import argparse
import errno
import functools
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Optional, TextIO

from celerylint import __version__, check_options
from celerylint.entry import say_output_failed
from celerylint.report import FORMATS

if TYPE_CHECKING:
    from celerylint.check_result import CheckResult
    from celerylint.command_replay import Recorder
    from celerylint.config import Config
    from celerylint.fixer import FixResult

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
COMMANDS = ("check", "rule", "rules", "clean", "inspect", "server", "daemon")
COLOR_CHOICES = ("auto", "always", "never")


class UsageError(Exception):
    """A problem with what the user asked for; printed as one line, exit 2."""


def _positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {value!r}")
    return seconds


@functools.cache
def _terminal_width() -> int:
    """`shutil.get_terminal_size().columns`, without importing shutil (2 ms)."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class _Formatter(argparse.HelpFormatter):
    """argparse's, the terminal looked up once: argparse makes a formatter for every
    argument it adds (to check its metavar), and each looked the terminal up and
    imported shutil, 3 ms of every run."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: Optional[int] = None,
    ) -> None:
        width = _terminal_width() - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)


@functools.cache  # built once: the daemon parses every request's arguments
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="celerylint",
        description="A static linter, pre-commit hook and autofixer for Celery applications.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"celerylint {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands = functools.partial(subparsers.add_parser, formatter_class=_Formatter)

    check = commands("check", help="lint files or a project (default: .)")
    check.add_argument("paths", nargs="*", type=Path, help="files or directories (default: .)")
    # Repeated selection flags add up, as in ruff (`--select CL1 --select CL2`).
    check.add_argument(
        "--select",
        type=check_options.csv_list,
        action="extend",
        help="rules to enable: codes, prefixes or names",
    )
    check.add_argument(
        "--ignore", type=check_options.csv_list, action="extend", help="rules to disable"
    )
    check.add_argument(
        "--extend-select",
        type=check_options.csv_list,
        action="extend",
        help="rules to enable on top of the selection",
    )
    check.add_argument("--output-format", choices=FORMATS, default=None)
    check.add_argument("--statistics", action="store_true", help="count findings per rule")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    check.add_argument("--config", type=Path, help="a pyproject.toml or celerylint.toml to use")
    check.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply exclude, extend-exclude and .gitignore to paths given too",
    )
    check.add_argument(
        "--show-settings",
        action="store_true",
        help="print the project root, configuration and selection, and exit",
    )
    check.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    check.add_argument("--diff", action="store_true", help="print fixes as a diff; write nothing")
    check.add_argument("--show-fixes", action="store_true", help="list what was fixed")
    check.add_argument(
        "--exit-non-zero-on-fix", action="store_true", help="exit 1 when a file was changed"
    )
    check.add_argument(
        "--color",
        choices=COLOR_CHOICES,
        default=None,
        help="auto (default): on a terminal, unless NO_COLOR is set",
    )
    check.add_argument(
        "--no-color", dest="color", action="store_const", const="never", help="--color=never"
    )
    check.add_argument("--timings", action="store_true", help="print counts and timings (stderr)")
    check_options.add_options(check)

    rule = commands("rule", help="explain a rule")
    rule.add_argument("rule", help="code (CL101) or name (pickle-accepted)")
    commands("rules", help="list all rules")
    clean = commands("clean", help="remove the cache")
    clean.add_argument("path", nargs="?", type=Path, default=Path("."))
    inspect = commands("inspect", help="show resolved apps, settings, tasks, services")
    inspect.add_argument("path", nargs="?", type=Path, default=Path("."))
    inspect.add_argument("--config", type=Path)
    inspect.add_argument(
        "--format", choices=("tree", "json"), default="tree", help="a tree for people, or JSON"
    )
    inspect.add_argument(
        "--graph", choices=("mermaid", "dot"), help="draw producers -> broker -> queues -> workers"
    )
    commands("server", help="run the language server on stdin/stdout (needs celerylint[server])")
    daemon = commands(
        "daemon", help="a resident process that makes one-file checks (pre-commit) fast"
    )
    daemon.add_argument(
        "action",
        choices=("start", "stop", "status", "run"),
        help="start in the background, stop, status (exit 1: none runs), run in the foreground",
    )
    daemon.add_argument(
        "--idle-timeout",
        type=_positive_seconds,
        default=None,
        metavar="SECONDS",
        help="start/run: exit after this many seconds without a request (default: 1800)",
    )
    return parser


def _implicit_check(argv: Sequence[str]) -> list[str]:
    """`celerylint --fix` and `celerylint src/` mean `celerylint check ...`, as in ruff:
    a first argument that is neither a command nor a top-level option starts `check`."""
    if argv and argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version"):
        return ["check", *argv]
    return list(argv)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The arguments of `celerylint <argv>` (SystemExit, with a message on stderr, when
    they are wrong or ask for help)."""
    return _parser().parse_args(_implicit_check(argv))


def main(argv: Optional[Sequence[str]] = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    args = parse(given)
    if (
        args.command in ("server", "daemon")
        or getattr(args, "fix", False)
        or getattr(args, "diff", False)
    ):
        gc.enable()  # long-lived, or many checks in one process (`entry.run` disabled it)
    try:
        if args.command == "check":
            return _check(args, sys.stdout, given)
        if args.command == "rule":
            return _rule(args.rule, sys.stdout)
        if args.command == "rules":
            return _rules(sys.stdout)
        if args.command == "clean":
            return _clean(args.path)
        if args.command == "inspect":
            return _inspect(args, sys.stdout)
        if args.command == "server":
            from celerylint.server import main as serve

            return serve()
        if args.command == "daemon":
            return _daemon(args.action, args.idle_timeout)
        _parser().print_help(sys.stderr)
        return EXIT_ERROR
    except UsageError as exc:
        print(f"celerylint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("celerylint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head`: not an error of ours.
        _drop_stdout()
        return EXIT_ERROR
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRNOS:
            raise
        _drop_stdout()
        say_output_failed(exc)
        return EXIT_ERROR


# What writing the report can fail with (a full disk or quota, a broken device).
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG})


def _drop_stdout() -> None:
    """Point stdout at /dev/null: its buffer cannot be flushed, and must not be at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _load(config_path: Optional[Path], paths: Sequence[Path]) -> object:
    """The configuration, with the project root of a run on `paths` from here."""
    from celerylint.config import ConfigError, load_config_for

    try:
        return load_config_for(config_path, paths, Path.cwd())
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def _check(args: argparse.Namespace, out: TextIO, argv: list[str]) -> int:
    import contextlib
    import time

    from celerylint.config import Config
    from celerylint.selection import SelectionError, selected_codes, validate, validate_config

    started = time.perf_counter()
    problem = check_options.check_usage(args)
    if problem:
        raise UsageError(problem)
    overlay = check_options.read_stdin(args)
    given: list[Path] = args.paths or [Path(".")]
    if args.stdin_filename is not None:
        # The buffer's findings only; the rest of the project is read for the model.
        given = [args.stdin_filename]
    paths, missing = _existing(given)
    if not paths:
        return EXIT_ERROR
    recorder = None
    if not missing and check_options.replayable(args):
        from celerylint.command_replay import Recorder

        recorder = Recorder(argv, paths, args.config, out)
    config = _load(args.config, paths)
    assert isinstance(config, Config)
    config = check_options.with_overrides(args, config)
    if args.force_exclude:
        config = config.with_overrides(force_exclude=True)
    try:
        validate_config(config)
        for flag in ("select", "ignore", "extend_select"):
            validate(getattr(args, flag) or (), f"--{flag.replace('_', '-')}")
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    codes = selected_codes(
        args.select if args.select is not None else config.select,
        [*config.ignore, *(args.ignore or ())],
        [*config.extend_select, *(args.extend_select or ())],
    )
    if args.show_settings:
        return _show_settings(config, paths, codes, out)
    if args.show_files:
        return check_options.show_files(paths, config, out)
    with (
        recorder or contextlib.nullcontext(out) as copied,
        check_options.report_stream(args, copied) as stream,
    ):
        code = _run_check(args, paths, config, codes, overlay, stream, started, recorder)
    return _worst(code, missing)


def _run_check(
    args: argparse.Namespace,
    paths: list[Path],
    config: Config,
    codes: frozenset[str],
    overlay: dict[str, bytes],
    out: TextIO,
    started: float,
    recorder: Optional[Recorder],
) -> int:
    from celerylint.progress import ProgressBar, wanted

    use_cache = not args.no_cache
    human = check_options.output_format(args) in check_options.HUMAN_FORMATS
    progress = ProgressBar() if wanted(human and not (args.quiet or args.silent)) else None
    if args.fix or args.diff:
        from celerylint.api import fix
        from celerylint.fixer import FixOptions

        options = FixOptions(unsafe=bool(args.unsafe_fixes), diff=bool(args.diff))
        outcome = fix(paths, config, options, selected=codes.__contains__, use_cache=use_cache)
        out.write(outcome.diff)
        _adopt(args, outcome.remaining, config, overlay)
        code = _report(outcome.remaining, args, out, outcome, root=config.root)
        _timings(args, outcome.remaining, started)
        return code

    from celerylint.api import check

    try:
        result = check(
            paths,
            config,
            selected=codes.__contains__,
            use_cache=use_cache,
            overlay=overlay,
            progress=progress,
        )
    finally:
        if progress is not None:
            progress.close()
    adopted = _adopt(args, result, config, overlay)
    if adopted is not None:
        return adopted
    code = _report(result, args, out, overlay=overlay, root=config.root)
    if recorder is not None:
        recorder.save(config, result, code, bool(args.timings))
    _timings(args, result, started)
    return code


def _timings(args: argparse.Namespace, result: CheckResult, started: float) -> None:
    """`--timings`: counts and seconds on stderr, after the report (a replay prints its own)."""
    if args.timings:
        from celerylint.command_replay import timings_line

        line = timings_line(
            result.files_checked, result.files_parsed, result.prefiltered_out, started
        )
        print(line, file=sys.stderr)


def _adopt(
    args: argparse.Namespace, result: CheckResult, config: Config, overlay: dict[str, bytes]
) -> Optional[int]:
    if not check_options.adopting(args):
        return None  # nor imported: baselines, fingerprints and source lines (1 ms)
    from celerylint.baseline import BaselineError

    try:
        return check_options.adopt(args, result, config, overlay)
    except BaselineError as exc:
        raise UsageError(str(exc)) from None


def _show_settings(
    config: Config, paths: Sequence[Path], codes: frozenset[str], out: TextIO
) -> int:
    """`--show-settings`: what a run with these arguments would use, one `key = value` a line."""
    import json

    import msgspec

    def value(item: object) -> str:
        return json.dumps(item, default=str, ensure_ascii=False)

    lines = [f"paths = {value([os.path.abspath(p) for p in paths])}"]
    for field in msgspec.structs.fields(config):
        lines.append(f"{field.name.replace('_', '-')} = {value(getattr(config, field.name))}")
    lines.append(f"rules = {value(sorted(codes))}")
    out.write("\n".join(lines) + "\n")
    return EXIT_OK


def _existing(paths: Sequence[Path]) -> tuple[list[Path], bool]:
    """The paths that exist; each missing one is named on stderr (the run then exits 2)."""
    # A broken symbolic link exists as a path: discovery reports it.
    missing = [p for p in paths if not p.exists() and not p.is_symlink()]
    for path in missing:
        print(f"celerylint: error: {path}: no such file or directory", file=sys.stderr)
    return [p for p in paths if p not in missing], bool(missing)


def _worst(code: int, error: bool) -> int:
    """A missing path outranks findings: the gate did not check all it was given."""
    return EXIT_ERROR if error else code


def _report(
    result: CheckResult,
    args: argparse.Namespace,
    out: TextIO,
    outcome: Optional[FixResult] = None,
    *,
    overlay: Optional[dict[str, bytes]] = None,
    root: Optional[Path] = None,
) -> int:
    from celerylint.report import ReportContext, fix_applies, render, render_statistics

    warnings = [*result.errors, *(outcome.not_applied if outcome else ())]
    for warning in [] if args.silent else warnings:
        print(f"celerylint: warning: {warning}", file=sys.stderr)
    for failure in outcome.write_failures if outcome else ():
        print(f"celerylint: error: {failure}", file=sys.stderr)
    diagnostics = result.diagnostics
    unsafe = bool(args.unsafe_fixes)
    fixable = sum(1 for d in diagnostics if d.fix and fix_applies(d.fix, unsafe))
    hidden = sum(1 for d in diagnostics if d.fix and not fix_applies(d.fix, unsafe))
    fmt = check_options.output_format(args)
    if fmt not in FORMATS:
        raise UsageError(f"unknown output format {fmt!r} (choose from {', '.join(FORMATS)})")
    if args.statistics:
        render_statistics(diagnostics, out, unsafe_fixes=unsafe, as_json=fmt == "json")
    elif not args.diff:
        context = ReportContext(
            cwd=Path.cwd(),
            files_checked=result.files_checked,
            fixed=len(outcome.fixed) if outcome else 0,
            fixable=fixable,
            unsafe_fixable=hidden,
            color=_use_color(args.color, out),
            show_fixes_list=outcome.applied if outcome and args.show_fixes else (),
            unsafe_fixes=unsafe,
            root=root,
            quiet=bool(args.quiet),
            overlay=overlay or {},
        )
        render(diagnostics, fmt, out, context)
    return _exit_code(args, bool(diagnostics), outcome)


def _use_color(choice: Optional[str], out: TextIO) -> bool:
    """--color: always, never, or auto: on a terminal unless NO_COLOR is set (no-color.org)."""
    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return out.isatty() and os.environ.get("TERM") != "dumb"


def _exit_code(args: argparse.Namespace, findings: bool, outcome: Optional[FixResult]) -> int:
    """The exit-code policy of `check` (docs/ci.md has the table)."""
    changed = bool(outcome and outcome.files)
    if args.diff:
        return EXIT_FINDINGS if changed else EXIT_OK
    if outcome and outcome.write_failures:
        # Asked to fix and could not: never a pass, not even with --exit-zero.
        return EXIT_FINDINGS
    if args.exit_non_zero_on_fix and changed:
        return EXIT_FINDINGS
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK


def _rule(name: str, out: TextIO) -> int:
    from celerylint.ruledocs import rule_page
    from celerylint.rules.meta import lookup

    meta = lookup(name)
    if meta is None:
        raise UsageError(f"unknown rule {name!r}; `celerylint rules` lists them")
    out.write(rule_page(meta))
    return EXIT_OK


def _rules(out: TextIO) -> int:
    from celerylint.rules.meta import ALL_RULES

    width = max(len(r.name) for r in ALL_RULES)
    out.write(f"{'code':<6} {'name':<{width}}  {'fix':<9} summary\n")
    for rule in ALL_RULES:
        out.write(f"{rule.code:<6} {rule.name:<{width}}  {rule.fixable:<9} {rule.summary}\n")
    return EXIT_OK


def _clean(path: Path) -> int:
    import shutil

    from celerylint.config import Config

    config = _load(None, [path])
    assert isinstance(config, Config)
    cache = config.effective_cache_dir
    if os.environ.get(check_options.CACHE_DIR_ENV):
        cache = Path(os.path.abspath(os.environ[check_options.CACHE_DIR_ENV]))
    if cache.is_dir():
        shutil.rmtree(cache, ignore_errors=True)
        print(f"Removed cache at {cache}", file=sys.stderr)
    return EXIT_OK


def _daemon(action: str, idle_timeout: Optional[float]) -> int:
    from celerylint import resident_server as daemon

    if idle_timeout is None:
        given = os.environ.pop(daemon.TIMEOUT_ENV, None)
        idle_timeout = _positive_seconds(given) if given else daemon.IDLE_TIMEOUT
    try:
        if action == "run":
            daemon.serve(idle_timeout)
        elif action == "start":
            print(f"celerylint daemon started (pid {daemon.start(idle_timeout)})", file=sys.stderr)
        elif action == "stop":
            stopped = daemon.stop()
            print(
                f"celerylint daemon stopped (pid {stopped})" if stopped else "no daemon running",
                file=sys.stderr,
            )
        else:
            state = daemon.status()
            if state is None:
                print("no daemon running", file=sys.stderr)
                return EXIT_FINDINGS  # as `systemctl is-active`: scripts can test it
            print(
                f"celerylint daemon running (pid {state.get('pid')}, "
                f"{state.get('served')} checks served)"
            )
    except (daemon.DaemonError, OSError) as exc:
        raise UsageError(f"daemon {action}: {exc}") from None
    return EXIT_OK


def _inspect(args: argparse.Namespace, out: TextIO) -> int:
    import json

    from celerylint.api import check
    from celerylint.config import Config
    from celerylint.model.describe import describe_project

    path: Path = args.path
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    config = _load(args.config, [path])
    assert isinstance(config, Config)
    config = config.with_overrides(root=path.absolute())
    result = check([path.absolute()], config, selected=lambda code: False, use_cache=False)
    assert result.project is not None
    if args.graph is not None:
        from celerylint.inspect_view import render_dot, render_mermaid, topology

        graph = topology(result.project)
        out.write(render_mermaid(graph) if args.graph == "mermaid" else render_dot(graph))
        return EXIT_OK
    view = describe_project(result.project, config.root)
    if args.format == "json":
        json.dump(view, out, indent=2, sort_keys=True, default=str)
        out.write("\n")
        return EXIT_OK
    from celerylint.inspect_view import render_tree

    out.write(render_tree(view, result.project))
    return EXIT_OK


def run() -> None:
    """Run the CLI and exit through SystemExit (for embedders and tests; the console
    script leaves faster, see `entry._leave`)."""
    sys.exit(outcome())


def outcome(argv: Optional[Sequence[str]] = None) -> int:
    """The CLI's exit code: never a traceback for the user, exit 2 instead."""
    try:
        return main(argv)
    except SystemExit:
        raise
    except Exception as exc:  # an internal error must not look like "no findings"
        import traceback

        traceback.print_exc()
        print(
            f"celerylint: internal error: {type(exc).__name__}: {exc} "
            "(please report this with the traceback above)",
            file=sys.stderr,
        )
        return EXIT_ERROR
