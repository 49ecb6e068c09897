"""Is a top package imported through the namespace directories above it?

A directory with no `__init__.py` above a package (`bodhi-server/bodhi/`, which
holds the package `server/`; papermerge's `papermerge/`, which holds `core/`) is
a PEP 420 namespace package when the code runs from the directory above it: the
code then imports `bodhi.server.tasks`, and Celery registers the tasks of that
module under `bodhi.server.tasks.*`. But most such directories are no package
(`src/`, a checkout's `backend/`): the code runs with them on `sys.path` and
imports `server.tasks`.

The package's own files say which: a module imports its own package absolutely
by one name. Its files are read in order until one imports it bare (`from
server.models import ...`: the usual answer, found in the first few files), or
to the end; the namespace path is taken only when some import it by that path
and none bare or by another path.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable
from typing import Optional

import msgspec

from celerylint.digest import name_digest
from celerylint.sources.modules import INIT_FILE, SourceFile
from celerylint.sources.places import is_test_path
from celerylint.sources.reading import read_keyed

# Told of each file read to decide: its path, its (mtime_ns, size) when read, and the
# digest of what the decision reads of it (`_import_evidence`).
OnRead = Callable[[str, tuple[int, int], str], None]

__all__ = ["with_namespace_paths"]

# An absolute import at a line's start, and the module it names (`from
# bodhi.server.models import`, `import server`): not a relative one. One pattern for
# every package (compiling one for each cost more than the reading on the corpus).
_ABSOLUTE_IMPORT = re.compile(rb"^[ \t]*(?:from|import)[ \t]+([A-Za-z_][\w.]*)", re.MULTILINE)


def with_namespace_paths(
    files: list[SourceFile],
    root: str,
    exclude: frozenset[str] = frozenset(),
    on_read: Optional[OnRead] = None,
) -> list[SourceFile]:
    """`files` (sorted by path), with the modules of each top package whose files import
    it through the namespace directories above it (below `root`) named so: `server.tasks`
    becomes `bodhi.server.tasks`. `exclude`: package directories that are no top package
    (a checkout's top). `on_read` is told of each file read (`OnRead`)."""
    paths = [source.path for source in files]
    renamed = list(files)
    # A regular package (or module) wins over namespace portions wherever it is on
    # `sys.path`: baserow's `tests/baserow/core/notifications/` imports the package
    # `baserow.core.notifications` of `src/`, not itself through `tests/baserow/core/`.
    regular = {source.module for source in files if "." not in source.module}
    for source in files:
        if not source.is_package or "." in source.module:
            continue
        package_dir = os.path.dirname(source.path)
        if package_dir in exclude:
            continue
        above = {
            path
            for path in _namespace_paths(os.path.dirname(package_dir), root)
            if path.partition(".")[0] not in regular
        }
        if not above:
            continue
        start = bisect.bisect_left(paths, package_dir + os.sep)
        end = bisect.bisect_left(paths, package_dir + chr(ord(os.sep) + 1), start)
        namespace = _imported_through(package_dir, paths[start:end], source.module, above, on_read)
        if namespace is None:
            continue
        for index in range(start, end):
            inner = renamed[index]
            # A file of a directory with no `__init__.py` inside is named later, from
            # its package's name (`canonical_modules`).
            if inner.module.partition(".")[0] == source.module:
                module = f"{namespace}.{inner.module}"
                renamed[index] = msgspec.structs.replace(inner, module=module)
    return renamed


def _namespace_paths(directory: str, root: str) -> frozenset[str]:
    """The dotted paths a package in `directory` may be imported through: `bodhi` for
    `bodhi-server/bodhi/`, `a.b` and `b` for `a/b/`, none when `directory` is a package,
    the root (its name is what the clone was called) or above it, or no identifier."""
    names: list[str] = []
    prefix = root.rstrip(os.sep) + os.sep
    while directory.startswith(prefix):
        name = os.path.basename(directory)
        if not name.isidentifier() or os.path.isfile(os.path.join(directory, INIT_FILE)):
            break
        names.insert(0, name)
        directory = os.path.dirname(directory)
    return frozenset(".".join(names[start:]) for start in range(len(names)))


def _imported_through(
    package_dir: str,
    paths: list[str],
    package: str,
    namespaces: set[str],
    on_read: Optional[OnRead],
) -> Optional[str]:
    """The one namespace path of `namespaces` the files `paths` of `package` (in
    `package_dir`) import it through; None as soon as one imports it bare, or when
    none imports it so. Test files are not asked."""
    name = package.encode()
    seen: set[str] = set()
    top = len(os.path.dirname(package_dir)) + 1
    for path in paths:
        # pytest puts the first directory above a test without an `__init__.py` on
        # `sys.path` (papermerge's tests import `core.features...`): how tests import
        # the package says nothing of how the worker does.
        if is_test_path(path[top:]):
            continue
        read = _absolute_imports(path)
        if read is None:
            continue
        imported, key = read
        if on_read is not None:
            on_read(path, key, _import_evidence(imported))
        for written in imported:
            parts = written.split(b".")
            if name not in parts:
                continue
            through = b".".join(parts[: parts.index(name)]).decode()
            if not through:
                return None
            if through in namespaces:
                seen.add(through)
        if len(seen) > 1:
            return None
    return next(iter(seen), None)


def _absolute_imports(path: str) -> Optional[tuple[list[bytes], tuple[int, int]]]:
    """The modules the file imports absolutely, and its (mtime_ns, size) as read; None
    if it cannot be read."""
    try:
        data, key = read_keyed(path)
    except OSError:
        return None
    return _ABSOLUTE_IMPORT.findall(data), key


def _import_evidence(imported: list[bytes]) -> str:
    """A digest of the modules a file imports absolutely, all the naming reads of it: an
    edit that keeps them (most edits) leaves the names as they were."""
    return name_digest(b"\n".join(imported))


def evidence_of(path: str) -> Optional[str]:
    """`_import_evidence` of the file as it is now; None if it cannot be read."""
    read = _absolute_imports(path)
    return _import_evidence(read[0]) if read is not None else None
