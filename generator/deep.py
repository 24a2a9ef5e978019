"""Deeply nested schemas: recursion room for the generator.

Schemas nest (a record in a record in a record...), and so do the passes that
read them: JSON parsing and positions, name collection, type resolution,
emitters.  Python's default recursion limit (1000 frames) is reached by a
record nested some 180 levels deep.  ``run_deep`` runs the generator in a
thread of its own with a large stack and a high recursion limit, so that any
schema within ``jsonsource.MAX_DEPTH`` levels of JSON nesting goes through.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

STACK_BYTES = 512 * 1024 * 1024
"""The worker's stack: address space reserved, touched only as deep as used."""
RECURSION_LIMIT = 200_000


def run_deep(fn: Callable[[], T]) -> T:
    """``fn()`` on a thread with room for deep recursion; its result, or the
    exception it raised."""
    result: list[T] = []
    error: list[BaseException] = []

    def work() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # re-raised on the caller's thread
            error.append(exc)

    old_stack = threading.stack_size(STACK_BYTES)
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
    try:
        worker = threading.Thread(target=work, name="svcforge-generate")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if error:
        raise error[0]
    return result[0]
