"""An unchanged command, answered before the CLI is even imported.

`celerylint check ...` run again with the same arguments, from the same
directory, in the same environment, on a project where nothing changed, writes
what it wrote last time and exits with the same code. A record (`cmd-*.jsonl`
in the cache directory) holds that output and every path the answer depends on
with its (mtime, size): the run's own (`replay.Record.watched`: celerylint's
code, what discovery saw, every source, deployment and requirements file) and
those the configuration is found through (`pyproject.toml` and `.git` in each
starting directory and above).

A whole-run record (`replay`) already skips discovery, facts, model and rules;
this one also skips what is left: argparse, the configuration, msgspec and the
report formats were three quarters of such a run. So this module imports only
`os`, `json`, `sys`, `time`, `digest` (CPython's BLAKE2b), `sources.watch` and
`entry` (the console script's own small helpers).

Recorded: `check` runs that write nothing but their report (no fixes, no
baseline, no stdin buffer, no `--output-file`, cache on), exiting 0 or 1, with
neither stdout nor stderr a terminal (colours, widths and the progress bar
depend on it), into a cache directory the next run finds without reading the
configuration: the one `--cache-dir` or CELERYLINT_CACHE_DIR names, else the
default `<root>/.celerylint_cache`.
"""

from __future__ import annotations

import json
import os
import sys
import time

from celerylint import __version__
from celerylint.digest import content_digest
from celerylint.entry import on_terminal
from celerylint.sources.watch import Watched, unchanged, watch, watch_existence

# Not `typing.TYPE_CHECKING`: importing typing is a tenth of a replayed run.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, TextIO

    from celerylint.check_result import CheckResult
    from celerylint.config import Config

# Bumped when the record's layout or the meaning of its key changes.
FORMAT = 3
CACHE_NAME = ".celerylint_cache"
# Records kept per cache directory (one per distinct command line).
KEEP = 8
# Paths a record's first line repeats, to tell a changed project before decoding the rest.
HEAD = 32
_STARTED = time.perf_counter()
# Variables a shell sets for its own use, never read by celerylint or Python:
# `_` is the path the command was started by (`python -m` or the script).
_SHELL_BOOKKEEPING = frozenset({"_", "OLDPWD", "SHLVL"})


def _key(argv: list[str]) -> str | None:
    """A digest of everything besides files that decides a command's output.

    The whole environment: besides celerylint's own variables (NO_COLOR,
    CELERYLINT_OUTPUT_FORMAT, ...), Python's (PYTHONIOENCODING, the locale)
    change the bytes written. A variable that does not matter costs a miss.
    Only the digest is stored: the environment holds secrets (CI tokens), and
    the cache may be uploaded or shared.
    """
    try:
        cwd = os.getcwd()
    except OSError:
        return None  # the working directory was removed
    material = [FORMAT, __version__, sys.executable, sys.version, cwd, argv]
    environment = [item for item in os.environ.items() if item[0] not in _SHELL_BOOKKEEPING]
    text = json.dumps([*material, sorted(environment)])
    return content_digest(text.encode("utf-8", "surrogatepass"))


def _record_name(key: str) -> str:
    return f"cmd-{key[:16]}.jsonl"


def timings_line(files: int, parsed: int, prefiltered_out: int, started: float) -> str:
    """`--timings`: counts, and the seconds since `started` (perf_counter)."""
    seconds = round(time.perf_counter() - started, 4)
    counts = {"files": files, "parsed": parsed, "prefiltered_out": prefiltered_out}
    return json.dumps({**counts, "seconds": seconds})


class _Record:
    """A recorded command: what it wrote and how it exited (the key and the
    watched paths are checked before one is made)."""

    __slots__ = ("code", "files", "prefiltered_out", "stderr", "stdout", "timings")

    def __init__(self, data: dict[str, object]) -> None:
        """From the decoded file; TypeError or KeyError when it is not a record."""
        stdout, stderr, code = data["stdout"], data["stderr"], data["code"]
        timings, files, prefiltered_out = data["timings"], data["files"], data["prefiltered_out"]
        if not (
            isinstance(stdout, str)
            and isinstance(stderr, str)
            and code in (0, 1)
            and isinstance(timings, bool)
            and isinstance(files, int)
            and isinstance(prefiltered_out, int)
        ):
            raise TypeError("not a record")
        self.stdout, self.stderr, self.code = stdout, stderr, 1 if code else 0
        self.timings, self.files, self.prefiltered_out = timings, files, prefiltered_out


def replay(argv: list[str]) -> int | None:
    """Write the recorded output of this command and return its exit code; None when
    there is no valid record (the CLI then runs)."""
    if on_terminal():
        return None
    key = _key(argv)
    if key is None:
        return None
    record = _find(argv, key)
    if record is None:
        return None
    stderr = record.stderr
    if record.timings:
        stderr += timings_line(record.files, 0, record.prefiltered_out, _STARTED) + "\n"
    from celerylint.entry import emit

    return record.code if emit(record.stdout, stderr) else 2


def _find(argv: list[str], key: str) -> _Record | None:
    """The valid record of this command, if any, in the cache directories it may be in."""
    name = _record_name(key)
    for directory in _cache_directories(argv):
        try:
            file = os.path.join(directory, name)
            with open(file, "rb") as handle:
                raw = handle.read()
        except OSError:
            continue
        return _valid(raw, key, file)
    return None


def _cache_directories(argv: list[str]) -> list[str]:
    """Where this command's record can be, without reading the configuration: the
    directory `--cache-dir DIR` or CELERYLINT_CACHE_DIR names, else the default
    `.celerylint_cache` of the working directory or of one above it (the root).
    A `cache-dir` set in the configuration is not known here: such runs are not
    recorded (`Recorder.save`)."""
    given = [arg.partition("=")[2] for arg in argv if arg.startswith("--cache-dir=")]
    given += [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--cache-dir"]
    explicit = given[-1] if given else os.environ.get("CELERYLINT_CACHE_DIR")
    if explicit:
        return [os.path.abspath(explicit)]
    return [os.path.join(directory, CACHE_NAME) for directory in _up_from(os.getcwd())]


def _up_from(directory: str) -> list[str]:
    """`directory` (absolute) and every directory above it, nearest first."""
    found = [directory]
    while (parent := os.path.dirname(found[-1])) != found[-1]:
        found.append(parent)
    return found


def _valid(raw: bytes, key: str, file: str) -> _Record | None:
    """The record if it is one, of this command, and nothing it watched changed but
    Python files that kept their facts (`command_reuse`: the record is then saved
    with them as they are now).

    Its first line holds the key and the first paths watched (the files given first:
    those a pre-commit run names, and the ones that changed), checked before the rest
    is decoded (half a megabyte on saleor, 1.5 ms) when the record cannot be reused
    anyway. The cache lives inside the repository being linted: anything unexpected
    in it is a miss, never an error.
    """
    header, _, rest = raw.partition(b"\n")
    body, _, reusable = rest.partition(b"\n")
    try:
        head = json.loads(header)
        if not isinstance(head, dict) or head.get("key") != key:
            return None
        if not reusable and not unchanged(head["head"]):
            return None
        data = json.loads(body)
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        record = _Record(data)
        if unchanged(data["watched"]):
            return record
    except (ValueError, TypeError, KeyError):
        return None  # not [[path, mtime, size], ...]
    if not reusable:
        return None
    from celerylint.entry import import_msgspec

    import_msgspec()
    from celerylint.command_reuse import refreshed

    try:
        watched = refreshed(data["watched"], reusable)
    except (ValueError, TypeError):
        return None  # not [[path, mtime, size], ...] after the first change
    if watched is None:
        return None
    # Saved with the files as they are now: the next run replays without parsing.
    from pathlib import Path

    from celerylint.cache import save_record

    data["watched"] = watched
    save_record(Path(file), _record_bytes(data, reusable), "cmd-*.jsonl", KEEP)
    return record


def configuration_watched(starts: list[str], explicit: Path | None) -> list[Watched]:
    """The files the configuration is found through, from each start up: every
    `pyproject.toml` (its content), every `.git` (whether there is one), and
    `--config`. Stat'ed before the configuration is read."""
    directories: dict[str, None] = {}
    for start in map(os.path.abspath, starts):
        directory = start if os.path.isdir(start) else os.path.dirname(start)
        directories.update(dict.fromkeys(_up_from(directory)))
    files = [os.path.join(d, "pyproject.toml") for d in directories]
    explicit_file = [os.path.abspath(explicit)] if explicit is not None else []
    dot_gits = [os.path.join(d, ".git") for d in directories]
    return [*watch([*files, *explicit_file]), *watch_existence(dot_gits)]


class _Tee:
    """A text stream that keeps a copy of what is written through it."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.stream.write(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)  # isatty, flush, encoding, fileno, ...


def _reusable_line(result: CheckResult) -> bytes:
    """The record's third line: what `command_reuse` needs (empty when the run was
    replayed from its own record, or a file name only json can write)."""
    import msgspec

    try:
        return msgspec.json.encode(result.reusable) if result.reusable is not None else b""
    except UnicodeEncodeError:
        return b""


def _record_bytes(record: dict[str, Any], reusable: bytes) -> bytes:
    """A record file: its header (the key and the first paths watched: `_valid`), the
    record, and what reusing it takes (`command_reuse`), a line each."""
    header = _encode({"key": record["key"], "head": record["watched"][:HEAD]})
    return header + b"\n" + _encode(record) + b"\n" + reusable


def _encode(record: dict[str, object]) -> bytes:
    """msgspec is five times faster than json (3 ms on saleor); file names that are not
    UTF-8 hold surrogates, which only json can write (escaped)."""
    import msgspec

    try:
        return msgspec.json.encode(record)
    except UnicodeEncodeError:
        return json.dumps(record).encode()


class Recorder:
    """Copies what a recordable check writes (`with recorder as out:`), and saves it
    for `replay`. Made before the configuration is read: its files are stat'ed then."""

    def __init__(
        self, argv: list[str], paths: list[Path], explicit: Path | None, out: TextIO
    ) -> None:
        self.argv = argv
        self.key = None if on_terminal() else _key(argv)
        starts = [os.getcwd(), *(str(p) for p in paths)] if self.key else []
        self.configuration = configuration_watched(starts, explicit) if self.key else []
        self.stdout = _Tee(out)
        self.stderr = _Tee(sys.stderr)

    def __enter__(self) -> TextIO:
        sys.stderr = self.stderr
        return self.stdout  # type: ignore[return-value]

    def __exit__(self, *exc: object) -> None:
        sys.stderr = self.stderr.stream

    def save(self, config: Config, result: CheckResult, code: int, timings: bool) -> None:
        """Save the record, if the next run can find it (`_cache_directories`)."""
        directory = config.effective_cache_dir
        if (
            self.key is None
            or result.watched is None
            or code not in (0, 1)
            or str(directory) not in _cache_directories(self.argv)
        ):
            return
        watched = [*result.watched, *self.configuration]
        record = {
            "key": self.key,
            "watched": watched,
            "stdout": "".join(self.stdout.parts),
            "stderr": "".join(self.stderr.parts),
            "code": code,
            "timings": timings,
            "files": result.files_checked,
            "prefiltered_out": result.prefiltered_out,
        }
        from celerylint.cache import keep_newest, save_record

        data = _record_bytes(record, _reusable_line(result))
        save_record(directory / _record_name(self.key), data, "cmd-*.jsonl", KEEP)
        keep_newest(directory, "cmd-*.json", 0)  # records of the first format
