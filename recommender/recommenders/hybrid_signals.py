"""The hybrid's signals, each written once: its default weight, what it measures, its value for
every track (small catalogs, the evaluation), its value at candidate rows only (big catalogs)
and, where a listener would care, the phrase that explains it.

Every signal lies in 0..1. The weights were chosen by coordinate search on the validation split
of the playlist-continuation protocol (:func:`recommender.evaluation.evaluate` with
``random_state=1``, 100 playlists, 5 seeds: recall@100 0.165 for the first equal-ish weights,
0.232 after), never on the reported split (``random_state=0``). Co-occurrence gets a small
weight because the protocol blanks the held-out playlists, so it can rarely show there; the
artist-level signals carry the playlist knowledge instead.

The row values equal the full vectors at those rows (sums of a row's entries are taken in
another order, so up to float32 rounding), read from the rows' sparse entries with NumPy:
nothing is computed over every track or every artist.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from ..neighbors import sorted_unique
from .sparse import row_dot, row_entries, row_slots, rows_touching

if TYPE_CHECKING:
    from .hybrid import HybridRecommender, Reach

__all__ = ["Signal", "SIGNALS", "DenseQuery", "RowQuery", "kernel_mean", "max_scale", "signal_table"]


# ----------------------------------------------------------------------------- query contexts
@dataclass
class DenseQuery:
    """One query scored over every track; shared pieces are computed once, on first use."""

    model: HybridRecommender
    seed_pos: np.ndarray

    @cached_property
    def sims(self) -> np.ndarray:  # (tracks, seeds) cosines via BLAS
        return self.model.unit_ @ self.model.unit_[self.seed_pos].T


@dataclass
class RowQuery:
    """One query scored at candidate ``rows`` only; ``reach`` is what the seeds reach."""

    model: HybridRecommender
    seed_pos: np.ndarray
    rows: np.ndarray
    reach: Reach
    _owner: np.ndarray | None = field(default=None, repr=False)

    @cached_property
    def sims(self) -> np.ndarray:  # (seeds, rows): each reduction is s-1 vector ops
        return self.model.unit_[self.seed_pos] @ self.model.unit_[self.rows].T

    @cached_property
    def row_artists(self) -> np.ndarray:
        """The rows' artists (the incidence holds ones), shared by the three artist signals."""
        artists = self.model.index_.artists
        slots, self._owner = row_slots(artists, self.rows)
        return artists.indices[slots]

    def over_artists(self, per_artist_values: np.ndarray) -> np.ndarray:
        """Sum over each row's artists of a value per (row, artist) entry."""
        self.row_artists  # noqa: B018 - sets the owner of each entry
        return np.bincount(self._owner, weights=per_artist_values, minlength=len(self.rows))

    @cached_property
    def popularity(self) -> np.ndarray:  # one gather for both popularity signals
        return self.model.index_.popularity[self.rows]


# ----------------------------------------------------------------------------- one signal
@dataclass(frozen=True)
class Signal:
    """One of the hybrid's signals. ``dense`` / ``at_rows`` return None when the signal has
    nothing to say for this query (no playlists, no known album, ...). ``says`` (one seed,
    several seeds) is the explanation shown where ``touches`` is true, unless a signal named
    in ``unless`` already explained the track."""

    name: str
    weight: float
    about: str
    dense: Callable[[DenseQuery], np.ndarray | None]
    at_rows: Callable[[RowQuery], np.ndarray | None]
    says: tuple[str, str] | None = None
    touches: Callable[[HybridRecommender, np.ndarray, np.ndarray], np.ndarray | None] | None = None
    unless: tuple[str, ...] = ()


def kernel_mean(values: np.ndarray, seed_values: np.ndarray, scale: float) -> np.ndarray:
    """Mean over seeds of exp(-|value - seed value| / scale); 0 where unknown."""
    seed_values = seed_values[~np.isnan(seed_values)]
    if len(seed_values) == 0:
        return np.zeros(len(values), dtype=np.float32)
    out = np.zeros(len(values), dtype=np.float32)
    for v in seed_values:  # loop over seeds (a handful), each step vectorised over tracks
        out += np.exp(-np.abs(values - v) / np.float32(scale))
    return np.nan_to_num(out / len(seed_values)).astype(np.float32)


def max_scale(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32).ravel()
    top = float(v.max()) if v.size else 0.0
    return v / top if top > 0 else v


def _has_sound(q: DenseQuery | RowQuery) -> bool:
    return q.model.unit_ is not None


# audio, audio_closest, artist_audio -------------------------------------------------------
def _audio_dense(q: DenseQuery) -> np.ndarray | None:
    return q.sims.mean(axis=1) if _has_sound(q) else None


def _audio_rows(q: RowQuery) -> np.ndarray | None:
    return q.sims.mean(axis=0) if _has_sound(q) else None


def _closest_dense(q: DenseQuery) -> np.ndarray | None:
    return q.sims.max(axis=1) if _has_sound(q) else None


def _closest_rows(q: RowQuery) -> np.ndarray | None:
    return q.sims.max(axis=0) if _has_sound(q) else None


def _artist_audio_dense(q: DenseQuery) -> np.ndarray | None:
    if not _has_sound(q):
        return None
    m = q.model
    centre = m.unit_[q.seed_pos].mean(axis=0)
    return (m.index_.artists @ (m.artist_sound_ @ centre)) / m.artists_per_track_


def _artist_audio_rows(q: RowQuery) -> np.ndarray | None:
    if not _has_sound(q):
        return None
    m = q.model
    centre = m.unit_[q.seed_pos].mean(axis=0)
    return q.over_artists(m.artist_sound_[q.row_artists] @ centre) / m.artists_per_track_[q.rows]


# release_date, popularity_match, popularity -----------------------------------------------
def _date_dense(q: DenseQuery) -> np.ndarray:
    m = q.model
    return kernel_mean(m.date_, m.date_[q.seed_pos], m.date_scale)


def _date_rows(q: RowQuery) -> np.ndarray:
    m = q.model
    return kernel_mean(m.date_[q.rows], m.date_[q.seed_pos], m.date_scale)


def _pop_match_dense(q: DenseQuery) -> np.ndarray:
    pop = q.model.index_.popularity
    return kernel_mean(pop, pop[q.seed_pos], q.model.popularity_scale)


def _pop_match_rows(q: RowQuery) -> np.ndarray:
    return kernel_mean(q.popularity, q.model.index_.popularity[q.seed_pos], q.model.popularity_scale)


def _prior_dense(q: DenseQuery) -> np.ndarray:
    return q.model._popularity_prior(q.model.index_.popularity)


def _prior_rows(q: RowQuery) -> np.ndarray:
    return q.model._popularity_prior(q.popularity)


# same_artist, album ---------------------------------------------------------------------
def _same_artist_dense(q: DenseQuery) -> np.ndarray:
    idx = q.model.index_
    seed_artists = np.asarray(idx.artists[q.seed_pos].sum(axis=0)).ravel()
    return np.minimum(idx.artists @ (seed_artists / len(q.seed_pos)), 1.0)


def _same_artist_rows(q: RowQuery) -> np.ndarray:
    # how many seeds list each of the row's artists (the seeds' artists, with repeats)
    seed_artists = np.sort(row_entries(q.model.index_.artists, q.seed_pos)[0])
    row_artists = q.row_artists
    counts = np.searchsorted(seed_artists, row_artists, "right") - np.searchsorted(seed_artists, row_artists, "left")
    return np.minimum(q.over_artists(counts.astype(np.float32) / len(q.seed_pos)), 1.0)


def _same_artist_touches(m: HybridRecommender, seed_pos: np.ndarray, rec_pos: np.ndarray) -> np.ndarray | None:
    seed_artists = m.index_.seed_artist_columns(seed_pos)
    # The incidence matrices hold ones: "shares one" is "has an entry in those columns".
    return rows_touching(m.index_.artists, rec_pos, seed_artists) if len(seed_artists) else None


def _seed_albums(m: HybridRecommender, seed_pos: np.ndarray) -> np.ndarray:
    albums = m.index_.album[seed_pos]
    return albums[albums >= 0]


def _album_dense(q: DenseQuery) -> np.ndarray | None:
    idx = q.model.index_
    albums = _seed_albums(q.model, q.seed_pos)
    if not len(albums):
        return None
    counts = np.bincount(albums, minlength=idx.n_albums).astype(np.float32) / len(q.seed_pos)
    return np.where(idx.album >= 0, counts[np.maximum(idx.album, 0)], 0.0)


def _album_rows(q: RowQuery) -> np.ndarray | None:
    albums = _seed_albums(q.model, q.seed_pos)
    if not len(albums):
        return None
    album = q.model.index_.album[q.rows]
    counts = np.zeros(len(q.rows), dtype=np.float32)
    for seed_album in albums:  # a handful of seeds, each a vector op over the rows
        counts += album == seed_album
    return np.where(album >= 0, counts / len(q.seed_pos), 0.0)


def _album_touches(m: HybridRecommender, seed_pos: np.ndarray, rec_pos: np.ndarray) -> np.ndarray:
    return np.isin(m.index_.album[rec_pos], _seed_albums(m, seed_pos))


# artist_playlists, cooccurrence -----------------------------------------------------------
def _artist_playlists_dense(q: DenseQuery) -> np.ndarray | None:
    per_artist = q.model._artist_playlist_scores(q.seed_pos)
    return None if per_artist is None else max_scale(q.model.index_.artists @ per_artist)


def _artist_playlists_rows(q: RowQuery) -> np.ndarray | None:
    reach, m = q.reach, q.model
    if reach.per_artist is None:
        return None
    values = q.over_artists(reach.per_artist[q.row_artists])
    # The scale: the largest value over the reached tracks. A track's value is the sum of its
    # artists' scores (all >= 0), so it is the best artist's score unless a track with several
    # artists sums to more: only those need their sums.
    reached = reach.artist_tracks
    several = reached[m.artists_per_track_[reached] > 1]
    top = float(reach.per_artist.max()) if len(reached) else 0.0
    if len(several):
        top = max(top, float(row_dot(m.index_.artists, several, reach.per_artist).max()))
    return values / top if top > 0 else values


def _artist_playlists_touches(m: HybridRecommender, seed_pos: np.ndarray, rec_pos: np.ndarray) -> np.ndarray | None:
    seed_artists = m.index_.seed_artist_columns(seed_pos)
    if not (len(seed_artists) and m.artist_playlists_.shape[1]):
        return None
    seed_ap = sorted_unique(row_entries(m.artist_playlists_, seed_artists)[0])
    if not len(seed_ap):
        return None
    # per (track, artist) pair: is the artist in one of the seed artists' playlists
    rec_artists, owner = row_entries(m.index_.artists, rec_pos)
    hit = rows_touching(m.artist_playlists_, rec_artists, seed_ap)
    return np.bincount(owner[hit], minlength=len(rec_pos)) > 0


def _cooccurrence_dense(q: DenseQuery) -> np.ndarray | None:
    idx, m = q.model.index_, q.model
    if not idx.playlists.shape[1]:
        return None
    seed_rows = idx.playlists[q.seed_pos]
    if not seed_rows.nnz:
        return None
    query = np.asarray(seed_rows.sum(axis=0)).ravel() * m.playlist_weight_
    return max_scale(idx.playlists @ query)


def _cooccurrence_rows(q: RowQuery) -> np.ndarray | None:
    reached = q.reach.playlist_tracks
    if not len(reached):
        return None
    # Non-zero only on the tracks of the seeds' playlists: score those, look the rows up.
    on_reached = row_dot(q.model.index_.playlists, reached, q.reach.playlist_query)
    top = float(on_reached.max())
    at = np.minimum(np.searchsorted(reached, q.rows), len(reached) - 1)
    values = np.where(reached[at] == q.rows, on_reached[at], np.float32(0))
    return values / np.float32(top) if top > 0 else values


def _cooccurrence_touches(m: HybridRecommender, seed_pos: np.ndarray, rec_pos: np.ndarray) -> np.ndarray | None:
    playlists = m.index_.playlists
    if not playlists.shape[1]:
        return None
    seed_pl = sorted_unique(row_entries(playlists, seed_pos)[0])
    return rows_touching(playlists, rec_pos, seed_pl) if len(seed_pl) else None


# style ------------------------------------------------------------------------------------
def _style_dense(q: DenseQuery) -> np.ndarray | None:
    style = q.model.style_
    if not style.shape[1]:
        return None
    profile = np.asarray(style[q.seed_pos].mean(axis=0)).ravel()
    norm = np.linalg.norm(profile)
    return style @ (profile / norm).astype(np.float32) if norm > 0 else None


def style_at_rows(model: HybridRecommender, seed_pos: np.ndarray, rows: np.ndarray) -> np.ndarray | None:
    """``style`` at ``rows``: a cosine of non-negative profiles, so it lies in 0..1, which the
    hybrid's candidate pool relies on to prune rows before computing it."""
    style = model.style_
    if not style.shape[1]:
        return None
    style_slots, _ = row_slots(style, seed_pos)
    profile = np.bincount(style.indices[style_slots], weights=style.data[style_slots], minlength=style.shape[1])
    profile = profile / len(seed_pos)
    norm = np.linalg.norm(profile)
    if norm == 0:
        return None
    return row_dot(style, rows, (profile / norm).astype(np.float32))


def _style_rows(q: RowQuery) -> np.ndarray | None:
    return style_at_rows(q.model, q.seed_pos, q.rows)


# ----------------------------------------------------------------------------- the list
# In the order they are summed (float32 sums depend on it).
SIGNALS: tuple[Signal, ...] = (
    Signal("audio", 0.5, "cosine to the seeds' centre in the audio feature space", _audio_dense, _audio_rows),
    Signal("audio_closest", 0.25, "cosine to the closest seed (a mixed seed set's outliers)",
           _closest_dense, _closest_rows),
    Signal("artist_audio", 0.25, "cosine of the track's artists' mean sound to the seeds' centre",
           _artist_audio_dense, _artist_audio_rows),
    Signal("release_date", 1.0, "mean over seeds of exp(-|date - seed date| / 1 year)", _date_dense, _date_rows),
    Signal("popularity_match", 0.75, "mean over seeds of exp(-|pop - seed pop| / 10)",
           _pop_match_dense, _pop_match_rows),
    Signal("same_artist", 2.0, "share of seeds that share an artist with the track",
           _same_artist_dense, _same_artist_rows,
           says=("same artist as your seed", "same artist as a seed"), touches=_same_artist_touches),
    Signal("album", 1.2, "share of seeds on the same album", _album_dense, _album_rows,
           says=("from the same album as your seed", "from the same album as a seed"), touches=_album_touches,
           unless=("same_artist",)),
    Signal("artist_playlists", 0.5,
           "artists co-playlisted with the seeds' artists (artist x playlist matrix, playlists weighted "
           "1/log(1+size), each artist's score divided by its number of playlists), max-scaled",
           _artist_playlists_dense, _artist_playlists_rows,
           says=("its artist is in playlists with your seed's artist", "its artist is in playlists with your seeds' artists"),
           touches=_artist_playlists_touches, unless=("cooccurrence", "same_artist")),
    Signal("cooccurrence", 0.1,
           "item-based CF: playlists shared with the seeds (track x playlist matrix, 1/log(1+size) weights), "
           "max-scaled", _cooccurrence_dense, _cooccurrence_rows,
           says=("in the same playlists as your seed", "in the same playlists as your seeds"),
           touches=_cooccurrence_touches),
    Signal("style", 0.25, "cosine of (sub)genre profiles (own + artists' playlists)", _style_dense, _style_rows),
    Signal("popularity", 0.1, "popularity / 100 (a small prior)", _prior_dense, _prior_rows),
)


def signal_table() -> str:
    """The signals as a reStructuredText table (for the hybrid's docstring)."""
    width = max(len(s.name) for s in SIGNALS) + 4
    rule = f"{'=' * width}  ======  {'=' * 60}"
    lines = [rule, f"{'signal':<{width}}  weight  what it measures", rule]
    lines += [f"{'``' + s.name + '``':<{width}}  {s.weight:<6g}  {s.about}" for s in SIGNALS]
    return "\n".join([*lines, rule])
