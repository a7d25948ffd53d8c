"""Offline evaluation: metrics with known values, no leakage, and a small real run."""
from __future__ import annotations

import math

import pytest

from recommender.evaluation import evaluate, evaluation_report, ranking_metrics, sample_queries
from tests.support.planted import planted_catalog


def test_ranking_metrics_known_values():
    m = ranking_metrics(["a", "x", "b", "y"], {"a", "b", "c"}, ks=(1, 4))
    assert m["recall@1"] == pytest.approx(1 / 3)
    assert m["recall@4"] == pytest.approx(2 / 3)
    assert m["r_precision"] == pytest.approx(2 / 3)  # top 3 hold a and b
    dcg = 1 + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert m["ndcg@4"] == pytest.approx(dcg / idcg)
    assert ranking_metrics([], {"a"}, ks=(10,))["recall@10"] == 0.0


def test_queries_are_deterministic_and_seeds_come_from_the_playlist():
    catalog = planted_catalog()
    a = sample_queries(catalog, 2, 3, random_state=5)
    b = sample_queries(catalog, 2, 3, random_state=5)
    assert [q["seeds"] for q in a] == [q["seeds"] for q in b]
    members = {pid: set(g["track_id"]) for pid, g in catalog.memberships.groupby("playlist_id")}
    for q in a:
        assert set(q["seeds"]) <= members[q["playlist_id"]]
        assert q["hidden"] == members[q["playlist_id"]] - set(q["seeds"])


def test_held_out_playlists_are_blanked_before_fitting():
    catalog = planted_catalog()
    queries = sample_queries(catalog, 1, 3, random_state=0)
    train = catalog.without_playlists([q["playlist_id"] for q in queries])
    assert not train.memberships["playlist_id"].isin([queries[0]["playlist_id"]]).any()


def test_planted_catalog_evaluation_orders_methods():
    table = evaluate(planted_catalog(), methods=["hybrid", "similar", "random"], n_playlists=3,
                     n_seeds=3, ks=(5, 10), random_state=0,
                     method_params={"cluster": {"n_clusters": 3}})
    by = table.set_index("method")
    assert {"recall@5", "recall@10", "ndcg@10", "r_precision", "genre_precision@10", "distinct_artists@10"} <= set(table)
    assert by.loc["similar", "recall@10"] > by.loc["random", "recall@10"]
    assert by.loc["hybrid", "genre_precision@10"] > by.loc["random", "genre_precision@10"]
    report = evaluation_report(table)
    assert report["protocol"]["n_seeds"] == 3 and set(report["methods"]) == {"hybrid", "similar", "random"}


@pytest.mark.slow
def test_default_catalog_goals_small_sample(default_catalog):
    # 30 playlists (the CLI default is 100): the ordering the goals ask for
    table = evaluate(default_catalog, methods=["hybrid", "similar", "cluster"], n_playlists=30,
                     n_seeds=5, random_state=0).set_index("method")
    assert table.loc["hybrid", "recall@100"] >= 0.15
    assert table.loc["hybrid", "recall@100"] >= 5 * table.loc["cluster", "recall@100"]
    assert table.loc["similar", "recall@100"] > table.loc["cluster", "recall@100"]
    assert (table["distinct_artists@10"] >= 5).all()
