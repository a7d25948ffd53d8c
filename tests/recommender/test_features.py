"""FeatureSpace: standardization, weights, unknown values, errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.catalog import load_catalog
from recommender.errors import CatalogError, NotFittedError
from recommender.features import FeatureSpace


def test_columns_are_standardized_then_weighted(catalog):
    space = FeatureSpace().fit(catalog)
    X = space.transform_catalog()
    assert X.dtype == np.float32 and X.shape == (len(catalog), len(space.feature_names_))
    assert "release_year" in space.feature_names_
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-4)
    # a feature with spread ends with standard deviation == its weight
    energy = space.feature_names_.index("energy")
    assert X[:, energy].std() == pytest.approx(space.weights_[energy], rel=1e-3)


def test_weight_zero_drops_a_feature_and_year_is_optional(catalog):
    space = FeatureSpace(weights={"tempo": 0}, use_year=False).fit(catalog)
    assert "tempo" not in space.feature_names_
    assert "release_year" not in space.feature_names_


def test_unknown_values_become_the_mean(catalog):
    space = FeatureSpace().fit(catalog)
    frame = catalog.tracks.head(2).copy()
    frame["energy"] = np.nan
    X = space.transform(frame)
    assert X[:, space.feature_names_.index("energy")].tolist() == [0.0, 0.0]
    assert np.isfinite(X).all()


def test_constant_feature_does_not_divide_by_zero(catalog):
    space = FeatureSpace().fit(catalog)  # instrumentalness is 0 everywhere in the planted data
    assert np.isfinite(space.transform_catalog()).all()


def test_errors_name_the_problem(catalog):
    with pytest.raises(NotFittedError, match="fit"):
        FeatureSpace().transform_catalog()
    with pytest.raises(ValueError, match="loudnes"):
        FeatureSpace(weights={"loudnes": 1.0}).fit(catalog)


def test_groups_are_far_apart_in_feature_space(catalog):
    X = FeatureSpace().fit(catalog).transform_catalog()
    groups = np.repeat([0, 1, 2], 12)
    centres = np.stack([X[groups == g].mean(axis=0) for g in range(3)])
    within = np.mean([np.linalg.norm(X[groups == g] - centres[g], axis=1).mean() for g in range(3)])
    between = np.linalg.norm(centres[0] - centres[1])
    assert between > 2 * within


SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="module")
def four_features():
    return load_catalog(SAMPLES / "four_features.csv")


def test_a_catalog_with_some_features_uses_only_those(four_features):
    space = FeatureSpace().fit(four_features)
    # The sample has no release dates either: four columns, the unknown features left out.
    assert space.feature_names_ == ["danceability", "energy", "tempo", "valence"]
    X = space.transform_catalog()
    assert X.shape == (300, 4) and np.isfinite(X).all()
    np.testing.assert_allclose(X.std(axis=0), space.weights_, rtol=1e-3)
    # A frame that happens to hold a feature the catalog lacks: it is ignored, not used.
    frame = four_features.tracks.head(3).assign(loudness=-5.0)
    np.testing.assert_allclose(space.transform(frame), X[:3], atol=1e-6)


def test_zero_weights_on_every_known_feature_is_a_clear_error(four_features):
    zero = {f: 0.0 for f in four_features.feature_names}
    with pytest.raises(CatalogError, match="weight above 0"):
        FeatureSpace(weights=zero).fit(four_features)


def test_a_track_list_cannot_be_placed_in_the_feature_space():
    track_list = load_catalog(SAMPLES / "exportify_no_features.csv")
    with pytest.raises(CatalogError, match="no audio features"):
        FeatureSpace().fit(track_list)
