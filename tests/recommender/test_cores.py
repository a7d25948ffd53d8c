"""Cores this process may use, and work spread one item per core (recommender/cores.py)."""
from __future__ import annotations

import threading

import recommender.cores as cores
from recommender.cores import available_cores, map_on_cores


def test_results_keep_the_items_order_and_use_one_thread_per_core(monkeypatch):
    assert available_cores() >= 1
    assert map_on_cores(lambda x: x * 2, []) == []
    monkeypatch.setattr(cores, "available_cores", lambda: 2)
    both = threading.Barrier(2, timeout=30)  # passes only when two items run at once
    assert map_on_cores(lambda x: (both.wait(), x * 2)[1], [3, 1]) == [6, 2]
    monkeypatch.setattr(cores, "available_cores", lambda: 1)
    caller = threading.get_ident()
    assert map_on_cores(lambda x: (threading.get_ident() == caller, x), [5, 4]) == [(True, 5), (True, 4)]
