"""recommender.audio.uploads: uploaded audio kept on the server under safe names, one folder per set."""
from __future__ import annotations

import os

import pytest

from recommender.audio.uploads import BAD_NAME, NOT_AUDIO, clean_upload_name, store_uploads, uploads_root


@pytest.mark.parametrize(("name", "clean"), [
    ("song.mp3", "song.mp3"),
    ("../../x.mp3", "x.mp3"),
    ("a/b.mp3", "b.mp3"),
    ("a\\b.mp3", "b.mp3"),
    ("/etc/passwd", "passwd"),
    ("bad\x00name.mp3", "badname.mp3"),
    ("tab\tand\nnewline.ogg", "tabandnewline.ogg"),
    (".hidden.mp3", "hidden.mp3"),
    ("Été à Paris.flac", "Été à Paris.flac"),
    ('what?<is>:"this"|.wav', "whatisthis.wav"),
])
def test_names_lose_paths_and_unsafe_characters(name, clean):
    assert clean_upload_name(name) == clean


@pytest.mark.parametrize("name", ["", "...", "..", ".", "/", "../..", "\x00\x00", "   ", ".mp3", "..mp3", "a/..", "-.mp3", "*?.mp3"])
def test_names_empty_after_cleaning_are_refused(name):
    assert clean_upload_name(name) is None


def test_long_names_are_shortened_keeping_the_suffix():
    clean = clean_upload_name("é" * 300 + ".flac")
    assert clean.endswith(".flac") and len(clean.encode()) <= 200


def test_hostile_names_are_written_inside_the_set_folder_only(tmp_path):
    root = tmp_path / "uploads"
    stored = store_uploads([("../../x.mp3", b"one"), ("a/b.mp3", b"two"), ("c\x00.mp3", b"three"),
                            ("...", b"four"), ("notes.txt", b"five")], root=root)
    assert sorted(stored.kept) == ["b.mp3", "c.mp3", "x.mp3"]
    assert stored.folder.parent == root
    written = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert written == sorted(f"{stored.folder.name}/{n}" for n in stored.kept)
    assert not (tmp_path / "x.mp3").exists()
    assert (stored.folder / "x.mp3").read_bytes() == b"one"
    reasons = {r.name: r.reason for r in stored.refused}
    assert reasons == {"...": BAD_NAME, "notes.txt": NOT_AUDIO}


def test_duplicates_same_bytes_kept_once_different_bytes_renamed(tmp_path):
    stored = store_uploads([("song.mp3", b"a"), ("dir/song.mp3", b"a"), ("Song.MP3", b"b"), ("song.mp3", b"c")],
                           root=tmp_path)
    assert stored.kept == ["song.mp3", "Song (2).MP3", "song (3).mp3"]
    assert [(stored.folder / n).read_bytes() for n in stored.kept] == [b"a", b"b", b"c"]


def test_the_same_set_lands_in_the_same_folder_untouched(tmp_path):
    first = store_uploads([("a.mp3", b"1"), ("b.ogg", b"2")], root=tmp_path)
    stamp = os.stat(first.folder / "a.mp3").st_mtime_ns
    os.utime(first.folder / "a.mp3", ns=(stamp - 10**9, stamp - 10**9))  # an older file, as after a while
    again = store_uploads([("b.ogg", b"2"), ("a.mp3", b"1")], root=tmp_path)
    assert again.folder == first.folder
    assert os.stat(first.folder / "a.mp3").st_mtime_ns == stamp - 10**9  # not rewritten: the cache still answers
    other = store_uploads([("a.mp3", b"1"), ("b.ogg", b"3")], root=tmp_path)
    assert other.folder != first.folder


def test_the_default_root_is_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path))
    assert uploads_root() == tmp_path / "audio-uploads"
    stored = store_uploads([("a.wav", b"x")])
    assert stored.folder.parent == tmp_path / "audio-uploads"


def test_a_folder_is_checked_before_it_is_scanned(tmp_path):
    from recommender.audio.uploads import music_folder
    from recommender.errors import AudioError

    (tmp_path / "song.mp3").write_bytes(b"x")
    assert music_folder(f'  "{tmp_path}"  ') == tmp_path.resolve()
    cases = {"": "no folder given", str(tmp_path / "nowhere"): "not found", str(tmp_path / "song.mp3"): "not a folder",
             "a\x00b": "not a path"}
    locked = tmp_path / "locked"
    locked.mkdir(mode=0)
    if not os.access(locked, os.R_OK):  # root reads everything
        cases[str(locked)] = "cannot be read"
    for typed, reason in cases.items():
        with pytest.raises(AudioError) as caught:
            music_folder(typed)
        assert caught.value.reason == reason, typed
    locked.chmod(0o700)
