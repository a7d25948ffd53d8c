"""The on-disk fit cache: hits, stale keys, and damaged files that must be rebuilt."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from recommender.cache import CACHE_ENV, MAGIC, FitCache, default_cache_dir


class Fitted:
    """A stand-in estimator that counts its fits and keeps a reference to the catalog."""

    fits = 0

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def get_params(self) -> dict:
        return {"scale": self.scale}

    def fit(self, catalog):
        type(self).fits += 1
        self.catalog_ = catalog
        self.matrix_ = catalog.feature_matrix() * self.scale
        return self


@pytest.fixture
def small_catalog(default_catalog):
    return default_catalog.subset(np.arange(len(default_catalog)) < 300)


@pytest.fixture
def cache(tmp_path: Path) -> FitCache:
    Fitted.fits = 0
    return FitCache(tmp_path / "cache")


def test_hit_returns_the_stored_fit_without_refitting(cache, small_catalog):
    first = cache.fitted(Fitted(), small_catalog)
    second = cache.fitted(Fitted(), small_catalog)
    assert Fitted.fits == 1
    assert second is not first
    np.testing.assert_array_equal(second.matrix_, first.matrix_)
    # The catalog is stored as a reference and handed back, not pickled with the model.
    assert second.catalog_ is small_catalog
    assert len(list(cache.folder.iterdir())) == 1


def test_changed_settings_or_catalog_is_a_miss(cache, small_catalog, default_catalog):
    cache.fitted(Fitted(scale=1.0), small_catalog)
    changed = cache.fitted(Fitted(scale=2.0), small_catalog)
    assert Fitted.fits == 2
    np.testing.assert_allclose(changed.matrix_, small_catalog.feature_matrix() * 2.0)
    other = default_catalog.subset(np.arange(len(default_catalog)) < 301)
    assert other.content_hash != small_catalog.content_hash
    refit = cache.fitted(Fitted(scale=1.0), other)
    assert Fitted.fits == 3
    assert len(refit.matrix_) == 301


def test_stale_header_under_the_right_name_is_rebuilt(cache, small_catalog, caplog):
    old = cache.key("state", small_catalog, {"k": 8})
    new = cache.key("state", small_catalog, {"k": 9})
    cache.save(old, {"k": 8})
    cache.path(old).rename(cache.path(new))  # e.g. copied in by hand
    with caplog.at_level(logging.WARNING, logger="recommender.cache"):
        value = cache.get_or_build(new, lambda: {"k": 9})
    assert value == {"k": 9}
    assert "stale" in caplog.text
    assert cache.load(new) == {"k": 9}


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[: len(b) // 2], id="truncated-payload"),
        pytest.param(lambda b: b[: len(MAGIC) + 4], id="truncated-header"),
        pytest.param(lambda b: b[:-10] + bytes(10), id="corrupt-payload"),
        pytest.param(lambda b: b"garbage" + b[7:], id="bad-magic"),
        pytest.param(lambda b: b"", id="empty"),
    ],
)
def test_damaged_file_is_never_loaded_but_rebuilt_with_a_warning(cache, small_catalog, caplog, damage):
    first = cache.fitted(Fitted(), small_catalog)
    (path,) = cache.folder.iterdir()
    path.write_bytes(damage(path.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="recommender.cache"):
        again = cache.fitted(Fitted(), small_catalog)
    assert Fitted.fits == 2  # refitted, not loaded
    assert "refitting" in caplog.text
    np.testing.assert_array_equal(again.matrix_, first.matrix_)
    # ... and the rebuilt entry is good again.
    assert cache.fitted(Fitted(), small_catalog).matrix_.shape == first.matrix_.shape
    assert Fitted.fits == 2


def test_checksum_valid_but_unrestorable_payload_is_rebuilt(cache, small_catalog, caplog):
    key = cache.key("state", small_catalog)
    cache.save(key, Fitted().fit(small_catalog), catalog=small_catalog)
    with caplog.at_level(logging.WARNING, logger="recommender.cache"):
        assert cache.load(key) is None  # no catalog to re-attach: not trusted, removed
    assert "cannot be restored" in caplog.text or "unknown reference" in caplog.text
    assert not cache.path(key).exists()


def test_write_is_atomic_and_pruned(tmp_path, small_catalog):
    cache = FitCache(tmp_path, max_entries=2)
    for k in range(4):
        cache.save(cache.key("state", small_catalog, {"k": k}), k)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2  # no temp files left, oldest entries pruned
    assert cache.load(cache.key("state", small_catalog, {"k": 3})) == 3


def test_default_folder_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "here"))
    assert default_cache_dir() == tmp_path / "here"
    monkeypatch.delenv(CACHE_ENV)
    assert default_cache_dir().parts[-2:] == (".tastemap", "cache")


def test_a_changed_class_level_weight_is_a_miss(cache, small_catalog, monkeypatch):
    """Settings that are not __init__ parameters (the hybrid's DEFAULT_WEIGHTS) are in the key."""
    from recommender.cache import class_settings
    from recommender.recommenders import HybridRecommender

    monkeypatch.setattr(Fitted, "DEFAULT_WEIGHTS", {"audio": 0.5}, raising=False)
    cache.fitted(Fitted(), small_catalog)
    cache.fitted(Fitted(), small_catalog)
    assert Fitted.fits == 1
    monkeypatch.setattr(Fitted, "DEFAULT_WEIGHTS", {"audio": 0.6})
    cache.fitted(Fitted(), small_catalog)
    assert Fitted.fits == 2, "a fit made under other weights was served"
    assert class_settings(HybridRecommender())["DEFAULT_WEIGHTS"] == HybridRecommender.DEFAULT_WEIGHTS


def test_a_fit_made_by_other_code_is_a_miss(cache, small_catalog):
    """The key holds a fingerprint of the library's code: after an update, old fits are refitted."""
    import dataclasses

    from recommender.cache import code_fingerprint

    key = cache.key("thing", small_catalog, {"scale": 1.0})
    assert key.code == code_fingerprint() and len(key.code) == 20
    builds = []
    cache.get_or_build(key, lambda: builds.append("now") or "fit by this code", catalog=small_catalog)
    older = dataclasses.replace(key, code="0" * 20)
    assert cache.get_or_build(older, lambda: builds.append("older") or "refit", catalog=small_catalog) == "refit"
    assert builds == ["now", "older"]
    assert cache.get_or_build(key, lambda: "never", catalog=small_catalog) == "fit by this code"
