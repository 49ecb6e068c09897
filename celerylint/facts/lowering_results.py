"""What lowering newer syntax reports: the constructs found and the rewritten text.

`Feature` and `Lowering` are the data shared by the token scan
(`lowering_tokens`), the libcst finder (`lowering_finder`), the position
mapping (`lowering_positions`) and the entry points in `syntax`; they live
apart from all of those so that none has to import another for its types.
This module imports neither libcst nor anything heavy.
"""

from __future__ import annotations

import ast
import sys
from typing import Optional

import msgspec

Version = tuple[int, int]  # (major, minor)

RUNNING: Version = (sys.version_info[0], sys.version_info[1])


class Feature(msgspec.Struct, frozen=True):
    """A construct newer than the target Python, found at `line`."""

    version: Version
    description: str
    line: int


class Lowering(msgspec.Struct, frozen=True):
    """What `lower` made of a source.

    `source` is the rewritten text, or None when libcst was not tried, could
    not parse the file, or found nothing to rewrite. `features` lists the
    newer constructs found, whether rewritten or not. `skipped` says why
    libcst was not tried.
    """

    source: Optional[str]
    features: tuple[Feature, ...] = ()
    skipped: Optional[str] = None
    # (start, end, text) on the original source, in order: `source` is the
    # original with these applied.
    edits: tuple[tuple[int, int, str], ...] = ()
    # `source` parsed, when `lower` already had to parse it.
    tree: Optional[ast.Module] = None

    @property
    def required(self) -> Optional[Version]:
        return max((f.version for f in self.features), default=None)
