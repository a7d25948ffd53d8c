"""``similar``: nearest neighbours by sound (cosine on the standardized audio features)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..catalog import Catalog
from ..features import FeatureSpace
from ..neighbors import ANN_THRESHOLD, IVFIndex, build_index
from .base import BaseRecommender
from .result import as_match
from .shared import shared

__all__ = ["SimilarRecommender", "default_unit_sound", "shared_sound_index", "unit_rows"]


def unit_rows(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return (X / np.maximum(norms, 1e-9)).astype(np.float32, copy=False)  # one n x d copy, not two


def default_unit_sound(catalog: Catalog, space: FeatureSpace) -> np.ndarray:
    """``unit_rows(space.transform_catalog())`` for the catalog's default space (the ``space_``
    of ``BaseRecommender.fit``), computed once per catalog while a method holds it."""
    return shared(catalog, ("unit sound", id(space)), lambda: unit_rows(space.transform_catalog()))


def shared_sound_index(catalog: Catalog, unit: np.ndarray, random_state: int = 0) -> IVFIndex:
    """The IVF index over :func:`default_unit_sound`'s vectors ``unit``, built once per catalog
    while a method holds it (about a minute at ten million tracks). Its search settings are
    the index's defaults; a caller that searches differently passes its own per call."""
    return shared(catalog, ("sound ivf", id(unit), random_state),
                  lambda: IVFIndex(unit, normalized=True, random_state=random_state))


class SimilarRecommender(BaseRecommender):
    """Nearest neighbours by cosine similarity on standardized, weighted audio features.

    Audio only (plus release year): no artist or playlist signal. ``aggregate`` combines
    the similarities to several seeds: ``"mean"`` (to the seeds' centre) or ``"max"``
    (closest seed).
    """

    name = "similar"
    FIT_STEPS = ("Building the sound index",)

    def __init__(self, weights: Mapping[str, float] | None = None, use_year: bool = True,
                 aggregate: str = "mean", random_state: int | None = 0) -> None:
        super().__init__(random_state)
        self.weights = weights
        self.use_year = use_year
        self.aggregate = aggregate

    def _fit(self, catalog: Catalog) -> None:
        if self.aggregate not in ("mean", "max"):
            raise ValueError(f"aggregate must be 'mean' or 'max', not {self.aggregate!r}")
        default = self.weights is None and self.use_year and self.space_ is not None
        if default:  # the default space, already fitted by fit(): not twice
            self.unit_ = default_unit_sound(catalog, self.space_)
        else:
            self.unit_ = unit_rows(FeatureSpace(self.weights, use_year=self.use_year).fit(catalog).transform_catalog())
        self._fit_step("Building the sound index")
        # Exact blocked scan, or an IVF index above neighbors.ANN_THRESHOLD tracks (the one
        # the hybrid fitted on the same catalog uses, when the sound is the default one).
        if default and len(self.unit_) >= ANN_THRESHOLD:
            self.neighbors_ = shared_sound_index(catalog, self.unit_)
        else:
            self.neighbors_ = build_index(self.unit_, normalized=True)

    def _score(self, seed_pos: np.ndarray) -> np.ndarray:
        sims = self.unit_ @ self.unit_[seed_pos].T  # (n, n_seeds) via BLAS
        return sims.mean(axis=1) if self.aggregate == "mean" else sims.max(axis=1)

    def _match(self, scores: np.ndarray) -> pd.array:
        return as_match(100.0 * scores)  # a cosine: 100 = the same sound

    def _pool(self, seed_pos: np.ndarray, candidates: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray] | None:
        index = getattr(self, "neighbors_", None)  # None: fitted by an older version
        if index is None:
            return None
        found = index.search(self.unit_[seed_pos], size, mask=candidates, aggregate=self.aggregate)
        return found.positions, found.scores


