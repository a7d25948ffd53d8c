"""Tastemap: a music recommender engine on Spotify audio features.

>>> from recommender import load_default_catalog, make_recommender
>>> catalog = load_default_catalog()
>>> result = make_recommender("hybrid").fit(catalog).recommend("6f807x0ima9a1j3VPbc7VN", k=10)

Names are imported lazily (PEP 562), so ``import recommender`` and the light CLI commands do
not pay for scikit-learn until a model is used.
"""
from __future__ import annotations

from ._lazy import lazy_exports

__version__ = "0.2.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "AUDIO_FEATURES": "catalog",
    "Catalog": "catalog",
    "LoadReport": "catalog",
    "load_catalog": "catalog",
    "load_default_catalog": "catalog",
    "TastemapError": "errors",
    "CatalogError": "errors",
    "FilterError": "errors",
    "LabelError": "errors",
    "ModelError": "errors",
    "NotFittedError": "errors",
    "SeedError": "errors",
    "SpotifyError": "errors",
    "parse_track_ids": "ids",
    "METHODS": "recommenders",
    "RECOMMENDERS": "recommenders",
    "Filters": "recommenders",
    "RecommendationResult": "recommenders",
    "make_recommender": "recommenders",
    "ClusterModel": "clustering",
    "evaluate": "evaluation",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
