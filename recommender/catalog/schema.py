"""What a catalog holds, without pandas: feature names and ranges, column aliases, layouts.

Light on purpose: pages, the CLI and the engine import these names without loading the
reader. Column names are matched through one alias table (:data:`ALIASES`), case- and
punctuation-insensitively, so a new layout usually needs only new aliases.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

# The embedded TidyTuesday catalog and the other sample data files of the checkout.
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
DEFAULT_CATALOG_PATH = DATA_DIR / "spotify_songs.csv.gz"

# Spotify's audio-features object. A catalog may hold only some of them (a dump keeping a
# few columns): the others are unknown for every track (Catalog.feature_names lists those present).
AUDIO_FEATURES: tuple[str, ...] = (
    "acousticness",
    "danceability",
    "duration_ms",
    "energy",
    "instrumentalness",
    "key",
    "liveness",
    "loudness",
    "mode",
    "speechiness",
    "tempo",
    "valence",
)
# Features some layouts lack (TidyTuesday has no time signature): unknown when missing.
OPTIONAL_FEATURES: tuple[str, ...] = ("time_signature",)

# Documented ranges (Spotify Web API reference), a little widened where real data strays:
# loudness of mastered tracks reaches a few dB above 0, and key -1 means "no key detected".
FEATURE_RANGES: dict[str, tuple[float, float]] = {
    "acousticness": (0.0, 1.0),
    "danceability": (0.0, 1.0),
    "duration_ms": (1.0, 6 * 3600 * 1000.0),
    "energy": (0.0, 1.0),
    "instrumentalness": (0.0, 1.0),
    "key": (-1.0, 11.0),
    "liveness": (0.0, 1.0),
    "loudness": (-70.0, 10.0),
    "mode": (0.0, 1.0),
    "speechiness": (0.0, 1.0),
    "tempo": (0.0, 300.0),
    "valence": (0.0, 1.0),
    "time_signature": (0.0, 7.0),
    "popularity": (0.0, 100.0),
}
# The tunable attributes of Spotify's retired recommendations endpoint (min_/max_/target_).
TUNABLE_FEATURES: tuple[str, ...] = tuple(sorted(AUDIO_FEATURES + ("popularity",) + OPTIONAL_FEATURES))
LIST_SEP = "; "  # joins several artists / genres / playlists in one cell


# canonical column -> accepted source names, normalised (lower case, letters and digits only),
# in order of preference. One table for every layout.
ALIASES: dict[str, tuple[str, ...]] = {
    "track_id": ("trackid", "id", "trackuri", "uri", "spotifyid", "spotifyuri", "trackurl"),
    "track_name": ("trackname", "name", "songtitle", "songname", "title", "song", "track"),
    "artists": ("artists", "artistnames", "trackartist", "artistname", "artist", "trackartists"),
    "album_name": ("albumname", "trackalbumname", "album"),
    "album_id": ("albumid", "trackalbumid", "albumuri"),
    "release_date": ("releasedate", "trackalbumreleasedate", "albumreleasedate"),
    "year": ("year", "releaseyear"),
    "popularity": ("popularity", "trackpopularity"),
    "explicit": ("explicit",),
    "genre": ("playlistgenre", "trackgenre", "genre", "genres", "artistgenres"),
    "subgenre": ("playlistsubgenre", "subgenre"),
    "playlist_id": ("playlistid", "playlisturi"),
    "playlist_name": ("playlistname", "playlist"),
    **{f: (re.sub(r"[^a-z0-9]", "", f),) for f in AUDIO_FEATURES + OPTIONAL_FEATURES},
    # The classic Exportify export names it 'Track Duration (ms)'.
    "duration_ms": ("durationms", "trackdurationms"),
}
# Features only Spotify's audio-features endpoint gave (duration comes with every track
# object, so a post-Nov-2024 export still has it): all empty means "a track list".
_ENDPOINT_FEATURES: tuple[str, ...] = tuple(f for f in AUDIO_FEATURES if f != "duration_ms")
# Fewest endpoint features with values for "sounds alike" to mean anything: one number alone
# (say tempo) ranks every track by that number only, so such a file is loaded as a track list.
MIN_SOUND_FEATURES = 2


# Layouts, recognised by signature columns (normalised names); first match wins.
LAYOUTS: tuple[tuple[str, frozenset[str]], ...] = (
    ("tastemap_audio_library", frozenset({"trackid", "filepath", "soundembedding"})),
    ("tidytuesday_spotify_songs", frozenset({"trackid", "playlistid", "playlistgenre", "trackalbumreleasedate"})),
    ("kaggle_spotify_tracks_dataset", frozenset({"trackid", "trackgenre", "albumname", "artists"})),
    ("kaggle_spotify_features", frozenset({"genre", "artistname", "trackid", "trackname"})),
    ("kaggle_tracks_600k", frozenset({"id", "idartists", "releasedate"})),
    ("kaggle_tracks_features_1m", frozenset({"id", "artistids", "albumid", "year"})),
    ("exportify", frozenset({"trackuri", "trackname", "artistnames"})),
)
# Plain names of the layouts for pages (the IDs above stay what the CLI prints).
LAYOUT_NAMES: dict[str, str] = {
    "tastemap_audio_library": "an audio library analysed by Tastemap",
    "tidytuesday_spotify_songs": "TidyTuesday Spotify songs (2020)",
    "kaggle_spotify_tracks_dataset": "Kaggle Spotify tracks dataset (dataset.csv)",
    "kaggle_spotify_features": "Kaggle Spotify features (SpotifyFeatures.csv)",
    "kaggle_tracks_600k": "Kaggle Spotify 600k tracks (tracks.csv)",
    "kaggle_tracks_features_1m": "Kaggle Spotify 1.2 million songs (tracks_features.csv)",
    "exportify": "Exportify playlist export",
    "generic": "a table with recognised column names",
}


def normalize_header(name: object) -> str:
    """Lower case, letters and digits only: ``'Artist Name(s)'`` -> ``'artistnames'``."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def layout_display_name(layout: str) -> str:
    """The plain name of a layout ID (``'exportify'`` -> ``'Exportify playlist export'``)."""
    return LAYOUT_NAMES.get(layout, layout.replace("_", " "))


def identify_layout(columns: Iterable[object]) -> str:
    """Name the known layout whose signature columns are all present, else ``'generic'``."""
    present = {normalize_header(c) for c in columns}
    for name, signature in LAYOUTS:
        if signature <= present:
            return name
    return "generic"


def map_columns(columns: Iterable[object]) -> dict[str, str]:
    """Canonical name -> source column, through the alias table (first alias present wins)."""
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(normalize_header(col), str(col))
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for canonical, aliases in ALIASES.items():
        for alias in aliases:
            if alias in by_norm and by_norm[alias] not in used:
                mapping[canonical] = by_norm[alias]
                used.add(by_norm[alias])
                break
    return mapping
