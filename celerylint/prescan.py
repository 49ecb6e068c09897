"""Files read and prefiltered while the walk finds them, in worker processes.

A run that reads every file (`--no-cache`, or a first run, whose cache holds no
facts yet) used to walk the tree on one core and only then start workers to
read and prefilter what it found: on the 16-project tree the walk is 0.17 s,
and the other core idled through it.
Here the walk hands each batch of files it finds to workers forked early
(`forked.Stream`), so they prefilter the tree as it is walked; the fact store
then parses only the files that can matter. A walk that finds fewer than
`store.PARALLEL_THRESHOLD` files forks nothing (the store reads them
in-process, as before: a pool costs more than it saves).

With the workers, one more process is forked (`forked.Server`): it parses the
files the model asks for later, one at a time, that the prefilter left out. Parsed
here, their parse trees raised this process's peak (at the end of the rules, when
the most is alive) by 0.7-1 MiB at 4x saleor; a process forked then would hold, as
resident, all this one holds. Forked now, during the walk, it is the smallest.
"""

from __future__ import annotations

import functools
import os
from typing import Optional

from celerylint import store
from celerylint.config import Config
from celerylint.digest import content_digest
from celerylint.forked import MAX_BATCH, Server, Stream, WorkersFailed, can_fork
from celerylint.sources.prefilter import RELEVANT, prefilter_tokens, relevance
from celerylint.sources.reading import read_bytes, read_keyed

__all__ = ["Prescan", "Scan"]

# What a worker found of one file: ("parse", its size) where it can matter, ("skip",
# the `prefilter.MARKERS` it holds) where not, ("error", 0) where it could not be read
# (the store reads it again, and says why); then, for a cache, its content digest and
# the (mtime_ns, size) it had when read.
Scan = tuple[str, int, Optional[str], Optional[tuple[int, int]]]

# What marshal adds to each path in a batch (a type byte and a length), at most.
_PER_PATH = 5


def scan(path: str, tokens: tuple[bytes, ...], digest: bool) -> Scan:
    """Read and prefilter one file (in a worker); with `digest`, hash it too."""
    key: Optional[tuple[int, int]] = None
    try:
        if digest:
            data, key = read_keyed(path)
        else:
            data = read_bytes(path)
    except OSError:
        return "error", 0, None, None
    sha = content_digest(data) if digest else None
    markers = relevance(data, os.path.basename(path), tokens)
    if markers == RELEVANT:
        return "parse", len(data), sha, key
    return "skip", markers, sha, key


class Prescan:
    """Told each file the walk finds (`found`); then what the workers found of them
    (`results`). `close` ends the workers in any case."""

    def __init__(self, config: Config, workers: int, digest: bool = False) -> None:
        self._tokens = prefilter_tokens(config.task_decorators)
        self._workers = workers
        # Contents hashed, for a store that fills a cache.
        self.digest = digest
        self._sent: list[str] = []  # the paths handed to workers, in order
        self._batch: list[str] = []
        self._size = 0  # the batch's bytes as marshal writes them, about
        self._stream: Optional[Stream[str, Scan]] = None
        self._task_decorators = tuple(config.task_decorators)
        # Parses what the model asks for later (`settle_forced`); kept until `close`.
        self._server: Optional[Server[tuple[store.Job, bool], store.Settled]] = None
        # No workers here (one core, or none can be forked), or they failed.
        self._off = workers < 2

    def found(self, path: str) -> None:
        if self._off:
            return
        size = len(path.encode("utf-8", "surrogatepass")) + _PER_PATH
        if self._stream is not None and self._size + size > MAX_BATCH - _PER_PATH:
            self._send()
            if self._off:
                return  # the workers failed: the store reads every file itself
        self._batch.append(path)
        self._size += size
        # Read here, not bound at import: tests lower and raise it.
        if self._stream is None and len(self._batch) >= store.PARALLEL_THRESHOLD:
            self._start()

    def results(self) -> Optional[dict[str, Scan]]:
        """What the workers found of each file, by path; None if they never started or
        failed (the store then reads every file itself)."""
        if self._stream is None:
            return None
        try:
            if self._batch:
                self._send()
            return dict(zip(self._sent, self._stream.results(), strict=True))
        except (OSError, WorkersFailed):
            return None
        finally:
            self._end_stream()

    def settle_forced(self, jobs: list[store.Job], digest: bool) -> Optional[list[store.Settled]]:
        """The store's `_settle` of files it must parse (`force`), done in the server
        forked with the workers; None without one, or when it failed (the store then
        parses them itself)."""
        if self._server is None:
            return None
        try:
            return self._server.map([(job, digest) for job in jobs])
        except (OSError, WorkersFailed):
            self._server.close()
            self._server = None
            return None

    def close(self) -> None:
        """End the workers and the server."""
        self._end_stream()
        if self._server is not None:
            self._server.close()
            self._server = None

    def _end_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
            self._off = True
        # A path each file of the tree: not held through the rest of the run.
        self._sent, self._batch = [], []

    def _start(self) -> None:
        if not can_fork():
            self._off = True
            return
        # The server first: forked after the workers, it would hold their pipes open,
        # and they would outlive this process if it were killed.
        settle = functools.partial(
            store.settle_forced, tokens=self._tokens, task_decorators=self._task_decorators
        )
        try:
            self._server = Server(settle, warm_up=store.import_extractors)
        except OSError:  # no processes here (a sandbox)
            self._off = True
            return
        try:
            work = functools.partial(scan, tokens=self._tokens, digest=self.digest)
            self._stream = Stream(work, self._workers)
        except OSError:
            self.close()
            self._off = True
            return
        found, self._batch, self._size = self._batch, [], 0
        for path in found:
            self.found(path)

    def _send(self) -> None:
        assert self._stream is not None
        try:
            self._stream.submit(self._batch)
        except (OSError, ValueError):
            # A worker died, or one path is longer than a batch holds (a walk deeper
            # than PATH_MAX): the store reads every file itself.
            self.close()
            return
        self._sent.extend(self._batch)
        self._batch, self._size = [], 0
