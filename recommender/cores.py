"""How many cores this process may run on: a container's or a CPU set's share, not the host's count."""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["available_cores", "map_on_cores"]

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


def available_cores() -> int:
    """The cores this process may run on (at least 1)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_on_cores(work: Callable[[_Item], _Result], items: Sequence[_Item]) -> list[_Result]:
    """``[work(item) for item in items]``, one item per core at a time. Worth it only for
    work that runs without Python's lock (NumPy's and Arrow's large operations)."""
    workers = min(available_cores(), len(items))
    if workers <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(work, items))
