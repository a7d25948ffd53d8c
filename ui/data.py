"""The active catalog of a browser session, and cached fitted state shared between sessions.

Heavy, read-only things (the default catalog, uploaded catalogs, fitted models, plot
samples) are cached with ``st.cache_resource`` / ``st.cache_data`` keyed on the catalog's
content hash (or the uploaded bytes' hash), so every session shares one copy and reruns
recompute nothing. Per-user things (which catalog is active, seeds, labels, tokens) live in
``st.session_state`` only.
"""
from __future__ import annotations

import hashlib
import io
import logging
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from recommender.catalog import DEFAULT_CATALOG_PATH, Catalog, load_catalog, load_default_catalog, split_list

from .text import hover_escape, hover_labels

_log = logging.getLogger(__name__)

CATALOG_KEY = "catalog"
SEED_TEXT_KEY = "seed_text"  # pasted seeds, shared by Explore, Clusters, Taste, Spotify pages
LAST_RECOMMENDATIONS_KEY = "last_recommendations"
PLOT_SAMPLE = 5_000  # points drawn in scatter plots; more makes the browser slow


def _disk_cache() -> Any | None:
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
    cache = _disk_cache()
    if cache is None:
        return load_default_catalog()
    try:
        digest = hashlib.sha256(DEFAULT_CATALOG_PATH.read_bytes()).hexdigest()
        return cache.get_or_build(cache.key("default_catalog", digest, {}), load_default_catalog)
    except Exception as exc:
        _log.warning("default catalog cache failed (%s); loading the CSV", exc)
        return load_default_catalog()


def _fit_with_disk_cache(estimator: Any, catalog: Catalog, kind: str) -> Any:
    """Fit ``estimator``; for the default catalog reuse (or store) the fit on disk."""
    cache = _disk_cache() if catalog is default_catalog() else None
    if cache is not None:
        try:
            return cache.fitted(estimator, catalog, kind=kind)
        except Exception as exc:
            _log.warning("fit cache failed for %s (%s); fitting in memory", kind, exc)
    return estimator.fit(catalog)


def active_catalog() -> Catalog:
    """The catalog this session works on: its upload if it made one, else the default."""
    catalog = st.session_state.get(CATALOG_KEY)
    if catalog is None:
        catalog = default_catalog()
        st.session_state[CATALOG_KEY] = catalog
    return catalog


def set_active_catalog(catalog: Catalog) -> None:
    st.session_state[CATALOG_KEY] = catalog


def is_default(catalog: Catalog) -> bool:
    return catalog is default_catalog()


# ----------------------------------------------------------------------------- uploads

@st.cache_resource(max_entries=4, ttl=3600, show_spinner=False)
def _load_uploaded(digest: str, name: str, _data: bytes) -> Catalog:
    # Keyed on the bytes' digest: the same file uploaded twice (or by two people) loads once.
    buffer = io.BytesIO(_data)
    buffer.name = name
    return load_catalog(buffer, name=name)


def load_upload(name: str, data: bytes) -> Catalog:
    """Load an uploaded file (CSV, CSV.gz or Parquet); raises CatalogError with the reason."""
    digest = hashlib.sha256(data).hexdigest()
    return _load_uploaded(digest, name, data)


# ----------------------------------------------------------------------------- fitted models

@st.cache_resource(max_entries=16, show_spinner=False)
def _fitted_recommender(method: str, catalog_hash: str, _catalog: Catalog) -> Any:
    from recommender.recommend import make_recommender

    return _fit_with_disk_cache(make_recommender(method), _catalog, kind=f"dashboard-{method}")


def recommender_for(method: str, catalog: Catalog) -> Any:
    """A fitted recommender for ``catalog``, shared by every session (fit once per catalog)."""
    with st.spinner(f"Preparing the {method} method for this catalog (once)…"):
        return _fitted_recommender(method, catalog.content_hash, catalog)


@st.cache_resource(max_entries=24, show_spinner=False)
def _cluster_model(k: int | str, catalog_hash: str, _catalog: Catalog) -> Any:
    from recommender.clustering import ClusterModel

    return _fit_with_disk_cache(ClusterModel(n_clusters=k, random_state=0), _catalog, kind=f"dashboard-clusters-k{k}")


def cluster_model(catalog: Catalog, k: int | str) -> Any:
    """A fitted K-means model (k a number or "auto"), cached per catalog and k."""
    label = "choosing the number of clusters and clustering" if k == "auto" else f"clustering into {k} groups"
    with st.spinner(f"{label.capitalize()} (once per catalog)…"):
        return _cluster_model(k, catalog.content_hash, catalog)


@st.cache_resource(max_entries=8, show_spinner=False)
def _k_scores(catalog_hash: str, _catalog: Catalog) -> pd.DataFrame:
    from recommender.clustering import ClusterModel

    def build() -> pd.DataFrame:
        return ClusterModel(random_state=0).score_k_range(_catalog)

    cache = _disk_cache() if _catalog is default_catalog() else None
    if cache is not None:
        try:
            return cache.get_or_build(cache.key("dashboard-kscores", _catalog, {"random_state": 0}), build,
                                      catalog=_catalog)
        except Exception as exc:
            _log.warning("k-scores cache failed (%s); computing in memory", exc)
    return build()


def k_scores(catalog: Catalog, model: Any | None = None) -> pd.DataFrame:
    """Inertia and silhouette per k (reuses an "auto" model's scores when it has them)."""
    scores = getattr(model, "scores_", None)
    if scores is not None and len(scores):
        return scores
    with st.spinner("Scoring k = 2 … 15 for the elbow and silhouette chart (once per catalog)…"):
        return _k_scores(catalog.content_hash, catalog)


# ----------------------------------------------------------------------------- derived tables

@st.cache_resource(max_entries=8, show_spinner=False)
def _primary_genres(catalog_hash: str, _catalog: Catalog) -> np.ndarray:
    genres = _catalog.tracks["genres"] if "genres" in _catalog.tracks else pd.Series([None] * len(_catalog))
    return np.array([(split_list(g) or ["(no genre)"])[0] for g in genres], dtype=object)


def primary_genres(catalog: Catalog) -> np.ndarray:
    """Each track's first genre ("(no genre)" when the file had none), for colouring."""
    return _primary_genres(catalog.content_hash, catalog)


@st.cache_resource(max_entries=8, show_spinner=False)
def _genre_list(catalog_hash: str, _catalog: Catalog) -> list[str]:
    return sorted(str(g) for g in _catalog.memberships["genre"].dropna().unique())


def genre_list(catalog: Catalog) -> list[str]:
    return _genre_list(catalog.content_hash, catalog)


@st.cache_resource(max_entries=8, show_spinner=False)
def _sample_positions(catalog_hash: str, n_tracks: int, size: int) -> np.ndarray:
    if n_tracks <= size:
        return np.arange(n_tracks)
    rng = np.random.default_rng(0)
    return np.sort(rng.choice(n_tracks, size=size, replace=False))


def sample_positions(catalog: Catalog, size: int = PLOT_SAMPLE) -> np.ndarray:
    """A fixed random sample of row positions (the same on every rerun and session)."""
    return _sample_positions(catalog.content_hash, len(catalog), size)


@st.cache_resource(max_entries=8, show_spinner=False)
def _plot_frame(catalog_hash: str, size: int, _catalog: Catalog) -> pd.DataFrame:
    positions = _sample_positions(catalog_hash, len(_catalog), size)
    t = _catalog.tracks.iloc[positions]
    cols = ["track_id", "track_name", "artists", "popularity", "release_year", *_catalog.feature_names]
    frame = t[[c for c in cols if c in t]].copy()
    # Genres come from the file: escaped, since Plotly renders HTML in legends and hovers.
    frame["genre"] = [hover_escape(g) for g in _primary_genres(catalog_hash, _catalog)[positions]]
    frame["label"] = hover_labels(t["track_name"].tolist(), t["artists"].tolist())
    for col in frame.columns:
        if frame[col].dtype == "float32":
            frame[col] = frame[col].astype("float64")  # plotly/JSON prefer float64
    return frame.reset_index(drop=True)


def plot_frame(catalog: Catalog, size: int = PLOT_SAMPLE) -> pd.DataFrame:
    """A sample of the catalog ready to plot: features, primary genre, escaped hover label.

    Shared read-only between reruns and sessions: callers must not modify it.
    """
    return _plot_frame(catalog.content_hash, size, catalog)


@st.cache_resource(max_entries=8, show_spinner=False)
def _search_index(catalog_hash: str, _catalog: Catalog) -> pd.DataFrame:
    t = _catalog.tracks
    label = (t["track_name"].fillna("(no title)") + " — " + t["artists"].fillna("(unknown artist)")).astype(str)
    order = t["popularity"].fillna(-1).to_numpy().argsort(kind="stable")[::-1]
    return pd.DataFrame(
        {"track_id": t["track_id"].astype(str).to_numpy()[order], "label": label.to_numpy()[order]}
    )


def search_tracks(catalog: Catalog, query: str, limit: int = 50) -> pd.DataFrame:
    """Tracks whose title or artist contains ``query`` (case-insensitive), most popular first."""
    index = _search_index(catalog.content_hash, catalog)
    query = (query or "").strip()
    if not query:
        return index.iloc[:0]
    hits = index[index["label"].str.contains(query, case=False, regex=False, na=False)]
    return hits.head(limit)


def track_labels(catalog: Catalog, track_ids: list[str]) -> dict[str, str]:
    """'Title — Artists' for each known ID (plain text, for widget options)."""
    pos = catalog.positions(track_ids)
    t = catalog.tracks
    out = {}
    for tid, p in zip(track_ids, pos):
        if p >= 0:
            name = t["track_name"].iat[p]
            artist = t["artists"].iat[p]
            out[tid] = f"{name if isinstance(name, str) else '(no title)'} — {artist if isinstance(artist, str) else '(unknown artist)'}"
    return out


@st.cache_resource(max_entries=8, show_spinner=False)
def _summary(catalog_hash: str, _catalog: Catalog) -> dict:
    return _catalog.summary()


def catalog_summary(catalog: Catalog) -> dict:
    """``catalog.summary()``, computed once per catalog (callers must not modify it)."""
    return _summary(catalog.content_hash, catalog)


@st.cache_resource(max_entries=96, show_spinner=False)
def _figure(kind: str, catalog_hash: str, source: str, args: tuple, _catalog: Catalog) -> Any:
    from . import charts

    data = _catalog.tracks if source == "tracks" else _plot_frame(catalog_hash, PLOT_SAMPLE, _catalog)
    if source == "pairs":
        data = data.iloc[: min(len(data), 2_000)]
    return getattr(charts, kind)(data, *args)


def figure(kind: str, catalog: Catalog, *args: Any, source: str = "sample") -> Any:
    """``ui.charts.<kind>(data, *args)`` built once per catalog and arguments.

    ``source`` is "sample" (the plot sample), "pairs" (its first 2,000 rows) or "tracks"
    (every track). Streamlit serialises figures without changing them, so sharing is safe.
    """
    return _figure(kind, catalog.content_hash, source, tuple(args), catalog)


def _cluster_labels(model: Any) -> list[str]:
    return [f"{i}: {name}" for i, name in enumerate(model.cluster_names_)]


@st.cache_resource(max_entries=24, show_spinner=False)
def _cluster_figures(k: int | str, catalog_hash: str, _catalog: Catalog, _model: Any) -> dict[str, Any]:
    from . import charts

    positions = _sample_positions(catalog_hash, len(_catalog), PLOT_SAMPLE)
    emb = _model.embedding_2d()
    names = np.array(_cluster_labels(_model), dtype=object)
    t = _catalog.tracks.iloc[positions]
    frame = pd.DataFrame({
        "pc1": emb[positions, 0].astype("float64"),
        "pc2": emb[positions, 1].astype("float64"),
        "cluster": names[_model.labels_[positions]],
        "label": hover_labels(t["track_name"].tolist(), t["artists"].tolist()),
        "track_id": t["track_id"].astype(str).to_numpy(),
    }).sort_values("cluster", kind="stable")
    genre = pd.Series(_primary_genres(catalog_hash, _catalog))
    mix = (
        pd.crosstab(names[_model.labels_], genre.map(hover_escape).to_numpy(), normalize="index")
        .stack().rename("share").reset_index()
    )
    mix.columns = ["cluster", "genre", "share"]
    return {"map": charts.cluster_map(frame), "mix": charts.cluster_genre_mix(mix[mix["share"] > 0])}


def cluster_figures(catalog: Catalog, k: int | str, model: Any) -> dict[str, Any]:
    """The cluster map and genre-mix figures, built once per catalog and k."""
    with st.spinner("Drawing the cluster map…"):
        return _cluster_figures(k, catalog.content_hash, catalog, model)


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
    return _percentile_scale(catalog.content_hash, catalog)
