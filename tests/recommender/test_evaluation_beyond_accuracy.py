"""Issue 18's evaluation: coverage@20 and popularity percentile with exact values on small
planted catalogs, one table per seed count, and the cold-start query selection."""
from __future__ import annotations

import io
import math

import numpy as np
import pytest

from recommender.catalog import load_catalog, split_list
from recommender.errors import CatalogError
from recommender.evaluation import (
    catalog_coverage,
    evaluate,
    evaluate_seed_counts,
    evaluation_report,
    evaluation_reports,
    popularity_percentiles,
)
from recommender.evaluation_queries import cold_start_queries, sample_queries
from tests.support.planted import PER_GROUP, planted_catalog, planted_frame, track_id


def _load(frame, name="test"):
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return load_catalog(buffer.getvalue().encode(), name=name)


def one_artist_per_track_catalog():
    """The planted catalog with every track by its own artist and popularity 1..36, all
    different (so "popular" ranks exactly by popularity, with no artist cap at work)."""
    frame = planted_frame()
    ids = sorted(frame["track_id"].unique())
    popularity = {t: float(i + 1) for i, t in enumerate(ids)}
    frame["track_artist"] = "Artist " + frame["track_id"].str[:5]
    frame["track_popularity"] = frame["track_id"].map(popularity)
    return _load(frame), popularity


def test_popularity_percentile_is_the_mid_rank_within_the_catalog():
    catalog = planted_catalog()  # popularity 10 + 7 i for i < 11 in each of 3 groups, unknown for i = 11
    pct = popularity_percentiles(catalog)
    pos = catalog.positions([track_id(g, i) for g in range(3) for i in range(PER_GROUP)])
    for g in range(3):
        for i in range(PER_GROUP - 1):
            # 3 i tracks less popular, 3 as popular (itself included), 33 known
            assert pct[pos[g * PER_GROUP + i]] == pytest.approx(100 * (3 * i + 1.5) / 33)
        assert math.isnan(pct[pos[g * PER_GROUP + PER_GROUP - 1]])
    assert np.nanmean(pct) == pytest.approx(50.0)


def test_no_popularity_gives_nan_not_a_made_up_figure():
    catalog = _load(planted_frame().drop(columns=["track_popularity"]))
    assert popularity_percentiles(catalog) is None
    table = evaluate(catalog, methods=["similar"], n_playlists=2, n_seeds=2, ks=(5,))
    assert math.isnan(table.loc[0, "popularity_percentile"]) and table.attrs["has_popularity"] is False
    assert evaluation_report(table)["methods"]["similar"]["popularity_percentile"] is None


def test_coverage_is_over_the_union_of_all_top_20s():
    catalog = planted_catalog()  # 36 tracks
    ids = [track_id(g, i) for g in range(3) for i in range(PER_GROUP)]
    lists = [ids[:20], ids[10:30], ["not a track"] + ids[:5]]
    assert catalog_coverage(catalog, lists) == pytest.approx(30 / 36)
    assert catalog_coverage(catalog, [ids[:25]]) == pytest.approx(20 / 36)  # only the top 20 counts


def test_popular_method_coverage_and_percentile_exactly():
    catalog, popularity = one_artist_per_track_catalog()
    table = evaluate(catalog, methods=["popular", "random"], n_playlists=4, n_seeds=3, ks=(10,),
                     random_state=2).set_index("method")
    # By hand: "popular" shows the 20 most popular tracks that are not a seed, so the union
    # over queries is the top 20 plus whatever the seeds pushed in.
    by_popularity = sorted(popularity, key=popularity.get, reverse=True)
    shown, means = set(), []
    for q in sample_queries(catalog, 4, 3, random_state=2):
        top = [t for t in by_popularity if t not in q["seeds"]][:20]
        shown |= set(top)
        means.append(np.mean([100 * (popularity[t] - 0.5) / 36 for t in top]))
    assert table.loc["popular", "coverage@20"] == pytest.approx(len(shown) / 36)
    assert table.loc["popular", "popularity_percentile"] == pytest.approx(np.mean(means))
    assert table.loc["random", "popularity_percentile"] < table.loc["popular", "popularity_percentile"]
    assert table.loc["random", "coverage@20"] > table.loc["popular", "coverage@20"]


def test_each_seed_count_gives_the_table_it_gives_alone():
    catalog = planted_catalog()
    kwargs = dict(methods=["similar", "popular"], n_playlists=3, ks=(5, 10), random_state=1)
    tables = evaluate_seed_counts(catalog, [1, 3, 1], **kwargs)
    assert list(tables) == [1, 3]
    for n, table in tables.items():
        alone = evaluate(catalog, n_seeds=n, **kwargs)
        cols = [c for c in alone.columns if c != "seconds"]
        assert table[cols].equals(alone[cols]) and table.attrs["n_seeds"] == n
    report = evaluation_reports(tables)
    assert set(report["by_n_seeds"]) == {"1", "3"}
    assert report["by_n_seeds"]["3"]["protocol"]["n_seeds"] == 3


def _artists(catalog, track):
    cell = catalog.tracks.set_index("track_id").loc[track, "artists"]
    return {a.lower() for a in split_list(cell)}


def _training_artists(catalog, blanked):
    """Artists credited on a track of some playlist once ``blanked`` are blanked, found with
    the catalog's own ``without_playlists`` (what the models are fitted on)."""
    train = catalog.without_playlists(blanked)
    members = train.memberships.dropna(subset=["playlist_id"])["track_id"].unique()
    return set().union(*(_artists(catalog, t) for t in members))


def test_cold_start_filtered_keeps_exactly_the_standard_queries_with_cold_seeds():
    catalog = planted_catalog()  # artist 2 of each group is in its group's playlist only
    partial = 0
    for state in range(12):
        standard = sample_queries(catalog, 2, 1, random_state=state)
        blanked = [q["playlist_id"] for q in standard]
        warm = _training_artists(catalog, blanked)
        expected = [q for q in standard if not any(_artists(catalog, s) & warm for s in q["seeds"])]
        chosen = cold_start_queries(catalog, 2, 1, random_state=state, min_queries=1)
        if not expected:
            assert chosen.cold_start["mode"] == "sampled"
            continue
        assert chosen.cold_start["mode"] == "filtered" and chosen.blanked_playlists == blanked
        assert [q["seeds"] for q in chosen.queries] == [q["seeds"] for q in expected]
        assert chosen.cold_start["qualified"] == len(expected)
        partial += 0 < len(expected) < len(standard)
    assert partial  # some states keep some queries and drop others


@pytest.mark.parametrize("state", range(4))
def test_cold_start_sampled_seeds_are_by_artists_in_no_training_playlist(state):
    catalog = planted_catalog()
    chosen = cold_start_queries(catalog, 3, 2, random_state=state, min_queries=4)  # > 3: always sampled
    info = chosen.cold_start
    assert info["mode"] == "sampled" and info["eligible_playlists"] == 3  # the mix has none
    assert info["queries"] == len(chosen.queries) == 3
    warm = _training_artists(catalog, chosen.blanked_playlists)
    assert warm  # the mix playlist is still there, with artists 0 and 1 of every group
    for q in chosen.queries:
        assert not any(_artists(catalog, s) & warm for s in q["seeds"])
        # the only tracks whose artist is in no other playlist: artist 2 (i % 3 == 2)
        assert all(int(s[3:5]) % 3 == 2 for s in q["seeds"])
        members = set(catalog.memberships.loc[catalog.memberships["playlist_id"] == q["playlist_id"], "track_id"])
        assert set(q["seeds"]) <= members and q["hidden"] == members - set(q["seeds"])


def test_cold_start_evaluation_reports_how_queries_qualified():
    table = evaluate(planted_catalog(), methods=["similar"], n_playlists=3, n_seeds=2, ks=(5,),
                     cold_start=True, min_cold_queries=4)
    report = evaluation_report(table)
    assert report["protocol"]["cold_start"]["mode"] == "sampled"
    assert report["protocol"]["n_playlists"] == 3


def test_cold_start_with_too_few_cold_tracks_says_so():
    with pytest.raises(CatalogError, match="no playlist has 5 tracks whose artists are in no other playlist"):
        cold_start_queries(planted_catalog(), 3, 5, random_state=0, min_queries=3)
