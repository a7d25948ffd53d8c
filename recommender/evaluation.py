"""Offline evaluation: playlist continuation on a catalog with playlists.

Protocol (fixed ``random_state``): pick ``n_playlists`` playlists with more than
``n_seeds`` tracks; blank all their memberships (``catalog.without_playlists``) and fit
every method on that catalog, so nothing about the held-out playlists leaks (genres,
playlist counts and co-occurrence are recomputed without them). For each held-out playlist
give ``n_seeds`` random tracks of it as seeds and score the top recommendations (default
filters, so at most 2 tracks per artist) against the playlist's other tracks.

Metrics, averaged over playlists:

- ``recall@k``: share of the playlist's other tracks found in the top k;
- ``ndcg@K``: binary-gain NDCG at the largest cutoff;
- ``r_precision``: precision in the top R, R = number of other tracks;
- ``genre_precision@10``: share of the top 10 whose genres (in the full catalog) include
  the playlist's genre;
- ``distinct_artists@10``: distinct first-listed artists in the top 10.

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
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .catalog import Catalog, split_list
from .errors import CatalogError
from .recommenders import DEFAULT_MAX_PER_ARTIST_PER_PAGE, PAGE_SIZE, RECOMMENDERS, make_recommender
from .songs import catalog_song_codes

_log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_EVAL_METHODS", "LISTENER_CHECKS", "evaluate", "evaluation_report", "listener_checks",
    "sample_queries", "ranking_metrics",
]

DEFAULT_EVAL_METHODS: tuple[str, ...] = ("hybrid", "similar", "cluster", "popular", "random")
METRIC_COLUMNS_HELP = {
    "recall@k": "share of the playlist's hidden tracks found in the top k",
    "ndcg@k": "rank-aware hit quality (1 = all hidden tracks first)",
    "r_precision": "precision in the top R, R = number of hidden tracks",
    "genre_precision@10": "share of the top 10 in the playlist's genre",
    "distinct_artists@10": "distinct artists in the top 10",
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


def sample_queries(
    catalog: Catalog, n_playlists: int, n_seeds: int, random_state: int = 0
) -> list[dict[str, Any]]:
    """Held-out playlists with their seeds and hidden tracks (deterministic for a state)."""
    m = catalog.memberships.dropna(subset=["playlist_id"])
    if m.empty:
        raise CatalogError(
            f"{catalog.name} has no playlist memberships: the evaluation needs playlists "
            "(use the default catalog)."
        )
    groups = m.groupby("playlist_id", sort=True)
    tracks = groups["track_id"].agg(lambda s: list(dict.fromkeys(s)))
    genre = groups["genre"].first()
    eligible = tracks[tracks.map(len) > n_seeds]
    if eligible.empty:
        raise CatalogError(f"no playlist has more than {n_seeds} tracks; use fewer seeds.")
    rng = np.random.default_rng(random_state)
    chosen = rng.choice(len(eligible), size=min(n_playlists, len(eligible)), replace=False)
    queries = []
    for i in sorted(chosen):
        pid = eligible.index[i]
        members = eligible.iloc[i]
        seed_idx = rng.choice(len(members), size=n_seeds, replace=False)
        seeds = [members[j] for j in seed_idx]
        queries.append(
            {
                "playlist_id": pid,
                "genre": genre.get(pid),
                "seeds": seeds,
                "hidden": set(members) - set(seeds),
            }
        )
    return queries


def evaluate(
    catalog: Catalog,
    methods: Iterable[str] = DEFAULT_EVAL_METHODS,
    n_playlists: int = 100,
    n_seeds: int = 5,
    ks: Sequence[int] = (10, 100),
    random_state: int = 0,
    method_params: dict[str, dict[str, Any]] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> pd.DataFrame:
    """One row per method with the mean metrics over held-out playlists (see module doc).

    ``progress(methods_done, methods_total, what)`` is called before each method and at the end."""
    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 1:
        raise ValueError("cutoffs k must be whole numbers >= 1")
    methods = list(methods)
    for name in methods:
        if name not in RECOMMENDERS:
            raise ValueError(f"unknown method {name!r}; choose from {', '.join(RECOMMENDERS)}")
    queries = sample_queries(catalog, n_playlists, n_seeds, random_state)
    train = catalog.without_playlists([q["playlist_id"] for q in queries])
    full_genres = catalog.tracks.set_index("track_id")["genres"]
    depth = max(max(ks), max(len(q["hidden"]) for q in queries))
    rows = []
    for done, name in enumerate(methods):
        if progress is not None:
            progress(done, len(methods), f"{done} of {len(methods)} methods evaluated, now {name}")
        started = time.perf_counter()
        params = dict((method_params or {}).get(name, {}))
        params.setdefault("random_state", random_state)
        model = make_recommender(name, **params).fit(train)
        per_query = []
        for q in queries:
            result = model.recommend(q["seeds"], k=depth)
            recs = result.recommendations
            ranked = recs["track_id"].tolist()
            metrics = ranking_metrics(ranked, q["hidden"], ks)
            top10 = recs.head(10)
            genres = [split_list(g) for g in full_genres.reindex(top10["track_id"]).tolist()]
            metrics["genre_precision@10"] = (
                float(np.mean([q["genre"] in g for g in genres])) if len(genres) else 0.0
            )
            metrics["distinct_artists@10"] = float(
                len({(split_list(a) or [f"?{i}"])[0].lower() for i, a in enumerate(top10["artists"])})
            )
            metrics.update(listener_checks(catalog, q["seeds"], ranked))
            per_query.append(metrics)
        frame = pd.DataFrame(per_query)
        row = {"method": name, **frame.drop(columns=list(LISTENER_CHECKS)).mean().to_dict(),
               **frame[list(LISTENER_CHECKS)].sum().astype(int).to_dict()}
        row["seconds"] = time.perf_counter() - started
        rows.append(row)
        _log.info("evaluated %s in %.1fs", name, row["seconds"])
    if progress is not None:
        progress(len(methods), len(methods), f"{len(methods)} of {len(methods)} methods evaluated")
    table = pd.DataFrame(rows)
    table.attrs.update(
        {"n_playlists": len(queries), "n_seeds": n_seeds, "random_state": random_state, "ks": ks}
    )
    return table


def evaluation_report(table: pd.DataFrame) -> dict[str, Any]:
    """The evaluation as a JSON-able dict (protocol settings + one entry per method)."""
    metrics = [c for c in table.columns if c not in ("method", "seconds")]
    return {
        "protocol": {
            "task": "playlist continuation, held-out playlists blanked before fitting",
            "n_playlists": table.attrs.get("n_playlists"),
            "n_seeds": table.attrs.get("n_seeds"),
            "random_state": table.attrs.get("random_state"),
        },
        "methods": {
            r["method"]: {m: (int(r[m]) if m in LISTENER_CHECKS else round(float(r[m]), 4)) for m in metrics}
            | {"seconds": round(float(r["seconds"]), 2)}
            for r in table.to_dict("records")
        },
    }
