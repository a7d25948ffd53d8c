"""A library big enough to learn a taste from: two 'albums' of eight 6-second clips, each album
cut from one synthetic piece, scanned with the real network (for the taste tests)."""
from __future__ import annotations

from pathlib import Path

from tests.support import synth

ALBUMS: dict[str, int] = {"Album A": 1, "Album B": 7}
TRACKS_PER_ALBUM = 8
SECONDS = 6.0
SR = 16_000


def make_taste_library(root: Path) -> Path:
    """Write the clips under ``root/music``, scan them, return ``root/library.parquet``."""
    from recommender.audio.analysis_cache import AnalysisCache
    from recommender.audio.library import write_library
    from recommender.audio.scan import scan_folder

    music = root / "music"
    clip = int(SECONDS * SR)
    for album, seed in ALBUMS.items():
        (music / album).mkdir(parents=True, exist_ok=True)
        whole = synth.piece(seed, SECONDS * TRACKS_PER_ALBUM, sr=SR)
        for i in range(TRACKS_PER_ALBUM):
            synth.write_audio(music / album / f"{i + 1:02d} Part {i + 1}.wav", whole[i * clip : (i + 1) * clip], sr=SR)
    scan = scan_folder(music, cache=AnalysisCache(root / "cache" / "audio.sqlite3"), workers=0)
    library = root / "library.parquet"
    write_library(scan, library)
    return library
