"""Plotly figures of a listener's own music library (an audio library: measured tempo, loudness,
key and length; the network's tag estimates). Data in, figure out; no Streamlit import.

Frames come from :func:`ui.library_data.library_frame`: album names, labels and file paths are
already escaped there (Plotly renders a subset of HTML in hovers and legends).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from .charts import OTHER_GENRE_COLORS, nice_ticks

__all__ = ["KEY_NAMES", "TAG_PREFIX", "album_colors", "library_label", "key_names", "tag_bars", "tag_scatter",
           "measured_histogram", "cluster_tag_heatmap", "MEASURED"]

KEY_NAMES = ("C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B")
TAG_PREFIX = "tag:"  # tag columns of a library frame: "tag:guitar"
NO_ALBUM = "(no album)"
# The measured features a library frame carries, in the listener's units.
MEASURED = ("tempo", "loudness", "key_name", "length_min")
_LABELS = {
    "tempo": "Tempo (BPM)",
    "loudness": "Loudness (LUFS)",
    "key_name": "Key",
    "length_min": "Length (minutes)",
    "album": "Album",
}
_LAYOUT = dict(margin=dict(l=10, r=10, t=60, b=10), legend=dict(itemsizing="constant"))


def library_label(column: str) -> str:
    """A library frame column in words with its unit: "Loudness (LUFS)", "guitar (network's estimate)"."""
    if column.startswith(TAG_PREFIX):
        return f"{column[len(TAG_PREFIX):]} (network's estimate)"
    return _LABELS.get(column, column.replace("_", " ").capitalize())


def key_names(key: Iterable[float], mode: Iterable[float]) -> list[str]:
    """Pitch class and mode -> "A minor"; "unknown" when the key was not measured."""
    out = []
    for k, m in zip(key, mode):
        if k is None or k != k or not 0 <= k < 12:
            out.append("unknown")
        else:
            out.append(f"{KEY_NAMES[int(k)]} {'major' if m == m and m is not None and m >= 0.5 else 'minor'}")
    return out


def album_colors(albums: Iterable[str]) -> dict[str, str]:
    """One colour per album, the same on every chart of one library: albums take the palette in
    their sorted order (no two albums of a small library share a colour); tracks without an album
    are grey."""
    names = sorted({str(a) for a in albums} - {NO_ALBUM})
    colors = {a: OTHER_GENRE_COLORS[i % len(OTHER_GENRE_COLORS)] for i, a in enumerate(names)}
    colors[NO_ALBUM] = "#BBBBBB"
    return colors


def _percent_axis(top: float) -> dict:
    """A 0..top probability axis with round percent ticks."""
    ticks = nice_ticks(max(top, 0.05), target=5)
    return dict(range=[0, ticks[-1] * 1.02], tickmode="array", tickvals=ticks,
                ticktext=[f"{v:.0%}" for v in ticks])


def tag_bars(means: pd.Series, n: int = 15) -> go.Figure:
    """The ``n`` plain tags with the highest mean probability over the library, strongest on top.
    ``means``: word -> mean probability (0..1)."""
    top = means.sort_values(ascending=False).head(n)
    fig = go.Figure(go.Bar(x=top.to_numpy(), y=list(top.index), orientation="h", marker_color="#1DB954",
                           hovertemplate="%{y}: %{x:.0%} on average<extra></extra>"))
    fig.update_layout(
        title=dict(text="What the network hears most in your music<br><sup>average estimate over every "
                        "track; a network's guess, not a measurement</sup>"),
        height=140 + 26 * len(top),
        xaxis=dict(title_text="average estimated probability", **_percent_axis(float(top.max()) if len(top) else 1.0)),
        yaxis=dict(autorange="reversed", automargin=True),
        margin=dict(l=10, r=20, t=80, b=10),
    )
    return fig


def tag_scatter(frame: pd.DataFrame, x: str, y: str) -> go.Figure:
    """Two columns of a library frame (tags or measured features), one colour per album; each
    point carries its track ID as customdata (for box/lasso selection)."""
    fig = px.scatter(
        frame, x=x, y=y, color="album", hover_name="label",
        hover_data={x: ":.2f" if x.startswith(TAG_PREFIX) else ":.3g",
                    y: ":.2f" if y.startswith(TAG_PREFIX) else ":.3g", "album": True, "file": True},
        custom_data=["track_id"], color_discrete_map=album_colors(frame["album"]),
        category_orders={"album": sorted(frame["album"].unique())},
        labels={c: library_label(c) for c in (x, y, "album", "file")}, opacity=0.75, render_mode="webgl",
    )
    fig.update_traces(marker=dict(size=8))
    for column, axis in ((x, fig.update_xaxes), (y, fig.update_yaxes)):
        if column.startswith(TAG_PREFIX):
            axis(**_percent_axis(float(frame[column].max()) if len(frame) else 1.0))
        else:
            axis(nticks=8, tickformat="~r" if column == "length_min" else "~f")
    fig.update_layout(height=560, dragmode="lasso", legend_title_text="Album",
                      title=f"{library_label(y)} against {library_label(x)}", **_LAYOUT)
    return fig


def measured_histogram(frame: pd.DataFrame, column: str) -> go.Figure:
    """How many tracks at each tempo / loudness / key / length, stacked by album."""
    albums = sorted(frame["album"].unique())
    if column == "key_name":
        order = [f"{k} {m}" for k in KEY_NAMES for m in ("major", "minor")] + ["unknown"]
        present = [k for k in order if k in set(frame[column])]
        fig = px.histogram(frame, x=column, color="album", category_orders={column: present, "album": albums},
                           color_discrete_map=album_colors(albums), labels={column: "Key", "album": "Album"})
    else:
        fig = px.histogram(frame, x=column, color="album", nbins=30, category_orders={"album": albums},
                           color_discrete_map=album_colors(albums),
                           labels={column: library_label(column), "album": "Album"})
        fig.update_xaxes(nticks=10)
    fig.update_layout(barmode="stack", height=440, bargap=0.05, yaxis_title_text="tracks",
                      title=f"{library_label(column)}: how many of your tracks", **_LAYOUT)
    counts = np.unique(frame[column].astype(str), return_counts=True)[1] if len(frame) else [1]
    top = max(1, int(max(counts)))
    fig.update_yaxes(tickformat="d", dtick=max(1, math.ceil(top / 5)) if top <= 50 else None)
    return fig


def cluster_tag_heatmap(tag_means: np.ndarray, words: Sequence[str], cluster_names: Sequence[str],
                        n_words: int = 12) -> go.Figure:
    """Clusters (rows) against the tags that tell them apart most (columns): mean probability.
    ``cluster_names`` must be escaped already."""
    means = np.asarray(tag_means, dtype=np.float64)
    spread = means.max(axis=0) - means.min(axis=0)
    # The tags whose level differs most between clusters, then the strongest overall.
    order = list(np.argsort(-(spread + 0.25 * means.max(axis=0)), kind="stable")[:n_words])
    fig = px.imshow(means[:, order], x=[words[j] for j in order], y=list(cluster_names), zmin=0,
                    zmax=max(0.05, float(means[:, order].max())), color_continuous_scale="Greens",
                    text_auto=".0%", aspect="auto", labels={"color": "estimate"})
    fig.update_layout(title="What the network hears in each cluster<br><sup>average estimated probability "
                            "of each tag</sup>", height=180 + 40 * len(cluster_names),
                      # Every cell prints its percentage: a colour bar would only crowd a short chart.
                      margin=dict(l=10, r=10, t=80, b=10), coloraxis_showscale=False)
    fig.update_xaxes(side="bottom", tickangle=-30, automargin=True)
    fig.update_yaxes(automargin=True)
    return fig
