"""The library's own error types. Every message names the file, column, ID or value at fault."""
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
