"""Explore page: every chart renders, choices persist, a chart selection becomes seeds."""
from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest
from streamlit.util import AttributeDictionary

ROOT = Path(__file__).resolve().parents[2]

from recommender.catalog import split_list  # noqa: E402
from ui.charts import (  # noqa: E402
    GENRE_COLORS,
    cluster_genre_mix,
    correlation_heatmap,
    feature_over_years,
    free_scatter,
    genre_colors,
    genre_distribution,
    heatmap_features,
    nice_ticks,
    scatter_matrix,
)
from ui.data import PLOT_SAMPLE, plot_frame, primary_genres  # noqa: E402
from ui.text import hover_escape  # noqa: E402
from ui.widgets import selected_track_ids  # noqa: E402

PAGE = "pages/Explore.py"


def open_explore() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    return at.switch_page(PAGE).run()


TABS = ["Free scatter", "Correlations", "Pairs of features", "By genre", "Over the years"]


def charts(at: AppTest) -> list:
    return list(at.get("plotly_chart"))


def show_tab(at: AppTest, name: str) -> AppTest:
    at.session_state["explore_tab"] = name  # what clicking the tab does
    return at.run()


def test_every_tab_renders_its_chart_and_the_page_says_it_samples(default_catalog):
    at = open_explore()
    assert not at.exception
    assert len(charts(at)) == 1  # only the open tab (free scatter) is drawn
    assert any(f"random sample of {PLOT_SAMPLE:,} tracks" in c.value for c in at.caption)
    for name in TABS[1:]:
        show_tab(at, name)
        assert not at.exception, name
        assert len(charts(at)) == 1, name
    assert not at.error


def test_axis_colour_and_size_choices_rerender_and_persist(default_catalog):
    at = open_explore()
    at.selectbox(key="w_explore_x").set_value("tempo")
    at.selectbox(key="w_explore_y").set_value("loudness")
    at.selectbox(key="w_explore_color").set_value("popularity")
    at.selectbox(key="w_explore_size").set_value("loudness")  # negative values must still size points
    at.run()
    assert not at.exception
    assert at.session_state["explore_x"] == "tempo"
    at.switch_page("pages/Home.py").run()
    at.switch_page(PAGE).run()
    assert at.selectbox(key="w_explore_x").value == "tempo"
    assert at.selectbox(key="w_explore_color").value == "popularity"


def test_genre_plot_kind_and_year_feature_can_change(default_catalog):
    at = show_tab(open_explore(), "By genre")
    at.radio(key="w_explore_genre_kind").set_value("violin")
    at.selectbox(key="w_explore_genre_feature").set_value("energy")
    at.run()
    assert not at.exception and len(charts(at)) == 1
    show_tab(at, "Over the years")
    at.selectbox(key="w_explore_year_feature").set_value("popularity").run()
    assert not at.exception and len(charts(at)) == 1


def test_scatter_matrix_needs_two_features(default_catalog):
    at = show_tab(open_explore(), "Pairs of features")
    at.multiselect(key="w_explore_pairs").set_value(["energy"]).run()
    assert not at.exception
    assert any("at least two" in i.value for i in at.info)
    assert len(charts(at)) == 0


def test_selection_points_become_track_ids_in_order_without_duplicates():
    event = {"selection": None}  # a dict is not an event: nothing selected

    class Event:
        selection = {
            "points": [
                {"customdata": ["6f807x0ima9a1j3VPbc7VN"], "x": 1, "y": 2},
                {"customdata": ["0r7CVbZTWZgbTCYdfa2P31"]},
                {"customdata": ["6f807x0ima9a1j3VPbc7VN"]},
                {"customdata": ["<script>"]},
                {"x": 3},
            ]
        }

    assert selected_track_ids(Event()) == ["6f807x0ima9a1j3VPbc7VN", "0r7CVbZTWZgbTCYdfa2P31"]
    assert selected_track_ids(None) == []
    assert selected_track_ids(event) == []


def test_a_catalog_without_genres_or_years_still_renders(default_catalog):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    small = default_catalog.subset(default_catalog.tracks.index < 300)
    small.tracks["genres"] = None
    small.tracks["release_year"] = float("nan")
    at.session_state["catalog"] = small
    at.switch_page(PAGE).run()
    assert not at.exception
    show_tab(at, "By genre")
    assert any("no genre information" in i.value for i in at.info)
    show_tab(at, "Over the years")
    assert any("too few release years" in i.value for i in at.info)
    show_tab(at, "Free scatter")
    assert not at.exception and len(charts(at)) == 1


def test_plot_genre_is_each_tracks_first_genre_escaped(default_catalog):
    small = default_catalog.subset(default_catalog.tracks.index < 400)
    small.tracks.loc[:4, "genres"] = None  # no genre
    small.tracks.loc[5, "genres"] = "<b>odd</b>; pop"
    small.tracks.loc[6, "genres"] = "rock; pop"
    expected = [(split_list(g) or ["(no genre)"])[0] for g in small.tracks["genres"]]
    assert primary_genres(small).tolist() == expected
    assert expected[:7] == ["(no genre)"] * 5 + ["<b>odd</b>", "rock"]
    frame = plot_frame(small)  # 400 tracks: every one is in the plot sample, in order
    assert frame["track_id"].tolist() == small.tracks["track_id"].tolist()
    assert frame["genre"].tolist() == [hover_escape(g) for g in expected]


def test_the_free_scatter_is_webgl_drawn_at_screen_resolution(default_catalog):
    # Plotly draws WebGL at 2x the page's pixels by default; at 1x a new chart is drawn in about
    # half the time in a browser without a graphics card (see ui.charts.WEBGL_CONFIG).
    at = open_explore()
    (chart,) = charts(at)
    spec = json.loads(chart.proto.spec)
    assert {trace["type"] for trace in spec["data"]} == {"scattergl"}
    # Every sampled track is a point that carries its ID (for the selection) and its hover label.
    ids = [row[0] for trace in spec["data"] for row in trace["customdata"]]
    assert sorted(ids) == sorted(plot_frame(default_catalog)["track_id"])
    assert len(ids) == PLOT_SAMPLE
    assert all(len(trace["hovertext"]) == len(trace["customdata"]) for trace in spec["data"])
    assert json.loads(chart.proto.config)["plotGlPixelRatio"] == 1


def test_the_drawn_points_are_a_random_sample_that_keeps_every_genre(default_catalog):
    # The default catalog is sorted by genre: its first 2,000 rows hold 3 of its 6 genres.
    points = plot_frame(default_catalog)
    assert len(default_catalog) > PLOT_SAMPLE == len(points)
    assert points["track_id"].is_unique and set(points["track_id"]) <= set(default_catalog.tracks["track_id"])
    every_genre = {hover_escape(g) for g in primary_genres(default_catalog)}
    assert set(points["genre"]) == every_genre
    assert plot_frame(default_catalog) is points  # fixed: the same tracks on every rerun
    at = show_tab(open_explore(), "By genre")
    (chart,) = charts(at)
    assert {trace["name"] for trace in json.loads(chart.proto.spec)["data"]} == every_genre
    assert any(f"{PLOT_SAMPLE:,} tracks of the sample" in c.value for c in at.caption)


# ----------------------------------------------------------------------------- listener fixes (issue 14)

def select_on_the_scatter(at: AppTest, track_ids: list[str]) -> AppTest:
    """What a box or lasso selection hands the page (AppTest cannot drag on a chart)."""
    points = [{"customdata": [t]} for t in track_ids]
    at.session_state["explore_scatter"] = AttributeDictionary(
        {"selection": AttributeDictionary({"points": points, "point_indices": [], "box": [], "lasso": []})})
    return at.run()


def test_a_selection_over_the_seed_limit_says_why_only_50_are_sent(default_catalog):
    ids = plot_frame(default_catalog)["track_id"].tolist()[:54]
    at = select_on_the_scatter(open_explore(), ids)
    assert not at.exception
    assert any(s.value == "54 tracks selected." for s in at.success)
    button = at.button(key="explore_send")
    assert button.label == "Recommend from these tracks: the first 50 of 54 (at most 50 seeds)"
    assert any("at most 50 seed tracks" in c.value for c in at.caption)
    # The grid's headers are words, not field names.
    grid = next(d.value for d in at.dataframe if "track_name" in d.value.columns)
    assert {"Energy", "Valence (mood)"} <= set(grid.columns) and "energy" not in grid.columns
    button.click().run()
    assert at.session_state["seed_text"].split() == ids[:50]


def test_a_small_selection_names_its_size(default_catalog):
    ids = plot_frame(default_catalog)["track_id"].tolist()[:7]
    at = select_on_the_scatter(open_explore(), ids)
    assert at.button(key="explore_send").label == "Recommend from these 7 tracks"
    assert not any("at most 50 seed tracks" in c.value for c in at.caption)


def test_sizing_dots_by_a_feature_says_what_the_size_means(default_catalog):
    at = open_explore()
    assert not any(c.value.startswith("Bigger dot") for c in at.caption)
    at.selectbox(key="w_explore_size").set_value("loudness").run()
    assert any(c.value.startswith("Bigger dot = more loudness (dB)") for c in at.caption)


def test_explore_has_the_glossary_and_the_heatmap_leaves_out_category_codes(default_catalog):
    at = open_explore()
    (popover,) = at.get("popover")
    assert "**Valence (mood)**" in popover.get("markdown")[0].value
    at = show_tab(at, "Correlations")
    (chart,) = charts(at)
    labels = json.loads(chart.proto.spec)["data"][0]["x"]
    assert "Popularity" in labels
    assert not {"Key (0 = C)", "Mode (1 = major)", "Time signature"} & set(labels)


def test_heatmap_features_keep_popularity_and_drop_key_mode_and_time_signature(default_catalog):
    columns = ["popularity", *default_catalog.feature_names, "time_signature"]
    features = heatmap_features(columns)
    assert "popularity" in features and {"energy", "valence", "loudness"} <= set(features)
    assert not {"key", "mode", "time_signature"} & set(features)
    fig = correlation_heatmap(default_catalog.tracks, ["key", "mode", "energy", "popularity"])
    assert list(fig.data[0].x) == ["Popularity", "Energy"]


def genre_trace_colours(fig) -> dict[str, str]:
    out = {}
    for trace in fig.data:
        colour = trace.marker.color if trace.type != "box" else (trace.marker.color or trace.line.color)
        out[html.unescape(trace.name)] = colour
    return out


def test_a_genre_keeps_its_colour_across_charts_showing_different_genres(default_catalog):
    frame = plot_frame(default_catalog)
    some = frame[frame["genre"].isin(["pop", "rock", "rap"])]
    others = frame[frame["genre"].isin(["rock", "latin", "r&amp;b", "edm"])]
    a = genre_trace_colours(free_scatter(some, "energy", "valence", "genre", None))
    b = genre_trace_colours(genre_distribution(others, "energy"))
    c = genre_trace_colours(scatter_matrix(frame, ["energy", "valence"]))
    mix = pd.DataFrame({"cluster": ["0: a", "0: a", "1: b"], "genre": ["latin", "pop", "r&amp;b"], "share": [0.5, 0.5, 1.0]})
    d = genre_trace_colours(cluster_genre_mix(mix))
    assert a["rock"] == b["rock"] == c["rock"] == GENRE_COLORS["rock"]
    assert a["pop"] == c["pop"] == d["pop"] == GENRE_COLORS["pop"]
    assert b["r&b"] == c["r&b"] == d["r&b"] == GENRE_COLORS["r&b"]
    assert len(set(GENRE_COLORS.values())) == 6  # the six default genres never share a colour
    # Any other genre: one colour by its name, whatever else is shown.
    assert genre_colors(["k-pop", "pop"])["k-pop"] == genre_colors(["zouk", "k-pop"])["k-pop"]


def test_the_year_chart_has_round_count_ticks_the_line_above_the_bars_and_worded_axes(default_catalog):
    fig = feature_over_years(default_catalog.tracks, "energy")
    counts = fig.layout.yaxis
    ticks = list(counts.tickvals)
    step = ticks[1] - ticks[0]
    assert ticks[0] == 0 and all(b - a == step for a, b in zip(ticks, ticks[1:]))
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert mantissa in (1, 2, 5), ticks
    assert ticks[-1] >= max(fig.data[0].y)
    assert all(t.endswith("k") or float(t) < 1000 for t in counts.ticktext)
    # The bars are on the first y axis, the median line on the overlaying second: drawn above.
    assert fig.data[0].type == "bar" and fig.data[0].yaxis == "y"
    assert fig.data[-1].yaxis == "y2" and fig.layout.yaxis2.overlaying == "y"
    # The feature axis picks its own round ticks (an overlaying axis would sync to the counts' grid).
    assert fig.layout.yaxis2.tickmode == "auto" and fig.layout.yaxis2.tickvals is None
    assert fig.layout.xaxis.title.text == "Release year"
    assert counts.title.text == "Tracks released that year" and fig.layout.yaxis2.title.text == "Energy"


def test_nice_ticks_are_round():
    assert nice_ticks(7130) == [0, 2000, 4000, 6000, 8000]
    assert nice_ticks(42, target=4) == [0, 20, 40, 60]
    assert nice_ticks(0) == [0.0, 1.0]
