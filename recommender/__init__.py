"""Tastemap: a music recommender engine on Spotify audio features.

>>> from recommender import load_default_catalog, parse_track_ids
>>> catalog = load_default_catalog()
"""
from .catalog import (
    AUDIO_FEATURES,
    Catalog,
    LoadReport,
    load_catalog,
    load_default_catalog,
)
from .errors import (
    CatalogError,
    FilterError,
    LabelError,
    ModelError,
    NotFittedError,
    SeedError,
    SpotifyError,
    TastemapError,
)
from .ids import parse_track_ids

__version__ = "0.1.0"

__all__ = [
    "AUDIO_FEATURES",
    "Catalog",
    "CatalogError",
    "FilterError",
    "LabelError",
    "LoadReport",
    "ModelError",
    "NotFittedError",
    "SeedError",
    "SpotifyError",
    "TastemapError",
    "load_catalog",
    "load_default_catalog",
    "parse_track_ids",
]
from .recommend import METHODS, RECOMMENDERS, Filters, RecommendationResult, make_recommender  # noqa: E402
__all__ += ["METHODS", "RECOMMENDERS", "Filters", "RecommendationResult", "make_recommender"]
