"""The demo project shows a finding of every rule, as the README promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from celerylint.cli import main
from celerylint.rules.meta import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent


def test_demo_shows_every_rule(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    code = main(["check", "demo", "--output-format", "json", "--no-cache"])
    found = {finding["code"] for finding in json.loads(capsys.readouterr().out)}
    assert code == 1
    assert sorted(rule.code for rule in ALL_RULES if rule.code not in found) == []
