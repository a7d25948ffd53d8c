"""Home page (app.py): catalog on first visit, uploads with load report, bad uploads, hostile names."""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ui.data import catalog_key

ROOT = Path(__file__).resolve().parent.parent

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


def test_default_catalog_is_shown_on_first_visit_without_clicks():
    at = open_home()
    assert not at.exception
    assert metric(at, "Tracks") == "28,356"
    assert metric(at, "Playlists") == "471"
    assert metric(at, "Genres") == "6"
    assert metric(at, "Release years") == "1957–2020"
    assert not at.error
    # The load report names the layout that was recognised.
    assert any("tidytuesday_spotify_songs" in t.value for t in at.text)


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
    at.button[0].click().run()  # "Back to the default catalog"
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
    for page in ("pages/1_Explore.py", "pages/2_Clusters.py", "pages/3_Recommend.py"):
        at.switch_page(page).run()
        assert not at.exception, page
    at.text_area(key="w_seed_text").input(str(catalog.tracks["track_id"].iat[0])).run()
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
    mine = ["app.py", "pages/1_Explore.py", "pages/2_Clusters.py", "pages/3_Recommend.py",
            "ui/data.py", "ui/charts.py", "ui/widgets.py", "ui/query.py", "ui/text.py"]
    sources = [ROOT / name for name in mine]
    offenders = [p.name for p in sources if "unsafe_allow_html=True" in p.read_text(encoding="utf-8")]
    assert offenders == []
