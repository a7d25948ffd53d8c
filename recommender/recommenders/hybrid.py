"""``hybrid``: sound, release date, artists, playlists, style and popularity as one weighted
sum of signals (see :class:`HybridRecommender`)."""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..catalog import Catalog
from ..neighbors import ExactIndex, IVFIndex, sorted_unique
from .base import BaseRecommender
from .hybrid_signals import SIGNALS, DenseQuery, RowQuery, Signal, signal_table
from .similar import default_unit_sound, shared_sound_index
from .sparse import csr, row_dot, row_entries

__all__ = ["HybridRecommender", "HYBRID_CANDIDATES_ABOVE"]

# Above this many tracks the hybrid scores a candidate set instead of every track: the
# audio neighbours from the similarity index (CANDIDATES_PER_RESULT per result, at least
# MIN_CANDIDATES) plus every track the sparse signals reach (same artist or album, the seeds'
# playlists, their artists' co-playlisted artists), each scored exactly. Below it (the
# embedded catalog, the evaluation) every track is scored, as the weights were tuned. Dense
# scoring of all eleven signals took ~630 ms per query at 300k tracks; python -m bench
# reports how often the candidate answer equals the dense one (recall@20 of the hybrid).
HYBRID_CANDIDATES_ABOVE = 200_000
CANDIDATES_PER_RESULT = 10
MIN_CANDIDATES = 1_000
# From this many tracks the hybrid's audio candidates come from the IVF index (faiss, see
# recommender.neighbors) instead of the exact scan: every candidate-mode catalog. The 1,200
# neighbours are candidates, each rescored exactly with every signal, so the approximation only
# touches the pool's margin: at 1M tracks the IVF search took ~2.3 ms instead of ~6.2 ms and
# found 98.8% of the exact top 200 audio neighbours, and the hybrid's top 20 was the same on
# every checked query (python -m bench reports it as recall@20 against scoring every track).
# The exact scan of 1,200 neighbours also slows down most when another process holds a core
# (300k tracks: 8 ms quiet, 55 ms in a run sharing the machine). The build adds ~0.5 s to the
# fit at 300k tracks, ~2 s at 1M.
HYBRID_APPROXIMATE_ABOVE = HYBRID_CANDIDATES_ABOVE
# Cells of the IVF index the hybrid's candidate search scans (the index's default for
# `similar` is 32). A quarter of them: at 1M tracks 16 cells cost ~0.5 ms less than 32 and
# 8 another ~0.3 ms, and since every candidate is rescored with all signals (and the sparse
# signals bring their own), the hybrid's top 20 stayed the one found by scoring every track
# (100 queries at 1M with 16, 12, 8 and 6 cells; recall@20 in python -m bench at 1M and 10M).
HYBRID_N_PROBE = 8
# The pool takes the tracks of at most this many artists co-playlisted with the seeds' artists,
# the best-scored ones (the others still set the artist-playlist signal's scale). At 1M tracks
# those tracks were most of the pool (~4,100 of ~4,200 rows from ~480 artists); with 300 the
# p50 fell 6.6 -> 5.4 ms and the top 20 was 99.5-99.7% the one from scoring every track (two
# sets of 150 queries; 200 artists: 98.8%, 150: 98.7%); python -m bench reports it (recall@20).
POOL_ARTISTS = 300
# Signals the candidate pool computes last, only for the rows that can still enter it: each
# lies in the range given (so a bound holds whatever its value) and costs scattered reads per
# row (the seeds' playlists, genre profiles). At 1M tracks about a fifth of the rows survive
# the bound (see _pool); with the artist-level signals late too (bound width 1.35 instead of
# 0.35) nearly every row did, and the pool was slower.
LATE_SIGNALS: dict[str, tuple[float, float]] = {
    "cooccurrence": (0.0, 1.0),  # max-scaled
    "style": (0.0, 1.0),  # a cosine of non-negative profiles
}


@dataclass(frozen=True)
class Reach:
    """What a query's seeds reach through the hybrid's sparse signals (candidate mode)."""

    seed_artists: np.ndarray  # sorted artist columns of the seeds
    playlist_query: np.ndarray  # per playlist: seeds in it x its size weight
    playlist_tracks: np.ndarray  # sorted tracks of the seeds' playlists
    per_artist: np.ndarray | None  # co-playlist score per artist (None: signal off)
    artist_tracks: np.ndarray | None  # the tracks of the artists scored above zero (may repeat)
    best_artist_tracks: np.ndarray | None  # those of the POOL_ARTISTS best-scored artists (the pool's)


class HybridRecommender(BaseRecommender):
    """Audio similarity + release date + artist affinity + playlist co-occurrence + taste
    profile + popularity, fused as a weighted sum of signals that each lie in 0..1.

    Each signal is written once in :mod:`.hybrid_signals` (its weight, what it measures, its
    values over every track and at candidate rows, its explanation); the table below is made
    from that list.

    """

    name = "hybrid"
    FIT_STEPS = ("Linking the artists, albums and playlists", "Building the sound index")

    DEFAULT_WEIGHTS: dict[str, float] = {signal.name: signal.weight for signal in SIGNALS}

    def __init__(self, weights: Mapping[str, float] | None = None, date_scale: float = 1.0,
                 popularity_scale: float = 10.0, random_state: int | None = 0) -> None:
        super().__init__(random_state)
        self.weights = weights
        self.date_scale = date_scale
        self.popularity_scale = popularity_scale

    def _fit(self, catalog: Catalog) -> None:
        w = {**self.DEFAULT_WEIGHTS, **(self.weights or {})}
        unknown = set(w) - set(self.DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown hybrid weight(s) {sorted(unknown)}; allowed: {sorted(self.DEFAULT_WEIGHTS)}")
        self.weights_ = w
        idx = self.index_
        self._fit_step("Linking the artists, albums and playlists")
        self.unit_ = default_unit_sound(catalog, self.space_) if self.space_ is not None else None
        self.date_ = _fractional_year(catalog.tracks)
        pop = idx.popularity  # the prior's stand-in for unknown popularity, once per fit
        self.popularity_fill_ = np.nanmedian(pop) if (~np.isnan(pop)).any() else 0.0
        # playlists down-weighted by size (IDF-like): a 250-track playlist says less per pair.
        sizes = np.asarray(idx.playlists.sum(axis=0)).ravel()
        self.playlist_weight_ = (1.0 / np.log1p(np.maximum(sizes, 1))).astype(np.float32)
        ap = (idx.artists.T @ idx.playlists).tocsr()
        ap.data[:] = 1.0
        self.artist_playlists_ = ap.astype(np.float32)  # artist x playlist incidence
        self.artist_degree_ = np.maximum(np.asarray(ap.sum(axis=1)).ravel(), 1).astype(np.float32)
        tracks_per_artist = np.maximum(np.asarray(idx.artists.sum(axis=0)).ravel(), 1)
        self.artists_per_track_ = np.maximum(np.asarray(idx.artists.sum(axis=1)).ravel(), 1).astype(np.float32)
        if self.unit_ is not None:
            mean_sound = sp.diags((1.0 / tracks_per_artist).astype(np.float32)) @ (idx.artists.T @ self.unit_)
            self.artist_sound_ = np.asarray(mean_sound, dtype=np.float32)  # artist x d
        # (sub)genre taste profiles: the track's own memberships plus its artists' ones.
        style = idx.styles
        own = _row_normalize(style)
        via_artist = _row_normalize(idx.artists @ _row_normalize((idx.artists.T @ style).tocsr()))
        self.style_ = _row_normalize(own + via_artist).astype(np.float32)
        if idx.n > HYBRID_CANDIDATES_ABOVE:
            # Candidate generation (see HYBRID_CANDIDATES_ABOVE): the audio index, and the
            # tracks of an artist / a playlist / an album as sparse rows.
            self._fit_step("Building the sound index")
            self.neighbors_ = self._candidate_index() if self.unit_ is not None else None
            self.artist_tracks_ = idx.artists.T.tocsr()
            self.playlist_tracks_ = idx.playlists.T.tocsr()
            has_album = idx.album >= 0
            self.album_tracks_ = csr(
                idx.album[has_album], np.flatnonzero(has_album), (idx.n_albums, idx.n)
            )

    def _candidate_index(self) -> ExactIndex | IVFIndex:
        """The audio index of candidate mode: exact, or IVF from HYBRID_APPROXIMATE_ABOVE."""
        if self.index_.n < HYBRID_APPROXIMATE_ABOVE:
            return ExactIndex(self.unit_, normalized=True)
        # Shared with similar fitted on the same catalog; searched with the hybrid's own
        # settings (see _pool).
        return shared_sound_index(self.catalog_, self.unit_, self.random_state or 0)

    def _artist_playlist_scores(self, seed_pos: np.ndarray) -> np.ndarray | None:
        """Per artist: how much it is co-playlisted with the seeds' artists (or None)."""
        scored = self._scored_artists(seed_pos)
        return None if scored is None else scored[0]

    def _scored_artists(
        self, seed_pos: np.ndarray, seed_artist_cols: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """:meth:`_artist_playlist_scores` and the artists it scores above zero.
        ``seed_artist_cols``: ``index_.seed_artist_columns(seed_pos)``, when the caller has it."""
        if not (self.weights_["artist_playlists"] and self.artist_playlists_.shape[1]):
            return None
        ap = self.artist_playlists_
        if seed_artist_cols is None:
            seed_artist_cols = self.index_.seed_artist_columns(seed_pos)
        seed_playlists = row_entries(ap, seed_artist_cols)[0]
        # Per playlist: how many seed artists it holds (the column sums of their rows).
        q = self._playlist_query(seed_playlists)
        playlist_tracks = getattr(self, "playlist_tracks_", None)
        if playlist_tracks is None:  # scores every artist (small catalogs)
            per_artist = (ap @ q) / self.artist_degree_
            return per_artist, np.flatnonzero(per_artist != 0)
        # Only the artists with a track in one of those playlists score above zero (each
        # such playlist has q > 0): their rows of the product, the same sums as in the
        # product over every artist.
        reached_tracks = row_entries(playlist_tracks, sorted_unique(seed_playlists))[0]
        reached = sorted_unique(row_entries(self.index_.artists, reached_tracks)[0])
        per_artist = np.zeros(ap.shape[0], dtype=np.float32)
        per_artist[reached] = row_dot(ap, reached, q) / self.artist_degree_[reached]
        return per_artist, reached

    def _components(self, seed_pos: np.ndarray) -> dict[str, np.ndarray]:
        """Each signal with a weight as a float32 vector over all tracks (SIGNALS order)."""
        query = DenseQuery(self, seed_pos)
        return self._collect((signal.name, lambda signal=signal: signal.dense(query)) for signal in SIGNALS)

    def _popularity_prior(self, popularity: np.ndarray) -> np.ndarray:
        fill = getattr(self, "popularity_fill_", None)
        if fill is None:  # fitted by an older version
            pop = self.index_.popularity
            fill = np.nanmedian(pop) if (~np.isnan(pop)).any() else 0.0
        return np.where(np.isnan(popularity), fill, popularity) / 100.0

    def _playlist_query(self, playlist_entries: np.ndarray) -> np.ndarray:
        """Per playlist: how often it occurs in ``playlist_entries``, times its size weight."""
        return np.bincount(playlist_entries, minlength=len(self.playlist_weight_)).astype(np.float32) * self.playlist_weight_

    def _reach(self, seed_pos: np.ndarray) -> Reach:
        """What the seeds reach through the sparse signals (candidate mode, once per query)."""
        idx = self.index_
        seed_playlists = row_entries(idx.playlists, seed_pos)[0]
        distinct = sorted_unique(seed_playlists)
        # Per playlist: how many seeds it holds, down-weighted by its size.
        query = self._playlist_query(seed_playlists)
        seed_artists = idx.seed_artist_columns(seed_pos)
        scored = self._scored_artists(seed_pos, seed_artists)
        per_artist = artist_tracks = best_artist_tracks = None
        if scored is not None:
            per_artist, reached = scored
            artist_tracks, owner = row_entries(self.artist_tracks_, reached)
            best_artist_tracks = artist_tracks
            if len(reached) > POOL_ARTISTS:
                best = np.zeros(len(reached), dtype=bool)
                best[np.argpartition(-per_artist[reached], POOL_ARTISTS - 1)[:POOL_ARTISTS]] = True
                best_artist_tracks = artist_tracks[best[owner]]  # their entries, not a second lookup
        return Reach(
            seed_artists=seed_artists,
            playlist_query=query,
            playlist_tracks=sorted_unique(row_entries(self.playlist_tracks_, distinct)[0]),
            per_artist=per_artist,
            artist_tracks=artist_tracks,
            best_artist_tracks=best_artist_tracks,
        )

    def _row_components(
        self, seed_pos: np.ndarray, rows: np.ndarray, reach: Reach | None = None,
        signals: Collection[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """The signals of :meth:`_components` at ``rows`` only (candidate mode); ``signals``:
        only those names (see :meth:`_pool`)."""
        query = RowQuery(self, seed_pos, rows, reach if reach is not None else self._reach(seed_pos))
        return self._collect(
            (signal.name, lambda signal=signal: signal.at_rows(query))
            for signal in SIGNALS if signals is None or signal.name in signals
        )

    def _collect(self, computed: Iterable[tuple[str, Callable[[], np.ndarray | None]]]) -> dict[str, np.ndarray]:
        """The signals with a weight, each as a flat float32 vector (None: nothing to say)."""
        out: dict[str, np.ndarray] = {}
        for name, compute in computed:
            if self.weights_[name]:
                values = compute()
                if values is not None:
                    out[name] = np.asarray(values, dtype=np.float32).ravel()
        return out

    def _score(self, seed_pos: np.ndarray) -> np.ndarray:
        return self._weighted_sum(self._components(seed_pos), self.index_.n)

    def _weighted_sum(self, components: dict[str, np.ndarray], size: int) -> np.ndarray:
        score = np.zeros(size, dtype=np.float32)
        for name, vec in components.items():
            score += np.float32(self.weights_[name]) * vec
        return score

    def _pool(self, seed_pos: np.ndarray, candidates: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Above HYBRID_CANDIDATES_ABOVE tracks: score the audio neighbours and every track a
        sparse signal reaches, exactly; a track outside both can only score on the dense
        signals (date, popularity, style), which rarely lift a poor audio match."""
        index = getattr(self, "neighbors_", None)
        if index is None or self.index_.n <= HYBRID_CANDIDATES_ABOVE:
            return None
        idx = self.index_
        n_audio = max(MIN_CANDIDATES, CANDIDATES_PER_RESULT * size)
        reach = self._reach(seed_pos)
        # The audio neighbours unscored: every candidate is scored exactly below.
        # fetch_factor=1: faiss's inner products are exact, and every candidate is rescored.
        audio = index.candidates(self.unit_[seed_pos], n_audio, mask=candidates, n_probe=HYBRID_N_PROBE, fetch_factor=1)
        parts = [audio, reach.playlist_tracks]
        if len(reach.seed_artists):
            parts.append(row_entries(self.artist_tracks_, reach.seed_artists)[0])
        albums = idx.album[seed_pos]
        if (albums >= 0).any():
            parts.append(row_entries(self.album_tracks_, albums[albums >= 0])[0])
        if reach.best_artist_tracks is not None:
            parts.append(reach.best_artist_tracks)
        rows = sorted_unique(np.concatenate(parts).astype(np.int64))
        rows = rows[candidates[rows]]
        early = [signal.name for signal in SIGNALS if signal.name not in LATE_SIGNALS]
        scores = self._weighted_sum(self._row_components(seed_pos, rows, reach, early), len(rows))
        scores = np.where(np.isfinite(scores), scores, np.float32(-1e30))
        late = [name for name in LATE_SIGNALS if self.weights_[name]]
        if len(rows) > size and late:
            # Bound and prune: the late signals add between `low` and `high` to every row's
            # score, so the size-th best final score is at least the size-th best score so far
            # plus `low`, and a row below it even with `high` cannot enter the pool (the slack
            # covers float32 rounding).
            low = sum(self.weights_[name] * LATE_SIGNALS[name][0] for name in late)
            high = sum(self.weights_[name] * LATE_SIGNALS[name][1] for name in late)
            kth = -np.partition(-scores, size - 1)[size - 1]
            live = scores + np.float32((high - low) * 1.001) >= kth
            rows, scores = rows[live], scores[live]
        if late:
            scores = scores + self._weighted_sum(self._row_components(seed_pos, rows, reach, late), len(rows))
        if len(rows) > size:  # sort only the best `size` and every track tied with the last of them
            kth = np.partition(-scores, size - 1)[size - 1]
            best = -scores <= kth
            rows, scores = rows[best], scores[best]
        order = np.lexsort((rows, -scores))[:size]
        return rows[order], scores[order]

    def _signals(self, seed_pos: np.ndarray, rec_pos: np.ndarray) -> list[list[str]]:
        """The phrases of the signals a track shares with the seeds (see Signal.says)."""
        phrase = 0 if len(seed_pos) == 1 else 1
        return [[signal.says[phrase] for signal in shared] for shared in self._shared_signals(seed_pos, rec_pos)]

    def _shared_signals(self, seed_pos: np.ndarray, rec_pos: np.ndarray) -> list[list[Signal]]:
        """Per track, the signals with a phrase that it shares with the seeds (SIGNALS order)."""
        out: list[list[Signal]] = [[] for _ in rec_pos]
        touched = {
            signal.name: signal.touches(self, seed_pos, rec_pos)
            for signal in SIGNALS if signal.says is not None and self.weights_[signal.name]
        }
        for signal in SIGNALS:
            shows = touched.get(signal.name)
            if shows is None:
                continue
            for other in signal.unless:
                if touched.get(other) is not None:
                    shows = shows & ~touched[other]
            for i in np.flatnonzero(shows).tolist():
                out[i].append(signal)
        return out


def _fractional_year(tracks: pd.DataFrame) -> np.ndarray:
    """Release date as a float year (2019-07-01 -> 2019.5); mid-year / mid-month if partial."""
    year = tracks["release_year"].to_numpy(dtype=np.float32, na_value=np.nan)
    if "release_date" not in tracks:
        return year + 0.5
    text = tracks["release_date"].astype("string")
    month = _number_or_nan(text.str.slice(5, 7))
    day = _number_or_nan(text.str.slice(8, 10))
    frac = np.where(np.isnan(month), 0.5, (month - 1 + np.where(np.isnan(day), 15.0, day) / 31.0) / 12.0)
    return (year + frac).astype(np.float32)


def _number_or_nan(text: pd.Series) -> np.ndarray:
    """``pd.to_numeric(text, errors="coerce")`` as float32, but with one Arrow cast when every
    cell is a plain number or empty (dates: ~50x faster on a million rows)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(text.astype("string").mask(text == "").array)
        return pc.cast(arr, pa.float32()).to_numpy(zero_copy_only=False).astype(np.float32)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float32, na_value=np.nan)


def _row_normalize(m: sp.spmatrix) -> sp.csr_matrix:
    m = sp.csr_matrix(m, dtype=np.float32)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    inv = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
    return sp.diags(inv) @ m


HybridRecommender.__doc__ = (HybridRecommender.__doc__ or "") + "\n" + "\n".join(
    "    " + line for line in signal_table().splitlines()
) + "\n"
