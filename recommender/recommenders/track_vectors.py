"""The shared work of the methods that learn one vector per track from the playlists
(``playlist2vec``, ``als``): :class:`TrackVectorRecommender`.

A subclass learns the vectors (:meth:`TrackVectorRecommender._learn_vectors`) from the
playlist x track matrix; this class refuses catalogs without playlists, answers with the
cosine of every track to the mean of the seeds' vectors, and falls back to sound (the
``similar`` method's score: cosine on the standardized audio features) for tracks in no
playlist of two tracks or more, which get no vector:

- a seed without a vector is stood in for by the ``cold_neighbors`` tracks with a vector that
  sound most like it (their mean vector takes its place in the query);
- a candidate without a vector scores ``cold_weight`` x its audio similarity to the seeds,
  so a close-sounding track can still enter the list below the playlist matches.

Both are said in the track's "why".
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from ..catalog import Catalog
from ..errors import ModelError, SeedError
from .base import BaseRecommender
from .similar import default_unit_sound, unit_rows

__all__ = ["TrackVectorRecommender", "no_playlists_error"]


def no_playlists_error(catalog: Catalog, method: str, single_tracks: bool = False) -> ModelError:
    """The refusal of a playlist-learned method, naming what to use instead."""
    instead = "'sound' (it listens to your own music files)" if catalog.has_sound else (
        "'hybrid' (or 'similar' for sound alone)"
    )
    problem = (
        f"no playlist of {catalog.name} holds two of its tracks" if single_tracks
        else f"{catalog.name} has no playlists"
    )
    return ModelError(
        f"The '{method}' method learns which tracks go together from the playlists they share, "
        f"but {problem}. Use {instead} on this catalog."
    )


class TrackVectorRecommender(BaseRecommender):
    """Cosine to the mean seed vector over vectors learned from the playlists (a base class).

    Parameters
    ----------
    cold_weight:
        A track in no playlist scores this times its audio similarity to the seeds (0: such
        tracks come last).
    cold_neighbors:
        How many of the closest-sounding tracks with a vector stand in for a seed without one.
    random_state:
        Seed of the learning (the same catalog and state give the same vectors).
    """

    name: ClassVar[str] = "track_vectors"
    # What a shared vector means, in a listener's words: (one seed, several seeds).
    says: ClassVar[tuple[str, str]] = ("keeps company with your seed in playlists",
                                       "keeps company with your seeds in playlists")

    def __init__(self, cold_weight: float = 0.5, cold_neighbors: int = 10, random_state: int | None = 0) -> None:
        super().__init__(random_state)
        self.cold_weight = cold_weight
        self.cold_neighbors = cold_neighbors

    # ------------------------------------------------------------------ fitting
    def _learn_vectors(self, playlist_tracks: sp.csr_matrix) -> np.ndarray:
        """One row per track (``playlist_tracks``: playlist x track, 0/1, only playlists of
        two tracks or more); rows of tracks in none of them are ignored."""
        raise NotImplementedError

    def _fit(self, catalog: Catalog) -> None:
        if isinstance(self.cold_neighbors, bool) or int(self.cold_neighbors) < 1:
            raise ValueError(f"cold_neighbors must be a whole number >= 1, not {self.cold_neighbors!r}")
        playlists = self.index_.playlists  # track x playlist, 0/1
        if playlists.shape[1] == 0:
            raise no_playlists_error(catalog, self.name)
        sizes = np.diff(playlists.tocsc().indptr)
        useful = np.flatnonzero(sizes >= 2)  # a lone track shares a playlist with nothing
        if len(useful) == 0:
            raise no_playlists_error(catalog, self.name, single_tracks=True)
        playlist_tracks = playlists[:, useful].T.tocsr()
        self.has_vector_ = np.diff(playlist_tracks.tocsc().indptr) > 0  # in a playlist of 2+
        vectors = unit_rows(np.asarray(self._learn_vectors(playlist_tracks), dtype=np.float32))
        vectors[~self.has_vector_] = 0.0
        self.vectors_ = vectors
        # The `similar` method's space (the default audio weights, with the release year).
        self.sound_ = default_unit_sound(catalog, self.space_) if self.space_ is not None else None

    # ------------------------------------------------------------------ answering
    def _stand_ins(self, cold: np.ndarray) -> np.ndarray:
        """Per seed without a vector: the ``cold_neighbors`` tracks with a vector that sound
        most like it, one row each (empty when the catalog has no audio features)."""
        m = int(self.cold_neighbors)
        if self.sound_ is None or len(cold) == 0:
            return np.zeros((0, m), dtype=np.int64)
        sims = self.sound_ @ self.sound_[cold].T  # (n, cold) via BLAS
        sims[~self.has_vector_] = -np.inf
        m = min(m, int(self.has_vector_.sum()))
        top = np.argpartition(-sims, m - 1, axis=0)[:m]
        return top.T.astype(np.int64)

    def _query_rows(self, seed_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The tracks whose vectors make the query and their weights: each seed with a vector
        (1), and for each seed without one its stand-ins (1/m each)."""
        seed_pos = np.asarray(seed_pos, dtype=np.int64)
        warm = seed_pos[self.has_vector_[seed_pos]]
        stand_ins = self._stand_ins(seed_pos[~self.has_vector_[seed_pos]])
        rows = np.concatenate([warm, stand_ins.ravel()])
        weights = np.concatenate([
            np.ones(len(warm), dtype=np.float32),
            np.full(stand_ins.size, 1.0 / max(stand_ins.shape[1], 1), dtype=np.float32),
        ])
        if len(rows) == 0:
            raise SeedError(
                f"None of your seeds is in a playlist of {self.catalog_.name}, and it has no audio features "
                f"to find tracks that sound like them: the '{self.name}' method cannot answer. "
                "Use seeds from its playlists, or the 'hybrid' method."
            )
        return rows, weights

    def _vector_scores(self, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Per track: cosine of its vector to the weighted mean of the query rows' vectors."""
        query = weights @ self.vectors_[rows]
        query /= max(float(np.linalg.norm(query)), 1e-12)
        return self.vectors_ @ query

    def _score(self, seed_pos: np.ndarray) -> np.ndarray:
        rows, weights = self._query_rows(seed_pos)
        scores = self._vector_scores(rows, weights).astype(np.float32, copy=False)
        if self.sound_ is not None:
            # the `similar` method's score (mean aggregate) for tracks without a vector
            sound = self.sound_ @ self.sound_[seed_pos].mean(axis=0)
            cold_scores = np.float32(self.cold_weight) * sound
        else:
            cold_scores = np.full(len(scores), -2.0, dtype=np.float32)  # below every cosine
        return np.where(self.has_vector_, scores, cold_scores).astype(np.float32)

    def _signals(self, seed_pos: np.ndarray, rec_pos: np.ndarray) -> list[list[str]]:
        seed_pos = np.asarray(seed_pos, dtype=np.int64)
        cold = seed_pos[~self.has_vector_[seed_pos]]
        several = len(np.unique(seed_pos)) > 1
        stood_in = ""
        if len(cold) and self.sound_ is not None:
            names = self.catalog_.tracks["track_name"].iloc[cold[:2]].tolist()
            named = " and ".join(f"'{n}'" for n in names if isinstance(n, str) and n) or "one seed"
            more = f" (and {len(cold) - 2} more)" if len(cold) > 2 else ""
            verb = "are" if len(cold) > 1 else "is"
            stood_in = f"{named}{more} {verb} in no playlist here, so the songs that sound most like it stood in"
            if len(cold) > 1:
                stood_in = stood_in.replace("like it", "like them")
        out = []
        for warm in self.has_vector_[np.asarray(rec_pos, dtype=np.int64)].tolist():
            if warm:
                phrases = [self.says[1] if several else self.says[0]]
                if stood_in:
                    phrases.append(stood_in)
            else:
                phrases = ["in no playlist here, so matched by sound alone"]
            out.append(phrases)
        return out

