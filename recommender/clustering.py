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
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from .catalog import Catalog, split_list
from .errors import CatalogError, NotFittedError
from .features import FeatureSpace

_log = logging.getLogger(__name__)

__all__ = ["ClusterModel", "name_clusters", "genre_phrase", "display_genre", "elbow_k"]

# Silhouette is O(n^2): score a fixed random sample instead of every track.
SILHOUETTE_SAMPLE = 3000

# Above this many tracks K-means runs on mini-batches (MiniBatchKMeans). Lloyd's K-means
# passes over every track in each of up to 300 iterations, for each of n_init starts, so
# its cost grows with tracks x iterations x starts (and x 14 values of k for k="auto");
# mini-batches of 4,096 tracks cost the same per step whatever the catalog size and stop
# after a few passes without improvement. Below the threshold (the embedded catalog: 28k
# tracks) Lloyd's algorithm is cheap and gives the reference result;
# tests/test_scale_engine.py checks that the mini-batch inertia stays within 5% of it.
MINIBATCH_ABOVE = 100_000
MINIBATCH_SIZE = 4096

# Choosing k: candidates are scored on this many randomly drawn tracks (fixed seed), with a
# silhouette on SCAN_SILHOUETTE_SAMPLE of them. Inertia is scaled up to the whole catalog so the
# elbow chart reads in the same units as the final fit's inertia.
SCAN_SAMPLE = 5000
SCAN_SILHOUETTE_SAMPLE = 1000

# Bumped when scoring or naming changes, so fits cached on disk under the old rules are refitted.
MODEL_VERSION = 2

# Plain words for a cluster's sound: feature -> (word when high, word when low).
TRAIT_WORDS: dict[str, tuple[str, str]] = {
    "energy": ("energetic", "calm"),
    "danceability": ("danceable", "hard to dance to"),
    "acousticness": ("acoustic", "amplified"),
    "valence": ("cheerful", "moody"),
    "speechiness": ("wordy", "sung"),
    "instrumentalness": ("instrumental", "with vocals"),
    "liveness": ("live-sounding", "studio-polished"),
    "tempo": ("fast", "slow"),
    "loudness": ("loud", "quiet"),
    "duration_ms": ("long", "short"),
}
# Genre spellings for names (others are capitalised).
_GENRE_DISPLAY = {"edm": "EDM", "r&b": "R&B", "rnb": "R&B", "hip hop": "Hip hop", "hip-hop": "Hip-hop"}
# A genre dominates a cluster when it holds at least this share of the cluster's genre mentions
# and at least DOMINANT_LEAD times the next genre's share.
DOMINANT_SHARE = 0.40
DOMINANT_LEAD = 1.5
# Two genres lead a cluster together when they hold this share between them.
PAIR_SHARE = 0.55
MIXED = "Mixed genres"
NAME_TRAITS = 2  # traits in a name before any clash asks for more
MAX_TRAITS = 5


def display_genre(genre: str) -> str:
    name = genre.strip()
    return _GENRE_DISPLAY.get(name.lower(), name[:1].upper() + name[1:])


def genre_phrase(shares: list[tuple[str, float]]) -> str:
    """How a cluster's genre mix reads in its name: "Rock" when one genre clearly dominates,
    "Rap & R&B" when two lead together, "Mixed genres" otherwise, "" without genre data.

    ``shares``: (genre, share of the cluster's genre mentions), largest first.
    """
    if not shares:
        return ""
    top, first = shares[0]
    second = shares[1][1] if len(shares) > 1 else 0.0
    if first >= DOMINANT_SHARE and first >= DOMINANT_LEAD * second:
        return display_genre(top)
    if len(shares) > 1 and first + second >= PAIR_SHARE:
        return f"{display_genre(top)} & {display_genre(shares[1][0])}"
    return MIXED


def _join_traits(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _compose(genre: str, traits: list[str]) -> str:
    sound = _join_traits(traits) or "middle of the road"
    return f"{genre} · {sound}" if genre else sound[:1].upper() + sound[1:]


def name_clusters(
    centers_z: np.ndarray,
    feature_names: list[str],
    genre_shares: list[list[tuple[str, float]]] | None = None,
) -> list[str]:
    """Short, distinct names from standardized cluster centres and genre mixes.

    A name is the cluster's genre phrase (:func:`genre_phrase`) and its two most distinctive
    traits: the features where its centre sits furthest from the catalog mean, in plain words
    ("Rock · loud and fast"). Clusters whose names would read alike (same genre phrase, same
    traits in any order) each get the trait that sets them furthest apart from the others
    ("calm, acoustic and sung" / "calm, acoustic and hard to dance to"); a number is the last
    resort.
    """
    z = np.asarray(centers_z, dtype=np.float64)
    usable = [i for i, f in enumerate(feature_names) if f in TRAIT_WORDS]
    n = len(z)

    def word(c: int, f: int) -> str:
        return TRAIT_WORDS[feature_names[f]][0 if z[c, f] >= 0 else 1]

    chosen = [sorted(usable, key=lambda i: -abs(float(z[c, i])))[:NAME_TRAITS] for c in range(n)]
    genres = [genre_phrase(genre_shares[c]) if genre_shares else "" for c in range(n)]

    def key(c: int) -> tuple[str, frozenset[str]]:
        return genres[c], frozenset(word(c, f) for f in chosen[c])

    def _apart(c: int, f: int, others: list[int]) -> float:
        # How far c sits from its nearest clashing neighbour on f; a word of its own (the others
        # read the opposite way) counts double.
        gap = min(abs(z[c, f] - z[o, f]) for o in others)
        return gap * (2.0 if all(word(o, f) != word(c, f) for o in others) else 1.0)

    for _ in range(MAX_TRAITS - NAME_TRAITS):
        groups: dict[tuple[str, frozenset[str]], list[int]] = {}
        for c in range(n):
            groups.setdefault(key(c), []).append(c)
        clashes = [members for members in groups.values() if len(members) > 1]
        if not clashes:
            break
        for members in clashes:
            for c in members:
                others = [o for o in members if o != c]
                free = [f for f in usable if f not in chosen[c]]
                if not free:
                    continue

                chosen[c] = [*chosen[c], max(free, key=lambda f, c=c, others=others: _apart(c, f, others))]
    counts, seen = Counter(key(c) for c in range(n)), Counter()
    out = []
    for c in range(n):
        name = _compose(genres[c], [word(c, f) for f in chosen[c]])
        if counts[key(c)] > 1:
            seen[key(c)] += 1
            name = f"{name} ({seen[key(c)]})"
        out.append(name)
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
    order (as ``Counter.most_common`` over the tracks' ``;``-separated genres in track order)."""
    return [", ".join(genre for genre, _ in counter.most_common(top))
            for counter in _genre_counts(genres, labels, n_clusters)]


def _genre_shares(counters: list[Counter[str]]) -> list[list[tuple[str, float]]]:
    """Per cluster, (genre, share of the cluster's genre mentions), largest first."""
    out = []
    for counter in counters:
        total = sum(counter.values())
        out.append([(genre, count / total) for genre, count in counter.most_common()] if total else [])
    return out


def _genre_counts(genres: pd.Series | None, labels: np.ndarray, n_clusters: int) -> list[Counter[str]]:
    """Per cluster, a Counter of its tracks' ``;``-separated genres, in first-seen order.

    A catalog has few distinct genre cells (44 in a million synthetic tracks): tracks are
    counted per (cluster, distinct cell) with integer codes and each distinct cell is split
    once (2.8 s -> ~0.1 s on a million tracks, where every cell was split before)."""
    if genres is None or len(genres) == 0:
        return [Counter() for _ in range(n_clusters)]
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
        out.append(counter)
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
    ``centers_z_`` (standardized, unweighted), ``genre_shares_`` (per cluster, (genre, share)
    largest first), ``sizes_`` and ``scores_`` (a k / inertia / silhouette table, scored on a
    sample, only with ``"auto"``).
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
        # One thread: on the shared 2-core machine two OpenMP threads spun against other work
        # (28k tracks, k=6: 0.3 s on one thread, 0.8-2.9 s on two).
        with threadpool_limits(limits=1):
            return KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state).fit(X)

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
        X = self._space(catalog).transform(catalog.tracks)
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
        X = space.transform(catalog.tracks)
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
        self.centers_z_ = self.centers_ / weights
        genres = catalog.tracks["genres"] if "genres" in catalog.tracks else None
        counters = _genre_counts(genres, self.labels_, k)
        self.genre_shares_ = _genre_shares(counters)
        self.cluster_names_ = name_clusters(self.centers_z_, list(space.feature_names_),
                                            self.genre_shares_ if any(self.genre_shares_) else None)
        self._pca = PCA(n_components=min(2, X.shape[1]), random_state=self.random_state).fit(X)
        self._profile = self._build_profile(catalog, counters)
        _log.info("k-means: k=%d inertia=%.1f silhouette=%.3f", k, self.inertia_, self.silhouette_)
        return self

    def _build_profile(self, catalog: Catalog, counters: list[Counter[str]]) -> pd.DataFrame:
        t = catalog.tracks
        names = [f for f in self.space_.feature_names_]
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

    def map_axis_titles(self, n_words: int = 2) -> tuple[str, str]:
        """Plain-words titles for the map's two axes: what rises from left to right (bottom to
        top), from the features weighing most in each PCA direction ("← calm, acoustic ·
        energetic, loud →")."""
        self._check()
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
        self._check()
        X = self.space_.transform(catalog.tracks) if catalog is not None else self.space_.transform_catalog()
        emb = self._pca.transform(X).astype(np.float32)
        if emb.shape[1] < 2:
            emb = np.column_stack([emb, np.zeros(len(emb), dtype=np.float32)])
        return emb
