"""Generate the rule documentation pages from `rules/*.yaml`.

    python scripts/gen_docs.py           # write docs/rules/<name>.md and docs/rules/index.md
    python scripts/gen_docs.py --check   # exit 1, listing stale files, if anything would change

Pages of rules that no longer exist are deleted (or reported by --check).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

from celerylint.ruledocs import load_spec, render_markdown, spec_path  # noqa: E402
from celerylint.rules.meta import ALL_RULES  # noqa: E402

DOCS_RULES = REPO / "docs" / "rules"

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

_FIX_COLUMN = {"never": "", "sometimes": "sometimes", "always": "always"}


def _fix_cell(spec: dict) -> str:
    fix = _FIX_COLUMN.get(spec.get("fix", "never"), "")
    if not fix:
        return "—"
    applicability = spec.get("fix_applicability")
    return f"{fix} ({applicability})" if applicability else fix


def render_index(specs: Sequence[dict]) -> str:
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
            summary = str(spec["summary"]).replace("|", "\\|")
            lines.append(
                f"| {spec['code']} | [{spec['name']}]({spec['name']}.md) "
                f"| {summary} | {_fix_cell(spec)} |"
            )
    return "\n".join(lines) + "\n"


def missing_specs() -> list[str]:
    """Codes of catalogue rules that have no `rules/<name>.yaml` yet."""
    return [rule.code for rule in ALL_RULES if not spec_path(rule.code).is_file()]


def generate() -> dict[Path, str]:
    """Every generated page, keyed by its path (rules without a spec are skipped)."""
    missing = set(missing_specs())
    specs = [load_spec(rule.code) for rule in ALL_RULES if rule.code not in missing]
    pages = {DOCS_RULES / f"{spec['name']}.md": render_markdown(spec) for spec in specs}
    pages[DOCS_RULES / "index.md"] = render_index(specs)
    return pages


def stale_files(pages: dict[Path, str]) -> list[Path]:
    """Generated files that are missing or different, and pages of no rule."""
    stale = [
        path
        for path, content in pages.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != content
    ]
    if DOCS_RULES.is_dir():
        stale += [path for path in DOCS_RULES.glob("*.md") if path not in pages]
    return sorted(stale)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate docs/rules/*.md from rules/*.yaml.")
    parser.add_argument(
        "--check", action="store_true", help="only report stale files; exit 1 if any"
    )
    args = parser.parse_args(argv)

    for code in missing_specs():
        print(f"warning: {code} has no rules/{spec_path(code).name}; no page generated")
    pages = generate()
    stale = stale_files(pages)
    if args.check:
        if stale:
            print("Stale rule documentation (run `python scripts/gen_docs.py`):")
            for path in stale:
                print(f"  {path.relative_to(REPO).as_posix()}")
            return 1
        return 0

    DOCS_RULES.mkdir(parents=True, exist_ok=True)
    for path in stale:
        if path in pages:
            with path.open("w", encoding="utf-8", newline="\n") as fh:
                fh.write(pages[path])
            print(f"wrote {path.relative_to(REPO).as_posix()}")
        else:
            path.unlink()
            print(f"removed {path.relative_to(REPO).as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
