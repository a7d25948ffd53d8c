"""Recommenders: one base class does the shared work, each method writes one scoring hook.

:class:`BaseRecommender` parses seeds (raw pasted text or a list of IDs), reports seeds that
are not in the catalog, excludes the seeds, applies :class:`Filters` as boolean masks over
the whole catalog, pulls the ranking toward ``target_*`` values, keeps the list diverse (at
most ``max_per_artist`` tracks per artist), takes the top k with ``np.argpartition`` and
writes a plain-words explanation for every track. A method only implements
``_score(seed_positions) -> float32 vector over all tracks`` (and optionally ``_fit`` and
``_signals`` for explanations). Everything is vectorised (numpy / scipy.sparse); nothing
loops over tracks or builds a tracks x tracks matrix.

Methods (registry :data:`RECOMMENDERS`, user-facing :data:`METHODS`): ``hybrid``, ``similar``,
``cluster``, ``popular`` and the ``random`` baseline.

Unknown values in filters: a track whose value of a filtered feature is unknown (NaN) does
not pass a min/max bound on that feature, except popularity, whose treatment is set by
``Filters.unknown_popularity``: ``"exclude"`` (default) drops tracks with unknown
popularity only when a popularity bound is set; ``"include"`` lets them pass. Without a
popularity bound they are always kept. A ``target_*`` treats an unknown value as the
catalog median. Tracks with an unknown release year fail a year range.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .catalog import TUNABLE_FEATURES, Catalog, split_list
from .clustering import ClusterModel
from .errors import FilterError, ModelError, NotFittedError, SeedError
from .features import FeatureSpace
from .ids import InvalidToken, is_track_id, parse_track_ids, track_id_from_token
from .neighbors import ExactIndex, IVFIndex, build_index, sorted_unique
from .songs import catalog_song_codes

_log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MAX_PER_ARTIST_PER_PAGE",
    "PAGE_SIZE",
    "Filters",
    "RecommendationResult",
    "BaseRecommender",
    "HybridRecommender",
    "SimilarRecommender",
    "ClusterRecommender",
    "PopularRecommender",
    "RandomRecommender",
    "RECOMMENDERS",
    "METHODS",
    "make_recommender",
]

# At most 2 tracks of one artist in each page of 10 results: >= 5 distinct artists in every
# top 10, while an artist's further good tracks move down a page instead of disappearing
# (a hard cap over the whole list costs a third of the hybrid's recall@100).
PAGE_SIZE = 10
# A target_* costs a track TARGET_STRENGTH score standard deviations per feature standard
# deviation it is away from the target: a clear pull that still respects the seeds.
TARGET_STRENGTH = 2.0
DEFAULT_MAX_PER_ARTIST_PER_PAGE = 2
# Above this many tracks the hybrid scores a candidate set instead of every track: the
# audio neighbours from the similarity index (CANDIDATES_PER_RESULT per result, at least
# MIN_CANDIDATES) plus every track the sparse signals reach (same artist or album, the seeds'
# playlists, their artists' co-playlisted artists), each scored exactly. Below it (the
# embedded catalog, the evaluation) every track is scored, as the weights were tuned. Dense
# scoring of all eleven signals took ~630 ms per query at 300k tracks; python -m bench
# reports how often the candidate answer equals the dense one (recall@20 of the hybrid).
HYBRID_CANDIDATES_ABOVE = 200_000
CANDIDATES_PER_RESULT = 10
MIN_CANDIDATES = 1_000
# From this many tracks the hybrid's audio candidates come from the IVF index (faiss, see
# recommender.neighbors) instead of the exact scan: every candidate-mode catalog. The 1,200
# neighbours are candidates, each rescored exactly with every signal, so the approximation only
# touches the pool's margin: at 1M tracks the IVF search took ~2.3 ms instead of ~6.2 ms and
# found 98.8% of the exact top 200 audio neighbours, and the hybrid's top 20 was the same on
# every checked query (python -m bench reports it as recall@20 against scoring every track).
# The exact scan of 1,200 neighbours also slows down most when another process holds a core
# (300k tracks: 8 ms quiet, 55 ms in a run sharing the machine). The build adds ~0.5 s to the
# fit at 300k tracks, ~2 s at 1M.
HYBRID_APPROXIMATE_ABOVE = HYBRID_CANDIDATES_ABOVE
# Cells of the IVF index the hybrid's candidate search scans (the index's default for
# `similar` is 32). Half the cells: the search costs ~0.5 ms less at 1M tracks, and since
# every candidate is rescored with all signals, the hybrid's top 20 stayed the one found by
# scoring every track (recall@20 in python -m bench at 1M and 10M tracks).
HYBRID_N_PROBE = 16
# Up to this many tracks a result says which filters changed nothing (see recommend()).
UNCHANGED_FILTER_CHECK_UP_TO = HYBRID_CANDIDATES_ABOVE
UNKNOWN_POPULARITY_POLICIES = ("exclude", "include")
FILTER_MASKS_KEPT = 8  # min/max filter masks remembered per fitted model (1 MB each at 1M tracks)
RESULT_COLUMNS = ["track_id", "track_name", "artists", "popularity", "score", "match", "why"]


# =============================================================================== filters
def _shown(value: Any) -> str:
    """A short repr for messages (a huge int cannot even be turned into text)."""
    try:
        text = repr(value)
    except ValueError:
        return "a number too large to use"
    return text if len(text) <= 60 else text[:57] + "..."


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise FilterError(f"{name} must be a number, not {value!r}.")
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        raise FilterError(f"{name} must be a number, not {_shown(value)}.") from None
    if not math.isfinite(out):
        raise FilterError(f"{name} must be a finite number, not {value!r}.")
    return out


def _year(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    out = _number(name, value)
    if out != int(out):
        raise FilterError(f"{name} must be a whole year such as 1999, not {value!r}.")
    return int(out)


def _genre_list(name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items = [v.strip() for v in value.replace(",", ";").split(";")]
    elif isinstance(value, Iterable):
        items = [str(v).strip() for v in value]
    else:
        raise FilterError(f"{name} must be a list of genre names, not {value!r}.")
    return [v for v in items if v]


def _truthy(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise FilterError(f"{name} must be true or false, not {value!r}.")


@dataclass
class Filters:
    """What the recommendations must satisfy (Spotify's tunable attributes and more).

    ``min`` / ``max`` / ``target`` map a feature among :data:`TUNABLE_FEATURES` (including
    ``popularity``) to a value; a target pulls the ranking toward the value (a track one
    standard deviation away loses two standard deviations of score). Genres match the
    track's playlist genres or subgenres, case-insensitively. Diversity, by first-listed
    artist: ``max_per_artist`` is a hard cap over the whole list (default ``None``: off);
    ``max_per_artist_per_page`` (default 2) allows at most that many tracks of one artist
    in each page of 10 results, moving the rest down a page, so every top 10 holds >= 5
    artists (``None`` switches it off); the candidate pool grows until every page keeps it,
    and only when the filters leave too few artists does a page break it (the result's
    ``notes`` say so). Song identity (:mod:`recommender.songs`): a list never holds two
    versions of one song, and holds no version of a seed song unless ``include_versions``. ``unknown_popularity`` says how tracks whose popularity
    is unknown are treated when a popularity bound is set: ``"exclude"`` (default) or
    ``"include"``; without a bound they always stay.
    """

    min: dict[str, float] = field(default_factory=dict)
    max: dict[str, float] = field(default_factory=dict)
    target: dict[str, float] = field(default_factory=dict)
    include_genres: list[str] = field(default_factory=list)
    exclude_genres: list[str] = field(default_factory=list)
    min_year: int | None = None
    max_year: int | None = None
    exclude_seed_artists: bool = False
    include_versions: bool = False
    max_per_artist: int | None = None
    max_per_artist_per_page: int | None = DEFAULT_MAX_PER_ARTIST_PER_PAGE
    unknown_popularity: str = "exclude"

    FLAT_KEYS: ClassVar[tuple[str, ...]] = (
        "include_genres", "exclude_genres", "min_year", "max_year",
        "exclude_seed_artists", "include_versions", "max_per_artist", "max_per_artist_per_page",
        "unknown_popularity",
    )

    def __post_init__(self) -> None:
        for kind in ("min", "max", "target"):
            values = getattr(self, kind) or {}
            clean = {}
            for name, value in dict(values).items():
                if name not in TUNABLE_FEATURES:
                    raise FilterError(
                        f"{kind}_{name} is not a tunable attribute; use one of: "
                        + ", ".join(TUNABLE_FEATURES) + "."
                    )
                if value is None or value == "":
                    continue
                clean[name] = _number(f"{kind}_{name}", value)
            setattr(self, kind, clean)
        for name in set(self.min) & set(self.max):
            if self.min[name] > self.max[name]:
                raise FilterError(
                    f"min_{name}={self.min[name]:g} is above max_{name}={self.max[name]:g}; "
                    "swap them or widen the range."
                )
        self.include_genres = _genre_list("include_genres", self.include_genres)
        self.exclude_genres = _genre_list("exclude_genres", self.exclude_genres)
        self.min_year = _year("min_year", self.min_year)
        self.max_year = _year("max_year", self.max_year)
        if self.min_year is not None and self.max_year is not None and self.min_year > self.max_year:
            raise FilterError(
                f"min_year={self.min_year} is after max_year={self.max_year}; swap them."
            )
        self.exclude_seed_artists = _truthy("exclude_seed_artists", self.exclude_seed_artists)
        self.include_versions = _truthy("include_versions", self.include_versions)
        for key in ("max_per_artist", "max_per_artist_per_page"):
            value = getattr(self, key)
            if value is None or value == "" or (isinstance(value, str) and value.lower() == "none"):
                setattr(self, key, None)
                continue
            n = _number(key, value)
            if n < 1 or n != int(n):
                raise FilterError(f"{key} must be a whole number >= 1 (or None for no cap), not {value!r}.")
            setattr(self, key, int(n))
        if self.unknown_popularity not in UNKNOWN_POPULARITY_POLICIES:
            raise FilterError(
                f"unknown_popularity must be one of {UNKNOWN_POPULARITY_POLICIES}, "
                f"not {self.unknown_popularity!r}."
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Filters":
        """Build from flat keys (``min_energy``, ``target_tempo``, ``min_popularity``,
        ``min_year``, ``include_genres``, ...) or nested ``min``/``max``/``target`` dicts."""
        if data is None:
            return cls()
        if isinstance(data, Filters):
            return data
        kwargs: dict[str, Any] = {"min": {}, "max": {}, "target": {}}
        for key, value in dict(data).items():
            key = str(key)
            if key in ("min", "max", "target") and isinstance(value, Mapping):
                kwargs[key].update(value)
            elif key in cls.FLAT_KEYS:
                kwargs[key] = value
            elif key.startswith(("min_", "max_", "target_")) and key.split("_", 1)[1] in TUNABLE_FEATURES:
                kind, name = key.split("_", 1)
                kwargs[kind][name] = value
            else:
                allowed = ", ".join(
                    [f"min_/max_/target_ + one of {', '.join(TUNABLE_FEATURES)}", *cls.FLAT_KEYS]
                )
                raise FilterError(f"unknown filter {key!r}; allowed: {allowed}.")
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Flat keys for the values that differ from the defaults (URL query strings)."""
        out: dict[str, Any] = {}
        for kind in ("min", "max", "target"):
            for name, value in getattr(self, kind).items():
                out[f"{kind}_{name}"] = value
        default = Filters()
        for key in self.FLAT_KEYS:
            value = getattr(self, key)
            if value != getattr(default, key):
                out[key] = list(value) if isinstance(value, list) else value
        return out

    @property
    def has_popularity_bound(self) -> bool:
        return "popularity" in self.min or "popularity" in self.max


def _float32_bound(bound: float, kind: str) -> np.float32:
    """The float32 ``b`` with ``value >= b`` (kind ``"min"``) or ``value <= b`` (``"max"``)
    true for exactly the float32 values that pass the float64 ``bound``: the smallest float32
    at or above a min bound, the largest at or below a max bound. Comparing a float32 column
    to it gives the float64 comparison's answer without a float64 copy of the column."""
    with np.errstate(over="ignore"):
        b = np.float32(bound)  # nearest float32 (+-inf beyond its range)
        if kind == "min" and float(b) < bound:
            b = np.nextafter(b, np.float32(np.inf))
        elif kind == "max" and float(b) > bound:
            b = np.nextafter(b, np.float32(-np.inf))
    return b


def _coerce_filters(filters: Filters | Mapping[str, Any] | None) -> Filters:
    if filters is None:
        return Filters()
    if isinstance(filters, Filters):
        return filters
    if isinstance(filters, Mapping):
        return Filters.from_dict(filters)
    raise FilterError(f"filters must be a Filters object or a dict, not {type(filters).__name__}.")


# =============================================================================== result
@dataclass
class RecommendationResult:
    """Seeds used, seeds not found, rejected tokens, the ranked tracks, and a message."""

    seeds: list[str]
    not_in_catalog: list[str]
    invalid: list[InvalidToken]
    recommendations: pd.DataFrame
    message: str | None = None
    method: str = ""
    notes: list[str] = field(default_factory=list)  # plain-words notes for the listener

    def __len__(self) -> int:
        return len(self.recommendations)

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON object; ``message`` only appears when there is one."""
        recs = []
        for row in self.recommendations[RESULT_COLUMNS].itertuples(index=False):
            pop = row.popularity
            recs.append(
                {
                    "track_id": str(row.track_id),
                    "track_name": None if pd.isna(row.track_name) else str(row.track_name),
                    "artists": None if pd.isna(row.artists) else str(row.artists),
                    "popularity": None if pd.isna(pop) else int(round(float(pop))),
                    "score": round(float(row.score), 6),
                    "match": None if pd.isna(row.match) else int(row.match),
                    "why": str(row.why),
                }
            )
        out: dict[str, Any] = {
            "seeds": list(self.seeds),
            "not_in_catalog": list(self.not_in_catalog),
            "invalid": [{"token": t.token, "reason": t.reason} for t in self.invalid],
            "recommendations": recs,
        }
        if self.message:
            out["message"] = self.message
        return out


# =============================================================================== shared index
def _split_artists(artists: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``'; '``-joined artist cells -> (row of each artist, lower-case artist names, the
    first-listed artist of each row or ''), with Arrow string kernels (no per-row Python)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = pa.array(artists.astype("string").fillna("").to_numpy(dtype=object), type=pa.large_string())
    lists = pc.split_pattern(cells, ";")
    first = pc.utf8_lower(pc.utf8_trim_whitespace(pc.list_element(lists, 0)))
    flat = pc.utf8_lower(pc.utf8_trim_whitespace(pc.list_flatten(lists)))
    rows = pc.list_parent_indices(lists).to_numpy()
    keep = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    names = flat.to_numpy(zero_copy_only=False)
    out = rows[keep].astype(np.int64), names[keep], first.to_numpy(zero_copy_only=False)
    del cells, lists, flat
    pa.default_memory_pool().release_unused()  # Arrow keeps freed buffers otherwise
    return out


def _csr(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    m = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=shape)
    m.sum_duplicates()
    m.data[:] = 1.0  # membership, not count
    return m


def _row_slots(m: sp.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the entries of the given CSR rows sit in ``m.indices`` / ``m.data``, row after
    row, and the number (0..len(rows)-1) of the row each came from. Plain NumPy: scipy's
    fancy row indexing builds and validates a sub-matrix every call (~0.2 ms)."""
    rows = np.asarray(rows, dtype=np.int64)
    starts = m.indptr[rows].astype(np.int64)
    lengths = m.indptr[rows + 1] - starts
    owner = np.repeat(np.arange(len(rows)), lengths)
    # entry j of row i sits at starts[i] + (j - first output slot of row i)
    slots = np.arange(len(owner)) + (starts - (np.cumsum(lengths) - lengths))[owner]
    return slots, owner


def _row_entries(m: sp.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The column indices stored in the given rows of a CSR matrix, row after row (what
    ``m[rows].indices`` holds), and the number of the row each came from."""
    slots, owner = _row_slots(m, rows)
    return m.indices[slots], owner


def _row_dot(m: sp.csr_matrix, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``m[rows] @ vector`` as float32, from the rows' entries alone (no sub-matrix)."""
    rows = np.asarray(rows, dtype=np.int64)
    slots, owner = _row_slots(m, rows)
    products = m.data[slots] * vector[m.indices[slots]]
    return np.bincount(owner, weights=products, minlength=len(rows)).astype(np.float32)


def _rows_touching(m: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Per given row: does it store an entry in any of ``cols``? For 0/1 incidence matrices
    this is ``m[rows][:, cols].sum(axis=1) > 0``, without building the sub-matrices."""
    entries, owner = _row_entries(m, rows)
    cols = sorted_unique(cols)
    if len(cols) == 0:
        return np.zeros(len(rows), dtype=bool)
    found = cols[np.minimum(np.searchsorted(cols, entries), len(cols) - 1)] == entries
    return np.bincount(owner[found], minlength=len(rows)) > 0


def _member_positions(catalog: Catalog) -> np.ndarray:
    """``catalog.positions(catalog.memberships["track_id"])`` by factorizing the track IDs
    and the memberships' IDs together: distinct track IDs get codes 0..n-1 (their rows) and
    a membership's code is its track's row. The strings stay in Arrow memory, where the
    ID index takes ~1M Python strings (the fit's peak memory on a million tracks)."""
    ids, member_ids = catalog.tracks["track_id"], catalog.memberships["track_id"]
    codes, _ = pd.factorize(pd.concat([ids, member_ids], ignore_index=True))
    n = len(ids)
    if not np.array_equal(codes[:n], np.arange(n)):  # repeated or missing track IDs
        return catalog.positions(member_ids)
    pos = codes[n:].astype(np.int64)
    pos[pos >= n] = -1  # not a catalog track
    return pos


class CatalogIndex:
    """Sparse incidence matrices and arrays every method needs (built once per fit)."""

    def __init__(self, catalog: Catalog) -> None:
        t = catalog.tracks
        n = len(t)
        self.n = n
        # artists: track x artist incidence; the first-listed artist is the "primary" one.
        rows, artist_names, first = _split_artists(t["artists"])
        codes, names = pd.factorize(artist_names)
        self.artists = _csr(rows, codes, (n, len(names)))
        self.artist_names = list(names)
        primary = pd.Index(names).get_indexer(first)
        # Tracks without an artist each count as their own "artist" for the diversity cap.
        no_artist = primary < 0
        primary[no_artist] = len(names) + np.flatnonzero(no_artist)
        self.primary_artist = primary.astype(np.int64)
        # playlists and genre labels from the memberships.
        m = catalog.memberships
        pos = _member_positions(catalog) if len(m) else np.zeros(0, dtype=np.int64)
        ok = pos >= 0
        pl = m["playlist_id"].astype("string")
        has_pl = ok & pl.notna().to_numpy()
        pl_codes, pl_names = pd.factorize(pl[has_pl])
        self.playlists = _csr(pos[has_pl], pl_codes, (n, len(pl_names)))
        self.playlist_ids = list(pl_names)
        # genre labels (genres and subgenres, lower case) for filters and taste profiles.
        labels = pd.concat(
            [
                pd.DataFrame({"pos": pos[ok], "label": m["genre"].astype("string")[ok].str.lower().to_numpy()}),
                pd.DataFrame({"pos": pos[ok], "label": m["subgenre"].astype("string")[ok].str.lower().to_numpy()}),
            ]
        ).dropna()
        labels = labels[labels["label"].str.strip() != ""]
        lab_codes, lab_names = pd.factorize(labels["label"].str.strip())
        self.genres = _csr(labels["pos"].to_numpy(), lab_codes, (n, len(lab_names)))
        self.genre_names = list(lab_names)
        sub = m["subgenre"].astype("string")[ok]
        use = sub if sub.notna().any() else m["genre"].astype("string")[ok]
        keep = use.notna().to_numpy()
        s_codes, s_names = pd.factorize(use[keep].str.lower())
        self.styles = sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=np.float32), (pos[ok][keep], s_codes)), shape=(n, len(s_names))
        )  # counts: how often a track is filed under each (sub)genre
        self.style_names = list(s_names)
        alb = t["album_id"].astype("string") if "album_id" in t else pd.Series(pd.NA, index=t.index)
        alb_codes, _ = pd.factorize(alb)
        self.album = alb_codes.astype(np.int64)  # -1 unknown
        self.popularity = t["popularity"].to_numpy(dtype=np.float32, na_value=np.nan)
        self.year = t["release_year"].to_numpy(dtype=np.float32, na_value=np.nan)
        self.song = catalog_song_codes(catalog)  # equal codes: versions of one song

    def song_versions(self, positions: np.ndarray) -> np.ndarray:
        """Every track that is a version of the songs at ``positions`` (them included),
        from a song -> tracks index built on first use (no pass over the catalog per query)."""
        if "_song_tracks" not in self.__dict__:
            order = np.argsort(self.song, kind="stable")
            starts = np.searchsorted(self.song[order], np.arange(int(self.song.max()) + 2 if self.n else 1))
            self._song_tracks = (order, starts)
        order, starts = self._song_tracks
        songs = sorted_unique(self.song[np.asarray(positions, dtype=np.int64)])
        if len(songs) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([order[starts[s]:starts[s + 1]] for s in songs.tolist()])

    def __getstate__(self) -> dict:
        # Cached column views of the catalog are rebuilt on demand: not stored twice in pickles.
        state = self.__dict__.copy()
        state.pop("_filter_values", None)
        state.pop("_song_tracks", None)
        return state

    def filter_values(self, tracks: pd.DataFrame, name: str) -> tuple[np.ndarray, int]:
        """A numeric tracks column for min/max filters (NaN unknown) and its number of
        unknown values, looked up once per fit. A float32 column is used as it is stored (no
        float64 copy: :func:`_float32_bound` keeps the comparisons exact)."""
        cache = self.__dict__.setdefault("_filter_values", {})
        if name not in cache:
            values = tracks[name].to_numpy() if name in tracks else None
            if not (isinstance(values, np.ndarray) and values.dtype == np.float32):
                values = (
                    tracks[name].to_numpy(dtype=np.float64, na_value=np.nan)
                    if name in tracks else np.full(self.n, np.nan)
                )
            cache[name] = (values, int(np.count_nonzero(np.isnan(values))))
        return cache[name]

    @property
    def n_albums(self) -> int:
        """Number of distinct albums (codes 0..n_albums-1), counted once."""
        if "_n_albums" not in self.__dict__:
            self._n_albums = int(self.album.max()) + 1 if len(self.album) else 0
        return self._n_albums

    def seed_artist_columns(self, seed_pos: np.ndarray) -> np.ndarray:
        return sorted_unique(_row_entries(self.artists, seed_pos)[0])

    def has_artist(self, artist_cols: np.ndarray) -> np.ndarray:
        if len(artist_cols) == 0:
            return np.zeros(self.n, dtype=bool)
        return np.asarray(self.artists[:, artist_cols].sum(axis=1)).ravel() > 0


# =============================================================================== base
class BaseRecommender:
    """Shared work of every method; subclasses implement :meth:`_score`.

    Parameters
    ----------
    random_state:
        Seed for any randomness (the same seeds and state give the same list).
    """

    name: ClassVar[str] = "base"
    requires_seeds: ClassVar[bool] = True

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
        return state

    def get_params(self) -> dict[str, Any]:
        import inspect

        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {p: getattr(self, p, None) for p in names}

    # ------------------------------------------------------------------ fitting
    def fit(self, catalog: Catalog) -> "BaseRecommender":
        """Index ``catalog`` and learn what the method needs; returns self."""
        self.__dict__.pop("_table_columns_", None)
        self.__dict__.pop("_filter_masks_", None)
        self.catalog_ = catalog
        self.index_ = CatalogIndex(catalog)
        self.space_ = FeatureSpace().fit(catalog) if catalog.has_features else None
        self._fit(catalog)
        # The seed lookup's ID index (~1M Python strings on a million tracks) is built now,
        # once the fit's temporary arrays are freed, not by the first query.
        catalog.positions([])
        return self

    def _fit(self, catalog: Catalog) -> None:
        """Method-specific learning (optional)."""

    def _check_fitted(self) -> None:
        if not hasattr(self, "catalog_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(catalog) first.")

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

    # ------------------------------------------------------------------ seeds
    def _parse_seeds(self, seeds: str | Iterable[str] | None) -> tuple[list[str], list[InvalidToken]]:
        if seeds is None:
            return [], []
        if isinstance(seeds, str):
            parsed = parse_track_ids(seeds)
            return list(parsed.ids), list(parsed.invalid)
        ids: list[str] = []
        invalid: list[InvalidToken] = []
        for item in seeds:
            token = str(item)
            if is_track_id(token):
                track_id = token
            else:
                track_id, reason = track_id_from_token(token)
                if track_id is None:
                    if reason != "empty token":
                        invalid.append(InvalidToken(token, reason or "not a track ID"))
                    continue
            if track_id not in ids:
                ids.append(track_id)
        return ids, invalid

    def _seed_error(self, ids: list[str], invalid: list[InvalidToken]) -> SeedError:
        where = self.catalog_.name
        if not ids and not invalid:
            return SeedError("no seed tracks given: paste Spotify track IDs, URIs or links.")
        if not ids:
            reasons = "; ".join(f"{t.reason}" for t in invalid[:3])
            more = f" (and {len(invalid) - 3} more)" if len(invalid) > 3 else ""
            return SeedError(f"none of the pasted items is a track ID: {reasons}{more}.")
        shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        return SeedError(
            f"none of the {len(ids)} seed track(s) is in the catalog {where!r} ({shown}); "
            "pick seeds from the catalog, or load a catalog that holds them."
        )

    # ------------------------------------------------------------------ filters
    def _filter_masks(self, filters: Filters, seed_pos: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """(label, mask) per active filter, in the order they are reported."""
        masks = [
            self._range_mask(kind, name, bound, filters.unknown_popularity)
            for kind in ("min", "max")
            for name, bound in getattr(filters, kind).items()
        ]
        return masks + self._other_filter_masks(filters, seed_pos)

    def _range_mask(self, kind: str, name: str, bound: float, unknown_popularity: str) -> tuple[str, np.ndarray]:
        """A min_/max_ filter's (label, mask); tracks with an unknown value fail it, except
        unknown popularity under ``unknown_popularity="include"``.

        Remembered per fit for the last FILTER_MASKS_KEPT distinct filters (read-only masks, one
        byte per track each): a listener, or a page of results, asks many seed sets under one
        filter, and a mask costs a pass over every track."""
        memo = self.__dict__.setdefault("_filter_masks_", {})
        key = (kind, name, bound, unknown_popularity)
        found = memo.get(key)
        if found is not None:
            return found
        values, n_unknown = self.index_.filter_values(self.catalog_.tracks, name)
        limit = _float32_bound(bound, kind) if values.dtype == np.float32 else bound
        with np.errstate(invalid="ignore"):  # an unknown (NaN) value fails both
            ok = values >= limit if kind == "min" else values <= limit
        label = f"{kind}_{name}={bound:g}"
        if name == "popularity":
            if unknown_popularity == "include":
                if n_unknown:
                    ok |= np.isnan(values)
            elif n_unknown:
                label += f" (excludes the {n_unknown:,} tracks with unknown popularity)"
        elif n_unknown:
            label += f" ({name} is unknown for {n_unknown:,} tracks)"
        ok.flags.writeable = False
        memo[key] = (label, ok)
        while len(memo) > FILTER_MASKS_KEPT:
            memo.pop(next(iter(memo)), None)  # the oldest
        return label, ok

    def _other_filter_masks(self, filters: Filters, seed_pos: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """(label, mask) of the genre, year and seed-artist filters."""
        idx = self.index_
        masks: list[tuple[str, np.ndarray]] = []
        if filters.include_genres or filters.exclude_genres:
            names = {g: i for i, g in enumerate(idx.genre_names)}
            for kind, wanted in (("include_genres", filters.include_genres), ("exclude_genres", filters.exclude_genres)):
                if not wanted:
                    continue
                cols = [names[g.lower()] for g in wanted if g.lower() in names]
                unknown = [g for g in wanted if g.lower() not in names]
                if unknown and kind == "include_genres" and not cols:
                    known = ", ".join(sorted(idx.genre_names)[:30]) or "none"
                    raise FilterError(
                        f"genre {unknown[0]!r} is not in this catalog; known genres: {known}."
                    )
                if cols:
                    has = np.asarray(idx.genres[:, cols].sum(axis=1)).ravel() > 0
                else:
                    has = np.zeros(idx.n, dtype=bool)
                masks.append((f"{kind}={', '.join(wanted)}", has if kind == "include_genres" else ~has))
        if filters.min_year is not None or filters.max_year is not None:
            year = idx.year
            with np.errstate(invalid="ignore"):
                ok = ~np.isnan(year)
                if filters.min_year is not None:
                    ok &= year >= filters.min_year
                if filters.max_year is not None:
                    ok &= year <= filters.max_year
            label = f"release year {filters.min_year or '…'}–{filters.max_year or '…'}"
            masks.append((label, ok))
        if filters.exclude_seed_artists and len(seed_pos):
            masks.append(("exclude_seed_artists", ~idx.has_artist(idx.seed_artist_columns(seed_pos))))
        return masks

    def _apply_targets(self, scores: np.ndarray, candidates: np.ndarray, filters: Filters) -> np.ndarray:
        if not filters.target:
            return scores
        t = self.catalog_.tracks
        spread = float(np.std(scores[candidates])) if candidates.any() else 1.0
        spread = spread if spread > 1e-9 else 1.0
        penalty = np.zeros(len(scores), dtype=np.float32)
        for name, value in filters.target.items():
            if name not in t or t[name].isna().all():
                continue
            col = t[name].to_numpy(dtype=np.float32, na_value=np.nan)
            median = np.nanmedian(col)
            scale = np.nanstd(col) or 1.0
            col = np.where(np.isnan(col), median, col)
            penalty += np.abs(col - value) / scale
        return (scores - TARGET_STRENGTH * spread * penalty).astype(np.float32)

    # ------------------------------------------------------------------ ranking
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

    # ------------------------------------------------------------------ explanations
    def _explain(self, seed_pos: np.ndarray, rec_pos: np.ndarray, filters: Filters | None = None) -> list[str]:
        """Why each track, in a listener's words, the strongest reason first: the user's
        targets when they drove the pick, the method's signals (same artist, shared
        playlists, ...), then how it sounds next to the closest seed."""
        extra = self._signals(seed_pos, rec_pos)
        base = self._base_reason(rec_pos)
        targets = self._target_reasons(rec_pos, filters)
        sound = self._sound_reasons(seed_pos, rec_pos)
        out = []
        for i in range(len(rec_pos)):
            parts = [targets[i], *extra[i], base[i], sound[i]]
            text = "; ".join(p for p in parts if p)
            out.append(text[:1].upper() + text[1:])
        return out

    def _target_reasons(self, rec_pos: np.ndarray, filters: Filters | None) -> list[str]:
        """"near your target tempo 120 BPM (118 BPM)" for each target the user set."""
        if filters is None or not filters.target:
            return ["" for _ in rec_pos]
        t = self.catalog_.tracks
        phrases = []
        for name, goal in filters.target.items():
            if name not in t:
                continue
            values = t[name].to_numpy(dtype=np.float64, na_value=np.nan)[rec_pos]
            words = PLAIN_FEATURE_NAMES.get(name, name)
            phrases.append([f"{words} {plain_value(name, v)} (your target: {plain_value(name, goal)})" for v in values])
        return [", ".join(row) for row in zip(*phrases)] if phrases else ["" for _ in rec_pos]

    def _sound_reasons(self, seed_pos: np.ndarray, rec_pos: np.ndarray) -> list[str]:
        """"sounds like 'Seed' by Artist: similar energy and mood, but faster"; the seed is
        named only when there are several (one seed: "like your seed")."""
        if self.space_ is None or len(seed_pos) == 0:
            return ["" for _ in rec_pos]
        space = self.space_
        X = space.transform_catalog()
        R, S = X[rec_pos], X[seed_pos]
        rn = R / np.maximum(np.linalg.norm(R, axis=1, keepdims=True), 1e-9)
        sn = S / np.maximum(np.linalg.norm(S, axis=1, keepdims=True), 1e-9)
        closest = seed_pos[np.argmax(rn @ sn.T, axis=1)]
        names = space.feature_names_
        cols = [i for i, f in enumerate(names) if f in PLAIN_DIRECTIONS]
        if not cols:
            return ["" for _ in rec_pos]
        w = space.weights_
        Zr = R[:, cols] / np.where(w[cols] > 0, w[cols], 1)
        Zs = X[closest][:, cols] / np.where(w[cols] > 0, w[cols], 1)
        # The closest seeds' names, gathered once for all rows (not row by row).
        columns = self._table_columns()
        t = self.catalog_.tracks
        seed_names, seed_artists = (
            (columns[c].take(closest) if c in columns else t[c].iloc[closest]).tolist()
            for c in ("track_name", "artists")
        )
        # Every row at once: the two closest features (a match counts more where the seed is
        # distinctive: two tracks both near the catalog average instrumentalness, zero, is no
        # reason worth telling) and the widest difference.
        words = [PLAIN_FEATURE_NAMES[names[c]] for c in cols]
        directions = [PLAIN_DIRECTIONS[names[c]] for c in cols]
        diff = Zr - Zs
        closeness = np.abs(diff) - 0.5 * np.minimum(np.abs(Zs), 2.0)
        closest_features = np.argsort(closeness, axis=1, kind="stable")[:, :2].tolist()
        widest = np.argmax(np.abs(diff), axis=1)
        widest_diff = diff[np.arange(len(rec_pos)), widest].tolist()
        widest = widest.tolist()
        several = len(sorted_unique(seed_pos)) > 1
        out = []
        for i in range(len(rec_pos)):
            if several and pd.notna(seed_names[i]):
                artist = split_list(seed_artists[i])
                like = f"sounds like '{seed_names[i]}'" + (f" by {artist[0]}" if artist else "")
            else:
                like = "sounds like your seed" if not several else "sounds like one of your seeds"
            reason = f"{like}: similar {' and '.join(words[j] for j in closest_features[i])}"
            if abs(widest_diff[i]) >= 0.5:
                higher, lower = directions[widest[i]]
                reason += f", but {higher if widest_diff[i] > 0 else lower}"
            out.append(reason)
        return out

    def _base_reason(self, rec_pos: np.ndarray) -> list[str]:
        return ["" for _ in rec_pos]

    # ------------------------------------------------------------------ public
    def recommend(
        self,
        seeds: str | Iterable[str] | None,
        *,
        k: int = 20,
        filters: Filters | Mapping[str, Any] | None = None,
    ) -> RecommendationResult:
        """The top ``k`` tracks for ``seeds`` (pasted text or IDs) that pass ``filters``.

        Seeds not in the catalog are listed in ``not_in_catalog``; unparseable tokens in
        ``invalid``. Raises :class:`SeedError` when no seed is usable (methods that need
        seeds), :class:`FilterError` for invalid filters. When the filters leave no track,
        the result is empty and ``message`` names the filter that emptied the list.
        """
        self._check_fitted()
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise FilterError(f"k (the number of recommendations) must be a whole number >= 1, not {k!r}.")
        k = int(k)
        filters = _coerce_filters(filters)
        ids, invalid = self._parse_seeds(seeds)
        positions = self.catalog_.positions(ids) if ids else np.zeros(0, dtype=np.int64)
        found = [i for i, p in zip(ids, positions) if p >= 0]
        missing = [i for i, p in zip(ids, positions) if p < 0]
        seed_pos = np.asarray([p for p in positions if p >= 0], dtype=np.int64)
        if self.requires_seeds and len(seed_pos) == 0:
            raise self._seed_error(ids, invalid)

        n = self.index_.n
        candidates = np.ones(n, dtype=bool)
        candidates[seed_pos] = False
        notes: list[str] = []
        if len(seed_pos) and not filters.include_versions:
            versions = self.index_.song_versions(seed_pos)
            other = np.count_nonzero(candidates[versions])
            candidates[versions] = False
            if other:
                notes.append(
                    f"{other} other version{'s' if other != 1 else ''} of your seed songs "
                    "(remasters, mixes, live or remixed versions) left out."
                )
        left = bool(candidates.any()) if len(seed_pos) else n > 0
        message = None
        if not left:
            message = "Every catalog track is a seed or a version of one: there is nothing else to recommend."
        unfiltered = candidates.copy()  # before the filters: 1 byte a track
        masks = self._filter_masks(filters, seed_pos)
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
        # Telling which filters changed nothing costs a second ranking without them: done when
        # every track was scored anyway or the catalog is small, not on big catalogs' fast paths.
        if left and masks and (scores is not None or n <= UNCHANGED_FILTER_CHECK_UP_TO):
            notes.extend(self._unchanged_filter_notes(seed_pos, unfiltered, masks, k, filters, scores))
        frame = self._frame(rec_pos, rec_scores, seed_pos, filters)
        return RecommendationResult(
            seeds=found, not_in_catalog=missing, invalid=invalid,
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
            groups.setdefault(_plain_filter(label, filters), []).append(bool(mask[plain].all()))
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
        return pd.DataFrame(data)

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
        return _as_match(100.0 * scores / top if top > 0 else np.zeros(len(scores)))


# =============================================================================== plain words
# What a listener calls each feature (explanations, notes); units where they help.
PLAIN_FEATURE_NAMES: dict[str, str] = {
    "acousticness": "acoustic sound",
    "danceability": "danceability",
    "duration_ms": "length",
    "energy": "energy",
    "instrumentalness": "instrumental (no vocals)",
    "key": "key",
    "liveness": "live-concert feel",
    "loudness": "loudness",
    "mode": "major/minor",
    "popularity": "popularity",
    "release_year": "release year",
    "speechiness": "spoken words",
    "tempo": "tempo",
    "time_signature": "beats per bar",
    "valence": "mood",
}
# (higher, lower) in plain words, for "but ..." in explanations.
PLAIN_DIRECTIONS: dict[str, tuple[str, str]] = {
    "acousticness": ("more acoustic", "less acoustic"),
    "danceability": ("more danceable", "less danceable"),
    "duration_ms": ("longer", "shorter"),
    "energy": ("more energetic", "calmer"),
    "instrumentalness": ("more instrumental", "more vocal"),
    "liveness": ("sounds more like a live recording", "sounds less like a live recording"),
    "loudness": ("louder", "quieter"),
    "release_year": ("newer", "older"),
    "speechiness": ("more spoken words", "fewer spoken words"),
    "tempo": ("faster", "slower"),
    "valence": ("happier", "sadder"),
}
_KEY_NAMES = ("C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B")


def plain_value(name: str, value: float) -> str:
    """A feature value as a listener reads it: 0-1 features in %, BPM, dB, m:ss, key names."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    v = float(value)
    if name == "tempo":
        return f"{v:.0f} BPM"
    if name == "loudness":
        return f"{v:.1f} dB"
    if name == "duration_ms":
        seconds = int(round(v / 1000))
        return f"{seconds // 60}:{seconds % 60:02d}"
    if name == "popularity":
        return f"{v:.0f}/100"
    if name == "release_year":
        return f"{v:.0f}"
    if name == "key":
        return _KEY_NAMES[int(v)] if 0 <= v < 12 else "no key"
    if name == "mode":
        return "major" if v >= 0.5 else "minor"
    if name == "time_signature":
        return f"{v:.0f}"
    return f"{100 * v:.0f}%"


def _plain_filter(label: str, filters: Filters) -> str:
    """A filter's mask label (``min_popularity=60 (...)``) in a listener's words."""
    kind, _, rest = label.partition("_")
    name = rest.split("=", 1)[0]
    if kind in ("min", "max") and name in TUNABLE_FEATURES:
        words = PLAIN_FEATURE_NAMES.get(name, name)
        lo, hi = filters.min.get(name), filters.max.get(name)
        if lo is not None and hi is not None:
            return f"{words} {plain_value(name, lo)} to {plain_value(name, hi)}"
        return f"{words} at least {plain_value(name, lo)}" if lo is not None else f"{words} at most {plain_value(name, hi)}"
    if label.startswith("include_genres="):
        return "only " + label.split("=", 1)[1]
    if label.startswith("exclude_genres="):
        return "never " + label.split("=", 1)[1]
    if label == "exclude_seed_artists":
        return "leave out the seeds' artists"
    return label


def _as_match(values: np.ndarray) -> pd.array:
    """0-100 whole numbers that never rise down the list (nullable: NaN -> no match)."""
    values = np.clip(np.asarray(values, dtype=np.float64), 0.0, 100.0)
    known = ~np.isnan(values)
    values[known] = np.minimum.accumulate(np.round(values[known]))
    return pd.array(np.where(known, values, np.nan), dtype="Int64")


# =============================================================================== methods
def _unit_rows(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return (X / np.maximum(norms, 1e-9)).astype(np.float32, copy=False)  # one n x d copy, not two


class SimilarRecommender(BaseRecommender):
    """Nearest neighbours by cosine similarity on standardized, weighted audio features.

    Audio only (plus release year): no artist or playlist signal. ``aggregate`` combines
    the similarities to several seeds: ``"mean"`` (to the seeds' centre) or ``"max"``
    (closest seed).
    """

    name = "similar"

    def __init__(self, weights: Mapping[str, float] | None = None, use_year: bool = True,
                 aggregate: str = "mean", random_state: int | None = 0) -> None:
        super().__init__(random_state)
        self.weights = weights
        self.use_year = use_year
        self.aggregate = aggregate

    def _fit(self, catalog: Catalog) -> None:
        if self.aggregate not in ("mean", "max"):
            raise ValueError(f"aggregate must be 'mean' or 'max', not {self.aggregate!r}")
        if self.weights is None and self.use_year and self.space_ is not None:
            space = self.space_  # the default space, already fitted by fit(): not twice
        else:
            space = FeatureSpace(self.weights, use_year=self.use_year).fit(catalog)
        self.unit_ = _unit_rows(space.transform_catalog())
        # Exact blocked scan, or an IVF index above neighbors.ANN_THRESHOLD tracks.
        self.neighbors_ = build_index(self.unit_, normalized=True)

    def _score(self, seed_pos: np.ndarray) -> np.ndarray:
        sims = self.unit_ @ self.unit_[seed_pos].T  # (n, n_seeds) via BLAS
        return sims.mean(axis=1) if self.aggregate == "mean" else sims.max(axis=1)

    def _match(self, scores: np.ndarray) -> pd.array:
        return _as_match(100.0 * scores)  # a cosine: 100 = the same sound

    def _pool(self, seed_pos: np.ndarray, candidates: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray] | None:
        index = getattr(self, "neighbors_", None)  # None: fitted by an older version
        if index is None:
            return None
        found = index.search(self.unit_[seed_pos], size, mask=candidates, aggregate=self.aggregate)
        return found.positions, found.scores


class PopularRecommender(BaseRecommender):
    """The most popular tracks (unknown popularity ranks last). Seeds are optional."""

    name = "popular"
    requires_seeds = False

    def _score(self, seed_pos: np.ndarray) -> np.ndarray:
        pop = self.index_.popularity
        return np.where(np.isnan(pop), -1.0, pop).astype(np.float32)

    def _match(self, scores: np.ndarray) -> pd.array:
        return _as_match(np.where(scores < 0, np.nan, scores))  # the popularity itself

    def _base_reason(self, rec_pos: np.ndarray) -> list[str]:
        pop = self.index_.popularity[rec_pos]
        return [f"popular ({p:.0f} of 100)" if not np.isnan(p) else "popular" for p in pop]


class RandomRecommender(BaseRecommender):
    """Uniformly random tracks: the floor every method must beat. Seeds are optional."""

    name = "random"
    requires_seeds = False

    def _score(self, seed_pos: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng([self.random_state or 0, *map(int, seed_pos)])
        return rng.random(self.index_.n, dtype=np.float32)

    def _match(self, scores: np.ndarray) -> pd.array:
        return _as_match(np.full(len(scores), np.nan))  # no match: chance is the point

    def _base_reason(self, rec_pos: np.ndarray) -> list[str]:
        return ["picked at random" for _ in rec_pos]


class ClusterRecommender(BaseRecommender):
    """The classic method: K-means on scaled audio features; the most popular tracks of
    the cluster most seeds fall in (other clusters follow, by popularity)."""

    name = "cluster"

    def __init__(self, n_clusters: int | str = 8, random_state: int | None = 0) -> None:
        super().__init__(random_state)
        self.n_clusters = n_clusters

    def _fit(self, catalog: Catalog) -> None:
        self.cluster_model_ = ClusterModel(self.n_clusters, random_state=self.random_state).fit(catalog)

    def _seed_cluster(self, seed_pos: np.ndarray) -> int:
        counts = np.bincount(self.cluster_model_.labels_[seed_pos], minlength=self.cluster_model_.n_clusters_)
        return int(np.argmax(counts))  # ties: the lowest cluster number

    def _score(self, seed_pos: np.ndarray) -> np.ndarray:
        cluster = self._seed_cluster(seed_pos)
        pop = self.index_.popularity
        pop = np.where(np.isnan(pop), 0.0, pop) / 100.0
        return ((self.cluster_model_.labels_ == cluster) + pop * 0.5).astype(np.float32)

    def _base_reason(self, rec_pos: np.ndarray) -> list[str]:
        cm = self.cluster_model_
        return [f"popular in your seeds' sound group, “{cm.cluster_names_[cm.labels_[p]]}”" for p in rec_pos]


@dataclass(frozen=True)
class _Reach:
    """What a query's seeds reach through the hybrid's sparse signals (candidate mode)."""

    seed_artists: np.ndarray  # sorted artist columns of the seeds
    playlist_query: np.ndarray  # per playlist: seeds in it x its size weight
    playlist_tracks: np.ndarray  # sorted tracks of the seeds' playlists
    per_artist: np.ndarray | None  # co-playlist score per artist (None: signal off)
    artist_tracks: np.ndarray | None  # the tracks of the artists scored above zero (may repeat)


class HybridRecommender(BaseRecommender):
    """Audio similarity + release date + artist affinity + playlist co-occurrence + taste
    profile + popularity, fused as a weighted sum of signals that each lie in 0..1.

    Signals (each a vector over all tracks, computed with BLAS / scipy.sparse, no track loop):

    ======================  ======  ==========================================================
    signal                  weight  what it measures
    ======================  ======  ==========================================================
    ``audio``               0.5     cosine to the seeds' centre in :class:`FeatureSpace`
    ``audio_closest``       0.25    cosine to the closest seed (a mixed seed set's outliers)
    ``artist_audio``        0.25    cosine of the track's artists' mean sound to the seeds'
    ``release_date``        1.0     mean over seeds of ``exp(-|date - seed date| / 1 year)``
    ``same_artist``         2.0     share of seeds that share an artist with the track
    ``album``               1.2     share of seeds on the same album
    ``artist_playlists``    0.5     artists co-playlisted with the seeds' artists (artist x
                                    playlist matrix, playlists weighted 1/log(1+size), each
                                    artist's score divided by its number of playlists)
    ``cooccurrence``        0.1     item-based CF: playlists shared with the seeds (track x
                                    playlist matrix, 1/log(1+size) weights), max-scaled
    ``style``               0.25    cosine of (sub)genre profiles (own + artists' playlists)
    ``popularity_match``    0.75    mean over seeds of ``exp(-|pop - seed pop| / 10)``
    ``popularity``          0.1     popularity / 100 (a small prior)
    ======================  ======  ==========================================================

    The weights were chosen by coordinate search on the validation split of the
    playlist-continuation protocol (:func:`recommender.evaluation.evaluate` with
    ``random_state=1``, 100 playlists, 5 seeds: recall@100 0.165 for the first equal-ish
    weights, 0.232 after), never on the reported split (``random_state=0``). Co-occurrence
    gets a small weight because the protocol blanks the held-out playlists, so it can
    rarely show there; the artist-level signals carry the playlist knowledge instead.
    """

    name = "hybrid"

    DEFAULT_WEIGHTS: dict[str, float] = {
        "audio": 0.5,
        "audio_closest": 0.25,
        "artist_audio": 0.25,
        "release_date": 1.0,
        "same_artist": 2.0,
        "album": 1.2,
        "artist_playlists": 0.5,
        "cooccurrence": 0.1,
        "style": 0.25,
        "popularity_match": 0.75,
        "popularity": 0.1,
    }

    def __init__(self, weights: Mapping[str, float] | None = None, date_scale: float = 1.0,
                 popularity_scale: float = 10.0, random_state: int | None = 0) -> None:
        super().__init__(random_state)
        self.weights = weights
        self.date_scale = date_scale
        self.popularity_scale = popularity_scale

    def _fit(self, catalog: Catalog) -> None:
        w = {**self.DEFAULT_WEIGHTS, **(self.weights or {})}
        unknown = set(w) - set(self.DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown hybrid weight(s) {sorted(unknown)}; allowed: {sorted(self.DEFAULT_WEIGHTS)}")
        self.weights_ = w
        idx = self.index_
        self.unit_ = _unit_rows(self.space_.transform_catalog()) if self.space_ is not None else None
        self.date_ = _fractional_year(catalog.tracks)
        pop = idx.popularity  # the prior's stand-in for unknown popularity, once per fit
        self.popularity_fill_ = np.nanmedian(pop) if (~np.isnan(pop)).any() else 0.0
        # playlists down-weighted by size (IDF-like): a 250-track playlist says less per pair.
        sizes = np.asarray(idx.playlists.sum(axis=0)).ravel()
        self.playlist_weight_ = (1.0 / np.log1p(np.maximum(sizes, 1))).astype(np.float32)
        ap = (idx.artists.T @ idx.playlists).tocsr()
        ap.data[:] = 1.0
        self.artist_playlists_ = ap.astype(np.float32)  # artist x playlist incidence
        self.artist_degree_ = np.maximum(np.asarray(ap.sum(axis=1)).ravel(), 1).astype(np.float32)
        tracks_per_artist = np.maximum(np.asarray(idx.artists.sum(axis=0)).ravel(), 1)
        self.artists_per_track_ = np.maximum(np.asarray(idx.artists.sum(axis=1)).ravel(), 1).astype(np.float32)
        if self.unit_ is not None:
            mean_sound = sp.diags((1.0 / tracks_per_artist).astype(np.float32)) @ (idx.artists.T @ self.unit_)
            self.artist_sound_ = np.asarray(mean_sound, dtype=np.float32)  # artist x d
        # (sub)genre taste profiles: the track's own memberships plus its artists' ones.
        style = idx.styles
        own = _row_normalize(style)
        via_artist = _row_normalize(idx.artists @ _row_normalize((idx.artists.T @ style).tocsr()))
        self.style_ = _row_normalize(own + via_artist).astype(np.float32)
        if idx.n > HYBRID_CANDIDATES_ABOVE:
            # Candidate generation (see HYBRID_CANDIDATES_ABOVE): the audio index, and the
            # tracks of an artist / a playlist / an album as sparse rows.
            self.neighbors_ = self._candidate_index() if self.unit_ is not None else None
            self.artist_tracks_ = idx.artists.T.tocsr()
            self.playlist_tracks_ = idx.playlists.T.tocsr()
            has_album = idx.album >= 0
            self.album_tracks_ = _csr(
                idx.album[has_album], np.flatnonzero(has_album), (idx.n_albums, idx.n)
            )

    def _candidate_index(self) -> ExactIndex | IVFIndex:
        """The audio index of candidate mode: exact, or IVF from HYBRID_APPROXIMATE_ABOVE."""
        if self.index_.n < HYBRID_APPROXIMATE_ABOVE:
            return ExactIndex(self.unit_, normalized=True)
        # fetch_factor=1: faiss's inner products are exact, and every candidate is rescored.
        return IVFIndex(
            self.unit_, normalized=True, fetch_factor=1, n_probe=HYBRID_N_PROBE, random_state=self.random_state or 0
        )

    def _artist_playlist_scores(self, seed_pos: np.ndarray) -> np.ndarray | None:
        """Per artist: how much it is co-playlisted with the seeds' artists (or None)."""
        scored = self._scored_artists(seed_pos)
        return None if scored is None else scored[0]

    def _scored_artists(
        self, seed_pos: np.ndarray, seed_artist_cols: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """:meth:`_artist_playlist_scores` and the artists it scores above zero.
        ``seed_artist_cols``: ``index_.seed_artist_columns(seed_pos)``, when the caller has it."""
        if not (self.weights_["artist_playlists"] and self.artist_playlists_.shape[1]):
            return None
        ap = self.artist_playlists_
        if seed_artist_cols is None:
            seed_artist_cols = self.index_.seed_artist_columns(seed_pos)
        seed_playlists = _row_entries(ap, seed_artist_cols)[0]
        # Per playlist: how many seed artists it holds (the column sums of their rows).
        q = self._playlist_query(seed_playlists)
        playlist_tracks = getattr(self, "playlist_tracks_", None)
        if playlist_tracks is None:  # scores every artist (small catalogs)
            per_artist = (ap @ q) / self.artist_degree_
            return per_artist, np.flatnonzero(per_artist != 0)
        # Only the artists with a track in one of those playlists score above zero (each
        # such playlist has q > 0): their rows of the product, the same sums as in the
        # product over every artist.
        reached_tracks = _row_entries(playlist_tracks, sorted_unique(seed_playlists))[0]
        reached = sorted_unique(_row_entries(self.index_.artists, reached_tracks)[0])
        per_artist = np.zeros(ap.shape[0], dtype=np.float32)
        per_artist[reached] = _row_dot(ap, reached, q) / self.artist_degree_[reached]
        return per_artist, reached

    def _components(self, seed_pos: np.ndarray) -> dict[str, np.ndarray]:
        """Each signal as a float32 vector over all tracks (see the class docstring)."""
        idx = self.index_
        s = len(seed_pos)
        w = self.weights_
        comp: dict[str, np.ndarray] = {}
        if self.unit_ is not None:
            if w["audio"] or w["audio_closest"]:
                sims = self.unit_ @ self.unit_[seed_pos].T  # (n, seeds)
                comp["audio"] = sims.mean(axis=1)
                comp["audio_closest"] = sims.max(axis=1)
            if w["artist_audio"]:
                centre = self.unit_[seed_pos].mean(axis=0)
                comp["artist_audio"] = (idx.artists @ (self.artist_sound_ @ centre)) / self.artists_per_track_
        if w["release_date"]:
            comp["release_date"] = _kernel_mean(self.date_, self.date_[seed_pos], self.date_scale)
        if w["popularity_match"]:
            comp["popularity_match"] = _kernel_mean(idx.popularity, idx.popularity[seed_pos], self.popularity_scale)
        if w["same_artist"]:
            seed_artists = np.asarray(idx.artists[seed_pos].sum(axis=0)).ravel()
            comp["same_artist"] = np.minimum(idx.artists @ (seed_artists / s), 1.0)
        if w["album"]:
            albums = idx.album[seed_pos]
            albums = albums[albums >= 0]
            if len(albums):
                counts = np.bincount(albums, minlength=idx.n_albums).astype(np.float32) / s
                comp["album"] = np.where(idx.album >= 0, counts[np.maximum(idx.album, 0)], 0.0)
        if w["artist_playlists"] and self.artist_playlists_.shape[1]:
            comp["artist_playlists"] = _max_scale(idx.artists @ self._artist_playlist_scores(seed_pos))
        if w["cooccurrence"] and idx.playlists.shape[1]:
            seed_rows = idx.playlists[seed_pos]
            if seed_rows.nnz:
                q = np.asarray(seed_rows.sum(axis=0)).ravel() * self.playlist_weight_
                comp["cooccurrence"] = _max_scale(idx.playlists @ q)
        if w["style"] and self.style_.shape[1]:
            profile = np.asarray(self.style_[seed_pos].mean(axis=0)).ravel()
            norm = np.linalg.norm(profile)
            if norm > 0:
                comp["style"] = self.style_ @ (profile / norm).astype(np.float32)
        if w["popularity"]:
            comp["popularity"] = self._popularity_prior(idx.popularity)
        return {k: np.asarray(v, dtype=np.float32).ravel() for k, v in comp.items()}

    def _popularity_prior(self, popularity: np.ndarray) -> np.ndarray:
        fill = getattr(self, "popularity_fill_", None)
        if fill is None:  # fitted by an older version
            pop = self.index_.popularity
            fill = np.nanmedian(pop) if (~np.isnan(pop)).any() else 0.0
        return np.where(np.isnan(popularity), fill, popularity) / 100.0

    def _playlist_query(self, playlist_entries: np.ndarray) -> np.ndarray:
        """Per playlist: how often it occurs in ``playlist_entries``, times its size weight."""
        return np.bincount(playlist_entries, minlength=len(self.playlist_weight_)).astype(np.float32) * self.playlist_weight_

    def _reach(self, seed_pos: np.ndarray) -> _Reach:
        """What the seeds reach through the sparse signals (candidate mode, once per query)."""
        idx = self.index_
        seed_playlists = _row_entries(idx.playlists, seed_pos)[0]
        distinct = sorted_unique(seed_playlists)
        # Per playlist: how many seeds it holds, down-weighted by its size.
        query = self._playlist_query(seed_playlists)
        seed_artists = idx.seed_artist_columns(seed_pos)
        scored = self._scored_artists(seed_pos, seed_artists)
        per_artist = artist_tracks = None
        if scored is not None:
            per_artist = scored[0]
            artist_tracks = _row_entries(self.artist_tracks_, scored[1])[0]
        return _Reach(
            seed_artists=seed_artists,
            playlist_query=query,
            playlist_tracks=sorted_unique(_row_entries(self.playlist_tracks_, distinct)[0]),
            per_artist=per_artist,
            artist_tracks=artist_tracks,
        )

    def _row_components(
        self, seed_pos: np.ndarray, rows: np.ndarray, reach: _Reach | None = None, with_style: bool = True
    ) -> dict[str, np.ndarray]:
        """The signals of :meth:`_components` at ``rows`` only (candidate mode).

        Same values as the full vectors at those rows (sums of a row's entries are taken in
        another order, so up to float32 rounding), read from the rows' sparse entries with
        NumPy: nothing is computed over every track or every artist. The scale of the
        max-scaled signals is read from the tracks they reach (zero everywhere else).
        ``with_style=False`` leaves out ``style`` (see :meth:`_row_style`).
        """
        idx = self.index_
        reach = reach if reach is not None else self._reach(seed_pos)
        s, n_rows = len(seed_pos), len(rows)
        w = self.weights_
        # The rows' artists, shared by the three artist signals (the incidence holds ones).
        slots, owner = _row_slots(idx.artists, rows)
        row_artists = idx.artists.indices[slots]

        def over_artists(per_artist_values: np.ndarray) -> np.ndarray:  # sum over each row's artists
            return np.bincount(owner, weights=per_artist_values, minlength=n_rows)

        comp: dict[str, np.ndarray] = {}
        if self.unit_ is not None:
            seeds = self.unit_[seed_pos]
            if w["audio"] or w["audio_closest"]:
                sims = seeds @ self.unit_[rows].T  # (seeds, rows): each reduction is s-1 vector ops
                comp["audio"] = sims.mean(axis=0)
                comp["audio_closest"] = sims.max(axis=0)
            if w["artist_audio"]:
                centre = seeds.mean(axis=0)
                comp["artist_audio"] = over_artists(self.artist_sound_[row_artists] @ centre) / self.artists_per_track_[rows]
        if w["release_date"]:
            comp["release_date"] = _kernel_mean(self.date_[rows], self.date_[seed_pos], self.date_scale)
        popularity = idx.popularity[rows]  # one gather for both popularity signals
        if w["popularity_match"]:
            comp["popularity_match"] = _kernel_mean(popularity, idx.popularity[seed_pos], self.popularity_scale)
        if w["same_artist"]:
            # how many seeds list each of the row's artists (the seeds' artists, with repeats)
            seed_artists = np.sort(_row_entries(idx.artists, seed_pos)[0])
            counts = np.searchsorted(seed_artists, row_artists, "right") - np.searchsorted(seed_artists, row_artists, "left")
            comp["same_artist"] = np.minimum(over_artists(counts.astype(np.float32) / s), 1.0)
        if w["album"]:
            albums = idx.album[seed_pos]
            albums = albums[albums >= 0]
            if len(albums):
                album = idx.album[rows]
                counts = np.zeros(n_rows, dtype=np.float32)
                for seed_album in albums:  # a handful of seeds, each a vector op over the rows
                    counts += album == seed_album
                comp["album"] = np.where(album >= 0, counts / s, 0.0)
        if reach.per_artist is not None:
            values = over_artists(reach.per_artist[row_artists])
            # The scale: the largest value over the reached tracks. A track's value is the sum
            # of its artists' scores (all >= 0), so it is the best artist's score unless a
            # track with several artists sums to more: only those need their sums.
            reached = reach.artist_tracks
            several = reached[self.artists_per_track_[reached] > 1]
            top = float(reach.per_artist.max()) if len(reached) else 0.0
            if len(several):
                top = max(top, float(_row_dot(idx.artists, several, reach.per_artist).max()))
            comp["artist_playlists"] = values / top if top > 0 else values
        if w["cooccurrence"] and len(reach.playlist_tracks):
            # Non-zero only on the tracks of the seeds' playlists: score those, look the rows up.
            reached = reach.playlist_tracks
            on_reached = _row_dot(idx.playlists, reached, reach.playlist_query)
            top = float(on_reached.max())
            at = np.minimum(np.searchsorted(reached, rows), len(reached) - 1)
            values = np.where(reached[at] == rows, on_reached[at], np.float32(0))
            comp["cooccurrence"] = values / np.float32(top) if top > 0 else values
        if with_style:
            style = self._row_style(seed_pos, rows)
            if style is not None:
                comp["style"] = style
        if w["popularity"]:
            comp["popularity"] = self._popularity_prior(popularity)
        return {k: np.asarray(v, dtype=np.float32).ravel() for k, v in comp.items()}

    def _row_style(self, seed_pos: np.ndarray, rows: np.ndarray) -> np.ndarray | None:
        """The ``style`` signal at ``rows`` (None when it is off or the seeds have no style).
        A cosine of non-negative profiles: it lies in 0..1, which :meth:`_pool` relies on."""
        if not (self.weights_["style"] and self.style_.shape[1]):
            return None
        style_slots, _ = _row_slots(self.style_, seed_pos)
        profile = np.bincount(
            self.style_.indices[style_slots], weights=self.style_.data[style_slots], minlength=self.style_.shape[1]
        ) / len(seed_pos)
        norm = np.linalg.norm(profile)
        if norm == 0:
            return None
        return _row_dot(self.style_, rows, (profile / norm).astype(np.float32))

    def _score(self, seed_pos: np.ndarray) -> np.ndarray:
        return self._weighted_sum(self._components(seed_pos), self.index_.n)

    def _weighted_sum(self, components: dict[str, np.ndarray], size: int) -> np.ndarray:
        score = np.zeros(size, dtype=np.float32)
        for name, vec in components.items():
            score += np.float32(self.weights_[name]) * vec
        return score

    def _pool(self, seed_pos: np.ndarray, candidates: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Above HYBRID_CANDIDATES_ABOVE tracks: score the audio neighbours and every track a
        sparse signal reaches, exactly; a track outside both can only score on the dense
        signals (date, popularity, style), which rarely lift a poor audio match."""
        index = getattr(self, "neighbors_", None)
        if index is None or self.index_.n <= HYBRID_CANDIDATES_ABOVE:
            return None
        idx = self.index_
        n_audio = max(MIN_CANDIDATES, CANDIDATES_PER_RESULT * size)
        reach = self._reach(seed_pos)
        parts = [index.search(self.unit_[seed_pos], n_audio, mask=candidates).positions, reach.playlist_tracks]
        if len(reach.seed_artists):
            parts.append(_row_entries(self.artist_tracks_, reach.seed_artists)[0])
        albums = idx.album[seed_pos]
        if (albums >= 0).any():
            parts.append(_row_entries(self.album_tracks_, albums[albums >= 0])[0])
        if reach.artist_tracks is not None:
            parts.append(reach.artist_tracks)
        rows = sorted_unique(np.concatenate(parts).astype(np.int64))
        rows = rows[candidates[rows]]
        scores = self._weighted_sum(self._row_components(seed_pos, rows, reach, with_style=False), len(rows))
        scores = np.where(np.isfinite(scores), scores, np.float32(-1e30))
        style_weight = np.float32(self.weights_["style"])
        if len(rows) > size and style_weight > 0:
            # Bound and prune: style adds at most its weight (a cosine in 0..1; the slack
            # covers float32 rounding), so a row that stays below the size-th best score
            # even with it cannot enter the pool. Style costs several scattered reads per
            # row; at 1M tracks ~10% of the rows survive.
            kth = -np.partition(-scores, size - 1)[size - 1]
            live = scores + style_weight * np.float32(1.001) >= kth
            rows, scores = rows[live], scores[live]
        style = self._row_style(seed_pos, rows)
        if style is not None:
            scores = scores + style_weight * style
        if len(rows) > size:  # sort only the best `size` and every track tied with the last of them
            kth = np.partition(-scores, size - 1)[size - 1]
            best = -scores <= kth
            rows, scores = rows[best], scores[best]
        order = np.lexsort((rows, -scores))[:size]
        return rows[order], scores[order]

    def _signals(self, seed_pos: np.ndarray, rec_pos: np.ndarray) -> list[list[str]]:
        idx = self.index_
        out: list[list[str]] = [[] for _ in rec_pos]
        seed_artists = idx.seed_artist_columns(seed_pos)
        # The incidence matrices hold ones: "shares one" is "has an entry in those columns".
        same = np.zeros(len(rec_pos), dtype=bool)
        if self.weights_["same_artist"] and len(seed_artists):
            same = _rows_touching(idx.artists, rec_pos, seed_artists)
        shared = np.zeros(len(rec_pos), dtype=bool)
        if self.weights_["cooccurrence"] and idx.playlists.shape[1]:
            seed_pl = sorted_unique(_row_entries(idx.playlists, seed_pos)[0])
            if len(seed_pl):
                shared = _rows_touching(idx.playlists, rec_pos, seed_pl)
        co_artist = np.zeros(len(rec_pos), dtype=bool)
        if self.weights_["artist_playlists"] and len(seed_artists) and self.artist_playlists_.shape[1]:
            seed_ap = sorted_unique(_row_entries(self.artist_playlists_, seed_artists)[0])
            if len(seed_ap):
                # per (track, artist) pair: is the artist in one of the seed artists' playlists
                rec_artists, owner = _row_entries(idx.artists, rec_pos)
                hit = _rows_touching(self.artist_playlists_, rec_artists, seed_ap)
                co_artist = np.bincount(owner[hit], minlength=len(rec_pos)) > 0
        same_album = np.zeros(len(rec_pos), dtype=bool)
        if self.weights_["album"]:
            albums = idx.album[seed_pos]
            same_album = np.isin(idx.album[rec_pos], albums[albums >= 0])
        for i in range(len(rec_pos)):
            if same[i]:
                out[i].append("same artist as your seed" if len(seed_pos) == 1 else "same artist as a seed")
            elif same_album[i]:
                out[i].append("from the same album as a seed")
            if shared[i]:
                out[i].append("in the same playlists as your seeds")
            elif co_artist[i] and not same[i]:
                out[i].append("its artist is in playlists with your seeds' artists")
        return out


def _fractional_year(tracks: pd.DataFrame) -> np.ndarray:
    """Release date as a float year (2019-07-01 -> 2019.5); mid-year / mid-month if partial."""
    year = tracks["release_year"].to_numpy(dtype=np.float32, na_value=np.nan)
    if "release_date" not in tracks:
        return year + 0.5
    text = tracks["release_date"].astype("string")
    month = _number_or_nan(text.str.slice(5, 7))
    day = _number_or_nan(text.str.slice(8, 10))
    frac = np.where(np.isnan(month), 0.5, (month - 1 + np.where(np.isnan(day), 15.0, day) / 31.0) / 12.0)
    return (year + frac).astype(np.float32)


def _number_or_nan(text: pd.Series) -> np.ndarray:
    """``pd.to_numeric(text, errors="coerce")`` as float32, but with one Arrow cast when every
    cell is a plain number or empty (dates: ~50x faster on a million rows)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(text.astype("string").mask(text == "").array)
        return pc.cast(arr, pa.float32()).to_numpy(zero_copy_only=False).astype(np.float32)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float32, na_value=np.nan)


def _kernel_mean(values: np.ndarray, seed_values: np.ndarray, scale: float) -> np.ndarray:
    """Mean over seeds of exp(-|value - seed value| / scale); 0 where unknown."""
    seed_values = seed_values[~np.isnan(seed_values)]
    if len(seed_values) == 0:
        return np.zeros(len(values), dtype=np.float32)
    out = np.zeros(len(values), dtype=np.float32)
    for v in seed_values:  # loop over seeds (a handful), each step vectorised over tracks
        out += np.exp(-np.abs(values - v) / np.float32(scale))
    return np.nan_to_num(out / len(seed_values)).astype(np.float32)


def _row_normalize(m: sp.spmatrix) -> sp.csr_matrix:
    m = sp.csr_matrix(m, dtype=np.float32)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    inv = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
    return sp.diags(inv) @ m


def _max_scale(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32).ravel()
    top = float(v.max()) if v.size else 0.0
    return v / top if top > 0 else v


# =============================================================================== registry
RECOMMENDERS: dict[str, type[BaseRecommender]] = {
    "hybrid": HybridRecommender,
    "similar": SimilarRecommender,
    "cluster": ClusterRecommender,
    "popular": PopularRecommender,
    "random": RandomRecommender,
}
METHODS: tuple[str, ...] = ("hybrid", "similar", "cluster", "popular")


def make_recommender(name: str, **params: Any) -> BaseRecommender:
    """A recommender by name (``hybrid``, ``similar``, ``cluster``, ``popular``, ``random``)."""
    try:
        cls = RECOMMENDERS[str(name).strip().lower()]
    except KeyError:
        raise ModelError(f"unknown method {name!r}; choose one of: {', '.join(RECOMMENDERS)}.") from None
    return cls(**params)

