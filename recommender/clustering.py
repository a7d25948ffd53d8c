"""K-means clustering of the catalog's audio features: the classic "cluster" method.

:class:`ClusterModel` scales the audio features (:class:`~recommender.features.FeatureSpace`,
without the release year), runs K-means, and describes what it found: sizes, inertia,
silhouette, a per-cluster profile and a short readable name per cluster such as
"high energy, danceable". With ``n_clusters="auto"`` the number of clusters is the elbow of
the inertia curve over ``k_range`` (Kneedle: the k furthest below the chord from the first to
the last point); the per-k inertia and silhouette are kept for the chart. Silhouette alone is
not used to choose: on audio features it peaks at k=2 (a loud/quiet split), which tells a
listener little.
"""
from __future__ import annotations

import logging
from collections import Counter
from typing import Iterable

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score

from .catalog import Catalog, split_list
from .errors import CatalogError, NotFittedError
from .features import FeatureSpace

_log = logging.getLogger(__name__)

__all__ = ["ClusterModel", "name_clusters"]

# Silhouette is O(n^2): score a fixed random sample instead of every track.
SILHOUETTE_SAMPLE = 4000

# Above this many tracks K-means runs on mini-batches (MiniBatchKMeans). Lloyd's K-means
# passes over every track in each of up to 300 iterations, for each of n_init starts, so
# its cost grows with tracks x iterations x starts (and x 14 values of k for k="auto");
# mini-batches of 4,096 tracks cost the same per step whatever the catalog size and stop
# after a few passes without improvement. Below the threshold (the embedded catalog: 28k
# tracks) Lloyd's algorithm is cheap and gives the reference result;
# tests/test_scale_engine.py checks that the mini-batch inertia stays within 5% of it.
MINIBATCH_ABOVE = 100_000
MINIBATCH_SIZE = 4096

# Features that make readable cluster names: feature -> (word when high, word when low).
_NAME_WORDS: dict[str, tuple[str, str]] = {
    "energy": ("high energy", "low energy"),
    "danceability": ("danceable", "not for dancing"),
    "acousticness": ("acoustic", "electronic"),
    "valence": ("upbeat", "dark"),
    "speechiness": ("spoken/rap", "sung"),
    "instrumentalness": ("instrumental", "vocal"),
    "liveness": ("live", "studio"),
    "tempo": ("fast", "slow"),
    "loudness": ("loud", "quiet"),
    "duration_ms": ("long", "short"),
}


def name_clusters(centers_z: np.ndarray, feature_names: list[str], n_words: int = 2) -> list[str]:
    """Short distinct names from standardized cluster centres ("high energy, danceable").

    Each cluster is named by the features where its centre is furthest from the catalog
    mean; a third word (then a number) is added where two clusters would share a name.
    """
    usable = [i for i, f in enumerate(feature_names) if f in _NAME_WORDS]
    ranked: list[list[str]] = []
    for row in centers_z:
        order = sorted(usable, key=lambda i: -abs(row[i]))
        words = []
        for i in order:
            high, low = _NAME_WORDS[feature_names[i]]
            words.append(high if row[i] >= 0 else low)
        ranked.append(words or ["average"])
    names = [", ".join(w[:n_words]) for w in ranked]
    for _ in range(2):  # lengthen clashing names
        counts = Counter(names)
        names = [
            ", ".join(ranked[i][: n_words + 1]) if counts[n] > 1 else n for i, n in enumerate(names)
        ]
    counts = Counter(names)
    for name in [n for n, c in counts.items() if c > 1]:
        members = [i for i, n in enumerate(names) if n == name]
        taken = set(name.split(", "))
        for i in members:
            extra = next((w for w in ranked[i] if w not in taken), None)
            if extra is not None:
                names[i] = f"{name}, {extra}"
    counts, seen = Counter(names), Counter()
    out = []
    for n in names:
        if counts[n] > 1:
            seen[n] += 1
            out.append(f"{n} ({seen[n]})")
        else:
            out.append(n)
    return out


def elbow_k(scores: pd.DataFrame) -> int:
    """The elbow of a k / inertia table (Kneedle on the normalised, decreasing curve)."""
    k = scores["k"].to_numpy(dtype=float)
    inertia = scores["inertia"].to_numpy(dtype=float)
    if len(k) < 3 or np.ptp(inertia) == 0:
        return int(k[0])
    x = (k - k.min()) / np.ptp(k)
    y = (inertia - inertia.min()) / np.ptp(inertia)
    return int(k[np.argmax((1.0 - x) - y)])


def _top_genres(genres: pd.Series | None, labels: np.ndarray, n_clusters: int, top: int = 3) -> list[str]:
    """Per cluster, its ``top`` most frequent genres, ``", "``-joined; ties in first-seen
    order (as ``Counter.most_common`` over the tracks' ``;``-separated genres in track order).

    A catalog has few distinct genre cells (44 in a million synthetic tracks): tracks are
    counted per (cluster, distinct cell) with integer codes and each distinct cell is split
    once (2.8 s -> ~0.1 s on a million tracks, where every cell was split before)."""
    if genres is None or len(genres) == 0:
        return ["" for _ in range(n_clusters)]
    codes, cells = pd.factorize(genres.reset_index(drop=True), use_na_sentinel=True)
    tracks = np.flatnonzero(codes >= 0)
    key = np.asarray(labels, dtype=np.int64)[tracks] * len(cells) + codes[tracks]
    count = np.bincount(key, minlength=n_clusters * len(cells)).reshape(n_clusters, len(cells))
    first_track = np.zeros(n_clusters * len(cells), dtype=np.int64)
    distinct_keys, first_at = np.unique(key, return_index=True)
    first_track[distinct_keys] = tracks[first_at]
    first_track = first_track.reshape(n_clusters, len(cells))
    parts = [split_list(cell) for cell in cells]
    out = []
    for c in range(n_clusters):
        # Cells in the order their first track appears: a Counter's insertion order is then each
        # genre's first-seen order, which most_common keeps among equal counts.
        counter: Counter[str] = Counter()
        present = np.flatnonzero(count[c])
        for j in present[np.argsort(first_track[c, present], kind="stable")]:
            for genre in parts[j]:
                counter[genre] += int(count[c, j])
        out.append(", ".join(genre for genre, _ in counter.most_common(top)))
    return out


class ClusterModel:
    """K-means on standardized audio features, with readable cluster descriptions.

    Parameters
    ----------
    n_clusters:
        Number of clusters, or ``"auto"`` to pick the elbow of the inertia curve over ``k_range``.
    k_range:
        The k values tried by ``"auto"`` and :meth:`score_k_range`.
    random_state:
        Seed for K-means initialisation and the silhouette sample.
    features:
        The :class:`FeatureSpace` to cluster in (default: audio features, no year).

    Attributes after :meth:`fit`: ``n_clusters_``, ``labels_`` (one per catalog row),
    ``inertia_``, ``silhouette_``, ``cluster_names_``, ``centers_`` (in feature space),
    ``sizes_`` and ``scores_`` (a k / inertia / silhouette table, only with ``"auto"``).
    """

    def __init__(
        self,
        n_clusters: int | str = 8,
        k_range: Iterable[int] = range(2, 16),
        random_state: int | None = 0,
        features: FeatureSpace | None = None,
        n_init: int = 3,
    ) -> None:
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.random_state = random_state
        self.features = features
        self.n_init = n_init

    # ------------------------------------------------------------------ fitting
    def _space(self, catalog: Catalog) -> FeatureSpace:
        space = self.features if self.features is not None else FeatureSpace(use_year=False)
        if not hasattr(space, "feature_names_"):
            space = space.fit(catalog)
        return space

    def _kmeans(self, X: np.ndarray, k: int) -> KMeans | MiniBatchKMeans:
        if len(X) > MINIBATCH_ABOVE:
            return MiniBatchKMeans(
                n_clusters=k, n_init=self.n_init, batch_size=MINIBATCH_SIZE, random_state=self.random_state
            ).fit(X)
        return KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state).fit(X)

    def _silhouette(self, X: np.ndarray, labels: np.ndarray) -> float:
        if len(np.unique(labels)) < 2 or len(X) < 3:
            return float("nan")
        sample = min(len(X), SILHOUETTE_SAMPLE)
        return float(silhouette_score(X, labels, sample_size=sample, random_state=self.random_state))

    def _check_k(self, k: int, n: int) -> int:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ValueError(f"n_clusters must be a positive whole number or 'auto', not {k!r}")
        if k > n:
            raise CatalogError(f"cannot make {k} clusters from {n} tracks; choose k <= {n}.")
        return int(k)

    def score_k_range(self, catalog: Catalog, k_range: Iterable[int] | None = None) -> pd.DataFrame:
        """Inertia and silhouette for each k (for an elbow / silhouette chart)."""
        space = self._space(catalog)
        X = space.transform(catalog.tracks)
        rows = []
        for k in k_range if k_range is not None else self.k_range:
            if k < 2 or k >= len(X):
                continue
            km = self._kmeans(X, int(k))
            rows.append({"k": int(k), "inertia": float(km.inertia_), "silhouette": self._silhouette(X, km.labels_)})
        return pd.DataFrame(rows, columns=["k", "inertia", "silhouette"])

    def fit(self, catalog: Catalog) -> "ClusterModel":
        """Cluster ``catalog``'s tracks; returns self."""
        if len(catalog) == 0:
            raise CatalogError("the catalog has no tracks to cluster.")
        space = self._space(catalog)
        X = space.transform(catalog.tracks)
        if self.n_clusters == "auto":
            self.scores_ = self.score_k_range(catalog)
            if self.scores_.empty:
                k = 1
            else:
                k = elbow_k(self.scores_)
        elif isinstance(self.n_clusters, str):
            raise ValueError(f"n_clusters must be a number or 'auto', not {self.n_clusters!r}")
        else:
            k = self._check_k(self.n_clusters, len(X))
            self.scores_ = None
        km = self._kmeans(X, k)
        self.space_ = space
        self.kmeans_ = km
        self.n_clusters_ = k
        self.labels_ = km.labels_.astype(np.int32)
        self.centers_ = km.cluster_centers_.astype(np.float32)
        self.inertia_ = float(km.inertia_)
        self.silhouette_ = self._silhouette(X, self.labels_)
        self.sizes_ = np.bincount(self.labels_, minlength=k)
        weights = np.where(space.weights_ > 0, space.weights_, 1.0)
        centers_z = self.centers_ / weights
        self.cluster_names_ = name_clusters(centers_z, space.feature_names_)
        self._pca = PCA(n_components=min(2, X.shape[1]), random_state=self.random_state).fit(X)
        self._profile = self._build_profile(catalog)
        _log.info("k-means: k=%d inertia=%.1f silhouette=%.3f", k, self.inertia_, self.silhouette_)
        return self

    def _build_profile(self, catalog: Catalog) -> pd.DataFrame:
        t = catalog.tracks
        names = [f for f in self.space_.feature_names_]
        frame = t[names].astype("float64").assign(cluster=self.labels_)
        means = frame.groupby("cluster")[names].mean().reindex(range(self.n_clusters_))
        top_genres = _top_genres(t["genres"] if "genres" in t else None, self.labels_, self.n_clusters_)
        profile = pd.DataFrame(
            {
                "cluster": range(self.n_clusters_),
                "name": self.cluster_names_,
                "size": self.sizes_,
                "share": self.sizes_ / max(1, len(t)),
                "top_genres": top_genres,
            }
        )
        return pd.concat([profile, means.reset_index(drop=True)], axis=1)

    def _check(self) -> None:
        if not hasattr(self, "labels_"):
            raise NotFittedError("ClusterModel is not fitted yet: call fit(catalog) first.")

    # ------------------------------------------------------------------ answering
    def profile(self) -> pd.DataFrame:
        """One row per cluster: cluster, name, size, share, top_genres, mean of each feature."""
        self._check()
        return self._profile.copy()

    def summary(self) -> dict:
        """A JSON-able summary (used by ``python -m recommender cluster``)."""
        self._check()
        prof = self._profile
        out = {
            "k": self.n_clusters_,
            "inertia": round(self.inertia_, 3),
            "silhouette": None if np.isnan(self.silhouette_) else round(self.silhouette_, 4),
            "clusters": [
                {
                    "cluster": int(r["cluster"]),
                    "name": r["name"],
                    "size": int(r["size"]),
                    "top_genres": r["top_genres"],
                    "means": {f: round(float(r[f]), 4) for f in self.space_.feature_names_},
                }
                for _, r in prof.iterrows()
            ],
        }
        if self.scores_ is not None:
            out["scores"] = [
                {"k": int(r.k), "inertia": round(float(r.inertia), 3), "silhouette": round(float(r.silhouette), 4)}
                for r in self.scores_.itertuples()
            ]
        return out

    def predict(self, catalog_positions: Iterable[int]) -> np.ndarray:
        """Cluster labels of catalog rows (positions as from ``catalog.positions``)."""
        self._check()
        pos = np.asarray(list(catalog_positions) if not isinstance(catalog_positions, np.ndarray) else catalog_positions, dtype=np.int64)
        if pos.size and (pos.min() < 0 or pos.max() >= len(self.labels_)):
            raise IndexError("catalog positions out of range (unknown tracks have position -1)")
        return self.labels_[pos]

    def predict_frame(self, tracks: pd.DataFrame) -> np.ndarray:
        """Cluster labels for tracks not necessarily in the fitted catalog (nearest centre)."""
        self._check()
        return self.kmeans_.predict(self.space_.transform(tracks)).astype(np.int32)

    def embedding_2d(self, catalog: Catalog | None = None) -> np.ndarray:
        """(n, 2) PCA coordinates of the tracks (the fitted catalog by default), for a map."""
        self._check()
        X = self.space_.transform(catalog.tracks) if catalog is not None else self.space_.transform_catalog()
        emb = self._pca.transform(X).astype(np.float32)
        if emb.shape[1] < 2:
            emb = np.column_stack([emb, np.zeros(len(emb), dtype=np.float32)])
        return emb
