"""read_file_tags on ID3 (MP3), Vorbis comments (FLAC), MP4 atoms (M4A), and on files that have
no tags or are no audio at all. Tags are written here with mutagen on synth audio."""
from __future__ import annotations

import os

from mutagen.easyid3 import EasyID3
from mutagen.easymp4 import EasyMP4
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TCON, TDRC, TIT2, TPE1

from recommender.audio.file_tags import FileTags, read_file_tags
from tests.support.synth import tone, write_audio


def test_mp3_id3_tags(tmp_path):
    path = write_audio(tmp_path / "song.mp3", tone(440, 1.0))
    tags = EasyID3()
    tags.update({"title": "  Blue Train ", "artist": ["John Coltrane", "Lee Morgan"],
                 "album": "Blue Train", "date": "1957-09-15", "genre": "Jazz"})
    tags.save(path)
    assert read_file_tags(path) == FileTags(
        title="Blue Train", artist="John Coltrane; Lee Morgan", album="Blue Train", year=1957, genre="Jazz")


def test_flac_vorbis_comments(tmp_path):
    path = write_audio(tmp_path / "song.flac", tone(440, 1.0))
    audio = FLAC(path)
    audio.update({"title": "Hoppípolla", "artist": ["Sigur Rós", " "], "album": "Takk...", "date": "2005"})
    audio.save()
    assert read_file_tags(path) == FileTags(title="Hoppípolla", artist="Sigur Rós", album="Takk...", year=2005)


def test_m4a_tags(tmp_path):
    path = write_audio(tmp_path / "song.m4a", tone(440, 1.0))
    audio = EasyMP4(path)
    audio.update({"title": "Teardrop", "artist": "Massive Attack", "album": "Mezzanine",
                  "date": "1998-04-20", "genre": "Trip hop"})
    audio.save()
    assert read_file_tags(path) == FileTags(
        title="Teardrop", artist="Massive Attack", album="Mezzanine", year=1998, genre="Trip hop")


def test_id3_frames_in_a_wav_file_and_a_non_utf8_name(tmp_path):
    path = os.fsencode(tmp_path) + b"/\xff\xfe.wav"
    os.rename(write_audio(tmp_path / "plain.wav", tone(440, 1.0)), path)
    import mutagen

    wav = mutagen.File(path)
    wav.add_tags()
    wav.tags.add(TIT2(encoding=3, text="Field recording"))
    wav.tags.add(TPE1(encoding=3, text=["Birds", "Wind"]))
    wav.tags.add(TDRC(encoding=3, text="2021"))
    wav.tags.add(TCON(encoding=3, text="Ambient"))
    wav.save()
    assert read_file_tags(path) == FileTags(
        title="Field recording", artist="Birds; Wind", album=None, year=2021, genre="Ambient")


def test_empty_values_and_odd_years_are_dropped(tmp_path):
    path = write_audio(tmp_path / "song.mp3", tone(440, 1.0))
    tags = ID3()
    tags.add(TIT2(encoding=3, text="   "))
    tags.add(TDRC(encoding=3, text="0000"))
    tags.save(path)
    assert read_file_tags(path) == FileTags()


def test_untagged_unreadable_and_non_audio_files_give_empty_tags(tmp_path):
    untagged = write_audio(tmp_path / "plain.flac", tone(440, 1.0))
    (tmp_path / "cover.mp3").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    (tmp_path / "empty.mp3").write_bytes(b"")
    for path in (untagged, tmp_path / "cover.mp3", tmp_path / "empty.mp3", tmp_path / "missing.ogg", tmp_path):
        assert read_file_tags(path) == FileTags(), path
    assert FileTags() == FileTags(title=None, artist=None, album=None, year=None, genre=None)
