"""Plotly figures for the pages. Pure functions: data in, figure out (no Streamlit calls).

Text that comes from data (track names, genres) must already be escaped with
:func:`ui.text.hover_escape` (``ui.data.plot_frame`` does it), because Plotly renders a
subset of HTML in hover labels and legends.
"""
from __future__ import annotations

import html
import math
import zlib
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .text import hover_escape

__all__ = [
    "FEATURE_LABELS",
    "GENRE_COLORS",
    "WEBGL_CONFIG",
    "feature_label",
    "genre_color",
    "genre_colors",
    "cluster_color",
    "heatmap_features",
    "nice_ticks",
    "size_legend_text",
    "correlation_heatmap",
    "scatter_matrix",
    "genre_distribution",
    "feature_over_years",
    "free_scatter",
    "k_scores_chart",
    "cluster_map",
    "cluster_radar",
    "seeds_vs_results",
]

FEATURE_LABELS = {
    "acousticness": "Acousticness",
    "danceability": "Danceability",
    "duration_ms": "Duration (ms)",
    "energy": "Energy",
    "instrumentalness": "Instrumentalness",
    "key": "Key (0 = C)",
    "liveness": "Liveness",
    "loudness": "Loudness (dB)",
    "mode": "Mode (1 = major)",
    "speechiness": "Speechiness",
    "tempo": "Tempo (BPM)",
    "valence": "Valence (mood)",
    "time_signature": "Time signature",
    "popularity": "Popularity",
    "release_year": "Release year",
    "score": "Score",
}
_PALETTE = px.colors.qualitative.Safe + px.colors.qualitative.Pastel
_LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), legend=dict(itemsizing="constant"))

# One colour per genre on every chart of the app (Explore, Clusters): the default catalog's six
# genres have fixed, clearly different colours (Paul Tol's "bright" scheme, readable with
# colour-blindness); any other genre gets a colour from OTHER_GENRE_COLORS picked by a hash of
# its name, so it is the same whichever other genres a chart shows.
GENRE_COLORS: dict[str, str] = {
    "pop": "#EE6677",
    "rock": "#4477AA",
    "rap": "#CCBB44",
    "r&b": "#AA3377",
    "latin": "#228833",
    "edm": "#66CCEE",
}
NO_GENRE_COLOR = "#BBBBBB"
OTHER_GENRE_COLORS: tuple[str, ...] = (
    "#E5861A", "#5D69B1", "#52BCA3", "#99C945", "#CC61B0", "#24796C", "#DAA51B", "#2F8AC4",
    "#764E9F", "#ED645A", "#8C564B", "#17BECF", "#BCBD22", "#7F3C8D", "#11A579", "#3969AC",
)
# Clusters are numbered, not named by genre: their own sequence, by cluster number, so the map,
# the radar and the genre mix agree on which colour is which cluster.
CLUSTER_COLORS: tuple[str, ...] = tuple(px.colors.qualitative.Dark24)
# st.plotly_chart config for the WebGL charts (free scatter, cluster map, pairs). Plotly draws
# WebGL at twice the page's pixels by default, and Streamlit draws every new figure into a new
# chart: in headless Chromium without a GPU the first draw of the Explore scatter (5,000 points)
# took 265-510 ms at 2x and 125-280 ms at 1x. On a high-density screen the dots are a little
# softer at 1x; axes, labels, hover boxes and the lasso are SVG and stay sharp.
WEBGL_CONFIG = {"plotGlPixelRatio": 1}


def feature_label(name: str) -> str:
    return FEATURE_LABELS.get(name, name.replace("_", " ").capitalize())


def genre_color(genre: str) -> str:
    """The colour of ``genre`` on every chart (plot frames hold HTML-escaped names: "r&amp;b")."""
    name = html.unescape(str(genre)).strip().lower()
    if name in GENRE_COLORS:
        return GENRE_COLORS[name]
    if not name or name == "(no genre)":
        return NO_GENRE_COLOR
    return OTHER_GENRE_COLORS[zlib.crc32(name.encode("utf-8")) % len(OTHER_GENRE_COLORS)]


def genre_colors(genres: Iterable[str]) -> dict[str, str]:
    """``{genre: colour}`` for a chart's ``color_discrete_map``, keyed as the chart's values are."""
    return {g: genre_color(g) for g in dict.fromkeys(genres)}


def cluster_color(cluster: int) -> str:
    return CLUSTER_COLORS[int(cluster) % len(CLUSTER_COLORS)]


# Numbers that stand for categories (key 0-11, mode 0/1, beats per bar): a correlation with
# them means little, so the heatmap leaves them out.
CATEGORY_CODES = frozenset({"key", "mode", "time_signature"})


def heatmap_features(columns: Iterable[str]) -> list[str]:
    """The columns the correlation heatmap shows: popularity and every measured feature, not the
    category codes (key, mode, time signature)."""
    cols = [c for c in columns if c not in CATEGORY_CODES]
    return ["popularity", *[c for c in cols if c != "popularity"]] if "popularity" in cols else cols


def nice_ticks(top: float, target: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top``: steps of 1, 2 or 5 times a power of ten."""
    if not np.isfinite(top) or top <= 0:
        return [0.0, 1.0]
    raw = top / max(1, target)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    count = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)]


def _short_number(value: float) -> str:
    """1500 -> "1.5k", 2000 -> "2k", 40 -> "40"."""
    if abs(value) >= 1000:
        text = f"{value / 1000:.1f}".rstrip("0").rstrip(".")
        return f"{text}k"
    return f"{value:g}"


def _lower_first(label: str) -> str:
    """"Loudness (dB)" -> "loudness (dB)": a label inside a sentence keeps its units' case."""
    return label[:1].lower() + label[1:]


def size_legend_text(frame: pd.DataFrame, size: str) -> str:
    """What the dot sizes mean on the free scatter, for a caption under it."""
    col = frame[size].astype("float64")
    lo, hi = np.nanmin(col), np.nanmax(col)
    label = _lower_first(feature_label(size))
    return (f"Bigger dot = more {label}: the smallest dots are the lowest {label} shown "
            f"({lo:.3g}), the biggest the highest ({hi:.3g}).")


def correlation_heatmap(frame: pd.DataFrame, features: Sequence[str]) -> go.Figure:
    features = heatmap_features(f for f in features if f in frame and frame[f].notna().any())
    corr = frame[list(features)].astype("float64").corr().round(2)
    labels = [feature_label(f) for f in features]
    fig = px.imshow(
        corr.to_numpy(),
        x=labels,
        y=labels,
        zmin=-1,
        zmax=1,
        color_continuous_scale="RdBu_r",
        text_auto=True,
        aspect="auto",
    )
    fig.update_layout(title="How the audio features move together (Pearson correlation)", height=560, **_LAYOUT)
    return fig


def scatter_matrix(frame: pd.DataFrame, features: Sequence[str], color: str = "genre") -> go.Figure:
    fig = px.scatter_matrix(
        frame,
        dimensions=list(features),
        color=color if color in frame else None,
        hover_name="label",
        labels={f: feature_label(f) for f in features},
        color_discrete_map=genre_colors(frame[color]) if color == "genre" and color in frame else None,
        color_discrete_sequence=_PALETTE,
        opacity=0.45,
    )
    fig.update_traces(diagonal_visible=False, showupperhalf=False, marker=dict(size=3))
    fig.update_layout(height=150 + 150 * len(features), title="Pairs of features", **_LAYOUT)
    return fig


def genre_distribution(frame: pd.DataFrame, feature: str, kind: str = "box") -> go.Figure:
    order = frame.groupby("genre")[feature].median().sort_values().index.tolist()
    common = dict(x="genre", y=feature, color="genre", category_orders={"genre": order},
                  labels={feature: feature_label(feature), "genre": "Genre"},
                  color_discrete_map=genre_colors(order))
    if kind == "violin":
        fig = px.violin(frame, box=True, points=False, **common)
    else:
        fig = px.box(frame, points=False, **common)
    fig.update_layout(showlegend=False, height=460, title=f"{feature_label(feature)} by genre", **_LAYOUT)
    return fig


def feature_over_years(tracks: pd.DataFrame, feature: str) -> go.Figure:
    """Median and middle half (25th-75th percentile) of a feature per release year, over bars of
    how many tracks each year has.

    The bars sit on the first y axis (right side) and the feature on the second (left side):
    Plotly draws a second axis's traces above the first's, so the line is never hidden by a bar.
    """
    data = tracks[["release_year", feature]].dropna()
    grouped = data.groupby("release_year")[feature]
    stats = pd.DataFrame(
        {
            "median": grouped.median(),
            "q1": grouped.quantile(0.25),
            "q3": grouped.quantile(0.75),
            "tracks": grouped.size(),
        }
    ).reset_index()
    stats = stats[stats["tracks"] >= 5]  # a year with 2 tracks makes a meaningless spike
    label = feature_label(feature)
    x = stats["release_year"].astype(int)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=stats["tracks"], name="tracks released that year", marker_color="#D5DDD3",
                         opacity=0.7, yaxis="y", hovertemplate="%{y:,} tracks<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=stats["q3"], line=dict(width=0), showlegend=False, hoverinfo="skip", yaxis="y2"))
    fig.add_trace(go.Scatter(x=x, y=stats["q1"], fill="tonexty", fillcolor="rgba(29,185,84,0.18)", line=dict(width=0),
                             name="middle half of the tracks", yaxis="y2", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=stats["median"], name=f"median {_lower_first(label)}", yaxis="y2",
                             line=dict(color="#1DB954", width=3), hovertemplate="%{y:.3g}<extra>median</extra>"))
    counts = nice_ticks(float(stats["tracks"].max()) if len(stats) else 1.0, target=4)
    fig.update_layout(
        height=460,
        title=f"{label} over the release years (years with at least 5 tracks)",
        hovermode="x unified",
        xaxis=dict(title_text="Release year", tickformat="d"),
        yaxis=dict(title_text="Tracks released that year", side="right", showgrid=False,
                   tickmode="array", tickvals=counts, ticktext=[_short_number(v) for v in counts],
                   range=[0, counts[-1] * 1.02]),
        # tickmode "auto": an overlaying axis otherwise syncs its ticks to the other axis's grid,
        # which gave ticks such as 0.950235 and 1010, 2030 ...
        yaxis2=dict(title_text=label, side="left", overlaying="y", tickmode="auto", nticks=6),
        **{**_LAYOUT, "margin": dict(l=10, r=10, t=40, b=10),
           "legend": dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1)},
    )
    return fig


def free_scatter(frame: pd.DataFrame, x: str, y: str, color: str | None, size: str | None) -> go.Figure:
    """The Organize-Your-Music style scatter; each point carries its track ID as customdata."""
    size_values = None
    if size:
        # Marker sizes must be positive; rescale any feature (loudness is negative) to 0..1.
        col = frame[size].astype("float64")
        lo, hi = np.nanmin(col), np.nanmax(col)
        size_values = ((col - lo) / (hi - lo) if hi > lo else col * 0 + 0.5).fillna(0.0) + 0.08
    fig = px.scatter(
        frame,
        x=x,
        y=y,
        color=color or None,
        size=size_values,
        size_max=14,
        hover_name="label",
        hover_data={x: ":.3g", y: ":.3g", **({color: True} if color and color not in (x, y) else {})},
        custom_data=["track_id"],
        labels={c: feature_label(c) for c in (x, y, color, size) if c},
        color_discrete_map=genre_colors(frame["genre"]) if color == "genre" and "genre" in frame else None,
        color_discrete_sequence=_PALETTE,
        color_continuous_scale="Viridis",
        opacity=0.65,
        render_mode="webgl",
    )
    if not size:
        fig.update_traces(marker=dict(size=5))
    title = f"{feature_label(y)} against {feature_label(x)}"
    if size:
        title += f" (bigger dot = more {_lower_first(feature_label(size))})"
    fig.update_layout(height=600, dragmode="lasso", title=title, **_LAYOUT)
    return fig


def k_scores_chart(scores: pd.DataFrame, chosen_k: int | None = None) -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=scores["k"], y=scores["inertia"], name="inertia (elbow: lower is tighter)",
                             mode="lines+markers", line=dict(color="#5B8FF9"),
                             hovertemplate="%{y:,.0f}<extra>inertia</extra>"), secondary_y=False)
    fig.add_trace(go.Scatter(x=scores["k"], y=scores["silhouette"], name="silhouette (higher is better separated)",
                             mode="lines+markers", line=dict(color="#1DB954"),
                             hovertemplate="%{y:.2f}<extra>silhouette</extra>"), secondary_y=True)
    if chosen_k is not None:
        fig.add_vline(x=chosen_k, line_dash="dash", line_color="#999", annotation_text=f"k = {chosen_k}")
    fig.update_xaxes(title_text="number of clusters k", dtick=1)
    fig.update_yaxes(title_text="inertia", secondary_y=False, tickformat="~s", nticks=6)
    fig.update_yaxes(title_text="silhouette", secondary_y=True, showgrid=False, tickformat=".2f", nticks=6)
    fig.update_layout(height=380, title="Elbow and silhouette", **_LAYOUT)
    return fig


def cluster_map(frame: pd.DataFrame, axis_titles: tuple[str, str] = ("", ""),
                colors: dict[str, str] | None = None) -> go.Figure:
    """``frame`` has pc1, pc2, cluster (label text), label (escaped), track_id. ``axis_titles``
    say in words what rises along each axis; ``colors`` maps each cluster label to its colour."""
    fig = px.scatter(
        frame,
        x="pc1",
        y="pc2",
        color="cluster",
        hover_name="label",
        hover_data={"pc1": False, "pc2": False, "cluster": True},
        custom_data=["track_id"],
        color_discrete_map=colors,
        color_discrete_sequence=list(CLUSTER_COLORS),
        opacity=0.6,
        render_mode="webgl",
        labels={"pc1": axis_titles[0], "pc2": axis_titles[1], "cluster": "Cluster"},
    )
    fig.update_traces(marker=dict(size=4))
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False)
    fig.update_layout(height=560, title="Map of the catalog: tracks that sound alike sit close together", **_LAYOUT)
    return fig


def cluster_radar(profile: pd.DataFrame, features: Sequence[str], scale: dict[str, tuple[float, float]],
                  clusters: Sequence[int]) -> go.Figure:
    """Each chosen cluster's mean features, rescaled 0..1 by ``scale`` (feature -> (lo, hi)).

    Cluster names may hold genre names from the file: they are escaped here for the legend."""
    fig = go.Figure()
    theta = [feature_label(f) for f in features] + [feature_label(features[0])]
    for _, row in profile[profile["cluster"].isin(clusters)].iterrows():
        r = []
        for f in features:
            lo, hi = scale[f]
            r.append(float(np.clip((row[f] - lo) / (hi - lo), 0, 1)) if hi > lo else 0.5)
        r.append(r[0])
        fig.add_trace(go.Scatterpolar(r=r, theta=theta, fill="toself", opacity=0.55,
                                      name=hover_escape(f"{int(row['cluster'])}: {row['name']}"),
                                      line=dict(color=cluster_color(int(row["cluster"])))))
    # Room around the polar area for the angular labels ("Instrumentalness", "Loudness (dB)"):
    # with the default 10 px margins the left and right labels and the title were clipped.
    fig.update_layout(
        polar=dict(radialaxis=dict(range=[0, 1], showticklabels=False), angularaxis=dict(tickfont=dict(size=11)),
                   domain=dict(x=[0.12, 0.88], y=[0.0, 1.0])),
        height=560,
        title=dict(text="How the clusters sound<br><sup>each feature from the catalog's 5th to 95th percentile</sup>",
                   y=0.97, yanchor="top"),
        margin=dict(l=70, r=70, t=90, b=40),
        legend=dict(orientation="h", yanchor="top", y=-0.05, xanchor="center", x=0.5, itemsizing="constant"),
    )
    return fig


def seeds_vs_results(seeds: pd.DataFrame, results: pd.DataFrame, background: pd.DataFrame,
                     x: str, y: str) -> go.Figure:
    """Seeds (stars) and recommendations (dots) over a faint sample of the catalog."""
    fig = go.Figure()
    fig.add_trace(go.Scattergl(x=background[x], y=background[y], mode="markers", name="catalog (sample)",
                               marker=dict(size=3, color="#C9D1C8"), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=results[x], y=results[y], mode="markers", name="recommended",
                             marker=dict(size=10, color="#1DB954", line=dict(width=1, color="white")),
                             hovertext=results["label"], hoverinfo="text"))
    fig.add_trace(go.Scatter(x=seeds[x], y=seeds[y], mode="markers", name="your seeds",
                             marker=dict(size=16, symbol="star", color="#E8833A", line=dict(width=1, color="#333")),
                             hovertext=seeds["label"], hoverinfo="text"))
    fig.update_layout(height=480, xaxis_title=feature_label(x), yaxis_title=feature_label(y),
                      title="Your seeds and the recommendations", **_LAYOUT)
    return fig


def cluster_genre_mix(mix: pd.DataFrame) -> go.Figure:
    """``mix``: one row per (cluster label, genre) with a ``share`` column (0..1)."""
    fig = px.bar(mix, x="share", y="cluster", color="genre", orientation="h",
                 color_discrete_map=genre_colors(mix["genre"]),
                 labels={"share": "share of the cluster's tracks", "cluster": "", "genre": "Genre"})
    # The legend above the bars, in one row: at the side it took a third of a half-width chart.
    fig.update_layout(height=170 + 34 * mix["cluster"].nunique(), barmode="stack", title="Genre mix per cluster",
                      xaxis_tickformat=".0%", margin=dict(l=10, r=20, t=90, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0, title_text=""))
    fig.update_yaxes(autorange="reversed")
    return fig
