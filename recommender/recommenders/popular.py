"""``popular``: the most popular tracks that pass the filters (seeds optional)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .base import BaseRecommender
from .result import as_match

__all__ = ["PopularRecommender"]


class PopularRecommender(BaseRecommender):
    """The most popular tracks (unknown popularity ranks last). Seeds are optional."""

    name = "popular"
    requires_seeds = False

    def _score(self, seed_pos: np.ndarray) -> np.ndarray:
        pop = self.index_.popularity
        return np.where(np.isnan(pop), -1.0, pop).astype(np.float32)

    def _match(self, scores: np.ndarray) -> pd.array:
        return as_match(np.where(scores < 0, np.nan, scores))  # the popularity itself

    def _base_reason(self, rec_pos: np.ndarray) -> list[str]:
        pop = self.index_.popularity[rec_pos]
        return [f"popular ({p:.0f} of 100)" if not np.isnan(p) else "popular" for p in pop]


