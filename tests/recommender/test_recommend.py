"""Recommenders: a contract suite shared by every method, known answers on a planted
catalog, filters, diversity and explanations."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from recommender.errors import FilterError, ModelError, NotFittedError, SeedError
from recommender.recommenders import (
    METHODS,
    RECOMMENDERS,
    RESULT_COLUMNS,
    Filters,
    HybridRecommender,
    RecommendationResult,
    make_recommender,
)
from tests.support.planted import track_id

ALL = [m for m in RECOMMENDERS if not RECOMMENDERS[m].requires_sound]  # sound: tests/recommender/audio/
ROCK = [track_id(0, i) for i in range(3)]
UNKNOWN = "Z" * 22


@pytest.fixture(scope="module")
def fitted(catalog):
    # 3 clusters: the planted truth, so the cluster method has a fair chance
    params = {"cluster": {"n_clusters": 3}}
    return {name: make_recommender(name, **params.get(name, {})).fit(catalog) for name in ALL}


def group_of(ids):
    return [int(t[1]) for t in ids]


# ----------------------------------------------------------------------------- contract
@pytest.mark.parametrize("name", ALL)
class TestContract:
    def test_result_shape(self, fitted, name):
        result = fitted[name].recommend(ROCK, k=5)
        assert isinstance(result, RecommendationResult)
        assert list(result.recommendations.columns[1:8]) == RESULT_COLUMNS
        assert len(result) == 5 and result.seeds == ROCK
        assert not set(result.recommendations["track_id"]) & set(ROCK)  # seeds excluded
        unspread = fitted[name].recommend(ROCK, k=10, filters={"max_per_artist_per_page": None})
        assert (np.diff(unspread.recommendations["score"].to_numpy()) <= 0).all()  # best first
        assert result.recommendations["why"].str.len().gt(0).all()

    def test_empty_seeds(self, fitted, name):
        model = fitted[name]
        if model.requires_seeds:
            with pytest.raises(SeedError, match="no seed"):
                model.recommend([], k=5)
            with pytest.raises(SeedError, match="no seed"):
                model.recommend("   ", k=5)
        else:
            assert len(model.recommend([], k=5)) == 5

    def test_unknown_seeds_reported_not_fatal(self, fitted, name):
        result = fitted[name].recommend([*ROCK, UNKNOWN, "not-an-id"], k=3)
        assert result.not_in_catalog == [UNKNOWN]
        assert [t.token for t in result.invalid] == ["not-an-id"]
        assert len(result) == 3

    def test_only_unknown_seeds_is_a_clear_error(self, fitted, name):
        model = fitted[name]
        if not model.requires_seeds:
            assert model.recommend([UNKNOWN], k=2).not_in_catalog == [UNKNOWN]
            return
        with pytest.raises(SeedError, match="not in|is in the catalog|none of"):
            model.recommend([UNKNOWN], k=5)
        with pytest.raises(SeedError, match="characters"):
            model.recommend("abc", k=5)

    def test_k_larger_than_catalog(self, fitted, name):
        result = fitted[name].recommend(ROCK, k=1000)
        assert len(result) == 36 - 3
        assert result.recommendations["track_id"].is_unique

    def test_invalid_k(self, fitted, name):
        with pytest.raises(FilterError, match="k"):
            fitted[name].recommend(ROCK, k=0)

    def test_deterministic_with_fixed_random_state(self, catalog, fitted, name):
        params = {"cluster": {"n_clusters": 3}}.get(name, {})
        again = make_recommender(name, random_state=0, **params).fit(catalog)
        a = fitted[name].recommend(ROCK, k=10).recommendations
        b = again.recommend(ROCK, k=10).recommendations
        assert a["track_id"].tolist() == b["track_id"].tolist()
        np.testing.assert_allclose(a["score"], b["score"], rtol=1e-6)

    def test_pickle_round_trip(self, fitted, name):
        clone = pickle.loads(pickle.dumps(fitted[name]))
        a = fitted[name].recommend(ROCK, k=8).recommendations
        b = clone.recommend(ROCK, k=8).recommendations
        assert a["track_id"].tolist() == b["track_id"].tolist()
        assert a["why"].tolist() == b["why"].tolist()

    def test_seeds_as_pasted_text(self, fitted, name):
        text = f"spotify:track:{ROCK[0]}, https://open.spotify.com/track/{ROCK[1]}?si=x\n{ROCK[2]}"
        assert fitted[name].recommend(text, k=3).seeds == ROCK

    def test_default_top10_has_five_artists_at_least(self, fitted, name):
        # the planted catalog has only 9 artists, 3 per group: still >= 5 in every top 10
        recs = fitted[name].recommend(ROCK, k=10).recommendations
        assert recs["artists"].nunique() >= 5

    def test_not_fitted(self, name):
        with pytest.raises(NotFittedError):
            make_recommender(name).recommend(ROCK)


# ----------------------------------------------------------------------------- known answers
@pytest.mark.parametrize("name", ["hybrid", "similar", "cluster"])
def test_rock_seeds_get_rock_tracks(fitted, name):
    recs = fitted[name].recommend(ROCK, k=9, filters={"max_per_artist_per_page": None})
    assert group_of(recs.recommendations["track_id"]) == [0] * 9


def test_similar_nearest_neighbour_is_the_closest_by_brute_force(catalog, fitted):
    model = fitted["similar"]
    X = model.unit_
    seed = catalog.positions([track_id(1, 4)])[0]
    sims = X @ X[seed]
    sims[seed] = -np.inf
    expected = catalog.tracks["track_id"].iloc[int(np.argmax(sims))]
    got = model.recommend([track_id(1, 4)], k=1, filters={"max_per_artist_per_page": None})
    assert got.recommendations["track_id"].iloc[0] == expected


def test_popular_ranks_by_popularity_and_unknown_last(fitted):
    recs = fitted["popular"].recommend([], k=36, filters={"max_per_artist_per_page": None}).recommendations
    pop = recs["popularity"].to_numpy()
    known = pop[~np.isnan(pop)]
    assert (np.diff(known) <= 0).all()
    assert np.isnan(pop[-3:]).all()


def test_hybrid_uses_playlists_and_artists(catalog, fitted):
    # one pop seed: the other 3 tracks of the same artist come first
    seed = track_id(1, 0)  # Pop Artist 0, in the pop playlist and the mix
    recs = fitted["hybrid"].recommend([seed], k=3, filters={"max_per_artist_per_page": None}).recommendations
    assert set(recs["artists"]) == {"Pop Artist 0"}
    assert recs["why"].str.startswith("Same artist as your seed").all()
    comps = fitted["hybrid"]._components(catalog.positions([seed]))
    assert {"audio", "same_artist", "cooccurrence", "artist_playlists", "style"} <= set(comps)
    assert all(v.shape == (36,) and v.dtype == np.float32 for v in comps.values())


def test_hybrid_weights_change_the_outcome(catalog):
    seeds = [track_id(1, 0), track_id(2, 3)]
    audio_only = {k: 0.0 for k in HybridRecommender.DEFAULT_WEIGHTS} | {"audio": 1.0}
    artist_only = {k: 0.0 for k in HybridRecommender.DEFAULT_WEIGHTS} | {"same_artist": 1.0, "audio": 0.01}
    a = HybridRecommender(weights=audio_only).fit(catalog).recommend(seeds, k=5).recommendations
    b = HybridRecommender(weights=artist_only).fit(catalog).recommend(seeds, k=5).recommendations
    assert a["track_id"].tolist() != b["track_id"].tolist()
    with pytest.raises(ValueError, match="unknown hybrid weight"):
        HybridRecommender(weights={"mood": 1}).fit(catalog)


# ----------------------------------------------------------------------------- filters
def test_min_max_filters(fitted):
    recs = fitted["similar"].recommend(ROCK, k=30, filters={"min_danceability": 0.6}).recommendations
    assert (recs["danceability"] >= 0.6).all() and len(recs) == 24
    recs = fitted["hybrid"].recommend(ROCK, k=30, filters=Filters(max={"tempo": 100})).recommendations
    assert (recs["tempo"] <= 100).all() and set(group_of(recs["track_id"])) == {2}


def test_genre_and_year_filters(fitted):
    recs = fitted["hybrid"].recommend(ROCK, k=30, filters={"include_genres": "Pop"}).recommendations
    assert set(group_of(recs["track_id"])) == {1}
    recs = fitted["hybrid"].recommend(ROCK, k=30, filters={"exclude_genres": ["rock", "rap"]}).recommendations
    assert set(group_of(recs["track_id"])) == {1}
    recs = fitted["hybrid"].recommend(ROCK, k=30, filters={"min_year": 2010}).recommendations
    assert (recs["release_year"] >= 2010).all() and set(group_of(recs["track_id"])) == {2}
    with pytest.raises(FilterError, match="'polka' is not in this catalog"):
        fitted["hybrid"].recommend(ROCK, filters={"include_genres": ["polka"]})


def test_exclude_seed_artists_and_hard_artist_cap(fitted):
    recs = fitted["hybrid"].recommend([track_id(0, 0)], k=30, filters={"exclude_seed_artists": True}).recommendations
    assert "Rock Artist 0" not in set(recs["artists"])
    recs = fitted["hybrid"].recommend(ROCK, k=30, filters={"max_per_artist": 1}).recommendations
    assert recs["artists"].is_unique and len(recs) == 9


def test_page_cap_moves_tracks_down_instead_of_dropping(fitted):
    seed = [track_id(0, 0)]
    capped = fitted["hybrid"].recommend(seed, k=35, filters={"max_per_artist_per_page": 1}).recommendations
    free = fitted["hybrid"].recommend(seed, k=35, filters={"max_per_artist_per_page": None}).recommendations
    assert set(capped["track_id"]) == set(free["track_id"])  # same tracks, other order
    assert capped["artists"].head(9).is_unique


def test_targets_pull_the_ranking(fitted):
    seeds = [track_id(1, 0)]
    plain = fitted["similar"].recommend(seeds, k=5).recommendations
    pulled = fitted["similar"].recommend(seeds, k=5, filters={"target_tempo": 150}).recommendations
    assert pulled["tempo"].mean() > plain["tempo"].mean() + 20


def test_filter_that_empties_the_list_is_named(fitted):
    result = fitted["hybrid"].recommend(ROCK, k=5, filters={"min_energy": 0.2, "min_tempo": 250})
    assert len(result) == 0
    assert "min_tempo=250" in result.message and "min_energy" not in result.message
    assert result.to_dict()["message"] == result.message
    result = fitted["hybrid"].recommend(ROCK, k=5, filters={"min_time_signature": 4})
    assert "time_signature is unknown" in result.message


def test_unknown_popularity_policy(fitted):
    unknown = {track_id(g, 11) for g in range(3)}  # planted with no popularity
    model = fitted["popular"]
    everything = set(model.recommend([], k=40, filters={"max_per_artist_per_page": None}).recommendations["track_id"])
    assert unknown <= everything  # no bound: kept
    bounded = model.recommend([], k=40, filters={"min_popularity": 0})
    assert not unknown & set(bounded.recommendations["track_id"])
    included = model.recommend([], k=40, filters={"min_popularity": 0, "unknown_popularity": "include"})
    assert unknown <= set(included.recommendations["track_id"])
    empty = model.recommend([], k=5, filters={"min_popularity": 99})
    assert "min_popularity=99" in empty.message and "unknown popularity" in empty.message


def test_filters_from_dict_validation_and_round_trip():
    f = Filters.from_dict({"min_energy": "0.5", "target_tempo": 120, "max_popularity": 80,
                           "include_genres": "rock; pop", "max_per_artist": "3", "min_year": "1990"})
    assert f.min == {"energy": 0.5} and f.target == {"tempo": 120.0} and f.max == {"popularity": 80.0}
    assert f.include_genres == ["rock", "pop"] and f.max_per_artist == 3 and f.min_year == 1990
    assert Filters.from_dict(f.to_dict()) == f
    assert Filters().to_dict() == {}
    for bad, message in [
        ({"min_mood": 1}, "unknown filter 'min_mood'"),
        ({"min_energy": 0.8, "max_energy": 0.2}, "min_energy=0.8 is above max_energy=0.2"),
        ({"min_tempo": "fast"}, "min_tempo must be a number"),
        ({"min_tempo": float("nan")}, "finite"),
        ({"max_per_artist": 0}, "max_per_artist must be a whole number"),
        ({"min_year": 2000, "max_year": 1990}, "min_year=2000 is after max_year=1990"),
        ({"unknown_popularity": "maybe"}, "unknown_popularity must be one of"),
    ]:
        with pytest.raises(FilterError, match=message):
            Filters.from_dict(bad)


# ----------------------------------------------------------------------------- explanations
def test_explanations_name_the_closest_seed_and_features(fitted):
    seeds = [track_id(0, 0), track_id(1, 0)]
    recs = fitted["similar"].recommend(seeds, k=6).recommendations
    for tid, why in zip(recs["track_id"], recs["why"]):
        closest = "Rock song 0" if tid.startswith("g0") else "Pop song 0"
        assert why.startswith(f"Sounds like '{closest}' by ")
        assert ": similar " in why and " and " in why
    hybrid = fitted["hybrid"].recommend([track_id(1, 0)], k=3).recommendations
    assert hybrid["why"].str.contains("Same artist as your seed").any()
    assert hybrid["why"].str.contains("in the same playlists as your seed").any()
    one_seed = fitted["similar"].recommend([track_id(0, 0)], k=3).recommendations
    assert one_seed["why"].str.startswith("Sounds like your seed: similar ").all()


def test_registry():
    assert METHODS[0] == "hybrid" and set(METHODS) <= set(RECOMMENDERS)
    with pytest.raises(ModelError, match="hybrid, similar"):
        make_recommender("magic")


def test_default_catalog_known_seed_gets_same_genre(default_catalog):
    model = make_recommender("hybrid").fit(default_catalog)
    rock = default_catalog.tracks[default_catalog.tracks["genres"] == "rock"]["track_id"].head(5).tolist()
    recs = model.recommend(rock, k=20).recommendations
    assert recs["genres"].fillna("").str.contains("rock").mean() >= 0.7
    assert recs["artists"].head(10).nunique() >= 5


def test_target_energy_on_the_default_catalog(default_catalog):
    model = make_recommender("similar").fit(default_catalog)
    seeds = default_catalog.tracks["track_id"].head(5).tolist()
    plain = model.recommend(seeds, k=20).recommendations
    calm = model.recommend(seeds, k=20, filters={"target_energy": 0.2}).recommendations
    assert calm["energy"].mean() < plain["energy"].mean() - 0.2
