"""Home's "Use your own music files" (issue 16): uploaded audio is kept, scanned with the real
network and becomes the catalog in use; the folder box only on one's own machine; bad folders
and sets without music get a message and leave the catalog alone; a library reads as a library
at the top of the page."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from tests.support import synth

ROOT = Path(__file__).resolve().parents[2]
FOLDER_LABEL = "Folder on this computer"


@pytest.fixture(autouse=True)
def private_folders(tmp_path, monkeypatch):
    """Uploads and the analysis cache in this test's own folders; no folder scan from the shell."""
    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TASTEMAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("TASTEMAP_ALLOW_FOLDER_SCAN", raising=False)


@pytest.fixture
def server_address():
    """Set ``server.address`` for one test (AppTest runs in this process), then put it back."""
    before = st_config.get_option("server.address")
    yield lambda value: st_config.set_option("server.address", value)
    st_config.set_option("server.address", before)


def open_home() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()


def music_uploader(at: AppTest):
    return next(u for u in at.file_uploader if u.label == "Music files")


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements).replace("\\", "")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def folder_boxes(at: AppTest) -> list:
    return [t for t in at.text_input if t.label == FOLDER_LABEL]


def audio_bytes(tmp_path: Path, name: str, seed: int) -> bytes:
    path = synth.write_audio(tmp_path / name, synth.piece(seed, 6.0, sr=16_000), sr=16_000)
    return path.read_bytes()


def test_uploaded_music_is_scanned_and_becomes_the_catalog_in_use(tmp_path):
    at = open_home()
    assert "Use your own music files" in [h.value for h in at.subheader]
    files = [("01 Morning.ogg", audio_bytes(tmp_path, "a.ogg", 1), "audio/ogg"),
             ("../../02 Evening.wav", audio_bytes(tmp_path, "b.wav", 7), "audio/wav"),
             ("notes.txt", b"not music", "text/plain")]
    music_uploader(at).set_value(files)
    at.run()
    button(at, "Analyse 3 files").click()
    at.run()
    assert not at.exception
    success = texts(at.success)
    assert "2 tracks analysed, 1 file is not music" in success
    assert "now the catalog in use" in success
    problems = next(d.value for d in at.dataframe if list(d.value.columns) == ["file", "reason"])
    assert problems.to_dict("records") == [{"file": "notes.txt", "reason": "not an audio file (by its name)"}]
    assert at.session_state["catalog"].has_sound and len(at.session_state["catalog"]) == 2
    shown = metrics(at)
    assert shown["Tracks"] == "2" and shown["Albums"] == "unknown" and shown["Artists"] == "unknown"  # no tags
    assert "Genres" not in shown and "Playlists" not in shown and "Popularity" not in shown
    assert "measured from the audio" in texts(at.info)
    stored = sorted(p.name for p in (tmp_path / "data" / "audio-uploads").rglob("*") if p.is_file())
    assert stored == ["01 Morning.ogg", "02 Evening.wav"]  # the path part of the name is gone, no text file kept
    assert "Your music files (2 files)" in texts(at.markdown)
    # back to the default catalog forgets the scan's outcome too
    button(at, "Back to the default catalog").click()
    at.run()
    assert not at.session_state["catalog"].has_sound
    assert "tracks analysed" not in texts(at.success)


def test_a_set_without_music_says_so_and_keeps_the_catalog(tmp_path):
    at = open_home()
    before = at.session_state["catalog"].name
    music_uploader(at).set_value([("readme.txt", b"hello", "text/plain"), ("...", b"x", "text/plain")])
    at.run()
    button(at, "Analyse 2 files").click()
    at.run()
    assert not at.exception
    error = texts(at.error)
    assert "None of these files is music" in error and f"did not change: **{before}**" in error
    assert at.session_state["catalog"].name == before
    problems = next(d.value for d in at.dataframe if list(d.value.columns) == ["file", "reason"])
    assert set(problems["file"]) == {"readme.txt", "..."}


def test_the_folder_box_is_offered_on_loopback_only(server_address, monkeypatch):
    server_address("")  # Streamlit's default: every interface, a shared server
    at = open_home()
    assert folder_boxes(at) == []
    assert any("Scanning a folder in place is off" in c.value for c in at.caption)
    for address in ("127.0.0.1", "localhost", "::1"):
        server_address(address)
        assert len(folder_boxes(open_home())) == 1, address
    server_address("0.0.0.0")
    assert folder_boxes(open_home()) == []
    monkeypatch.setenv("TASTEMAP_ALLOW_FOLDER_SCAN", "1")
    assert len(folder_boxes(open_home())) == 1


def test_bad_folders_get_a_clear_message(tmp_path, server_address):
    server_address("127.0.0.1")
    (tmp_path / "song.mp3").write_bytes(b"x")
    only_text = tmp_path / "papers"
    only_text.mkdir()
    (only_text / "letter.txt").write_text("hello")
    at = open_home()
    before = at.session_state["catalog"].name
    cases = {str(tmp_path / "nowhere"): "there is no such folder", str(tmp_path / "song.mp3"): "a file, not a folder",
             "   ": "Type the path of a folder"}
    for typed, message in cases.items():
        folder_boxes(at)[0].input(typed)
        button(at, "Scan this folder").click()
        at.run()
        assert message in texts(at.error), typed
        assert at.session_state["catalog"].name == before
    folder_boxes(at)[0].input(str(only_text))
    button(at, "Scan this folder").click()
    at.run()
    assert not at.exception
    error = texts(at.error)
    assert "No track could be analysed" in error and str(tmp_path) not in error
    assert "0 tracks analysed, 1 file is not music" in texts(at.markdown)
    assert at.session_state["catalog"].name == before


def test_a_library_file_loaded_with_the_catalog_uploader_reads_as_a_library(audio_library):
    _, library = audio_library
    at = open_home()
    catalog_uploader = next(u for u in at.file_uploader if u.label == "Catalog file")
    catalog_uploader.set_value(("library.parquet", library.read_bytes(), "application/octet-stream"))
    at.run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Tracks"] == "8" and shown["Albums"] == "2" and shown["Artists"] == "unknown"
    assert "Genres" not in shown and "Release years" not in shown
    notice = texts(at.info)
    assert "Tempo, loudness and key (major or minor) were measured from the audio" in notice and "pretrained network" in notice
    assert "your music library" in texts(at.markdown)
    assert not any("4 of the 12 audio features" in w.value or "5 of the 12" in w.value for w in at.warning)


def test_after_a_stop_the_scan_continues_or_the_finished_tracks_are_used(tmp_path):
    from recommender.audio.scan import scan_folder
    from ui.audio_library import ScanJob
    from ui.state import AUDIO_JOB

    music = tmp_path / "music"
    music.mkdir()
    synth.write_audio(music / "a.ogg", synth.piece(1, 6.0, sr=16_000), sr=16_000)
    scan_folder(music, workers=0)  # the first file was finished before the stop (kept in the cache)
    synth.write_audio(music / "b.wav", synth.piece(7, 6.0, sr=16_000), sr=16_000)
    partial = scan_folder(music, workers=0, should_stop=lambda: True)
    assert partial.stopped and len(partial.analysed) == 1

    def stopped_home() -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.session_state[AUDIO_JOB] = ScanJob(str(music), "My folder", "my-folder.parquet", stopped=True, partial=partial)
        return at.run()

    at = stopped_home()
    before = at.session_state["catalog"].name
    info = texts(at.info)
    assert "The scan was stopped** after 1 of 2 music files" in info
    assert "scanning again continues where it stopped" in info
    assert at.session_state["catalog"].name == before
    button(at, "Use the 1 track analysed so far").click()
    at.run()
    assert "1 track analysed (1 file from earlier scans)" in texts(at.success)
    assert at.session_state["catalog"].has_sound and len(at.session_state["catalog"]) == 1

    at = stopped_home()
    button(at, "Continue scanning").click()
    at.run()
    assert not at.exception
    assert "2 tracks analysed (1 file from earlier scans)" in texts(at.success)
    assert len(at.session_state["catalog"]) == 2 and at.session_state["catalog"].name == "My folder"


def test_a_folder_gone_before_the_scan_is_named_by_the_library_not_the_server_path(tmp_path):
    from ui.audio_library import ScanJob
    from ui.state import AUDIO_JOB

    gone = tmp_path / "uploads" / "0123abcd"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state[AUDIO_JOB] = ScanJob(str(gone), "Your music files (2 files)", "my-music-library.parquet")
    at.run()
    assert not at.exception
    error = texts(at.error)
    assert "Your music files (2 files): the folder could not be scanned (not found)" in error
    assert str(tmp_path) not in error and "did not change" in error
    assert not at.session_state["catalog"].has_sound
