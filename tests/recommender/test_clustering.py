"""ClusterModel on a planted three-cluster catalog, and on the real default catalog."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from recommender.cluster_names import display_genre as genre_display
from recommender.cluster_names import genre_phrase, name_clusters
from recommender.clustering import ClusterModel
from recommender.errors import CatalogError, NotFittedError
from recommender.features import FeatureSpace

TRUTH = np.repeat([0, 1, 2], 12)


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
    # The planted rock cluster is all rock, loud, fast and energetic: its name says so.
    assert model.cluster_names_[rock].startswith("Rock · ")
    assert {"energetic", "fast", "loud"} & set(model.cluster_names_[rock].replace(" and ", ", ").split(" · ")[1].split(", "))
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
    assert names[1] == "Energetic, danceable and moody"  # the trait that sets it apart
    assert names[0].startswith("Energetic, danceable and cheerful") and names[0] != names[2]  # twins: numbered


def test_clashing_names_get_the_trait_that_sets_them_apart():
    # Same two strongest traits (calm, acoustic); they differ most on speechiness.
    features = ["energy", "acousticness", "speechiness", "tempo"]
    centres = np.array([[-2.0, 1.8, 0.9, 0.1], [-2.1, 1.7, -0.9, 0.2]])
    shares = [[("r&b", 0.3), ("rock", 0.2), ("pop", 0.2)]] * 2
    names = name_clusters(centres, features, shares)
    assert names == ["Mixed genres · calm, acoustic and wordy", "Mixed genres · calm, acoustic and sung"]


def test_genre_phrase_names_a_dominant_genre_a_leading_pair_or_a_mix():
    assert genre_phrase([("rock", 0.6), ("pop", 0.2), ("edm", 0.2)]) == "Rock"
    assert genre_phrase([("r&b", 0.45), ("pop", 0.25)]) == "R&B"
    assert genre_phrase([("rap", 0.35), ("r&b", 0.3), ("pop", 0.1)]) == "Rap & R&B"
    assert genre_phrase([("edm", 0.2), ("pop", 0.2), ("rock", 0.2)]) == "Mixed genres"
    assert genre_phrase([]) == ""


@pytest.fixture(scope="module")
def default_models(default_catalog):
    return {k: ClusterModel(k, random_state=0).fit(default_catalog) for k in range(2, 13)}


@pytest.mark.parametrize("k", range(2, 13))
def test_default_catalog_names_are_distinct_and_name_a_dominant_genre(default_models, k):
    model = default_models[k]
    names = model.cluster_names_
    assert len(names) == k and len(set(names)) == k
    assert not any(n.endswith(")") for n in names), "no name needs a number to be told apart"
    # Names read alike when they hold the same words in another order: none may.
    assert len({(n.split(" · ")[0], frozenset(n.split(" · ")[-1].replace(" and ", ", ").split(", ")))
                for n in names}) == k
    for name, shares in zip(names, model.genre_shares_):
        top, share = shares[0]
        runner_up = shares[1][1] if len(shares) > 1 else 0.0
        if share >= 0.4 and share >= 1.5 * runner_up:  # one genre clearly dominates
            assert name.split(" · ")[0] == genre_display(top), (name, shares[:3])


def test_auto_k_on_the_default_catalog_scores_a_sample_and_picks_a_sensible_k(default_catalog):
    model = ClusterModel("auto", random_state=0).fit(default_catalog)
    assert 4 <= model.n_clusters_ <= 8  # the elbow of the full curve is 5; of the sample's 5 or 6
    assert model.scores_["k"].tolist() == list(range(2, 16))
    # Inertia is scaled to the whole catalog: k=2's is within 5% of a fit on every track.
    full = ClusterModel(2, random_state=0).fit(default_catalog).inertia_
    assert abs(model.scores_["inertia"].iat[0] / full - 1) < 0.05
    assert model.scores_["inertia"].is_monotonic_decreasing
    steps = []
    ClusterModel("auto", k_range=range(2, 6), random_state=0).fit(default_catalog, on_step=lambda d, t: steps.append((d, t)))
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_map_axes_are_titled_in_words(catalog):
    model = ClusterModel(3, random_state=0).fit(catalog)
    for title in model.map_axis_titles():
        assert title.startswith("← ") and title.endswith(" →") and "component" not in title


def test_default_catalog_clusters_have_readable_profiles(default_catalog):
    model = ClusterModel(6, random_state=0, features=FeatureSpace(use_year=False)).fit(default_catalog)
    profile = model.profile()
    assert profile["size"].sum() == len(default_catalog)
    assert all(isinstance(n, str) and n for n in model.cluster_names_)
    assert len(set(model.cluster_names_)) == 6


def test_genre_counts_equal_a_counter_over_every_track():
    from collections import Counter

    from recommender.cluster_names import genre_counts

    def _top_genres(genres, labels, n_clusters):  # the profile's "top_genres" column
        return [", ".join(g for g, _ in c.most_common(3)) for c in genre_counts(genres, labels, n_clusters)]

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
