"""Python's C3 linearization, shared by the fact stage (classes of one module) and the
model (classes across the project)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Optional, TypeVar

T = TypeVar("T")


def c3_merge(sequences: list[list[T]], key: Callable[[T], Hashable]) -> Optional[list[T]]:
    """Python's C3 merge of the bases' linearizations and the list of bases; None when no
    consistent order exists (Python raises TypeError for it)."""
    pending = [list(seq) for seq in sequences if seq]
    result: list[T] = []
    while pending:
        for seq in pending:
            head = key(seq[0])
            if not any(head in (key(c) for c in other[1:]) for other in pending):
                break
        else:
            return None
        result.append(seq[0])
        pending = [[c for c in seq if key(c) != head] for seq in pending]
        pending = [seq for seq in pending if seq]
    return result
