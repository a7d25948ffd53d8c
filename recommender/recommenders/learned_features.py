"""The features the ``learned`` re-ranker scores a candidate from (see :mod:`.learned`).

One query's candidates are the hybrid's best ``n_candidates`` tracks by its hand-weighted sum
(never a seed). Each candidate is described by:

- the eleven signal values (:data:`~.hybrid_signals.SIGNALS`), the hand score and its rank;
- the same signals *relative to this query's candidates* (the standard learning-to-rank trick:
  a signal's scale differs from query to query, e.g. the audio cosines of a tight seed set are
  all high): the share of candidates scoring above the track (``*_above``, 0 = the best) and
  its value over the best candidate's (``*_of_best``);
- the query: log(1 + seeds), the mean cosine between the seeds' sounds;
- popularity and its gap to the seeds' mean;
- the track's artist among the candidates: how many of the best :data:`ARTIST_TOP` candidates
  (hand order) share its first-listed artist (an artist the seeds pull in strongly);
- the words its title shares with the seeds' titles (:func:`title_words`): the cosine between
  the track's title words and the seeds' mean title words (a language, a scene's slang, a
  "remix" or "live" the seeds have in common; no signal touches it, so the explanations'
  zeroed signals leave it as it is).

Relative features of a track outside the candidates (e.g. a recommendation the filters moved
down) are measured against the same candidates, so every track has them.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from ..catalog import Catalog
from .hybrid import HybridRecommender
from .hybrid_signals import SIGNALS

__all__ = ["FEATURES", "ALL_FEATURES", "QueryCandidates", "query_candidates", "feature_columns",
           "candidate_features", "title_words"]

SIGNAL_NAMES: tuple[str, ...] = tuple(signal.name for signal in SIGNALS)
ARTIST_TOP = 100  # the candidates the artist count looks at
BASE_FEATURES: tuple[str, ...] = (
    *SIGNAL_NAMES, "hand_score", "hand_rank", "n_seeds", "popularity", "popularity_gap",
    "seed_coherence", "hand_share", "audio_share",
)
RELATIVE_FEATURES: tuple[str, ...] = (
    *(f"{name}_above" for name in (*SIGNAL_NAMES, "hand_score")),
    *(f"{name}_of_best" for name in SIGNAL_NAMES),
)
ALL_FEATURES: tuple[str, ...] = (*BASE_FEATURES, *RELATIVE_FEATURES, "artist_in_top", "artist_candidates",
                                  "title_words")
FEATURES: tuple[str, ...] = ALL_FEATURES  # what the re-ranker is trained on (chosen on the validation splits)


@dataclass
class QueryCandidates:
    """One query's signals over every track, its hand scores and its candidates (hand order)."""

    seed_pos: np.ndarray
    components: dict[str, np.ndarray]
    hand: np.ndarray  # every track; finite (-1e30 where the sum was not)
    rows: np.ndarray  # the candidates, best hand score first

    @cached_property
    def descending(self) -> np.ndarray:
        """The non-seed tracks' hand scores, negated and sorted (for ranks)."""
        return np.sort(-np.delete(self.hand, self.seed_pos))

    def rank(self, hand: np.ndarray) -> np.ndarray:
        """How many non-seed tracks score strictly above each of these hand scores."""
        return np.searchsorted(self.descending, -hand, side="left")


def query_candidates(model: HybridRecommender, seed_pos: np.ndarray, n_candidates: int) -> QueryCandidates:
    """The hybrid's best ``n_candidates`` tracks for these seeds (never a seed), ties by position."""
    n = model.index_.n
    components = model._components(seed_pos)
    hand = model._weighted_sum(components, n)
    hand = np.where(np.isfinite(hand), hand, np.float32(-1e30))
    ranked = hand.copy()
    ranked[seed_pos] = -np.inf
    size = min(n_candidates, n - len(np.unique(seed_pos)))
    rows = np.argpartition(-ranked, size - 1)[:size] if 0 < size < n else np.flatnonzero(np.isfinite(ranked))
    rows = rows[np.lexsort((rows, -ranked[rows]))]
    return QueryCandidates(seed_pos, components, hand, rows)


def _above(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Share of ``reference`` values strictly above each of ``values`` (0 = at the top)."""
    ordered = np.sort(reference)
    above = len(ordered) - np.searchsorted(ordered, values, side="right")
    return (above / max(len(ordered), 1)).astype(np.float32)


def _of_best(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    best = float(reference.max()) if len(reference) else 0.0
    return (values / best).astype(np.float32) if best > 0 else np.zeros(len(values), np.float32)


def _seed_coherence(model: HybridRecommender, seed_pos: np.ndarray) -> float:
    """Mean cosine between the seeds' sounds (1 for one seed): how alike the listener's seeds are."""
    unit = getattr(model, "unit_", None)
    if unit is None or len(seed_pos) < 2:
        return 1.0
    sims = unit[seed_pos] @ unit[seed_pos].T
    n = len(seed_pos)
    return float((sims.sum() - np.trace(sims)) / (n * (n - 1)))


def _share(values: np.ndarray | None, at_rows: np.ndarray, seed_pos: np.ndarray) -> np.ndarray:
    """``at_rows`` (values of some tracks) over the best of ``values`` among the non-seed tracks."""
    if values is None:
        return np.zeros(len(at_rows), np.float32)
    return _of_best(at_rows, np.delete(values, seed_pos) if len(seed_pos) < len(values) else values)


def title_words(catalog: Catalog) -> sp.csr_matrix:
    """Each track's title as a unit-length vector of the words in it (lower case; every word,
    version marks and little words included: they carry the title's language), tracks x words."""
    titles = catalog.tracks["track_name"].astype("string").fillna("").tolist()
    try:
        counts = CountVectorizer(binary=True, token_pattern=r"(?u)\b\w+\b", dtype=np.float32).fit_transform(titles)
    except ValueError:  # no title has a word
        return sp.csr_matrix((len(titles), 1), dtype=np.float32)
    return normalize(counts).astype(np.float32).tocsr()


def _title_match(model: HybridRecommender, seed_pos: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Cosine between each track's title words and the seeds' mean title words (0 without titles)."""
    words = getattr(model, "title_words_", None)
    if words is None or not len(seed_pos):
        return np.zeros(len(rows), np.float32)
    profile = np.asarray(words[seed_pos].mean(axis=0), dtype=np.float32).ravel()
    norm = float(np.linalg.norm(profile))
    if norm == 0:
        return np.zeros(len(rows), np.float32)
    return np.asarray(words[rows] @ (profile / norm), dtype=np.float32).ravel()


def feature_columns(model: HybridRecommender, query: QueryCandidates, rows: np.ndarray,
                    names: tuple[str, ...] = FEATURES, without: str | None = None) -> np.ndarray:
    """``names`` (of :data:`ALL_FEATURES`) at ``rows`` as float32, one row per track.
    ``without``: as if these tracks scored 0 on that signal (the hand score, its rank and the
    relative features follow; the other candidates stay as they are), for the explanations."""
    n, seed_pos, cand = len(rows), query.seed_pos, query.rows
    popularity = model._popularity_prior(model.index_.popularity)
    zeros = np.zeros(n, np.float32)
    wanted = set(names)
    columns: dict[str, np.ndarray] = {}
    hand = query.hand[rows]
    for name in SIGNAL_NAMES:
        values = query.components.get(name)
        columns[name] = values[rows] if values is not None else zeros
        if name == without:
            hand = hand - np.float32(model.weights_[name]) * columns[name]
            columns[name] = zeros
        if f"{name}_above" in wanted:
            columns[f"{name}_above"] = _above(columns[name], values[cand]) if values is not None else zeros
        if f"{name}_of_best" in wanted:
            columns[f"{name}_of_best"] = _of_best(columns[name], values[cand]) if values is not None else zeros
    columns["hand_score"] = hand
    columns["hand_score_above"] = _above(hand, query.hand[cand])
    columns["hand_rank"] = query.rank(hand).astype(np.float32) / max(len(cand), 1)
    columns["n_seeds"] = np.full(n, np.log1p(len(seed_pos)), np.float32)
    columns["popularity"] = popularity[rows]
    columns["popularity_gap"] = popularity[rows] - popularity[seed_pos].mean()
    columns["seed_coherence"] = np.full(n, _seed_coherence(model, seed_pos), np.float32)
    columns["hand_share"] = _share(query.hand, hand, seed_pos)
    columns["audio_share"] = _share(query.components.get("audio"), columns["audio"], seed_pos)
    if {"artist_in_top", "artist_candidates"} & wanted:
        primary = model.index_.primary_artist
        width = int(primary.max()) + 1 if len(primary) else 1
        top = np.bincount(primary[cand[:ARTIST_TOP]], minlength=width)
        every = np.bincount(primary[cand], minlength=width)
        columns["artist_in_top"] = top[primary[rows]].astype(np.float32)
        columns["artist_candidates"] = np.log1p(every[primary[rows]]).astype(np.float32)
    if "title_words" in wanted:
        columns["title_words"] = _title_match(model, seed_pos, rows)
    return np.column_stack([columns[name] for name in names]).astype(np.float32)


def candidate_features(model: HybridRecommender, seed_pos: np.ndarray, n_candidates: int,
                       with_hand: bool = False, names: tuple[str, ...] = FEATURES):  # noqa: ANN201
    """The hybrid's best ``n_candidates`` tracks (never a seed) and their features ``names``
    (float32, one row per candidate; ``with_hand`` also returns the hand score of every track)."""
    query = query_candidates(model, seed_pos, n_candidates)
    X = feature_columns(model, query, query.rows, names)
    return (query.rows, X, query.hand) if with_hand else (query.rows, X)
