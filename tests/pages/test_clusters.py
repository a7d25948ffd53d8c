"""Clusters page: k by hand or automatic, charts, profiles, browsing and recommending from a cluster."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from ui.charts import GENRE_COLORS, genre_color
from ui.cluster_data import cluster_model
from ui.data import plot_frame
from ui.text import hover_escape

ROOT = Path(__file__).resolve().parents[2]

PAGE = "pages/Clusters.py"


def open_clusters(catalog=None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    if catalog is not None:
        at.session_state["catalog"] = catalog
    return at.switch_page(PAGE).run()


def show_tab(at: AppTest, name: str) -> AppTest:
    at.session_state["clusters_tab"] = name  # what clicking the tab does
    return at.run()


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def open_details(at: AppTest) -> AppTest:
    at.session_state["clusters_details"] = True  # what clicking the expander does
    return at.run()


def test_default_k_renders_map_profiles_and_names(default_catalog):
    at = open_clusters()
    assert not at.exception
    assert metric(at, "Groups") == "8"
    # The headline speaks plain words; the expert numbers wait behind the details expander.
    assert any(md.value.startswith("**8 groups** of tracks that sound alike") for md in at.markdown)
    assert {m.label for m in at.metric} == {"Groups", "Biggest group", "Smallest group"}
    (details,) = at.get("expander")
    assert details.label.startswith("Details")
    assert len(at.get("plotly_chart")) == 1  # the map
    (cluster_map,) = at.get("plotly_chart")
    assert json.loads(cluster_map.proto.config)["plotGlPixelRatio"] == 1  # WebGL at screen resolution
    spec = json.loads(cluster_map.proto.spec)
    # The same fixed random tracks as Explore draws, each with its ID for the hover and seeds.
    ids = [row[0] for trace in spec["data"] for row in trace["customdata"]]
    assert sorted(ids) == sorted(plot_frame(default_catalog)["track_id"])
    names = cluster_model(default_catalog, 8).cluster_names_
    assert {t["name"] for t in spec["data"]} == {hover_escape(f"{i}: {n}") for i, n in enumerate(names)}
    # Axes titled in words (what changes from side to side), never "principal component".
    for axis in ("xaxis", "yaxis"):
        title = spec["layout"][axis]["title"]["text"]
        assert title.startswith("← ") and "component" not in title
    show_tab(at, "Profiles")
    assert not at.exception
    profile = next(d.value for d in at.dataframe if "top_genres" in d.value.columns)
    assert len(profile) == 8
    assert profile["size"].sum() == len(default_catalog)
    assert profile["name"].is_unique and profile["name"].str.len().gt(0).all()
    assert len(at.get("plotly_chart")) == 2  # radar, genre mix


def test_details_expander_holds_the_expert_numbers(default_catalog):
    at = open_details(open_clusters())
    assert not at.exception
    assert -1 <= float(metric(at, "Silhouette")) <= 1
    assert float(metric(at, "Inertia").replace(",", "")) > 0
    text = " ".join(md.value for md in at.markdown)
    assert "principal components" in text and "elbow" in text
    at.session_state["clusters_details"] = False
    at.run()
    assert {m.label for m in at.metric} == {"Groups", "Biggest group", "Smallest group"}


def test_the_glossary_explains_the_audio_features(default_catalog):
    at = open_clusters()
    (popover,) = at.get("popover")
    text = " ".join(md.value for md in popover.get("markdown"))
    for word in ("Valence", "Instrumentalness", "Speechiness", "Acousticness", "Liveness", "Energy",
                 "Danceability", "Tempo", "Loudness", "Key", "Mode"):
        assert f"**{word}" in text, word


def test_names_in_a_chart_legend_are_escaped_and_each_genre_keeps_its_colour(default_catalog):
    small = default_catalog.subset(np.arange(len(default_catalog)) % 20 == 0)
    small.tracks["genres"] = small.tracks["genres"].astype(object)
    small.tracks.loc[small.tracks["genres"] == "rock", "genres"] = "<b>loud</b>"
    at = show_tab(open_clusters(small), "Profiles")
    assert not at.exception
    mix = json.loads(at.get("plotly_chart")[1].proto.spec)
    for trace in mix["data"]:
        assert "<b>" not in trace["name"] and all("<b>" not in y for y in trace["y"])
        assert trace["marker"]["color"] == genre_color(trace["name"])
    assert {t["name"] for t in mix["data"]} >= {"&lt;b&gt;loud&lt;/b&gt;", "pop"}
    radar = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = [t["name"] for t in radar["data"]]
    assert names and all("<b>" not in n for n in names)
    assert any("&lt;b&gt;loud&lt;/b&gt;" in n for n in names), names  # the genre dominating its cluster
    assert genre_color("pop") == GENRE_COLORS["pop"]


def test_changing_k_reclusters_and_browse_lists_the_cluster(default_catalog):
    at = open_clusters()
    at.slider(key="w_clusters_k").set_value(4).run()
    assert not at.exception
    assert metric(at, "Groups") == "4"
    show_tab(at, "Browse a cluster")
    at.selectbox(key="w_clusters_browse").set_value(2).run()
    members = next(d.value for d in at.dataframe if "release_year" in d.value.columns)
    assert 0 < len(members) <= 500
    pops = members["popularity"].dropna().to_numpy()
    assert np.all(pops[:-1] >= pops[1:]), "most popular first"


def test_browse_shows_the_clusters_most_popular_members(default_catalog):
    at = open_clusters()
    at.slider(key="w_clusters_k").set_value(4).run()
    show_tab(at, "Browse a cluster")
    at.selectbox(key="w_clusters_browse").set_value(1).run()
    assert not at.exception
    members = next(d.value for d in at.dataframe if "release_year" in d.value.columns)
    labels = cluster_model(default_catalog, 4).labels_  # the page's cached model
    in_cluster = default_catalog.tracks[labels == 1]
    assert set(members["track_id"]) <= set(in_cluster["track_id"])
    expected = in_cluster["popularity"].sort_values(ascending=False, na_position="last").head(500)
    np.testing.assert_array_equal(members["popularity"].to_numpy(dtype="float64"), expected.to_numpy(dtype="float64"))


def test_recommend_from_a_cluster_opens_recommend_with_seeds(default_catalog):
    at = show_tab(open_clusters(), "Browse a cluster")
    at.button(key="clusters_send").click().run()
    assert not at.exception
    assert at.session_state["rec_method"] == "cluster"
    seeds = at.session_state["seed_text"].split()
    assert len(seeds) == 5 and all(s in default_catalog for s in seeds)
    assert at.title[0].value == "Get recommendations"
    recs = at.session_state["last_recommendations"]
    assert len(recs) == 20 and not set(recs["track_id"]) & set(seeds)


def test_automatic_k_shows_the_elbow_and_silhouette_chart(default_catalog):
    small = default_catalog.subset(np.arange(len(default_catalog)) % 40 == 0)  # ~700 tracks: fast
    at = open_clusters(small)
    at.radio(key="w_clusters_mode").set_value("auto").run()
    assert not at.exception
    k = int(metric(at, "Groups"))
    assert 2 <= k <= 15
    assert any("the number Tastemap chose" in md.value for md in at.markdown)
    assert len(at.get("progress")) == 0  # the progress bar is gone once the groups are shown
    open_details(at)
    assert not at.exception
    charts = at.get("plotly_chart")
    (k_chart,) = [c for c in charts if "silhouette" in c.proto.spec]  # no button needed
    layout = json.loads(k_chart.proto.spec)["layout"]
    assert layout["yaxis2"]["tickformat"] == ".2f"  # silhouette ticks round to 2 decimals


def test_manual_k_computes_the_elbow_chart_on_request(default_catalog):
    small = default_catalog.subset(np.arange(len(default_catalog)) % 50 == 0)
    at = open_details(open_clusters(small))
    before = len(at.get("plotly_chart"))
    at.button(key="clusters_scores_button").click().run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == before + 1


def test_a_tiny_catalog_is_explained_not_clustered(default_catalog):
    at = open_clusters(default_catalog.subset(np.arange(len(default_catalog)) < 10))
    assert not at.exception
    assert any("too few" in i.value for i in at.info)
