"""Per-file facts for every discovered file: from the cache, eagerly, or on demand.

Cold runs read, hash, prefilter and extract files in worker processes; warm
runs only stat files and take their facts from the content-hash cache.
"""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable, Container, Iterator
from sys import intern
from typing import TYPE_CHECKING, Optional, TypeVar, Union, cast

import msgspec
from msgspec.structs import force_setattr

from celerylint.cache import FactsCache, facts_digest, fingerprint, new_entry
from celerylint.config import Config
from celerylint.digest import content_digest
from celerylint.facts import extract_source
from celerylint.facts.schema import Assign, FileFacts, FunctionFacts, Ref, Unknown, failed
from celerylint.sources.modules import SourceFile
from celerylint.sources.places import PathsOfTests
from celerylint.sources.prefilter import (
    EVERY_MARKER,
    MARKERS,
    RELEVANT,
    markers_of,
    prefilter_tokens,
    relevance,
)
from celerylint.sources.reading import read_bytes, read_or_none, unreadable

if TYPE_CHECKING:
    from celerylint.prescan import Prescan, Scan

# Told (files settled, files to settle) as a cold run reads files (a progress bar).
Progress = Callable[[int, int], None]

# Files' (mtime_ns, size) as the caller stat'ed them just before.
Stats = dict[str, tuple[int, int]]
# Files a store settled: their (mtime_ns, size), content digest and facts (None: the
# prefilter said the file cannot matter).
Readings = dict[str, tuple[tuple[int, int], str, Optional[FileFacts]]]

# Below this many files to read, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 200
# Files the model asks for are all parsed (about 10 ms each): a pool pays from fewer.
PARALLEL_THRESHOLD_PARSED = 16
# Files read to answer `mentioning` (a pool's start costs about as much as 1,000 reads).
PARALLEL_THRESHOLD_MENTIONING = 3000

Item = TypeVar("Item")
Result = TypeVar("Result")


def cache_key(config: Config) -> str:
    """What the facts cache is keyed by: facts depend on the task decorators configured."""
    return fingerprint(sorted(config.task_decorators))


def worker_count() -> int:
    """Worker processes for a pool: one per core, at most 8."""
    return min(os.cpu_count() or 1, 8)


# A file to settle: (path, module, is_package, sha of its cached facts or None,
# parse even if the prefilter says no).
Job = tuple[str, str, bool, Optional[str], bool]
# What settling a file gives: (sha, status, facts, markers), the facts as msgpack where
# they encode: msgspec is several times faster than pickle between processes. Names
# from undecodable file names hold surrogates, and constants may be integers beyond
# 64 bits, both of which msgpack refuses: such facts are sent as they are. `markers`:
# those of `prefilter.MARKERS` a file the prefilter left out holds (else 0).
Settled = tuple[Optional[str], str, Union[bytes, FileFacts, None], int]
# The same, the facts decoded.
Decoded = tuple[Optional[str], str, Optional[FileFacts], int]

_ENCODER = msgspec.msgpack.Encoder()


@functools.cache
def _decoder() -> msgspec.msgpack.Decoder[FileFacts]:
    """Built when workers first send facts: analysing their types costs 4 ms, which a run
    that parses one file in-process (pre-commit) never needs."""
    return msgspec.msgpack.Decoder(FileFacts)


def _packed(facts: FileFacts) -> Union[bytes, FileFacts]:
    try:
        return _ENCODER.encode(facts)
    except (UnicodeEncodeError, OverflowError):
        return facts


# The tuples of names decoded so far in one load, each mapped to itself: most recur
# (11,300 functions' positional parameters are 2,900 tuples, 4,400 of them `("self",)`).
# Per load, so that a long-lived process (the language server) does not keep them all.
Tuples = dict[tuple[str, ...], tuple[str, ...]]


def _strings(names: tuple[str, ...], seen: Tuples) -> tuple[str, ...]:
    """The one tuple of these names, of interned strings."""
    known = seen.get(names)
    if known is None:
        known = seen[names] = tuple(map(intern, names))
    return known


def _share_names(function: FunctionFacts, seen: Tuples) -> None:
    force_setattr(function, "positional", _strings(function.positional, seen))
    if function.kwonly:
        force_setattr(function, "kwonly", _strings(function.kwonly, seen))
    for decorator in function.decorators:
        if decorator.qualname is not None:
            force_setattr(decorator, "qualname", intern(decorator.qualname))


def _decoded(encoded: bytes, seen: Tuples) -> FileFacts:
    """Facts a worker sent, their most repeated names made one string each.

    Decoding makes a string of every name: the 1,000 files parsed on a large tree gave
    139,000 strings, 28,000 distinct. Interning the parameters, decorators, assigned
    names, imported modules and names, and the qualified names and reasons assigned
    took 5 MB off the peak RSS on that tree (71 -> 66 MiB) for 16 ms; one tuple of
    each recurring list of names (`seen`) 0.9 MB more.
    """
    facts = _decoder().decode(encoded)
    for function in facts.functions.values():
        _share_names(function, seen)
    for cls in facts.classes.values():
        for method in cls.methods.values():
            _share_names(method, seen)
    for event in facts.events:
        if type(event) is Assign:
            force_setattr(event, "name", intern(event.name))
            node = event.node
            if type(node) is Ref:
                force_setattr(node, "qualname", intern(node.qualname))
            elif type(node) is Unknown:
                force_setattr(node, "reason", intern(node.reason))
    for imported in facts.discovery.imports:
        force_setattr(imported, "module", intern(imported.module))
        if imported.names:
            force_setattr(imported, "names", _strings(imported.names, seen))
    return facts


def _settle(
    job: Job,
    tokens: tuple[bytes, ...],
    task_decorators: tuple[str, ...],
    digest: bool,
    tests: Container[str] = (),
    pack: bool = False,
) -> Settled:
    """Read, hash, prefilter and extract one file: (sha, status, facts, markers).

    status: "same" (content as cached), "skip" (prefiltered out, or test-only: a
    path in `tests`), "parsed", "error".
    Runs in worker processes: reading and scanning 4,000 files costs as much as
    parsing the hundred that matter, so all of it is spread across cores.
    Without `digest` (no cache to check or fill: `--no-cache`) the sha is None.
    With `pack` (for another process), the facts as msgpack where they encode.
    """
    path, module, is_package, known_sha, force = job
    try:
        data = read_bytes(path)
    except OSError as exc:
        return None, "error", failed(unreadable(exc)), 0
    sha = content_digest(data) if digest else None
    if sha is not None and sha == known_sha:
        return sha, "same", None, 0
    if not force:
        markers = relevance(data, os.path.basename(path), tokens)
        if markers != RELEVANT:
            return sha, "skip", None, markers
        if path in tests:
            return sha, "skip", None, EVERY_MARKER
    facts = extract_source(data, module, is_package, task_decorators)
    return sha, "parsed", _packed(facts) if pack else facts, 0


def settle_forced(
    item: tuple[Job, bool], tokens: tuple[bytes, ...], task_decorators: tuple[str, ...]
) -> Settled:
    """`_settle` of a file the model asks for (`prescan`'s server): (job, digest)."""
    job, digest = item
    return _settle(job, tokens, task_decorators, digest, pack=True)


def import_extractors() -> None:
    """The extractors (24 ms to import), before a process parses."""
    import celerylint.facts.python  # noqa: F401


def _unordered(done: list[Decoded], order: list[int]) -> list[Decoded]:
    """Results put back in their jobs' order: `done[rank]` is that of job `order[rank]`."""
    results: list[Optional[Decoded]] = [None] * len(order)
    for rank, index in enumerate(order):
        results[index] = done[rank]
    return cast(list[Decoded], results)


def _parallel(
    function: Callable[[Item], Result],
    items: list[Item],
    chunk: int,
    meanwhile: Optional[Callable[[], None]] = None,
) -> Iterator[Result]:
    """`map(function, items)` in worker processes, `chunk` items at a time (OSError or
    RuntimeError where none can be made or one failed: a sandbox, a frozen app; the
    caller then works in-process).

    Forked (`forked.parallel_map`): workers start without re-importing anything, and
    this process imports no `multiprocessing`. Not from a process running other
    threads (the language server): a forked child inherits their locks held, and can
    wait on them forever; such a process starts its workers from a fresh interpreter
    (`concurrent.futures`, spawn), once, on a cold load.
    """
    from celerylint.forked import can_fork, parallel_map

    workers = worker_count()
    if can_fork():
        yield from parallel_map(function, items, workers, chunk, meanwhile)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    spawn = multiprocessing.get_context("spawn")
    # No garbage collection in the workers: a worker lives for one pool, and what it
    # makes (parse trees, bytes) holds no cycles, so collecting only cost time.
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=gc.disable) as pool:
        results = pool.map(function, items, chunksize=chunk)
        if meanwhile is not None:
            meanwhile()
        yield from results


def _read(path: str, overlay: dict[str, bytes]) -> Optional[bytes]:
    """A file's bytes as a run sees them (the overlay first); None if unreadable."""
    data = overlay.get(path)
    return data if data is not None else read_or_none(path)


# Texts looked for, shortest first, each with the index of a shorter one it contains
# (-1: none): `FactStore.mentioning`.
Needles = list[tuple[str, bytes, int]]


def _needles(texts: list[str]) -> Needles:
    """The texts to look for, shortest first. A text containing a shorter one asked with
    it (".KEY" and "KEY") is looked for only in the files that hold the shorter one:
    one scan of most files."""
    ordered = sorted({text: text.encode() for text in texts}.items(), key=lambda n: len(n[1]))
    return [
        (text, needle, max((j for j in range(i) if ordered[j][1] in needle), default=-1))
        for i, (text, needle) in enumerate(ordered)
    ]


def _mentions(
    paths: list[str], needles: Needles, read: Callable[[str], Optional[bytes]]
) -> dict[str, list[str]]:
    """For each text, the paths among `paths` whose bytes contain it, in order."""
    found: dict[str, list[str]] = {text: [] for text, _, _ in needles}
    for path in paths:
        data = read(path)
        if data is None:  # unreadable: it might mention anything
            for hits in found.values():
                hits.append(path)
            continue
        present: list[bool] = []
        for text, needle, shorter in needles:
            hit = (shorter < 0 or present[shorter]) and needle in data
            present.append(hit)
            if hit:
                found[text].append(path)
    return found


def _counted(
    results: Iterator[Settled], total: int, progress: Optional[Progress], before: int = 0
) -> list[Decoded]:
    """The results as a list, telling `progress` as each arrives (after `before` files
    settled already, of `before` + `total`). Their facts are decoded as they arrive: the
    encoded facts of a whole large tree, held until all had come, left 1.8 MB more peak
    RSS."""
    done: list[Decoded] = []
    seen: Tuples = {}
    for sha, status, facts, markers in results:
        facts = _decoded(facts, seen) if isinstance(facts, bytes) else facts
        done.append((sha, status, facts, markers))
        if progress is not None:
            progress(before + len(done), before + total)
    return done


# An open buffer's extracted facts, kept while its text stays the same:
# (text, module, is_package) -> facts.
Buffer = tuple[bytes, str, bool]
# Texts of one buffer whose facts are kept: the fixer tries subsets of a round's
# fixes, so a file's text goes back and forth between a few versions.
BUFFER_VERSIONS = 8


class FactStore:
    """Facts for every discovered file: from the cache, eagerly, or on demand.

    One store serves one check. A long-lived process (the language server)
    passes the previous check's store as `previous`: its cache entries are
    already decoded in memory (a load then only stats files) and its open
    buffers' facts are reused while their text is one it had lately. With
    `disk_unchanged` (the caller checked with `changed_on_disk`, or the fixer,
    which writes nothing until the end) the files are not even stat'ed: the
    previous store's facts of every file not open are taken as they are.
    `stats`: files the caller stat'ed just before (a run being recorded watches
    them all): not stat'ed again.
    """

    def __init__(
        self,
        files: list[SourceFile],
        config: Config,
        use_cache: bool,
        overlay: Optional[dict[str, bytes]] = None,
        previous: Optional[FactStore] = None,
        disk_unchanged: bool = False,
        stats: Optional[Stats] = None,
        earlier: Optional[Readings] = None,
        keep_readings: bool = False,
        prescan: Optional[Prescan] = None,
        tests: Optional[PathsOfTests] = None,
    ) -> None:
        self.files = {f.path: f for f in files}
        # Test-only files (as the model tells them: `Project.test_paths`) are parsed only
        # when the model asks for one: nothing in them is reported, and what they do (a
        # test app, a result read, a task sent) is not what production does. A third of
        # the bytes the prefilter keeps on the 16-project tree (2.9 of 9.1 MB). `tests`:
        # the project's, for a store of only some of its files (`command_reuse`).
        if tests is None:
            tests = PathsOfTests(path for path, f in self.files.items() if f.module)
        self.tests = tests
        # Files read and prefiltered during the walk (used where every file is read).
        self._prescan = prescan
        # Parses the files the model asks for, in its server, until the run closes it.
        self._forced_parser = prescan
        # Unsaved contents (a `--diff` run's fixed text): used instead of the disk.
        self.overlay = overlay or {}
        self.tokens = prefilter_tokens(config.task_decorators)
        self.task_decorators = tuple(config.task_decorators)
        key = cache_key(config)
        directory = config.effective_cache_dir if use_cache else None
        self.cache: FactsCache
        # Each open buffer's facts, by its texts (the latest last).
        self.buffers: dict[str, dict[Buffer, FileFacts]] = {}
        if previous is not None and previous.cache.same_as(directory, key):
            self.cache = previous.cache
            self.buffers = {
                path: dict(previous.buffers[path])
                for path in self.overlay
                if path in previous.buffers
            }
        else:
            self.cache = FactsCache(directory, key)
        self.facts: dict[str, FileFacts] = {}
        # The JSON of facts the cache holds them as (taken from or written to an entry).
        self._json: dict[str, msgspec.Raw] = {}
        self.relevant: list[str] = []
        self.parsed = 0
        # Every text `mentioning` was asked about in this check, with the files found:
        # a recorded run is reused only while changed files answer them alike (`reuse`).
        self.mentioned: dict[str, list[str]] = {}
        # The `prefilter.MARKERS` held by the files this store's prefilter left out, for
        # those holding any: `mentioning` need not read one lacking a marker of every
        # text. Only while every file without facts was left out by it (`_unscanned`:
        # those taken without facts from the cache or an earlier store).
        self._holding: dict[str, int] = {}
        self._unscanned = 0
        # (mtime_ns, size) of each file as it was stat'ed: the cache entry's key. Not the
        # stat_result: 4,000 of those are 2.7 MB, the largest thing a cold run holds.
        self._stats: Stats = {}
        self._known_stats = stats or {}
        # Files an earlier store of this run settled (`reuse`, which then computed after
        # all): taken while their (mtime, size) is the same, not read again.
        self._earlier = earlier or {}
        # With `keep_readings`, what this store settles, for a later one; contents are
        # hashed then even without a cache (the later store has one to fill).
        self.readings: Optional[Readings] = {} if keep_readings else None
        # The store whose facts of files read from disk are still true; only during `load`
        # (a store never holds on to the one before it: memory stays bounded).
        self._unchanged: Optional[FactStore] = None
        if (
            disk_unchanged
            and previous is not None
            and previous.cache is self.cache
            and previous.files == self.files
        ):
            self._unchanged = previous

    def _job(self, path: str, force: bool = False) -> Job:
        source = self.files[path]
        cached = self.cache.entries.get(path)
        known = None
        if (
            cached
            and cached.module == source.module
            and cached.is_package == source.is_package
            and self.cache.usable(path)
        ):
            known = cached.digest
        return (path, source.module, source.is_package, known, force)

    def load(
        self, progress: Optional[Progress] = None, meanwhile: Optional[Callable[[], None]] = None
    ) -> None:
        """Settle every file: cached facts, prefiltered out, or parsed now (in parallel).
        `meanwhile` is run while worker processes parse, if any do (its caller must
        run it otherwise)."""
        pending: list[Job] = []
        unchanged, self._unchanged = self._unchanged, None
        prescanned = self._prescanned()
        prescanned_any = bool(prescanned)
        sizes: list[int] = []  # of the jobs pending after a prescan: the files' sizes
        for path, source in self.files.items():
            if path in self.overlay:
                if path in self.tests:  # as on disk (`_settle`): parsed only if asked for
                    self._holding[path] = EVERY_MARKER
                    self._take(path, None, scanned=True)
                else:
                    self._take(path, self._buffer_facts(path, source))
                continue
            if unchanged is not None and unchanged.read_from_disk(path):
                if path in unchanged._stats:
                    self._stats[path] = unchanged._stats[path]
                self._take(path, unchanged.facts.get(path))
                continue
            # No cache to key (`--no-cache`): the workers read every file anyway, and
            # say which they cannot read.
            jobs = [self._job(path)] if self.cache.file is None else self._from_cache(path)
            if not jobs:
                continue  # settled from the cache
            scanned = prescanned.get(path)
            # Left out by the walk's workers (or test-only), and as it was then (the
            # cache's key): taken.
            if scanned is not None and scanned[3] == self._stats.get(path):
                if scanned[0] == "skip":
                    self._settled(path, (scanned[2], "skip", None, scanned[1]))
                    continue
                if scanned[0] == "parse" and path in self.tests:
                    self._settled(path, (scanned[2], "skip", None, EVERY_MARKER))
                    continue
            pending.extend(jobs)
            sizes.append(scanned[1] if scanned is not None and scanned[0] == "parse" else 0)
        before = len(self.files) - len(pending)
        # After a prescan, what is left is nearly all to parse: a pool pays from fewer.
        self._settle_all(
            pending,
            progress,
            parsed_only=prescanned_any,
            meanwhile=meanwhile,
            before=before,
            sizes=sizes if prescanned_any else None,
        )
        self.cache.prune(set(self.files))

    def _prescanned(self) -> dict[str, Scan]:
        """What the walk's workers found, by path, if they found what this store needs
        (a cache's digests, if it has a cache). The workers end here in any case."""
        prescan, self._prescan = self._prescan, None
        if prescan is None:
            return {}
        if (self.cache.file is not None and not prescan.digest) or self.readings is not None:
            prescan.close()
            return {}
        return prescan.results() or {}

    def load_only(self, paths: list[str]) -> None:
        """Settle only `paths`, from the cache or read now; nothing is asked of the other
        files' entries (`reuse` needs the facts of the files that changed, no others)."""
        self._settle_all([job for path in paths for job in self._from_cache(path)])

    def _from_cache(self, path: str) -> list[Job]:
        """Settle `path` from its cache entry if that holds; else the job that settles it."""
        key = self._known_stats.get(path)
        if key is None:
            try:
                stat = os.stat(path)
            except OSError as exc:
                self._take(path, failed(unreadable(exc)))
                return []
            key = (stat.st_mtime_ns, stat.st_size)
        self._stats[path] = key
        earlier = self._earlier.get(path)
        if earlier is not None and earlier[0] == key:
            _key, sha, facts = earlier
            self._remember(path, sha, facts)
            self._take(path, facts)
            return []
        entry = self.cache.lookup(path, key)
        source = self.files[path]
        if entry is None or (entry.module, entry.is_package) != (source.module, source.is_package):
            # Facts are extracted under a module's name: a file renamed by discovery (a
            # checkout's top now imported as a package) is extracted again.
            return [self._job(path)]
        try:
            facts = self.cache.facts(path)
        except KeyError:  # an entry that does not decode: settled again
            return [self._job(path)]
        if facts is not None:
            self._json[path] = entry.facts
        self._take(path, facts)
        return []

    def _take(self, path: str, facts: Optional[FileFacts], scanned: bool = False) -> None:
        """`path` settled: relevant with its facts, or left out (by this store's
        prefilter if `scanned`)."""
        if facts is not None:
            self.facts[path] = facts
            self.relevant.append(path)
        elif not scanned:
            self._unscanned += 1

    def changed_on_disk(self) -> bool:
        """Some file this store read from disk (or could not read) differs there now."""
        for path in self.files:
            if path in self.overlay:
                continue
            known = self._stats.get(path)
            try:
                stat = os.stat(path)
            except OSError:
                if known is not None:
                    return True
                continue
            if known != (stat.st_mtime_ns, stat.st_size):
                return True
        return False

    def read_from_disk(self, path: str) -> bool:
        """Whether this store's facts of `path` come from the file on disk as it was
        then: stat'ed, or read without a cache (no stats are taken then)."""
        if self.cache.file is not None:
            return path in self._stats
        return path in self.files and path not in self.overlay

    def remember_as_buffer(self, path: str, data: bytes) -> None:
        """Take this store's facts of `path`, read from disk, as those of a buffer holding
        `data`, its text on disk: the fixer's next checks overlay that text."""
        source = self.files.get(path)
        facts = self.facts.get(path)
        if source is not None and facts is not None and self.read_from_disk(path):
            buffer = (data, source.module, source.is_package)
            self.buffers.setdefault(path, {})[buffer] = facts

    def _buffer_facts(self, path: str, source: SourceFile) -> FileFacts:
        """An open buffer's facts: extracted again only for a text it has not had lately."""
        buffer = (self.overlay[path], source.module, source.is_package)
        versions = self.buffers.setdefault(path, {})
        facts = versions.pop(buffer, None)
        if facts is None:
            facts = extract_source(buffer[0], buffer[1], buffer[2], self.task_decorators)
            if len(versions) >= BUFFER_VERSIONS:
                del versions[next(iter(versions))]
        versions[buffer] = facts
        return facts

    def _settle_all(
        self,
        jobs: list[Job],
        progress: Optional[Progress] = None,
        parsed_only: bool = False,
        meanwhile: Optional[Callable[[], None]] = None,
        before: int = 0,
        sizes: Optional[list[int]] = None,
    ) -> None:
        """Settle `jobs` (in worker processes if they are many); `before`: files settled
        before them in this load (for `progress`); `sizes`: the jobs' sizes where known
        (the largest go first)."""
        # Hashing 30 MB (saleor) is a tenth of a cold run: only for a cache.
        digest = self.cache.file is not None or self.readings is not None
        settle = functools.partial(
            _settle,
            tokens=self.tokens,
            task_decorators=self.task_decorators,
            tests=self.tests,
            digest=digest,
        )
        workers = worker_count()
        results: Optional[list[Decoded]] = None
        # Read here, not bound as a default: tests lower and raise them.
        threshold = PARALLEL_THRESHOLD_PARSED if parsed_only else PARALLEL_THRESHOLD
        if len(jobs) >= threshold and workers > 1:
            # Chunks of at most 256 files: the relevant files cluster in a few directories,
            # and a big last chunk left one core idle (17,000 files: 1.95 -> 1.78 s). Files
            # all parsed take long each: a few at a time (chunks of 16 gave 39 files of
            # the tree's worker imports to the two workers as 23 and 16; chunks of 80, the
            # tree's 641 relevant files after a prescan, left one worker 0.1 s alone).
            most = 4 if parsed_only else 256
            chunk = max(1 if parsed_only else 16, min(most, len(jobs) // (workers * 4)))
            # The extractors before the workers fork: each would import them again,
            # and the model asks for a few modules the prefilter skipped, later, in
            # nearly every project.
            import_extractors()

            # The largest first: the last chunks, done while the other worker may idle, are
            # the shortest. Settled in the jobs' order all the same.
            order = sorted(range(len(jobs)), key=sizes.__getitem__, reverse=True) if sizes else None
            try:
                done = _counted(
                    _parallel(
                        functools.partial(settle, pack=True),
                        [jobs[i] for i in order] if order else jobs,
                        chunk,
                        meanwhile,
                    ),
                    len(jobs),
                    progress,
                    before,
                )
                results = _unordered(done, order) if order else done
            except (OSError, RuntimeError):
                results = None  # no processes here (sandbox, frozen app): do it in-process
        if results is None and self._forced_parser is not None and all(job[4] for job in jobs):
            # What the model asks for later: in the process forked for it with the
            # walk's workers, while this one was small (`prescan`).
            forced = self._forced_parser.settle_forced(jobs, digest)
            if forced is not None:
                results = _counted(iter(forced), len(jobs), progress, before)
        if results is None:
            results = _counted(map(settle, jobs), len(jobs), progress, before)
        for job, result in zip(jobs, results, strict=True):
            self._settled(job[0], result, on_demand=job[4])

    def _settled(self, path: str, result: Decoded, on_demand: bool = False) -> None:
        """Take what settling `path` gave (`on_demand`: it was parsed as the model asked)."""
        sha, status, facts, markers = result
        if markers:
            self._holding[path] = markers
        if status == "same":
            cached = self.cache.entries[path]
            facts = self.cache.facts(path)  # usable: `_job` made sure
            self._json[path] = cached.facts
            key = self._stats.get(path)
            if key is not None:
                moved = msgspec.structs.replace(cached, mtime_ns=key[0], size=key[1])
                self.cache.store(path, moved)
        elif status == "parsed":
            self.parsed += 1
        if status == "error":
            self._take(path, facts or failed("cannot read"))
            return
        self._take(path, facts, scanned=status == "skip")
        if status in ("parsed", "skip") and sha is not None:
            self._remember(path, sha, facts)
            key = self._stats.get(path)
            # Not a file parsed on demand: a later store settles it as any other.
            if self.readings is not None and key is not None and not on_demand:
                self.readings[path] = (key, sha, facts)

    def _remember(self, path: str, sha: str, facts: Optional[FileFacts]) -> None:
        key = self._stats.get(path)
        if key is None:
            return
        source = self.files[path]
        entry = new_entry(key, sha, source.module, source.is_package, facts)
        if entry is not None:
            self.cache.store(path, entry)
            if facts is not None:
                self._json[path] = entry.facts

    def facts_digests(self) -> dict[str, str]:
        """`cache.facts_digest` of each file's facts, of the JSON the cache holds them as
        where there is one (encoding them again cost 2.6 ms of a check of saleor)."""
        return {path: facts_digest(f, self._json.get(path)) for path, f in self.facts.items()}

    def mentioning(self, texts: list[str]) -> dict[str, list[str]]:
        """For each text, the paths of every discovered file whose bytes contain it
        (prefiltered or not).

        For rules that must know that *no* file uses a name (a rename's safety); it
        reads every file that may hold a text, once for all the texts asked together,
        so only call it when such a question arises and ask what you can at once.
        """
        needles = _needles(texts)
        # A file lacking a marker of a text does not hold it (on the 16 corpus projects,
        # 6 `CELERY_*` names were looked for in 11,000 files; 744 matter or hold `CELERY`).
        wanted = {markers_of(text) for text in texts}
        paths = list(self.files)
        if not self._unscanned and 0 not in wanted:
            # A file left out is read only if it holds every marker of some text.
            enough = {
                held for held in range(1 << len(MARKERS)) if any((w & ~held) == 0 for w in wanted)
            }
            facts, holding = self.facts, self._holding
            paths = [path for path in paths if path in facts or holding.get(path, 0) in enough]
        workers = worker_count()
        parts: Optional[list[dict[str, list[str]]]] = None
        if len(paths) >= PARALLEL_THRESHOLD_MENTIONING and workers > 1:
            # Reading 11,000 files is 0.2 s of one core, asked twice on the 16-project tree.
            size = -(-len(paths) // (workers * 4))
            chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
            scan = functools.partial(
                _mentions, needles=needles, read=functools.partial(_read, overlay=self.overlay)
            )
            try:
                parts = list(_parallel(scan, chunks, 1))
            except (OSError, RuntimeError):
                parts = None  # no processes here: read them in-process
        if parts is None:
            parts = [_mentions(paths, needles, self.read)]
        found: dict[str, list[str]] = {text: [] for text in texts}
        for part in parts:
            for text, hits in part.items():
                found[text].extend(hits)
        self.mentioned.update(found)
        return found

    def as_recorded(
        self, changed: set[str], facts: dict[str, str], mentioned: dict[str, list[str]]
    ) -> bool:
        """Whether each of the `changed` files has the facts a record holds the digests
        of (`facts`, from `facts_digests`) and answers the record's `mentioning`
        questions (`mentioned`) as it did: then the record's findings still hold."""
        self.load_only(sorted(changed))
        for path in changed:
            now = self.facts.get(path)
            recorded = facts.get(path)
            if now is None and recorded is not None:
                now = self.on_demand(path)  # the model had asked for it
            if (facts_digest(now) if now is not None else None) != recorded:
                return False
        if not mentioned:
            return True
        found = self.mentioning_among(sorted(changed), list(mentioned))
        return all(set(found[text]) == changed.intersection(was) for text, was in mentioned.items())

    def mentioning_among(self, paths: list[str], texts: list[str]) -> dict[str, list[str]]:
        """`mentioning`, answered for `paths` only (not remembered in `mentioned`)."""
        return _mentions(paths, _needles(texts), self.read)

    def read(self, path: str) -> Optional[bytes]:
        """A file's bytes as this run sees them (the overlay first); None if unreadable."""
        return _read(path, self.overlay)

    def on_demand_many(self, paths: list[str]) -> None:
        """`on_demand` for several files at once: parsed in parallel when they are many
        (the import closure of a worker asks for a thousand modules on a big tree)."""
        jobs: list[Job] = []
        for path in paths:
            if path in self.files and path not in self.facts:
                if path in self.overlay:  # an open test-only file (`load`)
                    self._take(path, self._buffer_facts(path, self.files[path]))
                    continue
                job = self._job(path, force=True)
                jobs.append((*job[:3], None, True))
        if jobs:
            self._settle_all(jobs, parsed_only=True)

    def on_demand(self, path: str) -> Optional[FileFacts]:
        """Facts of a file the prefilter skipped but the model needs after all."""
        self.on_demand_many([path])
        return self.facts.get(path)
