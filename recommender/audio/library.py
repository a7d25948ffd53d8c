"""A scanned folder as a catalog: the Parquet file every page and command loads.

Measured values take the catalog's columns (``tempo``, ``loudness`` in LUFS, ``key``,
``mode``, ``duration_ms``); the file's own tags give title, artist, album, year and genre (a
file without tags is named after itself, its album after its folder); the network's
embedding and its 100 tag probabilities go in the sound columns (see
:mod:`recommender.catalog.sound`). Spotify's other audio features (danceability, energy, ...)
are not estimated: they stay unknown, and the network's tags are called tags.
"""
from __future__ import annotations

import io
import os

import numpy as np
import pandas as pd

from ..catalog import Catalog, load_catalog
from ..catalog.sound import FILE_PATH_COLUMN, SoundData, write_sound_parquet
from ..errors import AudioError
from ..files import atomic_write_bytes
from .analysis import FileAnalysis, display_path
from .musicnn import MODEL_VERSION, TAG_COLUMNS
from .scan import ScanResult


def library_table(analysed: list[FileAnalysis], root: str = "") -> tuple[pd.DataFrame, SoundData]:
    """Canonical columns and :class:`SoundData` for the analysed files (in their order);
    ``root``: the scanned folder, kept so the app can play the files."""
    frame = pd.DataFrame({
        "track_id": [f.track_id for f in analysed],
        "track_name": [f.title or display_path(f.path) for f in analysed],
        "artists": pd.array([f.artist for f in analysed], dtype="string"),
        "album_name": pd.array([f.album for f in analysed], dtype="string"),
        "year": pd.array([f.year for f in analysed], dtype="Int64"),
        "genre": pd.array([f.genre for f in analysed], dtype="string"),
        "duration_ms": np.array([f.duration_s * 1000.0 for f in analysed], dtype=np.float32),
        "tempo": np.array([f.tempo for f in analysed], dtype=np.float32),
        "loudness": np.array([max(-70.0, f.loudness) for f in analysed], dtype=np.float32),
        "key": np.array([f.key for f in analysed], dtype=np.float32),
        "mode": np.array([f.mode for f in analysed], dtype=np.float32),
        FILE_PATH_COLUMN: [display_path(f.path) for f in analysed],
    })
    dim = len(analysed[0].embedding) if analysed else 0
    sound = SoundData(
        embeddings=np.vstack([f.embedding for f in analysed]).astype(np.float32) if analysed else np.zeros((0, dim), np.float32),
        tags=np.vstack([f.tags for f in analysed]).astype(np.float32) if analysed else np.zeros((0, len(TAG_COLUMNS)), np.float32),
        tag_names=TAG_COLUMNS,
        model=MODEL_VERSION,
        root=root,
    )
    return frame, sound


def library_bytes(scan: ScanResult) -> bytes:
    """The scanned library as Parquet bytes; :class:`AudioError` when no file was analysed."""
    analysed = scan.analysed
    if not analysed:
        failed = len(scan.failed)
        raise AudioError(
            f"{scan.folder}: no music file could be analysed ({failed:,} failed, {len(scan.skipped):,} not audio). "
            "Check the list of files and their reasons, then scan a folder holding MP3, OGG, FLAC, WAV or M4A files.",
            "no music file could be analysed",
        )
    frame, sound = library_table(analysed, scan.root)
    buffer = io.BytesIO()
    write_sound_parquet(frame, sound, buffer)
    return buffer.getvalue()


def write_library(scan: ScanResult, out: str | os.PathLike) -> Catalog:
    """Write the scanned library to ``out`` (Parquet, atomically) and return it loaded, as
    ``--catalog out`` will load it."""
    data = library_bytes(scan)
    atomic_write_bytes(out, data)
    return load_catalog(out)


def library_catalog(scan: ScanResult, name: str | None = None) -> Catalog:
    """The scanned library as a catalog in memory (the same bytes a file would hold)."""
    return load_catalog(library_bytes(scan), name=name or scan.folder)
