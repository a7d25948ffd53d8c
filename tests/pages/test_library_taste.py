"""The Taste page on a listener's own music library (AppTest, temporary TASTEMAP_DATA_DIR)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from recommender.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "Taste.py")
TIMEOUT = 300


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    from tests.support.taste_library import make_taste_library

    return load_catalog(make_taste_library(tmp_path_factory.mktemp("taste_page_library")))


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path))
    return tmp_path


def open_page(catalog) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["catalog"] = catalog
    return at.run()


def page_text(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "title", "header", "subheader"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def album_ids(library, album: str) -> list[str]:
    return library.tracks.loc[library.tracks["album_name"] == album, "track_id"].tolist()


def label_albums(at: AppTest, library) -> AppTest:
    at.multiselect(key="taste_library_pick").set_value(album_ids(library, "Album A")).run()
    at.button(key="taste_library_1").click().run()
    at.multiselect(key="taste_library_pick").set_value(album_ids(library, "Album B")).run()
    return at.button(key="taste_library_0").click().run()


def test_label_library_tracks_train_and_read_the_headline_in_plain_words(data_dir, library):
    at = open_page(library)
    assert not at.exception
    text = page_text(at)
    assert "how your music sounds to a pretrained network" in text
    assert "pick tracks of your library" in text
    assert [t.label for t in at.tabs][0] == "Your library"
    # the picker names the listener's own files
    options = at.multiselect(key="taste_library_pick").options
    assert any("Album A/01 Part 1.wav" in o for o in options)
    at = label_albums(at, library)
    assert not at.exception
    assert "16 labels in profile 'default': 8 liked, 8 disliked" in page_text(at)
    at.button(key="taste_train").click().run()
    assert not at.exception, at.exception
    headline = next(s.value for s in at.subheader if s.value.startswith("Right "))
    assert headline.endswith("on songs it has not seen")
    assert headline in ("Right almost every time on songs it has not seen", "Right about 9 times in 10 on songs it has not seen")
    text = page_text(at)
    assert "Learned how your music sounds to a pretrained network" in text
    assert "Spotify" not in text
    details = next(e for e in at.expander if e.label == "Details")
    assert float(details.metric[1].value) >= 0.85  # accuracy, the expert number behind the headline
    assert any("description of the sound" in m.value and "400" in m.value for m in details.markdown)

    # cleaning a playlist of the library flags the disliked album
    at.multiselect(key="taste_clean_pick").set_value(library.tracks["track_id"].tolist()).run()
    assert not at.exception
    assert "8 of 16 tracks flagged as likely dislikes" in page_text(at)
    table = next(d.value for d in at.dataframe if "flagged" in d.value.columns)
    flagged_files = set(table.loc[table["flagged"], "file"])
    assert flagged_files == {p for p in library.tracks["file_path"] if p.startswith("Album B")}
    assert "spotify" not in table.columns


def test_a_library_model_is_refused_on_a_catalog_without_sound_with_a_clear_message(data_dir, library,
                                                                                    default_catalog):
    at = label_albums(open_page(library), library)
    at.button(key="taste_train").click().run()
    assert any(s.value.startswith("Right ") for s in at.subheader)
    # a new visit (the model is restored from the store) on the Spotify catalog
    small = default_catalog.subset(np.arange(len(default_catalog)) < 300)
    at = open_page(small)
    assert not at.exception, at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "how your music sounds to a pretrained network" in warning and "Load the music library" in warning
    assert not any(s.value.startswith("Right ") for s in at.subheader)
    # a session whose library model is loaded, switching to the Spotify catalog, hears the same
    at = open_page(library)
    assert any(s.value.startswith("Right ") for s in at.subheader)
    at.session_state["catalog"] = small
    at.run()
    assert not at.exception
    assert "Load the music library" in " ".join(w.value for w in at.warning)
    assert not any(s.value.startswith("Right ") for s in at.subheader)
