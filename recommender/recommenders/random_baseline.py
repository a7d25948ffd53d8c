"""``random``: the floor every method must beat."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .base import BaseRecommender
from .result import as_match

__all__ = ["RandomRecommender"]


class RandomRecommender(BaseRecommender):
    """Uniformly random tracks: the floor every method must beat. Seeds are optional."""

    name = "random"
    requires_seeds = False

    def _score(self, seed_pos: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng([self.random_state or 0, *map(int, seed_pos)])
        return rng.random(self.index_.n, dtype=np.float32)

    def _match(self, scores: np.ndarray) -> pd.array:
        return as_match(np.full(len(scores), np.nan))  # no match: chance is the point

    def _base_reason(self, rec_pos: np.ndarray) -> list[str]:
        return ["picked at random" for _ in rec_pos]


