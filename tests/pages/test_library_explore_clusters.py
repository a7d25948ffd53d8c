"""Explore and Clusters on a listener's own music library (analysed with the network)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recommender.catalog import load_catalog
from recommender.clustering import ClusterModel
from recommender.tag_words import plain_tags
from ui.text import hover_escape

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def library(audio_library):
    return load_catalog(audio_library[1])


def open_page(page: str, catalog) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.session_state["catalog"] = catalog
    return at.switch_page(page).run()


def rerun_with(at: AppTest, key: str, value) -> AppTest:
    at.session_state[key] = value  # what clicking the tab / widget does
    return at.run()


def specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def title(spec: dict) -> str:
    t = spec["layout"].get("title", {})
    return t.get("text", "") if isinstance(t, dict) else str(t)


def test_explore_shows_what_the_network_hears_and_says_tags_are_estimates(library):
    at = open_page("pages/Explore.py", library)
    assert not at.exception
    (bars,) = specs(at)
    assert title(bars).startswith("What the network hears most in your music")
    words, tags = plain_tags(library.sound.tag_names, library.sound.tags)
    shown = bars["data"][0]["y"]
    strongest = words[int(tags.mean(axis=0).argmax())]
    assert shown[0] == strongest and set(shown) <= set(words)
    assert all(t.endswith("%") for t in bars["layout"]["xaxis"]["ticktext"])  # round percent ticks
    assert any("network's estimates" in i.value and "not Spotify's audio features" in i.value for i in at.info)

    at = rerun_with(at, "explore_library_tab", "Tags against each other")
    assert not at.exception
    (scatter,) = specs(at)
    # One colour per album; every track with its ID for selection.
    assert sorted(t["name"] for t in scatter["data"]) == ["Album A", "Album B"]
    assert len({t["marker"]["color"] for t in scatter["data"]}) == 2
    assert sorted(row[0] for t in scatter["data"] for row in t["customdata"]) == sorted(library.tracks["track_id"])
    assert scatter["layout"]["xaxis"]["title"]["text"] == "Tempo (BPM)"

    at = rerun_with(at, "explore_library_tab", "Tempo, loudness, key and length")
    at = rerun_with(at, "explore_library_measure", "loudness")
    assert not at.exception
    (histogram,) = specs(at)
    assert histogram["layout"]["xaxis"]["title"]["text"] == "Loudness (LUFS)"
    album_colors = {t["name"]: t["marker"]["color"] for t in scatter["data"]}
    assert {t["name"]: t["marker"]["color"] for t in histogram["data"]} == album_colors  # same colours everywhere


def test_clusters_on_a_library_are_named_by_tags_with_files(library):
    at = open_page("pages/Clusters.py", library)
    assert not at.exception
    assert next(m.value for m in at.metric if m.label == "Groups") == "2"  # a small library: 2 groups
    expected = ClusterModel(2, random_state=0).fit(library).cluster_names_
    (cluster_map,) = specs(at)
    assert {t["name"] for t in cluster_map["data"]} == {hover_escape(f"{i}: {n}") for i, n in enumerate(expected)}
    words = set(plain_tags(library.sound.tag_names, library.sound.tags)[0])
    assert all(set(name.split(", ")) <= words for name in expected)
    hovers = [h for t in cluster_map["data"] for h in t["hovertext"]]
    assert all("Album " in h and "/" in h for h in hovers)  # each dot names its file in the library

    at = rerun_with(at, "clusters_tab", "Profiles")
    assert not at.exception
    (table,) = at.dataframe
    assert list(table.value["name"]) == expected
    assert {"tempo", "loudness", "length", "key", "top_tags"} <= set(table.value.columns)
    (tags,) = specs(at)
    assert title(tags).startswith("What the network hears in each cluster")

    at = rerun_with(at, "clusters_tab", "Browse a cluster")
    assert not at.exception
    (members,) = at.dataframe
    files = list(members.value["File"])
    assert len(files) == 4 and len({f.split("/")[0] for f in files}) == 1  # one album's four files

    at = rerun_with(at, "clusters_mode", "auto")
    assert not at.exception
    assert any("the number Tastemap chose" in md.value for md in at.markdown)
