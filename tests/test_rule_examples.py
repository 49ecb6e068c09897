"""Every rule's contract, from `rules/<name>.yaml`, run against the real CLI.

Each example is a small project written to a temporary directory and checked
with `celerylint check --select CODE --output-format json`. An example may
list more rules under `extend_select`: they are selected too
(`--extend-select`), and their markers are compared as well (CL001 needs the
rules named in a suppression to run before it can call the suppression unused).

Markers
-------
A line that must be reported ends with a marker comment naming, for each
finding on that line, its code, its column and fragments of its message:

    def add(x, y):  # expect: CL201@5 "`proj.tasks.add` has no hard time limit"

- `CODE@COLUMN`: the column is 1-based, as ruff's JSON `location.column`;
  the row is the marker's own line.
- then one or more quoted message fragments, `"..."` or `'...'` (no escapes:
  a fragment holding a double quote is written in single quotes). Each must
  occur in the message, in the order given; two fragments pin two parts of a
  long message without its middle (or a part that is not stable, such as a
  path relative to the working directory).
- several findings on one line are several entries separated by commas:
  `# expect: CL302@12 "...", CL302@25 "..."`.

The test requires, for every selected code, exactly the marked findings:
the same (file, row, column) for each code, and messages containing their
fragments; a change of column or message fails it. Markers of codes the
example does not select (CL201 on a line whose suppression is misspelt, in an
invalid-suppression example) document what those rules report on the same
project: they are checked by a second run that selects only those codes.

Examples with a `fixed:` mapping are also run with `--fix --unsafe-fixes`:
the listed files must come out byte-for-byte as given, every other file
unchanged, and a second run must change nothing.

The rule's documentation snippets, `example:` and `use_instead:`, are run too,
in the project of the one example that carries `doc_snippet: FILE`: a snippet
is split into files at header comments naming a file (`# proj/celeryconfig.py`,
optionally followed by a remark in parentheses); text before the first header
is FILE. Those files replace or join the example's files; `example:` must then
trigger the rule (in the snippet's files only) and `use_instead:` must not
trigger it anywhere.

A file's content is either a string (written as UTF-8) or a mapping
`{text: ..., encoding: ...}` for files that must be written in another
encoding (`latin-1`, `utf-8-sig`); markers are read from the text.
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import Any, Union

import pytest
import yaml

from celerylint.ruledocs import FIX_APPLICABILITY, FIX_AVAILABILITY, SPEC_KEYS
from celerylint.rules.meta import ALL_RULES, BY_CODE, BY_NAME

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

# Anything that looks like a marker must parse as one: a typo is an error, not a clean line.
MARKER_START = re.compile(r"#\s*expect\b")
MARKER = re.compile(r"#\s*expect:\s*(?P<entries>\S.*?)\s*$")
MARKER_ENTRY = re.compile(
    r"(?P<code>CL\d+)@(?P<column>[1-9]\d*)"
    r"(?P<fragments>(?:\s+(?:\"[^\"]+\"|'[^']+'))+)"
    r"\s*(?:,\s*|$)"
)
MARKER_FRAGMENT = re.compile(r"\"([^\"]+)\"|'([^']+)'")
EXAMPLE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EXAMPLE_KEYS = {"name", "description", "files"}
# `unparsed`: parse-error's files that do not parse on purpose and are not reported.
OPTIONAL_EXAMPLE_KEYS = {"config", "fixed", "extend_select", "doc_snippet", "unparsed"}
REFERENCE_PREFIXES = ("https://docs.celeryq.dev/",)
# Rules whose examples may be smaller: the parsing and suppression machinery.
SMALL_RULES = {"CL000", "CL001", "CL002"}

# A doc snippet's file header: `# path/to/file.py`, or `# path/to/file.py (remark)`.
SNIPPET_HEADER = re.compile(r"^# (?P<path>[\w.-]+(?:/[\w.-]+)*\.py)(?: \([^)]*\))?$")

FileValue = Union[str, dict]


def _load_specs() -> list[tuple[Path, dict[str, Any]]]:
    specs = []
    for path in sorted(RULES_DIR.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            specs.append((path, yaml.safe_load(fh)))
    return specs


SPECS = _load_specs()


def _example_params() -> list[Any]:
    params = []
    for _path, spec in SPECS:
        for example in spec.get("examples") or []:
            params.append(
                pytest.param(spec, example, id=f"{spec.get('code')}-{example.get('name')}")
            )
    return params


def _file_text(value: FileValue) -> str:
    return value["text"] if isinstance(value, dict) else value


def _file_bytes(value: FileValue) -> bytes:
    if isinstance(value, dict):
        return value["text"].encode(value.get("encoding", "utf-8"))
    return value.encode("utf-8")


class MarkerError(ValueError):
    pass


def parse_marker(line: str) -> list[tuple[str, int, tuple[str, ...]]]:
    """The (code, column, fragments) entries of a line's marker; [] without one."""
    start = MARKER_START.search(line)
    if start is None:
        return []
    match = MARKER.match(line, start.start())
    if match is None:
        raise MarkerError(f"malformed marker: {line.strip()!r}")
    entries, text, pos = [], match.group("entries"), 0
    while pos < len(text):
        entry = MARKER_ENTRY.match(text, pos)
        if entry is None:
            raise MarkerError(f"malformed marker entry at {text[pos:]!r} in {line.strip()!r}")
        fragments = tuple(a or b for a, b in MARKER_FRAGMENT.findall(entry.group("fragments")))
        entries.append((entry.group("code"), int(entry.group("column")), fragments))
        pos = entry.end()
    return entries


# (file, row, column, code) -> message fragments, one per expected finding.
Expected = dict[tuple[str, int, int, str], list[tuple[str, ...]]]


def expected_findings(example: dict[str, Any], codes: Iterable[str]) -> Expected:
    wanted = set(codes)
    expected: Expected = {}
    for rel, value in example["files"].items():
        for row, line in enumerate(_file_text(value).splitlines(), start=1):
            for code, column, fragments in parse_marker(line):
                if code in wanted:
                    expected.setdefault((rel, row, column, code), []).append(fragments)
    return expected


def marked_codes(example: dict[str, Any]) -> set[str]:
    return {
        code
        for value in example["files"].values()
        for line in _file_text(value).splitlines()
        for code, _, _ in parse_marker(line)
    }


def fragments_in(message: str, fragments: tuple[str, ...]) -> bool:
    """Whether every fragment occurs in `message`, in order."""
    pos = 0
    for fragment in fragments:
        found = message.find(fragment, pos)
        if found < 0:
            return False
        pos = found + len(fragment)
    return True


def compared_codes(spec: dict[str, Any], example: dict[str, Any]) -> list[str]:
    """The rule of the spec, then the example's extra selected rules."""
    return [spec["code"], *(example.get("extend_select") or [])]


def selection_args(spec: dict[str, Any], example: dict[str, Any]) -> list[str]:
    args = ["--select", spec["code"]]
    extra = example.get("extend_select") or []
    if extra:
        args += ["--extend-select", ",".join(extra)]
    return args


def write_project(root: Path, example: dict[str, Any]) -> None:
    for rel, value in example["files"].items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_file_bytes(value))
    if example.get("config"):
        (root / "pyproject.toml").write_bytes(example["config"].encode("utf-8"))


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".celerylint_cache" not in path.parts
    }


def _main() -> Callable[[list[str]], int]:
    if importlib.util.find_spec("celerylint.cli") is None:
        pytest.skip("celerylint.cli is not written yet")
    from celerylint.cli import main

    return main


def run_cli(argv: list[str]) -> int:
    main = _main()
    try:
        code = main(argv)
    except SystemExit as exc:  # tolerate a main() that exits instead of returning
        code = exc.code
    return int(code or 0)


def _diff(expected: bytes, actual: bytes, rel: str) -> str:
    lines = difflib.unified_diff(
        expected.decode("utf-8", "replace").splitlines(keepends=True),
        actual.decode("utf-8", "replace").splitlines(keepends=True),
        f"expected/{rel}",
        f"actual/{rel}",
    )
    return "".join(repr(line)[1:-1] + "\n" for line in lines)


def _relative(filename: str, root: Path) -> str:
    path = Path(filename)
    if not path.is_absolute():
        path = Path.cwd() / path
    return path.resolve().relative_to(root.resolve()).as_posix()


# --------------------------------------------------------------------------- examples


def check_json(
    root: Path, selection: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[dict[str, Any]]]:
    capsys.readouterr()
    exit_code = run_cli(["check", "--no-cache", "--output-format", "json", *selection, str(root)])
    out = capsys.readouterr().out
    try:
        return exit_code, (json.loads(out) if out.strip() else [])
    except json.JSONDecodeError:  # pragma: no cover - shown on failure only
        pytest.fail(f"--output-format json printed something else:\n{out}")


def compare_findings(
    diagnostics: list[dict[str, Any]], expected: Expected, root: Path, label: str
) -> None:
    found: dict[tuple[str, int, int, str], list[str]] = {}
    for d in diagnostics:
        key = (
            _relative(d["filename"], root),
            d["location"]["row"],
            d["location"]["column"],
            d["code"],
        )
        found.setdefault(key, []).append(d["message"])
    counts = {key: len(v) for key, v in found.items()}
    wanted = {key: len(v) for key, v in expected.items()}
    assert counts == wanted, (
        f"{label}: (file, row, column, code) "
        f"missing {sorted(set(wanted) - set(counts))}, "
        f"unexpected {sorted(set(counts) - set(wanted))}, "
        f"counts differ at {sorted(k for k in set(counts) & set(wanted) if counts[k] != wanted[k])}"
    )
    for key, fragment_lists in expected.items():
        messages = sorted(found[key])
        for fragments in fragment_lists:
            match = next((m for m in messages if fragments_in(m, fragments)), None)
            assert match is not None, (
                f"{label}: {key} message {messages} does not contain {list(fragments)}"
            )
            messages.remove(match)


@pytest.mark.parametrize(("spec", "example"), _example_params())
def test_example_findings(
    spec: dict[str, Any],
    example: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = spec["code"]
    root = tmp_path / "project"
    root.mkdir()
    write_project(root, example)
    label = f"{code} {example['name']}"

    selected = compared_codes(spec, example)
    exit_code, diagnostics = check_json(root, selection_args(spec, example), capsys)
    expected = expected_findings(example, selected)
    compare_findings(diagnostics, expected, root, label)
    assert exit_code == (1 if expected else 0)

    # Markers of rules the example does not select: what those rules report
    # on the same project, checked by a run that selects only them.
    others = sorted(marked_codes(example) - set(selected))
    if others:
        _, diagnostics = check_json(root, ["--select", ",".join(others)], capsys)
        compare_findings(diagnostics, expected_findings(example, others), root, f"{label} {others}")


@pytest.mark.parametrize(
    ("spec", "example"),
    [p for p in _example_params() if p.values[1].get("fixed")],
)
def test_example_fix(spec: dict[str, Any], example: dict[str, Any], tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    write_project(root, example)
    before = snapshot(root)
    argv = ["check", "--no-cache", "--fix", "--unsafe-fixes", *selection_args(spec, example)]
    argv.append(str(root))

    run_cli(argv)
    after = snapshot(root)
    expected = dict(before)
    expected.update({rel: _file_bytes(value) for rel, value in example["fixed"].items()})
    assert sorted(after) == sorted(expected), "the fix created or deleted files"
    for rel in sorted(expected):
        assert after[rel] == expected[rel], f"{rel} differs from the expected fix output:\n" + (
            _diff(expected[rel], after[rel], rel)
        )

    run_cli(argv)
    assert snapshot(root) == after, "the fix is not idempotent"


# --------------------------------------------------------------------------- doc snippets


def snippet_files(snippet: str, default: str) -> dict[str, str]:
    """A documentation snippet as files: split at header comments naming a file."""
    files: dict[str, list[str]] = {}
    current = default
    for line in snippet.splitlines(keepends=True):
        header = SNIPPET_HEADER.match(line.rstrip("\n"))
        if header:
            current = header.group("path")
        else:
            files.setdefault(current, []).append(line)
    texts = {rel: "".join(lines).strip("\n") for rel, lines in files.items()}
    return {rel: text + "\n" for rel, text in texts.items() if text}


def doc_context(spec: dict[str, Any]) -> dict[str, Any]:
    contexts = [e for e in spec["examples"] if "doc_snippet" in e]
    assert len(contexts) == 1, (
        "exactly one example names the file the doc snippets are written as (doc_snippet:)"
    )
    return contexts[0]


def test_snippet_files_split_at_headers() -> None:
    snippet = (
        "# proj/celery.py: app = Celery(backend=...)\nx = 1\n\n"
        "# proj/views.py\ny = 2\n# web/celeryconfig.py (loaded without a namespace)\nz = 3\n"
    )
    assert snippet_files(snippet, "proj/tasks.py") == {
        "proj/tasks.py": "# proj/celery.py: app = Celery(backend=...)\nx = 1\n",
        "proj/views.py": "y = 2\n",
        "web/celeryconfig.py": "z = 3\n",
    }


@pytest.mark.parametrize(("path", "spec"), SPECS, ids=[p.stem for p, _ in SPECS])
def test_doc_snippets_show_the_finding(
    path: Path, spec: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`example:` triggers the rule and `use_instead:` does not, in a real project."""
    code = spec["code"]
    context = doc_context(spec)
    for key in ("example", "use_instead"):
        files = snippet_files(spec[key], context["doc_snippet"])
        root = tmp_path / key
        root.mkdir()
        write_project(root, {**context, "files": {**context["files"], **files}})
        _, diagnostics = check_json(root, selection_args(spec, context), capsys)
        located = sorted(
            (_relative(d["filename"], root), d["location"]["row"])
            for d in diagnostics
            if d["code"] == code
        )
        where = f"{key}: written as {sorted(files)} into example {context['name']!r}"
        if key == "example":
            assert located, f"{where}: {code} is not reported"
            outside = [loc for loc in located if loc[0] not in files]
            assert not outside, f"{where}: {code} reported outside the snippet: {outside}"
        else:
            assert not located, f"{where}: {code} is reported at {located}"


# --------------------------------------------------------------------------- schema


def test_every_rule_has_a_spec() -> None:
    names = {spec.get("name") for _, spec in SPECS}
    assert {rule.name for rule in ALL_RULES} <= names
    files = {path.stem for path, _ in SPECS}
    assert files == {rule.name for rule in ALL_RULES}, "one rules/<name>.yaml per rule"


@pytest.mark.parametrize(("path", "spec"), SPECS, ids=[p.stem for p, _ in SPECS])
def test_spec_schema(path: Path, spec: dict[str, Any]) -> None:
    assert isinstance(spec, dict)
    assert set(spec) == set(SPEC_KEYS), (
        f"keys: missing {set(SPEC_KEYS) - set(spec)}, unknown {set(spec) - set(SPEC_KEYS)}"
    )
    meta = BY_CODE.get(spec["code"])
    assert meta is not None, f"{spec['code']} is not in the catalogue"
    assert BY_NAME[spec["name"]] is meta
    assert path.stem == spec["name"]
    assert spec["severity"] == meta.severity.value
    assert spec["summary"] == meta.summary

    assert spec["fix"] in FIX_AVAILABILITY
    assert spec["fix"] == meta.fixable, "fix availability must agree with the catalogue"
    if spec["fix"] == "never":
        assert spec["fix_applicability"] is None
    else:
        assert spec["fix_applicability"] in FIX_APPLICABILITY

    for key in ("what_it_does", "why_bad", "example", "use_instead", "fix_safety"):
        assert isinstance(spec[key], str) and spec[key].strip(), f"{key} is empty"

    assert isinstance(spec["references"], list)
    if spec["code"] not in SMALL_RULES:  # parsing and suppressions have no Celery page
        assert spec["references"], "at least one reference"
    for ref in spec["references"]:
        assert set(ref) == {"title", "url"}
        assert ref["url"].startswith(REFERENCE_PREFIXES), ref["url"]


def test_rule_codes_and_names_unique() -> None:
    codes = [spec["code"] for _, spec in SPECS]
    names = [spec["name"] for _, spec in SPECS]
    assert len(codes) == len(set(codes))
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("path", "spec"), SPECS, ids=[p.stem for p, _ in SPECS])
def test_examples_schema(path: Path, spec: dict[str, Any]) -> None:
    code = spec["code"]
    examples = spec["examples"]
    names = [example.get("name") for example in examples]
    assert len(names) == len(set(names)), "example names must be unique"

    flagged = clean = 0
    for example in examples:
        assert EXAMPLE_KEYS <= set(example) <= EXAMPLE_KEYS | OPTIONAL_EXAMPLE_KEYS, example
        assert EXAMPLE_NAME.match(example["name"]), example["name"]
        assert isinstance(example["description"], str) and example["description"].strip()
        assert example["files"], "an example needs files"
        for rel, value in example["files"].items():
            pure = PurePosixPath(rel)
            assert not pure.is_absolute() and ".." not in pure.parts, rel
            assert isinstance(value, str) or (
                isinstance(value, dict) and set(value) <= {"text", "encoding"} and "text" in value
            ), rel
            for line in _file_text(value).splitlines():
                try:
                    entries = parse_marker(line)
                except MarkerError as exc:
                    pytest.fail(f"{example['name']} {rel}: {exc}")
                for marked, _column, _fragments in entries:
                    assert marked in BY_CODE, f"unknown code in marker: {line}"
        if example.get("config") is not None:
            assert isinstance(example["config"], str)
            assert "pyproject.toml" not in example["files"], "use config: for pyproject.toml"
        for rel in example.get("fixed") or {}:
            assert rel in example["files"], f"fixed file {rel} is not in files"
        if "doc_snippet" in example:
            snippet = PurePosixPath(example["doc_snippet"])
            assert snippet.suffix == ".py" and not snippet.is_absolute(), snippet
            assert ".." not in snippet.parts, snippet
        for extra in example.get("extend_select") or []:
            assert extra in BY_CODE and extra != code, f"extend_select: {extra}"
        if expected_findings(example, [code]):
            flagged += 1
        else:
            clean += 1

    minimum = 2 if code in SMALL_RULES else 3
    assert flagged >= minimum, f"{code} needs {minimum} examples with findings"
    assert clean >= minimum, f"{code} needs {minimum} examples that stay clean"


@pytest.mark.parametrize(("path", "spec"), SPECS, ids=[p.stem for p, _ in SPECS])
def test_doc_snippets_parse(path: Path, spec: dict[str, Any]) -> None:
    ast.parse(spec["use_instead"])
    if spec["code"] != "CL000":  # parse-error's example is a syntax error on purpose
        ast.parse(spec["example"])


@pytest.mark.parametrize(("spec", "example"), _example_params())
def test_example_python_files_parse(spec: dict[str, Any], example: dict[str, Any]) -> None:
    """Example sources are valid Python, except where a parse error is the point."""
    for rel, value in example["files"].items():
        text = _file_text(value)
        if not rel.endswith(".py") or "CL000" in {
            c for line in text.splitlines() for c, *_ in parse_marker(line)
        }:
            continue
        if spec["code"] == "CL000" and (
            example.get("config") or rel in example.get("unparsed", ())
        ):
            continue  # excluded by configuration, or the point: broken on purpose
        ast.parse(_file_bytes(value), filename=rel)
