"""Held-out queries for the offline evaluation (:mod:`recommender.evaluation`).

Two samples, both deterministic for a ``random_state``:

- :func:`sample_queries`, the standard one: ``n_playlists`` random playlists with more than
  ``n_seeds`` tracks, ``n_seeds`` random tracks of each as seeds, the rest hidden.
- :func:`cold_start_queries`: queries whose every seed is *cold*, i.e. each of the seed's
  artists is credited on no track of any playlist of the training catalog (the catalog after
  the held-out playlists are blanked). Artists are compared lower-cased; a track with no
  known artist is never cold. First the standard sample is filtered down to the queries that
  qualify (training catalog = every standard held-out playlist blanked). When fewer than
  ``min_queries`` qualify (default: half of the standard sample, rounded up), the seeds are sampled
  instead: held-out playlists are drawn from those with more than ``n_seeds`` tracks of which
  at least ``n_seeds`` are *own-artist tracks* (every artist credited on the track appears in
  no other playlist of the full catalog), and the seeds are drawn from those tracks. Blanking
  the drawn playlists then leaves those artists in no training playlist, which is checked.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .catalog import Catalog, split_list
from .errors import CatalogError

__all__ = ["QuerySet", "artists_in_playlists", "cold_start_queries", "sample_queries", "track_artist_keys"]


@dataclass
class QuerySet:
    """Queries to score, the playlists to blank before fitting, and how they were chosen."""

    queries: list[dict[str, Any]]
    blanked_playlists: list[Any]
    cold_start: dict[str, Any] | None = field(default=None)


def _playlist_tracks(catalog: Catalog) -> tuple[pd.Series, pd.Series]:
    """(playlist -> its distinct tracks in order, playlist -> genre), sorted by playlist ID."""
    m = catalog.memberships.dropna(subset=["playlist_id"])
    if m.empty:
        raise CatalogError(
            f"{catalog.name} has no playlist memberships: the evaluation needs playlists "
            "(use the default catalog)."
        )
    groups = m.groupby("playlist_id", sort=True)
    return groups["track_id"].agg(lambda s: list(dict.fromkeys(s))), groups["genre"].first()


def _query(pid: Any, genre: pd.Series, members: list[str], seeds: list[str]) -> dict[str, Any]:
    return {"playlist_id": pid, "genre": genre.get(pid), "seeds": seeds, "hidden": set(members) - set(seeds)}


def sample_queries(
    catalog: Catalog, n_playlists: int, n_seeds: int, random_state: int = 0
) -> list[dict[str, Any]]:
    """Held-out playlists with their seeds and hidden tracks (deterministic for a state)."""
    tracks, genre = _playlist_tracks(catalog)
    eligible = tracks[tracks.map(len) > n_seeds]
    if eligible.empty:
        raise CatalogError(f"no playlist has more than {n_seeds} tracks; use fewer seeds.")
    return [_query(pid, genre, eligible[pid], seeds)
            for pid, seeds in _draw(eligible, n_playlists, n_seeds, random_state)]


def _draw(candidates: pd.Series, n_playlists: int, n_seeds: int, random_state: int) -> list[tuple[Any, list[str]]]:
    """``n_playlists`` of the playlists in ``candidates`` (playlist id -> tracks seeds may come
    from), each with ``n_seeds`` of its candidate tracks, drawn without replacement."""
    rng = np.random.default_rng(random_state)
    chosen = rng.choice(len(candidates), size=min(n_playlists, len(candidates)), replace=False)
    drawn = []
    for i in sorted(chosen):
        tracks = candidates.iloc[i]
        seed_idx = rng.choice(len(tracks), size=n_seeds, replace=False)
        drawn.append((candidates.index[i], [tracks[j] for j in seed_idx]))
    return drawn


def track_artist_keys(catalog: Catalog) -> pd.Series:
    """track_id -> the tuple of its credited artists, lower-cased (empty when unknown)."""
    tracks = catalog.tracks
    keys = [tuple(dict.fromkeys(a.lower() for a in split_list(cell))) for cell in tracks["artists"]]
    return pd.Series(keys, index=tracks["track_id"].to_numpy(), dtype=object)


def _artist_playlist_pairs(memberships: pd.DataFrame, artists: pd.Series) -> pd.DataFrame:
    m = memberships.dropna(subset=["playlist_id"])[["playlist_id", "track_id"]]
    pairs = m.assign(artist=m["track_id"].map(artists)).explode("artist").dropna(subset=["artist"])
    return pairs[["artist", "playlist_id"]].drop_duplicates()


def artists_in_playlists(catalog: Catalog, artists: pd.Series | None = None) -> set[str]:
    """Lower-cased artists credited on at least one track of at least one playlist."""
    artists = track_artist_keys(catalog) if artists is None else artists
    return set(_artist_playlist_pairs(catalog.memberships, artists)["artist"])


def _is_cold(track: str, artists: pd.Series, warm: set[str]) -> bool:
    credited = artists.get(track, ())
    return bool(credited) and not any(a in warm for a in credited)


def _cold_queries(catalog: Catalog, qs: QuerySet, artists: pd.Series) -> list[dict[str, Any]]:
    """The queries of ``qs`` whose every seed is cold once ``qs.blanked_playlists`` are blanked."""
    m = catalog.memberships
    training = m[~m["playlist_id"].isin(set(qs.blanked_playlists))]  # as without_playlists blanks
    warm = set(_artist_playlist_pairs(training, artists)["artist"])
    return [q for q in qs.queries if all(_is_cold(s, artists, warm) for s in q["seeds"])]


def _own_artist_tracks(catalog: Catalog, tracks: pd.Series, artists: pd.Series) -> pd.Series:
    """playlist -> its tracks whose every artist appears in no other playlist of the catalog."""
    pairs = _artist_playlist_pairs(catalog.memberships, artists)
    n_playlists = pairs.groupby("artist")["playlist_id"].nunique()
    single = set(n_playlists.index[n_playlists == 1])
    return tracks.map(lambda members: [t for t in members if _is_cold(t, artists, set())
                                       and all(a in single for a in artists[t])])


def cold_start_queries(
    catalog: Catalog, n_playlists: int, n_seeds: int, random_state: int = 0,
    min_queries: int | None = None,
) -> QuerySet:
    """Queries whose seeds' artists are in no training playlist (see the module doc).

    ``cold_start`` of the result says how they were chosen: ``mode`` ("filtered" or
    "sampled"), ``standard_queries`` and ``qualified`` (standard queries that qualify),
    ``eligible_playlists`` (sampled mode) and ``queries`` (the number scored)."""
    artists = track_artist_keys(catalog)
    standard = sample_queries(catalog, n_playlists, n_seeds, random_state)
    if min_queries is None:
        min_queries = math.ceil(len(standard) / 2)
    standard_set = QuerySet(standard, [q["playlist_id"] for q in standard])
    qualified = _cold_queries(catalog, standard_set, artists)
    info: dict[str, Any] = {"standard_queries": len(standard), "qualified": len(qualified),
                            "min_queries": min_queries}
    if len(qualified) >= min_queries:
        return QuerySet(qualified, standard_set.blanked_playlists,
                        info | {"mode": "filtered", "queries": len(qualified)})
    tracks, genre = _playlist_tracks(catalog)
    own = _own_artist_tracks(catalog, tracks, artists)
    eligible = own[(own.map(len) >= n_seeds) & (tracks.map(len) > n_seeds)]
    if eligible.empty:
        raise CatalogError(
            f"cold start with {n_seeds} seeds: no playlist has {n_seeds} tracks whose artists are "
            f"in no other playlist (and {len(qualified)} of {len(standard)} held-out playlists had "
            "seeds by such artists); use fewer seeds."
        )
    queries = [_query(pid, genre, tracks[pid], seeds)
               for pid, seeds in _draw(eligible, n_playlists, n_seeds, random_state)]
    sampled = QuerySet(queries, [q["playlist_id"] for q in queries])
    checked = _cold_queries(catalog, sampled, artists)  # every one, by construction
    sampled.queries = checked
    sampled.cold_start = info | {"mode": "sampled", "eligible_playlists": len(eligible), "queries": len(checked)}
    return sampled
