"""Playlist page: paste -> table, sort, filter, exports, reasons for missing tracks, Exportify uploads."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/Playlist.py"
NOT_IN_CATALOG = "4uLU6hMCjMI75M1A2tKUQC"  # a well-formed ID the default catalog lacks


@pytest.fixture(scope="module")
def five(default_catalog) -> pd.DataFrame:
    """Five real tracks of the default catalog, from different parts of the file."""
    return default_catalog.tracks.iloc[[7, 4100, 9000, 17000, 26000]].reset_index(drop=True)


def open_playlist() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    return at.switch_page(PAGE).run()


def paste(at: AppTest, text: str) -> AppTest:
    at.text_area(key="w_pl_text").input(text)
    return at.run()


def table(at: AppTest) -> pd.DataFrame | None:
    for frame in at.dataframe:
        if "tempo" in frame.value.columns:
            return frame.value
    return None


def problems(at: AppTest) -> pd.DataFrame | None:
    for frame in at.dataframe:
        if "reason" in frame.value.columns:
            return frame.value
    return None


def plain(text: str) -> str:
    return text.replace("\\", "")


def links(ids) -> str:
    return "\n".join(f"https://open.spotify.com/track/{t}" for t in ids)


def test_empty_page_says_what_to_paste():
    at = open_playlist()
    assert not at.exception
    assert any("Paste the tracks of a playlist" in i.value for i in at.info)
    assert table(at) is None


def test_five_pasted_tracks_sorted_by_bpm_descending_then_filtered_by_energy(five, downloads):
    ids = five["track_id"].tolist()
    at = paste(open_playlist(), "\n".join([ids[0], f"spotify:track:{ids[1]}", links(ids[2:])]))
    assert not at.exception
    shown = table(at)
    assert shown is not None and shown["track_id"].tolist() == ids  # the playlist's own order
    assert not at.warning and not at.error

    at.selectbox(key="w_pl_sort").set_value("tempo").run()
    at.radio(key="w_pl_descending").set_value(True).run()
    shown = table(at)
    expected = five.sort_values("tempo", ascending=False)["track_id"].tolist()
    assert shown["track_id"].tolist() == expected
    assert shown["tempo"].is_monotonic_decreasing
    assert shown["order"].tolist() == [1, 2, 3, 4, 5]
    fastest = five.loc[five["tempo"].idxmax()]
    assert any(f"First: {fastest['track_name']}" in plain(c.value) and "BPM" in c.value for c in at.caption)
    # The copy-as-links box follows the new order.
    assert at.code[0].value.splitlines() == [f"https://open.spotify.com/track/{t}" for t in expected]

    # Energy at least the median of the five: fewer rows, still sorted by BPM.
    median = float(five["energy"].median())
    at.slider(key="w_pl_range_energy").set_value((round(median, 2), 1.0)).run()
    shown = table(at)
    assert 0 < len(shown) < 5
    assert (shown["energy"] >= round(median, 2)).all()
    assert shown["tempo"].is_monotonic_decreasing
    assert any("of 5 tracks pass the filters" in c.value for c in at.caption)

    # The CSV holds the filtered, sorted order with links, URIs and whole numbers as integers.
    name, data = downloads[-1]
    assert name == "tastemap_playlist.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["Track URI"] for r in rows] == [f"spotify:track:{t}" for t in shown["track_id"]]
    assert [r["Spotify URL"] for r in rows] == [f"https://open.spotify.com/track/{t}" for t in shown["track_id"]]
    for column in ("Position", "Original Position", "Track Name", "Artists", "Tempo", "Energy", "Valence",
                   "Danceability", "Popularity"):
        assert column in rows[0], column
    assert [r["Position"] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    assert all(r["Popularity"].isdigit() for r in rows)


def test_a_track_not_in_the_catalog_is_listed_with_its_reason(five):
    ids = five["track_id"].tolist()[:2]
    at = paste(open_playlist(), links([ids[0], NOT_IN_CATALOG, ids[1]]) + "\nnot-an-id")
    assert not at.exception
    assert table(at)["track_id"].tolist() == ids
    listed = problems(at)
    assert listed is not None
    reasons = dict(zip(listed["item"], listed["reason"]))
    assert set(reasons) == {NOT_IN_CATALOG, "not-an-id"}
    assert "not in the catalog in use" in reasons[NOT_IN_CATALOG]
    assert any("2 of the items you gave are not on the map" in w.value for w in at.warning)


def test_nothing_usable_gives_a_clear_message_not_a_table():
    at = paste(open_playlist(), f"{NOT_IN_CATALOG}\nhttps://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M")
    assert not at.exception
    assert table(at) is None
    assert any("None of these tracks can be shown" in e.value for e in at.error)
    reasons = problems(at)["reason"].tolist()
    assert any("playlist link" in r for r in reasons)


def test_filters_that_leave_nothing_say_so(five):
    at = paste(open_playlist(), links(five["track_id"]))
    top = float(five["danceability"].max())
    at.slider(key="w_pl_range_danceability").set_value((min(1.0, round(top + 0.01, 2)), 1.0)).run()
    assert not at.exception
    assert table(at) is None
    assert any("passes these filters" in w.value for w in at.warning)


def test_send_to_recommend_puts_the_new_order_in_the_seed_box(five):
    at = paste(open_playlist(), links(five["track_id"]))
    at.selectbox(key="w_pl_sort").set_value("energy").run()
    at.button(key="pl_to_recommend").click().run()
    assert not at.exception
    assert at.session_state["seed_text"].splitlines() == five.sort_values("energy")["track_id"].tolist()
    assert any("Get recommendations" in t.value for t in at.title), "Recommend is open"


def test_a_long_playlist_sends_its_first_200_tracks_as_seeds(default_catalog):
    ids = default_catalog.tracks["track_id"].iloc[:250].tolist()
    at = paste(open_playlist(), "\n".join(ids))
    assert len(table(at)) == 250
    assert any("first 200 tracks of the new order become the seeds" in c.value for c in at.caption)
    at.selectbox(key="w_pl_sort").set_value("tempo").run()
    expected = table(at)["track_id"].tolist()[:200]
    at.button(key="pl_to_recommend").click().run()
    assert not at.exception
    assert at.session_state["seed_text"].splitlines() == expected


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.radio(key="w_pl_source").set_value("upload").run()
    at.file_uploader(key="pl_upload").set_value((name, data, "text/csv"))
    return at.run()


def test_exportify_upload_brings_its_own_features(samples_dir):
    data = (samples_dir / "exportify_with_features.csv").read_bytes()
    at = upload(open_playlist(), "My Playlist.csv", data)
    assert not at.exception
    raw = pd.read_csv(io.BytesIO(data))
    shown = table(at)
    assert shown["track_id"].tolist() == raw["Track URI"].str.removeprefix("spotify:track:").tolist()
    at.selectbox(key="w_pl_sort").set_value("valence").run()
    expected = raw.sort_values("Valence", kind="stable")["Track URI"].str.removeprefix("spotify:track:").tolist()
    assert table(at)["track_id"].tolist() == expected
    assert not at.error
    assert len(at.get("plotly_chart")) == 1
    # The active catalog did not change: the upload is a playlist, not a catalog.
    assert at.session_state["catalog"].name.startswith("spotify_songs")


def test_exportify_upload_without_features_is_looked_up_in_the_catalog(samples_dir, default_catalog):
    data = (samples_dir / "exportify_no_features.csv").read_bytes()
    at = upload(open_playlist(), "new export.csv", data)
    assert not at.exception
    raw = pd.read_csv(io.BytesIO(data))
    ids = raw["Track URI"].str.removeprefix("spotify:track:")
    assert table(at)["track_id"].tolist() == [t for t in ids if t in default_catalog]
    assert any("no audio features" in i.value for i in at.info)


def test_an_upload_of_tracks_the_catalog_lacks_is_shown_but_cannot_seed_recommend(samples_dir):
    raw = pd.read_csv(samples_dir / "exportify_with_features.csv", dtype=str, keep_default_na=False).head(4)
    raw["Track URI"] = [f"spotify:track:{c * 22}" for c in "abcd"]  # well formed, in no catalog
    at = upload(open_playlist(), "elsewhere.csv", raw.to_csv(index=False).encode())
    assert not at.exception
    assert len(table(at)) == 4  # the file's own features put them on the map
    assert at.button(key="pl_to_recommend").disabled
    assert any("None of these tracks is in the catalog in use" in c.value for c in at.caption)


def test_a_file_that_is_not_a_playlist_gets_the_loaders_message():
    at = upload(open_playlist(), "notes.csv", b"shopping,list\nmilk,eggs\n")
    assert not at.exception
    assert table(at) is None
    assert any("could not be used as a playlist" in e.value and "track" in plain(e.value) for e in at.error)


def test_hostile_names_in_an_exportify_file_stay_plain_text(samples_dir, downloads):
    # The suite's hostile names and its checker (tests/test_hostile.py), on this page.
    from tests.robustness.test_hostile import (
        HOSTILE,
        assert_csv_safe,
        assert_no_markup_rendered,
        plotly_strings,
    )

    raw = pd.read_csv(samples_dir / "exportify_with_features.csv", dtype=str, keep_default_na=False)
    raw.loc[: len(HOSTILE) - 1, "Track Name"] = HOSTILE
    raw.loc[: len(HOSTILE) - 1, "Artist Name(s)"] = HOSTILE[::-1]
    at = upload(open_playlist(), "hostile.csv", raw.to_csv(index=False).encode())
    assert_no_markup_rendered(at, "Playlist")
    assert set(HOSTILE) <= set(table(at)["track_name"])  # the grid shows them verbatim
    for sort_by in ("tempo", "energy", "valence", "danceability"):  # each puts another name in the caption
        at.selectbox(key="w_pl_sort").set_value(sort_by).run()
        assert_no_markup_rendered(at, f"Playlist sorted by {sort_by}")
    hovers = " ".join(plotly_strings(at))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hovers, "hover labels show the name, escaped"
    exports = [data for name, data in downloads if name == "tastemap_playlist.csv"]
    assert exports
    rows = assert_csv_safe(exports[-1], "playlist export")
    assert any("<script>alert(1)</script>" in cell for row in rows for cell in row)


def test_a_catalog_with_four_features_offers_only_those_to_sort_and_map(samples_dir):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.file_uploader[0].set_value(("four.csv", (samples_dir / "four_features.csv").read_bytes(), "text/csv")).run()
    catalog = at.session_state["catalog"]
    assert catalog.feature_names == ("danceability", "energy", "tempo", "valence")
    at.switch_page(PAGE).run()
    ids = catalog.tracks["track_id"].head(6).tolist()
    at = paste(at, links(ids))
    assert not at.exception and not at.warning
    assert table(at)["track_id"].tolist() == ids
    assert at.selectbox(key="w_pl_sort").options == ["Playlist order", "BPM", "Energy", "Mood (valence)",
                                                      "Danceability", "Popularity"]
    assert "Acousticness" not in at.selectbox(key="w_pl_x").options
