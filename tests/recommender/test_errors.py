"""The error hierarchy: every error the library raises on purpose is a TastemapError."""
from __future__ import annotations

import pytest

from recommender import cache, spotify
from recommender.errors import (
    CacheError,
    NotFittedError,
    SpotifyApiError,
    SpotifyError,
    TastemapError,
    check_fitted,
)


def test_cache_and_spotify_api_errors_are_tastemap_errors():
    assert issubclass(CacheError, TastemapError)
    assert issubclass(SpotifyApiError, SpotifyError) and issubclass(SpotifyApiError, TastemapError)
    error = SpotifyApiError("Spotify is down.", 503)
    assert error.status == 503 and str(error) == "Spotify is down."
    assert SpotifyApiError("no status").status == 0


def test_errors_stay_importable_from_where_they_were():
    assert cache.CacheError is CacheError
    assert spotify.SpotifyApiError is SpotifyApiError


class _Model:
    def fit(self) -> _Model:
        self.labels_ = [0, 1]
        return self


def test_check_fitted_names_the_class_and_what_to_do():
    model = _Model()
    with pytest.raises(NotFittedError, match=r"_Model is not fitted yet: call fit\(catalog\) first"):
        check_fitted(model, "labels_")
    assert check_fitted(model.fit(), "labels_") is None


def test_check_fitted_takes_the_message_the_user_knows():
    with pytest.raises(NotFittedError, match="^The taste model is not trained yet"):
        check_fitted(object(), "estimator_", message="The taste model is not trained yet; train it first.")
    with pytest.raises(RuntimeError):  # NotFittedError is still a RuntimeError for old callers
        check_fitted(object(), "estimator_")
