"""``learned``: the hybrid's candidates, re-ranked by gradient-boosted trees learned from playlists.

Two stages, as the strongest playlist-continuation systems do (the RecSys Challenge 2018
winners generated candidates, then re-ranked them with boosted trees over many signals):

1. **Candidates**: the hybrid's hand-weighted sum (:class:`HybridRecommender`) over every track;
   its best ``n_candidates``.
2. **Re-ranking**: scikit-learn's :class:`~sklearn.ensemble.HistGradientBoostingClassifier`
   scores each candidate from the features of :mod:`.learned_features` (the eleven signal
   values, each also relative to this query's candidates, the hand score and rank, the number
   of seeds, popularity against the seeds', the artist's count among the best candidates, the
   title words shared with the seeds). The candidates are ordered by that
   probability of belonging to the seeds' playlist; every other track stays below them, in
   the hand order.

Training, inside :meth:`fit`, from the catalog's own playlists only (so in the evaluation,
never from a held-out playlist): the playlists are split into ``n_folds`` groups; for each
group a hybrid is fitted on the catalog with that group's playlists blanked (as the
evaluation blanks its held-out ones, so the signals look at training time as they will when
serving), and each playlist of the group gives queries (seed counts from
:data:`TRAINING_SEED_COUNTS`) whose candidates are labelled 1 when they are in the playlist.
A playlist's queries are scored only by the hybrid that never saw it: nothing leaks.

A catalog without playlists (the Kaggle layouts, audio libraries) or too big for dense
scoring (candidate mode, over :data:`~.hybrid.HYBRID_CANDIDATES_ABOVE` tracks) keeps the hand
weights; :attr:`fallback_` says why.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from ..catalog import Catalog
from ..errors import CatalogError
from ..evaluation_queries import sample_queries
from .hybrid import HYBRID_CANDIDATES_ABOVE, HybridRecommender
from .learned_features import (
    FEATURES,
    SIGNAL_NAMES,
    candidate_features,
    feature_columns,
    query_candidates,
    title_words,
)

__all__ = ["LearnedRecommender", "FEATURES", "TRAINING_SEED_COUNTS", "candidate_features"]

TRAINING_SEED_COUNTS: tuple[int, ...] = (1, 2, 3, 5, 10)  # people paste one song as often as ten
TREES_STEP = "Training the ranking trees"


def fold_step(fold: int, n_folds: int) -> str:
    """The fit step of one training fold (a hybrid fitted without its playlists, then its queries)."""
    return f"Learning from the playlists: part {fold + 1} of {n_folds}"


class LearnedRecommender(HybridRecommender):
    """The hybrid's top ``n_candidates`` re-ranked by boosted trees learned from the catalog's
    playlists (see the module doc); hand weights where there is nothing to learn from."""

    name = "learned"

    def __init__(self, n_candidates: int = 1000, n_folds: int = 4, queries_per_playlist: int = 3,
                 max_iter: int = 200, learning_rate: float = 0.05, max_leaf_nodes: int = 31,
                 weights: dict[str, float] | None = None, date_scale: float = 1.0,
                 popularity_scale: float = 10.0, random_state: int | None = 0) -> None:
        super().__init__(weights=weights, date_scale=date_scale, popularity_scale=popularity_scale,
                         random_state=random_state)
        self.n_candidates = n_candidates
        self.n_folds = n_folds
        self.queries_per_playlist = queries_per_playlist
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes

    @property
    def FIT_STEPS(self) -> tuple[str, ...]:  # the base's class attribute; the fold count is a parameter
        folds = self._fold_count()
        return (*HybridRecommender.FIT_STEPS, *(fold_step(f, folds) for f in range(folds)), TREES_STEP)

    def _fold_count(self) -> int:
        return max(self.n_folds, 2)

    # ------------------------------------------------------------------------- learning
    def _fit(self, catalog: Catalog) -> None:
        super()._fit(catalog)
        self.ranker_: HistGradientBoostingClassifier | None = None
        self.fallback_: str | None = None
        self.training_: dict[str, Any] = {}
        self.training_playlists_: list[str] = []
        if self.index_.n > HYBRID_CANDIDATES_ABOVE:
            self.fallback_ = (f"over {HYBRID_CANDIDATES_ABOVE:,} tracks the hybrid scores candidate sets, "
                              "not every track: the hand weights rank them")
            return
        queries = self._training_queries(catalog)
        if not queries:
            self.fallback_ = "this catalog has no playlists to learn from: the hand weights rank the tracks"
            return
        self.title_words_ = title_words(catalog)
        X, y = self._training_rows(catalog, queries)
        if y.sum() == 0 or y.sum() == len(y):
            self.fallback_ = "no training query found a playlist track among its candidates: the hand weights rank them"
            return
        self._fit_step(TREES_STEP)
        self.ranker_ = HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=40, l2_regularization=1.0, early_stopping=False,
            random_state=self.random_state if self.random_state is not None else 0,
        ).fit(X, y)
        self.training_ = {"queries": len(queries), "rows": int(len(y)), "positives": int(y.sum())}
        self.training_playlists_ = sorted({str(q["playlist_id"]) for q in queries})

    def _training_queries(self, catalog: Catalog) -> list[dict[str, Any]]:
        """Queries from every playlist with enough tracks, each tagged with its fold (by playlist)."""
        rng_state = self.random_state if self.random_state is not None else 0
        queries: list[dict[str, Any]] = []
        for draw in range(self.queries_per_playlist):
            for i, n_seeds in enumerate(TRAINING_SEED_COUNTS):
                try:
                    drawn = sample_queries(catalog, 10**9, n_seeds, random_state=rng_state + 101 * draw + i)
                except CatalogError:
                    continue  # no playlists at all, or none long enough for this many seeds
                # Each playlist gives one query per draw, with a seed count that rotates.
                queries += [q for q in drawn if _rotation(q["playlist_id"], draw) == i]
        folds = {pid: f for f, pid in enumerate(sorted({str(q["playlist_id"]) for q in queries}))}
        for q in queries:
            q["fold"] = folds[str(q["playlist_id"])] % self._fold_count()
        return queries

    def _training_rows(self, catalog: Catalog, queries: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        features, labels = [], []
        for fold in range(self._fold_count()):
            self._fit_step(fold_step(fold, self._fold_count()))
            mine = [q for q in queries if q["fold"] == fold]
            if not mine:
                continue
            blanked = catalog.without_playlists(sorted({q["playlist_id"] for q in mine}, key=str))
            teacher = HybridRecommender(weights=self.weights, date_scale=self.date_scale,
                                        popularity_scale=self.popularity_scale,
                                        random_state=self.random_state).fit(blanked)
            teacher.title_words_ = self.title_words_  # the same tracks in the same rows: titles are not blanked
            for q in mine:
                seed_pos = blanked.positions(q["seeds"])
                seed_pos = seed_pos[seed_pos >= 0]
                if not len(seed_pos):
                    continue
                rows, X = candidate_features(teacher, seed_pos, self.n_candidates)
                hidden = blanked.positions(list(q["hidden"]))
                features.append(X)
                labels.append(np.isin(rows, hidden[hidden >= 0]).astype(np.int8))
        if not features:
            return np.zeros((0, len(FEATURES)), dtype=np.float32), np.zeros(0, dtype=np.int8)
        return np.vstack(features), np.concatenate(labels)

    # ------------------------------------------------------------------------- answering
    def _score(self, seed_pos: np.ndarray) -> np.ndarray:
        if self.ranker_ is None:
            return super()._score(seed_pos)
        rows, X, hand = candidate_features(self, seed_pos, self.n_candidates, with_hand=True)
        # Every other track keeps the hand order, below every candidate (probabilities are >= 0);
        # the hand scores are finite (candidate_features replaced the rest).
        scores = (hand - float(hand.max()) - 1.0).astype(np.float32)
        scores[rows] = self.ranker_.predict_proba(X)[:, 1].astype(np.float32)
        return scores

    def _signals(self, seed_pos: np.ndarray, rec_pos: np.ndarray) -> list[list[str]]:
        """The shared signals (as the hybrid says them) that raised the learned score, the one that
        raised it most first: each signal's value is set to zero in turn, and the drop of the
        predicted probability is its contribution. A shared signal that did not raise it is left out."""
        shared = self._shared_signals(seed_pos, rec_pos)
        if self.ranker_ is None or not any(shared):
            return super()._signals(seed_pos, rec_pos)
        query = query_candidates(self, seed_pos, self.n_candidates)
        base = self.ranker_.predict_proba(feature_columns(self, query, rec_pos))[:, 1]
        names = sorted({signal.name for row in shared for signal in row}, key=SIGNAL_NAMES.index)
        drops = {}
        for name in names:
            without = feature_columns(self, query, rec_pos, without=name)
            drops[name] = base - self.ranker_.predict_proba(without)[:, 1]
        phrase = 0 if len(seed_pos) == 1 else 1
        return [
            [signal.says[phrase] for signal in sorted(row, key=lambda signal: -drops[signal.name][i])
             if drops[signal.name][i] > 0]
            for i, row in enumerate(shared)
        ]

    def _match(self, scores: np.ndarray):  # noqa: ANN201 - the base's type
        return super()._match(np.maximum(scores, 0.0))


def _rotation(playlist_id: Any, draw: int) -> int:
    """Which seed count a playlist's query of this draw uses (stable, spread over playlists)."""
    text = f"{playlist_id}:{draw}"
    return sum(text.encode("utf-8")) % len(TRAINING_SEED_COUNTS)
