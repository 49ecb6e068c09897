"""Generate everything derived from the rule specifications, `rules/*.yaml`.

    python scripts/gen_docs.py           # write the generated files
    python scripts/gen_docs.py --check   # exit 1, listing stale files, if anything would change

The YAML files are the single source of each rule's metadata; from them come
the rule pages (`docs/rules/<name>.md` and `docs/rules/index.md`), the
catalogue the CLI imports (`celerylint/_rule_index.py`, plain data, so that
startup never imports YAML) and the rules table of `README.md` (between its
`rules-table` marker comments). Pages of rules that no longer exist are deleted
(or reported by --check). `--root` works on another copy of the repository.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

from celerylint.ruledocs import load_specs, render_markdown  # noqa: E402

Spec = dict[str, Any]

RULE_INDEX = Path("celerylint") / "_rule_index.py"
README = Path("README.md")
DOCS_RULES = Path("docs") / "rules"

README_TABLE_START = (
    "<!-- rules-table:start: generated from rules/*.yaml by scripts/gen_docs.py -->"
)
README_TABLE_END = "<!-- rules-table:end -->"

FAMILIES: tuple[tuple[str, str], ...] = (
    ("CL0", "Parsing and suppressions"),
    ("CL1", "Serialization"),
    ("CL2", "Time limits"),
    ("CL3", "Workers and blocking"),
    ("CL4", "Retries"),
    ("CL5", "Results"),
    ("CL8", "Calling tasks and task code"),
    ("CL9", "Setting names"),
)

LINE_LENGTH = 100  # [tool.ruff] line-length

_FIX_COLUMN = {"never": "", "sometimes": "sometimes", "always": "always"}


def _fix_cell(spec: Spec) -> str:
    fix = _FIX_COLUMN.get(spec.get("fix", "never"), "")
    if not fix:
        return "—"
    applicability = spec.get("fix_applicability")
    return f"{fix} ({applicability})" if applicability else fix


def _table_cell(text: object) -> str:
    return str(text).replace("|", "\\|")


def render_index(specs: Sequence[Spec]) -> str:
    lines = [
        "# Rules",
        "",
        "Every rule celerylint checks. Select or ignore them by code or by name",
        "(see [configuration](../configuration.md)); silence one finding with a",
        "[suppression comment](../suppressions.md).",
        "",
        "The *Fix* column says whether `--fix` can rewrite the finding: *safe* fixes",
        "are applied by `--fix`, *unsafe* ones only with `--fix --unsafe-fixes`.",
    ]
    known = tuple(prefix for prefix, _ in FAMILIES)
    groups = [*FAMILIES, ("", "Other rules")]
    for prefix, title in groups:
        if prefix:
            family = [spec for spec in specs if str(spec["code"]).startswith(prefix)]
        else:
            family = [spec for spec in specs if not str(spec["code"]).startswith(known)]
        if not family:
            continue
        lines += [
            "",
            f"## {title}",
            "",
            "| Code | Name | Summary | Fix |",
            "| ---- | ---- | ------- | --- |",
        ]
        for spec in family:
            lines.append(
                f"| {spec['code']} | [{spec['name']}]({spec['name']}.md) "
                f"| {_table_cell(spec['summary'])} | {_fix_cell(spec)} |"
            )
    return "\n".join(lines) + "\n"


def _literal(text: str) -> str:
    """A string literal as the formatter writes it: double quotes unless they need escaping."""
    literal = repr(text)
    if literal.startswith("'") and "'" not in text and '"' not in text:
        literal = f'"{literal[1:-1]}"'
    return literal


def _long_line(line: str) -> str:
    """A summary stays on one line, however long: tell the linter so."""
    return f"{line}  # noqa: E501" if len(line) > LINE_LENGTH else line


def render_rule_index(specs: Sequence[Spec]) -> str:
    """`celerylint/_rule_index.py`: the metadata of every rule as plain Python data."""
    lines = [
        '"""Every rule\'s code, name, severity, summary and fix availability.',
        "",
        "Generated from rules/*.yaml by scripts/gen_docs.py: edit the YAML, then run",
        "`python scripts/gen_docs.py` (a test fails when this file is stale). Plain data,",
        "so that importing it at CLI startup costs nothing; `celerylint.rules.meta`",
        "gives it types and lookups.",
        '"""',
        "",
        "# (code, name, severity, summary, fix: never | sometimes | always)",
        "RULES: tuple[tuple[str, str, str, str, str], ...] = (",
    ]
    for spec in specs:
        fields = (spec["code"], spec["name"], spec["severity"], spec["summary"], spec["fix"])
        # One field a line, with trailing commas, as the formatter keeps it.
        lines += ["    (", *(_long_line(f"        {_literal(str(field))},") for field in fields)]
        lines.append("    ),")
    lines.append(")")
    return "\n".join(lines) + "\n"


def render_readme_table(specs: Sequence[Spec]) -> str:
    lines = ["| Code | Name | Fix | What it finds |", "| --- | --- | --- | --- |"]
    for spec in specs:
        name = spec["name"]
        lines.append(
            f"| {spec['code']} | [{name}](docs/rules/{name}.md) | {_fix_cell(spec)} "
            f"| {_table_cell(spec['summary'])} |"
        )
    return "\n".join(lines) + "\n"


def render_readme(readme: str, specs: Sequence[Spec]) -> str:
    """The README with the text between the rules-table markers regenerated."""
    start = readme.find(README_TABLE_START)
    end = readme.find(README_TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"README.md needs {README_TABLE_START} ... {README_TABLE_END}")
    head = readme[: start + len(README_TABLE_START)]
    return f"{head}\n{render_readme_table(specs)}{readme[end:]}"


def generate(root: Path = REPO) -> dict[Path, str]:
    """Every generated file of the repository at `root`, keyed by its path."""
    specs = load_specs(root / "rules")
    docs = root / DOCS_RULES
    files = {docs / f"{spec['name']}.md": render_markdown(spec) for spec in specs}
    files[docs / "index.md"] = render_index(specs)
    files[root / RULE_INDEX] = render_rule_index(specs)
    readme = (root / README).read_text(encoding="utf-8")
    files[root / README] = render_readme(readme, specs)
    return files


def stale_files(files: dict[Path, str], root: Path = REPO) -> list[Path]:
    """Generated files that are missing or different, and pages of no rule."""
    stale = [
        path
        for path, content in files.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != content
    ]
    docs = root / DOCS_RULES
    if docs.is_dir():
        stale += [path for path in docs.glob("*.md") if path not in files]
    return sorted(stale)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate what rules/*.yaml describes.")
    parser.add_argument(
        "--check", action="store_true", help="only report stale files; exit 1 if any"
    )
    parser.add_argument(
        "--root", type=Path, default=REPO, help="the repository to work on (default: this one)"
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()

    files = generate(root)
    stale = stale_files(files, root)
    if args.check:
        if stale:
            print("Stale generated files (run `python scripts/gen_docs.py`):")
            for path in stale:
                print(f"  {path.relative_to(root).as_posix()}")
            return 1
        return 0

    (root / DOCS_RULES).mkdir(parents=True, exist_ok=True)
    for path in stale:
        if path in files:
            with path.open("w", encoding="utf-8", newline="\n") as fh:
                fh.write(files[path])
            print(f"wrote {path.relative_to(root).as_posix()}")
        else:
            path.unlink()
            print(f"removed {path.relative_to(root).as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
