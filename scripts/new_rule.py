"""Scaffold a new rule: its specification, its module, and the regenerated catalogue.

    python scripts/new_rule.py CL904 queue-not-consumed [--severity error] [--summary "..."]

writes `rules/queue-not-consumed.yaml` (every section, one flagged and one clean
example to start from) and `celerylint/rules/cl904_queue_not_consumed.py` (a
registered check that finds nothing yet), then runs `scripts/gen_docs.py` so the
rule index, the README table and the docs pages list the new rule. Fill in the
YAML and the check until `pytest tests/test_rule_examples.py` passes (it also
asks for three flagged and three clean examples). `--root` scaffolds into
another copy of the repository.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
REPO = SCRIPTS.parent
for path in (REPO, SCRIPTS):  # run as a script from a checkout
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import gen_docs  # noqa: E402

from celerylint.ruledocs import load_specs  # noqa: E402
from celerylint.rules.registry import module_name  # noqa: E402

CODE = re.compile(r"^CL\d{3}$")
NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")

SPEC_TEMPLATE = """\
code: {code}
name: {name}
severity: {severity}
summary: {quoted_summary}
fix: never
fix_applicability: null
what_it_does: |
  TODO: what the rule reports, and where (the line that decides).
why_bad: |
  TODO: what goes wrong in production.
example: |
  from celery import shared_task


  @shared_task
  def example():
      return None
use_instead: |
  from celery import shared_task


  @shared_task
  def example():
      return None
fix_safety: |
  This rule has no fix.
references:
  - title: TODO
    url: https://docs.celeryq.dev/en/stable/
examples:
  - name: flagged
    description: TODO, a project the rule reports.
    files:
      proj/__init__.py: ""
      proj/tasks.py: |
        from celery import shared_task


        @shared_task
        def example():  # expect: {code}
            return None
  - name: clean
    description: TODO, a project the rule leaves alone.
    files:
      proj/__init__.py: ""
      proj/tasks.py: |
        from celery import shared_task


        @shared_task
        def example():
            return None
"""

MODULE_TEMPLATE = '''\
"""{code} {name}: {summary}"""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.diagnostics import Diagnostic
from celerylint.model.project import Project
from celerylint.rules.registry import rule


@rule("{code}", "{name}")
def {function}(project: Project) -> Iterator[Diagnostic]:
    # TODO: yield diagnostic("{code}", message, path, span) from celerylint.rules.base
    yield from ()
'''


def scaffold(root: Path, code: str, name: str, severity: str, summary: str) -> list[Path]:
    """Write the new rule's files under `root`; raise ValueError when it cannot exist."""
    if not CODE.match(code):
        raise ValueError(f"malformed code {code!r}: expected CL followed by three digits")
    if not NAME.match(name):
        raise ValueError(f"malformed name {name!r}: expected lower-case words joined by '-'")
    for spec in load_specs(root / "rules"):
        if spec["code"] == code:
            raise ValueError(f"{code} already exists: {spec['name']}")
        if spec["name"] == name:
            raise ValueError(f"{name} already exists: {spec['code']}")
    spec_path = root / "rules" / f"{name}.yaml"
    module_path = root / "celerylint" / "rules" / f"{module_name(code, name)}.py"
    for path in (spec_path, module_path):
        if not path.parent.is_dir():
            raise ValueError(f"{root} is not a celerylint checkout: no {path.parent}")
        if path.exists():
            raise ValueError(f"{path} already exists")
    fields = {"code": code, "name": name, "severity": severity, "summary": summary}
    # A JSON string is a YAML double-quoted scalar: any summary stays one string.
    spec = SPEC_TEMPLATE.format(quoted_summary=json.dumps(summary), **fields)
    spec_path.write_text(spec, encoding="utf-8")
    function = name.replace("-", "_")
    module_path.write_text(MODULE_TEMPLATE.format(function=function, **fields), encoding="utf-8")
    return [spec_path, module_path]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Scaffold a new celerylint rule.")
    parser.add_argument("code", help="the rule's code, e.g. CL904")
    parser.add_argument("name", help="the rule's name, e.g. queue-not-consumed")
    parser.add_argument("--severity", choices=("error", "warning"), default="warning")
    parser.add_argument("--summary", default="TODO: one sentence on what the rule finds.")
    parser.add_argument(
        "--root", type=Path, default=REPO, help="the repository to write into (default: this one)"
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        written = scaffold(root, args.code, args.name, args.severity, args.summary)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(root).as_posix()}")
    return gen_docs.main(["--root", str(root)])


if __name__ == "__main__":
    sys.exit(main())
