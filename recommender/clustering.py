"""K-means clustering of the catalog's audio features: the classic "cluster" method.

:class:`ClusterModel` scales the audio features (:class:`~recommender.features.FeatureSpace`,
without the release year), runs K-means, and describes what it found: sizes, inertia,
silhouette, a per-cluster profile and a short readable name per cluster such as
"Rock · loud and fast" (its dominant genre, then its most distinctive sound). With
``n_clusters="auto"`` the number of clusters is the elbow of the inertia curve over
``k_range`` (Kneedle: the k furthest below the chord from the first to the last point); the
per-k inertia and silhouette are kept for the chart. Silhouette alone is not used to choose:
on audio features it peaks at k=2 (a loud/quiet split), which tells a listener little.

Choosing k scores every candidate on a fixed random sample of ``SCAN_SAMPLE`` tracks (one
K-means start each, one thread), then fits the chosen k once on every track: on the default
catalog (28k tracks) scoring all 14 candidates on every track took 8-37 s on the shared
2-core machine; the sample takes about 0.3 s of CPU and picks an elbow of 5 or 6 (every track: 5).

An audio library (``catalog.has_sound``) is clustered, by default, in the space of the network's
sound embeddings (:class:`~recommender.sound_space.SoundSpace`) rather than its few measured
features, and its clusters are named by the tags they have more of than the rest of the library
("electronic, slow, synth"): see ``space`` below.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.metrics import pairwise_distances_argmin_min, silhouette_score
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from .catalog import Catalog
from .cluster_names import (
    TRAIT_WORDS,
    genre_counts,
    genre_shares,
    name_clusters,
    name_clusters_by_tags,
    tag_axis_titles,
    tag_means,
)
from .errors import CatalogError, check_fitted
from .features import FeatureSpace
from .sound_space import SoundSpace
from .tag_words import plain_tags, top_words

_log = logging.getLogger(__name__)

__all__ = ["ClusterModel", "elbow_k"]

# Silhouette is O(n^2): score a fixed random sample instead of every track.
SILHOUETTE_SAMPLE = 3000

# Above this many tracks K-means runs on mini-batches (MiniBatchKMeans): Lloyd's passes over
# every track up to 300 times per start (x 14 values of k for k="auto"); batches of 4,096 cost
# the same whatever the size. It learns on a fixed random sample of MINIBATCH_FIT_SAMPLE tracks,
# then every track gets its nearest centre: MiniBatchKMeans reads all n sample weights per batch
# (sklearn 1.9: 428 ms a batch at 10M tracks; a 10M upload's Clusters page took 13 min).
# tests/recommender/test_scale_engine.py checks the inertia stays near Lloyd's below.
MINIBATCH_ABOVE = 100_000
MINIBATCH_SIZE = 4096
MINIBATCH_FIT_SAMPLE = 250_000

# Choosing k: candidates are scored on this many randomly drawn tracks (fixed seed), with a
# silhouette on SCAN_SILHOUETTE_SAMPLE of them. Inertia is scaled up to the whole catalog so the
# elbow chart reads in the same units as the final fit's inertia.
SCAN_SAMPLE = 5000
SCAN_SILHOUETTE_SAMPLE = 1000

# Bumped when scoring or naming changes, so fits cached on disk under the old rules are refitted.
MODEL_VERSION = 4  # 4: mini-batch centres from a sample

# How a library's embeddings are reduced before K-means: standardize every dimension, then keep
# the principal components explaining 90% of the variance. Measured on the test library (8
# synthetic tracks, two albums; /tmp script in the issue-16 report): every choice splits the two
# albums exactly (adjusted Rand 1.0 at k=2), but how far apart the albums sit (silhouette of the
# album labels) is 0.43 on the raw embeddings, 0.25 standardized (scaling lifts the near-constant,
# noisy dimensions to full weight), 0.30 with PCA to 90% variance and 0.34 to 80%. PCA after
# standardizing gives the noise back less weight, and 400 -> a few dozen dimensions also makes
# K-means and the k scan cheaper on a big library; 90% rather than fewer components so a real
# library keeps the smaller differences (a 2-component cut scored 0.53 here only because two
# albums are one contrast).
SOUND_PCA_VARIANCE = 0.9
SPACES = ("auto", "features", "sound")

def elbow_k(scores: pd.DataFrame) -> int:
    """The elbow of a k / inertia table (Kneedle on the normalised, decreasing curve)."""
    k = scores["k"].to_numpy(dtype=float)
    inertia = scores["inertia"].to_numpy(dtype=float)
    if len(k) < 3 or np.ptp(inertia) == 0:
        return int(k[0])
    x = (k - k.min()) / np.ptp(k)
    y = (inertia - inertia.min()) / np.ptp(inertia)
    return int(k[np.argmax((1.0 - x) - y)])


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
    space:
        ``"features"`` (the audio features), ``"sound"`` (an audio library's sound embeddings,
        standardized and PCA-reduced) or ``"auto"``: sound when the catalog has it.
    pca_components:
        In the sound space: components kept after standardizing (a fraction = share of variance,
        a whole number = that many, ``None`` = no PCA).

    Attributes after :meth:`fit`: ``n_clusters_``, ``labels_`` (one per catalog row),
    ``inertia_``, ``silhouette_``, ``cluster_names_``, ``centers_`` (in feature space),
    ``centers_z_`` (standardized, unweighted), ``genre_shares_`` (per cluster, (genre, share)
    largest first), ``sizes_`` and ``scores_`` (a k / inertia / silhouette table, scored on a
    sample, only with ``"auto"``), ``space_kind_`` ("features" or "sound"); in the sound space
    also ``tag_words_`` and ``tag_means_`` (per cluster, mean probability of each plain tag).
    """

    # Class-level settings (recommender.cache.class_settings puts them in the fit cache's key).
    SPACES = SPACES
    SOUND_PCA_VARIANCE = SOUND_PCA_VARIANCE

    def __init__(
        self,
        n_clusters: int | str = 8,
        k_range: Iterable[int] = range(2, 16),
        random_state: int | None = 0,
        features: FeatureSpace | None = None,
        n_init: int = 3,
        space: str = "auto",
        pca_components: int | float | None = SOUND_PCA_VARIANCE,
    ) -> None:
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.random_state = random_state
        self.features = features
        self.n_init = n_init
        self.space = space
        self.pca_components = pca_components

    # ------------------------------------------------------------------ fitting
    def space_kind(self, catalog: Catalog) -> str:
        """"sound" or "features": the space this model clusters ``catalog`` in."""
        if self.space not in SPACES:
            raise ValueError(f"space must be one of {', '.join(SPACES)}, not {self.space!r}")
        if self.space == "sound" and not catalog.has_sound:
            raise CatalogError(f"{catalog.name} has no sound analysis: cluster it by its audio features instead.")
        if self.space == "auto":
            return "sound" if catalog.has_sound and self.features is None else "features"
        return self.space

    def _space(self, catalog: Catalog) -> FeatureSpace | SoundSpace:
        if self.space_kind(catalog) == "sound":
            return SoundSpace(self.pca_components, random_state=self.random_state).fit(catalog)
        space = self.features if self.features is not None else FeatureSpace(use_year=False)
        if not hasattr(space, "feature_names_"):
            space = space.fit(catalog)
        return space

    @staticmethod
    def _matrix(space: FeatureSpace | SoundSpace, catalog: Catalog) -> np.ndarray:
        return space.transform(catalog) if isinstance(space, SoundSpace) else space.transform(catalog.tracks)

    def _kmeans(self, X: np.ndarray, k: int) -> tuple[KMeans | MiniBatchKMeans, np.ndarray, float]:
        """The fitted K-means, every track's cluster and the inertia over every track."""
        if len(X) > MINIBATCH_ABOVE:
            sample = X if len(X) <= MINIBATCH_FIT_SAMPLE else X[np.sort(
                check_random_state(self.random_state).choice(len(X), MINIBATCH_FIT_SAMPLE, replace=False))]
            km = MiniBatchKMeans(n_clusters=k, n_init=self.n_init, batch_size=MINIBATCH_SIZE,
                                 random_state=self.random_state).fit(sample)
            labels, distances = pairwise_distances_argmin_min(X, km.cluster_centers_)
            return km, labels, float(np.square(distances, dtype=np.float64).sum())
        # One thread: on the shared 2-core machine two OpenMP threads spun against other work
        # (28k tracks, k=6: 0.3 s on one thread, 0.8-2.9 s on two).
        with threadpool_limits(limits=1):
            km = KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state).fit(X)
        return km, km.labels_, float(km.inertia_)

    def _silhouette(self, X: np.ndarray, labels: np.ndarray, sample_size: int = SILHOUETTE_SAMPLE) -> float:
        if len(np.unique(labels)) < 2 or len(X) < 3:
            return float("nan")
        # The same rows silhouette_score(sample_size=...) would draw, taken here so the distances
        # run in float64: on float32 scikit-learn upcasts chunk by chunk, about 5x slower.
        rows = check_random_state(self.random_state).permutation(len(X))[: min(len(X), sample_size)]
        with threadpool_limits(limits=1):
            return float(silhouette_score(np.asarray(X[rows], dtype=np.float64), labels[rows]))

    def _check_k(self, k: int, n: int) -> int:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ValueError(f"n_clusters must be a positive whole number or 'auto', not {k!r}")
        if k > n:
            raise CatalogError(f"cannot make {k} clusters from {n} tracks; choose k <= {n}.")
        return int(k)

    def get_params(self) -> dict:
        """The settings that decide the fit (the on-disk fit cache keys entries on them)."""
        return {
            "n_clusters": self.n_clusters,
            "k_range": [int(k) for k in self.k_range],
            "random_state": self.random_state,
            "n_init": self.n_init,
            "features": None if self.features is None else repr(sorted(vars(self.features).items(), key=str)),
            "space": self.space,
            "pca_components": self.pca_components,
            "model_version": MODEL_VERSION,
        }

    def _scan_sample(self, X: np.ndarray) -> np.ndarray:
        """The fixed random rows candidate k are scored on (every row of a small catalog)."""
        if len(X) <= SCAN_SAMPLE:
            return X
        rng = np.random.default_rng(0 if self.random_state is None else self.random_state)
        return X[np.sort(rng.choice(len(X), size=SCAN_SAMPLE, replace=False))]

    def score_k_range(
        self,
        catalog: Catalog,
        k_range: Iterable[int] | None = None,
        on_step: Callable[[int, int], None] | None = None,
    ) -> pd.DataFrame:
        """Inertia and silhouette for each k (for the elbow / silhouette chart and "auto").

        Scored on a fixed random sample of ``SCAN_SAMPLE`` tracks with one K-means start per
        k, on one thread (on a shared machine two threads spun against other work and ran up
        to five times slower); inertia is scaled to the whole catalog. ``on_step(done, total)``
        is called after each k, for a progress bar.
        """
        X = self._matrix(self._space(catalog), catalog)
        sample = self._scan_sample(X)
        scale = len(X) / max(1, len(sample))
        ks = [int(k) for k in (k_range if k_range is not None else self.k_range) if 2 <= k < len(sample)]
        rows = []
        with threadpool_limits(limits=1):
            for done, k in enumerate(ks, start=1):
                km = KMeans(n_clusters=k, n_init=1, random_state=self.random_state).fit(sample)
                rows.append({"k": k, "inertia": float(km.inertia_) * scale,
                             "silhouette": self._silhouette(sample, km.labels_, SCAN_SILHOUETTE_SAMPLE)})
                if on_step is not None:
                    on_step(done, len(ks))
        return pd.DataFrame(rows, columns=["k", "inertia", "silhouette"])

    def fit(self, catalog: Catalog, on_step: Callable[[int, int], None] | None = None) -> ClusterModel:
        """Cluster ``catalog``'s tracks; returns self.

        With ``n_clusters="auto"``, ``on_step(done, total)`` reports each candidate k scored.
        """
        if len(catalog) == 0:
            raise CatalogError("the catalog has no tracks to cluster.")
        space = self._space(catalog)
        X = self._matrix(space, catalog)
        if self.n_clusters == "auto":
            self.scores_ = self.score_k_range(catalog, on_step=on_step)
            if self.scores_.empty:
                k = 1
            else:
                k = elbow_k(self.scores_)
        elif isinstance(self.n_clusters, str):
            raise ValueError(f"n_clusters must be a number or 'auto', not {self.n_clusters!r}")
        else:
            k = self._check_k(self.n_clusters, len(X))
            self.scores_ = None
        km, labels, inertia = self._kmeans(X, k)
        self.space_ = space
        self.space_kind_ = "sound" if isinstance(space, SoundSpace) else "features"
        self.kmeans_ = km
        self.n_clusters_ = k
        self.labels_ = np.asarray(labels, dtype=np.int32)
        self.centers_ = km.cluster_centers_.astype(np.float32)
        self.inertia_ = inertia
        self.silhouette_ = self._silhouette(X, self.labels_)
        self.sizes_ = np.bincount(self.labels_, minlength=k)
        weights = np.where(space.weights_ > 0, space.weights_, 1.0)
        self.centers_z_ = self.centers_ / weights
        genres = catalog.tracks["genres"] if "genres" in catalog.tracks else None
        counters = genre_counts(genres, self.labels_, k)
        self.genre_shares_ = genre_shares(counters)
        if self.space_kind_ == "sound":
            self.tag_words_, self._tags = plain_tags(catalog.sound.tag_names, catalog.sound.tags)
            self.tag_means_ = tag_means(self._tags, self.labels_, k)
            self.cluster_names_ = name_clusters_by_tags(self._tags, self.tag_words_, self.labels_, k)
            self.profile_features_ = list(catalog.feature_names)  # the measured tempo, loudness...
        else:
            self.cluster_names_ = name_clusters(self.centers_z_, list(space.feature_names_),
                                                self.genre_shares_ if any(self.genre_shares_) else None)
            self.profile_features_ = list(space.feature_names_)
        self._pca = PCA(n_components=min(2, X.shape[1]), random_state=self.random_state).fit(X)
        self._profile = self._build_profile(catalog, counters)
        _log.info("k-means: k=%d inertia=%.1f silhouette=%.3f", k, self.inertia_, self.silhouette_)
        return self

    def _build_profile(self, catalog: Catalog, counters: list[Counter[str]]) -> pd.DataFrame:
        t = catalog.tracks
        names = list(self.profile_features_)
        frame = t[names].astype("float64").assign(cluster=self.labels_)
        means = frame.groupby("cluster")[names].mean().reindex(range(self.n_clusters_))
        top_genres = [", ".join(genre for genre, _ in counter.most_common(3)) for counter in counters]
        profile = pd.DataFrame(
            {
                "cluster": range(self.n_clusters_),
                "name": self.cluster_names_,
                "size": self.sizes_,
                "share": self.sizes_ / max(1, len(t)),
                "top_genres": top_genres,
            }
        )
        if self.space_kind_ == "sound":  # the tags the network heard most in each cluster
            profile["top_tags"] = [", ".join(top_words(self.tag_words_, row, n=5, at_least=0.05))
                                   for row in self.tag_means_]
        return pd.concat([profile, means.reset_index(drop=True)], axis=1)

    # ------------------------------------------------------------------ answering
    def profile(self) -> pd.DataFrame:
        """One row per cluster: cluster, name, size, share, top_genres, mean of each feature
        (in the sound space: the measured features, and ``top_tags``)."""
        check_fitted(self, "labels_")
        return self._profile.copy()

    def summary(self) -> dict:
        """A JSON-able summary (used by ``python -m recommender cluster``)."""
        check_fitted(self, "labels_")
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
                    "means": {f: round(float(r[f]), 4) for f in self.profile_features_},
                    **({"top_tags": r["top_tags"]} if "top_tags" in prof else {}),
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
        check_fitted(self, "labels_")
        pos = np.asarray(list(catalog_positions) if not isinstance(catalog_positions, np.ndarray) else catalog_positions, dtype=np.int64)
        if pos.size and (pos.min() < 0 or pos.max() >= len(self.labels_)):
            raise IndexError("catalog positions out of range (unknown tracks have position -1)")
        return self.labels_[pos]

    def predict_frame(self, tracks: pd.DataFrame) -> np.ndarray:
        """Cluster labels for tracks not necessarily in the fitted catalog (nearest centre)."""
        check_fitted(self, "labels_")
        if self.space_kind_ == "sound":
            raise CatalogError("these clusters are made from the sound analysis: tracks without it cannot be "
                               "placed in them (use predict with the tracks' catalog positions).")
        return self.kmeans_.predict(self.space_.transform(tracks)).astype(np.int32)

    def map_axis_titles(self, n_words: int = 2) -> tuple[str, str]:
        """Plain-words titles for the map's two axes: what rises from left to right (bottom to
        top), from the features weighing most in each PCA direction ("← calm, acoustic ·
        energetic, loud →")."""
        check_fitted(self, "labels_")
        if self.space_kind_ == "sound":
            return tag_axis_titles(self._tags, self.tag_words_, self.embedding_2d(), n_words)
        titles = []
        names = list(self.space_.feature_names_)
        for axis in range(2):
            if axis >= len(self._pca.components_):
                titles.append("")
                continue
            loading = self._pca.components_[axis]
            order = [i for i in np.argsort(-np.abs(loading)) if names[i] in TRAIT_WORDS][:n_words]
            high = [TRAIT_WORDS[names[i]][0 if loading[i] > 0 else 1] for i in order]
            low = [TRAIT_WORDS[names[i]][1 if loading[i] > 0 else 0] for i in order]
            titles.append(f"← {', '.join(low)}   ·   {', '.join(high)} →")
        return titles[0], titles[1]

    def embedding_2d(self, catalog: Catalog | None = None) -> np.ndarray:
        """(n, 2) PCA coordinates of the tracks (the fitted catalog by default), for a map."""
        check_fitted(self, "labels_")
        X = self._matrix(self.space_, catalog) if catalog is not None else self.space_.transform_catalog()
        emb = self._pca.transform(X).astype(np.float32)
        if emb.shape[1] < 2:
            emb = np.column_stack([emb, np.zeros(len(emb), dtype=np.float32)])
        return emb
