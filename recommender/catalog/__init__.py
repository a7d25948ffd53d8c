"""The track catalog: read any common Spotify data layout into one canonical table.

Layouts are recognised from their headers (TidyTuesday ``spotify_songs.csv``, the Kaggle
``dataset.csv``, ``SpotifyFeatures.csv``, 600k ``tracks.csv`` and 1.2M
``tracks_features.csv``, and both Exportify variants). Column names are matched through one
alias table, case- and punctuation-insensitively, so a new layout usually needs only new
aliases. Rows that cannot be used are dropped and counted by reason in a :class:`LoadReport`;
loading fails only when nothing usable remains.

The canonical table has one row per track ID. Every playlist, genre and subgenre a track
belongs to is kept in :attr:`Catalog.memberships` (and summarised on the track row).
"""
from __future__ import annotations

import ast
import csv
import gzip
import hashlib
import io
import logging
import os
import re
import warnings as _warnings
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import IO, Iterable, Union

import numpy as np
import pandas as pd

from ..errors import CatalogError, TastemapError

_log = logging.getLogger(__name__)

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
_FEW_IDS = 32  # Catalog.positions looks up at most this many IDs one by one
# Parquet text columns whose stored dictionaries hold at most this share of their rows are
# loaded as categoricals and cleaned once per distinct value (see _read_parquet).
_MAX_CATEGORY_SHARE = 0.25

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
# How several artists are written in a source column (others hold one name each).
_ARTIST_SEPARATORS = {"artists": ";", "artistnames": ",", "trackartists": ","}

# Layouts, recognised by signature columns (normalised names); first match wins.
LAYOUTS: tuple[tuple[str, frozenset[str]], ...] = (
    ("tidytuesday_spotify_songs", frozenset({"trackid", "playlistid", "playlistgenre", "trackalbumreleasedate"})),
    ("kaggle_spotify_tracks_dataset", frozenset({"trackid", "trackgenre", "albumname", "artists"})),
    ("kaggle_spotify_features", frozenset({"genre", "artistname", "trackid", "trackname"})),
    ("kaggle_tracks_600k", frozenset({"id", "idartists", "releasedate"})),
    ("kaggle_tracks_features_1m", frozenset({"id", "artistids", "albumid", "year"})),
    ("exportify", frozenset({"trackuri", "trackname", "artistnames"})),
)
# Plain names of the layouts for pages (the IDs above stay what the CLI prints).
LAYOUT_NAMES: dict[str, str] = {
    "tidytuesday_spotify_songs": "TidyTuesday Spotify songs (2020)",
    "kaggle_spotify_tracks_dataset": "Kaggle Spotify tracks dataset (dataset.csv)",
    "kaggle_spotify_features": "Kaggle Spotify features (SpotifyFeatures.csv)",
    "kaggle_tracks_600k": "Kaggle Spotify 600k tracks (tracks.csv)",
    "kaggle_tracks_features_1m": "Kaggle Spotify 1.2 million songs (tracks_features.csv)",
    "exportify": "Exportify playlist export",
    "generic": "a table with recognised column names",
}

_PITCHES = {
    "C": 0, "C#": 1, "DB": 1, "D": 2, "D#": 3, "EB": 3, "E": 4, "F": 5, "F#": 6, "GB": 6,
    "G": 7, "G#": 8, "AB": 8, "A": 9, "A#": 10, "BB": 10, "B": 11,
}
_MODES = {"MAJOR": 1.0, "MINOR": 0.0}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}

MAX_DECOMPRESSED_BYTES = 2 * 1024**3  # refuse gzip bombs


def normalize_header(name: object) -> str:
    """Lower case, letters and digits only: ``'Artist Name(s)'`` -> ``'artistnames'``."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def split_list(cell: object) -> list[str]:
    """Split a canonical ``'; '``-joined cell (artists, genres, playlists) into its items."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)) or cell is pd.NA:
        return []
    return [part.strip() for part in str(cell).split(";") if part.strip()]


@dataclass
class LoadReport:
    """What loading a file did: the layout found, the column mapping and every dropped row."""

    source: str = ""
    layout: str = "generic"
    rows_read: int = 0
    tracks: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    track_list_only: bool = False
    unused_columns: list[str] = field(default_factory=list)
    # Plain defaults (class attributes), so reports pickled before these fields still load.
    merged_rows: int = 0  # rows repeating a track already read (same track, another playlist)
    missing_features: tuple[str, ...] = ()  # audio features the file does not give (unknown)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if "merged_rows" not in state:
            # Pickled before rows were counted (an on-disk cache): every row read was either
            # dropped, kept as a track, or merged into one.
            self.merged_rows = max(0, self.rows_read - self.tracks - sum(self.dropped.values()))

    @property
    def usable(self) -> bool:
        return self.tracks > 0

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "layout": self.layout,
            "rows_read": self.rows_read,
            "tracks": self.tracks,
            "columns": dict(self.columns),
            "dropped": dict(self.dropped),
            "warnings": list(self.warnings),
            "track_list_only": self.track_list_only,
            "unused_columns": list(self.unused_columns),
            "merged_rows": self.merged_rows,
            "missing_features": list(self.missing_features),
        }

    def summary_lines(self) -> list[str]:
        lines = [
            f"source: {self.source}",
            f"layout: {self.layout}",
            f"rows read: {self.rows_read:,}",
            f"tracks: {self.tracks:,}" + (" (track list: no audio features)" if self.track_list_only else ""),
            "columns: " + ", ".join(f"{k} <- {v}" for k, v in self.columns.items()),
        ]
        if self.merged_rows:
            lines.append(f"merged {self.merged_rows:,} rows repeating a track already read (its other playlists kept)")
        if self.missing_features and not self.track_list_only:
            lines.append("audio features missing (unknown): " + ", ".join(self.missing_features))
        for reason, count in self.dropped.items():
            lines.append(f"dropped {count:,} rows: {reason}")
        lines += [f"warning: {w}" for w in self.warnings]
        return lines


@dataclass
class Catalog:
    """One row per track, plus every (track, playlist/genre) membership.

    ``tracks`` columns: ``track_id, track_name, artists, album_name, album_id, release_date,
    release_year, popularity, explicit, genres, subgenres, playlist_count`` and the audio
    features (float32). Unknown values are NaN / missing, never zero.
    ``memberships`` columns: ``track_id, playlist_id, playlist_name, genre, subgenre``.
    """

    tracks: pd.DataFrame
    memberships: pd.DataFrame
    report: LoadReport = field(default_factory=LoadReport)
    name: str = "catalog"

    def __len__(self) -> int:
        return len(self.tracks)

    def __getstate__(self) -> dict:
        # cached_property values are derived; keep pickles small and fresh.
        state = self.__dict__.copy()
        for key in ("_position", "content_hash", "feature_names"):
            state.pop(key, None)
        return state

    @cached_property
    def _position(self) -> pd.Index:
        return pd.Index(self.tracks["track_id"].to_numpy())

    def positions(self, track_ids: Iterable[str]) -> np.ndarray:
        """Row positions of ``track_ids`` in :attr:`tracks` (-1 where unknown)."""
        if isinstance(track_ids, (pd.Series, pd.Index, np.ndarray)):
            values = np.asarray(track_ids, dtype=object)  # no Python list of a million IDs
        else:
            values = list(track_ids)
        if len(values) <= _FEW_IDS and self._position.is_unique:
            # A handful of seeds: hash lookups one by one (~2 us each) instead of get_indexer,
            # which builds an index of the queries first (~0.15 ms on a million tracks).
            found = self._position_of(values)
            if found is not None:
                return found
        return self._position.get_indexer(values)

    def _position_of(self, values) -> np.ndarray | None:
        out = np.full(len(values), -1, dtype=np.intp)
        for i, value in enumerate(values):
            if not isinstance(value, str):
                return None  # anything unusual: get_indexer's answer
            try:
                out[i] = self._position.get_loc(value)
            except KeyError:
                pass
        return out

    def __contains__(self, track_id: object) -> bool:
        return track_id in self._position

    @property
    def has_features(self) -> bool:
        return not self.report.track_list_only

    @cached_property
    def feature_names(self) -> tuple[str, ...]:
        """Audio features known for every track: those the file gives (a file may lack some,
        see ``report.missing_features``), optional ones only when fully known."""
        if not self.has_features:
            return ()
        missing = set(getattr(self.report, "missing_features", ()))
        optional = tuple(
            f for f in OPTIONAL_FEATURES if f in self.tracks and self.tracks[f].notna().all()
        )
        return tuple(f for f in AUDIO_FEATURES if f not in missing) + optional

    @property
    def missing_features(self) -> tuple[str, ...]:
        """Audio features this catalog does not know (all of them for a track list)."""
        return tuple(f for f in AUDIO_FEATURES if f not in self.feature_names)

    def feature_matrix(self, names: Iterable[str] | None = None) -> np.ndarray:
        """The audio features as a C-contiguous float32 matrix (rows follow :attr:`tracks`)."""
        cols = list(names or self.feature_names)
        return np.ascontiguousarray(self.tracks[cols].to_numpy(dtype=np.float32, na_value=np.nan))

    @cached_property
    def content_hash(self) -> str:
        """A digest of the tracks and memberships, for on-disk cache keys."""
        h = hashlib.sha256()
        h.update(pd.util.hash_pandas_object(self.tracks, index=False).to_numpy().tobytes())
        h.update(pd.util.hash_pandas_object(self.memberships, index=False).to_numpy().tobytes())
        return h.hexdigest()[:20]

    def without_playlists(self, playlist_ids: Iterable[str]) -> "Catalog":
        """A copy in which the given playlists' memberships are blanked (for evaluation).

        Genres, subgenres and playlist counts on track rows are recomputed from the
        remaining memberships, so nothing about the hidden playlists leaks.
        """
        hidden = set(playlist_ids)
        keep = ~self.memberships["playlist_id"].isin(hidden)
        memberships = self.memberships[keep].reset_index(drop=True)
        tracks = self.tracks.drop(columns=["genres", "subgenres", "playlist_count"])
        tracks = _attach_membership_summary(tracks, memberships)
        return Catalog(tracks=tracks, memberships=memberships, report=self.report, name=self.name)

    def subset(self, mask: np.ndarray | pd.Series) -> "Catalog":
        """A catalog holding only the tracks where ``mask`` is true."""
        tracks = self.tracks[np.asarray(mask)].reset_index(drop=True)
        memberships = self.memberships[self.memberships["track_id"].isin(tracks["track_id"])]
        report = replace(self.report, tracks=len(tracks))
        return Catalog(tracks, memberships.reset_index(drop=True), report, self.name)

    def summary(self) -> dict:
        """Counts and ranges for a first look (the CLI ``info`` command, the home page)."""
        t = self.tracks
        # each distinct cell split once (a million cells took 2.5 s, their 300k distinct values 0.8 s)
        artists = {a for cell in t["artists"].dropna().unique() for a in split_list(cell)}
        pop = t["popularity"].dropna()
        year = t["release_year"].dropna()
        out = {
            "name": self.name,
            "tracks": int(len(t)),
            "artists": len(artists),
            "genres": int(self.memberships["genre"].dropna().nunique()),
            "subgenres": int(self.memberships["subgenre"].dropna().nunique()),
            "playlists": int(self.memberships["playlist_id"].dropna().nunique()),
            "popularity_known": int(len(pop)),
            "popularity_range": [float(pop.min()), float(pop.max())] if len(pop) else None,
            "year_range": [int(year.min()), int(year.max())] if len(year) else None,
            "has_features": self.has_features,
            "feature_ranges": {},
        }
        for f in self.feature_names:
            col = t[f]
            out["feature_ranges"][f] = {
                "min": round(float(col.min()), 6),
                "median": round(float(col.median()), 6),
                "max": round(float(col.max()), 6),
            }
        return out


# ----------------------------------------------------------------------------- reading

Source = Union[str, os.PathLike, bytes, IO[bytes]]


def _read_bytes(source: Source) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "uploaded data"
    if hasattr(source, "read"):
        data = source.read()
        name = getattr(source, "name", "uploaded file")
        return (data.encode("utf-8") if isinstance(data, str) else data), str(name)
    path = Path(source)
    if not path.exists():
        raise CatalogError(f"{path}: no such file. Check the path, or load another file.")
    if path.is_dir():
        raise CatalogError(f"{path} is a folder; give the path of a CSV, CSV.gz or Parquet file.")
    try:
        return path.read_bytes(), str(path)
    except OSError as exc:
        raise CatalogError(f"{path}: cannot be read ({exc.strerror or exc}).") from None


def _gunzip(data: bytes, name: str, limit: int) -> bytes:
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            while chunk := fh.read(1 << 20):
                out.write(chunk)
                if out.tell() > limit:
                    raise CatalogError(
                        f"{name}: unpacks to more than {limit / 1024**3:.1f} GiB; refusing it as "
                        "a possible compression bomb. Load a smaller file or Parquet instead."
                    )
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise CatalogError(f"{name}: the gzip file is damaged or truncated ({exc}).") from None
    return out.getvalue()


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NUL bytes sit on every other position (Excel exports)."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _decode(data: bytes, name: str, warnings: list[str]) -> str:
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else None
    if encoding is None and b"\x00" in data[:65536]:
        encoding = _utf16_without_bom(data)
        if encoding is None:
            raise CatalogError(
                f"{name}: this is a binary file, not CSV or Parquet. Export your data as CSV "
                "(UTF-8) or Parquet and load that."
            )
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise CatalogError(
                f"{name}: looks like UTF-16 text but byte {exc.start} cannot be decoded (the file "
                "may be truncated). Save it as CSV UTF-8 and load it again."
            ) from None
        if "\x00" in text:
            raise CatalogError(
                f"{name}: this is a binary file, not CSV or Parquet. Export your data as CSV "
                "(UTF-8) or Parquet and load that."
            )
        return text.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise CatalogError(
                f"{name}: the text is not UTF-8 (byte {exc.start} cannot be read) nor "
                "Windows-1252. Save the file as CSV UTF-8 and load it again."
            ) from None
        warnings.append(
            "The file is not UTF-8; it was read as Windows-1252. Check that accented names look "
            "right, or save the file as CSV UTF-8."
        )
        return text


def read_table(source: Source, *, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> tuple[pd.DataFrame, str, list[str]]:
    """Read a CSV, CSV.gz or Parquet file (path, bytes or file object) as raw text columns.

    Returns ``(frame, source_name, warnings)``. Only the columns the alias table knows are
    returned; every header name of the file is in
    ``frame.attrs["source_columns"]`` and the number of malformed lines skipped in
    ``frame.attrs["bad_lines"]``. Raises :class:`CatalogError` with a specific message for
    empty, binary, zipped, damaged or wrongly encoded input.
    """
    return _read_table(source, max_bytes=max_bytes)


def _read_table(
    source: Source, *, max_bytes: int = MAX_DECOMPRESSED_BYTES, text_categories: bool = False
) -> tuple[pd.DataFrame, str, list[str]]:
    """:func:`read_table`; ``text_categories``: Parquet text columns other than the track
    ID stay pandas categoricals (dictionary-encoded, as stored), which :func:`canonical_rows`
    cleans once per distinct value (:func:`load_catalog` only)."""
    if isinstance(source, (str, os.PathLike)) and str(source).lower().endswith(".parquet"):
        path = Path(source)
        if not path.is_file():
            _read_bytes(path)  # raises the "no such file" / "is a folder" message
        return _read_parquet(path, str(path), text_categories), str(path), []
    data, name = _read_bytes(source)
    warnings: list[str] = []
    if not data or data.isspace():
        raise CatalogError(f"{name}: the file is empty. Load a CSV, CSV.gz or Parquet file with track rows.")
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, name, max_bytes)
        if not data or data.isspace():
            raise CatalogError(f"{name}: the compressed file holds nothing.")
    if data[:4] == b"PAR1":
        return _read_parquet(io.BytesIO(data), name, text_categories), name, warnings
    if data[:2] == b"PK":
        raise CatalogError(
            f"{name}: this is a zip archive (or an Excel workbook). Unzip it, or export the sheet "
            "as CSV, and load the CSV."
        )
    text = _decode(data, name, warnings)
    if not text or text.isspace():
        raise CatalogError(f"{name}: the file is empty. Load a CSV, CSV.gz or Parquet file with track rows.")
    sep = _sniff_sep(text)
    try:
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                sep=sep,
                # No usecols: with it pandas stops checking field counts, and a line with an
                # unquoted comma would shift its values into the wrong columns unnoticed.
                on_bad_lines="warn",
                engine="c",
            )
    except pd.errors.EmptyDataError:
        raise CatalogError(f"{name}: no header row was found. The first line must name the columns.") from None
    except (pd.errors.ParserError, ValueError, csv.Error, OverflowError, UnicodeError) as exc:
        raise CatalogError(f"{name}: this is not a readable CSV file ({_short(exc)}).") from None
    bad_lines = sum(str(w.message).count("Skipping line") for w in caught)
    header = [str(c) for c in frame.columns]
    frame = frame[[c for c in frame.columns if _known(c)]]
    if frame.shape[1] == 0:
        raise CatalogError(_missing_message(name, ["track_id", *AUDIO_FEATURES], header))
    frame.attrs["source_columns"] = header
    frame.attrs["bad_lines"] = bad_lines
    return frame, name, warnings


def _short(exc: Exception) -> str:
    msg = str(exc).strip().splitlines()
    return msg[0][:200] if msg else type(exc).__name__


def _sniff_sep(text: str) -> str:
    first = re.split(r"\r\n|\r|\n", text[:65536].lstrip(), maxsplit=1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


_KNOWN = {alias for names in ALIASES.values() for alias in names}
_KNOWN |= {"target", "liked", "label", "like", "songtitle"}  # label files (taste model)


def _known(column: object) -> bool:
    return normalize_header(column) in _KNOWN


def _read_parquet(source: Path | IO[bytes], name: str, text_categories: bool = False) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(source)
        names = [str(c) for c in schema.names]
        columns = [c for c in schema.names if _known(c)]
        if not columns:
            raise CatalogError(_missing_message(name, ["track_id", *AUDIO_FEATURES], names))
        if hasattr(source, "seek"):
            source.seek(0)
        # Text columns repeat values (one row per track x playlist): read them as the file
        # stores them, dictionary-encoded. Expanded here (one take per column), the 1M-track
        # file took 0.6 s instead of 0.7-1.1 s (less time in the kernel handing out fresh
        # memory); kept as categoricals, the text is cleaned once per distinct value. Track
        # IDs are nearly all distinct: read as they are.
        ids = set(ALIASES["track_id"])
        text = [
            f.name for f in schema
            if f.name in columns and normalize_header(f.name) not in ids
            and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
        ]
        table = pq.read_table(source, columns=columns, read_dictionary=text or None)
        for i, field in enumerate(table.schema):
            if not pa.types.is_dictionary(field.type):
                continue
            column = table.column(i)
            # pandas builds categories slowly (0.7 s for 286k artist names): only columns
            # with few distinct values per row stay categorical.
            distinct = sum(len(chunk.dictionary) for chunk in column.chunks)
            if not text_categories or distinct > _MAX_CATEGORY_SHARE * max(len(column), 1):
                table = table.set_column(i, field.name, column.cast(field.type.value_type))
        # self_destruct: Arrow buffers are freed column by column as pandas takes them over,
        # so the file is not held twice in memory.
        frame = table.to_pandas(self_destruct=True, split_blocks=True)
        del table
        _release_arrow_memory()
    except CatalogError:
        raise
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise CatalogError(f"{name}: the Parquet file is damaged or unreadable ({_short(exc)}).") from None
    # Nested values (lists, structs) and bytes are read as their text form, like a CSV cell.
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(_cell_text, na_action="ignore").astype("string")
    frame.attrs["source_columns"] = names
    frame.attrs["bad_lines"] = 0
    return frame


def _release_arrow_memory() -> None:
    """Hand memory Arrow's allocator keeps after frees back to the system: on a 1M-row file
    it holds ~800 MB of freed buffers otherwise, which counts against the process."""
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except Exception:  # an allocator without the call: nothing to release
        pass


def _cell_text(value: object) -> object:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        return repr(value.tolist())
    return value if isinstance(value, str) else str(value)


# ----------------------------------------------------------------------------- mapping

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


def _missing_message(name: str, missing: list[str], found: Iterable[object]) -> str:
    found = [str(c) for c in found if str(c).strip() and not str(c).startswith("Unnamed")]
    shown = ", ".join(c[:60] for c in found[:40]) + (f" (and {len(found) - 40} more)" if len(found) > 40 else "")
    hint = ""
    if "track_id" in missing:
        hint = " A track ID column may be named track_id, id, Track URI, uri or spotify_id."
    return (
        f"{name}: required columns are missing: {', '.join(missing)}. "
        f"Columns found: {shown or 'none'}.{hint} "
        "Load a file with a track ID column and the Spotify audio features, or an Exportify "
        "export."
    )


def _clean_text(series: pd.Series) -> pd.Series:
    if _is_categorical(series):  # once per distinct value
        return _spread(series, _clean_text(_categories(series)))
    s = series.astype("string").str.strip()
    return s.mask(s == "")


def _is_categorical(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.CategoricalDtype)


def _categories(series: pd.Series) -> pd.Series:
    """The distinct values of a categorical column as text, one row per category."""
    return pd.Series(series.cat.categories, dtype="string", name=series.name)


def _spread(series: pd.Series, per_category: pd.Series) -> pd.Series:
    """Results computed once per category of categorical ``series`` (a text Series in category
    order) spread to its rows with one Arrow take; rows with no value stay missing. Equals the
    result on the rows themselves for any function of the cell alone."""
    import pyarrow as pa

    codes = series.cat.codes.to_numpy()
    taken = pa.array(per_category.array).take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.array(taken, dtype=per_category.dtype), index=series.index, name=series.name)


def _recategorize(series: pd.Series, per_category: pd.Series) -> pd.Series:
    """Like :func:`_spread`, but the rows stay categorical: the categories become the
    distinct results (two raw values may clean to the same text; an empty result is a
    missing value) and only the integer codes are remapped, no text is copied per row.
    :func:`_as_text` turns it into text once the rows are final."""
    codes = series.cat.codes.to_numpy()
    result_codes, results = pd.factorize(per_category)  # per raw category: its result's code
    result_codes = np.append(np.asarray(result_codes, dtype=np.int32), np.int32(-1))
    mapped = result_codes[codes]  # code -1 (no value) reads the appended -1
    categories = pd.Index(results, dtype=per_category.dtype)
    return pd.Series(pd.Categorical.from_codes(mapped, dtype=pd.CategoricalDtype(categories)), index=series.index, name=series.name)


def _clean_column(series: pd.Series) -> pd.Series:
    """:func:`_clean_text` that keeps a categorical column categorical (see :func:`_recategorize`)."""
    if _is_categorical(series):
        return _recategorize(series, _clean_text(_categories(series)))
    return _clean_text(series)


def _as_text(series: pd.Series) -> pd.Series:
    """A text column as Arrow-backed ``string``; a categorical one by one Arrow take."""
    if _is_categorical(series):
        return _spread(series, _categories(series))
    return series.astype("string")


def _contains(series: pd.Series, text: str) -> bool:
    """Does any cell contain ``text``? (a categorical column: looked up in its categories)"""
    values = _categories(series) if _is_categorical(series) else series.astype("string")
    return bool(values.str.contains(text, regex=False).any())


def _at_codes(per_category: np.ndarray, series: pd.Series, missing: object) -> np.ndarray:
    """Per-category NumPy values spread to the rows of categorical ``series`` (``missing``
    where a row has no value)."""
    codes = series.cat.codes.to_numpy()
    out = np.full(len(codes), missing, dtype=per_category.dtype)
    has = codes >= 0
    out[has] = per_category[codes[has]]
    return out


def _parse_ids(series: pd.Series, kind: str = "track") -> pd.Series:
    return _parse_ids_checked(series, kind)[0]


def _parse_ids_checked(series: pd.Series, kind: str = "track") -> tuple[pd.Series, np.ndarray]:
    """:func:`_parse_ids` and, per row, whether the result is a valid ID (:func:`_valid_ids`)."""
    if _is_categorical(series):  # once per distinct value
        ids, valid = _parse_ids_checked(_categories(series), kind)
        return _recategorize(series, ids), _at_codes(valid, series, False)
    s = _clean_text(series)
    bare = _valid_ids(s)
    if bare.all():
        return s, bare.to_numpy()
    # spotify:track:ID URIs and open.spotify.com/track/ID links -> the bare ID.
    rest = s[~bare]
    extracted = rest.str.extract(rf"(?:spotify:{kind}:|/{kind}/)([0-9A-Za-z]+)", expand=False)
    out = s.copy()
    out[~bare] = extracted.fillna(rest).astype("string")
    return out, _valid_ids(out).to_numpy()


def _valid_ids(ids: pd.Series) -> pd.Series:
    """Vectorised :func:`~recommender.ids.is_track_id` (no Python call per row)."""
    checked = _valid_id_bytes(ids)
    if checked is not None:
        return pd.Series(checked, index=ids.index)
    return ids.str.fullmatch(r"[0-9A-Za-z]{22}").fillna(False).astype(bool)


_ID_ROWS_PER_STEP = 65_536  # bounds the temporary byte matrices to ~1.4 MB each


def _base62(codes: np.ndarray) -> np.ndarray:
    """Per byte: is it an ASCII digit or letter? (uint8 arithmetic wraps: one comparison per range)"""
    digit = (codes - np.uint8(48)) < 10
    letter = ((codes | np.uint8(32)) - np.uint8(97)) < 26  # | 32 lower-cases A-Z only onto a-z
    return digit | letter


def _text_chunks(texts: pd.Series) -> list | None:
    """The Arrow chunks behind a text column (None when it is not Arrow-backed text)."""
    import pyarrow as pa

    try:
        arr = pa.array(texts.array)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return None
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    if not all(pa.types.is_string(c.type) or pa.types.is_large_string(c.type) for c in chunks):
        return None
    return chunks


def _text_buffers(chunk) -> tuple[np.ndarray, np.ndarray]:
    """An Arrow text chunk's value offsets (``len(chunk) + 1`` of them, int64) and its bytes."""
    import pyarrow as pa

    _, offsets_buf, data_buf = chunk.buffers()
    offset_type = np.int32 if pa.types.is_string(chunk.type) else np.int64
    offsets = np.frombuffer(offsets_buf, dtype=offset_type)[chunk.offset : chunk.offset + len(chunk) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return offsets.astype(np.int64), data


def _valid_id_bytes(ids: pd.Series) -> np.ndarray | None:
    """What ``fullmatch('[0-9A-Za-z]{22}')`` answers, read from the Arrow string buffers: 22
    bytes that are all ASCII letters or digits (68 ms instead of the regex's 108 ms on a
    million IDs). None when ``ids`` is not Arrow-backed text."""
    chunks = _text_chunks(ids)
    if chunks is None:
        return None
    out = []
    for chunk in chunks:
        n = len(chunk)
        if n == 0:
            continue
        offsets, data = _text_buffers(chunk)
        ok = np.diff(offsets) == 22
        if chunk.null_count:
            ok &= chunk.is_valid().to_numpy(zero_copy_only=False)
        for lo in range(0, n, _ID_ROWS_PER_STEP):
            rows = lo + np.flatnonzero(ok[lo : lo + _ID_ROWS_PER_STEP])
            if len(rows) == 0:
                continue
            first, last = offsets[rows[0]], offsets[rows[-1]] + 22
            if last - first == 22 * len(rows):  # back to back: the bytes as one block
                block = data[first:last].reshape(len(rows), 22)
            else:
                block = data[offsets[rows][:, None] + np.arange(22)]
            ok[rows] = _base62(block).all(axis=1)
        out.append(ok)
    return np.concatenate(out) if out else np.zeros(0, dtype=bool)


# ['A', 'B'] with no quote or backslash inside a name: split without a Python parser.
_SIMPLE_LIST = r"\['[^'\"\\]*'(?:, '[^'\"\\]*')*\]"


def _parse_artists(series: pd.Series, source_norm: str) -> pd.Series:
    if _is_categorical(series):  # once per distinct value
        return _recategorize(series, _parse_artists(_categories(series), source_norm))
    s = _clean_text(series)
    sep = _ARTIST_SEPARATORS.get(source_norm)
    looks_listy = s.str.startswith("[").fillna(False).astype(bool)
    if sep is None and not looks_listy.any():
        return s  # one name per cell, already cleaned (no empty cells left)
    out = s.copy()
    if looks_listy.any():
        listy = s[looks_listy]
        simple = listy.str.fullmatch(_SIMPLE_LIST).fillna(False).astype(bool)
        parsed = listy.str.slice(2, -2).str.replace("', '", LIST_SEP, regex=False)
        if not simple.all():
            parsed[~simple] = listy[~simple].map(_literal_list).astype("string")
        out[looks_listy] = _tidy_list(parsed, ";")
    rest = ~looks_listy & s.notna()
    if sep is not None and rest.any():
        out[rest] = _tidy_list(s[rest], sep)
    return out.mask(out == "")


def _tidy_list(text: pd.Series, sep: str) -> pd.Series:
    """``'A ;B;; C'`` -> ``'A; B; C'`` (vectorised: no Python call per row)."""
    esc = re.escape(sep)
    # [ \t] rather than \s: pandas runs \s through Python's re, row by row (slow).
    joined = text.str.replace(rf"[ \t]*{esc}[ \t{esc}]*", LIST_SEP, regex=True)
    return joined.str.strip().str.strip(";").str.strip()


def _literal_list(cell: str) -> str:
    items: list = []
    if len(cell) < 100_000:  # literal_eval of a huge hostile cell is slow; fall back to a regex
        try:
            value = ast.literal_eval(cell)
            items = list(value) if isinstance(value, (list, tuple, set)) else [value]
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            items = []
    if not items:
        found = re.findall(r"'([^']*)'|\"([^\"]*)\"", cell)
        items = [a or b for a, b in found] if found else [cell.strip("[] ")]
    return LIST_SEP.join(str(i).strip() for i in items if str(i).strip())


def _as_float(text: pd.Series) -> pd.Series:
    """Parse cleaned text as float64, NaN where it is no number.

    Arrow's cast is ~30x faster than ``pd.to_numeric`` on text; when any cell is not a
    number it raises, and only then the slower, cell-by-cell coercion runs.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        values = pc.cast(pa.array(text.array), pa.float64()).to_numpy(zero_copy_only=False)
        return pd.Series(values, index=text.index, dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, TypeError):
        values = text.to_numpy(dtype=object, na_value=None)
        return pd.Series(pd.to_numeric(values, errors="coerce"), index=text.index, dtype="float64")


def _number_array(series: pd.Series, feature: str) -> np.ndarray:
    """:func:`_to_number` as a float64 array, without a copy of a NumPy float64 column."""
    if isinstance(series.dtype, np.dtype) and (pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series)):
        return np.asarray(series, dtype=np.float64)
    return _to_number(series, feature).to_numpy(dtype=np.float64)


def _to_number(series: pd.Series, feature: str) -> pd.Series:
    """Numbers as float64; text that is no number becomes NaN (callers count it)."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        if isinstance(series.dtype, np.dtype):  # NumPy numbers have no NA to fill
            return pd.Series(np.asarray(series, dtype=np.float64), index=series.index)
        return pd.Series(series.to_numpy(dtype="float64", na_value=np.nan), index=series.index)
    s = _clean_text(series)
    number = _as_float(s)
    failed = number.isna() & s.notna()
    if not failed.any():
        return number
    # Only the cells that are not plain numbers get the slower treatments.
    rest = s[failed]
    if feature == "key":
        # SpotifyFeatures.csv writes pitch names: C, C#, Db, ... B.
        upper = rest.str.upper().str.replace("♯", "#", regex=False).str.replace("♭", "B", regex=False)
        rest = upper.map(_PITCHES).astype("string").fillna(rest)
    elif feature == "mode":
        rest = rest.str.upper().map(_MODES).astype("string").fillna(rest)
    elif feature == "time_signature":
        rest = rest.str.replace(r"^([0-9]+) */ *[0-9]+$", r"\1", regex=True)  # "4/4" -> 4
    # A decimal comma ("0,52") from a spreadsheet set to a European locale.
    rest = rest.str.replace(r"^([+-]?[0-9]+),([0-9]+)$", r"\1.\2", regex=True)
    number[failed] = pd.to_numeric(rest.to_numpy(dtype=object, na_value=None), errors="coerce")
    return number


def _parse_bool(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series.astype("boolean")
    s = _clean_text(series).str.lower().str.replace(r"^([01])\.0+$", r"\1", regex=True)
    is_true = s.isin(_TRUE).to_numpy(dtype=bool)
    known = is_true | s.isin(_FALSE).to_numpy(dtype=bool)
    return pd.Series(pd.arrays.BooleanArray(is_true, ~known), index=series.index)


def _release_year(date: pd.Series | None, year: pd.Series | None, *, date_is_clean: bool = False) -> pd.Series:
    """Release year from a date's first four digits, else the year column (1900-2100).
    ``date_is_clean``: ``date`` is :func:`_clean_text` output already (it is not cleaned again)."""
    out = None
    if date is not None and _is_categorical(date):  # once per distinct date
        per_date = _release_year(_categories(date), None).to_numpy()
        out = pd.Series(_at_codes(per_date, date, np.nan), index=date.index)
    elif date is not None:
        head = (date if date_is_clean else _clean_text(date)).str.slice(0, 4)
        out = _as_float(head.where(head.str.fullmatch(r"[0-9]{4}").fillna(False).astype(bool)))
    if year is not None:
        y = _to_number(year, "year")
        out = y if out is None else out.fillna(y)
    if out is None:
        return pd.Series(np.nan, index=(date if date is not None else year).index)
    # Year 0 and far-future years are placeholders in some dumps: unknown.
    return out.where((out >= 1900) & (out <= 2100)).astype("float64")


def canonical_rows(raw: pd.DataFrame, mapping: dict[str, str], report: LoadReport) -> pd.DataFrame:
    """Turn raw source columns into canonical per-row columns, dropping unusable rows.

    Every drop is counted in ``report.dropped`` by reason. Sets ``report.track_list_only``
    when the file has no audio feature values at all (an Exportify export made after
    Spotify closed the audio-features endpoint).
    """
    n = len(raw)
    out = pd.DataFrame(index=raw.index)
    dropped: Counter[str] = Counter()

    if "track_id" in mapping:
        out["track_id"], valid_id = _parse_ids_checked(raw[mapping["track_id"]])
    for col in ("track_name", "album_name", "album_id", "release_date", "playlist_id", "playlist_name", "genre", "subgenre"):
        if col == "album_id" and col in mapping:
            continue  # parsed (and cleaned) just below
        # Categorical source columns stay categorical until the rows are final (build_catalog).
        out[col] = _clean_column(raw[mapping[col]]) if col in mapping else pd.Series(pd.NA, index=raw.index, dtype="string")
    if "album_id" in mapping:
        out["album_id"] = _parse_ids(raw[mapping["album_id"]], kind="album")
    if "artists" in mapping:
        out["artists"] = _parse_artists(raw[mapping["artists"]], normalize_header(mapping["artists"]))
    else:
        out["artists"] = pd.Series(pd.NA, index=raw.index, dtype="string")
    if "genre" in mapping:
        # Exportify 'Genres' holds several artist genres joined by commas. Cells without a
        # separator are already clean: only the others go through the regex.
        genre = out["genre"]
        if _contains(genre, ",") or _contains(genre, ";"):
            genre = _as_text(genre)
            listy = (genre.str.contains(",", regex=False) | genre.str.contains(";", regex=False)).fillna(False).astype(bool)
            genre[listy] = _tidy_list(genre[listy].str.replace(",", ";", regex=False), ";")
        out["genre"] = genre.mask(genre == "")
    date = raw[mapping["release_date"]] if "release_date" in mapping else None
    out["release_year"] = _release_year(
        date if date is None or _is_categorical(date) else out["release_date"],  # cleaned above
        raw[mapping["year"]] if "year" in mapping else None,
        date_is_clean=date is not None and not _is_categorical(date),
    ) if ("release_date" in mapping or "year" in mapping) else np.nan
    out["explicit"] = _parse_bool(raw[mapping["explicit"]]) if "explicit" in mapping else pd.Series(pd.NA, index=raw.index, dtype="boolean")

    if "popularity" in mapping:
        pop = _to_number(raw[mapping["popularity"]], "popularity")
        lo, hi = FEATURE_RANGES["popularity"]
        bad = pop.notna() & ((pop < lo) | (pop > hi))
        if bad.any():
            report.warnings.append(
                f"{int(bad.sum()):,} popularity values outside 0-100 were treated as unknown."
            )
        out["popularity"] = pop.mask(bad)
    else:
        out["popularity"] = np.nan
        report.warnings.append("The file has no popularity column: popularity is unknown, not zero.")

    # The row checks below work on NumPy arrays (a pandas operation per check and feature
    # cost ~0.3 s on a million rows).
    keep = np.ones(n, dtype=bool)
    if "track_id" in mapping:
        missing_id = out["track_id"].isna().to_numpy()
        dropped["missing track ID"] += int(missing_id.sum())
        malformed = ~missing_id & ~valid_id
        dropped["malformed track ID (not 22 base62 characters)"] += int(malformed.sum())
        keep &= ~missing_id & ~malformed

    present_features = [f for f in AUDIO_FEATURES if f in mapping]
    values = {f: _number_array(raw[mapping[f]], f) for f in present_features + [f for f in OPTIONAL_FEATURES if f in mapping]}
    nonempty = {
        f: (raw[mapping[f]].notna() if pd.api.types.is_numeric_dtype(raw[mapping[f]]) else _clean_text(raw[mapping[f]]).notna()).to_numpy()
        for f in present_features
    }
    # A feature column without a single value is as good as absent: unknown, not a reason to
    # drop every row.
    valued = [f for f in present_features if nonempty[f].any()]
    sound = [f for f in valued if f in _ENDPOINT_FEATURES]
    any_feature_value = len(sound) >= MIN_SOUND_FEATURES
    report.track_list_only = not any_feature_value
    report.missing_features = tuple(f for f in AUDIO_FEATURES if f not in valued) if any_feature_value else AUDIO_FEATURES
    for f in valued if any_feature_value else ():
        v = values[f]
        lo, hi = FEATURE_RANGES[f]
        finite = np.isfinite(v)
        unknown = np.isnan(v)
        empty = ~nonempty[f] & keep
        nonnum = nonempty[f] & unknown & keep
        nonfinite = ~unknown & ~finite & keep
        with np.errstate(invalid="ignore"):
            out_of_range = finite & ((v < lo) | (v > hi)) & keep
        dropped[f"missing {f}"] += int(empty.sum())
        dropped[f"{f} is not a number"] += int(nonnum.sum() + nonfinite.sum())
        dropped[f"{f} outside {lo:g} to {hi:g}"] += int(out_of_range.sum())
        keep &= ~(empty | nonnum | nonfinite | out_of_range)
    for f in AUDIO_FEATURES + OPTIONAL_FEATURES:
        if f in values:
            v = values[f]
            with np.errstate(invalid="ignore", over="ignore"):
                if f in OPTIONAL_FEATURES or not any_feature_value:
                    # Optional features, and what a track list still has (its duration): a
                    # bad value is unknown, not a reason to drop the track.
                    lo, hi = FEATURE_RANGES[f]
                    v = np.where(np.isfinite(v) & (v >= lo) & (v <= hi), v, np.nan)
                # Values beyond float32 (1e300) belong to rows already dropped: unknown, and
                # no overflow warning.
                column = v.astype(np.float32)
                column[~(np.abs(v) < 1e38)] = np.nan
                out[f] = column
        else:
            out[f] = np.float32(np.nan)

    report.dropped.update({k: v for k, v in dropped.items() if v})
    if report.track_list_only and sound:
        report.warnings.append(
            f"The file gives only one audio feature ({sound[0]}): comparing tracks by sound needs at least "
            f"{MIN_SOUND_FEATURES}, so it was loaded as a track list, usable as seeds or labels for tracks "
            "that are in the loaded catalog."
        )
    elif report.track_list_only:
        report.warnings.append(
            "The file has no audio feature values (Spotify stopped providing them to new apps "
            "in Nov 2024): it was loaded as a track list, usable as seeds or labels for tracks "
            "that are in the loaded catalog."
        )
    _log.debug("canonical rows: %d of %d kept", int(keep.sum()), n)
    return out[pd.Series(keep, index=raw.index)]


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 missing) and the distinct values, in first-seen order."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64), pd.Index(uniques)


# Odd 64-bit multipliers mixing an ID's three 8-byte words into one integer key.
_ID_KEY_MULTIPLIERS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


def _track_codes(ids: pd.Series) -> np.ndarray:
    """``_codes(ids)[0]`` for the track ID column. When every ID is 22 bytes of Arrow text
    (canonical IDs always are), each ID's bytes are mixed into one uint64 and those integers
    are factorized: 60 ms instead of 225-390 ms for hashing 1.16M strings. A mix shared by two
    different IDs is caught (every row is compared with its code's first row) and the strings
    are factorized instead."""
    words = _id_words(ids)
    if words is None:
        return _codes(ids)[0]
    m1, m2, m3 = _ID_KEY_MULTIPLIERS
    with np.errstate(over="ignore"):
        key = (words[:, 0] * m1) ^ (words[:, 1] * m2) ^ (words[:, 2] * m3)
    codes, distinct = pd.factorize(key)
    first = _first_rows(codes, len(distinct))
    if not np.array_equal(words[first[codes]], words):
        return _codes(ids)[0]
    return codes.astype(np.int64)


def _first_rows(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """Per code 0..n_codes-1: the first row that holds it (every code must occur)."""
    first = np.empty(n_codes, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write is the first row
    return first


def _id_words(ids: pd.Series) -> np.ndarray | None:
    """Each 22-byte ID as three uint64 words (zero-padded), read from the Arrow buffers; None
    unless the column is Arrow text of 22-byte values without missing ones."""
    chunks = _text_chunks(ids)
    if chunks is None or len(ids) == 0 or any(chunk.null_count for chunk in chunks):
        return None
    padded = np.zeros((len(ids), 24), dtype=np.uint8)
    start = 0
    for chunk in chunks:
        n = len(chunk)
        offsets, data = _text_buffers(chunk)
        if n and (offsets[-1] - offsets[0] != 22 * n or not (np.diff(offsets) == 22).all()):
            return None
        padded[start : start + n, :22] = data[offsets[0] : offsets[-1]].reshape(n, 22)
        start += n
    return padded.view(np.uint64)


def _first_occurrences(keys: np.ndarray) -> np.ndarray:
    """Positions of the first occurrence of each distinct key, in increasing order."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    if np.count_nonzero(keys[1:] < keys[:-1]) > len(keys) // 10:
        # Far from sorted: one hash pass (45 ms on 1.2M random keys; sorting took 225 ms).
        return np.flatnonzero(~pd.Series(keys).duplicated().to_numpy())
    # Nearly sorted (memberships grouped by track): the stable sort took 33 ms, hashing 69 ms.
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])
    return np.sort(order[starts])


def _distinct_rows(columns: list[np.ndarray]) -> np.ndarray:
    """Per row of integer code columns (-1 missing): is it the first row with its codes?
    (``~DataFrame.duplicated()``, on one combined int64 key when the codes fit in one)."""
    n = len(columns[0]) if columns else 0
    key = np.zeros(n, dtype=np.int64)
    span = 1
    for codes in columns:
        size = int(codes.max()) + 2 if n else 1  # codes + 1 lie in 0 .. max + 1
        if span * size >= 2**63:
            return ~pd.DataFrame(dict(enumerate(columns))).duplicated().to_numpy()
        key = key * size + (codes + 1)
        span *= size
    first = np.zeros(n, dtype=bool)
    first[_first_occurrences(key)] = True
    return first


def _joined_per_track(
    track_pos: np.ndarray, values: pd.Series, n_tracks: int, codes: tuple[np.ndarray, pd.Index] | None = None
) -> pd.Series:
    """Per track row: the distinct ``values`` of its memberships in first-seen order,
    ``'; '``-joined (NA when none). Integer codes and one Arrow ``binary_join``: no Python
    call per track, so a million-row file stays fast. ``codes``: ``_codes(values)``, when
    the caller has it already."""
    import pyarrow as pa
    import pyarrow.compute as pc

    codes, uniques = codes if codes is not None else _codes(values)
    ok = (codes >= 0) & (track_pos >= 0)
    t, v = track_pos[ok], codes[ok]
    first = _first_occurrences(t * (len(uniques) + 1) + v)  # each (track, value) once, file order
    t, v = t[first], v[first]
    if len(t) > 1 and not (t[1:] >= t[:-1]).all():  # already grouped by track (file order): keep
        order = np.argsort(t, kind="stable")  # grouped by track, file order within a track
        t, v = t[order], v[order]
    counts = np.bincount(t, minlength=n_tracks)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    items = pa.array(uniques.to_numpy(dtype=object), type=pa.large_string()).take(pa.array(v))
    joined = pc.binary_join(pa.LargeListArray.from_arrays(pa.array(offsets), items), pa.scalar(LIST_SEP, pa.large_string()))
    out = pd.Series(pd.array(joined, dtype="string"))  # stays in Arrow memory, no copy to objects
    return out.mask(counts == 0)


def _attach_membership_summary(
    tracks: pd.DataFrame, memberships: pd.DataFrame, track_pos: np.ndarray | None = None,
    codes: dict[str, tuple[np.ndarray, pd.Index]] | None = None,
) -> pd.DataFrame:
    """Add ``genres``, ``subgenres`` and ``playlist_count`` to the track rows.

    ``track_pos``: the track row of each membership, when the caller knows it already;
    ``codes``: ``_codes`` of the ``genre``, ``subgenre`` and ``playlist_id`` columns, likewise.
    """
    n = len(tracks)
    tracks = tracks.reset_index(drop=True)
    codes = codes or {}
    if len(memberships):
        if track_pos is None:
            track_pos = pd.Index(tracks["track_id"]).get_indexer(memberships["track_id"])
        track_pos = np.asarray(track_pos, dtype=np.int64)
        tracks["genres"] = _joined_per_track(track_pos, memberships["genre"], n, codes.get("genre"))
        tracks["subgenres"] = _joined_per_track(track_pos, memberships["subgenre"], n, codes.get("subgenre"))
        pl_codes, pl_names = codes["playlist_id"] if "playlist_id" in codes else _codes(memberships["playlist_id"])
        ok = (pl_codes >= 0) & (track_pos >= 0)
        pairs = track_pos[ok] * (len(pl_names) + 1) + pl_codes[ok]
        pairs = pairs[_first_occurrences(pairs)]
        tracks["playlist_count"] = np.bincount(pairs // (len(pl_names) + 1), minlength=n)
    else:
        tracks = tracks.assign(genres=np.nan, subgenres=np.nan, playlist_count=0)
    tracks["genres"] = tracks["genres"].astype("string")
    tracks["subgenres"] = tracks["subgenres"].astype("string")
    tracks["playlist_count"] = tracks["playlist_count"].fillna(0).astype("int32")
    return tracks


TRACK_COLUMNS = (
    "track_id", "track_name", "artists", "album_name", "album_id", "release_date",
    "release_year", "popularity", "explicit",
)
MEMBERSHIP_COLUMNS = ("track_id", "playlist_id", "playlist_name", "genre", "subgenre")


def build_catalog(rows: pd.DataFrame, report: LoadReport, name: str = "catalog") -> Catalog:
    """Collapse canonical rows to one row per track ID, keeping every membership.

    Rows that repeat an ID with different audio features are dropped (the first one wins) and
    counted; rows that repeat it with the same features add their playlist/genre membership.
    Track IDs are turned into integer codes once (first-seen order = track row order) and
    every grouping below works on those codes, not on strings.
    """
    features = [f for f in AUDIO_FEATURES + OPTIONAL_FEATURES if f in rows]
    codes = _track_codes(rows["track_id"])
    repeated = np.bincount(codes)[codes] > 1
    if repeated.any():
        at = np.flatnonzero(repeated)
        dups = rows[features].iloc[at]
        first = dups.groupby(codes[at], sort=False).transform("first")
        same = ((dups == first) | (dups.isna() & first.isna())).all(axis=1).to_numpy()
        if not same.all():
            conflicting = at[~same]
            report.dropped["duplicate track ID with conflicting audio features"] = int(len(conflicting))
            report.warnings.append(
                f"{len(conflicting):,} rows repeat a track ID with different audio features; the "
                "first row of each ID was kept."
            )
            keep = np.ones(len(rows), dtype=bool)
            keep[conflicting] = False
            rows, codes = rows[keep], codes[keep]
    membership = rows[list(MEMBERSHIP_COLUMNS)]
    has_group = membership[["playlist_id", "playlist_name", "genre", "subgenre"]].notna().any(axis=1).to_numpy()
    membership = membership[has_group].copy()
    member_pos: np.ndarray | None = codes[has_group]
    if _contains(membership["genre"], ";"):
        # Several genres in one cell (Exportify): one membership row per genre.
        membership["genre"] = _as_text(membership["genre"]).map(split_list, na_action="ignore")
        membership = membership.explode("genre")
        member_pos = None  # rows were repeated: look the tracks up again below
    # Exact duplicate memberships, found on integer codes (hashing strings is the slow part).
    member_codes = {
        c: _codes(membership[c]) for c in MEMBERSHIP_COLUMNS if not (c == "track_id" and member_pos is not None)
    }
    unique = _distinct_rows([
        member_pos if (c == "track_id" and member_pos is not None) else member_codes[c][0]
        for c in MEMBERSHIP_COLUMNS
    ])
    membership = membership[unique].reset_index(drop=True)
    summary_codes = None
    if member_pos is not None:
        member_pos = member_pos[unique]
        # Dropping later repeats keeps every value's first row: the codes stay first-seen codes.
        summary_codes = {c: (member_codes[c][0][unique], member_codes[c][1]) for c in ("genre", "subgenre", "playlist_id")}
    for col in MEMBERSHIP_COLUMNS:
        membership[col] = _as_text(membership[col])

    first_at = _first_rows(codes, int(codes.max()) + 1)
    tracks = rows[[c for c in TRACK_COLUMNS if c in rows] + features].iloc[first_at].reset_index(drop=True)
    if repeated.any():
        # Popularity can differ between snapshots of the same track: keep the highest known.
        pop = np.full(len(first_at), np.nan)
        np.fmax.at(pop, codes, rows["popularity"].to_numpy(dtype=np.float64, na_value=np.nan))
        tracks["popularity"] = pop
    tracks["popularity"] = tracks["popularity"].astype("float32")
    tracks["release_year"] = tracks["release_year"].astype("float32")
    for col in ("track_id", "track_name", "artists", "album_name", "album_id", "release_date"):
        tracks[col] = _as_text(tracks[col])
    tracks = _attach_membership_summary(tracks, membership, member_pos, summary_codes)
    _release_arrow_memory()
    report.tracks = len(tracks)
    report.merged_rows = len(rows) - len(tracks)  # same track again (another playlist): merged
    return Catalog(tracks=tracks, memberships=membership, report=report, name=name)


def load_catalog(source: Source, *, name: str | None = None, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> Catalog:
    """Load a catalog from a path, bytes or a file object; the layout is detected from headers.

    Raises :class:`CatalogError` when the file cannot be read or no usable track remains; the
    message says what is wrong and what to do. Otherwise every dropped row is counted in
    ``catalog.report``.
    """
    source_name = _source_name(source)
    try:
        # A list the callee empties: the raw table can be freed as soon as it is parsed.
        loaded = list(_read_table(source, max_bytes=max_bytes, text_categories=True))
        source_name = loaded[1]
        return _catalog_from_raw(loaded, name)
    except TastemapError:
        raise
    except (MemoryError, RecursionError):
        raise CatalogError(f"{source_name}: the file is too large or too deeply nested to load here.") from None
    except Exception as exc:
        # A bug of ours, not the user's fault: keep the trace in the log, give a message.
        _log.exception("unexpected error while loading %s", source_name)
        raise CatalogError(
            f"{source_name}: could not be loaded because of an unexpected problem "
            f"({type(exc).__name__}). Check that it is a Spotify tracks CSV or Parquet file."
        ) from None


def _source_name(source: object) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return str(getattr(source, "name", "uploaded data"))


def _catalog_from_raw(loaded: list, name: str | None) -> Catalog:
    """``loaded`` = ``[raw frame, source name, warnings]`` as from :func:`read_table`; the
    list is emptied so that the raw frame is freed once its rows are parsed (peak memory)."""
    raw, source_name, warnings = loaded
    loaded.clear()
    header = raw.attrs.get("source_columns") or [str(c) for c in raw.columns]
    bad_lines = int(raw.attrs.get("bad_lines", 0))
    report = LoadReport(source=source_name, rows_read=len(raw) + bad_lines, warnings=warnings)
    if bad_lines:
        report.dropped["line with the wrong number of fields"] = bad_lines
        report.warnings.append(f"{bad_lines:,} lines had the wrong number of fields and were skipped.")
    report.layout = identify_layout(header)
    mapping = map_columns(raw.columns)
    report.columns = mapping
    report.unused_columns = [c for c in header if c not in mapping.values()]
    if "track_id" not in mapping:
        raise CatalogError(_missing_message(source_name, ["track_id"], header))
    if len(raw) == 0:
        raise CatalogError(
            f"{source_name}: the file has a header but no rows. Load a file with at least one track."
        )
    raw.attrs["source_columns"] = header
    rows = canonical_rows(raw, mapping, report)
    del raw
    _release_arrow_memory()
    if rows.empty:
        reasons = "; ".join(f"{v:,} {k}" for k, v in report.dropped.items()) or "no rows"
        raise CatalogError(
            f"{source_name}: no usable track remains after checking every row ({reasons}). "
            "Fix those values or load another file."
        )
    return build_catalog(rows, report, name=name or Path(source_name).name)


def load_default_catalog() -> Catalog:
    """The embedded TidyTuesday catalog (28,356 tracks in 471 playlists)."""
    return load_catalog(DEFAULT_CATALOG_PATH, name="spotify_songs (TidyTuesday 2020-01-21)")
