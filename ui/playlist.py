"""Streamlit pieces of the Playlist page: the playlist map, the ordered table, the problems list.

The sorting, filtering and export logic is plain library code in :mod:`recommender.playlist`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from recommender.ids import is_track_id, track_url
from recommender.playlist import Unresolved

from .charts import feature_label
from .text import hover_escape, hover_labels
from .widgets import link_column

__all__ = [
    "FEATURE_WORDS",
    "PLOT_FEATURES",
    "feature_words",
    "playlist_map",
    "playlist_table",
    "problems_table",
    "slider_bounds",
    "value_text",
]

# The words a listener reads for each feature (Organize Your Music spoke of BPM and mood).
FEATURE_WORDS = {
    "position": "Playlist order",
    "tempo": "BPM",
    "energy": "Energy",
    "valence": "Mood (valence)",
    "danceability": "Danceability",
    "acousticness": "Acousticness",
    "instrumentalness": "Instrumentalness",
    "speechiness": "Speechiness",
    "liveness": "Liveness",
    "loudness": "Loudness (dB)",
    "popularity": "Popularity",
}
# The axes a listener can pick for the map.
PLOT_FEATURES: tuple[str, ...] = (
    "tempo", "energy", "valence", "danceability", "acousticness", "instrumentalness", "speechiness",
    "liveness", "loudness", "popularity",
)
_HIGHLIGHT = "#1DB954"  # the kept tracks (Spotify green, as Recommend's results)
_FILTERED_OUT = "#9AA39A"
_BACKGROUND = "#D5DBD4"


def feature_words(name: str) -> str:
    return FEATURE_WORDS.get(name, feature_label(name))


def value_text(feature: str, value: Any) -> str:
    """A feature value the way a listener reads it: "128 BPM", "0.81", "unknown"."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "unknown"
    if math.isnan(number):
        return "unknown"
    if feature == "tempo":
        return f"{number:.0f} BPM"
    if feature in ("popularity",):
        return f"{number:.0f}"
    if feature == "loudness":
        return f"{number:.1f} dB"
    return f"{number:.2f}"


def slider_bounds(feature: str, values: pd.Series) -> tuple[float, float, float]:
    """``(low, high, step)`` of a filter slider: 0-1 for the 0-1 features, the playlist's BPM
    range rounded out to fives for tempo (a 0-300 slider would leave the useful part tiny)."""
    if feature == "tempo":
        known = values.dropna().astype("float64")
        if known.empty:
            return 0, 250, 1
        low = int(math.floor(known.min() / 5) * 5)
        high = int(math.ceil(known.max() / 5) * 5)
        return low, max(high, low + 5), 1
    return 0.0, 1.0, 0.01


def _hover(frame: pd.DataFrame, x: str, y: str, numbered: bool) -> np.ndarray:
    labels = hover_labels(frame["track_name"].tolist(), frame["artists"].tolist())
    x_name, y_name = hover_escape(feature_words(x)), hover_escape(feature_words(y))
    out = []
    for i, (label, x_value, y_value) in enumerate(zip(labels, frame[x].tolist(), frame[y].tolist())):
        prefix = f"{i + 1}. " if numbered else ""
        out.append(f"{prefix}{label}<br>{x_name}: {value_text(x, x_value)}<br>{y_name}: {value_text(y, y_value)}")
    # An object array: Plotly checks a list of 10,000 strings one by one (40 ms), an array at once.
    return np.array(out, dtype=object)


def playlist_map(kept: pd.DataFrame, filtered_out: pd.DataFrame, background: pd.DataFrame | None,
                 x: str, y: str, *, path: bool = False) -> go.Figure:
    """The playlist's tracks (numbered in the new order) over an optional faint catalog sample;
    tracks the filters leave out stay visible as hollow grey rings."""
    fig = go.Figure()
    # SVG markers are crisper and carry the numbers; past a few hundred points WebGL draws faster.
    scatter = go.Scatter if len(kept) + len(filtered_out) <= 500 else go.Scattergl
    if background is not None and x in background and y in background and len(background):
        fig.add_trace(go.Scattergl(x=background[x], y=background[y], mode="markers", name="catalog (sample)",
                                   marker=dict(size=3, color=_BACKGROUND), hoverinfo="skip"))
    if len(filtered_out):
        fig.add_trace(scatter(x=filtered_out[x], y=filtered_out[y], mode="markers", name="filtered out",
                                 marker=dict(size=9, color="rgba(0,0,0,0)", line=dict(width=1.5, color=_FILTERED_OUT)),
                                 hovertext=_hover(filtered_out, x, y, numbered=False), hoverinfo="text"))
    if len(kept):
        numbered = len(kept) <= 60  # numbers on more points than that only cover each other
        if path and len(kept) > 1:
            fig.add_trace(scatter(x=kept[x], y=kept[y], mode="lines", name="new order",
                                     line=dict(width=1, color=_HIGHLIGHT), opacity=0.45, hoverinfo="skip"))
        fig.add_trace(scatter(
            x=kept[x], y=kept[y], mode="markers+text" if numbered else "markers", name="your playlist",
            text=[str(i) for i in range(1, len(kept) + 1)] if numbered else None,
            textposition="top center", textfont=dict(size=12, color="#333"),
            marker=dict(size=12, color=_HIGHLIGHT, line=dict(width=1, color="white")),
            hovertext=_hover(kept, x, y, numbered=True), hoverinfo="text",
        ))
    fig.update_layout(
        height=520, xaxis_title=feature_words(x), yaxis_title=feature_words(y),
        title=f"{feature_words(y)} against {feature_words(x)}",
        margin=dict(l=10, r=10, t=40, b=10), legend=dict(itemsizing="constant", orientation="h", y=-0.15),
    )
    return fig


def playlist_table(tracks: pd.DataFrame, *, extra: str | None = None, key: str = "pl_table") -> Any:
    """The tracks in their current order: number, title, artist, BPM, energy, mood,
    danceability (and ``extra``, the sort column when it is another one), with a Spotify link."""
    columns = ["order", "position", "track_name", "artists", "tempo", "energy", "valence", "danceability"]
    if extra and extra not in columns and extra in tracks:
        columns.append(extra)
    view = tracks[[c for c in columns if c in tracks]].copy()
    view.insert(0, "order", range(1, len(view) + 1))
    view["spotify"] = [track_url(t) if is_track_id(t) else None for t in tracks["track_id"].astype(str)]
    view["track_id"] = tracks["track_id"].astype(str).to_numpy()
    config = {
        "order": st.column_config.NumberColumn("#", width="small", help="Place in the new order"),
        "position": st.column_config.NumberColumn("Was #", width="small", help="Place in the playlist as loaded"),
        "track_name": st.column_config.TextColumn("Title"),
        "artists": st.column_config.TextColumn("Artist"),
        "tempo": st.column_config.NumberColumn("BPM", format="%.0f"),
        "energy": st.column_config.NumberColumn("Energy", format="%.2f"),
        "valence": st.column_config.NumberColumn("Mood (valence)", format="%.2f",
                                                 help="0 = sad or angry, 1 = happy or cheerful"),
        "danceability": st.column_config.NumberColumn("Danceability", format="%.2f"),
        "acousticness": st.column_config.NumberColumn("Acousticness", format="%.2f"),
        "popularity": st.column_config.NumberColumn("Popularity", format="%d"),
        "spotify": link_column(),
    }
    return st.dataframe(
        view,
        column_order=[c for c in [*columns, "spotify"] if c in view],
        column_config=config,
        hide_index=True,
        key=key,
        height=min(38 + 35 * len(view), 560),
        on_select="rerun",
        selection_mode="single-row",
    )


def problems_table(unresolved: list[Unresolved]) -> None:
    """Each item that is not on the plots, with the reason, as plain text in a grid."""
    st.dataframe(
        pd.DataFrame({"item": [u.item for u in unresolved], "reason": [u.reason for u in unresolved]}),
        hide_index=True,
        key="pl_problems",
        column_config={
            "item": st.column_config.TextColumn("You gave"),
            "reason": st.column_config.TextColumn("Why it is not on the map", width="large"),
        },
    )
