"""A listener's playlist: find its tracks, sort and filter them by sound, export the new order.

This is what Spotify's retired "Organize Your Music" was loved for: put a playlist's tracks
on the BPM / energy / mood axes, re-order it (a warm-up by BPM, a calm-down by energy) and
take the new order back to Spotify. A playlist comes either as pasted track IDs / URIs /
links, looked up in the catalog in use, or as a loaded Exportify file (a :class:`Catalog` of
its own, which carries its own audio features when it was exported before Nov 2024).

Nothing is dropped silently: every pasted item or file track that cannot be placed on the
plots comes back as an :class:`Unresolved` with the reason in plain words.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .catalog import Catalog
from .ids import parse_track_ids, track_uri, track_url

__all__ = [
    "FILTER_FEATURES",
    "MAX_PLAYLIST_TRACKS",
    "PLAYLIST_ORDER",
    "REQUIRED_FEATURES",
    "SORT_FEATURES",
    "Playlist",
    "Unresolved",
    "export_table",
    "filter_tracks",
    "from_file",
    "from_pasted",
    "sort_tracks",
    "spotify_links",
]

# Spotify playlists hold at most 10,000 tracks; a longer file is a catalog, not a playlist.
MAX_PLAYLIST_TRACKS = 10_000
PLAYLIST_ORDER = "position"  # the sort key that restores the playlist's own order
# What a listener sorts and filters a playlist by (the Organize Your Music axes).
SORT_FEATURES: tuple[str, ...] = ("tempo", "energy", "valence", "danceability", "acousticness", "popularity")
FILTER_FEATURES: tuple[str, ...] = ("tempo", "energy", "valence", "danceability")
# Features a track needs to be sorted, filtered and placed on the map; without one of them it
# is listed as unresolved, with the missing ones named.
REQUIRED_FEATURES: tuple[str, ...] = ("tempo", "energy", "valence", "danceability")
_NEEDED = REQUIRED_FEATURES  # the name app.py imported first (its Home notice); kept for it
_WORDS = {"tempo": "BPM", "energy": "energy", "valence": "mood (valence)", "danceability": "danceability"}

# Export headers: Exportify's names (so the file loads back into Tastemap, or into any tool that
# reads Exportify files), "Artists" joined with "; " as in the catalog (Exportify joins with
# commas, which breaks names such as "Tyler, The Creator").
_EXPORT_TEXT = {
    "track_name": "Track Name",
    "artists": "Artists",
    "album_name": "Album Name",
    "release_date": "Release Date",
}
_EXPORT_NUMBERS = {
    "popularity": "Popularity",
    "tempo": "Tempo",
    "energy": "Energy",
    "valence": "Valence",
    "danceability": "Danceability",
    "acousticness": "Acousticness",
    "instrumentalness": "Instrumentalness",
    "speechiness": "Speechiness",
    "liveness": "Liveness",
    "loudness": "Loudness",
    "key": "Key",
    "mode": "Mode",
    "time_signature": "Time Signature",
    "duration_ms": "Duration (ms)",
}
# Whole numbers by nature: written as 3, not 3.0.
_INTEGER_COLUMNS = {"popularity", "key", "mode", "time_signature", "duration_ms"}


@dataclass(frozen=True)
class Unresolved:
    """One pasted item or file track that is not on the plots, and why (plain words)."""

    item: str
    reason: str


@dataclass
class Playlist:
    """The resolved tracks in playlist order, and what could not be resolved.

    ``tracks`` has the catalog's track columns plus ``position`` (1 = first in the playlist).
    """

    tracks: pd.DataFrame
    unresolved: list[Unresolved] = field(default_factory=list)
    duplicates: int = 0
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tracks)


def _empty_tracks(catalog: Catalog) -> pd.DataFrame:
    return catalog.tracks.iloc[:0].assign(position=pd.Series(dtype="int64"))


def _with_features(rows: pd.DataFrame) -> np.ndarray:
    """True for rows whose required features are all known."""
    if any(f not in rows for f in REQUIRED_FEATURES):
        return np.zeros(len(rows), dtype=bool)
    return rows[list(REQUIRED_FEATURES)].notna().all(axis=1).to_numpy()


def _missing_words(row: pd.Series) -> str:
    """'energy and danceability': the required features a track lacks, in words."""
    missing = [_WORDS[f] for f in REQUIRED_FEATURES if f not in row or pd.isna(row[f])]
    return missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]


def _cap(ids: list[str], notes: list[str]) -> list[str]:
    if len(ids) > MAX_PLAYLIST_TRACKS:
        notes.append(
            f"Only the first {MAX_PLAYLIST_TRACKS:,} of {len(ids):,} tracks are used: a Spotify playlist "
            f"holds at most {MAX_PLAYLIST_TRACKS:,}. To explore a whole catalog, load it on the Home page."
        )
        return ids[:MAX_PLAYLIST_TRACKS]
    return ids


def _lookup(ids: Sequence[str], catalog: Catalog, not_found: str) -> tuple[pd.DataFrame, list[Unresolved]]:
    """The catalog rows of ``ids`` (in order, ``position`` 1..n over every ID), and the IDs
    that are missing (``not_found``) or have no audio features there."""
    if not ids:
        return _empty_tracks(catalog), []
    positions = catalog.positions(list(ids))
    found = positions >= 0
    rows = catalog.tracks.iloc[positions[found]].copy()
    rows["position"] = np.flatnonzero(found) + 1
    usable = _with_features(rows)
    unresolved = [Unresolved(t, not_found) for t, ok in zip(ids, found) if not ok]
    if not usable.all():
        unresolved += [
            Unresolved(row["track_id"], f"in the catalog in use ({catalog.name}), but without its "
                       f"{_missing_words(row)} there: load a catalog that has it on the Home page, or upload the "
                       "playlist as an Exportify file with audio features")
            for _, row in rows[~usable].iterrows()
        ]
        rows = rows[usable]
    order = {t: i for i, t in enumerate(ids)}
    unresolved.sort(key=lambda u: order.get(u.item, len(order)))
    return rows.reset_index(drop=True), unresolved


def from_pasted(text: str | None, catalog: Catalog) -> Playlist:
    """The tracks pasted as IDs, ``spotify:track:`` URIs or open.spotify.com links (mixed),
    looked up in ``catalog``. Repeated tracks count once; every item that cannot be used is
    returned with its reason. Never raises on user text."""
    parsed = parse_track_ids(text)
    notes: list[str] = []
    ids = _cap(list(parsed.ids), notes)
    not_found = (
        f"a valid track ID, but not in the catalog in use ({catalog.name}): load a catalog that has it "
        "on the Home page, or upload the playlist as an Exportify file, which carries its own audio features"
    )
    tracks, unresolved = _lookup(ids, catalog, not_found)
    invalid = [Unresolved(t.token[:200], t.reason) for t in parsed.invalid]
    return Playlist(tracks=tracks, unresolved=invalid + unresolved, duplicates=parsed.duplicates, notes=notes)


def from_file(playlist: Catalog, catalog: Catalog) -> Playlist:
    """The tracks of a loaded playlist file (an Exportify export, read by ``load_catalog``).

    A file with audio features brings its own. A file without them (exported after Spotify
    closed the audio-features endpoint in Nov 2024) is a track list: its tracks are looked up
    in ``catalog``, the catalog in use.
    """
    notes = _file_notes(playlist)
    report = playlist.report
    repeats = max(0, report.rows_read - sum(report.dropped.values()) - len(playlist))
    if len(playlist) > MAX_PLAYLIST_TRACKS:
        notes.append(
            f"This file holds {len(playlist):,} tracks: a Spotify playlist holds at most "
            f"{MAX_PLAYLIST_TRACKS:,}, so it looks like a whole catalog. Only its first "
            f"{MAX_PLAYLIST_TRACKS:,} tracks are used here; to explore all of them, load it on the Home page."
        )
    if playlist.has_features:
        rows = playlist.tracks.iloc[:MAX_PLAYLIST_TRACKS].copy()
        rows["position"] = np.arange(1, len(rows) + 1)
        usable = _with_features(rows)
        unresolved = []
        if not usable.all():
            # The file lacks some of them: the catalog in use may have them.
            lacking = rows[~usable]
            found, _ = _lookup(lacking["track_id"].astype(str).tolist(), catalog, "")
            found = found.assign(position=lacking["position"].to_numpy()[found["position"].to_numpy() - 1])
            have = set(found["track_id"])
            unresolved = [
                Unresolved(_named(row), f"the file has no {_missing_words(row)} for it, and the catalog in use "
                           f"({catalog.name}) does not have them either")
                for _, row in lacking.iterrows() if row["track_id"] not in have
            ]
            rows = pd.concat([rows[usable], found], ignore_index=True).sort_values("position", kind="stable")
            if len(found):
                notes.append(f"For {len(found)} track(s) the file lacks some of BPM, energy, mood and "
                             f"danceability: their audio features come from the catalog in use ({catalog.name}).")
            return Playlist(tracks=rows.reset_index(drop=True), unresolved=unresolved, duplicates=repeats,
                            notes=notes)
        return Playlist(tracks=rows[usable].reset_index(drop=True), unresolved=unresolved, duplicates=repeats,
                        notes=notes)
    ids = playlist.tracks["track_id"].astype(str).tolist()[:MAX_PLAYLIST_TRACKS]
    notes.append(
        "The file has no audio features (Exportify files made after Nov 2024 lack them): its tracks "
        f"were looked up in the catalog in use ({catalog.name})."
    )
    names = dict(zip(playlist.tracks["track_id"].astype(str), playlist.tracks["track_name"]))
    not_found = (
        f"in your file, which has no audio features, and not in the catalog in use ({catalog.name}): "
        "load a catalog that has it on the Home page"
    )
    tracks, unresolved = _lookup(ids, catalog, not_found)
    # Name the track (the ID alone means nothing to a listener).
    unresolved = [
        Unresolved(f"{names[u.item]} ({u.item})" if isinstance(names.get(u.item), str) else u.item, u.reason)
        for u in unresolved
    ]
    return Playlist(tracks=tracks, unresolved=unresolved, duplicates=repeats, notes=notes)


def _file_notes(playlist: Catalog) -> list[str]:
    """The rows the loader left out of the file, by reason (nothing disappears unsaid)."""
    notes = []
    for reason, count in playlist.report.dropped.items():
        if "track ID" in reason:
            reason = (f"{'their' if count != 1 else 'its'} track ID is missing or not a Spotify track ID "
                      "(local files and podcast episodes in a playlist have none)")
        notes.append(f"{count:,} row{'s' if count != 1 else ''} of the file left out: {reason}.")
    return notes


def _named(row: pd.Series) -> str:
    """'Title (ID)' for a file's track, or the ID alone when it has no title."""
    title = row.get("track_name")
    return f"{title} ({row['track_id']})" if isinstance(title, str) else str(row["track_id"])


def sort_tracks(tracks: pd.DataFrame, by: str = PLAYLIST_ORDER, *, descending: bool = False) -> pd.DataFrame:
    """``tracks`` sorted by one column (stable: ties keep the playlist order; unknown values last).

    ``by="position"`` restores the playlist's own order (``descending`` reverses it).
    """
    if by not in tracks:
        raise KeyError(f"cannot sort by {by!r}: the tracks have no such column")
    keys = tracks[by].to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(keys)
    # Sort the known values (negated for descending, which keeps ties in playlist order),
    # then append the unknown ones in playlist order.
    known_at = np.flatnonzero(known)
    values = -keys[known_at] if descending else keys[known_at]
    order = np.concatenate([known_at[np.argsort(values, kind="stable")], np.flatnonzero(~known)])
    return tracks.iloc[order].reset_index(drop=True)


def filter_tracks(tracks: pd.DataFrame, ranges: Mapping[str, tuple[float, float]]) -> pd.DataFrame:
    """The tracks whose every named feature lies within its ``(low, high)`` range (both ends
    included). A track whose value is unknown fails a range on that feature."""
    keep = np.ones(len(tracks), dtype=bool)
    for feature, (low, high) in ranges.items():
        if feature not in tracks:
            raise KeyError(f"cannot filter on {feature!r}: the tracks have no such column")
        values = tracks[feature].to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(invalid="ignore"):
            keep &= (values >= float(low)) & (values <= float(high))
    return tracks[keep].reset_index(drop=True)


def export_table(tracks: pd.DataFrame) -> pd.DataFrame:
    """The tracks in their current order, ready to write as CSV.

    Columns: ``Position`` (1 = first in the new order), ``Original Position``, title, artists,
    album, release date, popularity and the audio features under Exportify's header names,
    then ``Track URI`` and ``Spotify URL``. Whole numbers are integers (empty when unknown);
    the file loads back into Tastemap.
    """
    n = len(tracks)
    out = pd.DataFrame({"Position": pd.array(np.arange(1, n + 1), dtype="Int64")})
    if "position" in tracks:
        out["Original Position"] = pd.array(tracks["position"].to_numpy(), dtype="Int64")
    for column, header in _EXPORT_TEXT.items():
        if column in tracks:
            out[header] = tracks[column].astype(object).where(tracks[column].notna(), None).to_numpy()
    for column, header in _EXPORT_NUMBERS.items():
        if column not in tracks:
            continue
        values = tracks[column].to_numpy(dtype="float64", na_value=np.nan)
        if column in _INTEGER_COLUMNS:
            out[header] = pd.array(np.where(np.isnan(values), np.nan, np.round(values)), dtype="Float64").astype("Int64")
        else:
            # Catalog features are float32: written through float64 they read 171.029007 for
            # 171.029. Their shortest float32 text is the value the file had.
            out[header] = np.round(values.astype(np.float32).astype(str).astype(np.float64), 6)
    ids = tracks["track_id"].astype(str).tolist() if "track_id" in tracks else []
    out["Track URI"] = [track_uri(t) for t in ids]
    out["Spotify URL"] = [track_url(t) for t in ids]
    return out


def spotify_links(tracks: pd.DataFrame) -> str:
    """open.spotify.com links of the tracks in their current order, one per line (pasting them
    into a Spotify playlist in the desktop app adds the tracks in that order)."""
    return "\n".join(track_url(t) for t in tracks["track_id"].astype(str))
