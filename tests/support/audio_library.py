"""A small music library the tests make and analyse once: two 'albums' of synthetic pieces,
scanned with the real network, written as the Parquet catalog a listener would load."""
from __future__ import annotations

from pathlib import Path

from tests.support import synth

# album folder -> the seed of the synthetic piece its four tracks are cut from: tracks of one
# album share a sound (instrument, tempo, key), the two albums do not
ALBUMS: dict[str, int] = {"Album A": 1, "Album B": 7}
TRACKS_PER_ALBUM = 4
SECONDS = 9.0


def make_library(root: Path) -> tuple[Path, Path]:
    """Write the audio files under ``root/music`` and scan them into ``root/library.parquet``
    (analysis cache in ``root/cache``); returns (music folder, library file)."""
    from recommender.audio.analysis_cache import AnalysisCache
    from recommender.audio.library import write_library
    from recommender.audio.scan import scan_folder

    music = root / "music"
    clip = int(SECONDS * 16_000)
    for album, seed in ALBUMS.items():
        (music / album).mkdir(parents=True, exist_ok=True)
        whole = synth.piece(seed, SECONDS * TRACKS_PER_ALBUM, sr=16_000)
        for i in range(TRACKS_PER_ALBUM):
            suffix = (".ogg", ".flac", ".mp3", ".wav")[i % 4]
            synth.write_audio(music / album / f"{i + 1:02d} Part {i + 1}{suffix}", whole[i * clip : (i + 1) * clip], sr=16_000)
    scan = scan_folder(music, cache=AnalysisCache(root / "cache" / "audio.sqlite3"), workers=0)
    library = root / "library.parquet"
    write_library(scan, library)
    return music, library
