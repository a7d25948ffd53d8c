"""Synthetic catalogs grown from the real default catalog, written as Parquet.

Each synthetic track copies a randomly drawn real track (rows resampled with replacement)
with small jitter on its audio features and popularity and a new random 22-character base62
ID. Copies are spread over "universes" (about as many as the size is a multiple of the real
catalog): a copy in universe ``u`` belongs to playlist ``<id>-u<u>`` instead of ``<id>`` and
its artist is ``<name> #u``, so playlists keep their real size and taste structure and the
number of artists and playlists grows with the catalog, as in the big public dumps.

The file keeps the TidyTuesday layout (one row per track x playlist membership), so loading
it exercises the same code path as the real data.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from recommender.catalog import DEFAULT_CATALOG_PATH

_log = logging.getLogger(__name__)

__all__ = ["BASE62", "random_ids", "grow_catalog", "write_synthetic"]

BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)

# feature -> (noise standard deviation, lower, upper); key and mode are kept as they are.
JITTER: dict[str, tuple[float, float, float]] = {
    "danceability": (0.02, 0.0, 1.0),
    "energy": (0.02, 0.0, 1.0),
    "speechiness": (0.005, 0.0, 1.0),
    "acousticness": (0.01, 0.0, 1.0),
    "instrumentalness": (0.005, 0.0, 1.0),
    "liveness": (0.01, 0.0, 1.0),
    "valence": (0.02, 0.0, 1.0),
    "loudness": (0.3, -60.0, 5.0),
    "tempo": (1.0, 1.0, 250.0),
}


def random_ids(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct random 22-character base62 IDs (as a NumPy string array)."""
    out = np.empty(0, dtype="U22")
    while len(out) < n:
        codes = BASE62[rng.integers(0, 62, size=(n - len(out), 22))]
        fresh = codes.view("S22").ravel().astype("U22")
        out = np.unique(np.concatenate([out, fresh]))  # collisions are ~impossible; be sure
    return rng.permutation(out)[:n]


def _source_table() -> pa.Table:
    table = pacsv.read_csv(DEFAULT_CATALOG_PATH)
    return table.sort_by("track_id")  # rows of one track adjacent


def grow_catalog(n_tracks: int, *, random_state: int = 0, source: pa.Table | None = None) -> pa.Table:
    """A TidyTuesday-layout table with ``n_tracks`` synthetic tracks (see module docstring)."""
    rng = np.random.default_rng(random_state)
    src = source if source is not None else _source_table()
    track_ids = src.column("track_id").to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, track_ids[1:] != track_ids[:-1]])
    counts = np.diff(np.r_[starts, len(track_ids)])
    n_src = len(starts)

    pick = rng.integers(0, n_src, size=n_tracks)  # source track per new track
    n_universes = max(1, int(np.ceil(n_tracks / n_src)))
    universe = rng.integers(0, n_universes, size=n_tracks)
    rows_per_track = counts[pick]
    total = int(rows_per_track.sum())
    first_row = np.repeat(starts[pick], rows_per_track)
    offset = np.arange(total) - np.repeat(np.cumsum(rows_per_track) - rows_per_track, rows_per_track)
    take = first_row + offset  # source row of every output row
    owner = np.repeat(np.arange(n_tracks), rows_per_track)  # new track of every output row

    out = src.take(pa.array(take))
    columns: dict[str, pa.Array] = {name: out.column(name) for name in out.column_names}
    columns["track_id"] = pa.array(random_ids(n_tracks, rng)[owner])
    suffix_u = pc.cast(pa.array(universe[owner]), pa.string())
    is_copy = pa.array(universe[owner] > 0)
    for name, sep in (("playlist_id", "-u"), ("playlist_name", " #"), ("track_artist", " #")):
        joined = pc.binary_join_element_wise(columns[name], pa.scalar(sep), suffix_u, "")
        columns[name] = pc.if_else(is_copy, joined, columns[name])
    for name, (sd, lo, hi) in JITTER.items():
        base = columns[name].to_numpy(zero_copy_only=False).astype(np.float64)
        noise = rng.normal(0.0, sd, size=n_tracks)[owner]  # one draw per track, not per row
        columns[name] = pa.array(np.clip(base + noise, lo, hi).round(6))
    duration = columns["duration_ms"].to_numpy(zero_copy_only=False).astype(np.float64)
    columns["duration_ms"] = pa.array(np.maximum(1000, duration * (1 + rng.normal(0, 0.02, n_tracks)[owner])).round().astype(np.int64))
    pop = columns["track_popularity"].to_numpy(zero_copy_only=False).astype(np.float64)
    columns["track_popularity"] = pa.array(np.clip(pop + rng.integers(-3, 4, n_tracks)[owner], 0, 100).astype(np.int64))
    return pa.table(columns)


def write_synthetic(path: str | Path, n_tracks: int, *, random_state: int = 0) -> Path:
    """Grow a catalog of ``n_tracks`` and write it as Parquet (skipped when it exists)."""
    path = Path(path)
    if path.exists():
        return path
    table = grow_catalog(n_tracks, random_state=random_state)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=1 << 17)  # several row groups: decoded in parallel
    tmp.replace(path)  # a killed run leaves no half-written catalog behind
    _log.info("wrote %s: %d tracks, %d rows", path, n_tracks, table.num_rows)
    return path
