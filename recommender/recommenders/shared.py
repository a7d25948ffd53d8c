"""What the methods fitted on one catalog share: built once per catalog object while a fitted
method holds it (:func:`shared`).

The dashboard fits hybrid and similar on the same catalog, and ``evaluate`` every method on
the same hidden catalog. On a ten-million-track upload, similar's fit after the hybrid's took
80 s and 2.7 GiB rebuilding the catalog index, audio space, sound vectors and IVF index; shared,
0.3 s and 4 MiB (docs/benchmarks.md). What is shared is read-only once built: its lazy look-ups
are derived and idempotent, so methods and threads can use one copy.
"""
from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import TypeVar

__all__ = ["shared"]

T = TypeVar("T")


class _Entry:
    """One catalog's shared objects (held weakly) and a lock per key."""

    def __init__(self, catalog: object) -> None:
        at = id(catalog)  # the callback must not hold the catalog itself
        self.catalog = weakref.ref(catalog, lambda _: _forget(at))
        self.built: dict[Hashable, weakref.ref] = {}
        self.locks: dict[Hashable, threading.Lock] = {}


_entries: dict[int, _Entry] = {}
_entries_lock = threading.Lock()


def _forget(key: int) -> None:
    with _entries_lock:
        entry = _entries.get(key)
        if entry is not None and entry.catalog() is None:  # not a newer catalog at the same id
            del _entries[key]


def shared(catalog: object, key: Hashable, build: Callable[[], T]) -> T:
    """``build()``'s answer for ``catalog`` and ``key``: built once, and given again while any
    holder keeps it (it is held weakly: freed with its last user, built again after). A second
    caller for the same key waits for the first one's build instead of building another."""
    with _entries_lock:
        entry = _entries.get(id(catalog))
        if entry is None or entry.catalog() is not catalog:
            entry = _entries[id(catalog)] = _Entry(catalog)
        lock = entry.locks.setdefault(key, threading.Lock())
    with lock:
        ref = entry.built.get(key)
        value = ref() if ref is not None else None
        if value is None:
            value = build()
            entry.built[key] = weakref.ref(value)
        return value
