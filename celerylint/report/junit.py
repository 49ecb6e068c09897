"""JUnit XML: one test suite per file, one failing test case per finding.

CI systems without a linter integration (Jenkins, Azure Pipelines, GitLab's
test reports) show it as test results. A clean run is one passing case, so
the report is never an empty suite.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TextIO

from celerylint.diagnostics import Diagnostic
from celerylint.report import ReportContext, display_path, sanitize

PACKAGE = "org.celerylint"


def junit_tree(diagnostics: Sequence[Diagnostic], ctx: ReportContext) -> ET.Element:
    by_file: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        by_file.setdefault(diagnostic.path, []).append(diagnostic)
    count = str(len(diagnostics))
    suites = ET.Element("testsuites", name="celerylint", tests=count, failures=count, errors="0")
    if not diagnostics:
        suite = ET.SubElement(
            suites, "testsuite", name="celerylint", tests="1", failures="0", errors="0"
        )
        ET.SubElement(suite, "testcase", name="No errors found", classname="celerylint")
        return suites
    for path, found in by_file.items():
        # sanitize: XML 1.0 cannot carry control characters, even escaped.
        shown = sanitize(display_path(path, ctx.cwd))
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=shown,
            tests=str(len(found)),
            failures=str(len(found)),
            errors="0",
            disabled="0",
            package=PACKAGE,
        )
        for diagnostic in found:
            span = diagnostic.span
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{PACKAGE}.{diagnostic.code}",
                classname=shown,
                file=shown,
                line=str(span.line),
                column=str(span.col + 1),
            )
            failure = ET.SubElement(
                case,
                "failure",
                message=sanitize(diagnostic.message),
                type=f"{diagnostic.code} [{diagnostic.name}]",
            )
            failure.text = sanitize(
                f"line {span.line}, col {span.col + 1}, {diagnostic.code} [{diagnostic.name}]"
                f" {diagnostic.message}"
            )
    return suites


def render_junit(diagnostics: Sequence[Diagnostic], out: TextIO, ctx: ReportContext) -> None:
    tree = junit_tree(diagnostics, ctx)
    ET.indent(tree)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(tree, encoding="unicode") + "\n")
