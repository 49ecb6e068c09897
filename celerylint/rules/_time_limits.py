"""Reading a time-limit option as seconds, shared by CL201 and CL202."""

from __future__ import annotations

from typing import Optional

from celerylint.model.tasks import Option


def limit_seconds(option: Option) -> Optional[float]:
    """A known limit in seconds; 0 and None mean no limit; None if unknown."""
    if not option.known:
        raise LookupError
    value = option.value.value
    if value is None or value is False:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    raise LookupError
