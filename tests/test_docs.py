"""The rule pages in docs/rules are generated from rules/*.yaml and must not be stale."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from celerylint import ruledocs
from celerylint.rules.meta import ALL_RULES, lookup

REPO = Path(__file__).resolve().parent.parent


def _gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", REPO / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_docs_are_not_stale(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = _gen_docs().main(["--check"])
    assert exit_code == 0, capsys.readouterr().out


def test_rule_index_is_generated_from_the_specs() -> None:
    expected = _gen_docs().render_rule_index(ruledocs.load_specs())
    index = REPO / "celerylint" / "_rule_index.py"
    assert index.read_text(encoding="utf-8") == expected, "run `python scripts/gen_docs.py`"


def test_readme_rules_table_is_generated_from_the_specs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    expected = _gen_docs().render_readme(readme, ruledocs.load_specs())
    assert readme == expected, "run `python scripts/gen_docs.py`"


def test_readme_without_table_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="rules-table"):
        _gen_docs().render_readme("# celerylint\n\n## Rules\n", ruledocs.load_specs())


def test_catalogue_matches_the_specs() -> None:
    specs = ruledocs.load_specs()
    assert [
        (rule.code, rule.name, rule.severity.value, rule.summary, rule.fixable)
        for rule in ALL_RULES
    ] == [
        (spec["code"], spec["name"], spec["severity"], spec["summary"], spec["fix"])
        for spec in specs
    ]


def test_every_rule_has_a_page() -> None:
    index = (REPO / "docs" / "rules" / "index.md").read_text(encoding="utf-8")
    for rule in ALL_RULES:
        page = REPO / "docs" / "rules" / f"{rule.name}.md"
        assert page.is_file(), f"no page for {rule.code}"
        assert page.read_text(encoding="utf-8").startswith(f"# {rule.name} ({rule.code})\n")
        assert f"[{rule.name}]({rule.name}.md)" in index


def test_rule_page_is_the_generated_page() -> None:
    meta = lookup("CL101")
    assert meta is not None
    page = REPO / "docs" / "rules" / "pickle-accepted.md"
    assert ruledocs.rule_page(meta) == page.read_text(encoding="utf-8")


def test_rule_page_renders_the_yaml_when_the_page_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    meta = lookup("CL101")
    assert meta is not None
    real = ruledocs._data_dir
    monkeypatch.setattr(
        ruledocs,
        "_data_dir",
        lambda checkout, wheel: tmp_path if wheel == "_rule_docs" else real(checkout, wheel),
    )
    expected = (REPO / "docs" / "rules" / "pickle-accepted.md").read_text(encoding="utf-8")
    assert ruledocs.rule_page(meta) == expected


def test_rules_dir_is_the_checkout() -> None:
    assert ruledocs.rules_dir() == REPO / "rules"


@pytest.mark.parametrize("key", ["CL101", "cl101", "pickle-accepted"])
def test_load_spec_by_code_or_name(key: str) -> None:
    spec = ruledocs.load_spec(key)
    assert spec["code"] == "CL101"
    assert spec["name"] == "pickle-accepted"


def test_load_spec_unknown_rule() -> None:
    with pytest.raises(KeyError):
        ruledocs.load_spec("CL999")


def test_render_markdown_sections() -> None:
    page = ruledocs.render_markdown(ruledocs.load_spec("pickle-accepted"))
    headings, fenced = [], False
    for line in page.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif line.startswith("#") and not fenced:
            headings.append(line)
    assert headings == [
        "# pickle-accepted (CL101)",
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## Fix safety",
        "## References",
    ]
    assert "Severity: **error**" in page
    assert "```python\n" in page
    assert page.endswith("\n") and not page.endswith("\n\n")
    assert all(line == line.rstrip() for line in page.splitlines())


def test_user_docs_exist() -> None:
    for name in (
        "index.md",
        "configuration.md",
        "suppressions.md",
        "pre-commit.md",
        "ci.md",
        "how-it-works.md",
    ):
        assert (REPO / "docs" / name).is_file(), name
