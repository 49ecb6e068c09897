"""Rule specifications (`rules/<name>.yaml`) and the documentation rendered from them.

Each rule's YAML file is its contract: metadata, the prose of its documentation
page (modelled on ruff's rule pages) and the examples the test suite runs. This
module finds those files (in a checkout or in an installed wheel), loads them,
and renders a rule's Markdown page, used both by `scripts/gen_docs.py` and by
the `celerylint rule NAME` command.

PyYAML is imported lazily: `celerylint rule NAME` prints the page generated
from the YAML (`docs/rules/<name>.md`, a test keeps it current) and parses
YAML only when that page is missing.
"""

from __future__ import annotations

import os

from celerylint.rules.meta import RuleMeta, lookup

TYPE_CHECKING = False  # not `typing`'s: see `rule_page`
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

#: Keys every rule specification must have, in their documented order.
SPEC_KEYS: tuple[str, ...] = (
    "code",
    "name",
    "severity",
    "summary",
    "fix",
    "fix_applicability",
    "what_it_does",
    "why_bad",
    "example",
    "use_instead",
    "fix_safety",
    "references",
    "examples",
)

FIX_AVAILABILITY: tuple[str, ...] = ("never", "sometimes", "always")
FIX_APPLICABILITY: tuple[str, ...] = ("safe", "unsafe")


def _data_dir(checkout_name: str, wheel_name: str) -> str:
    """A directory of the repository in a source checkout (an editable install too),
    else the copy an installed wheel carries inside the package.

    The checkout is recognised by its `pyproject.toml` as well, so that an
    unrelated top-level `rules` package in `site-packages` is never mistaken for ours.
    """
    package = os.path.dirname(os.path.realpath(__file__))
    checkout = os.path.dirname(package)
    candidate = os.path.join(checkout, checkout_name)
    if os.path.isdir(candidate) and os.path.isfile(os.path.join(checkout, "pyproject.toml")):
        return candidate
    return os.path.join(package, wheel_name)


def rules_dir() -> Path:
    """The directory holding the rule specifications (`rules/`; `celerylint/_rules` in a wheel)."""
    from pathlib import Path  # see `rule_page`

    return Path(_data_dir("rules", "_rules"))


def rule_page(meta: RuleMeta) -> str:
    """A rule's documentation page: the generated Markdown, rendered from YAML if it is missing.

    `celerylint rule NAME` comes here first thing, so this path imports neither
    `pathlib` nor `typing` (together a third of that command's 0.05 s budget)."""
    page = os.path.join(_data_dir(os.path.join("docs", "rules"), "_rule_docs"), f"{meta.name}.md")
    try:
        with open(page, encoding="utf-8") as text:
            return text.read()
    except OSError:
        return render_markdown(load_spec(meta.name))


def spec_path(code_or_name: str) -> Path:
    """Path of the specification of a rule given by code (`CL101`) or name."""
    meta = lookup(code_or_name)
    if meta is None:
        raise KeyError(f"unknown rule: {code_or_name!r}")
    return rules_dir() / f"{meta.name}.yaml"


def _load_yaml(path: Path) -> dict[str, Any]:
    import yaml  # lazy: only documentation commands need it

    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a rule specification must be a mapping")
    return data


def load_specs(directory: Path | None = None) -> list[dict[str, Any]]:
    """Every rule specification in `directory` (default: `rules_dir()`), ordered by code."""
    paths = sorted((directory or rules_dir()).glob("*.yaml"))
    return sorted((_load_yaml(path) for path in paths), key=lambda spec: str(spec["code"]))


def load_spec(code_or_name: str) -> dict[str, Any]:
    """Load the specification of one rule, by code (any case) or name.

    Raises `KeyError` for a rule that does not exist and `FileNotFoundError`
    when the rule exists but its specification is missing.
    """
    return _load_yaml(spec_path(code_or_name))


def fix_summary(spec: dict[str, Any]) -> str:
    """One sentence on fix availability, in ruff's words."""
    fix = spec.get("fix", "never")
    if fix == "never":
        return "No fix available."
    applicability = spec.get("fix_applicability")
    sentence = f"Fix is {fix} available"
    if applicability == "unsafe":
        return f"{sentence} (unsafe: applied with `--fix --unsafe-fixes`)."
    if applicability == "safe":
        return f"{sentence} (safe: applied with `--fix`)."
    return f"{sentence}."


def _block(text: Any) -> str:
    return str(text or "").strip()


def _code_block(text: Any) -> str:
    return f"```python\n{_block(text)}\n```"


def render_markdown(spec: dict[str, Any]) -> str:
    """Render a rule's documentation page as Markdown (ends with one newline)."""
    parts: list[str] = [
        f"# {spec['name']} ({spec['code']})",
        f"Severity: **{spec['severity']}** · {fix_summary(spec)}",
        _block(spec.get("summary")),
        "## What it does",
        _block(spec.get("what_it_does")),
        "## Why is this bad?",
        _block(spec.get("why_bad")),
        "## Example",
        _code_block(spec.get("example")),
        "## Use instead",
        _code_block(spec.get("use_instead")),
        "## Fix safety",
        _block(spec.get("fix_safety")) or "This rule has no fix.",
    ]
    references = spec.get("references") or []
    if references:
        parts.append("## References")
        parts.append("\n".join(f"- [{ref['title']}]({ref['url']})" for ref in references))
    page = "\n\n".join(part for part in parts if part)
    # No trailing whitespace on any line, exactly one final newline.
    return "\n".join(line.rstrip() for line in page.splitlines()) + "\n"
