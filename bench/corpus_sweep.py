#!/usr/bin/env python
"""Run celerylint over real projects and check that it never crashes or breaks code.

Usage::

    python bench/corpus_sweep.py PATH [PATH ...] [--fix] [--json FILE]

For every project: ``celerylint check --output-format json --exit-zero`` (exit
code, wall time, findings per rule, CL000 parse errors, crashes). With
``--fix``, on a temporary copy: ``celerylint check --fix --unsafe-fixes
--exit-zero``, then every changed .py file must still parse, BOM / line endings
/ permissions must be kept, a second ``--fix`` must change nothing, and a
re-check must report no finding that was not there before.

Exits 1 when anything went wrong (crash, bad exit code, output that is not the
JSON list expected, unparseable or non-idempotent fix output, new findings,
lost BOM / line endings / permissions), 2 when celerylint cannot be run.
See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import ast
import collections
import contextlib
import hashlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from launch import find_celerylint  # bench/ is on sys.path when run as a script

REPO_ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = frozenset({".git", "node_modules", ".venv"})
CACHE_DIRS = frozenset({".celerylint_cache", ".ruff_cache", "__pycache__"})
COPY_IGNORE = (".git", ".hg", ".svn", *CACHE_DIRS)
DEFAULT_TIMEOUT = 1800.0

Snapshot = dict[str, tuple[str, int]]  # relative path -> (sha256, mode)


# --------------------------------------------------------------------------
# running celerylint


@dataclass
class Run:
    cmd: list[str]
    returncode: int
    wall: float
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def traceback(self) -> str | None:
        marker = "Traceback (most recent call last)"
        idx = self.stderr.find(marker)
        return self.stderr[idx:].strip() if idx >= 0 else None


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Run:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: a timeout ends the whole tree
    )
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    return Run(
        cmd=cmd,
        returncode=proc.returncode,
        wall=time.perf_counter() - t0,
        stdout=out.decode("utf-8", "replace"),
        stderr=err.decode("utf-8", "replace"),
        timed_out=timed_out,
    )


# --------------------------------------------------------------------------
# findings


def relative(filename: str, root: Path) -> str:
    path = Path(filename)
    if not path.is_absolute():
        path = root / path
    try:
        return os.path.relpath(os.path.realpath(path), os.path.realpath(root))
    except ValueError:
        return filename


def parse_findings(stdout: str) -> tuple[list[dict[str, Any]] | None, str | None]:
    """The JSON list of diagnostics, or None and why it is not one."""
    try:
        data = json.loads(stdout)
    except ValueError as exc:
        return None, f"not JSON: {exc}; stdout starts {stdout[:200]!r}"
    if not isinstance(data, list):
        return None, f"expected a JSON list, got {type(data).__name__}"
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            return None, f"item {i} is not an object"
        for key in ("code", "filename", "message", "location"):
            if key not in item:
                return None, f"item {i} has no {key!r}: {json.dumps(item)[:200]}"
    return data, None


def finding_key(item: dict[str, Any], root: Path) -> tuple[str, str]:
    return relative(str(item["filename"]), root), str(item["code"])


def rule_label(item: dict[str, Any]) -> str:
    name = item.get("rule")
    return f"{item['code']} {name}" if name else str(item["code"])


# --------------------------------------------------------------------------
# files


def walk_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and d not in CACHE_DIRS)
        found.extend(Path(dirpath, f) for f in sorted(filenames))
    return found


def snapshot(root: Path) -> Snapshot:
    snap: Snapshot = {}
    for path in walk_files(root):
        if path.is_symlink() or not path.is_file():
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        snap[str(path.relative_to(root))] = (digest, path.stat().st_mode & 0o7777)
    return snap


def parses(source: bytes) -> str | None:
    """None if ``source`` parses with ast, else the error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except (SyntaxError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def line_endings(data: bytes) -> tuple[int, int]:
    crlf = data.count(b"\r\n")
    return crlf, data.count(b"\n") - crlf


def fidelity_problems(before: bytes, after: bytes) -> list[str]:
    problems: list[str] = []
    bom = b"\xef\xbb\xbf"
    if before.startswith(bom) != after.startswith(bom):
        problems.append("BOM added" if after.startswith(bom) else "BOM lost")
    crlf_b, lf_b = line_endings(before)
    crlf_a, lf_a = line_endings(after)
    if crlf_b and not lf_b and lf_a:
        problems.append(f"CRLF file now has {lf_a} LF line endings")
    if lf_b and not crlf_b and crlf_a:
        problems.append(f"LF file now has {crlf_a} CRLF line endings")
    return problems


# --------------------------------------------------------------------------
# one project


@dataclass
class Result:
    project: str
    path: str
    py_files: int = 0
    exit_code: int | None = None
    wall: float | None = None
    findings: int | None = None
    by_rule: dict[str, int] = field(default_factory=dict)
    parse_errors: list[str] = field(default_factory=list)  # CL000 "file:row: message"
    fixable: int = 0
    problems: list[str] = field(default_factory=list)  # anything that fails the sweep
    crashed: list[str] = field(default_factory=list)  # which runs crashed
    traceback: str | None = None  # the first crash's
    stderr_tail: str = ""
    # --fix
    fix_exit_code: int | None = None
    fix_wall: float | None = None
    fix_changed: list[str] = field(default_factory=list)
    fix_unparseable: list[str] = field(default_factory=list)
    fix_nonidempotent: list[str] = field(default_factory=list)
    fix_idempotent: bool | None = None  # None: not checked (the first fix failed)
    fix_new_findings: list[str] = field(default_factory=list)
    fix_remaining: int | None = None
    fixed_copy: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def check_run(res: Result, r: Run, what: str, timeout: float) -> list[dict[str, Any]] | None:
    """Record crash / exit / output problems of one run; return its findings."""
    if r.timed_out:
        res.problems.append(f"{what}: timed out after {timeout:.0f} s")
        return None
    tb = r.traceback
    if tb:
        res.crashed.append(what)
        res.traceback = res.traceback or f"[{what}]\n{tb}"
        res.problems.append(f"{what}: crashed (traceback on stderr)")
    if r.returncode != 0:
        res.problems.append(f"{what}: exit code {r.returncode} with --exit-zero")
        tail = "\n".join(r.stderr.strip().splitlines()[-20:])
        res.stderr_tail = res.stderr_tail or f"[{what}]\n{tail}"
    findings, why = parse_findings(r.stdout)
    if findings is None:
        # A crash explains missing output; say it once.
        if not tb and r.returncode == 0:
            res.problems.append(f"{what}: unparseable output ({why})")
        elif not tb:
            res.problems.append(f"{what}: no JSON output ({why})")
    return findings


def sweep_project(
    path: Path, cl: list[str], env: dict[str, str], args: argparse.Namespace
) -> Result:
    root = path.resolve()
    res = Result(project=root.name, path=str(root))
    res.py_files = sum(1 for p in walk_files(root) if p.suffix == ".py")
    base = [*cl, "check", "--output-format", "json", "--exit-zero"]
    if args.no_cache:
        base.append("--no-cache")
    log(f"sweep: {root} ({res.py_files} .py files)")

    r = run([*base, "."], root, env, args.timeout)
    res.exit_code, res.wall = r.returncode, r.wall
    log(f"  check: exit {r.returncode}, {r.wall:.2f} s")
    findings = check_run(res, r, "check", args.timeout)
    if findings is not None:
        res.findings = len(findings)
        res.by_rule = dict(collections.Counter(rule_label(f) for f in findings).most_common())
        res.fixable = sum(1 for f in findings if f.get("fix"))
        for f in findings:
            if f["code"] == "CL000":
                loc = f.get("location") or {}
                rel = relative(str(f["filename"]), root)
                res.parse_errors.append(f"{rel}:{loc.get('row', '?')}: {f['message']}")
    if args.fix and findings is not None:
        sweep_fix(root, res, findings, base, env, args)
    return res


def sweep_fix(
    root: Path,
    res: Result,
    findings: list[dict[str, Any]],
    base: list[str],
    env: dict[str, str],
    args: argparse.Namespace,
) -> None:
    # No "celery" in the temporary path (a path-based prefilter must not see one),
    # but the project's own directory name is kept: it is part of what is checked.
    work = Path(tempfile.mkdtemp(prefix="clsweep-", dir=args.tmpdir))
    copy = work / root.name
    try:
        shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(*COPY_IGNORE))
        fix_cmd = [*base, "--fix", "--unsafe-fixes", "."]
        before = snapshot(copy)

        r = run(fix_cmd, copy, env, args.timeout)
        res.fix_exit_code, res.fix_wall = r.returncode, r.wall
        log(f"  fix: exit {r.returncode}, {r.wall:.2f} s")
        fixed_findings = check_run(res, r, "fix", args.timeout)
        after = snapshot(copy)

        created = sorted(set(after) - set(before))
        deleted = sorted(set(before) - set(after))
        if created:
            res.problems.append(f"fix created files: {created[:10]}")
        if deleted:
            res.problems.append(f"fix deleted files: {deleted[:10]}")
        res.fix_changed = sorted(p for p in before.keys() & after.keys() if before[p] != after[p])
        for rel in res.fix_changed:
            if before[rel][1] != after[rel][1]:
                res.problems.append(
                    f"fix changed permissions of {rel}: "
                    f"{oct(before[rel][1])} -> {oct(after[rel][1])}"
                )
            if not rel.endswith(".py"):
                res.problems.append(f"fix changed a non-Python file: {rel}")
                continue
            new = (copy / rel).read_bytes()
            old = (root / rel).read_bytes()
            error = parses(new)
            if error is not None and parses(old) is None:
                res.fix_unparseable.append(f"{rel}: {error}")
            for problem in fidelity_problems(old, new):
                res.problems.append(f"fix: {rel}: {problem}")
        if res.fix_unparseable:
            res.problems.append(f"fix left {len(res.fix_unparseable)} file(s) unparseable")

        if fixed_findings is None:
            return  # the fix failed: idempotence and re-check would say nothing more

        # A second --fix must change nothing.
        r2 = run(fix_cmd, copy, env, args.timeout)
        log(f"  fix again: exit {r2.returncode}, {r2.wall:.2f} s")
        check_run(res, r2, "second fix", args.timeout)
        again = snapshot(copy)
        res.fix_nonidempotent = sorted(
            p for p in set(after) | set(again) if after.get(p) != again.get(p)
        )
        res.fix_idempotent = not res.fix_nonidempotent
        if res.fix_nonidempotent:
            res.problems.append(
                f"fix is not idempotent: a second run changed {len(res.fix_nonidempotent)} file(s)"
            )

        # Re-check: no (file, code) may have more findings than before the fix.
        r3 = run([*base, "."], copy, env, args.timeout)
        log(f"  re-check: exit {r3.returncode}, {r3.wall:.2f} s")
        after_findings = check_run(res, r3, "re-check", args.timeout)
        if after_findings is not None:
            res.fix_remaining = len(after_findings)
            old_counts = collections.Counter(finding_key(f, root) for f in findings)
            new_counts = collections.Counter(finding_key(f, copy) for f in after_findings)
            for key, n in sorted(new_counts.items()):
                if n > old_counts.get(key, 0):
                    examples = [
                        f"{f['message']} (row {(f.get('location') or {}).get('row')})"
                        for f in after_findings
                        if finding_key(f, copy) == key
                    ]
                    res.fix_new_findings.append(
                        f"{key[0]}: {key[1]} {old_counts.get(key, 0)} -> {n}: {examples[0]}"
                    )
            if res.fix_new_findings:
                res.problems.append(f"fix introduced {len(res.fix_new_findings)} new finding(s)")
    finally:
        if args.keep_fixed:
            res.fixed_copy = str(copy)
        else:
            shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------
# report


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def print_report(results: list[Result], fix: bool, verbose: bool) -> None:
    header = ["project", ".py", "exit", "wall s", "findings", "fixable", "CL000", "crash"]
    if fix:
        header += ["fix exit", "fix s", "changed", "unparseable", "idempotent", "new", "left"]
    header.append("status")
    rows = [header]
    for r in results:
        row = [
            r.project,
            fmt(r.py_files),
            fmt(r.exit_code),
            fmt(r.wall),
            fmt(r.findings),
            fmt(r.fixable),
            fmt(len(r.parse_errors)),
            ",".join(r.crashed) or "no",
        ]
        if fix:
            row += [
                fmt(r.fix_exit_code),
                fmt(r.fix_wall),
                fmt(len(r.fix_changed)),
                fmt(len(r.fix_unparseable)),
                {None: "-", True: "yes", False: "no"}[r.fix_idempotent],
                fmt(len(r.fix_new_findings)),
                fmt(r.fix_remaining),
            ]
        row.append("ok" if r.ok else "FAIL")
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for n, row in enumerate(rows):
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=False))
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))

    limit = None if verbose else 10
    for r in results:
        print(f"\n== {r.project} ({r.path})")
        if r.by_rule:
            print("  findings per rule: " + ", ".join(f"{k}: {v}" for k, v in r.by_rule.items()))
        for title, items in (
            ("CL000 parse errors", r.parse_errors),
            ("problems", r.problems),
            ("unparseable after fix", r.fix_unparseable),
            ("changed by the second fix", r.fix_nonidempotent),
            ("new findings after fix", r.fix_new_findings),
        ):
            if items:
                print(f"  {title} ({len(items)}):")
                for item in items[:limit]:
                    print(f"    {item}")
                if limit is not None and len(items) > limit:
                    print(f"    ... {len(items) - limit} more (--verbose)")
        if r.fix_changed:
            shown = r.fix_changed[:limit]
            more = "" if limit is None or len(r.fix_changed) <= limit else " ..."
            print(f"  changed by fix ({len(r.fix_changed)}): {', '.join(shown)}{more}")
        if r.fixed_copy:
            print(f"  fixed copy kept at {r.fixed_copy}")
        if r.traceback:
            print("  traceback:")
            for line in r.traceback.splitlines()[-25:]:
                print(f"    {line}")
        elif r.stderr_tail:
            print("  stderr:")
            for line in r.stderr_tail.splitlines():
                print(f"    {line}")
    failed = [r.project for r in results if not r.ok]
    print(
        f"\n{len(results) - len(failed)}/{len(results)} projects ok"
        + (f"; FAILED: {', '.join(failed)}" if failed else "")
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="+", help="project checkouts (never modified)")
    p.add_argument("--fix", action="store_true", help="also check --fix on a temporary copy")
    p.add_argument("--celerylint", help="command to run celerylint (default: auto-detect)")
    p.add_argument(
        "--cache",
        dest="no_cache",
        action="store_false",
        help="let celerylint use its cache (default: --no-cache)",
    )
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="per-run timeout (s)")
    p.add_argument("--tmpdir", help="where to put temporary copies (default: system temp)")
    p.add_argument("--keep-fixed", action="store_true", help="keep the fixed copies")
    p.add_argument("--json", metavar="FILE", help="also write all results as JSON to FILE")
    p.add_argument("-v", "--verbose", action="store_true", help="list everything")
    args = p.parse_args(argv)

    cl, env = find_celerylint(args.celerylint)
    if cl is None:
        log("sweep: celerylint not found (no console script, no celerylint/cli.py)")
        return 2
    probe = run([*cl, "--version"], Path.cwd(), env, 120)
    if probe.returncode != 0:
        log(f"sweep: {shlex.join(cl)} --version failed:\n{probe.stderr}")
        return 2
    log(f"sweep: {probe.stdout.strip()} ({shlex.join(cl)})")

    results: list[Result] = []
    for raw in args.paths:
        path = Path(raw)
        if not path.is_dir():
            log(f"sweep: {raw} is not a directory")
            return 2
        results.append(sweep_project(path, cl, env, args))

    print_report(results, args.fix, args.verbose)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "celerylint": probe.stdout.strip(),
                    "results": [asdict(r) | {"ok": r.ok} for r in results],
                },
                indent=2,
            )
            + "\n"
        )
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
