"""The track catalog: read any common Spotify data layout into one canonical table.

Layouts are recognised from their headers (TidyTuesday ``spotify_songs.csv``, the Kaggle
``dataset.csv``, ``SpotifyFeatures.csv``, 600k ``tracks.csv`` and 1.2M
``tracks_features.csv``, and both Exportify variants). Column names are matched through one
alias table, case- and punctuation-insensitively, so a new layout usually needs only new
aliases. Rows that cannot be used are dropped and counted by reason in a :class:`LoadReport`;
loading fails only when nothing usable remains.

The canonical table has one row per track ID. Every playlist, genre and subgenre a track
belongs to is kept in :attr:`Catalog.memberships` (and summarised on the track row).

Modules, each importing only the ones above it:

- ``schema``: feature names and ranges, column aliases, layouts (no pandas)
- ``cells``, ``codes``: text columns plain or categorical; integer codes and membership summaries
- ``model``: :class:`Catalog` and :class:`LoadReport`
- ``read``: bytes, gzip, encodings, CSV separators, Parquet
- ``track_ids``, ``parse``: IDs and cell parsers, :func:`canonical_rows`
- ``build``: canonical rows to a :class:`Catalog`
- ``load``: :func:`load_catalog`, :func:`load_default_catalog`

Names are imported lazily (PEP 562): ``from recommender.catalog import AUDIO_FEATURES`` loads
only ``schema``, not pandas and the reader.
"""
from __future__ import annotations

from .._lazy import lazy_exports

# public name -> module of this package that defines it
_EXPORTS: dict[str, str] = {
    "AUDIO_FEATURES": "schema",
    "OPTIONAL_FEATURES": "schema",
    "FEATURE_RANGES": "schema",
    "TUNABLE_FEATURES": "schema",
    "MIN_SOUND_FEATURES": "schema",
    "LIST_SEP": "schema",
    "ALIASES": "schema",
    "LAYOUTS": "schema",
    "LAYOUT_NAMES": "schema",
    "DATA_DIR": "schema",
    "DEFAULT_CATALOG_PATH": "schema",
    "identify_layout": "schema",
    "layout_display_name": "schema",
    "map_columns": "schema",
    "normalize_header": "schema",
    "Catalog": "model",
    "SoundData": "sound",
    "FILE_PATH_COLUMN": "sound",
    "LoadReport": "model",
    "split_list": "model",
    "MAX_DECOMPRESSED_BYTES": "read",
    "read_table": "read",
    "canonical_rows": "parse",
    "build_catalog": "build",
    "load_catalog": "load",
    "load_default_catalog": "load",
}

# The public API (as before the split); _EXPORTS also serves the other names modules import.
__all__ = [
    "AUDIO_FEATURES",
    "OPTIONAL_FEATURES",
    "LAYOUT_NAMES",
    "MIN_SOUND_FEATURES",
    "FEATURE_RANGES",
    "TUNABLE_FEATURES",
    "DEFAULT_CATALOG_PATH",
    "LIST_SEP",
    "Catalog",
    "LoadReport",
    "identify_layout",
    "layout_display_name",
    "load_catalog",
    "load_default_catalog",
    "map_columns",
    "normalize_header",
    "read_table",
    "split_list",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
