"""Clusters of a listener's own library: made in the network's sound space, named by tags."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from recommender.cache import FitCache
from recommender.catalog import load_catalog
from recommender.cluster_names import distinctive_tags, name_clusters_by_tags, tag_means
from recommender.clustering import ClusterModel
from recommender.errors import CatalogError
from recommender.tag_words import plain_tags


@pytest.fixture(scope="module")
def library(audio_library):
    return load_catalog(audio_library[1])


def albums(catalog) -> np.ndarray:
    return catalog.tracks["album_name"].astype(str).to_numpy()


def test_auto_space_is_sound_and_two_clusters_are_the_two_albums(library):
    model = ClusterModel(2, random_state=0).fit(library)
    assert model.space_kind_ == "sound"
    assert adjusted_rand_score(albums(library), model.labels_) == 1.0
    # The map is the sound space's projection: both albums apart on it too.
    emb = model.embedding_2d()
    assert emb.shape == (len(library), 2)
    assert np.array_equal(model.embedding_2d(library), emb)
    assert model.predict(np.arange(len(library))).tolist() == model.labels_.tolist()


def test_sound_space_with_and_without_pca_separates_the_albums(library):
    for pca in (None, 0.9, 3):
        model = ClusterModel(2, random_state=0, pca_components=pca).fit(library)
        assert adjusted_rand_score(albums(library), model.labels_) == 1.0, pca
    full = ClusterModel(2, pca_components=None).fit(library)
    reduced = ClusterModel(2, pca_components=0.9).fit(library)
    assert full.space_.transform_catalog().shape[1] == library.sound.embeddings.shape[1]
    assert reduced.space_.transform_catalog().shape[1] < len(library)  # PCA: at most n - 1 components


def test_names_are_made_of_the_clusters_distinctive_plain_tags(library):
    model = ClusterModel(2, random_state=0).fit(library)
    words, tags = plain_tags(library.sound.tag_names, library.sound.tags)
    lift = distinctive_tags(tags, model.labels_, 2)
    assert len(set(model.cluster_names_)) == 2
    for c, name in enumerate(model.cluster_names_):
        parts = name.split(", ")
        assert len(parts) >= 3 and all(p in words for p in parts)
        # the first word is the tag this cluster has most above the other one
        assert parts[0] == words[int(np.argmax(lift[c]))]
        assert lift[c, words.index(parts[0])] > 0
    profile = model.profile()
    assert {"tempo", "loudness", "key", "mode", "duration_ms", "top_tags"} <= set(profile.columns)
    assert all(t and all(w in words for w in t.split(", ")) for t in profile["top_tags"])
    assert profile["size"].sum() == len(library)
    x_title, y_title = model.map_axis_titles()
    assert x_title.startswith("← more ") and "·" in x_title and y_title


def test_distinctive_tags_and_names_on_a_hand_made_table():
    words = ("guitar", "piano", "slow", "fast", "vocals")
    tags = np.array([[0.9, 0.1, 0.8, 0.1, 0.5], [0.8, 0.1, 0.7, 0.2, 0.5],
                     [0.9, 0.9, 0.1, 0.9, 0.5], [0.9, 0.8, 0.2, 0.8, 0.5]], dtype=np.float32)
    labels = np.array([0, 0, 1, 1])
    assert np.allclose(tag_means(tags, labels, 2)[0], [0.85, 0.1, 0.75, 0.15, 0.5])
    # guitar is everywhere: not what sets either cluster apart
    names = name_clusters_by_tags(tags, words, labels, 2, n_words=2)
    assert names == ["slow, guitar", "piano, fast"]


def test_sound_space_setting_and_pca_change_the_cache_key_and_the_cached_fit(library, tmp_path):
    cache = FitCache(tmp_path / "cache")
    sound = cache.fitted(ClusterModel(2, random_state=0, space="sound"), library)
    features = cache.fitted(ClusterModel(2, random_state=0, space="features"), library)
    assert (sound.space_kind_, features.space_kind_) == ("sound", "features")
    assert sound.cluster_names_ != features.cluster_names_
    again = cache.fitted(ClusterModel(2, random_state=0, space="sound"), library)
    assert again.cluster_names_ == sound.cluster_names_
    assert len(list((tmp_path / "cache").iterdir())) == 2
    keys = {cache.key("clusters", library, ClusterModel(2, space=s, pca_components=p).get_params()).digest
            for s in ("auto", "sound", "features") for p in (None, 0.9)}
    assert len(keys) == 6
    from recommender.cache import class_settings

    assert class_settings(ClusterModel())["SOUND_PCA_VARIANCE"] == 0.9


def test_k_scan_and_auto_work_in_the_sound_space(library):
    steps = []
    model = ClusterModel("auto", k_range=range(2, 8), random_state=0).fit(library, on_step=lambda d, t: steps.append((d, t)))
    assert steps[-1] == (6, 6)
    assert list(model.scores_["k"]) == list(range(2, 8))
    assert 2 <= model.n_clusters_ <= 7 and len(model.cluster_names_) == model.n_clusters_


def test_a_catalog_without_sound_keeps_the_feature_space(library):
    no_sound = dataclasses.replace(library, sound=None)  # the same tracks, without the analysis
    assert ClusterModel(3, random_state=0).fit(no_sound).space_kind_ == "features"
    with pytest.raises(CatalogError, match="no sound analysis"):
        ClusterModel(3, space="sound").fit(no_sound)
    with pytest.raises(ValueError, match="space must be one of"):
        ClusterModel(3, space="tags").fit(library)
    sound = ClusterModel(2).fit(library)
    with pytest.raises(CatalogError, match="sound analysis"):
        sound.predict_frame(library.tracks)
