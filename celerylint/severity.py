"""How serious a finding is: its own module so that the rule catalogue imports nothing heavy."""

from __future__ import annotations

from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
