"""ClusterModel on a planted three-cluster catalog, and on the real default catalog."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from planted import planted_catalog
from recommender.clustering import ClusterModel, name_clusters
from recommender.errors import CatalogError, NotFittedError
from recommender.features import FeatureSpace

TRUTH = np.repeat([0, 1, 2], 12)


@pytest.fixture(scope="module")
def catalog():
    return planted_catalog()


def test_kmeans_finds_the_planted_clusters(catalog):
    model = ClusterModel(3, random_state=0).fit(catalog)
    assert adjusted_rand_score(TRUTH, model.labels_) == 1.0
    assert model.n_clusters_ == 3 and model.sizes_.tolist() == [12, 12, 12]
    assert model.silhouette_ > 0.5
    assert model.inertia_ > 0


def test_auto_k_picks_three_at_the_elbow(catalog):
    model = ClusterModel("auto", k_range=range(2, 7), random_state=0).fit(catalog)
    assert model.n_clusters_ == 3
    assert model.scores_["k"].tolist() == [2, 3, 4, 5, 6]
    assert model.scores_.loc[model.scores_["silhouette"].idxmax(), "k"] == 3


def test_profile_names_and_map(catalog):
    model = ClusterModel(3, random_state=0).fit(catalog)
    profile = model.profile()
    assert len(profile) == 3 and {"cluster", "name", "size", "top_genres", "energy"} <= set(profile)
    assert len(set(model.cluster_names_)) == 3
    rock = model.labels_[0]
    assert profile.loc[rock, "top_genres"].startswith("rock")
    assert "high energy" in model.cluster_names_[rock] or "fast" in model.cluster_names_[rock]
    emb = model.embedding_2d(catalog)
    assert emb.shape == (36, 2) and np.isfinite(emb).all()
    assert model.predict([0, 12, 24]).tolist() == model.labels_[[0, 12, 24]].tolist()
    assert model.predict_frame(catalog.tracks.head(3)).tolist() == model.labels_[:3].tolist()
    assert model.summary()["k"] == 3


def test_same_random_state_same_labels(catalog):
    a = ClusterModel(4, random_state=7).fit(catalog).labels_
    b = ClusterModel(4, random_state=7).fit(catalog).labels_
    assert a.tolist() == b.tolist()


def test_errors(catalog):
    with pytest.raises(NotFittedError):
        ClusterModel().profile()
    with pytest.raises(CatalogError, match="37 clusters"):
        ClusterModel(37).fit(catalog)
    with pytest.raises(ValueError, match="auto"):
        ClusterModel("many").fit(catalog)


def test_names_are_distinct_even_for_similar_centres():
    names = name_clusters(np.array([[2.0, 1.0, 0.5], [2.0, 1.0, -0.5], [2.0, 1.0, 0.5]]),
                          ["energy", "danceability", "valence"])
    assert len(set(names)) == 3
    assert names[0].startswith("high energy, danceable")


def test_default_catalog_clusters_have_readable_profiles(default_catalog):
    model = ClusterModel(6, random_state=0, features=FeatureSpace(use_year=False)).fit(default_catalog)
    profile = model.profile()
    assert profile["size"].sum() == len(default_catalog)
    assert all(isinstance(n, str) and n for n in model.cluster_names_)
    assert len(set(model.cluster_names_)) == 6


def test_top_genres_equal_a_counter_over_every_track():
    from collections import Counter

    from recommender.clustering import _top_genres

    rng = np.random.default_rng(2)
    names = ["pop", "rock", "rap", "latin", "edm", "r&b"]
    cells = [None, "", "pop", "rock; pop", "rap;latin", " edm ", "pop; pop", "r&b; rock; rap"]
    for _ in range(20):
        n = int(rng.integers(1, 300))
        genres = pd.Series(rng.choice(np.array(cells, dtype=object), n), dtype="string")
        labels = rng.integers(0, 4, n)
        expected = []
        for c in range(4):
            counter = Counter(
                g.strip() for cell, label in zip(genres, labels) if label == c and not pd.isna(cell)
                for g in cell.split(";") if g.strip()
            )
            expected.append(", ".join(g for g, _ in counter.most_common(3)))
        assert _top_genres(genres, labels, 4) == expected
    assert set(names) >= {g for row in _top_genres(genres, labels, 4) for g in row.split(", ") if g}
