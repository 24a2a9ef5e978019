"""Run bench cases each in a forked process of its own, a few at a time.

A wild schema may make the generator slow, or make it use a lot of memory:
each case gets a hard time limit (its process is killed) and a limit on its
address space (a case that asks for more fails alone, with ``MemoryError``,
instead of the machine's out-of-memory killer choosing a victim).  A process
that dies without a result (a crash in native code) is reported as such, and
the other cases go on; ``multiprocessing.Pool`` would wait forever for it.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MEMORY_BYTES = 4 * 1024**3
"""Address space per case: the generator reserves a 512 MB stack for deep
schemas, and a big schema's models and validators need some more."""


@dataclass
class Died:
    """A case whose process ended without a result."""

    reason: str
    seconds: float


@dataclass
class _Running(Generic[T]):
    task: T
    process: Any
    conn: Connection
    started: float


def _child(fn: Callable[[T], R], task: T, conn: Connection, memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        result: Any = fn(task)
    except BaseException as exc:  # reported to the parent, which goes on
        result = Died(f"{type(exc).__name__}: {exc}"[:300], 0.0)
    conn.send(result)
    conn.close()


def run_all(
    fn: Callable[[T], R],
    tasks: Iterable[T],
    *,
    jobs: int,
    seconds: float,
    memory: int = MEMORY_BYTES,
) -> Iterator[tuple[T, R | Died, float]]:
    """``(task, fn(task) or Died, elapsed seconds)`` for every task, in the
    order they finish; at most ``jobs`` at a time."""
    ctx = multiprocessing.get_context("fork")
    pending = list(tasks)
    pending.reverse()
    running: dict[Connection, _Running[T]] = {}
    while pending or running:
        while pending and len(running) < jobs:
            task = pending.pop()
            parent, child = ctx.Pipe(duplex=False)
            process = ctx.Process(target=_child, args=(fn, task, child, memory))
            process.start()
            child.close()
            running[parent] = _Running(task, process, parent, time.perf_counter())
        now = time.perf_counter()
        soonest = min(r.started for r in running.values()) + seconds - now
        ready = wait(list(running), timeout=max(0.05, min(soonest, 1.0)))
        for conn in ready:
            assert isinstance(conn, Connection)
            yield _finish(running.pop(conn))
        now = time.perf_counter()
        for conn, r in list(running.items()):
            if now - r.started > seconds:
                r.process.kill()
                r.process.join()
                r.conn.close()
                del running[conn]
                yield r.task, Died(f"more than {seconds:.0f} s", seconds), seconds


def _finish(r: _Running[T]) -> tuple[T, Any, float]:
    elapsed = time.perf_counter() - r.started
    try:
        result = r.conn.recv()
    except (EOFError, OSError):
        r.process.join()
        code = r.process.exitcode
        result = Died(_exit_reason(code), elapsed)
    r.conn.close()
    r.process.join()
    return r.task, result, elapsed


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        return f"the process died of signal {-code}"
    return f"the process exited with {code} and no result"
