"""``cluster``: the classic method, popular tracks of the seeds' K-means sound group."""
from __future__ import annotations

import numpy as np

from ..catalog import Catalog
from ..clustering import ClusterModel
from .base import BaseRecommender

__all__ = ["ClusterRecommender"]


class ClusterRecommender(BaseRecommender):
    """The classic method: K-means on scaled audio features; the most popular tracks of
    the cluster most seeds fall in (other clusters follow, by popularity)."""

    name = "cluster"

    def __init__(self, n_clusters: int | str = 8, random_state: int | None = 0) -> None:
        super().__init__(random_state)
        self.n_clusters = n_clusters

    def _fit(self, catalog: Catalog) -> None:
        self.cluster_model_ = ClusterModel(self.n_clusters, random_state=self.random_state).fit(catalog)

    def _seed_cluster(self, seed_pos: np.ndarray) -> int:
        counts = np.bincount(self.cluster_model_.labels_[seed_pos], minlength=self.cluster_model_.n_clusters_)
        return int(np.argmax(counts))  # ties: the lowest cluster number

    def _score(self, seed_pos: np.ndarray) -> np.ndarray:
        cluster = self._seed_cluster(seed_pos)
        pop = self.index_.popularity
        pop = np.where(np.isnan(pop), 0.0, pop) / 100.0
        return ((self.cluster_model_.labels_ == cluster) + pop * 0.5).astype(np.float32)

    def _base_reason(self, rec_pos: np.ndarray) -> list[str]:
        cm = self.cluster_model_
        return [f"popular in your seeds' sound group, “{cm.cluster_names_[cm.labels_[p]]}”" for p in rec_pos]


