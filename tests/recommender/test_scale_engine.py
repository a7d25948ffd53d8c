"""The engine's large-catalog paths give the answers of its small-catalog paths."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans, MiniBatchKMeans

import recommender.clustering as clustering
import recommender.recommenders.hybrid as hybrid
from recommender.cache import FitCache
from recommender.recommenders import make_recommender


def _queries(catalog, count=25, seed=3):
    rng = np.random.default_rng(seed)
    ids = catalog.tracks["track_id"].to_numpy()
    return [list(ids[rng.choice(len(ids), 5, replace=False)]) for _ in range(count)]


@pytest.fixture(scope="module")
def similar(default_catalog):
    return make_recommender("similar").fit(default_catalog)


def test_similar_uses_the_index_and_matches_scoring_every_track(similar, default_catalog, monkeypatch):
    assert similar.neighbors_.kind == "exact"
    for seeds in _queries(default_catalog):
        for filters in (None, {"min_popularity": 40}, {"max_per_artist": 1}):
            fast = similar.recommend(seeds, k=20, filters=filters).recommendations
            with monkeypatch.context() as m:
                m.setattr(similar, "_pool", lambda *a, **k: None)  # the dense path
                dense = similar.recommend(seeds, k=20, filters=filters).recommendations
            assert fast["track_id"].tolist() == dense["track_id"].tolist()
            np.testing.assert_allclose(fast["score"], dense["score"], atol=1e-5)


@pytest.mark.parametrize("index_kind", ["exact", "ivf"])
def test_hybrid_candidate_mode_matches_scoring_every_track(default_catalog, monkeypatch, index_kind):
    monkeypatch.setattr(hybrid, "HYBRID_CANDIDATES_ABOVE", 1000)  # force it on 28k tracks
    # audio candidates from the IVF index from this size on (the default: 500k tracks)
    monkeypatch.setattr(hybrid, "HYBRID_APPROXIMATE_ABOVE", 1000 if index_kind == "ivf" else 10**9)
    model = make_recommender("hybrid").fit(default_catalog)
    assert model.neighbors_.kind == index_kind
    overlaps = []
    for seeds in _queries(default_catalog):
        fast = model.recommend(seeds, k=20, filters={"min_popularity": 30}).recommendations
        monkeypatch.setattr(hybrid, "HYBRID_CANDIDATES_ABOVE", 10**9)
        dense = model.recommend(seeds, k=20, filters={"min_popularity": 30}).recommendations
        monkeypatch.setattr(hybrid, "HYBRID_CANDIDATES_ABOVE", 1000)
        overlaps.append(len(set(fast["track_id"]) & set(dense["track_id"])) / 20)
        # Scores of the candidates are exact, whichever way they were found.
        both = fast.merge(dense, on="track_id")
        np.testing.assert_allclose(both["score_x"], both["score_y"], atol=1e-4)
    assert np.mean(overlaps) >= 0.95


def test_hybrid_pool_takes_the_best_co_playlisted_artists_tracks_with_exact_scores(default_catalog, monkeypatch):
    monkeypatch.setattr(hybrid, "HYBRID_CANDIDATES_ABOVE", 1000)
    monkeypatch.setattr(hybrid, "POOL_ARTISTS", 5)
    model = make_recommender("hybrid").fit(default_catalog)
    capped = 0
    for seeds in _queries(default_catalog):
        seed_pos = default_catalog.positions(seeds)
        reach = model._reach(seed_pos)
        per_artist = reach.per_artist
        reached = np.flatnonzero(per_artist > 0)
        if len(reached) <= 5:
            continue
        capped += 1
        # the five best-scored artists' tracks (ties at the fifth score may go either way)
        fifth = np.sort(per_artist[reached])[-5]
        taken_artists = np.unique(model.index_.artists[np.unique(reach.best_artist_tracks)].indices)
        assert set(taken_artists) >= set(np.flatnonzero(per_artist > fifth))
        assert len(np.unique(reach.best_artist_tracks)) < len(np.unique(reach.artist_tracks))
        # the pool's scores stay exact: the artist-playlist scale still sees every reached track
        fast = model.recommend(seeds, k=20).recommendations
        monkeypatch.setattr(hybrid, "HYBRID_CANDIDATES_ABOVE", 10**9)
        dense = model.recommend(seeds, k=20).recommendations
        monkeypatch.setattr(hybrid, "HYBRID_CANDIDATES_ABOVE", 1000)
        both = fast.merge(dense, on="track_id")
        assert len(both) >= 10
        np.testing.assert_allclose(both["score_x"], both["score_y"], atol=1e-4)
    assert capped


def test_kmeans_switches_to_minibatch_above_the_threshold(default_catalog, monkeypatch):
    small = clustering.ClusterModel(6, random_state=0).fit(default_catalog)
    assert isinstance(small.kmeans_, KMeans)
    monkeypatch.setattr(clustering, "MINIBATCH_ABOVE", 1000)
    large = clustering.ClusterModel(6, random_state=0).fit(default_catalog)
    assert isinstance(large.kmeans_, MiniBatchKMeans)
    assert len(large.labels_) == len(default_catalog)
    # Mini-batches reach nearly the same optimum as Lloyd's algorithm on the same data.
    assert large.inertia_ <= small.inertia_ * 1.05
    assert large.profile()["size"].sum() == len(default_catalog)


def test_minibatch_centres_from_a_sample_still_label_every_track(default_catalog, monkeypatch):
    small = clustering.ClusterModel(6, random_state=0).fit(default_catalog)
    monkeypatch.setattr(clustering, "MINIBATCH_ABOVE", 1000)
    monkeypatch.setattr(clustering, "MINIBATCH_FIT_SAMPLE", 10_000)  # centres from 10,000 of 28,356 tracks
    large = clustering.ClusterModel(6, random_state=0).fit(default_catalog)
    X = large.space_.transform(default_catalog.tracks)
    # Every track is in the cluster of its nearest centre, and the inertia is over every track.
    distances = ((X[:, None, :] - large.centers_[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(large.labels_, distances.argmin(axis=1))
    assert large.inertia_ == pytest.approx(distances.min(axis=1).sum(), rel=1e-4)
    # Near Lloyd's optimum on every track (mini-batch starts land 2-7 % above it here).
    assert large.inertia_ <= small.inertia_ * 1.08
    assert large.sizes_.sum() == len(default_catalog)


def test_fitted_recommender_round_trips_through_the_disk_cache(default_catalog, similar, tmp_path):
    cache = FitCache(tmp_path)
    fitted = cache.fitted(make_recommender("similar"), default_catalog)
    again = cache.fitted(make_recommender("similar"), default_catalog)
    assert again.catalog_ is default_catalog
    seeds = _queries(default_catalog, 1)[0]
    assert (
        again.recommend(seeds, k=10).recommendations["track_id"].tolist()
        == fitted.recommend(seeds, k=10).recommendations["track_id"].tolist()
    )
