"""The shared work of every method: :class:`BaseRecommender`.

It resolves seeds (raw pasted text or IDs), excludes the seeds and the other versions of their
songs, applies :class:`~.filters.Filters` as boolean masks over the whole catalog, pulls the
ranking toward ``target_*`` values, takes the top k under the listener's rules (one version per
song, at most 2 tracks of one artist per page of 10) and writes a plain-words explanation for
every track. A method only implements ``_score(seed_positions) -> float32 vector over all
tracks`` (and optionally ``_fit``, ``_pool`` for a fast path, ``_signals`` and ``_base_reason``
for explanations, ``_match`` for its 0-100 scale). Everything is vectorised (numpy /
scipy.sparse); nothing loops over tracks or builds a tracks x tracks matrix.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..catalog import AUDIO_FEATURES, Catalog
from ..errors import FilterError, check_fitted
from ..features import FeatureSpace
from ..neighbors import sorted_unique
from ..seeds import SeedSet, resolve_seeds
from .explain import ExplainMixin, plain_filter
from .filters import FilterMasksMixin, Filters, coerce_filters
from .index import CatalogIndex
from .ranking import RankingMixin
from .result import RecommendationResult, as_match
from .shared import shared

__all__ = ["BaseRecommender", "UNCHANGED_FILTER_CHECK_UP_TO"]

# Up to this many tracks a result says which filters changed nothing (a second ranking per
# query, not paid on big catalogs' fast paths): the hybrid's candidate-mode bound.
UNCHANGED_FILTER_CHECK_UP_TO = 200_000


class BaseRecommender(FilterMasksMixin, RankingMixin, ExplainMixin):
    """Shared work of every method; subclasses implement :meth:`_score`.

    Parameters
    ----------
    random_state:
        Seed for any randomness (the same seeds and state give the same list).
    """

    name: ClassVar[str] = "base"
    requires_seeds: ClassVar[bool] = True
    requires_sound: ClassVar[bool] = False  # needs an audio library (Catalog.sound)

    def __init__(self, random_state: int | None = 0) -> None:
        self.random_state = random_state

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def __getstate__(self) -> dict:
        # Views of the catalog's columns (rebuilt on demand) would be copied into pickles.
        state = self.__dict__.copy()
        state.pop("_table_columns_", None)
        state.pop("_filter_masks_", None)
        state.pop("_plain_tags_", None)
        return state

    def get_params(self) -> dict[str, Any]:
        import inspect

        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {p: getattr(self, p, None) for p in names}

    # ------------------------------------------------------------------ fitting
    def fit(self, catalog: Catalog, on_step: Callable[[int, int, str], None] | None = None) -> BaseRecommender:
        """Index ``catalog`` and learn what the method needs; returns self.

        ``on_step(done, total, what)`` is called as each step of the fit starts (a progress
        bar's feed: at ten million tracks a fit takes minutes)."""
        self.__dict__.pop("_table_columns_", None)
        self.__dict__.pop("_filter_masks_", None)
        steps = ("Indexing the artists, albums, playlists and songs", "Scaling the audio features",
                 *self.FIT_STEPS, "Indexing the track IDs")
        self.__dict__["_fit_progress_"] = (on_step, steps)
        try:
            self._fit_step(steps[0])
            self.catalog_ = catalog
            # Both shared with the other methods fitted on this catalog (see .shared).
            self.index_ = shared(catalog, "catalog index", lambda: CatalogIndex(catalog))
            self._fit_step(steps[1])
            self.space_ = shared(catalog, "feature space", lambda: FeatureSpace().fit(catalog)) if catalog.has_features else None
            self._fit(catalog)
            # The seed lookup's ID index (~1M Python strings on a million tracks) is built now,
            # once the fit's temporary arrays are freed, not by the first query.
            self._fit_step(steps[-1])
            catalog.positions([])
        finally:
            self.__dict__.pop("_fit_progress_", None)
        return self

    # The steps a method's own _fit reports with _fit_step, in order (between the shared ones).
    FIT_STEPS: ClassVar[tuple[str, ...]] = ()

    def _fit_step(self, what: str) -> None:
        """Tell ``fit``'s ``on_step`` that the step ``what`` (one of its steps) starts now."""
        on_step, steps = self.__dict__.get("_fit_progress_", (None, ()))
        if on_step is not None and what in steps:
            on_step(steps.index(what), len(steps), what)

    def _fit(self, catalog: Catalog) -> None:
        """Method-specific learning (optional)."""

    # ------------------------------------------------------------------ hooks
    def _score(self, seed_pos: np.ndarray) -> np.ndarray:
        """Score every catalog track (float32, higher is better) given seed row positions."""
        raise NotImplementedError

    def _signals(self, seed_pos: np.ndarray, rec_pos: np.ndarray) -> list[list[str]]:
        """Extra explanation phrases per recommended track (signals that contributed)."""
        return [[] for _ in rec_pos]

    def _pool(self, seed_pos: np.ndarray, candidates: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The best ``size`` candidates as (positions, scores), best first (ties: catalog
        order), without scoring every track; None when the method has no such shortcut."""
        return None

    def recommend(
        self,
        seeds: str | Iterable[str] | SeedSet | None,
        *,
        k: int = 20,
        filters: Filters | Mapping[str, Any] | None = None,
    ) -> RecommendationResult:
        """The top ``k`` tracks for ``seeds`` (pasted text, IDs, or a :class:`SeedSet` from
        :func:`~recommender.seeds.resolve_seeds`) that pass ``filters``.

        Seeds not in the catalog are listed in ``not_in_catalog``; unparseable tokens in
        ``invalid``. Raises :class:`SeedError` when no seed is usable (methods that need
        seeds), :class:`FilterError` for invalid filters. When the filters leave no track,
        the result is empty and ``message`` names the filter that emptied the list.
        """
        check_fitted(self, "catalog_")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise FilterError(f"k (the number of recommendations) must be a whole number >= 1, not {k!r}.")
        k = int(k)
        filters = coerce_filters(filters)
        unknown = [f for f in filters.target if f in AUDIO_FEATURES and f not in self.catalog_.feature_names]
        if unknown:
            raise FilterError(
                f"This catalog has no {', '.join(unknown)} values (its file does not give that audio feature), "
                "so a target on it cannot pull the ranking: remove it."
            )
        resolved = resolve_seeds(self.catalog_, seeds)
        seed_pos = resolved.positions
        if self.requires_seeds and len(seed_pos) == 0:
            raise resolved.error()

        n = self.index_.n
        candidates = np.ones(n, dtype=bool)
        excluded = seed_pos
        notes: list[str] = []
        if len(seed_pos) and not filters.include_versions:
            excluded = sorted_unique(np.concatenate([seed_pos, self.index_.song_versions(seed_pos)]))
            other = len(excluded) - len(sorted_unique(seed_pos))
            if other:
                notes.append(
                    f"{other} other version{'s' if other != 1 else ''} of your seed songs "
                    "(remasters, mixes, live or remixed versions) left out."
                )
        candidates[excluded] = False
        left = n > len(sorted_unique(excluded))  # = candidates.any(), without a pass over n
        message = None
        if not left:
            message = "Every catalog track is a seed or a version of one: there is nothing else to recommend."
        masks = self._filter_masks(filters, seed_pos)
        # Telling which filters changed nothing costs a second ranking without them: done on
        # catalogs up to UNCHANGED_FILTER_CHECK_UP_TO tracks, not on big catalogs' fast paths.
        check_unchanged = bool(left and masks and n <= UNCHANGED_FILTER_CHECK_UP_TO)
        unfiltered = candidates.copy() if check_unchanged else None  # before the filters
        for label, mask in masks:
            candidates &= mask
            was_left, left = left, bool(candidates.any())
            if was_left and not left:
                message = message or (
                    f"No track is left after the filter {label}"
                    + (" (with the filters before it)" if label != masks[0][0] else "")
                    + ": widen or remove it."
                )

        scores = None
        ranked = None
        if left:
            ranked = self._top_k_from_pool(seed_pos, candidates, k, filters, notes)
        if ranked is not None:
            rec_pos, rec_scores = ranked
        elif left:
            scores = np.asarray(self._score(seed_pos), dtype=np.float32)
            scores = np.where(np.isfinite(scores), scores, np.float32(-1e30))
            scores = self._apply_targets(scores, candidates, filters)
            rec_pos = self._top_k(scores, candidates, k, filters, notes)
            rec_scores = scores[rec_pos]
        else:
            rec_pos = np.zeros(0, dtype=np.int64)
            rec_scores = np.zeros(0, dtype=np.float32)
        if left and unfiltered is not None:
            notes.extend(self._unchanged_filter_notes(seed_pos, unfiltered, masks, k, filters, scores))
        frame = self._frame(rec_pos, rec_scores, seed_pos, filters)
        return RecommendationResult(
            seeds=list(resolved.found), not_in_catalog=list(resolved.not_in_catalog), invalid=list(resolved.invalid),
            recommendations=frame, message=message, method=self.name, notes=notes,
        )

    def _unchanged_filter_notes(self, seed_pos: np.ndarray, unfiltered: np.ndarray,
                                masks: list[tuple[str, np.ndarray]], k: int, filters: Filters,
                                scores: np.ndarray | None) -> list[str]:
        """A note for each filter that every track of the unfiltered list already passes
        (a listener who sets popularity 60-100 and sees the same list deserves to know why)."""
        scratch: list[str] = []
        found = None if scores is not None else self._top_k_from_pool(seed_pos, unfiltered, k, filters, scratch)
        if found is not None:
            plain = found[0]
        else:
            if scores is None:
                scores = np.asarray(self._score(seed_pos), dtype=np.float32)
                scores = np.where(np.isfinite(scores), scores, np.float32(-1e30))
                scores = self._apply_targets(scores, unfiltered, filters)
            plain = self._top_k(scores, unfiltered, k, filters, scratch)
        if len(plain) == 0:
            return []
        # One note per filter; a feature's min and max count as one range filter.
        groups: dict[str, list[bool]] = {}
        for label, mask in masks:
            groups.setdefault(plain_filter(label, filters), []).append(bool(mask[plain].all()))
        return [
            f"The filter “{phrase}” changed nothing here: the best matches already pass it."
            for phrase, passed in groups.items() if all(passed)
        ]

    def _table_column_names(self) -> list[str]:
        t = self.catalog_.tracks
        extra_cols = [c for c in ("album_name", "genres", "release_year") if c in t]
        return ["track_id", "track_name", "artists", "popularity", *extra_cols, *self.catalog_.feature_names]

    def _table_columns(self) -> dict[str, Any]:
        """The catalog columns of the result table as arrays (NumPy views or the Arrow-backed
        arrays themselves: no copies), looked up once per fit: a column lookup on the tracks
        table costs ~15 us, a row take on a million-row frame milliseconds. Empty when a
        column is missing or repeated (the table is then taken from the frame)."""
        columns = self.__dict__.get("_table_columns_")
        if columns is None:
            t = self.catalog_.tracks
            names = self._table_column_names()
            columns = {}
            if len(set(names)) == len(names) and all(c in t for c in names) and t.columns.is_unique:
                for c in names:
                    col = t[c]
                    columns[c] = col.to_numpy() if isinstance(col.dtype, np.dtype) else col.array
            self.__dict__["_table_columns_"] = columns
        return columns

    def _frame(self, rec_pos: np.ndarray, rec_scores: np.ndarray, seed_pos: np.ndarray,
               filters: Filters | None = None) -> pd.DataFrame:
        """The result table: the k rows taken column by column (no whole-table operation)."""
        columns = self._table_columns()
        if not columns:
            return self._frame_from_tracks(rec_pos, rec_scores, seed_pos, filters)
        rec_pos = np.asarray(rec_pos, dtype=np.int64)
        names = list(columns)
        data: dict[str, Any] = {"rank": np.arange(1, len(rec_pos) + 1)}
        data.update((c, columns[c].take(rec_pos)) for c in names[:4])
        data["score"] = np.asarray(rec_scores, dtype=np.float64)
        data["match"] = self._match(np.asarray(rec_scores, dtype=np.float64))
        data["why"] = self._explain(seed_pos, rec_pos, filters) if len(rec_pos) else pd.Series([], dtype="string")
        data.update((c, columns[c].take(rec_pos)) for c in names[4:])
        return pd.DataFrame(data, copy=False)  # every column is a new array already

    def _frame_from_tracks(self, rec_pos: np.ndarray, rec_scores: np.ndarray, seed_pos: np.ndarray,
                           filters: Filters | None = None) -> pd.DataFrame:
        """The result table taken from the tracks frame (the reference for :meth:`_frame`)."""
        t = self.catalog_.tracks
        cols = self._table_column_names()
        # One take of the needed columns only (not every column, then a selection).
        frame = t.iloc[rec_pos, t.columns.get_indexer(cols)].reset_index(drop=True)
        frame.insert(4, "score", np.asarray(rec_scores, dtype=np.float64))
        frame.insert(5, "match", self._match(np.asarray(rec_scores, dtype=np.float64)))
        frame.insert(6, "why", self._explain(seed_pos, rec_pos, filters) if len(rec_pos) else pd.Series([], dtype="string"))
        frame.insert(0, "rank", np.arange(1, len(frame) + 1))
        return frame

    def _match(self, scores: np.ndarray) -> pd.array:
        """The listener's 0-100 match, never rising down the list (a track the artist cap
        moved down shows at most the match of the track above it). Default: the score
        relative to the best of the list; methods with a natural scale override it."""
        top = float(scores.max()) if len(scores) else 0.0
        return as_match(100.0 * scores / top if top > 0 else np.zeros(len(scores)))


