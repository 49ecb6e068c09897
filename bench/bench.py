#!/usr/bin/env python
"""Benchmark celerylint against ruff and naive parse-everything baselines.

Usage::

    python bench/bench.py PATH [--runs N] [--quick] [--json]

Everything runs against a temporary copy of PATH (``.git`` and tool caches
left out), so the checkout is never written to and the "edit one task module"
measurements can modify a file freely. See ``bench/README.md`` for what each
number means.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from launch import find_celerylint  # bench/ is on sys.path when run as a script

REPO_ROOT = Path(__file__).resolve().parent.parent

# Directories the naive baselines (and the file count) never descend into.
SKIP_DIRS = frozenset({".git", "node_modules", ".venv"})
# Left out of the temporary copy: VCS data and caches of the tools measured.
COPY_IGNORE = (".git", ".hg", ".svn", ".celerylint_cache", ".ruff_cache", "__pycache__")

# A module that defines a Celery task: the file the "after edit" runs touch.
TASK_MODULE_RE = re.compile(rb"@shared_task\b|\.task\(|^\s*@\w+\.task\b", re.MULTILINE)

DEFAULT_TIMEOUT = 1800.0

# Runs in a separate interpreter: walks the tree like a naive linter would and
# reads / ast-parses / libcst-parses every .py file. Prints one JSON line.
BASELINE_SCRIPT = r"""
import json, os, random, sys, time

mode, root, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
skip = {".git", "node_modules", ".venv"}
t_import = time.perf_counter()
if mode == "libcst":
    import libcst
    parse = libcst.parse_module
elif mode == "ast":
    import ast
    parse = ast.parse
else:
    def parse(source):
        return source.count(b"celery")
t0 = time.perf_counter()
paths = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames[:] = sorted(d for d in dirnames if d not in skip)
    paths.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".py"))
if limit > 0:
    # a fixed-seed sample so a partial run extrapolates fairly
    random.Random(0).shuffle(paths)
parsed = errors = 0
nbytes = 0
limited = False
for path in paths:
    if limit > 0 and time.perf_counter() - t0 >= limit:
        limited = True
        break
    with open(path, "rb") as fh:
        source = fh.read()
    nbytes += len(source)
    try:
        parse(source)
    except Exception:
        errors += 1
    parsed += 1
elapsed = time.perf_counter() - t0
print(json.dumps({
    "mode": mode, "files_total": len(paths), "files_done": parsed, "errors": errors,
    "bytes_done": nbytes, "seconds": elapsed, "import_seconds": t0 - t_import,
    "limited": limited,
}))
"""


# --------------------------------------------------------------------------
# running one command


@dataclass
class RunResult:
    wall: float
    cpu: float  # user + system seconds of the process and its reaped children
    maxrss_kib: int  # largest single process in the tree (wait4 ru_maxrss)
    returncode: int
    stdout: str = ""
    stderr: str = ""
    tree_rss_peak_kib: int | None = None  # sampled sum over the process tree
    timed_out: bool = False


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    kids.extend(int(k) for k in fh.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return kids


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            resident = int(fh.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return resident * (os.sysconf("SC_PAGE_SIZE") // 1024)


class TreeRssSampler:
    """Polls /proc for the summed RSS of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            total = 0
            todo = [self.pid]
            seen: set[int] = set()
            while todo:
                pid = todo.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                total += _rss_kib(pid)
                todo.extend(_children(pid))
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(self.interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak_kib


def run_once(
    cmd: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    *,
    capture_stdout: bool = False,
    sample_rss: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> RunResult:
    """Run ``cmd`` to completion and measure wall time, CPU time and memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out if capture_stdout else subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # its own process group, so a timeout can end the tree
        )
        timed_out = threading.Event()

        def _kill() -> None:
            timed_out.set()
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, 9)

        timer = threading.Timer(timeout, _kill)
        timer.start()
        sampler = TreeRssSampler(proc.pid) if sample_rss else None
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        tree_peak = sampler.stop() if sampler is not None else None
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace") if capture_stdout else ""
        stderr = err.read().decode("utf-8", "replace")
    return RunResult(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        maxrss_kib=usage.ru_maxrss,
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        tree_rss_peak_kib=tree_peak,
        timed_out=timed_out.is_set(),
    )


# --------------------------------------------------------------------------
# measurements


@dataclass
class Measurement:
    name: str
    cmd: list[str]
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    returncodes: list[int] = field(default_factory=list)
    error: str | None = None
    note: str = ""
    timings: dict[str, Any] | None = None  # celerylint --timings JSON (last run)

    def add(self, r: RunResult, ok_codes: tuple[int, ...], timeout: float) -> bool:
        """Record one run; False (and `error` set) when it failed or timed out."""
        self.returncodes.append(r.returncode)
        if r.timed_out:
            self.error = f"timed out after {timeout:.0f} s"
            return False
        if r.returncode not in ok_codes:
            self.error = f"exit {r.returncode}: {tail(r.stderr, 5)}"
            return False
        self.walls.append(r.wall)
        self.cpus.append(r.cpu)
        self.timings = parse_timings(r.stderr) or self.timings
        return True

    @property
    def median(self) -> float | None:
        return statistics.median(self.walls) if self.walls and not self.error else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["median"] = self.median
        data["min"] = min(self.walls) if self.walls else None
        data["max"] = max(self.walls) if self.walls else None
        data["cpu_median"] = statistics.median(self.cpus) if self.cpus else None
        return data


def parse_timings(stderr: str) -> dict[str, Any] | None:
    """The last stderr line that is a JSON object with a "files" key."""
    for line in reversed(stderr.splitlines()):
        line = line.strip()
        if not (line.startswith("{") and line.endswith("}")):
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and "files" in data:
            return data
    return None


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def measure(
    name: str,
    cmd: list[str],
    cwd: Path,
    runs: int,
    *,
    env: dict[str, str] | None = None,
    setup: Callable[[int], None] | None = None,
    teardown: Callable[[int], None] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    ok_codes: tuple[int, ...] = (0,),
    note: str = "",
    warmup: int = 0,
) -> Measurement:
    m = Measurement(name=name, cmd=cmd, note=note)
    log(f"  {name}: {shlex.join(cmd)}")
    for i in range(warmup):  # unmeasured: page cache, the tool's own .pyc files
        if setup is not None:
            setup(-1 - i)
        try:
            run_once(cmd, cwd, env, timeout=timeout)
        finally:
            if teardown is not None:
                teardown(-1 - i)
    for i in range(runs):
        if setup is not None:
            setup(i)
        try:
            r = run_once(cmd, cwd, env, timeout=timeout)
        finally:
            if teardown is not None:
                teardown(i)
        if not m.add(r, ok_codes, timeout):
            break
        log(f"    run {i + 1}/{runs}: {r.wall:.3f} s (cpu {r.cpu:.2f} s)")
    return m


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# the tree under test


def walk_py(root: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        found.extend(Path(dirpath, f) for f in sorted(filenames) if f.endswith(".py"))
    return found


def pick_task_module(root: Path, files: list[Path], override: str | None = None) -> Path | None:
    """The module the "after edit" runs touch: deterministic, a real task module.

    Candidates define a task (``@shared_task``, ``.task(``, ``@<app>.task``);
    preferred are files outside hidden and test directories, named ``tasks.py``.
    """
    if override:
        path = root / override
        if not path.is_file():
            raise SystemExit(f"bench: --edit-file {override} is not a file under the project")
        return path
    candidates: list[Path] = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if TASK_MODULE_RE.search(data):
            candidates.append(path)

    def rank(p: Path) -> tuple[bool, bool, bool, str]:
        parts = p.relative_to(root).parts
        hidden = any(part.startswith(".") for part in parts)
        test = any(part.startswith(("test", "conftest")) or part == "t" for part in parts)
        return hidden, test, p.name != "tasks.py", str(p.relative_to(root))

    return min(candidates, key=rank) if candidates else None


class FileEditor:
    """Adds a unique comment line to one file and restores it afterwards: appended
    (`edit`: nothing celerylint reads moves) or first (`edit_above`: every line below
    moves, so the file's facts change and the model and rules run again)."""

    counter = 0

    def __init__(self, path: Path) -> None:
        self.path = path
        self.original = path.read_bytes()
        self.newline = b"\r\n" if b"\r\n" in self.original else b"\n"

    def _stamp(self) -> bytes:
        FileEditor.counter += 1
        stamp = f"# celerylint-bench edit {FileEditor.counter} {time.time_ns()}"
        return stamp.encode() + self.newline

    def edit(self, _run: int = 0) -> None:
        data = self.original
        if data and not data.endswith(b"\n"):
            data += self.newline
        self.path.write_bytes(data + self._stamp())

    def edit_above(self, _run: int = 0) -> None:
        self.path.write_bytes(self._stamp() + self.original)

    def restore(self, _run: int = 0) -> None:
        self.path.write_bytes(self.original)

    def restorer(
        self, cmd: list[str], cwd: Path, env: dict[str, str] | None
    ) -> Callable[[int], None]:
        """A teardown: restore the file, then an unmeasured run re-settles the cache."""

        def teardown(_run: int) -> None:
            self.restore()
            run_once(cmd, cwd, env)

        return teardown


# --------------------------------------------------------------------------
# tools


def measure_alternating(
    tools: list[tuple[str, list[str], dict[str, str] | None]], cwd: Path, runs: int
) -> list[Measurement]:
    """Cold runs of each tool in turn, `runs` rounds: this VM's speed drifts by 10-20 %
    over a minute, and a drift between two blocks of runs is not a difference."""
    found = [Measurement(name=f"{name} cold, alternating", cmd=cmd) for name, cmd, _ in tools]
    log(f"  cold, alternating: {', '.join(name for name, _, _ in tools)}")
    for _ in range(runs):
        for (_name, cmd, env), m in zip(tools, found, strict=True):
            m.add(run_once(cmd, cwd, env), (0, 1), DEFAULT_TIMEOUT)
    return found


def measure_with_daemon(
    label: str,
    cl: list[str],
    check_cmd: Callable[..., list[str]],
    cl_env: dict[str, str] | None,
    copy: Path,
    work: Path,
    editor: FileEditor,
    ok: tuple[int, ...],
    runs: int,
) -> list[Measurement]:
    """The warm and pre-commit runs again, answered by `celerylint daemon` (started
    first, stopped after; in a runtime directory of the bench's own)."""
    runtime = Path(tempfile.mkdtemp(prefix="clb-"))  # short: a socket path has 107 bytes
    env = {**(cl_env or os.environ), "XDG_RUNTIME_DIR": str(runtime)}
    cache_args = ["--cache-dir", str(work / (label.replace(" ", "-") + "-cache"))]
    warm_cmd = check_cmd(*cache_args)
    rel = str(editor.path.relative_to(copy))
    found: list[Measurement] = []
    started = run_once([*cl, "daemon", "start"], copy, env)
    try:
        if started.returncode != 0:
            log(f"bench: {label} daemon did not start: {tail(started.stderr, 3)}")
            return found
        run_once(warm_cmd, copy, env)  # the daemon's first run imports everything
        resettle = editor.restorer(warm_cmd, copy, env)
        found.append(measure(f"{label} warm, daemon", warm_cmd, copy, runs, env=env, ok_codes=ok))
        found.append(
            measure(
                f"{label} warm, edited file as argument (pre-commit), daemon",
                check_cmd(*cache_args, target_path=rel),
                copy,
                runs,
                env=env,
                ok_codes=ok,
                setup=editor.edit,
                teardown=resettle,
            )
        )
    finally:
        run_once([*cl, "daemon", "stop"], copy, env)
        shutil.rmtree(runtime, ignore_errors=True)
    return found


def find_ruff(override: str | None) -> list[str] | None:
    if override:
        return shlex.split(override)
    script = Path(sys.executable).parent / "ruff"
    if script.exists():
        return [str(script)]
    found = shutil.which("ruff")
    return [found] if found else None


def tool_version(cmd: list[str], cwd: Path, env: dict[str, str] | None) -> str | None:
    try:
        r = run_once([*cmd, "--version"], cwd, env, capture_stdout=True, timeout=120)
    except OSError:
        return None
    if r.returncode != 0:
        return None
    return (r.stdout.strip() or r.stderr.strip()).splitlines()[0] if r.stdout or r.stderr else ""


def help_text(cmd: list[str], cwd: Path, env: dict[str, str] | None) -> str:
    r = run_once([*cmd, "check", "--help"], cwd, env, capture_stdout=True, timeout=120)
    return r.stdout + r.stderr if r.returncode == 0 else ""


def has_flag(help_: str, flag: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", help_) is not None


# --------------------------------------------------------------------------
# the benchmark


def run_baseline(
    mode: str, copy: Path, runs: int, limit: float, timeout: float
) -> tuple[Measurement, dict[str, Any] | None]:
    cmd = [sys.executable, "-c", BASELINE_SCRIPT, mode, ".", str(limit)]
    name = f"naive {mode} baseline"
    m = Measurement(name=name, cmd=[sys.executable, "-c", "<baseline>", mode, ".", str(limit)])
    log(f"  {name} (limit {limit:g} s)" if limit > 0 else f"  {name}")
    info: dict[str, Any] | None = None
    for i in range(runs):
        r = run_once(cmd, copy, capture_stdout=True, timeout=timeout)
        m.returncodes.append(r.returncode)
        if r.returncode != 0 or r.timed_out:
            m.error = "timed out" if r.timed_out else f"exit {r.returncode}: {tail(r.stderr, 5)}"
            break
        info = json.loads(r.stdout.strip().splitlines()[-1])
        if info["limited"] and info["files_done"]:
            # Extrapolate the parse loop by file count; keep the fixed startup cost.
            loop = info["seconds"] * info["files_total"] / info["files_done"]
            wall = r.wall - info["seconds"] + loop
            cpu = r.cpu - info["seconds"] + loop
            m.note = (
                f"extrapolated from {info['files_done']}/{info['files_total']} files "
                f"({info['seconds']:.1f} s)"
            )
        else:
            wall, cpu = r.wall, r.cpu
        if info["errors"]:
            m.note = (m.note + "; " if m.note else "") + f"{info['errors']} files failed to parse"
        m.walls.append(wall)
        m.cpus.append(cpu)
        log(f"    run {i + 1}/{runs}: {wall:.3f} s {m.note}")
    return m, info


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def build_tree(src: Path, work: Path, copies: int) -> Path:
    """The tree under test: `src` itself, or `copies` copies of it side by side,
    made a git repository as a checkout is one (see `make_repository`)."""
    ignore = shutil.ignore_patterns(*COPY_IGNORE)
    if copies == 1:
        tree = work / "project"
        shutil.copytree(src, tree, symlinks=True, ignore=ignore)
    else:
        tree = work / f"x{copies}"
        for n in range(copies):
            shutil.copytree(src, tree / f"copy{n + 1}", symlinks=True, ignore=ignore)
    make_repository(tree)
    return tree


# Runs whose peak memory is measured, per tool: one run's peak varies by up to 1 MiB
# (at 4x saleor, 35.1 to 36.2 MiB for celerylint, 35.5 to 37.2 for ruff), so the
# median of a few is compared.
MEMORY_RUNS = 3


def memory_of(
    cmd: list[str], cwd: Path, env: dict[str, str] | None, setup: Callable[[], None] | None = None
) -> dict[str, Any]:
    """The median of `MEMORY_RUNS` runs' largest process (`ru_maxrss`), each run's, and the
    highest sampled sum over a run's process tree."""
    found = []
    for _ in range(MEMORY_RUNS):
        if setup is not None:
            setup()
        found.append(run_once(cmd, cwd, env, sample_rss=True))
    peaks = [r.maxrss_kib for r in found]
    sums = [r.tree_rss_peak_kib for r in found if r.tree_rss_peak_kib is not None]
    return {
        "maxrss_kib": sorted(peaks)[len(peaks) // 2],
        "maxrss_runs_kib": peaks,
        "tree_rss_peak_kib": max(sums) if sums else None,
    }


def make_repository(tree: Path) -> None:
    """`git init` (nothing committed; an empty `.git` without git). Both tools decide
    things by it: celerylint the project root of a run on one file (pre-commit
    passes files: without a repository, `check saleor/account/tasks.py` took the
    file's directory for the project, 160 files instead of 4,300), ruff whether
    `.gitignore` files apply."""
    git = shutil.which("git")
    if git is not None:
        subprocess.run([git, "init", "-q", str(tree)], check=False, capture_output=True)
    (tree / ".git").mkdir(exist_ok=True)


def benchmark(args: argparse.Namespace, copies: int = 1) -> dict[str, Any]:
    """Every measurement on `args.path` (copies > 1: cold and warm only, on that many copies)."""
    src = Path(args.path).resolve()
    if not src.is_dir():
        raise SystemExit(f"bench: {src} is not a directory")
    skip = set(args.skip or ())
    scaled = copies > 1
    if scaled:
        skip |= {"baseline"}
    runs = max(1, args.runs)
    baseline_limit = args.baseline_limit
    if baseline_limit is None:
        baseline_limit = 10.0 if args.quick else 0.0

    results: dict[str, Any] = {
        "path": str(src),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "runs": runs,
        "copies": copies,
    }
    measurements: list[Measurement] = []

    # No "celery" in the temporary path: a path-based prefilter must not see one.
    work = Path(tempfile.mkdtemp(prefix="clbench-", dir=args.tmpdir))
    try:
        log(f"bench: copying {src} ({copies}x) -> {work}")
        t0 = time.perf_counter()
        copy = build_tree(src, work, copies)
        os.sync()  # the copy's writeback must not overlap the first timed runs
        log(f"bench: copied in {time.perf_counter() - t0:.1f} s")
        warm = max(0, args.warmup)
        files = walk_py(copy)
        lines = sum(p.read_bytes().count(b"\n") for p in files if p.is_file())
        results["files"] = len(files)
        results["lines"] = lines
        log(f"bench: {len(files)} .py files, {lines} lines")

        target = None if scaled else pick_task_module(copy, files, args.edit_file)
        editor = FileEditor(target) if target is not None else None
        results["edited_file"] = str(target.relative_to(copy)) if target else None
        if target is None and not scaled:
            log("bench: no task module found (@shared_task / .task(): edit runs skipped")

        # ---------------------------------------------------------------- ruff
        ruff_cold_cmd: list[str] | None = None
        ruff = find_ruff(args.ruff) if "ruff" not in skip else None
        results["ruff_version"] = tool_version(ruff, copy, None) if ruff else None
        if ruff and results["ruff_version"] is not None:
            log(f"bench: {results['ruff_version']}")
            ruff_cache = work / "ruff-cache"
            # The project's own configuration (not --isolated: that renders ruff's
            # defaults' thousands of findings), concise output to /dev/null.
            base = [*ruff, "check", "--exit-zero", "--output-format", "concise"]

            def wipe_ruff(_run: int = 0) -> None:
                shutil.rmtree(ruff_cache, ignore_errors=True)

            warm_cmd = [*base, "--cache-dir", str(ruff_cache), "."]
            ruff_cold_cmd = [*base, "--no-cache", "."]
            measurements.append(
                measure("ruff cold (--no-cache)", ruff_cold_cmd, copy, runs, warmup=warm)
            )
            measurements.append(
                measure("ruff cold (cache written)", warm_cmd, copy, runs, setup=wipe_ruff)
            )
            wipe_ruff()
            run_once(warm_cmd, copy)  # populate
            measurements.append(measure("ruff warm", warm_cmd, copy, runs))
            if editor is not None:
                measurements.append(
                    measure(
                        "ruff warm, one task module edited",
                        warm_cmd,
                        copy,
                        runs,
                        setup=editor.edit,
                        teardown=editor.restorer(warm_cmd, copy, None),
                    )
                )
                rel = str(target.relative_to(copy)) if target is not None else "."
                measurements.append(
                    measure(
                        "ruff warm, edited file as argument",
                        [*base, "--cache-dir", str(ruff_cache), rel],
                        copy,
                        runs,
                        setup=editor.edit,
                        teardown=editor.restorer(warm_cmd, copy, None),
                    )
                )
            results["ruff_memory"] = memory_of([*base, "--no-cache", "."], copy, None)
        elif "ruff" not in skip:
            log("bench: ruff not found; ruff measurements skipped")

        # ---------------------------------------------------------- celerylint
        tools = [("celerylint", args.celerylint)]
        if args.celerylint_old:
            tools.append(("old celerylint", args.celerylint_old))

        def measure_celerylint(label: str, command: str | None) -> None:
            cl, cl_env = (None, None) if "celerylint" in skip else find_celerylint(command)
            cl_version = tool_version(cl, copy, cl_env) if cl else None
            results[f"{label}_version"] = cl_version
            results[f"{label}_timings"] = None
            if cl and cl_version is not None:
                log(f"bench: {label} {cl_version} ({shlex.join(cl)})")
                help_ = help_text(cl, copy, cl_env)
                features = {
                    f: has_flag(help_, f)
                    for f in (
                        "--no-cache",
                        "--cache-dir",
                        "--exit-zero",
                        "--timings",
                        "-q",
                        "--output-format",
                        "--daemon",
                    )
                }
                results[f"{label}_features"] = features
                cl_cache = work / (label.replace(" ", "-") + "-cache")
                cache_args = ["--cache-dir", str(cl_cache)] if features["--cache-dir"] else []

                def wipe_cl(_run: int = 0) -> None:
                    shutil.rmtree(cl_cache, ignore_errors=True)
                    shutil.rmtree(copy / ".celerylint_cache", ignore_errors=True)

                def check_cmd(*extra: str, target_path: str = ".") -> list[str]:
                    cmd = [*cl, "check"]
                    if features["--exit-zero"]:
                        cmd.append("--exit-zero")
                    if features["-q"] and args.quiet:
                        cmd.append("-q")
                    if features["--timings"]:
                        cmd.append("--timings")
                    if features["--output-format"]:  # as ruff: one line per finding
                        cmd += ["--output-format", "concise"]
                    return [*cmd, *extra, target_path]

                ok = (0,) if features["--exit-zero"] else (0, 1)

                def cl_measure(name: str, cmd: list[str], **kw: Any) -> Measurement:
                    return measure(name, cmd, copy, runs, env=cl_env, ok_codes=ok, **kw)

                if not scaled:
                    measurements.append(
                        measure(
                            f"{label} --version",
                            [*cl, "--version"],
                            copy,
                            runs,
                            env=cl_env,
                            warmup=warm,
                        )
                    )
                if not scaled:
                    measurements.append(
                        measure(
                            f"{label} rule CL101",
                            [*cl, "rule", "CL101"],
                            copy,
                            runs,
                            env=cl_env,
                            warmup=warm,
                        )
                    )
                if features["--no-cache"]:
                    cold = cl_measure(
                        f"{label} cold (--no-cache)", check_cmd("--no-cache"), warmup=warm
                    )
                else:
                    cold = cl_measure(
                        f"{label} cold (--no-cache)",
                        check_cmd(*cache_args),
                        setup=wipe_cl,
                        note="no --no-cache flag: cache wiped instead",
                    )
                measurements.append(cold)
                results[f"{label}_timings"] = cold.timings
                if label == "celerylint" and ruff_cold_cmd is not None and features["--no-cache"]:
                    measurements.extend(
                        measure_alternating(
                            [
                                ("ruff", ruff_cold_cmd, None),
                                (label, check_cmd("--no-cache"), cl_env),
                            ],
                            copy,
                            runs,
                        )
                    )
                warm_cmd = check_cmd(*cache_args)
                measurements.append(
                    cl_measure(f"{label} cold (cache written)", warm_cmd, setup=wipe_cl)
                )
                wipe_cl()
                run_once(warm_cmd, copy, cl_env)  # populate
                measurements.append(cl_measure(f"{label} warm", warm_cmd))
                if editor is not None and target is not None:
                    resettle = editor.restorer(warm_cmd, copy, cl_env)
                    measurements.append(
                        cl_measure(
                            f"{label} warm, one task module edited",
                            warm_cmd,
                            setup=editor.edit,
                            teardown=resettle,
                        )
                    )
                    rel = str(target.relative_to(copy))
                    # Re-settled by the same command: each run's record is per scope, and
                    # the next run must start from the file's original facts, not from
                    # the last edit's (two edits above the code move it alike).
                    pre_commit_cmd = check_cmd(*cache_args, target_path=rel)
                    resettle_scope = editor.restorer(pre_commit_cmd, copy, cl_env)
                    measurements.append(
                        cl_measure(
                            f"{label} warm, edited file as argument (pre-commit)",
                            pre_commit_cmd,
                            setup=editor.edit,
                            teardown=resettle_scope,
                            warmup=1,
                        )
                    )
                    measurements.append(
                        cl_measure(
                            f"{label} warm, edited file as argument (pre-commit), lines moved",
                            pre_commit_cmd,
                            setup=editor.edit_above,
                            teardown=resettle_scope,
                            warmup=1,
                        )
                    )
                if features["--daemon"] and editor is not None and target is not None:
                    measurements.extend(
                        measure_with_daemon(
                            label, cl, check_cmd, cl_env, copy, work, editor, ok, runs
                        )
                    )
                cold_cmd = check_cmd("--no-cache") if features["--no-cache"] else warm_cmd
                results[f"{label}_memory"] = memory_of(cold_cmd, copy, cl_env, wipe_cl)
            elif "celerylint" not in skip:
                log(f"bench: {label} not available (no console script, no celerylint/cli.py)")

        for label, command in tools:
            measure_celerylint(label, command)

        # ----------------------------------------------------------- baselines
        baseline_info: dict[str, Any] = {}
        for mode in ("read", "ast", "libcst"):
            if mode in skip or "baseline" in skip:
                continue
            limit = 0.0 if mode == "read" else baseline_limit
            m, info = run_baseline(mode, copy, args.baseline_runs, limit, args.timeout)
            measurements.append(m)
            baseline_info[mode] = info
        results["baselines"] = baseline_info
    finally:
        shutil.rmtree(work, ignore_errors=True)

    by_name = {m.name: m.median for m in measurements}
    files_n = results["files"]
    cl_cold = by_name.get("celerylint cold (--no-cache)")
    results["measurements"] = [m.to_json() for m in measurements]
    results["ratios"] = {
        "celerylint-cold / ruff-cold": ratio(cl_cold, by_name.get("ruff cold (--no-cache)")),
        "celerylint-cold / ruff-cold, alternating": ratio(
            by_name.get("celerylint cold, alternating"), by_name.get("ruff cold, alternating")
        ),
        "celerylint-warm / ruff-warm": ratio(
            by_name.get("celerylint warm"), by_name.get("ruff warm")
        ),
        "celerylint-warm-after-edit / ruff-warm": ratio(
            by_name.get("celerylint warm, one task module edited"), by_name.get("ruff warm")
        ),
        "celerylint-pre-commit / ruff-warm": ratio(
            by_name.get("celerylint warm, edited file as argument (pre-commit)"),
            by_name.get("ruff warm"),
        ),
        "celerylint-pre-commit-lines-moved / ruff-warm": ratio(
            by_name.get("celerylint warm, edited file as argument (pre-commit), lines moved"),
            by_name.get("ruff warm"),
        ),
        "celerylint-pre-commit-daemon / ruff-warm": ratio(
            by_name.get("celerylint warm, edited file as argument (pre-commit), daemon"),
            by_name.get("ruff warm"),
        ),
        "celerylint-warm-daemon / ruff-warm": ratio(
            by_name.get("celerylint warm, daemon"), by_name.get("ruff warm")
        ),
        "celerylint-pre-commit / ruff-warm-same-file": ratio(
            by_name.get("celerylint warm, edited file as argument (pre-commit)"),
            by_name.get("ruff warm, edited file as argument"),
        ),
        "celerylint-cold / libcst-baseline": ratio(cl_cold, by_name.get("naive libcst baseline")),
        "celerylint-cold / ast-baseline": ratio(cl_cold, by_name.get("naive ast baseline")),
    }
    results["files_per_second"] = {
        "celerylint cold": ratio(files_n, cl_cold),
        "ruff cold": ratio(files_n, by_name.get("ruff cold (--no-cache)")),
        "naive libcst baseline": ratio(files_n, by_name.get("naive libcst baseline")),
    }
    timings = results.get("celerylint_timings")
    results["prefiltered_out"] = timings.get("prefiltered_out") if timings else None
    return results


# --------------------------------------------------------------------------
# output


def fmt_s(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def fmt_x(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}x"


def fmt_mib(kib: int | None) -> str:
    return "n/a" if not kib else f"{kib / 1024:.1f} MiB"


def print_table(res: dict[str, Any]) -> None:
    out = sys.stdout
    print(f"path:   {res['path']} ({res['copies']}x)", file=out)
    print(
        f"files:  {res['files']} .py ({res['lines']} lines); cpus {res['cpus']}; "
        f"python {res['python']}; runs {res['runs']} (median)",
        file=out,
    )
    print(f"ruff:   {res.get('ruff_version') or 'n/a'}", file=out)
    print(f"celerylint: {res.get('celerylint_version') or 'n/a'}", file=out)
    if res.get("old celerylint_version"):
        print(f"old celerylint: {res['old celerylint_version']}", file=out)
    print(f"edited: {res.get('edited_file') or 'n/a'}", file=out)
    print(file=out)
    rows = [("measurement", "median s", "min s", "max s", "cpu s", "note")]
    for m in res["measurements"]:
        note = m["error"] or m["note"] or ""
        rows.append(
            (
                m["name"],
                fmt_s(m["median"]),
                fmt_s(m["min"]),
                fmt_s(m["max"]),
                fmt_s(m["cpu_median"]),
                note.replace("\n", " ")[:80],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in range(1, 5)]
        print("  ".join(cells) + ("  " + row[5] if row[5] else ""), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)
    print(file=out)
    print("ratios (lower is better for celerylint):", file=out)
    for k, v in res["ratios"].items():
        print(f"  {k:42} {fmt_x(v)}", file=out)
    print("files/s:", file=out)
    for k, v in res["files_per_second"].items():
        print(f"  {k:42} {'n/a' if v is None else f'{v:,.0f}'}", file=out)
    print(
        f"memory (largest process, median of {MEMORY_RUNS} runs / highest sampled sum over "
        "the process tree):",
        file=out,
    )
    for tool in ("celerylint", "old celerylint", "ruff"):
        if tool == "old celerylint" and f"{tool}_memory" not in res:
            continue
        mem = res.get(f"{tool}_memory")
        if mem:
            runs = ", ".join(fmt_mib(kib) for kib in mem.get("maxrss_runs_kib", ()))
            print(
                f"  {tool + ' cold':42} {fmt_mib(mem['maxrss_kib'])} / "
                f"{fmt_mib(mem['tree_rss_peak_kib'])}" + (f"  (runs: {runs})" if runs else ""),
                file=out,
            )
        else:
            print(f"  {tool + ' cold':42} n/a", file=out)
    pre = res.get("prefiltered_out")
    timings = res.get("celerylint_timings")
    print(f"prefiltered out: {'n/a' if pre is None else pre}", file=out)
    if timings:
        print(f"celerylint --timings: {json.dumps(timings, sort_keys=True)}", file=out)


# Issue targets: (name, limit). A ratio is celerylint / ruff; seconds are absolute.
SCALING_TOLERANCE = 1.10  # "no worse at Nx than at 1x", with room for run-to-run noise


def check_targets(res: dict[str, Any], scaled: dict[str, Any] | None, many: bool) -> list[Target]:
    ratios = res["ratios"]
    by_name = {m["name"]: m["median"] for m in res["measurements"]}
    targets = [
        Target("cold / ruff cold", ratios["celerylint-cold / ruff-cold"], 1.2 if many else 1.0),
        Target(
            "cold / ruff cold, alternating runs",
            ratios["celerylint-cold / ruff-cold, alternating"],
            1.2 if many else 1.0,
        ),
        Target("warm / ruff warm", ratios["celerylint-warm / ruff-warm"], 1.5),
        Target(
            "pre-commit / ruff warm (project)", ratios["celerylint-pre-commit / ruff-warm"], 2.0
        ),
        Target(
            "pre-commit, daemon / ruff warm (project)",
            ratios["celerylint-pre-commit-daemon / ruff-warm"],
            2.0,
        ),
        Target("--version (s)", by_name.get("celerylint --version"), 0.05),
        Target("rule CL101 (s)", by_name.get("celerylint rule CL101"), 0.05),
    ]
    targets.extend(_memory_target("largest process RSS / ruff's", res))
    if scaled is not None:
        n = scaled["copies"]
        targets.extend(_memory_target(f"largest process RSS / ruff's at {n}x", scaled))
        for key, label in (
            ("celerylint-cold / ruff-cold", "cold"),
            ("celerylint-warm / ruff-warm", "warm"),
        ):
            base = ratios[key]
            limit = None if base is None else base * SCALING_TOLERANCE
            targets.append(
                Target(f"{label} ratio at {n}x (<= 1x ratio +10%)", scaled["ratios"][key], limit)
            )
    return targets


def _memory_target(name: str, res: dict[str, Any]) -> list[Target]:
    """Peak RSS of the largest process, celerylint's over ruff's: "on the same tree"."""
    cl_mem, ruff_mem = res.get("celerylint_memory"), res.get("ruff_memory")
    if not (cl_mem and ruff_mem):
        return []
    return [Target(name, ratio(cl_mem["maxrss_kib"], ruff_mem["maxrss_kib"]), 1.0)]


@dataclass
class Target:
    name: str
    value: float | None
    limit: float | None

    @property
    def met(self) -> bool | None:
        if self.value is None or self.limit is None:
            return None
        return self.value <= self.limit


def print_targets(targets: list[Target]) -> None:
    print("targets:")
    for t in targets:
        verdict = {True: "ok", False: "MISSED", None: "n/a"}[t.met]
        value = "n/a" if t.value is None else f"{t.value:.3f}"
        limit = "n/a" if t.limit is None else f"{t.limit:.3f}"
        print(f"  {t.name:44} {value:>8} <= {limit:<8} {verdict}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("path", help="project checkout to benchmark (never modified)")
    p.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    p.add_argument(
        "--baseline-runs", type=int, default=1, help="runs of each naive baseline (default 1)"
    )
    p.add_argument(
        "--baseline-limit",
        type=float,
        default=None,
        help="stop the ast/libcst baselines after N seconds and extrapolate by file count",
    )
    p.add_argument("--quick", action="store_true", help="--baseline-limit 10 unless given")
    p.add_argument(
        "--skip",
        action="append",
        choices=("ruff", "celerylint", "baseline", "read", "ast", "libcst"),
        help="leave a group of measurements out (repeatable)",
    )
    p.add_argument("--celerylint", help="command to run celerylint (default: auto-detect)")
    p.add_argument(
        "--celerylint-old",
        help="a second celerylint command measured in the same run (e.g. the main branch)",
    )
    p.add_argument("--ruff", help="command to run ruff (default: next to python, then PATH)")
    p.add_argument(
        "--edit-file", help="file (relative to PATH) the edit runs modify (default: auto)"
    )
    p.add_argument("--quiet", action="store_true", help="pass -q to celerylint if supported")
    p.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="unmeasured runs before the cold --no-cache series (default 1)",
    )
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="per-run timeout (s)")
    p.add_argument("--tmpdir", help="where to put the temporary copy (default: system temp)")
    p.add_argument("--json", action="store_true", help="print all results as JSON")
    p.add_argument(
        "--scale",
        type=int,
        default=4,
        help="also measure cold and warm on N copies side by side (default 4; 1: not)",
    )
    p.add_argument(
        "--many",
        action="store_true",
        help="PATH is a directory of projects (cold target 1.2x ruff instead of 1.0x)",
    )
    args = p.parse_args(argv)
    res = benchmark(args)
    scaled = benchmark(args, copies=args.scale) if args.scale > 1 else None
    targets = check_targets(res, scaled, args.many)
    if args.json:
        res["scaled"] = scaled
        res["targets"] = [asdict(t) | {"met": t.met} for t in targets]
        json.dump(res, sys.stdout, indent=2)
        print()
    else:
        print_table(res)
        if scaled is not None:
            print()
            print_table(scaled)
        print()
        print_targets(targets)
    failed = any(m["error"] for m in res["measurements"])
    missed = any(t.met is False for t in targets)
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main())
