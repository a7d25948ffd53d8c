"""Cosine similarity search behind one interface: an exact blocked scan, or an IVF index.

Both indexes hold row-normalised float32 vectors and answer the same question: given a few
query vectors (the seeds), which rows score highest, where a row's score is the aggregated
cosine similarity to the queries plus optional per-row terms, among the rows a boolean
``mask`` allows?

- :class:`ExactIndex` scans the matrix in row blocks with BLAS matrix products. Filters are
  applied as boolean masks before the top-k, and the top-k keeps a running threshold so most
  blocks cost one vectorised comparison instead of an ``argpartition``. Results equal a brute
  force sort (ties aside).
- :class:`IVFIndex` wraps faiss ``IndexIVFFlat`` (inner product on normalised vectors =
  cosine). Filters are passed to faiss as an ID bitmap, the search over-fetches, the exact
  scores of the candidates are recomputed, and when too few candidates survive the mask (very
  selective filters) it falls back to the exact scan of the allowed rows, so a filter never
  silently shortens the answer.

:func:`build_index` picks one by size: exact below :data:`ANN_THRESHOLD` rows. One pass of the
exact scan is bounded by memory bandwidth (~55 MB per million 13-15-feature rows): on the
2-core machine, with nothing else running, it took 4-6.5 ms per query at 1M rows and 17-20 ms
at 3M (``python -m bench``), against 1.0-1.7 ms and 2.3 ms for the IVF index with recall@20
0.998 and 0.977 against the scan. The scan also suffers most when another process holds a
core (OpenBLAS splits each block's product over both cores and every block waits for the
slower one): in a run sharing the machine ``similar`` on the exact scan took 120 ms per query
at 1M rows. Below 500k rows the scan costs ~2 ms and stays exact with no build; from 500k rows
the IVF index (a ~2.5 s build at 1M rows) answers faster and more steadily.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

_log = logging.getLogger(__name__)

__all__ = [
    "ANN_THRESHOLD",
    "ExactIndex",
    "IVFIndex",
    "NeighborIndex",
    "Neighbors",
    "build_index",
    "normalize_rows",
    "recall_at_k",
    "sorted_unique",
]

ANN_THRESHOLD = 500_000  # rows; see the module docstring for why
# Rows per matrix-vector product: 65,536 x 14 float32 features = 3.7 MB. OpenBLAS splits
# such products over both cores, and it threads 4k-row products too (9.0 ms per 1M-row scan
# with two BLAS threads, 7.1 ms with one): small blocks only pay the thread hand-off ~250
# times per million rows. Measured on the 2-core machine (1M rows, mean of 5 seeds, load
# average 1-3): 9.0 ms per product pass with 4k-row blocks, 5.4 ms with 16k, 4.3 ms with 64k;
# the whole exact search on the 1M-track benchmark catalog took 3.9-4.4 ms with 64k-row
# blocks, 4.8-5.4 ms with 256k and 4.8-5.0 ms with one product over the whole matrix.
BLOCK_ROWS = 65_536
# Rows whose scores are filtered and merged into the running top-k at once: the Python-level
# bookkeeping runs ~15 times per million rows.
MERGE_ROWS = 65_536

Aggregate = Literal["mean", "max"]


@dataclass(frozen=True)
class Neighbors:
    """Row positions (best first) and their scores."""

    positions: np.ndarray  # int64
    scores: np.ndarray  # float32

    def __len__(self) -> int:
        return len(self.positions)


class NeighborIndex(Protocol):
    n_rows: int
    kind: str

    def search(
        self,
        queries: np.ndarray,
        k: int,
        *,
        mask: np.ndarray | None = None,
        aggregate: Aggregate = "mean",
    ) -> Neighbors: ...

    def similarity(self, queries: np.ndarray, positions: np.ndarray, aggregate: Aggregate = "mean") -> np.ndarray: ...


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, float32 (all-zero rows stay zero)."""
    x = np.ascontiguousarray(matrix, dtype=np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))
    norms[norms == 0] = 1.0
    return x / norms[:, None]


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of a 1-d integer array (sorted distinct values, same dtype) by one sort:
    NumPy 2.4's hash-based ``np.unique`` took 0.6-0.8 ms on 7,000 integers, this 0.03-0.06 ms."""
    values = np.sort(np.asarray(values).ravel())
    if len(values) < 2:
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of the true top-k rows that the approximate answer also returned."""
    truth = np.asarray(truth)
    if len(truth) == 0:
        return 1.0
    return float(np.isin(truth, np.asarray(found)).sum() / len(truth))


def _check_mask(mask: np.ndarray | None, n: int) -> np.ndarray | None:
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != bool or mask.shape != (n,):
        raise ValueError(f"mask must be a boolean array of shape ({n},), got {mask.dtype} {mask.shape}")
    return mask


class _Base:
    """Shared by both indexes: the normalised matrix, query preparation, exact rescoring."""

    kind = "base"

    def __init__(self, matrix: np.ndarray, normalized: bool = False) -> None:
        # ``normalized``: the rows are unit vectors already; share them instead of copying.
        self.vectors = np.ascontiguousarray(matrix, dtype=np.float32) if normalized else normalize_rows(matrix)
        self.n_rows, self.dim = self.vectors.shape

    def _prepare(self, queries: np.ndarray, aggregate: Aggregate) -> np.ndarray:
        """Query vectors as a (m, d) float32 array; ``mean`` folds them into one vector.

        The mean of cosine similarities to unit queries equals the dot product with their
        mean, so ``mean`` costs one matrix-vector product whatever the number of seeds.
        """
        q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        if q.shape[1] != self.dim:
            raise ValueError(f"queries have {q.shape[1]} features, the index has {self.dim}")
        q = normalize_rows(q)
        if aggregate == "mean":
            return q.mean(axis=0, keepdims=True)
        if aggregate == "max":
            return q
        raise ValueError(f"aggregate must be 'mean' or 'max', got {aggregate!r}")

    @staticmethod
    def _score_block(block: np.ndarray, q: np.ndarray) -> np.ndarray:
        if len(q) == 1:
            return block @ q[0]
        # (m, B): each query's scores contiguous, so the max is m-1 vectorised maximums.
        return np.max(q @ block.T, axis=0)

    def similarity(self, queries: np.ndarray, positions: np.ndarray, aggregate: Aggregate = "mean") -> np.ndarray:
        """Aggregated cosine similarity of the given rows to the queries (float32)."""
        q = self._prepare(queries, aggregate)
        positions = np.asarray(positions, dtype=np.int64)
        return self._score_block(self.vectors[positions], q).astype(np.float32, copy=False)


def _top_k(positions: np.ndarray, scores: np.ndarray, k: int) -> Neighbors:
    """The k best (score descending, position ascending on ties), -inf scores dropped."""
    finite = np.isfinite(scores)
    positions, scores = positions[finite], scores[finite]
    if len(scores) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        positions, scores = positions[part], scores[part]
    order = np.lexsort((positions, -scores))
    return Neighbors(positions[order].astype(np.int64), scores[order].astype(np.float32))


class ExactIndex(_Base):
    """Exact cosine search: a blocked BLAS scan, masks before the top-k."""

    kind = "exact"

    def __init__(self, matrix: np.ndarray, *, block_rows: int = BLOCK_ROWS, normalized: bool = False) -> None:
        super().__init__(matrix, normalized)
        self.block_rows = int(block_rows)

    def search(
        self,
        queries: np.ndarray,
        k: int,
        *,
        mask: np.ndarray | None = None,
        aggregate: Aggregate = "mean",
    ) -> Neighbors:
        """Top ``k`` rows by aggregated cosine similarity. ``mask``: boolean per row, False
        rows are never returned."""
        return self._scan(self._prepare(queries, aggregate), k, _check_mask(mask, self.n_rows))

    def candidates(self, queries: np.ndarray, k: int, *, mask: np.ndarray | None = None, aggregate: Aggregate = "mean",
                   n_probe: int | None = None, fetch_factor: int | None = None) -> np.ndarray:
        """The rows of :meth:`search`, as sorted positions (see :meth:`IVFIndex.candidates`; no
        settings to override)."""
        return np.sort(self.search(queries, k, mask=mask, aggregate=aggregate).positions)

    def _scan(self, q: np.ndarray, k: int, mask: np.ndarray | None) -> Neighbors:
        k = max(0, min(int(k), self.n_rows))
        if k == 0:
            return Neighbors(np.empty(0, np.int64), np.empty(0, np.float32))
        best_pos = np.empty(0, np.int64)
        best_scores = np.empty(0, np.float32)
        threshold = -np.inf
        step = max(self.block_rows, MERGE_ROWS // self.block_rows * self.block_rows)
        buffer = np.empty(min(step, self.n_rows), dtype=np.float32)
        keep_buffer = np.empty(len(buffer), dtype=bool)  # reused: no allocation per step
        for start in range(0, self.n_rows, step):
            stop = min(start + step, self.n_rows)
            scores = buffer[: stop - start]
            for sub in range(start, stop, self.block_rows):
                sub_stop = min(sub + self.block_rows, stop)
                scores[sub - start : sub_stop - start] = self._score_block(self.vectors[sub:sub_stop], q)
            # Only rows that beat the current k-th best can enter: one comparison per row.
            keep = keep_buffer[: stop - start]
            if np.isfinite(threshold):
                np.greater_equal(scores, threshold, out=keep)
            else:
                np.isfinite(scores, out=keep)
            if mask is not None:
                np.logical_and(keep, mask[start:stop], out=keep)
            hits = np.flatnonzero(keep)
            if len(hits) == 0:
                continue
            best_pos = np.concatenate([best_pos, hits + start])
            best_scores = np.concatenate([best_scores, scores[hits]])
            if len(best_scores) >= k:
                # Keep the k best so far (unsorted; ties at the k-th score all stay, so the
                # final tie-break by position is exact) and raise the bar to the k-th score.
                kth = np.partition(best_scores, len(best_scores) - k)[len(best_scores) - k]
                keep_best = best_scores >= kth
                best_pos, best_scores = best_pos[keep_best], best_scores[keep_best]
                threshold = kth
        return _top_k(best_pos, best_scores, k)


class IVFIndex(_Base):
    """Approximate cosine search with a faiss inverted-file index (``IndexIVFFlat``).

    The normalised rows are split into ``n_lists`` cells by spherical k-means (trained on a
    sample); a query scans only the ``n_probe`` cells nearest to it, with exact inner
    products inside them. IVF was chosen over HNSW for its build time: on 200k random
    14-dimensional rows on the 2 busy cores, ``IndexHNSWFlat`` took 24 s (M=16) to 56 s
    (M=32) to build, ``IndexIVFFlat`` 3-4 s; at 3M rows HNSW would need minutes.
    """

    kind = "ivf"

    def __init__(
        self,
        matrix: np.ndarray,
        *,
        n_lists: int | None = None,
        n_probe: int = 32,
        fetch_factor: int = 4,
        min_fetch: int = 100,
        exact_below: float = 0.02,
        train_per_list: int = 64,
        random_state: int = 0,
        normalized: bool = False,
    ) -> None:
        super().__init__(matrix, normalized)
        # ~0.6 sqrt(n) cells (1,000 cells of ~3,000 rows at 3M rows): building is dominated by
        # assigning every row to a cell (n x n_lists products), so fewer, larger cells build
        # faster; n_probe=32 of them is ~3% of the rows at 3M, ~1-3 ms, recall@20 ~0.98.
        self.n_lists = int(n_lists or max(1, min(self.n_rows // 40, round(0.6 * np.sqrt(self.n_rows)))))
        self.n_probe = int(n_probe)
        self.fetch_factor, self.min_fetch, self.exact_below = fetch_factor, min_fetch, exact_below
        self.train_per_list, self.random_state = int(train_per_list), random_state
        self._index = self._build()

    @property
    def _exact(self) -> ExactIndex:
        exact = ExactIndex.__new__(ExactIndex)  # shares the vectors, no copy
        exact.vectors, exact.n_rows, exact.dim, exact.block_rows = self.vectors, self.n_rows, self.dim, BLOCK_ROWS
        return exact

    def _build(self):
        import faiss

        quantizer = faiss.IndexFlatIP(self.dim)
        index = faiss.IndexIVFFlat(quantizer, self.dim, self.n_lists, faiss.METRIC_INNER_PRODUCT)
        index.cp.spherical = True
        index.cp.niter = 12
        index.cp.seed = self.random_state
        rng = np.random.default_rng(self.random_state)
        n_train = min(self.n_rows, self.train_per_list * self.n_lists)
        sample = self.vectors if n_train == self.n_rows else self.vectors[np.sort(rng.choice(self.n_rows, n_train, replace=False))]
        index.train(sample)
        index.add(self.vectors)
        index.nprobe = self.n_probe
        return index

    # faiss objects do not pickle: store the serialised bytes (used by the disk cache).
    def __getstate__(self) -> dict:
        import faiss

        state = self.__dict__.copy()
        state["_index"] = faiss.serialize_index(self._index)
        return state

    def __setstate__(self, state: dict) -> None:
        import faiss

        index = faiss.deserialize_index(state.pop("_index"))
        self.__dict__.update(state)
        self._index = index

    def search(
        self,
        queries: np.ndarray,
        k: int,
        *,
        mask: np.ndarray | None = None,
        aggregate: Aggregate = "mean",
    ) -> Neighbors:
        """Same contract as :meth:`ExactIndex.search`; approximate in the audio term only.

        Candidates come from the index by cosine similarity, over-fetched ``fetch_factor``
        times (at least ``min_fetch``) among the rows ``mask`` allows (faiss skips the others
        through an ID bitmap), then are rescored exactly. When fewer than
        ``k`` allowed candidates come back, or the mask keeps under ``exact_below`` of the
        rows, the exact scan answers instead.
        """
        k = max(0, min(int(k), self.n_rows))
        q = self._prepare(queries, aggregate)
        mask = _check_mask(mask, self.n_rows)
        if k == 0:
            return Neighbors(np.empty(0, np.int64), np.empty(0, np.float32))
        cand = self._allowed_hits(q, k, mask)
        if cand is None:
            return self._exact._scan(q, k, mask)
        scores = self._score_block(self.vectors[cand], q).astype(np.float32)
        return _top_k(cand, scores, k)

    def candidates(self, queries: np.ndarray, k: int, *, mask: np.ndarray | None = None, aggregate: Aggregate = "mean",
                   n_probe: int | None = None, fetch_factor: int | None = None) -> np.ndarray:
        """The rows :meth:`search` would rescore, as sorted positions, without rescoring them
        (for a caller that scores its candidates itself: the hybrid's audio candidates). They
        hold every row :meth:`search` returns; with ``fetch_factor=1`` and ``k >= min_fetch``
        they are exactly those rows. ``n_probe``, ``fetch_factor``: this call's, not the index's."""
        k = max(0, min(int(k), self.n_rows))
        q = self._prepare(queries, aggregate)
        mask = _check_mask(mask, self.n_rows)
        if k == 0:
            return np.empty(0, np.int64)
        cand = self._allowed_hits(q, k, mask, n_probe, fetch_factor)
        return np.sort(self._exact._scan(q, k, mask).positions) if cand is None else cand

    def _allowed_hits(self, q: np.ndarray, k: int, mask: np.ndarray | None, n_probe: int | None = None,
                      fetch_factor: int | None = None) -> np.ndarray | None:
        """The index's hits for ``q`` among the rows ``mask`` allows (sorted, over-fetched), or
        None when the exact scan must answer: the mask keeps under ``exact_below`` of the rows
        (scanning those few is exact and cheap), or fewer than ``k`` hits came back."""
        import faiss

        if mask is not None and np.count_nonzero(mask) < max(k, self.exact_below * self.n_rows):
            return None
        fetch = max(self.min_fetch, (self.fetch_factor if fetch_factor is None else fetch_factor) * k)
        params = faiss.SearchParametersIVF()
        params.nprobe = self.n_probe if n_probe is None else int(n_probe)
        bitmap = None
        if mask is not None:
            bitmap = np.packbits(mask, bitorder="little")
            params.sel = faiss.IDSelectorBitmap(self.n_rows, faiss.swig_ptr(bitmap))
        _, labels = self._index.search(q, fetch, params=params)
        del bitmap  # had to outlive the search
        cand = sorted_unique(labels[labels >= 0])
        if mask is not None:
            cand = cand[mask[cand]]
        if len(cand) < k:
            _log.info("IVF returned %d allowed candidates for k=%d; exact scan instead", len(cand), k)
            return None
        return cand


def build_index(
    matrix: np.ndarray,
    *,
    kind: Literal["auto", "exact", "ivf"] = "auto",
    threshold: int = ANN_THRESHOLD,
    **params,
) -> ExactIndex | IVFIndex:
    """The exact scan below ``threshold`` rows, the IVF index at or above it."""
    if kind == "auto":
        kind = "ivf" if len(matrix) >= threshold else "exact"
    if kind == "exact":
        return ExactIndex(matrix, **params)
    if kind == "ivf":
        _log.info("building an IVF index over %d rows", len(matrix))
        return IVFIndex(matrix, **params)
    raise ValueError(f"index kind must be 'auto', 'exact' or 'ivf', got {kind!r}")
