"""Catalogs that give only some audio features (issue 14): every method and the clustering work
on the features that are there, and never speak of the ones that are not."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.catalog import AUDIO_FEATURES, load_catalog
from recommender.clustering import ClusterModel
from recommender.errors import FilterError
from recommender.recommenders import make_recommender

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
KNOWN = ("danceability", "energy", "tempo", "valence")
# Words the explanations use for the features the sample lacks (recommender.features.FEATURE_WORDS).
ABSENT_WORDS = ("acoustic", "louder", "quieter", "longer", "shorter", "instrumental", "live", "spoken")


@pytest.fixture(scope="module")
def four():
    catalog = load_catalog(SAMPLES / "four_features.csv")
    assert catalog.feature_names == KNOWN
    return catalog


@pytest.mark.parametrize("method", ["similar", "hybrid", "cluster", "popular", "random"])
def test_every_method_recommends_on_four_features(four, method):
    seeds = four.tracks["track_id"].head(3).tolist()
    result = make_recommender(method).fit(four).recommend(seeds, k=10)
    recs = result.recommendations
    assert len(recs) == 10 and not set(recs["track_id"]) & set(seeds)
    assert result.message is None
    why = " ".join(recs["why"]).lower()
    assert not [w for w in ABSENT_WORDS if w in why], why
    # Feature columns of the result: only the known ones carry values.
    for feature in AUDIO_FEATURES:
        if feature in recs:
            assert recs[feature].notna().all() == (feature in KNOWN), feature


def test_similar_ranks_by_the_known_features(four):
    seed = four.tracks.iloc[0]
    recs = make_recommender("similar").fit(four).recommend([seed["track_id"]], k=5).recommendations
    X = four.tracks[list(KNOWN)].to_numpy(dtype=float)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    distance = np.linalg.norm(X - X[0], axis=1)
    nearest = four.tracks["track_id"].to_numpy()[np.argsort(distance)[1:40]]
    assert set(recs["track_id"]) <= set(nearest)  # weights differ a little: the nearest 40 of 300


def test_clusters_are_named_and_profiled_from_the_known_features(four):
    model = ClusterModel(n_clusters=4).fit(four)
    assert model.n_clusters_ == 4 and len(set(model.labels_)) == 4
    assert model.space_.feature_names_ == list(KNOWN)
    names = " ".join(model.cluster_names_).lower()
    assert not [w for w in ("acoustic", "loud", "quiet", "instrumental", "spoken") if w in names], names
    profile = model.profile()
    assert len(profile) == 4 and profile["size"].sum() == len(four)


def test_a_bound_on_a_feature_the_catalog_lacks_says_so(four):
    seeds = four.tracks["track_id"].head(3).tolist()
    result = make_recommender("similar").fit(four).recommend(seeds, k=5, filters={"min_loudness": -10})
    assert result.recommendations.empty
    assert "loudness is unknown for 300 tracks" in result.message


def test_a_target_on_a_feature_the_catalog_lacks_is_refused_by_name(four):
    seeds = four.tracks["track_id"].head(3).tolist()
    with pytest.raises(FilterError, match="acousticness"):
        make_recommender("similar").fit(four).recommend(seeds, k=5, filters={"target_acousticness": 0.5})
