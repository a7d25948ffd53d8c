"""Values computed once per server process and shared by every session, outside
``st.cache_resource``, so that computing one may draw the computing session's progress bar (an
element drawn inside a cached function is recorded and replayed into other sessions, and one
drawn on a block made outside it raises ``CacheReplayClosureError``)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import streamlit as st

__all__ = ["Slot", "slot", "filled"]


class Slot:
    """One shared value; ``step`` is how far its computation got (done, total, what), for the
    sessions that wait for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value: Any = None
        self.step: tuple[int, int, str] = (0, 1, "starting")

    def recording(self, on_step: Callable[[int, int, str], None] | None) -> Callable[[int, int, str], None]:
        """A progress callback that keeps each step here (for the sessions waiting), then
        passes it to ``on_step``."""
        def step(done: int, total: int, what: str) -> None:
            self.step = (done, total, what)
            if on_step is not None:
                on_step(done, total, what)
        return step


@st.cache_resource(max_entries=64, show_spinner=False)
def slot(kind: str, key: str, catalog_hash: str) -> Slot:
    """The slot of ``kind`` (e.g. "model", "recommender") for ``key`` on one catalog."""
    return Slot()


def filled(target: Slot, build: Callable[[], Any], while_waiting: Callable[[], None] | None = None) -> Any:
    """The slot's value, built by the first session that asks; a second session asking meanwhile
    waits for that result (calling ``while_waiting`` every half second) instead of building it too."""
    while not target.lock.acquire(timeout=0.5):
        if while_waiting is not None:
            while_waiting()
    try:
        if target.value is None:
            target.value = build()
    finally:
        target.lock.release()
    return target.value
