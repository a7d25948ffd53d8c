"""Methods fitted on the same catalog share its catalog index, audio space, sound vectors and
IVF index (the dashboard fits hybrid and similar on one 10M catalog), answer exactly as with
their own, and free them with the last fit that uses them."""
from __future__ import annotations

import copy
import gc
import pickle
import threading
import weakref

import numpy as np
import pandas as pd

import recommender.recommenders.hybrid as hybrid_module
import recommender.recommenders.similar as similar_module
from recommender.neighbors import IVFIndex
from recommender.recommenders import make_recommender
from recommender.recommenders.index import CatalogIndex
from tests.support.planted import planted_catalog


def _seeds(catalog) -> list[str]:
    return catalog.tracks["track_id"].iloc[[0, 7, 20]].tolist()


def test_methods_fitted_on_one_catalog_share_its_index():
    catalog = planted_catalog()
    similar = make_recommender("similar").fit(catalog)
    hybrid = make_recommender("hybrid").fit(catalog)
    popular = make_recommender("popular").fit(catalog)
    assert isinstance(similar.index_, CatalogIndex)
    assert similar.index_ is hybrid.index_ is popular.index_
    refit = make_recommender("hybrid").fit(catalog)
    assert refit.index_ is hybrid.index_


def test_another_catalog_object_gets_its_own_index_even_with_equal_content():
    catalog = planted_catalog()
    twin = copy.deepcopy(catalog)
    assert make_recommender("similar").fit(catalog).index_ is not make_recommender("similar").fit(twin).index_


def test_a_shared_index_answers_as_an_index_of_its_own():
    catalog = planted_catalog()
    make_recommender("similar").fit(catalog).recommend(_seeds(catalog), k=10)  # fills the lazy look-ups
    shared = make_recommender("hybrid").fit(catalog)
    alone = make_recommender("hybrid").fit(copy.deepcopy(catalog))
    assert shared.index_ is not alone.index_
    for filters in (None, {"min_popularity": 30}):
        answer = shared.recommend(_seeds(catalog), k=15, filters=filters).recommendations
        assert len(answer) >= 8
        pd.testing.assert_frame_equal(answer, alone.recommend(_seeds(catalog), k=15, filters=filters).recommendations)


def test_the_index_is_freed_with_the_last_fit_and_built_again_after():
    catalog = planted_catalog()
    first, second = make_recommender("similar").fit(catalog), make_recommender("popular").fit(catalog)
    index = weakref.ref(first.index_)
    del first
    gc.collect()
    assert index() is second.index_  # still in use
    del second
    gc.collect()
    assert index() is None
    assert isinstance(make_recommender("similar").fit(catalog).index_, CatalogIndex)


def test_the_index_goes_with_its_catalog_and_a_new_catalog_at_the_same_address_gets_its_own():
    ids = set()
    for _ in range(20):
        catalog = planted_catalog()
        model = make_recommender("popular").fit(catalog)
        assert model.index_.n == len(catalog)
        ids.add(id(catalog))
        del catalog, model
        gc.collect()
    from recommender.recommenders import shared as shared_module
    assert not set(shared_module._entries) & ids  # every entry went with its catalog


def test_fits_started_together_build_one_index():
    catalog = planted_catalog()
    fitted, start = [], threading.Barrier(4)

    def fit(method: str) -> None:
        start.wait()
        fitted.append(make_recommender(method).fit(catalog))

    threads = [threading.Thread(target=fit, args=(m,)) for m in ("similar", "hybrid", "popular", "similar")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fitted) == 4
    assert len({id(model.index_) for model in fitted}) == 1


def test_an_unpickled_fit_keeps_an_index_of_its_own():
    catalog = planted_catalog()
    model = make_recommender("similar").fit(catalog)
    again = pickle.loads(pickle.dumps(model))
    assert again.index_ is not model.index_
    answer = again.recommend(_seeds(catalog), k=10).recommendations
    assert len(answer) == 10
    pd.testing.assert_frame_equal(answer, model.recommend(_seeds(catalog), k=10).recommendations)


def test_hybrid_and_similar_share_the_audio_space_and_sound_vectors_but_not_custom_ones():
    catalog = planted_catalog()
    similar = make_recommender("similar").fit(catalog)
    hybrid = make_recommender("hybrid").fit(catalog)
    assert hybrid.space_ is similar.space_
    assert hybrid.unit_ is similar.unit_
    custom = make_recommender("similar", weights={"tempo": 2.0}).fit(catalog)
    assert custom.unit_ is not similar.unit_
    assert not np.allclose(custom.unit_, similar.unit_)


def test_hybrid_and_similar_share_one_ivf_index_and_search_it_each_their_own_way(default_catalog, monkeypatch):
    monkeypatch.setattr(hybrid_module, "HYBRID_CANDIDATES_ABOVE", 1000)  # candidate mode and IVF on 28k tracks
    monkeypatch.setattr(hybrid_module, "HYBRID_APPROXIMATE_ABOVE", 1000)
    monkeypatch.setattr(similar_module, "ANN_THRESHOLD", 1000)
    catalog = copy.deepcopy(default_catalog)
    hybrid = make_recommender("hybrid").fit(catalog)
    similar = make_recommender("similar").fit(catalog)
    assert isinstance(similar.neighbors_, IVFIndex)
    assert similar.neighbors_ is hybrid.neighbors_
    assert (similar.neighbors_.n_probe, similar.neighbors_.fetch_factor) == (32, 4)  # similar's settings, as before
    # The hybrid's per-call settings find what an index of its own settings found before.
    own = IVFIndex(hybrid.unit_, normalized=True, n_probe=hybrid_module.HYBRID_N_PROBE, fetch_factor=1)
    rng = np.random.default_rng(0)
    for _ in range(10):
        seed_pos = rng.choice(len(catalog), 3, replace=False)
        queries = hybrid.unit_[seed_pos]
        shared_rows = hybrid.neighbors_.candidates(queries, 300, n_probe=hybrid_module.HYBRID_N_PROBE, fetch_factor=1)
        np.testing.assert_array_equal(shared_rows, own.candidates(queries, 300))
        assert len(hybrid.neighbors_.candidates(queries, 300)) > len(shared_rows)  # 4x over-fetch by default
