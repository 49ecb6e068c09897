"""Worker processes made by fork: a function over a list, in parallel, results in order.

Why not `concurrent.futures`: importing it and `multiprocessing` costs 17 ms and
3 MiB in the main process (at 4x saleor, the largest process over ruff's), it
pickles every job to send it, and two threads feed and collect. A forked child
already holds the items; it learns which chunk to do next from one pipe shared
by all children (4-byte chunk numbers, written before the fork, read whole by
whichever child is free), and sends each chunk's results back through a pipe of
its own: marshal, or pickle for an object marshal refuses.

`Stream` forks its workers before the items are all known: each child reads
batches from a pipe of its own, written while this process goes on (the walk
finds files while the workers read them).

`Server` forks one child now for work this process will ask for later, one batch
at a time, waiting for each: a child forked later would hold, as resident, every
page this process holds by then.

Fork only from a process running no other thread (a forked child inherits their
locks held): the caller checks. A child whose function raises exits; the parent
then raises `WorkersFailed` once the others are done, and the caller works in
its own process (where the same error then shows with its traceback).
"""

from __future__ import annotations

import gc
import marshal
import os
import signal
import sys
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, Generic, Optional, TypeVar

__all__ = ["Server", "Stream", "WorkersFailed", "can_fork", "parallel_map"]

T = TypeVar("T")
R = TypeVar("R")

# Chunk numbers are all written before the fork, so they must fit the pipe's buffer
# (64 KiB on Linux, 16 KiB on macOS until it grows): 4 bytes each.
MAX_CHUNKS = 2048
_INDEX, _LENGTH = 4, 8  # bytes of a result's header: chunk number, payload length
_MARSHAL, _PICKLE = b"m", b"p"


class WorkersFailed(RuntimeError):
    """A worker died or its function raised: some chunks have no results."""


def parallel_map(
    function: Callable[[T], R],
    items: Sequence[T],
    workers: int,
    chunk: int,
    meanwhile: Optional[Callable[[], None]] = None,
) -> Generator[R, None, None]:
    """`map(function, items)` in `workers` forked processes, `chunk` items at a time;
    `meanwhile` is run here once they are started (this process waits otherwise)."""
    chunk = max(chunk, -(-len(items) // MAX_CHUNKS), 1)
    count = -(-len(items) // chunk)
    tasks_read, tasks_write = os.pipe()
    try:
        os.write(tasks_write, b"".join(i.to_bytes(_INDEX, "little") for i in range(count)))
    finally:
        os.close(tasks_write)  # the children read to its end: then there is no more work
    children: dict[int, int] = {}  # result pipe -> pid
    # The heap until now is long-lived: frozen, the children's pages stay shared.
    gc.freeze()
    try:
        for _ in range(min(workers, count)):
            results_read, results_write = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child; its coverage is not collected
                os.close(results_read)
                for other in children:
                    os.close(other)
                _child(function, _numbered_chunks(items, chunk, tasks_read), results_write)
            os.close(results_write)
            children[results_read] = pid
        os.close(tasks_read)
        tasks_read = -1
        if meanwhile is not None:
            meanwhile()
        with _Results(children) as results:
            yield from results.in_order(count)
    except BaseException:  # an error, Ctrl-C, a consumer that stopped reading
        _kill(children)
        raise
    finally:
        if tasks_read >= 0:
            os.close(tasks_read)
        for fd, pid in children.items():
            os.close(fd)
            os.waitpid(pid, 0)
        gc.unfreeze()


def can_fork() -> bool:
    """Whether workers can be forked here: not without `fork`, nor from a process
    running other threads (a forked child inherits their locks held)."""
    threading = sys.modules.get("threading")
    return hasattr(os, "fork") and (threading is None or threading.active_count() == 1)


class Stream(Generic[T, R]):
    """`function` over items given a batch at a time (`submit`) to `workers` processes
    forked now; `results` gives them in the order given.

    Each child reads its batches from a pipe of its own. A batch is written only to a
    child with fewer than `_IN_FLIGHT` of them unfinished, and batches hold at most
    `MAX_BATCH` bytes: a write never fills the pipe, so this process never blocks on
    a child that waits for it to read results. The others wait here until one is free
    (their results are read on each `submit`). An error in a child shows as
    `WorkersFailed` from `results`, or OSError from `submit` (its pipe is closed).
    """

    def __init__(self, function: Callable[[T], R], workers: int) -> None:
        self._tasks: dict[int, int] = {}  # result pipe -> the child's batch pipe
        self._children: dict[int, int] = {}  # result pipe -> pid
        self._waiting: list[bytes] = []  # batches no child had room for yet
        self._unfinished: dict[int, list[int]] = {}  # result pipe -> its batches' numbers
        self._count = 0
        gc.freeze()  # as in `parallel_map`: the children's pages stay shared
        try:
            for _ in range(workers):
                tasks_read, tasks_write = os.pipe()
                results_read, results_write = os.pipe()
                pid = os.fork()
                if pid == 0:  # pragma: no cover - the child; its coverage is not collected
                    os.close(tasks_write)
                    os.close(results_read)
                    for fd in (*self._tasks.values(), *self._children):
                        os.close(fd)
                    _child(function, _sent_batches(tasks_read), results_write)
                os.close(tasks_read)
                os.close(results_write)
                self._children[results_read] = pid
                self._tasks[results_read] = tasks_write
                self._unfinished[results_read] = []
        except BaseException:
            self.close()
            raise
        self._results = _Results(self._children)

    def submit(self, items: Sequence[T]) -> None:
        """Hand `items` (at most `MAX_BATCH` bytes as marshal writes them) to a child."""
        payload = marshal.dumps(list(items))
        if len(payload) > MAX_BATCH:
            raise ValueError(f"a batch of {len(payload)} bytes (at most {MAX_BATCH})")
        self._waiting.append(_framed(self._count.to_bytes(_INDEX, "little"), payload))
        self._count += 1
        self._dispatch(0)

    def results(self) -> Iterator[R]:
        """Every item's result, in the order given; the children then exit."""
        while self._waiting:
            self._dispatch(None)
        for fd in self._tasks.values():
            os.close(fd)  # read to its end, a child has no more work and exits
        self._tasks.clear()
        yield from self._results.in_order(self._count)

    def close(self) -> None:
        """End the children (at once if they are still at work) and wait for them."""
        for fd in self._tasks.values():
            os.close(fd)
        self._tasks.clear()
        if hasattr(self, "_results"):
            self._results.close()
        _kill(self._children)
        for fd, pid in self._children.items():
            os.close(fd)
            os.waitpid(pid, 0)
        self._children.clear()
        gc.unfreeze()

    def _dispatch(self, timeout: Optional[float]) -> None:
        """Note the batches finished (if no child has room, waiting up to `timeout` for
        one: None, until one is), then write waiting batches to the children with room."""
        room = any(len(unfinished) < _IN_FLIGHT for unfinished in self._unfinished.values())
        for fd, number in self._results.poll(0 if room else timeout):
            self._unfinished[fd].remove(number)
        for fd, unfinished in self._unfinished.items():
            while self._waiting and len(unfinished) < _IN_FLIGHT:
                batch = self._waiting.pop(0)
                _write_all(self._tasks[fd], batch)
                unfinished.append(int.from_bytes(batch[:_INDEX], "little"))
        if timeout is None and self._waiting and not self._results.open:
            raise WorkersFailed("every worker ended with batches left")


# A `Stream` batch's bytes at most, and how many a child may have unfinished: their
# sum stays below a pipe's smallest buffer (16 KiB on macOS).
MAX_BATCH = 6 * 1024
_IN_FLIGHT = 2


class Server(Generic[T, R]):
    """`function` over batches of items (`map`) in one process forked now, while this
    process is small, and kept until `close`. `warm_up` runs in the child first, while
    this process goes on (imports the function will need). A child that died, or
    whose function raised, shows as `WorkersFailed` from `map` (OSError where its pipe
    is closed): the caller then works in its own process."""

    def __init__(
        self, function: Callable[[T], R], warm_up: Optional[Callable[[], object]] = None
    ) -> None:
        self._count = 0
        tasks_read, self._tasks = os.pipe()
        self._results, results_write = os.pipe()
        try:
            self._pid = os.fork()
        except OSError:
            for fd in (tasks_read, self._tasks, self._results, results_write):
                os.close(fd)
            raise
        if self._pid == 0:  # pragma: no cover - the child; its coverage is not collected
            os.close(self._tasks)
            os.close(self._results)
            _child(function, _sent_batches(tasks_read), results_write, warm_up)
        os.close(tasks_read)
        os.close(results_write)

    def map(self, items: Sequence[T]) -> list[R]:
        """`function` of each item, in order, done in the child (this process waits)."""
        if self._pid == 0:
            raise WorkersFailed("the server is closed")
        payload = marshal.dumps(list(items))
        number = self._count
        self._count += 1
        # The child reads a whole batch before it writes: neither end waits on the other.
        _write_all(self._tasks, _framed(number.to_bytes(_INDEX, "little"), payload))
        header = _read_exactly(self._results, _INDEX + _LENGTH)
        if not header or int.from_bytes(header[:_INDEX], "little") != number:
            raise WorkersFailed("the server ended")
        answer = _read_exactly(self._results, int.from_bytes(header[_INDEX:], "little"))
        if not answer:
            raise WorkersFailed("the server ended")
        results: list[R] = _loaded(answer)
        return results

    def close(self) -> None:
        """End the child (at once, if it is at work) and wait for it; idempotent."""
        if self._pid == 0:
            return
        os.close(self._tasks)
        os.close(self._results)
        _kill({0: self._pid})
        os.waitpid(self._pid, 0)
        self._pid = 0


def _child(
    function: Callable[[T], R],
    batches: Iterator[tuple[bytes, Sequence[T]]],
    results: int,
    warm_up: Optional[Callable[[], object]] = None,
) -> None:
    """A worker: batches (numbered) until none is left, then `os._exit` (never back into
    the parent's code: no `finally` of its callers, no `atexit`)."""
    code = 1
    try:
        # Ctrl-C goes to the parent, which ends the children; the parent's handlers
        # (the daemon removes its socket on SIGTERM) are not theirs.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # What a worker makes (parse trees, bytes) holds no cycles, and it lives for
        # one call: collecting only cost time (cold saleor: -5 % CPU).
        gc.disable()
        if warm_up is not None:
            warm_up()
        for number, batch in batches:
            done = [function(item) for item in batch]
            try:
                payload = _MARSHAL + marshal.dumps(done)
            except ValueError:  # an object marshal does not know (a facts Struct)
                import pickle

                payload = _PICKLE + pickle.dumps(done, pickle.HIGHEST_PROTOCOL)
            _write_all(results, _framed(number, payload))
        code = 0
    finally:
        os._exit(code)


def _numbered_chunks(
    items: Sequence[T], chunk: int, tasks: int
) -> Iterator[tuple[bytes, Sequence[T]]]:
    """`parallel_map`'s batches: chunk numbers read from the pipe all children share
    (4 bytes, read whole), the items already in the child's memory."""
    while len(number := os.read(tasks, _INDEX)) == _INDEX:
        index = int.from_bytes(number, "little")
        yield number, items[index * chunk : (index + 1) * chunk]


def _sent_batches(tasks: int) -> Iterator[tuple[bytes, Sequence[Any]]]:
    """`Stream`'s batches: number, length and the items, from the child's own pipe."""
    while header := _read_exactly(tasks, _INDEX + _LENGTH):
        length = int.from_bytes(header[_INDEX:], "little")
        yield header[:_INDEX], marshal.loads(_read_exactly(tasks, length))


def _framed(number: bytes, payload: bytes) -> bytes:
    """A batch or its results as sent through a pipe: its number, length and payload."""
    return number + len(payload).to_bytes(_LENGTH, "little") + payload


def _read_exactly(fd: int, size: int) -> bytes:
    """`size` bytes from `fd`, or b"" at its end."""
    data = b""
    while len(data) < size:
        more = os.read(fd, size - len(data))
        if not more:
            return b""
        data += more
    return data


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Results:
    """The children's results, read from their pipes as they come."""

    def __init__(self, children: dict[int, int]) -> None:
        import selectors

        self._selector = selectors.DefaultSelector()
        self._buffers = {fd: bytearray() for fd in children}
        for fd in children:
            self._selector.register(fd, selectors.EVENT_READ)
        self._done: dict[int, list[Any]] = {}  # chunk number -> its results

    def __enter__(self) -> _Results:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def open(self) -> bool:
        """Whether a child may still send something."""
        return bool(self._buffers)

    def close(self) -> None:
        self._selector.close()

    def poll(self, timeout: Optional[float]) -> list[tuple[int, int]]:
        """Read what has come within `timeout` (None: until something does); the
        (pipe, chunk number) of each chunk finished."""
        finished: list[tuple[int, int]] = []
        if not self._buffers:
            return finished
        for key, _ in self._selector.select(timeout):
            fd = int(key.fd)
            data = os.read(fd, 1 << 20)
            if not data:
                self._selector.unregister(fd)
                del self._buffers[fd]
                continue
            buffer = self._buffers[fd]
            buffer += data
            for index, results in _complete(buffer):
                self._done[index] = results
                finished.append((fd, index))
        return finished

    def in_order(self, count: int) -> Iterator[Any]:
        """The results of chunks 0 to `count` - 1, in order, as they arrive."""
        following = 0
        while following < count:
            if following in self._done:
                yield from self._done.pop(following)
                following += 1
            elif self._buffers:
                self.poll(None)
            else:
                raise WorkersFailed(f"{count - following} of {count} chunks have no results")


def _complete(buffer: bytearray) -> Iterator[tuple[int, list[Any]]]:
    """The whole results at the start of `buffer`, taken out of it."""
    while len(buffer) >= _INDEX + _LENGTH:
        length = int.from_bytes(buffer[_INDEX : _INDEX + _LENGTH], "little")
        end = _INDEX + _LENGTH + length
        if len(buffer) < end:
            return
        index = int.from_bytes(buffer[:_INDEX], "little")
        results = _loaded(bytes(buffer[_INDEX + _LENGTH : end]))
        del buffer[:end]
        yield index, results


def _loaded(payload: bytes) -> list[Any]:
    """A chunk's results from what `_child` wrote: a type byte, then marshal or pickle."""
    if payload[:1] == _MARSHAL:
        results: list[Any] = marshal.loads(payload[1:])
        return results
    import pickle

    loaded: list[Any] = pickle.loads(payload[1:])
    return loaded


def _kill(children: dict[int, int]) -> None:
    """Stop the children at once: the parent will not read what they make."""
    for pid in children.values():
        os.kill(pid, signal.SIGKILL)  # one that exited is a zombie until reaped: no error
