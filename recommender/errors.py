"""The library's own error types. Every message names the file, column, ID or value at fault.

Every error the library raises on purpose is a :class:`TastemapError`, so the app can catch
that one class and show the message. Subclasses also derive from the built-in type they
replace (``ValueError``, ``RuntimeError``) where callers used to catch that.
"""
from __future__ import annotations

__all__ = [
    "TastemapError",
    "CatalogError",
    "SeedError",
    "FilterError",
    "NotFittedError",
    "ModelError",
    "LabelError",
    "SpotifyError",
    "SpotifyApiError",
    "CacheError",
    "AudioError",
    "StoreError",
    "check_fitted",
]


class TastemapError(Exception):
    """Base class: anything the app can show to a user as a plain message."""


class CatalogError(TastemapError, ValueError):
    """A data file cannot be used as a catalog (empty, unreadable, missing columns, ...)."""


class SeedError(TastemapError, ValueError):
    """No usable seed tracks were given."""


class FilterError(TastemapError, ValueError):
    """A filter value is invalid (unknown name, min above max, not a number, ...)."""


class NotFittedError(TastemapError, RuntimeError):
    """A model was asked to answer before ``fit`` was called."""


class ModelError(TastemapError, ValueError):
    """A saved model cannot be used here (corrupt, other features, other library versions)."""


class LabelError(TastemapError, ValueError):
    """Labels cannot be used (too few, one class only, unreadable label column, ...)."""


class SpotifyError(TastemapError):
    """The Spotify Web API could not answer; the message says what to do."""


class SpotifyApiError(SpotifyError):
    """A :class:`SpotifyError` from an HTTP answer; ``status`` is its HTTP status (0: none)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class CacheError(TastemapError):
    """A fit-cache entry that must not be used (internal: :class:`~recommender.cache.FitCache`
    always catches it, deletes the entry and refits)."""


def check_fitted(estimator: object, attribute: str, *, message: str | None = None) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has ``attribute`` (set by ``fit``).

    The default message names the estimator's class and says to call ``fit(catalog)``;
    ``message`` replaces it where "fit" is not the word the user knows (e.g. "train").
    """
    if not hasattr(estimator, attribute):
        raise NotFittedError(message or f"{type(estimator).__name__} is not fitted yet: call fit(catalog) first.")


class AudioError(TastemapError, ValueError):
    """An audio file cannot be analysed; ``reason`` is the short plain reason for lists
    ("empty file (0 bytes)", "not an audio file", "too short (0.5 s)", ...)."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class StoreError(TastemapError, RuntimeError):
    """The label database cannot be used right now (unreachable, refused the sign-in, made by a
    newer version). The message names the server (host and port, never the password) and what to
    do; ``retryable`` is True when trying again later may work (the server is down or restarting),
    so a page can keep the listener's input and offer to retry."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
