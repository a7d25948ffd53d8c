"""Similarity search: the blocked scan is exact, the IVF index agrees with it, masks filter."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from recommender.features import FeatureSpace
from recommender.neighbors import ExactIndex, IVFIndex, build_index, normalize_rows, recall_at_k


def all_scores(X, queries, *, mask=None, aggregate="mean"):
    xn, qn = normalize_rows(X), normalize_rows(np.atleast_2d(queries))
    scores = xn @ qn.mean(axis=0) if aggregate == "mean" else (xn @ qn.T).max(axis=1)
    return scores if mask is None else np.where(mask, scores, -np.inf)


def brute_force(X, queries, k, *, mask=None, aggregate="mean"):
    scores = all_scores(X, queries, mask=mask, aggregate=aggregate)
    order = np.lexsort((np.arange(len(scores)), -scores))
    order = order[np.isfinite(scores[order])]
    return order[:k], scores[order[:k]]


def assert_exact_top_k(got, X, queries, k, *, mask=None, aggregate="mean", atol=1e-5):
    """``got`` is the exact top ``k``, best first; rows whose true scores differ by float
    rounding alone (with "max", each query matches itself at 1.0) may come in either order."""
    scores = all_scores(X, queries, mask=mask, aggregate=aggregate)
    want, want_scores = brute_force(X, queries, k, mask=mask, aggregate=aggregate)
    assert len(got.positions) == len(want) and len(set(got.positions.tolist())) == len(want)
    np.testing.assert_allclose(got.scores, scores[got.positions], atol=atol)  # each its true score
    np.testing.assert_allclose(got.scores, want_scores, atol=atol)  # the best k scores, in order
    # Away from near-ties the very same rows at the very same places.
    tied = np.abs(scores[want][:, None] - scores[None, :]) <= atol
    alone = tied.sum(axis=1) == 1
    np.testing.assert_array_equal(got.positions[alone], want[alone])


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((5_003, 13)).astype(np.float32)
    return X, rng


@pytest.mark.parametrize("aggregate", ["mean", "max"])
@pytest.mark.parametrize("block_rows", [64, 1000, 100_000])
def test_exact_scan_equals_brute_force(data, aggregate, block_rows):
    X, rng = data
    index = ExactIndex(X, block_rows=block_rows)
    for _ in range(5):
        queries = X[rng.choice(len(X), 5, replace=False)]
        assert_exact_top_k(index.search(queries, 20, aggregate=aggregate), X, queries, 20, aggregate=aggregate)


def test_masks_are_applied_exactly(data):
    X, rng = data
    index = ExactIndex(X, block_rows=500)
    queries = X[:3]
    mask = rng.random(len(X)) < 0.3
    got = index.search(queries, 15, mask=mask)
    assert_exact_top_k(got, X, queries, 15, mask=mask)
    assert mask[got.positions].all()


def test_mask_leaving_fewer_rows_than_k_returns_only_allowed_rows(data):
    X, _ = data
    mask = np.zeros(len(X), bool)
    mask[[3, 70, 900]] = True
    for index in (ExactIndex(X), IVFIndex(X, n_lists=16)):
        got = index.search(X[:2], 20, mask=mask)
        assert sorted(got.positions.tolist()) == [3, 70, 900]
    assert len(ExactIndex(X).search(X[:2], 5, mask=np.zeros(len(X), bool))) == 0


def test_bad_mask_is_rejected(data):
    X, _ = data
    with pytest.raises(ValueError, match="boolean"):
        ExactIndex(X).search(X[:1], 5, mask=np.ones(len(X), dtype=int))


@pytest.fixture(scope="module")
def catalog_matrix(default_catalog):
    return FeatureSpace().fit(default_catalog).transform_catalog()


@pytest.mark.parametrize("aggregate", ["mean", "max"])
def test_ivf_returns_the_same_top_results_as_exact_on_the_real_catalog(catalog_matrix, default_catalog, aggregate):
    X = catalog_matrix
    exact, approx = ExactIndex(X), IVFIndex(X, random_state=0)
    rng = np.random.default_rng(0)
    popularity = default_catalog.tracks["popularity"].to_numpy(dtype=np.float32, na_value=np.nan)
    popular = np.nan_to_num(popularity, nan=-1) >= 40  # a popularity filter as a mask
    recalls = []
    for _ in range(40):
        queries = X[rng.choice(len(X), 5, replace=False)]
        for mask in (None, popular):
            want = exact.search(queries, 20, mask=mask, aggregate=aggregate)
            got = approx.search(queries, 20, mask=mask, aggregate=aggregate)
            if mask is not None:
                assert mask[got.positions].all()
            recalls.append(recall_at_k(got.positions, want.positions))
            # the best match is never missed (with "max" the seeds tie at 1.0: any of them)
            assert got.scores[0] >= want.scores[0] - 1e-5
    assert np.mean(recalls) >= 0.95


def test_ivf_survives_pickling_and_build_index_picks_by_size(data):
    X, _ = data
    approx = IVFIndex(X, n_lists=32)
    clone = pickle.loads(pickle.dumps(approx))
    np.testing.assert_array_equal(clone.search(X[:5], 10).positions, approx.search(X[:5], 10).positions)
    assert build_index(X).kind == "exact"
    assert build_index(X, threshold=1000).kind == "ivf"
    assert build_index(X, kind="exact", threshold=10).kind == "exact"
    with pytest.raises(ValueError, match="kind"):
        build_index(X, kind="annoy")


@pytest.mark.parametrize("selective", [False, True])
def test_candidates_are_the_rows_search_returns_unscored(data, selective):
    X, rng = data
    mask = rng.random(len(X)) < (0.01 if selective else 0.5)  # 1 %: below exact_below, the scan answers
    exact, ivf = ExactIndex(X), IVFIndex(X, n_lists=16, n_probe=4, fetch_factor=1)
    for index in (exact, ivf):
        for k in (5, 200):
            got = index.candidates(X[:3], k, mask=mask)
            found = sorted(index.search(X[:3], k, mask=mask).positions.tolist())
            assert mask[got].all() and set(found) <= set(got.tolist())
            if index is exact or selective or k >= ivf.min_fetch:  # no over-fetch: the very same rows
                assert got.tolist() == found
