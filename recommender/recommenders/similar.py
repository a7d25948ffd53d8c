"""``similar``: nearest neighbours by sound (cosine on the standardized audio features)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..catalog import Catalog
from ..features import FeatureSpace
from ..neighbors import build_index
from .base import BaseRecommender
from .result import as_match

__all__ = ["SimilarRecommender", "unit_rows"]


def unit_rows(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return (X / np.maximum(norms, 1e-9)).astype(np.float32, copy=False)  # one n x d copy, not two


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
        if self.weights is None and self.use_year and self.space_ is not None:
            space = self.space_  # the default space, already fitted by fit(): not twice
        else:
            space = FeatureSpace(self.weights, use_year=self.use_year).fit(catalog)
        self.unit_ = unit_rows(space.transform_catalog())
        self._fit_step("Building the sound index")
        # Exact blocked scan, or an IVF index above neighbors.ANN_THRESHOLD tracks.
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


