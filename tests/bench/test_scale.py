"""The scale benchmark's summary of several rounds (bench/scale.py)."""
from __future__ import annotations

import pytest

from bench.scale import check_goals, median_of_rounds


def _row(method: str, p50: float, **extra) -> dict:
    return {"method": method, "load_s": 2.0, "fit_s": 5.0, "peak_rss_mib": 1000.0, "p50_ms": p50,
            "p95_ms": 2 * p50, "queries": 200, **extra}


def test_median_of_rounds_takes_each_methods_median_and_keeps_every_round():
    rounds = [
        [_row("floor", 5.0), _row("hybrid", 7.0, recall_at_20=1.0, peak_rss_mib=1400.0)],
        [_row("floor", 6.0), _row("hybrid", 10.7, recall_at_20=0.95, peak_rss_mib=1450.0)],
        [_row("floor", 4.0), _row("hybrid", 6.9, recall_at_20=1.0, peak_rss_mib=1390.0)],
    ]
    floor, hybrid = median_of_rounds(rounds)
    assert floor["p50_ms"] == 5.0 and floor["p50_rounds"] == [5.0, 6.0, 4.0]
    assert hybrid["p50_ms"] == 7.0 and hybrid["p95_ms"] == 14.0
    assert hybrid["peak_rss_mib"] == 1450.0  # the worst round, not the median
    assert hybrid["recall_at_20"] == 0.95
    assert hybrid["queries"] == 600
    goals = check_goals({"1M": [floor, hybrid]})
    assert goals[0] == "1M hybrid: p50 7.0 ms (median of 3 rounds: 7.0, 10.7, 6.9 ms) = 1.40x floor (goal <= 2): PASS"


def test_a_round_that_failed_is_reported_not_hidden_by_the_median():
    rounds = [[_row("hybrid", 7.0)], [{"method": "hybrid", "error": "timed out after 600 s"}], [_row("hybrid", 6.0)]]
    (row,) = median_of_rounds(rounds)
    assert row == {"method": "hybrid", "error": "timed out after 600 s"}


@pytest.mark.parametrize("p50s, verdict", [([7.0, 7.5, 25.0], "PASS"), ([11.5, 12.0, 6.0], "FAIL")])
def test_goal_check_uses_the_median_round(p50s, verdict):
    rounds = [[_row("floor", 5.5), _row("hybrid", p)] for p in p50s]
    goals = check_goals({"1M": median_of_rounds(rounds)})
    assert goals[0].endswith(verdict)
