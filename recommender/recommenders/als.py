"""``als``: matrix factorisation of the playlist x track matrix with implicit's
AlternatingLeastSquares (on the CPU), what the RecSys Challenge 2018 winners used to generate
candidates; recommends by the cosine to the mean seed factor, or by implicit's own answer for
a pseudo-playlist made of the seeds (``query``). Tracks in no playlist fall back to sound
(:class:`~.track_vectors.TrackVectorRecommender`)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..cores import available_cores
from .track_vectors import TrackVectorRecommender

__all__ = ["ALSRecommender", "ALS_QUERIES"]

ALS_QUERIES = ("mean", "pseudo_playlist")


class ALSRecommender(TrackVectorRecommender):
    """Implicit-feedback ALS: playlists are the users, tracks the items.

    Parameters
    ----------
    factors:
        Dimensions of a track's (and a playlist's) factor vector.
    regularization:
        L2 penalty on the factors.
    alpha:
        Confidence of a track being in a playlist (implicit's weight of positive entries).
    iterations:
        ALS sweeps (each solves every playlist's factors, then every track's).
    query:
        ``"mean"``: cosine of each track's factors to the mean of the seeds' (unit) factors.
        ``"pseudo_playlist"``: the seeds as a new playlist, its factors solved by implicit
        (``recalculate_user``, what ``recommend(..., recalculate_user=True)`` does), each track
        scored by the dot product with them, as implicit ranks (scaled to -1..1).
    num_threads:
        Threads of the factorisation (0: every core this process may use). BLAS runs on one
        thread meanwhile, as implicit asks.
    cold_weight, cold_neighbors:
        The fallback to sound (see :class:`~.track_vectors.TrackVectorRecommender`).
    random_state:
        Seeds the initial factors (each thread solves its own rows, so the factors do not
        depend on the number of threads).
    """

    name = "als"
    says = ("shares playlists' taste with your seed", "shares playlists' taste with your seeds")

    def __init__(self, factors: int = 64, regularization: float = 0.05, alpha: float = 10.0, iterations: int = 15,
                 query: str = "pseudo_playlist", num_threads: int = 0, cold_weight: float = 1.0, cold_neighbors: int = 10,
                 random_state: int | None = 0) -> None:
        super().__init__(cold_weight=cold_weight, cold_neighbors=cold_neighbors, random_state=random_state)
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.query = query
        self.num_threads = num_threads

    def _learn_vectors(self, playlist_tracks: sp.csr_matrix) -> np.ndarray:
        if self.query not in ALS_QUERIES:
            raise ValueError(f"query must be one of {', '.join(ALS_QUERIES)}, not {self.query!r}")
        from implicit.cpu.als import AlternatingLeastSquares  # the CPU model: never implicit.gpu
        from threadpoolctl import threadpool_limits

        threads = int(self.num_threads) or available_cores()
        with threadpool_limits(1, "blas"):  # implicit's own threads do the work
            model = AlternatingLeastSquares(
                factors=int(self.factors), regularization=float(self.regularization), alpha=float(self.alpha),
                iterations=int(self.iterations), num_threads=threads, random_state=self.random_state,
            )
            model.fit(sp.csr_matrix(playlist_tracks, dtype=np.float32), show_progress=False)
        factors = np.asarray(model.item_factors, dtype=np.float32)
        if self.query == "pseudo_playlist":
            self.model_ = model
            norms = np.linalg.norm(factors, axis=1)
            self.max_norm_ = float(norms.max()) if len(norms) else 1.0
        else:
            self.__dict__.pop("model_", None)
        return factors

    def _vector_scores(self, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if self.query != "pseudo_playlist":
            return super()._vector_scores(rows, weights)
        from threadpoolctl import threadpool_limits

        model = self.model_
        playlist = sp.csr_matrix((weights, (np.zeros(len(rows), dtype=np.int64), rows)),
                                 shape=(1, self.index_.n), dtype=np.float32)
        playlist.sum_duplicates()
        with threadpool_limits(1, "blas"):
            user = np.asarray(model.recalculate_user(0, playlist), dtype=np.float32)
        raw = np.asarray(model.item_factors, dtype=np.float32) @ user
        return raw / max(float(np.linalg.norm(user)) * self.max_norm_, 1e-12)
