"""The scale benchmark's summary of several rounds (bench/scale.py)."""
from __future__ import annotations

import numpy as np
import pytest

from bench.scale import check_goals, fast_top_k, median_of_rounds


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


def test_similar_must_cost_no_more_than_one_full_pass_the_hybrid_two():
    goals = check_goals({"1M": [_row("floor", 2.0), _row("similar", 2.4), _row("hybrid", 3.9)]})
    assert goals[0] == "1M similar: p50 2.4 ms = 1.20x floor (goal <= 1): FAIL"
    assert "1M hybrid: p50 3.9 ms = 1.95x floor (goal <= 2): PASS" in goals


@pytest.mark.parametrize("n, k", [(10, 3), (1_000, 20), (200_000, 20), (200_000, 1)])
def test_fast_top_k_finds_the_exact_top_k(n, k):
    rng = np.random.default_rng(n + k)
    scores = rng.standard_normal(n).astype(np.float32)
    scores[rng.choice(n, n // 10)] = scores.max()  # ties at the top: any k of them are right
    found = fast_top_k(scores, k)
    assert len(found) == k == len(set(found.tolist()))
    assert np.sort(scores[found])[::-1].tolist() == np.sort(scores)[::-1][:k].tolist()


def test_fast_top_k_on_scores_sorted_against_the_sample():
    # Every 64th score is the lowest: the sample's threshold is then low, never wrong.
    scores = np.arange(256_000, dtype=np.float32)
    scores[::64] = -1.0
    assert set(fast_top_k(scores, 20).tolist()) == set(range(256_000 - 20, 256_000))
