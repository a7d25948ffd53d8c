"""The audio feature space every method measures similarity in.

Raw Spotify audio features live on very different scales (tempo in BPM, duration in ms,
loudness in dB, the rest in 0..1) and several are strongly skewed (speechiness,
instrumentalness, liveness, acousticness are mostly near zero). :class:`FeatureSpace`
turns a catalog into one float32 matrix where a unit means "one typical difference":
skewed features are square-root compressed, every feature is standardized with the
catalog's mean and standard deviation, unknown values become the mean (0), and each column
is multiplied by a weight saying how much it matters for "sounds alike".
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .catalog import Catalog
from .errors import CatalogError, check_fitted

_log = logging.getLogger(__name__)

__all__ = ["FeatureSpace", "YEAR_FEATURE", "SKEWED_FEATURES", "FEATURE_WORDS"]

YEAR_FEATURE = "release_year"

# Mostly-zero features with long tails: sqrt spreads the low end where most tracks are.
SKEWED_FEATURES: frozenset[str] = frozenset(
    {"speechiness", "instrumentalness", "liveness", "acousticness"}
)

# Plain words for explanations and cluster names: (noun, higher, lower).
FEATURE_WORDS: dict[str, tuple[str, str, str]] = {
    "acousticness": ("acousticness", "more acoustic", "less acoustic"),
    "danceability": ("danceability", "more danceable", "less danceable"),
    "duration_ms": ("length", "longer", "shorter"),
    "energy": ("energy", "more energetic", "calmer"),
    "instrumentalness": ("instrumentalness", "more instrumental", "more vocal"),
    "key": ("key", "higher key", "lower key"),
    "liveness": ("liveness", "more live-sounding", "more studio-like"),
    "loudness": ("loudness", "louder", "quieter"),
    "mode": ("mode", "more major", "more minor"),
    "speechiness": ("speechiness", "more spoken", "less spoken"),
    "tempo": ("tempo", "faster", "slower"),
    "valence": ("mood", "happier", "sadder"),
    "time_signature": ("time signature", "other meter", "other meter"),
    "release_year": ("era", "newer", "older"),
}


class FeatureSpace:
    """Standardized, weighted audio features (and release year) as a float32 matrix.

    Parameters
    ----------
    weights:
        Per-feature weights overriding :attr:`DEFAULT_WEIGHTS` (a weight of 0 drops a feature).
    use_year:
        Add the release year as one more column (weight ``weights['release_year']``).

    >>> space = FeatureSpace().fit(catalog)          # doctest: +SKIP
    >>> X = space.transform_catalog()                # (n_tracks, d) float32
    """

    # Chosen on the validation split of the playlist-continuation protocol (see
    # recommender.evaluation): mood/texture features matter most for "sounds alike", key and
    # mode barely (they change within every playlist), year helps (playlists are of an era).
    DEFAULT_WEIGHTS: dict[str, float] = {
        "acousticness": 1.0,
        "danceability": 1.0,
        "duration_ms": 0.4,
        "energy": 1.0,
        "instrumentalness": 0.8,
        "key": 0.05,
        "liveness": 0.3,
        "loudness": 0.8,
        "mode": 0.1,
        "speechiness": 1.0,
        "tempo": 0.5,
        "valence": 0.8,
        "time_signature": 0.1,
        YEAR_FEATURE: 1.0,
    }

    def __init__(self, weights: Mapping[str, float] | None = None, use_year: bool = True) -> None:
        self.weights = dict(weights) if weights else None
        self.use_year = use_year

    # ------------------------------------------------------------------ fitting
    def fit(self, catalog: Catalog) -> FeatureSpace:
        """Learn the per-feature centre and scale from ``catalog``; returns self."""
        if not catalog.has_features:
            raise CatalogError(
                f"{catalog.name} has no audio features (a track list): similarity needs them. "
                "Load a catalog with audio features."
            )
        weights = {**self.DEFAULT_WEIGHTS, **(self.weights or {})}
        unknown = set(self.weights or {}) - set(self.DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(
                f"unknown feature weight(s) {sorted(unknown)}; allowed: {sorted(self.DEFAULT_WEIGHTS)}"
            )
        # Only the features the catalog has (a file may give a few): the rest are unknown for
        # every track, so they cannot tell tracks apart and are left out, not filled in.
        names = [f for f in catalog.feature_names if weights.get(f, 0) > 0]
        if not names:
            raise CatalogError(
                f"{catalog.name}: none of its audio features ({', '.join(catalog.feature_names)}) has a "
                "weight above 0, so tracks cannot be compared by sound. Give at least one of them a weight."
            )
        if self.use_year and YEAR_FEATURE in catalog.tracks and weights.get(YEAR_FEATURE, 0) > 0:
            if catalog.tracks[YEAR_FEATURE].notna().any():
                names.append(YEAR_FEATURE)
        raw = self._raw(catalog.tracks, names)
        mean = np.nanmean(raw, axis=0) if len(raw) else np.zeros(len(names))
        std = np.nanstd(raw, axis=0) if len(raw) else np.ones(len(names))
        mean = np.where(np.isfinite(mean), mean, 0.0)
        std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
        self.feature_names_: list[str] = names
        self.mean_ = mean.astype(np.float32)
        self.scale_ = std.astype(np.float32)
        self.weights_ = np.array([weights[f] for f in names], dtype=np.float32)
        self._catalog_matrix = self.transform(catalog.tracks)
        _log.info("feature space: %d tracks x %d features", len(catalog), len(names))
        return self

    @staticmethod
    def _raw(frame: pd.DataFrame, names: list[str]) -> np.ndarray:
        # Filled column by column into one matrix: a list of column copies stacked at the end
        # held the matrix twice (56 MB each on a million tracks).
        out = np.empty((len(frame), len(names)), dtype=np.float32)
        for j, f in enumerate(names):
            if f in frame:
                v = frame[f].to_numpy(dtype=np.float32, na_value=np.nan)
            else:
                v = np.full(len(frame), np.nan, dtype=np.float32)
            if f in SKEWED_FEATURES:
                v = np.sqrt(np.clip(v, 0.0, None))
            out[:, j] = v
        return out

    # ------------------------------------------------------------------ answering
    def standardize(self, frame: pd.DataFrame) -> np.ndarray:
        """Standardized but unweighted values (z-scores, 0 where unknown)."""
        check_fitted(self, "feature_names_")
        z = self._raw(frame, self.feature_names_)  # a fresh matrix: scaled in place
        z -= self.mean_
        z /= self.scale_
        return np.nan_to_num(z, nan=0.0, copy=False)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows of ``frame`` (a tracks table) as standardized, weighted float32 vectors."""
        z = self.standardize(frame)
        z *= self.weights_
        return np.ascontiguousarray(z)

    def transform_catalog(self) -> np.ndarray:
        """The fitted catalog's matrix (computed once in :meth:`fit`)."""
        check_fitted(self, "feature_names_")
        return self._catalog_matrix

