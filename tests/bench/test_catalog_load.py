"""The load profiler (bench/catalog_load.py) times each of load_catalog's steps."""
from __future__ import annotations

from bench.catalog_load import load_once
from recommender.catalog.load import LOAD_STEPS
from recommender.catalog.schema import DEFAULT_CATALOG_PATH


def test_each_load_step_is_timed_once_and_they_add_up_to_the_load():
    result = load_once(str(DEFAULT_CATALOG_PATH))
    assert [s["step"] for s in result["steps"]] == list(LOAD_STEPS)
    assert result["tracks"] == 28_356
    assert all(s["wall_s"] >= 0 and s["user_s"] >= 0 and s["sys_s"] >= 0 and s["faults"] >= 0 for s in result["steps"])
    assert abs(sum(s["wall_s"] for s in result["steps"]) - result["wall_s"]) < 1e-6
