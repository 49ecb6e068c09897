"""Bad input gives a diagnostic, never a traceback; the rest of the project is still analyzed.

Every test builds a project holding one hostile file next to a celery module
with a known finding (CL101 on `accept_content`), runs the command line, and
checks both: the hostile file's outcome and that the sibling was still linted.
The last part covers syntax newer than the running Python (`facts.syntax`).
"""

from __future__ import annotations

import ast
import builtins
import errno
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from celerylint.cli import main
from celerylint.facts import extract_source
from celerylint.facts.lowering_positions import apply_edits
from celerylint.facts.syntax import (
    MAX_CHAIN,
    MAX_CHARS,
    Feature,
    Lowering,
    lower,
    lower_source,
    requirement_message,
    restore_positions,
)

CELERYLINT = Path(sys.executable).with_name("celerylint")
RUNNING = f"{sys.version_info[0]}.{sys.version_info[1]}"

SIBLING = """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0", include=["proj.tasks"])
app.conf.accept_content = ["json", "pickle"]
app.conf.task_time_limit = 300
"""
SIBLING_ROW = 4
SIBLING_COLUMN = SIBLING.splitlines()[3].index('"pickle"') + 1

skip_if_root = pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file"
)


def project(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    """A package `proj` with the sibling celery module, plus `files` (text or bytes)."""
    everything: dict[str, str | bytes] = {"proj/__init__.py": "", "proj/celery.py": SIBLING}
    everything.update(files or {})
    for name, content in everything.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def run_json(
    capsys: pytest.CaptureFixture[str], *paths: str | Path
) -> tuple[int, list[dict[str, Any]], str]:
    code = main(["check", "--no-cache", "--output-format", "json", *map(str, paths)])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def by_file(findings: list[dict[str, Any]], name: str) -> list[tuple[str, int, int, str]]:
    return [
        (f["code"], f["location"]["row"], f["location"]["column"], f["message"])
        for f in findings
        if os.path.basename(f["filename"]) == name
    ]


def assert_sibling_linted(findings: list[dict[str, Any]]) -> None:
    assert [(c, r, col) for c, r, col, _ in by_file(findings, "celery.py")] == [
        ("CL101", SIBLING_ROW, SIBLING_COLUMN)
    ]


# ---------------------------------------------------------------------------
# Unreadable or unparsable content


def test_syntax_error_is_cl000(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(
        tmp_path, {"proj/tasks.py": "from celery import shared_task\n\ndef broken(:\n    pass\n"}
    )
    code, findings, _ = run_json(capsys, tmp_path)
    assert code == 1
    [(rule, row, _, message)] = by_file(findings, "tasks.py")
    assert (rule, row) == ("CL000", 3)
    assert message.startswith("syntax error: ")
    assert_sibling_linted(findings)


def test_invalid_utf8_is_cl000(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, {"proj/tasks.py": b'from celery import shared_task\nname = "\xff\xfe"\n'})
    code, findings, _ = run_json(capsys, tmp_path)
    assert code == 1
    [(rule, row, _, message)] = by_file(findings, "tasks.py")
    assert (rule, row) == ("CL000", 2)
    assert "cannot decode" in message and "utf-8" in message
    assert_sibling_linted(findings)


def test_unknown_coding_cookie_is_cl000(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(
        tmp_path,
        {"proj/tasks.py": b"# -*- coding: no-such-codec -*-\nfrom celery import shared_task\n"},
    )
    code, findings, _ = run_json(capsys, tmp_path)
    assert code == 1
    [(rule, _, _, message)] = by_file(findings, "tasks.py")
    assert rule == "CL000" and "cannot decode" in message
    assert_sibling_linted(findings)


def test_latin1_cookie_parses_with_character_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = 'latin.conf.update(result_backend="rpc://caf\xe9", accept_content=["json", "pickle"])'
    source = "\n".join(
        ["# -*- coding: latin-1 -*-", "from celery import Celery", 'latin = Celery("l")', line, ""]
    )
    project(tmp_path, {"proj/latin.py": source.encode("latin-1")})
    code, findings, _ = run_json(capsys, tmp_path)
    assert code == 1
    # Columns count characters: the two-byte UTF-8 spelling of é must not shift them.
    assert [(c, r, col) for c, r, col, _ in by_file(findings, "latin.py")] == [
        ("CL101", 4, line.index('"pickle"') + 1)
    ]
    assert_sibling_linted(findings)


@pytest.mark.parametrize(
    ("bom", "newline"),
    [(True, "\r\n"), (True, "\n"), (False, "\r\n"), (False, "\r")],
    ids=["bom-crlf", "bom-lf", "crlf", "cr"],
)
def test_bom_and_line_endings_keep_rows_and_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bom: bool, newline: str
) -> None:
    # The finding sits on line 1, where a BOM counted as a character would
    # shift its column, and again on line 3, after two line endings.
    first = 'from celery import Celery; a = Celery("a"); a.conf.accept_content = ["pickle", "json"]'
    third = 'b.conf.accept_content = ["json", "pickle"]'
    lines = [first, 'b = Celery("b")', third, ""]
    data = newline.join(lines).encode()
    project(tmp_path, {"proj/odd.py": (b"\xef\xbb\xbf" if bom else b"") + data})
    code, findings, _ = run_json(capsys, tmp_path)
    assert code == 1
    got = [(c, r, col) for c, r, col, _ in by_file(findings, "odd.py") if c == "CL101"]
    assert got == [
        ("CL101", 1, first.index('"pickle"') + 1),
        ("CL101", 3, third.index('"pickle"') + 1),
    ]
    assert_sibling_linted(findings)


def test_form_feed_and_unicode_line_separators_keep_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `ast` breaks lines only at \n, \r\n and \r; str.splitlines() also at
    # \f, \v, \x1c-\x1e, \x85, U+2028 and U+2029. A form feed (an old
    # Emacs page break) or a U+2028 inside a string must not shift the
    # columns of later lines in a non-ASCII file.
    line = 'app.conf.update(result_backend="rpc://\xe9\xe9", accept_content=["json", "pickle"])'
    source = "\n".join(
        [
            "# caf\xe9",
            "from celery import Celery",
            "\x0c",
            'app = Celery("p")',
            'x = "\u2028"',
            line,
        ]
    )
    project(tmp_path, {"proj/paged.py": source + "\n"})
    code, findings, _ = run_json(capsys, tmp_path)
    assert code == 1
    assert [(c, r, col) for c, r, col, _ in by_file(findings, "paged.py")] == [
        ("CL101", 6, line.index('"pickle"') + 1)
    ]


def test_binary_file_named_py_is_cl000(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "shared_task" makes the prefilter keep it; the NUL bytes make it not Python.
    blob = b"shared_task\x00\x01\x02\x89PNG\r\n\x1a\n\x00\xff\xfe" + bytes(range(256)) * 4
    project(
        tmp_path,
        {"proj/image.py": blob, "proj/nul_text.py": b"from celery import shared_task\nx = 1\x00\n"},
    )
    code, findings, _ = run_json(capsys, tmp_path)
    assert code == 1
    for name in ("image.py", "nul_text.py"):
        [(rule, _, _, _)] = by_file(findings, name)
        assert rule == "CL000"
    assert_sibling_linted(findings)


def test_empty_files_are_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, {"proj/empty_celery.py": "", "proj/sub/__init__.py": b""})
    code, findings, _ = run_json(capsys, tmp_path)
    assert code == 1
    assert by_file(findings, "empty_celery.py") == []
    assert_sibling_linted(findings)


def test_huge_generated_file_finishes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entries = ",\n".join(
        f'    "celery_key_{i}": {{"task": "proj.tasks.t{i}", "schedule": {i}.5}}'
        for i in range(65_000)
    )
    source = f"# generated for celery\nCELERY_BEAT_SCHEDULE = {{\n{entries}\n}}\n"
    assert len(source) > 4_500_000
    project(tmp_path, {"proj/schedule.py": source})
    started = time.perf_counter()
    code, findings, _ = run_json(capsys, tmp_path)
    elapsed = time.perf_counter() - started
    assert code == 1
    assert by_file(findings, "schedule.py") == []
    assert_sibling_linted(findings)
    # About 5 s on a CI core; the bound only catches a blow-up.
    assert elapsed < 60


def _deep_sources() -> dict[str, str]:
    # PEP 758 alone is rewritten from tokens; a type alias needs libcst.
    pep758 = "try:\n    pass\nexcept ValueError, TypeError:\n    pass\ntype Alias = int\n"
    return {
        "parens.py": "from celery import shared_task\nx = " + "(" * 1000 + "1" + ")" * 1000 + "\n",
        "lists.py": "from celery import shared_task\nx = " + "[" * 1000 + "]" * 1000 + "\n",
        "long_sum.py": "from celery import shared_task\nx = " + "+".join(["a"] * 100_000) + "\n",
        "not_chain.py": "from celery import shared_task\nx = " + "not " * 100_000 + "a\n",
        "calls.py": "from celery import shared_task\nx = a" + "()" * 100_000 + "\n",
        "nested_ifs.py": "from celery import shared_task\n"
        + "".join("    " * i + "if x:\n" for i in range(150))
        + "    " * 150
        + "pass\n",
        # A syntax error first sends the file down the newer-grammar path,
        # whose parser (libcst, native code) must never see these: it
        # segfaults on 100k chained `not` and takes minutes on long chains.
        "err_not_chain.py": "from celery import shared_task\n"
        + pep758
        + "x = "
        + "not " * 100_000
        + "a\n",
        "err_lambdas.py": "from celery import shared_task\n"
        + pep758
        + "x = "
        + "lambda: " * 20_000
        + "1\n",
        "err_long_sum.py": "from celery import shared_task\n"
        + pep758
        + "x = "
        + "+".join(["a"] * 20_000)
        + "\n",
        "err_calls.py": "from celery import shared_task\n"
        + pep758
        + "x = a"
        + "()" * 20_000
        + "\n",
        "err_brackets.py": "from celery import shared_task\n"
        + pep758
        + "x = "
        + "[" * 150
        + "]" * 150
        + "\n",
        "err_chain_at_limit.py": "from celery import shared_task\n"
        + pep758
        + "x = "
        + "+".join(["a"] * (MAX_CHAIN + 2))
        + "\n",
    }


def test_deeply_nested_expressions_are_cl000_not_a_crash(tmp_path: Path) -> None:
    # In a subprocess: a crash of native code must fail this test, not kill pytest.
    project(tmp_path, {f"proj/{name}": text for name, text in _deep_sources().items()})
    started = time.perf_counter()
    run = subprocess.run(
        [str(CELERYLINT), "check", "--no-cache", "--output-format", "json", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    elapsed = time.perf_counter() - started
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and "RecursionError" not in run.stderr
    findings = json.loads(run.stdout)
    for name in _deep_sources():
        found = by_file(findings, name)
        # A CL000, or nothing where this interpreter's parser copes with the depth
        # (3.13 reads some of them): never a crash, never anything else.
        assert [rule for rule, _, _, _ in found] in (["CL000"], []), (name, found)
    assert_sibling_linted(findings)
    assert elapsed < 120


def test_symlink_loops_and_dangling_links_are_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(tmp_path)
    (tmp_path / "proj" / "loop").symlink_to("loop")
    (tmp_path / "proj" / "dangling_celery.py").symlink_to("missing.py")
    (tmp_path / "proj" / "sub").mkdir()
    (tmp_path / "proj" / "sub" / "up").symlink_to("..")
    (tmp_path / "proj" / "a").symlink_to("b")
    (tmp_path / "proj" / "b").symlink_to("a")
    code, findings, err = run_json(capsys, tmp_path)
    assert code == 1
    assert_sibling_linted(findings)
    assert len(findings) == 1
    warnings = err.splitlines()
    assert all(line.startswith("celerylint: warning: ") for line in warnings), err
    assert any("dangling_celery.py" in w and "broken symbolic link" in w for w in warnings)
    assert any("loop" in w and "symbolic link loop" in w for w in warnings)
    assert any("sub/up" in w and "symbolic link loop" in w for w in warnings)


def _permission_denied(path: str) -> PermissionError:
    return PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)


def test_unreadable_file_simulated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path, {"proj/secret_celery.py": "from celery import shared_task\n"})
    target = str(tmp_path / "proj" / "secret_celery.py")
    real_open, real_os_open = builtins.open, os.open

    def guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, os.PathLike)) and os.fspath(file) == target:
            raise _permission_denied(target)
        return real_open(file, *args, **kwargs)

    def guarded_os_open(file: Any, *args: Any, **kwargs: Any) -> int:
        if isinstance(file, (str, os.PathLike)) and os.fspath(file) == target:
            raise _permission_denied(target)
        return real_os_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)  # sources.reading
    code, findings, _ = run_json(capsys, tmp_path)
    assert code == 1
    [(rule, _, _, message)] = by_file(findings, "secret_celery.py")
    assert rule == "CL000" and "cannot read" in message and "ermission denied" in message
    assert_sibling_linted(findings)


def test_unreadable_directory_simulated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path, {"proj/locked/tasks.py": "from celery import shared_task\ndef broken(:\n"})
    target = str(tmp_path / "proj" / "locked")
    real_scandir = os.scandir

    def guarded_scandir(path: Any = ".") -> Any:
        if os.fspath(path) == target:
            raise _permission_denied(target)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", guarded_scandir)
    code, findings, err = run_json(capsys, tmp_path)
    assert code == 1
    assert_sibling_linted(findings)
    assert by_file(findings, "tasks.py") == []  # never read
    assert "cannot read directory: permission denied" in err


@skip_if_root
def test_unreadable_file_and_directory_for_real(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(
        tmp_path,
        {"proj/secret_celery.py": "from celery import shared_task\n", "proj/locked/x.py": ""},
    )
    secret, locked = tmp_path / "proj" / "secret_celery.py", tmp_path / "proj" / "locked"
    secret.chmod(0)
    locked.chmod(0)
    try:
        code, findings, err = run_json(capsys, tmp_path)
    finally:
        secret.chmod(0o644)
        locked.chmod(0o755)
    assert code == 1
    [(rule, _, _, message)] = by_file(findings, "secret_celery.py")
    assert rule == "CL000" and "cannot read" in message
    assert "permission denied" in err
    assert_sibling_linted(findings)


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="needs byte file names")
@pytest.mark.parametrize("fmt", ["json", "concise", "full", "github"])
def test_non_utf8_file_name(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    project(tmp_path)
    name = os.fsencode(tmp_path / "proj") + b"/caf\xe9_celery.py"
    with open(name, "wb") as handle:
        handle.write(b'from celery import Celery\nw = Celery("w")\n')
        handle.write(b'w.conf.accept_content = ["json", "pickle"]\n')
    code = main(["check", "--no-cache", "--output-format", fmt, str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    if fmt == "json":
        findings = json.loads(out)
        assert len(findings) == 2
        assert any("caf" in f["filename"] and f["location"]["row"] == 3 for f in findings)
    else:
        assert "caf" in out and "CL101" in out


# ---------------------------------------------------------------------------
# Configuration


def test_malformed_pyproject_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(tmp_path, {"pyproject.toml": '[tool.celerylint\nselect = ["CL1"]\n'})
    assert main(["check", "--no-cache", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("celerylint: error: ") and "pyproject.toml:1:" in line
    assert "invalid TOML" in line


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('select = "CL1"', "select"),
        ("respect-gitignore = 1", "respect-gitignore"),
        ("fix = { time-limit = true }", "fix.time-limit"),
        ('task-decorators = ["not a name"]', "task-decorators[0]"),
        ("per-file-ignores = []", "per-file-ignores"),
    ],
)
def test_bad_config_value_is_one_line_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, key: str
) -> None:
    project(tmp_path, {"pyproject.toml": f"[tool.celerylint]\n{table}\n"})
    assert main(["check", "--no-cache", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith("celerylint: error: ") and f" {key}: " in line


def test_undecodable_pyproject_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(tmp_path, {"pyproject.toml": b'[tool.celerylint]\nselect = ["CL1"]\n# \xff\n'})
    assert main(["check", "--no-cache", str(tmp_path)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "not UTF-8" in line


# ---------------------------------------------------------------------------
# Hostile YAML (celerylint reads YAML only for its own rule specifications)

BILLION_LAUGHS = """\
code: CL101
name: pickle-accepted
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_rule_spec_yaml_never_constructs_python_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    yaml = pytest.importorskip("yaml")
    ruledocs = pytest.importorskip("celerylint.ruledocs")
    marker = tmp_path / "marker"
    spec = tmp_path / "pickle-accepted.yaml"
    spec.write_text(
        "code: CL101\n"
        f"name: !!python/object/apply:os.system ['touch {marker}']\n"
        f"summary: !!python/object/apply:builtins.open ['{marker}', 'w']\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(ruledocs, "rules_dir", lambda: tmp_path)
    with pytest.raises(yaml.YAMLError):
        ruledocs.load_spec("CL101")
    assert not marker.exists()


def test_rule_spec_yaml_alias_bomb_loads_without_expanding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("yaml")
    ruledocs = pytest.importorskip("celerylint.ruledocs")
    (tmp_path / "pickle-accepted.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    monkeypatch.setattr(ruledocs, "rules_dir", lambda: tmp_path)
    started = time.perf_counter()
    spec = ruledocs.load_spec("CL101")
    # safe_load keeps aliases as shared references: 9**9 "lol"s are never built.
    assert time.perf_counter() - started < 5
    assert spec["i"][0] is spec["i"][1]


# ---------------------------------------------------------------------------
# Internal errors


def test_internal_error_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import celerylint.api
    import celerylint.cli

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    project(tmp_path)
    monkeypatch.setattr(celerylint.api, "check", explode)
    monkeypatch.setattr(sys, "argv", ["celerylint", "check", "--no-cache", str(tmp_path)])
    with pytest.raises(SystemExit) as exited:
        celerylint.cli.run()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    summary = [line for line in err.splitlines() if line.startswith("celerylint: internal error")]
    assert len(summary) == 1
    assert "RuntimeError: boom" in summary[0]


# ---------------------------------------------------------------------------
# Syntax newer than the running Python

PEP758_TASKS = """\
from celery import shared_task


@shared_task
def convert(value):
    try:
        return int(value)
    except ValueError, TypeError:
        return None
"""


def test_pep758_task_module_is_analyzed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, {"proj/tasks.py": PEP758_TASKS})
    (tmp_path / "proj" / "celery.py").write_text(
        SIBLING.replace("app.conf.task_time_limit = 300\n", ""), encoding="utf-8"
    )
    code, findings, _ = run_json(capsys, tmp_path)
    assert code == 1
    tasks = by_file(findings, "tasks.py")
    # The task lacks a time limit: CL201, at the task's name; no CL000.
    assert [(c, r, col) for c, r, col, _ in tasks] == [("CL201", 5, 5)]
    assert_sibling_linted(findings)

    # The same project with the parenthesized spelling gives the same output.
    (tmp_path / "proj" / "tasks.py").write_text(
        PEP758_TASKS.replace("except ValueError, TypeError:", "except (ValueError, TypeError):"),
        encoding="utf-8",
    )
    assert run_json(capsys, tmp_path)[:2] == (code, findings)


NEWER_SYNTAX = """\
from celery import shared_task
from proj.celery import app
type Payload[T] = dict[str, T]
def first[T](items: list[T]) -> T:
    return items[0]
class Box[T]:
    item: T
@app.task(time_limit=60)
def render(data):
    label = f"{data["name"]}: {data['size']:>{8}}"
    try:
        return label
    except* KeyError, IndexError:
        pass
@shared_task(serializer="pickle")
def slow():
    pass
"""


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python reads 3.12 syntax itself")
def test_facts_of_newer_syntax_keep_lines_and_columns() -> None:
    facts = extract_source(NEWER_SYNTAX.encode(), "proj.tasks", False)
    assert facts.error is None, facts
    older = (
        NEWER_SYNTAX.replace("type Payload[T] = dict[str, T]", "Payload = make_alias(dict[str, T])")
        .replace("def first[T](", "def first(")
        .replace("class Box[T]:", "class Box:")
        .replace('f"{data["name"]}', "f\"{data['name']}")
        .replace("except* KeyError, IndexError:", "except* (KeyError, IndexError):")
    )
    # Same lines, and the same facts but for the spans inside rewritten text.
    assert older.count("\n") == NEWER_SYNTAX.count("\n")
    expected = extract_source(older.encode(), "proj.tasks", False)
    assert expected.error is None
    assert facts.functions.keys() == expected.functions.keys()
    assert facts.functions["render"] == expected.functions["render"]
    assert facts.functions["slow"] == expected.functions["slow"]


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="this Python reads 3.14 syntax itself")
def test_lowering_rewrites_only_what_is_newer() -> None:
    source = "try:\n    pass\nexcept ValueError, TypeError:  # comment\n    pass\n"
    lowering = lower(source)
    assert lowering.source == source.replace(
        "except ValueError, TypeError:", "except (ValueError, TypeError):"
    )
    assert [(f.version, f.description, f.line) for f in lowering.features] == [
        ((3, 14), "unparenthesized except groups", 3)
    ]
    assert lower_source(source) == lowering.source
    assert lower_source("x = 1\n") is None
    assert lower_source("def broken(:\n") is None


def _check_lowering(source: str, target: tuple[int, int], expected: str | None) -> Lowering:
    lowering = lower(source, target=target)
    assert lowering.source == expected
    if expected is not None:
        # Every line keeps its number, and the result parses here.
        assert len(expected.splitlines()) == len(source.splitlines())
        ast.parse(expected)
    return lowering


def test_lowering_type_parameters_and_aliases_keep_lines() -> None:
    source = textwrap.dedent(
        """\
        type Pair[K, V = int] = tuple[K, V]
        def pick[
            T: (int, str),  # constrained
            *Ts,
            **P,
        ](x: T) -> T:
            return x
        class Registry[T](Base, metaclass=Meta):
            pass
        """
    )
    expected = textwrap.dedent(
        """\
        Pair = __celerylint_type_alias__(tuple[K, V])
        def pick\\
        \\
        \\
        \\
        (x: T) -> T:
            return x
        class Registry(Base, metaclass=Meta):
            pass
        """
    )
    lowering = _check_lowering(source, (3, 11), expected)
    assert {f.description for f in lowering.features} == {
        "type alias statements",
        "type parameter lists",
        "type parameter defaults",
    }
    # On 3.12 only the 3.13 defaults are newer: that list alone goes.
    lowering = lower(source, target=(3, 12))
    assert lowering.source is not None
    assert lowering.source.splitlines()[0] == "type Pair = tuple[K, V]"  # 3.12 reads that
    assert "def pick[" in lowering.source
    assert _check_lowering(source, (3, 13), None).features == ()


def test_lowering_except_star_and_match_for_older_pythons() -> None:
    source = textwrap.dedent(
        """\
        try:
            pass
        except* OSError, ValueError:
            pass
        except* (KeyError, IndexError) as group:
            pass
        match command.split(), 1:
            case [("go" | "run") as verb, *rest] if rest:
                handle(verb)
            case _:
                pass
        """
    )
    expected = textwrap.dedent(
        """\
        try:
            pass
        except  (OSError, ValueError):
            pass
        except  (KeyError, IndexError) as group:
            pass
        if (command.split(), 1):
            if True:
                handle(verb)
            if True:
                pass
        """
    )
    lowering = _check_lowering(source, (3, 9), expected)
    assert sorted({(f.version, f.description) for f in lowering.features}) == [
        ((3, 10), "match statements"),
        ((3, 11), "except* clauses"),
        ((3, 14), "unparenthesized except groups"),
    ]
    # Python 3.14 requires the parentheses when the group is bound; so does libcst.
    assert lower("try:\n    pass\nexcept A, B as e:\n    pass\n").source is None


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="f-string rewrites happen before 3.12 only")
def test_lowering_pep701_fstrings() -> None:
    cases = {
        'x = f"{d["k"]}" "tail"\n': 'x = f\'{d["k"]}\' "tail"\n',
        "x = f'{f'{1}'}'\n": "x = f\"{f'{1}'}\"\n",
        "x = f'{x:{'>'}10}a\"b'\n": 'x = f"{x:{\'>\'}10}a\\"b"\n',
        "x = rf'{d['k']}\\d\"'\n": "x = rf'''{d['k']}\\d\"'''\n",
        # No quote choice helps: the string becomes an unknown value, same lines.
        "x = f'{'\\n'.join(y)}'\n": "x = (__celerylint_newer_string__())\n",
        "x = f'{\n  1 # comment\n}' + 1\ny = 2\n": (
            "x = (__celerylint_newer_string__()\n\n) + 1\ny = 2\n"
        ),
    }
    for source, expected in cases.items():
        _check_lowering(source, (3, 11), expected)


def test_lowering_template_strings() -> None:
    # (libcst 1.9 fails on implicitly concatenated t-strings: CSTLogicError.)
    source = "x = t'{a}'\ny = 1\n"
    lowering = _check_lowering(source, (3, 13), "x = (__celerylint_newer_string__())\ny = 1\n")
    assert [f.description for f in lowering.features] == ["template strings"]


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="this Python reads 3.14 syntax itself")
def test_restored_positions_point_at_the_original_text() -> None:
    source = (
        "try:\n"
        "    pass\n"
        'except ValueError, TypeError:  x = "é"; y = f"{d["k"]}" + zz\n'
        "type Alias[T] = list[T]\n"
    )
    lowering = lower(source)
    assert lowering.source is not None
    tree = ast.parse(lowering.source)
    restore_positions(tree, source, lowering)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in ("ValueError", "TypeError", "zz", "Alias"):
            line = source.splitlines()[node.lineno - 1].encode()
            assert line[node.col_offset : node.end_col_offset].decode() == node.id


def test_requirement_message_and_cl000_wording(monkeypatch: pytest.MonkeyPatch) -> None:
    features = [
        Feature((3, 12), "type alias statements", 4),
        Feature((3, 14), "unparenthesized except groups", 2),
    ]
    assert requirement_message(features, (3, 11)) == (
        "requires Python 3.14 (unparenthesized except groups, type alias statements); "
        "this Python is 3.11"
    )
    # A newer construct that cannot be rewritten: the message says what is needed.
    import celerylint.facts.syntax as syntax

    monkeypatch.setattr(syntax, "lower", lambda source, error=None: Lowering(None, (features[1],)))
    facts = extract_source(b"try:\n    pass\nexcept A, B:\n    pass\n", "m", False)
    assert facts.error is not None
    assert facts.error.message == (
        f"syntax error: requires Python 3.14 (unparenthesized except groups); "
        f"this Python is {RUNNING}"
    )
    assert facts.error.line == 3


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="this Python reads 3.14 syntax itself")
def test_newer_syntax_plus_a_real_error_points_at_the_real_error() -> None:
    source = "try:\n    pass\nexcept A, B:\n    pass\nx = [*a for a in b]\n"
    error = extract_source(source.encode(), "m", False).error
    assert error is not None
    assert error.line == 5
    assert error.message.startswith("syntax error: ")
    assert "requires Python 3.14 (unparenthesized except groups)" in error.message


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="this Python reads 3.14 syntax itself")
@pytest.mark.skipif(sys.version_info >= (3, 14), reason="this Python reads t-strings itself")
def test_oversized_files_are_not_handed_to_libcst() -> None:
    entries = ", ".join(f"'k{i}': {i}" for i in range(30_000))
    # A 3.14 t-string: only libcst could lower it, and the file is too large for it.
    source = f"alias = t'{{name}}'\nx = {{{entries}}}\n"
    assert len(source) > MAX_CHARS
    started = time.perf_counter()
    error = extract_source(source.encode(), "m", False).error
    assert error is not None
    assert time.perf_counter() - started < 5
    assert error.line == 1
    assert "not retried with a newer grammar: file larger than" in error.message


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="this Python reads 3.14 syntax itself")
def test_a_line_too_long_for_the_token_scan_is_not_scanned() -> None:
    # Python 3.12's tokenizer took 7 s on a 600 kB line; no Python scans it now. (A
    # group continued on a second line: the parser's error alone cannot mend it.)
    row = ", ".join(f"'k{i}': {i}" for i in range(3_000))
    source = f"x = {{{row}}}\ntry:\n    pass\nexcept A, \\\n        B:\n    pass\n"
    assert len(source) < MAX_CHARS
    started = time.perf_counter()
    error = extract_source(source.encode(), "m", False).error
    assert time.perf_counter() - started < 2
    assert error is not None and error.line == 4
    assert "not retried with a newer grammar: a line longer than 20000 characters" in (
        error.message
    )


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="this Python reads 3.14 syntax itself")
def test_except_groups_in_a_large_file_take_the_token_fast_path() -> None:
    block = textwrap.dedent(
        """
        @shared_task(bind=True, time_limit=30)
        def task_{i}(self, x):
            try:
                return f"{{x}}" + str(x["k"])
            except ValueError, TypeError:
                raise self.retry(countdown=1)
        """
    )
    source = "from celery import shared_task\n" + "".join(block.format(i=i) for i in range(1500))
    assert len(source) > MAX_CHARS  # too large for libcst
    parenthesized = source.replace(
        "except ValueError, TypeError:", "except (ValueError, TypeError):"
    )
    started = time.perf_counter()
    facts = extract_source(source.encode(), "m", False)
    elapsed = time.perf_counter() - started
    assert facts.error is None
    # Identical facts, positions included, to the parenthesized spelling.
    assert facts == extract_source(parenthesized.encode(), "m", False)
    assert elapsed < 10


TYPE_PARAMETER_SOURCES = [
    "def f[T](x: T) -> T:\n    return x\n",
    "import functools\n\n@functools.cache\nasync def g[**P, R](f):\n    return f\n",
    "from celery import shared_task\n\n@shared_task(bind=True)\ndef run[\n    T: (int, str),\n"
    "    *Ts,\n](self, x: T) -> None:\n    pass\n\nrun.delay(1)\n",
    "class Box[T: list[int], U](Base[T], metaclass=M):\n    def m[V = int](self): ...\n",
    "def h[T](x):\n    try:\n        pass\n    except A, B:\n        pass\n",
    "x = [1]\ndef k[T](y=x[0]):  # [not] a list\n    return {'[': y}\n",
]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python reads type parameters")
@pytest.mark.parametrize("source", TYPE_PARAMETER_SOURCES)
def test_type_parameters_are_lowered_from_tokens_as_libcst_would(source: str) -> None:
    """courtlistener's `def time_call[**ParamType, ReturnType]` made a check import
    libcst for 0.2 s; the token scan now drops the list, exactly as libcst's rewrite."""
    from celerylint.facts import lowering_finder, lowering_results, syntax

    lowering = lower(source)
    assert lowering.tree is not None  # parsed on the token path
    module, positions = lowering_finder.parse_cst(source)
    assert module is not None and positions is not None
    finder = lowering_finder.Finder(source, module, positions, lowering_results.RUNNING)
    module.visit(finder)
    assert lowering.source == apply_edits(source, syntax._settle(finder.edits))


def test_libcst_is_imported_only_for_files_the_token_scan_cannot_lower() -> None:
    """Not for `except A, B:` nor type parameter lists either: kitsune and readthedocs
    use the first, courtlistener the second, and each check paid 0.13 s for libcst."""
    code = textwrap.dedent(
        """\
        import sys
        from celerylint.facts import extract_source
        extract_source(b"from celery import shared_task\\nx = 1\\n", "m", False)
        old = b"try:\\n    pass\\nexcept ValueError, TypeError:\\n    pass\\n"
        assert extract_source(old, "m", False).error is None
        typed = b"def timed[**P, R](f):\\n    return f\\n\\nclass Box[T = int]:\\n    pass\\n"
        assert extract_source(typed, "m", False).error is None
        assert "libcst" not in sys.modules, "libcst imported on the fast path"
        extract_source(b"def broken(:\\n", "m", False)
        assert "libcst" in sys.modules
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [["--version"], ["rule", "CL101"], ["rules"], ["check", "--no-cache", "."]],
    ids=["version", "rule", "rules", "check"],
)
def test_a_full_disk_on_stdout_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "tasks.py").write_text(
        "from celery import shared_task\n\n@shared_task\ndef add(x, y):\n    return x + y\n"
    )
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [str(CELERYLINT), *args],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert run.returncode == 2
    assert run.stderr == "celerylint: error: cannot write the output: No space left on device\n"


@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache"])
def test_integers_beyond_64_bits_cross_from_worker_processes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cache: bool
) -> None:
    # Enough files for the worker processes; msgpack refuses integers beyond 64 bits,
    # so such facts travel as they are (this crashed every check of such a project).
    (tmp_path / "tasks.py").write_text(
        "from celery import Celery\n\napp = Celery('x')\n"
        "app.conf.worker_max_memory_per_child = 1180591620717411303424\n"
        "app.conf.task_time_limit = 10\n\n\n@app.task\ndef add():\n    return 2**70\n"
    )
    for index in range(210):
        (tmp_path / f"m{index}.py").write_text(f"x = {index}\n")
    args = ["check", "--output-format", "json", str(tmp_path)]
    assert main(args if cache else [*args, "--no-cache"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_file_name_that_is_not_utf8_is_checked_with_the_cache_on(tmp_path: Path) -> None:
    # Its path cannot be written in the cache's JSON: the records that would hold it
    # are not kept (walk, run), its facts entry is left out; the findings stay.
    name = os.fsdecode(b"proj/t\xe2sks.py")
    try:
        project(tmp_path, {name: "from proj.celery import app\n\n@app.task\ndef t():\n    pass\n"})
    except (OSError, UnicodeError):
        pytest.skip("file system refuses non-UTF-8 names")
    command = [sys.executable, "-m", "celerylint", "check", "--output-format", "json", "."]
    runs = [
        subprocess.run([*command, *extra], cwd=tmp_path, capture_output=True, timeout=120)
        for extra in ([], [], ["--no-cache"])
    ]
    assert [(r.returncode, r.stderr) for r in runs] == [(1, b"")] * 3
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout
    assert b"sks.py" in runs[0].stdout  # findings in that file
