"""Ranking under the listener's rules: top k, one version per song, the artist caps
(:class:`RankingMixin`, part of :class:`BaseRecommender`).

At most 2 tracks of one artist in each page of 10 results: >= 5 distinct artists in every top
10, while an artist's further good tracks move down a page instead of disappearing (a hard cap
over the whole list costs a third of the hybrid's recall@100). The candidate pool grows until
every page keeps the cap; only when the filters leave too few artists does a page break it,
and the result's notes say so.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .filters import Filters

__all__ = ["PAGE_SIZE", "DEFAULT_MAX_PER_ARTIST_PER_PAGE", "RankingMixin"]

PAGE_SIZE = 10
DEFAULT_MAX_PER_ARTIST_PER_PAGE = 2


class RankingMixin:
    """Top-k selection under the caps (part of :class:`BaseRecommender`)."""

    @staticmethod
    def _pool_size(k: int, filters: Filters) -> int:
        return k + PAGE_SIZE * 10 if filters.max_per_artist is None else max(4 * k, k + 256)

    def _apply_caps(self, order: np.ndarray, k: int, filters: Filters, strict: bool = True) -> np.ndarray:
        """The listener's rules over a ranked pool (best first): one version per song (the best
        scored), the artist caps. ``strict``: stop where a page of PAGE_SIZE could only be
        filled by breaking the per-page artist cap (the caller grows the pool); not strict:
        such a page takes the best of what is left (the pool holds every candidate)."""
        if not filters.include_versions and len(order) > 1:
            _, first = np.unique(self.index_.song[order], return_index=True)
            if len(first) < len(order):
                order = order[np.sort(first)]
        cap, page_cap = filters.max_per_artist, filters.max_per_artist_per_page
        if cap is not None:
            artist = self.index_.primary_artist[order]
            rank_in_artist = pd.Series(artist).groupby(artist).cumcount().to_numpy()
            order = order[rank_in_artist < cap]
        if page_cap is not None:
            order = self._spread_pages(order, page_cap, k, strict)
        return order

    def _capped_or_relaxed(self, ranked: np.ndarray, order: np.ndarray, k: int, filters: Filters,
                           notes: list[str]) -> np.ndarray:
        """Every candidate is in ``ranked`` and the caps still leave fewer than ``k``: fill the
        pages with what is left, breaking the per-page artist cap, and say so."""
        relaxed = self._apply_caps(ranked, k, filters, strict=False)[:k]
        if len(relaxed) > len(order) and filters.max_per_artist_per_page is not None:
            artists = len(np.unique(self.index_.primary_artist[relaxed]))
            notes.append(
                f"Only {artists} artist{'s' if artists != 1 else ''} can fill this list with your "
                f"filters, so some pages of {PAGE_SIZE} hold more than "
                f"{filters.max_per_artist_per_page} tracks by one artist: widen the filters for more variety."
            )
            return relaxed
        return order[:k]

    def _top_k(self, scores: np.ndarray, candidates: np.ndarray, k: int, filters: Filters,
               notes: list[str]) -> np.ndarray:
        """Best ``k`` candidates under the caps (ties broken by catalog order)."""
        cand = np.flatnonzero(candidates)
        if len(cand) == 0:
            return cand
        pool = min(len(cand), self._pool_size(k, filters))
        while True:
            if pool < len(cand):
                chosen = cand[np.argpartition(-scores[cand], pool - 1)[:pool]]
            else:
                chosen = cand
            ranked = chosen[np.lexsort((chosen, -scores[chosen]))]
            order = self._apply_caps(ranked, k, filters)
            if len(order) >= k:
                return order[:k]
            if pool >= len(cand):
                return self._capped_or_relaxed(ranked, order, k, filters, notes)
            pool = len(cand)

    def _top_k_from_pool(
        self, seed_pos: np.ndarray, candidates: np.ndarray, k: int, filters: Filters, notes: list[str]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Like :meth:`_top_k` on the method's :meth:`_pool` shortcut, growing the pool
        while the caps leave fewer than ``k``; None to score every track instead."""
        if filters.target:  # a target reshapes every track's score: score them all
            return None
        n_cand = None
        size = self._pool_size(k, filters)
        while True:
            pool = self._pool(seed_pos, candidates, size)
            if pool is None:
                return None
            positions, scores = pool
            order = self._apply_caps(positions, k, filters)
            exhausted = len(positions) < size  # the method returned every candidate
            if len(order) >= k or exhausted:
                if len(order) < k:
                    order = self._capped_or_relaxed(positions, order, k, filters, notes)
                lookup = dict(zip(positions.tolist(), scores.tolist()))
                chosen = order[:k]
                return chosen, np.asarray([lookup[p] for p in chosen.tolist()], dtype=np.float32)
            n_cand = n_cand if n_cand is not None else int(np.count_nonzero(candidates))
            if size >= n_cand:
                return None
            size = min(n_cand, size * 4)

    def _spread_pages(self, order: np.ndarray, page_cap: int, k: int, strict: bool = True) -> np.ndarray:
        """Reorder so no page of PAGE_SIZE results holds more than ``page_cap`` tracks of
        one artist; a deferred track moves to the next page with room. ``strict``: stop at a
        page that only a capped artist could fill (fewer than ``k`` come back); else such
        tracks fill it."""
        artists = self.index_.primary_artist[order].tolist()
        out: list[int] = []
        remaining = list(range(len(order)))  # loops over the top-k pool only, not the catalog
        while remaining and len(out) < k:
            counts: dict[int, int] = {}
            page: list[int] = []
            deferred: list[int] = []
            for j, i in enumerate(remaining):
                if len(page) == PAGE_SIZE:  # page full: the rest waits for the next page
                    deferred.extend(remaining[j:])
                    break
                a = artists[i]
                if counts.get(a, 0) < page_cap:
                    counts[a] = counts.get(a, 0) + 1
                    page.append(i)
                else:
                    deferred.append(i)
            need = min(PAGE_SIZE, k - len(out)) - len(page)
            out.extend(page)
            remaining = deferred
            if need > 0 and remaining:  # only capped artists are left for this page
                if strict:
                    break
                out.extend(remaining[:need])
                remaining = remaining[need:]
        return order[np.asarray(out, dtype=np.int64)]

