"""Cached K-means models and cluster figures for the Clusters page, with progress steps.

``st.cache_resource`` replays the Streamlit elements a cached function draws, and cannot
replay updates to a progress bar drawn outside it. So each (catalog, k) gets a cached *slot*
(cheap to create) and the fit runs outside the cache, under the slot's lock, updating a
progress bar step by step; sessions that come later find the fitted model in the slot. For
the default catalog the fit is also kept on disk (``recommender.cache``), keyed on the
model's settings. A listener's music library is clustered in the network's sound space (the
model's ``space="auto"``) and its figures speak of tags and files instead of genres.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from recommender.catalog import Catalog

from .charts import cluster_color, cluster_genre_mix, cluster_map
from .data import PLOT_SAMPLE, _sample_positions, catalog_key, disk_cache, is_default, primary_genre_codes
from .library_charts import cluster_tag_heatmap
from .slots import filled, slot
from .text import hover_escape, hover_labels

_log = logging.getLogger(__name__)

__all__ = ["cluster_model", "cluster_figures", "k_scores", "cluster_labels"]


def _with_disk_cache(catalog: Catalog, kind: str, settings: dict, build: Callable[[], Any]) -> Any:
    cache = disk_cache() if is_default(catalog) else None
    if cache is None:
        return build()
    try:
        return cache.get_or_build(cache.key(kind, catalog, settings), build, catalog=catalog)
    except Exception as exc:  # a broken cache only costs time
        _log.warning("cluster cache failed for %s (%s); fitting in memory", kind, exc)
        return build()


def cluster_model(catalog: Catalog, k: int | str) -> Any:
    """A fitted :class:`~recommender.clustering.ClusterModel` (k a number or "auto"), once per
    catalog and k. Choosing k shows a progress bar (each k tried); a fixed k a spinner."""
    from recommender.clustering import ClusterModel

    shared = slot("model", str(k), catalog_key(catalog))
    if shared.value is not None:
        return shared.value
    model = ClusterModel(n_clusters=k, random_state=0)
    if k == "auto":
        bar = st.progress(0.0, text="Finding how many groups the catalog falls into…")

        def step(done: int, total: int) -> None:
            bar.progress(done / (total + 1), text=f"Trying group counts: {done} of {total} tried…")
            if done == total:
                bar.progress(total / (total + 1), text="Sorting every track into the best number of groups…")

        try:
            return filled(shared, lambda: _with_disk_cache(
                catalog, "dashboard-clusters-kauto", model.get_params(), lambda: model.fit(catalog, on_step=step)))
        finally:
            bar.empty()
    with st.spinner(f"Sorting the tracks into {k} groups (once per catalog)…"):
        return filled(shared, lambda: _with_disk_cache(
            catalog, f"dashboard-clusters-k{k}", model.get_params(), lambda: model.fit(catalog)))


def k_scores(catalog: Catalog, model: Any | None = None) -> pd.DataFrame:
    """Inertia and silhouette per k = 2…15 (an "auto" model's own scores when it has them),
    computed once per catalog under a progress bar."""
    from recommender.clustering import ClusterModel

    scores = getattr(model, "scores_", None)
    if scores is not None and len(scores):
        return scores
    shared = slot("k_scores", "2-15", catalog_key(catalog))
    if shared.value is not None:
        return shared.value
    scorer = ClusterModel(random_state=0)
    bar = st.progress(0.0, text="Trying group counts…")

    def step(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Trying group counts: {done} of {total} tried…")

    try:
        return filled(shared, lambda: _with_disk_cache(
            catalog, "dashboard-kscores", scorer.get_params(), lambda: scorer.score_k_range(catalog, on_step=step)))
    finally:
        bar.empty()


def cluster_labels(model: Any) -> list[str]:
    """"3: Rock · loud and fast" for each cluster (plain text, for widgets and tables)."""
    return [f"{i}: {name}" for i, name in enumerate(model.cluster_names_)]


@st.cache_resource(max_entries=24, show_spinner=False)
def _cluster_figures(k: str, catalog_hash: str, _catalog: Catalog, _model: Any) -> dict[str, Any]:
    positions = _sample_positions(catalog_hash, len(_catalog), PLOT_SAMPLE)  # the tracks Explore draws
    emb = _model.embedding_2d()
    # Names carry genre names from the file: escaped, since Plotly renders HTML in legends.
    names = np.array([hover_escape(label) for label in cluster_labels(_model)], dtype=object)
    t = _catalog.tracks.iloc[positions]
    hover = hover_labels(t["track_name"].tolist(), t["artists"].tolist())
    if "file_path" in t:  # a music library: the listener's own file, under the title
        hover = [f"{label}<br>{hover_escape(path)}" for label, path in zip(hover, t["file_path"].fillna(""))]
    frame = pd.DataFrame({
        "pc1": emb[positions, 0].astype("float64"),
        "pc2": emb[positions, 1].astype("float64"),
        "cluster": names[_model.labels_[positions]],
        "label": hover,
        "track_id": t["track_id"].astype(str).to_numpy(),
        "number": _model.labels_[positions],
    }).sort_values("number", kind="stable").drop(columns="number")
    colors = {names[i]: cluster_color(i) for i in range(len(names))}
    axis_titles = _model.map_axis_titles() if hasattr(_model, "map_axis_titles") else ("", "")
    figure_map = cluster_map(frame, tuple(hover_escape(a) for a in axis_titles), colors)
    if getattr(_model, "space_kind_", "features") == "sound":
        # A library has few tracks: bigger dots, and the map says whose music it is.
        figure_map.update_traces(marker=dict(size=10 if len(frame) <= 500 else 5))
        figure_map.update_layout(title="Map of your music: tracks that sound alike sit close together")
        tags = cluster_tag_heatmap(_model.tag_means_, [hover_escape(w) for w in _model.tag_words_], list(names))
        return {"map": figure_map, "mix": tags, "tags": tags}
    # Share of each primary genre per cluster, counted on integer codes (a crosstab of a million
    # strings took 1.5 s).
    codes, genres = primary_genre_codes(_catalog)
    counts = np.bincount(_model.labels_.astype(np.int64) * len(genres) + codes,
                         minlength=len(names) * len(genres)).reshape(len(names), len(genres))
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    rows, cols = np.nonzero(share)
    mix = pd.DataFrame({"cluster": names[rows], "genre": [hover_escape(g) for g in genres[cols]],
                        "share": share[rows, cols]})
    return {"map": figure_map, "mix": cluster_genre_mix(mix)}


def cluster_figures(catalog: Catalog, k: int | str, model: Any) -> dict[str, Any]:
    """The cluster map and genre-mix figures (a library: the map and the tags per cluster, also
    under "mix"), built once per catalog and k."""
    with st.spinner("Drawing the cluster map…"):
        return _cluster_figures(str(k), catalog_key(catalog), catalog, model)
