"""Home page (pages/Home.py): catalog on first visit, uploads with load report, bad uploads, hostile names."""
from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ui.data import catalog_key

ROOT = Path(__file__).resolve().parents[2]

DEFAULT_DATA = ROOT / "data" / "spotify_songs.csv.gz"
HOSTILE_NAMES = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "**bold** [click](javascript:alert(1))",
    "=HYPERLINK(\"http://evil.example\",\"hi\")",
    ":red[colour] $x^2$ # heading",
]


def open_home() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def raw_csv(n_rows: int) -> pd.DataFrame:
    with gzip.open(DEFAULT_DATA, "rt", encoding="utf-8") as fh:
        return pd.read_csv(fh, nrows=n_rows, dtype=str, keep_default_na=False)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "text/csv"))
    return at.run()


def plain(text: str) -> str:
    """Rendered text without the Markdown escapes the page adds to names."""
    return text.replace("\\", "")


def load_report_text(at: AppTest) -> str:
    return next(plain(m.value) for m in at.markdown if "File layout:" in m.value)


def column_labels(frame_element) -> dict[str, str]:
    """Shown header per column of an st.dataframe (its column_config labels)."""
    config = json.loads(frame_element.proto.columns)
    return {c: config.get(c, {}).get("label", c) for c in frame_element.value.columns}


FOUR_FEATURES = ROOT / "tests" / "samples" / "four_features.csv"


def test_default_catalog_is_shown_on_first_visit_without_clicks():
    at = open_home()
    assert not at.exception
    assert metric(at, "Tracks") == "28,356"
    assert metric(at, "Playlists") == "471"
    assert metric(at, "Genres") == "6"
    assert metric(at, "Release years") == "1957–2020"
    assert not at.error
    # The load report names the layout that was recognised, in words (not its internal ID).
    report = load_report_text(at)
    assert "File layout: **TidyTuesday Spotify songs (2020)**" in report
    assert "tidytuesday_spotify_songs" not in report
    assert "Rows read: **32,833**; tracks kept: **28,356**" in report
    assert ("**4,477** rows repeated a track already read (the same track in several playlists): merged into "
            "one track each, keeping all its playlists.") in report
    assert "Rows dropped: none" in report
    assert not at.warning, "the default catalog has every audio feature: nothing to warn about"


def test_good_upload_replaces_catalog_shows_report_and_back_button_restores_default():
    at = open_home()
    frame = raw_csv(300)
    frame.loc[3, "track_id"] = "not-an-id"  # one dropped row, counted in the report
    at = upload(at, "mine.csv", csv_bytes(frame))
    assert not at.exception
    assert at.success and "mine" in at.success[0].value
    tracks = int(metric(at, "Tracks").replace(",", ""))
    assert 250 <= tracks < 300
    assert at.session_state["catalog"].name == "mine.csv"
    dropped = [d.value for d in at.dataframe if "reason" in d.value.columns]
    assert dropped and dropped[0]["reason"].str.contains("malformed track ID").any()
    at.button(key="home_back_default").click().run()  # "Back to the default catalog"
    assert not at.exception
    assert metric(at, "Tracks") == "28,356"


def test_upload_is_keyed_by_its_bytes_so_no_page_hashes_every_row():
    # Hashing every row costs seconds on a million tracks (issue 7): the shared caches of an
    # upload are keyed by its bytes' digest, and no page may compute content_hash.
    at = open_home()
    data = csv_bytes(raw_csv(300))
    at = upload(at, "mine.csv", data)
    assert not at.exception
    assert not at.get("progress"), "the progress bar is gone once the upload is ready"
    catalog = at.session_state["catalog"]
    assert catalog_key(catalog) == "upload-" + hashlib.sha256(data).hexdigest()[:20]
    for page in ("pages/Explore.py", "pages/Clusters.py", "pages/Recommend.py"):
        at.switch_page(page).run()
        assert not at.exception, page
    at.text_area(key="w_seed_text").input(str(catalog.tracks["track_id"].iat[0]))
    next(b for b in at.button if b.label == "Get recommendations").click().run()
    assert not at.exception
    assert len(at.session_state["last_recommendations"]) > 0
    assert "content_hash" not in vars(catalog), "a page hashed every row of the upload"
    # The same bytes again (another session) reuse the loaded catalog and its key.
    again = upload(open_home(), "mine.csv", data)
    assert again.session_state["catalog"] is catalog


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("empty.csv", b"", "empty"),
        ("binary.csv", b"\x00\x01\x02binary" * 100, "binary"),
        ("columns.csv", b"title,artist\nA song,Someone\n", "required columns are missing"),
        ("broken.csv.gz", b"\x1f\x8b\x08\x00garbage", "gzip"),
        ("archive.csv", b"PK\x03\x04rest-of-a-zip", "zip"),
    ],
)
def test_bad_upload_shows_the_loader_message_and_keeps_the_old_catalog(name, data, expected):
    at = open_home()
    at = upload(at, name, data)
    assert not at.exception
    assert at.error, "a bad upload must show an error"
    message = at.error[0].value
    assert expected in message.replace("\\", "")
    assert "did not change" in message
    assert metric(at, "Tracks") == "28,356"
    assert at.session_state["catalog"].name.startswith("spotify_songs")


def test_bad_upload_after_good_upload_keeps_the_uploaded_catalog():
    at = open_home()
    at = upload(at, "first.csv", csv_bytes(raw_csv(120)))
    kept = metric(at, "Tracks")
    at.file_uploader[0].set_value(("second.csv", b"nothing useful here\n1\n", "text/csv"))
    at.run()
    assert at.error
    assert metric(at, "Tracks") == kept
    assert at.session_state["catalog"].name == "first.csv"


def test_hostile_names_render_as_plain_text():
    frame = raw_csv(40)
    for i, name in enumerate(HOSTILE_NAMES):
        frame.loc[i, "track_name"] = name
        frame.loc[i, "track_artist"] = name
    # A hostile file name too: it is shown in messages and the report.
    at = open_home()
    at = upload(at, "<b>evil</b>[x](javascript:alert(1)).csv", csv_bytes(frame))
    assert not at.exception
    assert not at.html, "no raw HTML element may be used for user data"
    for element in [*at.markdown, *at.success, *at.error, *at.warning, *at.caption]:
        text = element.value
        assert "<script" not in text and "<b>" not in text and "](javascript" not in text
    preview = [d.value for d in at.dataframe if "track_name" in d.value.columns]
    assert preview and set(HOSTILE_NAMES) <= set(preview[0]["track_name"])


def test_no_page_or_ui_module_allows_unsafe_html():
    sources = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    offenders = [p.name for p in sources if "unsafe_allow_html=True" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_report_and_preview_tables_have_word_headers():
    at = open_home()
    shown = [column_labels(d) for d in at.dataframe]
    assert {"Used as", "Column in your file"} <= set(shown[0].values())
    for labels in shown:
        for column, label in labels.items():
            if column != "track_id":  # sent for the link column, never shown
                assert "_" not in label and label[0].isupper(), (column, label)
    used = next(d.value for d in at.dataframe if "used" in d.value.columns)
    assert {"Spotify track ID", "Title", "Playlist name", "Danceability (audio feature)",
            "Length (audio feature)"} <= set(used["used"])
    # A file with dropped rows: the reasons table has word headers too.
    frame = raw_csv(60)
    frame.loc[3, "track_id"] = "not-an-id"
    at = upload(at, "dropped.csv", csv_bytes(frame))
    reasons = next(d for d in at.dataframe if "reason" in d.value.columns)
    assert set(column_labels(reasons).values()) == {"Why the rows were dropped", "Rows"}
    assert "Rows dropped: **1** (reasons below)." in load_report_text(at)


@pytest.mark.parametrize("key, title", [("home_go_explore", "Explore the catalog"),
                                        ("home_go_clusters", "Clusters of tracks that sound alike"),
                                        ("home_go_recommend", "Get recommendations")])
def test_next_steps_are_buttons_that_open_their_page(key, title):
    at = open_home()
    button = at.button(key=key)
    assert button.proto.type in ("primary", "secondary") and not button.disabled
    button.click().run()
    assert not at.exception
    assert at.title[0].value == title


def test_the_page_list_is_explicit_and_holds_every_page_file():
    from ui import pages

    listed = {page.path for page in pages.PAGES}
    assert listed == {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert [page.title for page in pages.PAGES] == [
        "Home", "Explore", "Clusters", "Recommend", "Playlist", "Taste", "Spotify"]
    assert all(page.icon.startswith(":material/") for page in pages.PAGES)
    assert pages.PLAYLIST.icon == ":material/queue_music:"
    assert pages.SPOTIFY.url_path == "Spotify"  # the Spotify login's redirect URI ends in it


# ----------------------------------------------------------------------------- some features only

def test_a_file_with_four_audio_features_loads_and_home_names_what_is_missing_and_limited():
    at = upload(open_home(), "four_features.csv", FOUR_FEATURES.read_bytes())
    assert not at.exception and not at.error
    assert at.session_state["catalog"].feature_names == ("danceability", "energy", "tempo", "valence")
    assert metric(at, "Tracks") == "300"
    notice = next(plain(w.value) for w in at.warning if "audio features" in w.value and "Missing" in w.value)
    assert "This catalog has 4 of the 12 audio features:** danceability, energy, tempo and mood (valence)" in notice
    for missing in ("acousticness", "length", "instrumentalness", "key", "liveness", "loudness",
                    "major or minor (mode)", "speechiness"):
        assert missing in notice.split("Missing")[1].split(".")[0], missing
    for page in ("**Explore**", "**Clusters**", "**Recommend**", "**Taste**"):
        assert page in notice
    assert "duration_ms" not in notice  # plain words, not field names
    assert "**Playlist**" not in notice  # it needs exactly these four: nothing is limited there
    report = load_report_text(at)
    assert "File layout: **a table with recognised column names**" in report
    assert "**53** rows repeated a track already read" in report


def test_every_page_runs_on_a_catalog_with_four_audio_features():
    at = upload(open_home(), "four_features.csv", FOUR_FEATURES.read_bytes())
    catalog = at.session_state["catalog"]
    at.switch_page("pages/Explore.py").run()
    assert not at.exception and not at.error
    for tab in ["Correlations", "Pairs of features", "By genre", "Over the years"]:
        at.session_state["explore_tab"] = tab
        at.run()
        assert not at.exception and not at.error, tab
    at.switch_page("pages/Clusters.py").run()
    assert not at.exception and not at.error
    for tab in ["Profiles", "Browse a cluster"]:
        at.session_state["clusters_tab"] = tab
        at.run()
        assert not at.exception and not at.error, tab
    at.session_state["clusters_details"] = True  # the elbow chart and expert numbers
    at.run()
    assert not at.exception and not at.error
    at.switch_page("pages/Recommend.py").run()
    assert not at.exception
    seeds = catalog.tracks["track_id"].head(3).tolist()
    at.session_state["seed_text"] = "\n".join(seeds)  # what "Get recommendations" applies
    for method in ("similar", "hybrid"):
        at.session_state["rec_method"] = method
        at.run()
        assert not at.exception and not at.error, method
        recs = at.session_state["last_recommendations"]
        assert len(recs) == 20 and not set(recs["track_id"]) & set(seeds), method
        # Explanations name only features the catalog has.
        assert not recs["why"].str.contains("louder|quieter|more acoustic|longer|shorter").any(), method
        assert "loudness" not in recs.columns or recs["loudness"].isna().all()


def test_a_file_with_one_audio_feature_is_a_track_list_and_home_says_why():
    frame = raw_csv(80)[["track_id", "track_name", "track_artist", "playlist_id", "playlist_genre", "tempo"]]
    at = upload(open_home(), "tempo_only.csv", csv_bytes(frame))
    assert not at.exception and not at.error
    assert not at.session_state["catalog"].has_features
    notice = next(plain(w.value) for w in at.warning if "track list only" in w.value)
    assert "It gives only tempo" in notice and "at least 2 audio features" in notice
    assert at.button(key="home_go_explore").disabled and at.button(key="home_go_clusters").disabled
    assert not at.button(key="home_go_recommend").disabled
    for page in ("pages/Explore.py", "pages/Clusters.py", "pages/Recommend.py"):
        at.switch_page(page).run()
        assert not at.exception and at.info, page  # each page says it needs audio features


def test_two_audio_features_are_enough_and_the_playlist_page_limit_is_named():
    frame = raw_csv(200)[["track_id", "track_name", "track_artist", "playlist_id", "playlist_genre", "tempo", "valence"]]
    at = upload(open_home(), "two.csv", csv_bytes(frame))
    assert not at.exception and not at.error
    assert at.session_state["catalog"].feature_names == ("tempo", "valence")
    notice = next(plain(w.value) for w in at.warning if "Missing" in w.value)
    assert "2 of the 12 audio features:** tempo and mood (valence)" in notice
    assert "**Playlist** sorts and maps tracks by tempo, energy, mood (valence) and danceability: without " \
           "energy and danceability it cannot show this catalog's tracks" in notice
    assert not at.button(key="home_go_explore").disabled


def test_the_upload_limit_and_what_to_do_about_it_are_said_before_choosing_a_file():
    # Streamlit refuses a file over server.maxUploadSize with only a tooltip on the file chip.
    at = open_home()
    text = " ".join(m.value for m in at.markdown)
    assert "Files up to **400 MB**" in text  # .streamlit/config.toml
    assert "save it as Parquet" in text and "raise the limit" in text
