"""Worker processes made by fork: a function over a list, in parallel, results in order.

Why not `concurrent.futures`: importing it and `multiprocessing` costs 17 ms and
3 MiB in the main process (at 4x saleor, the largest process over ruff's), it
pickles every job to send it, and two threads feed and collect. A forked child
already holds the items; it learns which chunk to do next from one pipe shared
by all children (4-byte chunk numbers, written before the fork, read whole by
whichever child is free), and sends each chunk's results back through a pipe of
its own: marshal, or pickle for an object marshal refuses.

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
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Optional, TypeVar

__all__ = ["WorkersFailed", "parallel_map"]

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
) -> Iterator[R]:
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
                _child(function, items, chunk, tasks_read, results_write)
            os.close(results_write)
            children[results_read] = pid
        os.close(tasks_read)
        tasks_read = -1
        if meanwhile is not None:
            meanwhile()
        yield from _collect(children, count)
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


def _child(
    function: Callable[[T], R], items: Sequence[T], chunk: int, tasks: int, results: int
) -> None:
    """A worker: chunks until none is left, then `os._exit` (never back into the
    parent's code: no `finally` of its callers, no `atexit`)."""
    code = 1
    try:
        # Ctrl-C goes to the parent, which ends the children; the parent's handlers
        # (the daemon removes its socket on SIGTERM) are not theirs.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # What a worker makes (parse trees, bytes) holds no cycles, and it lives for
        # one call: collecting only cost time (cold saleor: -5 % CPU).
        gc.disable()
        while len(number := os.read(tasks, _INDEX)) == _INDEX:
            index = int.from_bytes(number, "little")
            done = [function(item) for item in items[index * chunk : (index + 1) * chunk]]
            try:
                payload = _MARSHAL + marshal.dumps(done)
            except ValueError:  # an object marshal does not know (a facts Struct)
                import pickle

                payload = _PICKLE + pickle.dumps(done, pickle.HIGHEST_PROTOCOL)
            header = number + len(payload).to_bytes(_LENGTH, "little")
            _write_all(results, header + payload)
        code = 0
    finally:
        os._exit(code)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _collect(children: dict[int, int], count: int) -> Iterator[R]:
    """The children's results, in chunk order, as they arrive."""
    import selectors

    pending: dict[int, list[Any]] = {}
    buffers = {fd: bytearray() for fd in children}
    following = 0
    with selectors.DefaultSelector() as selector:
        for fd in children:
            selector.register(fd, selectors.EVENT_READ)
        while following < count and buffers:
            for key, _ in selector.select():
                fd = int(key.fd)
                data = os.read(fd, 1 << 20)
                if not data:
                    selector.unregister(fd)
                    del buffers[fd]
                    continue
                buffer = buffers[fd]
                buffer += data
                for index, results in _complete(buffer):
                    pending[index] = results
            while following in pending:
                yield from pending.pop(following)
                following += 1
    if following < count:
        raise WorkersFailed(f"{count - following} of {count} chunks have no results")


def _complete(buffer: bytearray) -> Iterator[tuple[int, list[Any]]]:
    """The whole results at the start of `buffer`, taken out of it."""
    while len(buffer) >= _INDEX + _LENGTH:
        length = int.from_bytes(buffer[_INDEX : _INDEX + _LENGTH], "little")
        end = _INDEX + _LENGTH + length
        if len(buffer) < end:
            return
        index = int.from_bytes(buffer[:_INDEX], "little")
        start = _INDEX + _LENGTH
        payload = bytes(buffer[start + 1 : end])
        results: list[Any]
        if buffer[start : start + 1] == _MARSHAL:
            results = marshal.loads(payload)
        else:
            import pickle

            results = pickle.loads(payload)
        del buffer[:end]
        yield index, results


def _kill(children: dict[int, int]) -> None:
    """Stop the children at once: the parent will not read what they make."""
    for pid in children.values():
        os.kill(pid, signal.SIGKILL)  # one that exited is a zombie until reaped: no error
