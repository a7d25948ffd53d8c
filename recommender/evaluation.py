"""Offline evaluation: playlist continuation on a catalog with playlists.

Protocol (fixed ``random_state``): pick ``n_playlists`` playlists with more than
``n_seeds`` tracks; blank all their memberships (``catalog.without_playlists``) and fit
every method on that catalog, so nothing about the held-out playlists leaks (genres,
playlist counts and co-occurrence are recomputed without them). For each held-out playlist
give ``n_seeds`` random tracks of it as seeds and score the top recommendations (default
filters, so at most 2 tracks per artist) against the playlist's other tracks.

Seed counts: :func:`evaluate_seed_counts` runs this protocol once per seed count (e.g. 1, 5
and 10), each run exactly what :func:`evaluate` gives for that count alone (its own sample
of playlists with more than that many tracks), so a figure is comparable across versions.

Cold start (``cold_start=True``): only queries whose every seed track is by artists credited
on no track of any playlist of the training catalog (the catalog after the held-out
playlists are blanked); when too few of the standard sample qualify, seeds are sampled from
held-out playlists' tracks whose artists are in no other playlist. The exact rule is in
:mod:`recommender.evaluation_queries`; the table's ``cold_start`` attribute says which way
was taken and how many queries qualified.

Metrics, averaged over playlists:

- ``recall@k``: share of the playlist's other tracks found in the top k;
- ``ndcg@K``: binary-gain NDCG at the largest cutoff;
- ``r_precision``: precision in the top R, R = number of other tracks;
- ``genre_precision@10``: share of the top 10 whose genres (in the full catalog) include
  the playlist's genre;
- ``distinct_artists@10``: distinct first-listed artists in the top 10;
- ``popularity_percentile``: the mean, over the top 20 of a query, of each track's popularity
  percentile within the catalog, ``100 * (tracks less popular + half the tracks as popular,
  itself included) / tracks of known popularity`` (the catalog's own mean is exactly 50;
  tracks of unknown popularity are left out; NaN when the catalog has no popularity).

Beyond accuracy, one figure per method over all queries (not a mean of per-query values):

- ``coverage@20``: distinct tracks in the union of every query's top 20, divided by the
  number of tracks in the catalog (0-1; how much of the catalog the method ever shows).

Listener checks, counted over all queries (a list a listener rejects at a glance; every one
is 0 by default):

- ``lists_with_seed_version``: lists holding a version of a seed song (the seed under another
  ID, a remaster, a mix, a remix; :mod:`recommender.songs`);
- ``lists_with_repeated_song``: lists holding two versions of one song;
- ``pages_over_artist_cap``: pages of 10 holding more than 2 tracks of one first-listed artist.

Weights of the hybrid method were chosen with ``random_state=1`` (validation); the
reported table uses ``random_state=0``.
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .catalog import Catalog, split_list
from .evaluation_queries import QuerySet, cold_start_queries, sample_queries
from .recommenders import DEFAULT_MAX_PER_ARTIST_PER_PAGE, PAGE_SIZE, RECOMMENDERS, make_recommender
from .songs import catalog_song_codes

_log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_EVAL_METHODS", "LISTENER_CHECKS", "catalog_coverage", "evaluate", "evaluate_seed_counts",
    "evaluation_report", "evaluation_reports", "listener_checks", "popularity_percentiles",
    "ranking_metrics", "sample_queries",
]

DEFAULT_EVAL_METHODS: tuple[str, ...] = ("hybrid", "similar", "cluster", "popular", "random")
COVERAGE_DEPTH = 20  # coverage@20 and popularity_percentile look at each query's top 20
METRIC_COLUMNS_HELP = {
    "recall@k": "share of the playlist's hidden tracks found in the top k",
    "ndcg@k": "rank-aware hit quality (1 = all hidden tracks first)",
    "r_precision": "precision in the top R, R = number of hidden tracks",
    "genre_precision@10": "share of the top 10 in the playlist's genre",
    "distinct_artists@10": "distinct artists in the top 10",
    "coverage@20": "distinct tracks in the top 20 of all queries together / tracks in the catalog "
                   "(one figure over the union, not a mean per query)",
    "popularity_percentile": "mean popularity percentile (0-100 within the catalog, whose own mean "
                             "is 50) of the top 20; blank when the catalog has no popularity",
}
LISTENER_CHECKS = ("lists_with_seed_version", "lists_with_repeated_song", "pages_over_artist_cap")


def listener_checks(catalog: Catalog, seed_ids: Sequence[str], ranked_ids: Sequence[str],
                    artist_cap: int = DEFAULT_MAX_PER_ARTIST_PER_PAGE) -> dict[str, int]:
    """The three listener checks for one list (see the module doc), each 0 or a count."""
    song = catalog_song_codes(catalog)
    seed_pos = catalog.positions(list(seed_ids))
    rec_pos = catalog.positions(list(ranked_ids))
    rec_songs = song[rec_pos[rec_pos >= 0]]
    artists = catalog.tracks["artists"].iloc[rec_pos[rec_pos >= 0]].tolist()
    primary = [(split_list(a) or [f"?{i}"])[0].lower() for i, a in enumerate(artists)]
    pages_over = 0
    for start in range(0, len(primary), PAGE_SIZE):
        page = pd.Series(primary[start:start + PAGE_SIZE])
        pages_over += int(len(page) and page.value_counts().max() > artist_cap)
    return {
        "lists_with_seed_version": int(np.isin(rec_songs, song[seed_pos[seed_pos >= 0]]).any()),
        "lists_with_repeated_song": int(len(np.unique(rec_songs)) < len(rec_songs)),
        "pages_over_artist_cap": pages_over,
    }


def ranking_metrics(ranked: Sequence[str], relevant: set[str], ks: Sequence[int]) -> dict[str, float]:
    """recall@k for each k, NDCG at the largest k and R-precision for one ranked list."""
    hits = np.array([t in relevant for t in ranked], dtype=bool)
    n_rel = len(relevant)
    out: dict[str, float] = {}
    for k in ks:
        out[f"recall@{k}"] = float(hits[:k].sum() / n_rel) if n_rel else 0.0
    kmax = max(ks)
    gains = hits[:kmax] / np.log2(np.arange(2, min(kmax, len(hits)) + 2))
    ideal = (1.0 / np.log2(np.arange(2, min(kmax, n_rel) + 2))).sum()
    out[f"ndcg@{kmax}"] = float(gains.sum() / ideal) if ideal > 0 else 0.0
    out["r_precision"] = float(hits[:n_rel].sum() / n_rel) if n_rel else 0.0
    return out


def popularity_percentiles(catalog: Catalog) -> np.ndarray | None:
    """Each track's popularity percentile (0-100, rows follow ``catalog.tracks``; see the
    module doc), NaN where unknown; None when no track's popularity is known."""
    if "popularity" not in catalog.tracks:
        return None
    popularity = pd.to_numeric(catalog.tracks["popularity"], errors="coerce").to_numpy(dtype=float)
    known = np.sort(popularity[~np.isnan(popularity)])
    if not len(known):
        return None
    below = np.searchsorted(known, popularity, side="left")
    as_popular = np.searchsorted(known, popularity, side="right") - below
    out = 100.0 * (below + 0.5 * as_popular) / len(known)
    out[np.isnan(popularity)] = np.nan
    return out


def catalog_coverage(catalog: Catalog, ranked_lists: Iterable[Sequence[str]], depth: int = COVERAGE_DEPTH) -> float:
    """Distinct catalog tracks in the union of the lists' top ``depth``, over the catalog's size."""
    shown = {t for ranked in ranked_lists for t in list(ranked)[:depth]}
    known = catalog.positions(list(shown))
    return float((known >= 0).sum() / len(catalog)) if len(catalog) else 0.0


def _mean_percentile(percentiles: np.ndarray | None, positions: np.ndarray) -> float:
    if percentiles is None:
        return math.nan
    values = percentiles[positions[positions >= 0]]
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else math.nan


def evaluate(
    catalog: Catalog,
    methods: Iterable[str] = DEFAULT_EVAL_METHODS,
    n_playlists: int = 100,
    n_seeds: int = 5,
    ks: Sequence[int] = (10, 100),
    random_state: int = 0,
    method_params: dict[str, dict[str, Any]] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    cold_start: bool = False,
    min_cold_queries: int | None = None,
) -> pd.DataFrame:
    """One row per method with the mean metrics over held-out playlists (see module doc).

    ``cold_start``: only cold-start queries (:func:`recommender.evaluation_queries.cold_start_queries`,
    ``min_cold_queries`` its ``min_queries``); ``table.attrs["cold_start"]`` says how they were chosen.
    ``progress(methods_done, methods_total, what)`` is called before each method and at the end."""
    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 1:
        raise ValueError("cutoffs k must be whole numbers >= 1")
    methods = list(methods)
    for name in methods:
        if name not in RECOMMENDERS:
            raise ValueError(f"unknown method {name!r}; choose from {', '.join(RECOMMENDERS)}")
    if cold_start:
        query_set = cold_start_queries(catalog, n_playlists, n_seeds, random_state, min_cold_queries)
    else:
        queries = sample_queries(catalog, n_playlists, n_seeds, random_state)
        query_set = QuerySet(queries, [q["playlist_id"] for q in queries])
    queries = query_set.queries
    train = catalog.without_playlists(query_set.blanked_playlists)
    full_genres = catalog.tracks.set_index("track_id")["genres"]
    percentiles = popularity_percentiles(catalog)
    depth = max(max(ks), COVERAGE_DEPTH, max((len(q["hidden"]) for q in queries), default=0))
    rows = []
    for done, name in enumerate(methods):
        if progress is not None:
            progress(done, len(methods), f"{done} of {len(methods)} methods evaluated, now {name}")
        started = time.perf_counter()
        params = dict((method_params or {}).get(name, {}))
        params.setdefault("random_state", random_state)
        model = make_recommender(name, **params).fit(train)
        per_query, ranked_lists = [], []
        for q in queries:
            result = model.recommend(q["seeds"], k=depth)
            recs = result.recommendations
            ranked = recs["track_id"].tolist()
            ranked_lists.append(ranked)
            metrics = ranking_metrics(ranked, q["hidden"], ks)
            top10 = recs.head(10)
            genres = [split_list(g) for g in full_genres.reindex(top10["track_id"]).tolist()]
            metrics["genre_precision@10"] = (
                float(np.mean([q["genre"] in g for g in genres])) if len(genres) else 0.0
            )
            metrics["distinct_artists@10"] = float(
                len({(split_list(a) or [f"?{i}"])[0].lower() for i, a in enumerate(top10["artists"])})
            )
            metrics["popularity_percentile"] = _mean_percentile(
                percentiles, catalog.positions(ranked[:COVERAGE_DEPTH]))
            metrics.update(listener_checks(catalog, q["seeds"], ranked))
            per_query.append(metrics)
        frame = pd.DataFrame(per_query)
        means = frame.drop(columns=list(LISTENER_CHECKS)).mean().to_dict()
        popularity = means.pop("popularity_percentile", math.nan)
        row = {"method": name, **means, "coverage@20": catalog_coverage(catalog, ranked_lists),
               "popularity_percentile": popularity,
               **frame[list(LISTENER_CHECKS)].sum().astype(int).to_dict()}
        row["seconds"] = time.perf_counter() - started
        rows.append(row)
        _log.info("evaluated %s in %.1fs", name, row["seconds"])
    if progress is not None:
        progress(len(methods), len(methods), f"{len(methods)} of {len(methods)} methods evaluated")
    table = pd.DataFrame(rows)
    table.attrs.update(
        {"n_playlists": len(queries), "n_seeds": n_seeds, "random_state": random_state, "ks": ks,
         "cold_start": query_set.cold_start, "has_popularity": percentiles is not None}
    )
    return table


def evaluate_seed_counts(
    catalog: Catalog, seed_counts: Iterable[int], *,
    progress: Callable[[int, int, str], None] | None = None, **kwargs: Any,
) -> dict[int, pd.DataFrame]:
    """:func:`evaluate` once per seed count (each exactly as alone), keyed by the count.

    ``kwargs`` go to :func:`evaluate`; ``progress`` counts methods over every run."""
    counts = list(dict.fromkeys(int(n) for n in seed_counts))
    methods = list(kwargs.pop("methods", DEFAULT_EVAL_METHODS))  # read once per seed count
    n_methods = len(methods)
    total = len(counts) * n_methods
    tables: dict[int, pd.DataFrame] = {}
    for run, n_seeds in enumerate(counts):
        def step(done: int, _total: int, what: str, offset: int = run * n_methods, n: int = n_seeds) -> None:
            if progress is not None:
                # With one seed count the text stays as plain evaluate's (nothing to tell apart).
                progress(offset + done, total, f"{n} seeds: {what}" if len(counts) > 1 else what)

        tables[n_seeds] = evaluate(catalog, methods, n_seeds=n_seeds, progress=step, **kwargs)
    return tables


def _figure(metric: str, value: Any) -> int | float | None:
    if metric in LISTENER_CHECKS:
        return int(value)
    value = float(value)
    return None if math.isnan(value) else round(value, 4)


def evaluation_report(table: pd.DataFrame) -> dict[str, Any]:
    """The evaluation as a JSON-able dict (protocol settings + one entry per method);
    ``popularity_percentile`` is null when the catalog has no popularity."""
    metrics = [c for c in table.columns if c not in ("method", "seconds")]
    protocol = {
        "task": "playlist continuation, held-out playlists blanked before fitting",
        "n_playlists": table.attrs.get("n_playlists"),
        "n_seeds": table.attrs.get("n_seeds"),
        "random_state": table.attrs.get("random_state"),
        "cold_start": table.attrs.get("cold_start"),
    }
    return {
        "protocol": protocol,
        "methods": {
            r["method"]: {m: _figure(m, r[m]) for m in metrics} | {"seconds": round(float(r["seconds"]), 2)}
            for r in table.to_dict("records")
        },
    }


def evaluation_reports(tables: dict[int, pd.DataFrame]) -> dict[str, Any]:
    """Several seed counts as one JSON-able dict: ``{"by_n_seeds": {"1": report, ...}}``."""
    return {"by_n_seeds": {str(n): evaluation_report(t) for n, t in tables.items()}}
