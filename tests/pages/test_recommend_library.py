"""Recommend page on a listener's own music library: "sound" is the default method, the tag filter
narrows the list, each row shows its file path and plays the file itself (never Spotify's player),
the export carries the paths; a catalog without audio offers neither "sound" nor the tag filter."""
from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from recommender.catalog import load_catalog
from recommender.tag_words import TAG_HEARD_AT, plain_tags
from ui.query import offered_methods, query_to_state
from ui.results import _table_key, export_frame, sound_tags

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/Recommend.py"


@pytest.fixture(scope="module")
def library(audio_library):
    return load_catalog(audio_library[1])


def open_with(catalog, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.session_state["catalog"] = catalog
    if query:
        at.query_params.update(query)
    return at.switch_page(PAGE).run()


def pick_seed(at: AppTest, track_id: str) -> AppTest:
    """Choose one track in the search box (by its label: title, artist, album) and apply it."""
    at.multiselect(key="w_rec_search_ids").set_value([track_id])
    at.button(key="rec_get").click()
    return at.run()


def results(at: AppTest) -> pd.DataFrame | None:
    for frame in at.dataframe:
        if "why" in frame.value.columns:
            return frame.value
    return None


def select_row(at: AppTest, row: int) -> AppTest:
    """What clicking a row of the results grid hands the page (AppTest cannot click the grid)."""
    key = _table_key(at.session_state["last_recommendations"])
    at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def audio_elements(at: AppTest) -> list:
    return list(at.get("audio"))


def iframes(at: AppTest) -> list:
    return list(at.get("iframe"))


def test_sound_is_offered_first_with_plain_help_and_the_library_filters_only(library):
    at = open_with(library)
    assert not at.exception
    method = at.radio(key="w_rec_method")
    assert method.options[0].startswith("Sound: sounds alike to a pretrained music network")
    assert method.value == "sound"
    # No popularity, no playlists: the methods that rank by them are not offered.
    assert offered_methods(library.summary(), library.has_sound) == ("sound", "similar")
    assert len(method.options) == 2
    assert not [s for s in at.slider if s.label.startswith("Popularity")]
    tags = at.multiselect(key="w_rec_tags")
    assert tags.label == "Sounds like these tags" and set(tags.options) == set(sound_tags(library))
    assert not [b for b in at.button if "example seeds" in b.label]  # they are "popular tracks"


def test_a_seed_by_name_gives_sound_recommendations_with_file_paths_and_a_player(library):
    seed = library.tracks["track_id"].iloc[0]
    at = open_with(library)
    at.text_input(key="rec_search_q").input("01 Part 1").run()
    labels = at.multiselect(key="w_rec_search_ids").options
    assert any(label.startswith("01 Part 1") and "Album A" in label for label in labels)  # titles from file names
    at = pick_seed(at, seed)
    assert not at.exception
    recs = results(at)
    assert recs is not None and len(recs) == len(library) - 1
    assert "spotify" not in recs.columns, "a library file has no Spotify page"
    assert recs["why"].str.startswith("Sounds like your seed").all()
    shown = dict(zip(at.session_state["last_recommendations"]["track_id"], recs["file_path"]))
    expected = dict(zip(library.tracks["track_id"], library.tracks["file_path"]))
    assert all(shown[t] == expected[t] and not Path(shown[t]).is_absolute() for t in shown)
    # The nearest tracks are the seed's own album (cut from the same piece).
    assert set(recs["file_path"].head(3).str.split("/").str[0]) == {"Album A"}
    # Nothing Spotify: no links to copy, no Spotify player.
    assert not any("Spotify links" in m.value for m in at.markdown)

    at = select_row(at, 0)
    assert not at.exception
    players = audio_elements(at)
    assert len(players) == 1 and not iframes(at)
    assert any("File: " + recs["file_path"].iloc[0] in c.value.replace("\\", "") for c in at.caption)


def test_pasted_library_ids_are_seeds(library):
    ids = library.tracks["track_id"].iloc[[4, 5]].tolist()  # two tracks of "Album B"
    at = open_with(library)
    at.text_area(key="w_seed_text").input("\n".join(ids))
    at.button(key="rec_get").click()
    at.run()
    assert not at.exception and not at.warning
    assert any(m.value == "**Seeds in use** (2)" for m in at.markdown)
    recs = results(at)
    assert "artists" not in recs.columns, "no artist tag in any file: no column of empty cells"
    assert recs["why"].str.startswith("Sounds like your seeds").all()
    assert set(recs["file_path"].head(2).str.split("/").str[0]) == {"Album B"}


def test_a_tag_filter_narrows_the_list_to_tracks_with_every_tag(library):
    words, matrix = plain_tags(library.sound.tag_names, library.sound.tags)
    heard = (matrix >= TAG_HEARD_AT).sum(axis=0)
    rare = next(w for w, n in zip(words, heard) if 0 < n < len(library) - 1)  # heard in some tracks only
    having = set(library.tracks["track_id"][matrix[:, words.index(rare)] >= TAG_HEARD_AT])
    seed = library.tracks["track_id"].iloc[0]
    at = pick_seed(open_with(library), seed)
    before = len(results(at))
    at.multiselect(key="w_rec_tags").set_value([rare]).run()
    assert not at.exception
    after = at.session_state["last_recommendations"]
    assert set(after["track_id"]) == having - {seed} and len(after) < before
    link = {key: at.query_params[key] for key in at.query_params}
    assert link["include_tags"] == rare and link["method"] == "sound"
    # The shared link gives the same list to whoever opens it on this library.
    again = open_with(library, link)
    assert not again.exception and not again.warning
    assert again.multiselect(key="w_rec_tags").value == [rare]
    assert list(again.session_state["last_recommendations"]["track_id"]) == list(after["track_id"])


def test_a_file_not_on_this_machine_is_said_plainly(library, tmp_path):
    # The same library, its folder somewhere this machine does not have (made on another computer).
    gone = dataclasses.replace(library, sound=dataclasses.replace(library.sound, root=str(tmp_path / "elsewhere")))
    at = select_row(pick_seed(open_with(gone), gone.tracks["track_id"].iloc[0]), 0)
    assert not at.exception
    assert not audio_elements(at) and not iframes(at)
    assert any("is not on this computer" in i.value for i in at.info)


def test_the_exports_hold_file_paths_and_no_spotify_links(library, downloads):
    seed = library.tracks["track_id"].iloc[0]
    at = pick_seed(open_with(library), seed)
    frame = export_frame(at.session_state["last_recommendations"])
    assert "File" in frame.columns and "Spotify URL" not in frame.columns
    assert frame["File"].str.startswith("Album ").all()
    assert {"Tempo (BPM)", "Loudness (LUFS)", "Why"} <= set(frame.columns)
    assert "Energy" not in frame.columns and "Loudness (dB)" not in frame.columns  # not measured on files
    files = dict(downloads)  # what the page's two download buttons hand the browser
    table = pd.read_csv(io.BytesIO(files["tastemap_recommendations.csv"]))
    assert table["File"].tolist() == frame["File"].tolist()
    records = json.loads(files["tastemap_recommendations.json"])
    assert [r["File"] for r in records] == frame["File"].tolist()
    assert all(r["Why"].startswith("Sounds like your seed") for r in records)


def test_the_plot_offers_only_what_was_measured_and_similar_also_works(library):
    at = pick_seed(open_with(library), library.tracks["track_id"].iloc[0])
    at.session_state["rec_view"] = "Plot: seeds and results"
    at.run()
    assert not at.exception and len(at.get("plotly_chart")) == 1
    assert at.selectbox(key="w_rec_plot_x").options == ["Tempo (BPM)", "Loudness (LUFS)", "Duration (ms)"]
    at.radio(key="w_rec_method").set_value("similar").run()
    assert not at.exception
    assert len(results(at)) == len(library) - 1


def test_a_link_asking_for_sound_on_a_catalog_without_audio_falls_back_with_a_note():
    state, notes = query_to_state({"method": "sound"}, methods=("hybrid", "similar", "cluster", "popular"),
                                  bounds={}, genres=[], year_range=None)
    assert "rec_method" not in state
    assert notes == ["the sound method needs a library of analysed music files, and this catalog has none; "
                     "using hybrid instead."]


def test_a_catalog_without_audio_offers_no_sound_and_no_tag_filter(default_catalog):
    at = open_with(default_catalog, {"method": "sound"})
    assert not at.exception
    method = at.radio(key="w_rec_method")
    assert method.value == "hybrid" and not any(o.startswith("Sound") for o in method.options)
    assert not [m for m in at.multiselect if m.label == "Sounds like these tags"]
    assert any("the sound method needs a library" in w.value for w in at.warning)
    assert [s for s in at.slider if s.label.startswith("Popularity")]


def test_learned_is_offered_on_a_catalog_with_playlists_and_answers_with_its_reasons():
    from tests.support.planted import planted_catalog, track_id

    catalog = planted_catalog()
    at = open_with(catalog)
    method = at.radio(key="w_rec_method")
    assert method.options[1].startswith("Learned: the hybrid's picks re-ordered")
    assert method.value == "hybrid"  # the default stays the hybrid
    method.set_value("learned").run()
    at.text_area(key="w_seed_text").input(track_id(0, 0))
    at.button(key="rec_get").click()
    at.run()
    assert not at.exception and not at.error
    assert any("tracks by the learned method for 1 seed(s)" in m.value for m in [*at.markdown, *at.caption])
    table = results(at)
    assert table is not None and len(table) > 0
    assert table["why"].str.len().gt(0).all()
    # Not offered without playlists to learn from, nor where it would keep the hybrid's order.
    from ui.query import LEARNED_UP_TO

    summary = catalog.summary()
    assert "learned" in offered_methods(summary, False)
    assert "learned" not in offered_methods({**summary, "playlists": 0}, False)
    assert "learned" not in offered_methods({**summary, "tracks": LEARNED_UP_TO + 1}, False)
