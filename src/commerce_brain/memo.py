"""Per-process memo of pure computations on shared objects: the web workers evaluate the same
plans for every request until an import changes the stored actuals.

An entry is found by the identity of the objects it was computed from (the catalog, the
engine, a gathered observation frame) plus plain arguments. The memo keeps those objects
alive, so an ``id`` cannot be reused by another object while its entry exists, and a hit is
checked with ``is``. Results are shared between callers: Polars frames are not changed in
place by this code base, and must not be.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class IdentityMemo:
    """A bounded, thread-safe LRU memo keyed by object identity and hashable arguments."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple, tuple[tuple, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, objects: tuple, args: Hashable, compute: Callable[[], T]) -> T:
        """The memoised result for ``objects`` and ``args``, computing it on a miss.

        Two threads missing at once both compute; the result is the same, the last one stays.
        """
        key = (tuple(id(o) for o in objects), args)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and all(a is b for a, b in zip(entry[0], objects, strict=True)):
                self._entries.move_to_end(key)
                return entry[1]  # type: ignore[return-value]
        result = compute()
        with self._lock:
            self._entries[key] = (objects, result)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return result

    def holds(self, obj: object) -> bool:
        """Whether ``obj`` is a result this memo currently keeps."""
        with self._lock:
            return any(entry[1] is obj for entry in self._entries.values())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
