"""The fitted catalog as every method needs it: sparse incidence matrices and arrays
(:class:`CatalogIndex`), built once per catalog and shared by the methods fitted on it
(see :mod:`.shared`)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..catalog import Catalog
from ..neighbors import sorted_unique
from ..songs import catalog_song_codes
from .sparse import csr, row_entries, split_artists

__all__ = ["CatalogIndex"]


def _member_positions(catalog: Catalog) -> np.ndarray:
    """``catalog.positions(catalog.memberships["track_id"])`` by factorizing the track IDs
    and the memberships' IDs together: distinct track IDs get codes 0..n-1 (their rows) and
    a membership's code is its track's row. The strings stay in Arrow memory, where the
    ID index takes ~1M Python strings (the fit's peak memory on a million tracks)."""
    ids, member_ids = catalog.tracks["track_id"], catalog.memberships["track_id"]
    codes, _ = pd.factorize(pd.concat([ids, member_ids], ignore_index=True))
    n = len(ids)
    if not np.array_equal(codes[:n], np.arange(n)):  # repeated or missing track IDs
        return catalog.positions(member_ids)
    pos = codes[n:].astype(np.int64)
    pos[pos >= n] = -1  # not a catalog track
    return pos


class CatalogIndex:
    """Sparse incidence matrices and arrays every method needs (read-only once built; its
    lazy look-ups are derived and idempotent, so methods and threads can share one)."""

    def __init__(self, catalog: Catalog) -> None:
        t = catalog.tracks
        n = len(t)
        self.n = n
        # artists: track x artist incidence; the first-listed artist is the "primary" one.
        rows, artist_names, first = split_artists(t["artists"])
        codes, names = pd.factorize(artist_names)
        self.artists = csr(rows, codes, (n, len(names)))
        self.artist_names = list(names)
        primary = pd.Index(names).get_indexer(first)
        # Tracks without an artist each count as their own "artist" for the diversity cap.
        no_artist = primary < 0
        primary[no_artist] = len(names) + np.flatnonzero(no_artist)
        self.primary_artist = primary.astype(np.int64)
        # playlists and genre labels from the memberships.
        m = catalog.memberships
        pos = _member_positions(catalog) if len(m) else np.zeros(0, dtype=np.int64)
        ok = pos >= 0
        pl = m["playlist_id"].astype("string")
        has_pl = ok & pl.notna().to_numpy()
        pl_codes, pl_names = pd.factorize(pl[has_pl])
        self.playlists = csr(pos[has_pl], pl_codes, (n, len(pl_names)))
        self.playlist_ids = list(pl_names)
        # genre labels (genres and subgenres, lower case) for filters and taste profiles.
        labels = pd.concat(
            [
                pd.DataFrame({"pos": pos[ok], "label": m["genre"].astype("string")[ok].str.lower().to_numpy()}),
                pd.DataFrame({"pos": pos[ok], "label": m["subgenre"].astype("string")[ok].str.lower().to_numpy()}),
            ]
        ).dropna()
        labels = labels[labels["label"].str.strip() != ""]
        lab_codes, lab_names = pd.factorize(labels["label"].str.strip())
        self.genres = csr(labels["pos"].to_numpy(), lab_codes, (n, len(lab_names)))
        self.genre_names = list(lab_names)
        sub = m["subgenre"].astype("string")[ok]
        use = sub if sub.notna().any() else m["genre"].astype("string")[ok]
        keep = use.notna().to_numpy()
        s_codes, s_names = pd.factorize(use[keep].str.lower())
        self.styles = sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=np.float32), (pos[ok][keep], s_codes)), shape=(n, len(s_names))
        )  # counts: how often a track is filed under each (sub)genre
        self.style_names = list(s_names)
        alb = t["album_id"].astype("string") if "album_id" in t else pd.Series(pd.NA, index=t.index)
        alb_codes, _ = pd.factorize(alb)
        self.album = alb_codes.astype(np.int64)  # -1 unknown
        self.popularity = t["popularity"].to_numpy(dtype=np.float32, na_value=np.nan)
        self.year = t["release_year"].to_numpy(dtype=np.float32, na_value=np.nan)
        self.song = catalog_song_codes(catalog)  # equal codes: versions of one song

    def song_versions(self, positions: np.ndarray) -> np.ndarray:
        """Every track that is a version of the songs at ``positions`` (them included),
        from a song -> tracks index built on first use (no pass over the catalog per query)."""
        if "_song_tracks" not in self.__dict__:
            order = np.argsort(self.song, kind="stable")
            starts = np.searchsorted(self.song[order], np.arange(int(self.song.max()) + 2 if self.n else 1))
            self._song_tracks = (order, starts)
        order, starts = self._song_tracks
        songs = sorted_unique(self.song[np.asarray(positions, dtype=np.int64)])
        if len(songs) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([order[starts[s]:starts[s + 1]] for s in songs.tolist()])

    def __getstate__(self) -> dict:
        # Cached column views of the catalog are rebuilt on demand: not stored twice in pickles.
        state = self.__dict__.copy()
        state.pop("_filter_values", None)
        state.pop("_song_tracks", None)
        return state

    def filter_values(self, tracks: pd.DataFrame, name: str) -> tuple[np.ndarray, int]:
        """A numeric tracks column for min/max filters (NaN unknown) and its number of
        unknown values, looked up once per fit. A float32 column is used as it is stored (no
        float64 copy: :func:`float32_bound` keeps the comparisons exact)."""
        cache = self.__dict__.setdefault("_filter_values", {})
        if name not in cache:
            values = tracks[name].to_numpy() if name in tracks else None
            if not (isinstance(values, np.ndarray) and values.dtype == np.float32):
                values = (
                    tracks[name].to_numpy(dtype=np.float64, na_value=np.nan)
                    if name in tracks else np.full(self.n, np.nan)
                )
            cache[name] = (values, int(np.count_nonzero(np.isnan(values))))
        return cache[name]

    @property
    def n_albums(self) -> int:
        """Number of distinct albums (codes 0..n_albums-1), counted once."""
        if "_n_albums" not in self.__dict__:
            self._n_albums = int(self.album.max()) + 1 if len(self.album) else 0
        return self._n_albums

    def seed_artist_columns(self, seed_pos: np.ndarray) -> np.ndarray:
        return sorted_unique(row_entries(self.artists, seed_pos)[0])

    def has_artist(self, artist_cols: np.ndarray) -> np.ndarray:
        if len(artist_cols) == 0:
            return np.zeros(self.n, dtype=bool)
        return np.asarray(self.artists[:, artist_cols].sum(axis=1)).ravel() > 0
