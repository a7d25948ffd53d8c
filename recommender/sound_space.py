"""The sound-embedding space clusters of an audio library are made in.

:class:`SoundSpace` turns a library's network embeddings (``catalog.sound.embeddings``, one
400-number description of each track's sound) into the matrix K-means runs on: every dimension
standardized to the library's mean and spread, then (optionally) reduced with PCA. It answers
the same questions a :class:`~recommender.features.FeatureSpace` answers for the clustering
code (``fit``, ``transform_catalog``, ``feature_names_``), so :class:`ClusterModel` can use either.
"""
from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from .catalog import Catalog
from .errors import CatalogError, check_fitted

__all__ = ["SoundSpace"]


class SoundSpace:
    """Standardized (and PCA-reduced) sound embeddings of an audio library.

    Parameters
    ----------
    pca_components:
        ``None`` keeps every standardized dimension; a whole number keeps that many principal
        components; a fraction in (0, 1) keeps as many as explain that share of the variance.
        Never more than ``tracks - 1`` components (PCA has no more to give).
    random_state:
        Seed for the PCA solver.
    """

    def __init__(self, pca_components: int | float | None = 0.9, random_state: int | None = 0) -> None:
        self.pca_components = pca_components
        self.random_state = random_state

    def __repr__(self) -> str:
        return f"SoundSpace(pca_components={self.pca_components!r})"

    def fit(self, catalog: Catalog) -> SoundSpace:
        if not catalog.has_sound:
            raise CatalogError(f"{catalog.name} has no sound analysis to cluster by; scan the music folder first.")
        X = np.asarray(catalog.sound.embeddings, dtype=np.float64)
        # Dimensions the network never varies in this library (std 0) stay 0 after scaling.
        self.scaler_ = StandardScaler().fit(X)
        Z = self.scaler_.transform(X)
        self.pca_ = None
        n = self.pca_components
        if n is not None and len(X) >= 3:
            if isinstance(n, float) and not 0 < n < 1:
                raise ValueError(f"pca_components must be a whole number or a fraction in (0, 1), not {n!r}")
            keep = n if isinstance(n, float) else max(1, min(int(n), len(X) - 1, X.shape[1]))
            self.pca_ = PCA(n_components=keep, svd_solver="full", random_state=self.random_state).fit(Z)
        self._catalog_matrix = self._reduce(Z)
        dims = self._catalog_matrix.shape[1]
        self.feature_names_ = [f"sound_{i}" for i in range(dims)]
        self.weights_ = np.ones(dims, dtype=np.float32)
        return self

    def _reduce(self, Z: np.ndarray) -> np.ndarray:
        return (self.pca_.transform(Z) if self.pca_ is not None else Z).astype(np.float32)

    def transform_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        """Raw network embeddings (n x d) -> this space's coordinates (n x dims)."""
        check_fitted(self, "scaler_")
        return self._reduce(self.scaler_.transform(np.asarray(embeddings, dtype=np.float64)))

    def transform(self, catalog: Catalog) -> np.ndarray:
        """The coordinates of ``catalog``'s tracks (a catalog with sound from the same network)."""
        if not catalog.has_sound:
            raise CatalogError(f"{catalog.name} has no sound analysis to place on the sound map.")
        return self.transform_embeddings(catalog.sound.embeddings)

    def transform_catalog(self) -> np.ndarray:
        """The fitted library's coordinates (computed once in :meth:`fit`)."""
        check_fitted(self, "scaler_")
        return self._catalog_matrix
