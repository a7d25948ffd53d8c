"""Methods fitted on the same catalog share one catalog index (the dashboard fits hybrid and
similar on one 10M catalog), answer exactly as with an index of their own, and free it with
the last fit that uses it."""
from __future__ import annotations

import copy
import gc
import pickle
import threading
import weakref

import pandas as pd

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
    from recommender.recommenders import index as index_module
    assert not set(index_module._shared) & ids  # every entry went with its catalog


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
