"""The active catalog of a browser session, and cached fitted state shared between sessions.

Heavy, read-only things (the default catalog, uploaded catalogs, fitted models, plot
samples) are cached with ``st.cache_resource`` / ``st.cache_data`` keyed on the catalog's
content hash (or the uploaded bytes' hash), so every session shares one copy and reruns
recompute nothing. Per-user things (which catalog is active, seeds, labels, tokens) live in
``st.session_state`` only.
"""
from __future__ import annotations

import hashlib
import logging
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from threadpoolctl import threadpool_limits

from recommender.catalog import DEFAULT_CATALOG_PATH, Catalog, load_default_catalog, split_list
from recommender.seeds import SeedSet, resolve_seeds

from . import state
from .text import hover_escape, hover_labels

_log = logging.getLogger(__name__)

# One BLAS thread in the app process. Every session's script runs in a thread of this process
# (and `make serve` runs one process per core), so BLAS's own worker threads add no speed, only
# CPU: handing a small product to them and spinning after it. The hybrid's recommend on the
# default catalog took 24 ms of CPU with 2 BLAS threads, 9 ms with 1 (same results); fitting
# it took 0.38 s of CPU, and 0.12 s with 1.
threadpool_limits(limits=1, user_api="blas")

# Tracks in the plot sample (plot_frame), drawn by each chart of single tracks on Explore,
# Clusters and Recommend. Streamlit draws every new figure into a new chart, so each axis change
# or visit sets up WebGL again and re-encodes the whole figure in the browser to theme it (about
# 100 bytes a point: hover label and track ID). On a 1M-track upload in headless Chromium
# without a GPU, 2,000 points instead of 5,000 cut an axis change's browser time from 450-520 ms
# to 310-360 ms (bench/ui_speed.py --catalog).
PLOT_SAMPLE = 2_000
NO_GENRE = "(no genre)"


def disk_cache() -> Any | None:
    """The on-disk fit cache (recommender.cache), or None when it cannot be used here."""
    try:
        from recommender.cache import FitCache

        return FitCache()
    except Exception as exc:  # a missing or broken cache only costs time, never the page
        _log.warning("disk cache unavailable (%s); loading and fitting from scratch", exc)
        return None


@st.cache_resource(show_spinner="Loading the default catalog…")
def default_catalog() -> Catalog:
    # Parsing the CSV takes seconds; the checked on-disk copy (keyed on the file's bytes)
    # loads in well under a second, so the first page after a restart is quick.
    cache = disk_cache()
    if cache is None:
        return load_default_catalog()
    try:
        digest = hashlib.sha256(DEFAULT_CATALOG_PATH.read_bytes()).hexdigest()
        return cache.get_or_build(cache.key("default_catalog", digest, {}), load_default_catalog)
    except Exception as exc:
        _log.warning("default catalog cache failed (%s); loading the CSV", exc)
        return load_default_catalog()


def active_catalog() -> Catalog:
    """The catalog this session works on: its upload if it made one, else the default."""
    catalog = st.session_state.get(state.CATALOG)
    if catalog is None:
        catalog = default_catalog()
        st.session_state[state.CATALOG] = catalog
    return catalog


# id(catalog) -> its shared-cache key, for uploads only; an entry leaves with its catalog.
_UPLOAD_KEYS: dict[int, str] = {}


def catalog_key(catalog: Catalog) -> str:
    """The key of ``catalog``'s entries in the shared caches below.

    An upload's key is the digest of its bytes (same bytes, same catalog), known as soon as it
    is read; ``catalog.content_hash`` hashes every row, about 2.5 s for a million tracks.
    """
    return _UPLOAD_KEYS.get(id(catalog)) or catalog.content_hash


def remember_upload_key(catalog: Catalog, key: str) -> None:
    """Make ``key`` (from the digest of an upload's bytes) ``catalog``'s key in the shared caches;
    the entry leaves with the catalog."""
    _UPLOAD_KEYS[id(catalog)] = key
    weakref.finalize(catalog, _UPLOAD_KEYS.pop, id(catalog), None)


def set_active_catalog(catalog: Catalog) -> None:
    st.session_state[state.CATALOG] = catalog


def is_default(catalog: Catalog) -> bool:
    return catalog is default_catalog()


# ----------------------------------------------------------------------------- derived tables

@st.cache_resource(max_entries=8, show_spinner=False)
def _primary_genre_codes(catalog_hash: str, _catalog: Catalog) -> tuple[np.ndarray, np.ndarray]:
    # A catalog has few distinct genre cells (44 in a million synthetic tracks): split each
    # distinct cell once instead of a million times (2 s -> 0.1 s).
    if "genres" not in _catalog.tracks:
        return np.zeros(len(_catalog), dtype=np.int32), np.array([NO_GENRE], dtype=object)
    cell_codes, cells = pd.factorize(_catalog.tracks["genres"], use_na_sentinel=True)
    firsts = [(split_list(cell) or [NO_GENRE])[0] for cell in cells]
    names, first_codes = np.unique(np.array([*firsts, NO_GENRE], dtype=object), return_inverse=True)
    codes = first_codes[cell_codes]  # code -1 (a missing cell) picks the NO_GENRE entry at the end
    return codes.astype(np.int32), names


def primary_genre_codes(catalog: Catalog) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, names)``: track i's first genre is ``names[codes[i]]`` ("(no genre)" when the file
    had none). Shared read-only: callers must not modify the arrays."""
    return _primary_genre_codes(catalog_key(catalog), catalog)


def primary_genres(catalog: Catalog) -> np.ndarray:
    """Each track's first genre ("(no genre)" when the file had none), for colouring."""
    codes, names = primary_genre_codes(catalog)
    return names[codes]


@st.cache_resource(max_entries=8, show_spinner=False)
def _genre_list(catalog_hash: str, _catalog: Catalog) -> list[str]:
    return sorted(str(g) for g in _catalog.memberships["genre"].dropna().unique())


def genre_list(catalog: Catalog) -> list[str]:
    return _genre_list(catalog_key(catalog), catalog)


@st.cache_resource(max_entries=8, show_spinner=False)
def _sample_positions(catalog_hash: str, n_tracks: int, size: int) -> np.ndarray:
    if n_tracks <= size:
        return np.arange(n_tracks)
    rng = np.random.default_rng(0)
    return np.sort(rng.choice(n_tracks, size=size, replace=False))


@st.cache_resource(max_entries=8, show_spinner=False)
def _plot_frame(catalog_hash: str, size: int, _catalog: Catalog) -> pd.DataFrame:
    positions = _sample_positions(catalog_hash, len(_catalog), size)
    t = _catalog.tracks.iloc[positions]
    cols = ["track_id", "track_name", "artists", "popularity", "release_year", *_catalog.feature_names]
    frame = t[[c for c in cols if c in t]].copy()
    # Genres come from the file: escaped, since Plotly renders HTML in legends and hovers.
    codes, names = _primary_genre_codes(catalog_hash, _catalog)
    frame["genre"] = np.array([hover_escape(g) for g in names], dtype=object)[codes[positions]]
    frame["label"] = hover_labels(t["track_name"].tolist(), t["artists"].tolist())
    for col in frame.columns:
        if frame[col].dtype == "float32":
            frame[col] = frame[col].astype("float64")  # plotly/JSON prefer float64
    return frame.reset_index(drop=True)


def plot_frame(catalog: Catalog, size: int = PLOT_SAMPLE) -> pd.DataFrame:
    """A fixed random sample of the catalog ready to plot: features, primary genre, escaped
    hover label, in file order. Random rows, not the first ones: files are often sorted by genre.

    Shared read-only between reruns and sessions: callers must not modify it.
    """
    return _plot_frame(catalog_key(catalog), size, catalog)


class TrackLabels(dict):
    """Track ID -> label; an unknown ID is its own label. ``labels.__getitem__`` is the cheapest
    ``format_func`` for a select box: Streamlit calls it once per option on every rerun (28k
    calls on Recommend, 8 ms instead of 13 ms through a lambda)."""

    def __missing__(self, track_id: str) -> str:
        return track_id


# Catalogs up to this size get every track's label built once (a table or a search then picks its
# rows' labels); bigger ones build the labels of the rows they show.
LABEL_ALL_LIMIT = 50_000
SEARCH_LIMIT = 50  # matches a title / artist search returns, most popular first
SEARCH_BLOCK = 262_144  # titles matched at a time (search stops once it has SEARCH_LIMIT)


def _track_label_series(tracks: pd.DataFrame) -> pd.Series:
    """'Title — Artists (Album, Year)' per row, as Arrow strings (no per-row Python).

    Album and year tell apart the copies of a song (remasters, compilations, deluxe editions).
    """
    text = "string[pyarrow]"
    missing = pd.Series(pd.NA, index=tracks.index, dtype=text)
    base = (tracks["track_name"].astype(text).fillna("(no title)") + " — "
            + tracks["artists"].astype(text).fillna("(unknown artist)"))
    album = tracks["album_name"].astype(text) if "album_name" in tracks else missing
    album = album.mask(album.str.strip() == "")
    if "release_year" in tracks:
        year = pd.to_numeric(tracks["release_year"], errors="coerce").round().astype("Int64").astype(text)
    else:
        year = missing
    detail = (album + ", " + year).fillna(album).fillna(year)
    return base + (" (" + detail + ")").fillna("")


@st.cache_resource(max_entries=8, show_spinner=False)
def _search_index(catalog_hash: str, _catalog: Catalog) -> pd.DataFrame:
    # Arrow strings end to end: turning a million of them into Python objects took 1.3 s of the
    # 1.6 s this took; searching Arrow strings is as fast.
    t = _catalog.tracks
    text = "string[pyarrow]"
    found_by = t["track_name"].astype(text).fillna("(no title)") + " — " + t["artists"].astype(text).fillna("(unknown artist)")
    order = t["popularity"].fillna(-1).to_numpy().argsort(kind="stable")[::-1]
    return pd.DataFrame({
        "track_id": t["track_id"].astype(text).take(order).reset_index(drop=True),
        "text": found_by.take(order).reset_index(drop=True),
        "position": order,  # the row in the catalog: labels are built for hits only
    })


@st.cache_resource(max_entries=8, show_spinner=False)
def _every_track_label(catalog_hash: str, _catalog: Catalog) -> np.ndarray:
    # Each track's label as a Python string, by row, built once per catalog: a table or a search then
    # picks its rows' labels (microseconds) instead of building them again with pandas (a few ms
    # for 20 rows, on every rerun of the Taste page).
    return _track_label_series(_catalog.tracks).to_numpy(dtype=object)


def _labels_at(catalog: Catalog, positions: np.ndarray) -> np.ndarray:
    """The labels of the rows at ``positions`` (an object array of str)."""
    if len(catalog) <= LABEL_ALL_LIMIT:
        return _every_track_label(catalog_key(catalog), catalog)[positions]
    return _track_label_series(catalog.tracks.iloc[positions]).to_numpy(dtype=object)


def _labelled(catalog: Catalog, rows: pd.DataFrame) -> pd.DataFrame:
    labels = _labels_at(catalog, rows["position"].to_numpy())
    return pd.DataFrame({"track_id": rows["track_id"].to_numpy(), "label": labels})


@st.cache_resource(max_entries=256, show_spinner=False)
def _search(catalog_hash: str, query: str, limit: int, _catalog: Catalog) -> pd.DataFrame:
    # Shared between reruns and sessions: a search's box keeps its text, so every later rerun
    # of the page (picking a hit, "Liked") asks the same question again.
    index = _search_index(catalog_hash, _catalog)
    if not query:
        return _labelled(_catalog, index.iloc[:0])
    # Most popular first, block by block, stopping at `limit` hits: a common word is found in the
    # first block instead of matching all ten million titles (1.5 s of CPU a search at 10M).
    texts, rows = index["text"], []
    for start in range(0, len(index), SEARCH_BLOCK):
        block = texts.iloc[start:start + SEARCH_BLOCK].str.contains(query, case=False, regex=False, na=False)
        rows.extend((start + np.flatnonzero(block.to_numpy(dtype=bool))[: limit - len(rows)]).tolist())
        if len(rows) >= limit:
            break
    return _labelled(_catalog, index.iloc[rows])


def search_tracks(catalog: Catalog, query: str, limit: int = SEARCH_LIMIT) -> pd.DataFrame:
    """Tracks whose title or artist contains ``query`` (case-insensitive), most popular first.

    Columns: ``track_id`` and ``label`` ('Title — Artists (Album, Year)'). Shared read-only:
    callers must not modify it.
    """
    return _search(catalog_key(catalog), (query or "").strip(), int(limit), catalog)


def track_labels(catalog: Catalog, track_ids: list[str]) -> TrackLabels:
    """'Title — Artists (Album, Year)' for each known ID (plain text, for widget options)."""
    pos = catalog.positions(track_ids)
    known = [(tid, p) for tid, p in zip(track_ids, pos) if p >= 0]
    if not known:
        return TrackLabels()
    labels = _labels_at(catalog, np.array([p for _, p in known], dtype=np.intp))
    return TrackLabels((tid, str(label)) for (tid, _), label in zip(known, labels.tolist()))


def pick_labels(catalog: Catalog, track_ids: list[str]) -> TrackLabels:
    """:func:`track_labels` told apart: the listener picks by label, so copies with the same title,
    artist, album and year get the start of their track ID added."""
    labels = track_labels(catalog, track_ids)
    counts = Counter(labels.values())
    for tid, label in labels.items():
        if counts[label] > 1:
            labels[tid] = f"{label} · ID {tid[:6]}…"
    return labels


@dataclass(frozen=True)
class SeedCheck:
    """The applied seeds, resolved once (recommender.seeds), and each unusable item's reason."""

    seeds: SeedSet  # what the engine is given as it is (no second parse or look-up)
    problems: pd.DataFrame  # "you pasted" / "problem": each unusable item and why

    @property
    def seed_ids(self) -> list[str]:  # usable: pasted IDs found in the catalog, then searched ones
        return list(self.seeds.found)


def check_seeds(catalog: Catalog, seed_text: str, search_ids: list[str]) -> SeedCheck:
    """Resolve the pasted text and the searched tracks once, and say why each bad item is unusable
    (the reasons the engine itself reports)."""
    seeds = resolve_seeds(catalog, "\n".join([seed_text, *search_ids]))
    problems = [{"you pasted": t.token[:200], "problem": t.reason} for t in seeds.invalid]
    problems += [{"you pasted": t, "problem": f"a valid track ID, but not in the catalog in use ({catalog.name}); "
                  "load a catalog that has it, or look it up on the Spotify page"} for t in seeds.not_in_catalog]
    return SeedCheck(seeds=seeds, problems=pd.DataFrame(problems, columns=["you pasted", "problem"]))


def example_seeds(catalog: Catalog, count: int = 3) -> list[str]:
    """``count`` popular tracks of ``catalog``, each by another artist."""
    top = catalog.tracks.dropna(subset=["popularity"]).nlargest(200, "popularity")
    return top.drop_duplicates("artists").head(count)["track_id"].astype(str).tolist()


@st.cache_resource(max_entries=8, show_spinner=False)
def _summary(catalog_hash: str, _catalog: Catalog) -> dict:
    return _catalog.summary()


def catalog_summary(catalog: Catalog) -> dict:
    """``catalog.summary()``, computed once per catalog (callers must not modify it)."""
    return _summary(catalog_key(catalog), catalog)


@st.cache_resource(max_entries=96, show_spinner=False)
def _figure(kind: str, catalog_hash: str, source: str, args: tuple, _catalog: Catalog) -> Any:
    from . import charts

    data = _catalog.tracks if source == "tracks" else _plot_frame(catalog_hash, PLOT_SAMPLE, _catalog)
    return getattr(charts, kind)(data, *args)


def figure(kind: str, catalog: Catalog, *args: Any, source: str = "sample") -> Any:
    """``ui.charts.<kind>(data, *args)`` built once per catalog and arguments.

    ``source`` is "sample" (:func:`plot_frame`) or "tracks" (every track). Streamlit
    serialises figures without changing them, so sharing is safe.
    """
    return _figure(kind, catalog_key(catalog), source, tuple(args), catalog)


@st.cache_resource(max_entries=8, show_spinner=False)
def _percentile_scale(catalog_hash: str, _catalog: Catalog) -> dict[str, tuple[float, float]]:
    t = _catalog.tracks
    out = {}
    for f in [*_catalog.feature_names, "popularity", "release_year"]:
        if f in t and t[f].notna().any():
            lo, hi = np.nanpercentile(t[f].to_numpy(dtype="float64", na_value=np.nan), [5, 95])
            out[f] = (float(lo), float(hi))
    return out


def percentile_scale(catalog: Catalog) -> dict[str, tuple[float, float]]:
    """Each feature's 5th and 95th percentile in the catalog (to put features on one 0-1 scale)."""
    return _percentile_scale(catalog_key(catalog), catalog)


# ----------------------------------------------------------------------------- after an upload

def warm_up_steps(catalog: Catalog) -> list[tuple[str, Callable[[], object]]]:
    """``(what it does, step)`` pairs that compute what the pages need first for ``catalog``.

    The Home page runs them right after an upload, under a progress bar: on a million tracks they
    take seconds, which a first visit of Explore or Recommend would otherwise spend with no word.
    """
    steps: list[tuple[str, Callable[[], object]]] = [
        ("Counting tracks, artists and genres", lambda: catalog_summary(catalog)),
        ("Indexing the track IDs", lambda: catalog.positions([""])),
        ("Listing the genres", lambda: genre_list(catalog)),
        ("Indexing titles and artists for search", lambda: search_tracks(catalog, "")),
    ]
    if catalog.has_features:
        steps.append(("Sampling tracks for the plots", lambda: plot_frame(catalog)))
    return steps
