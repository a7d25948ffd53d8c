"""What Spotify answered, as small result types: a track, a lookup, a playlist import, a
saved playlist. Partial results carry ``error`` instead of being lost to an exception."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..catalog import Catalog
from ..ids import InvalidToken, is_track_id, track_url

__all__ = ["PlaylistImport", "SavedPlaylist", "SpotifyTrack", "TrackLookup"]


@dataclass(frozen=True)
class SpotifyTrack:
    """What Spotify says about one track (``popularity`` is gone for new apps: ``None``)."""

    track_id: str
    track_name: str
    artists: tuple[str, ...] = ()
    album_name: str | None = None
    album_id: str | None = None
    release_date: str | None = None
    explicit: bool | None = None
    duration_ms: float | None = None
    popularity: float | None = None

    @property
    def url(self) -> str:
        return track_url(self.track_id)

    def to_row(self) -> dict[str, Any]:
        return {
            "track_id": self.track_id,
            "track_name": self.track_name,
            "artists": "; ".join(self.artists),
            "album_name": self.album_name,
            "release_date": self.release_date,
            "url": self.url,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SpotifyTrack | None:
        if not isinstance(data, Mapping):
            return None
        track_id = data.get("id")
        if not is_track_id(track_id):
            return None
        album = data.get("album") if isinstance(data.get("album"), Mapping) else {}
        artists = tuple(
            str(a.get("name")) for a in data.get("artists") or () if isinstance(a, Mapping) and a.get("name")
        )
        popularity = data.get("popularity")
        return cls(
            track_id=track_id,
            track_name=str(data.get("name") or ""),
            artists=artists,
            album_name=album.get("name"),
            album_id=album.get("id") if is_track_id(album.get("id")) else None,
            release_date=album.get("release_date"),
            explicit=data.get("explicit") if isinstance(data.get("explicit"), bool) else None,
            duration_ms=float(data["duration_ms"]) if isinstance(data.get("duration_ms"), (int, float)) else None,
            popularity=float(popularity) if isinstance(popularity, (int, float)) else None,
        )


_LOOKUP_COLUMNS = ["track_id", "track_name", "artists", "album_name", "release_date", "url"]


@dataclass
class TrackLookup:
    """Tracks named by Spotify, the IDs it does not know, and an error if it stopped early."""

    tracks: list[SpotifyTrack] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    invalid: list[InvalidToken] = field(default_factory=list)
    not_looked_up: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def complete(self) -> bool:
        return self.error is None

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([t.to_row() for t in self.tracks], columns=_LOOKUP_COLUMNS)


_PLAYLIST_COLUMNS = ["track_id", "track_name", "artists", "in_catalog"]


@dataclass
class PlaylistImport:
    """The tracks read from a playlist so far; ``error`` says why it stopped early, if it did.

    A partial import keeps everything it got; pass it back to
    :meth:`SpotifyClient.import_playlist` as ``resume`` to fetch the rest.
    """

    playlist_id: str
    tracks: list[SpotifyTrack] = field(default_factory=list)
    total: int | None = None
    next_offset: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def complete(self) -> bool:
        return self.error is None

    @property
    def track_ids(self) -> list[str]:
        return [t.track_id for t in self.tracks]

    def frame(self, catalog: Catalog | None = None) -> pd.DataFrame:
        """``track_id, track_name, artists, in_catalog`` (in_catalog False without a catalog)."""
        rows = [t.to_row() for t in self.tracks]
        frame = pd.DataFrame(rows, columns=_LOOKUP_COLUMNS)[["track_id", "track_name", "artists"]]
        if catalog is not None and len(frame):
            frame["in_catalog"] = catalog.positions(frame["track_id"]) >= 0
        else:
            frame["in_catalog"] = pd.Series(False, index=frame.index, dtype=bool)
        return frame[_PLAYLIST_COLUMNS]

    def summary(self) -> str:
        total = f" of {self.total}" if self.total is not None else ""
        parts = [f"{len(self.tracks)} tracks read{total}"]
        parts += [f"{n} {why} skipped" for why, n in self.skipped.items() if n]
        return ", ".join(parts)


@dataclass
class SavedPlaylist:
    """A playlist created from recommendations; ``error`` when not every track was added."""

    playlist_id: str
    name: str
    added: int
    requested: int
    error: str | None = None

    @property
    def url(self) -> str:
        return f"https://open.spotify.com/playlist/{self.playlist_id}"

    @property
    def complete(self) -> bool:
        return self.error is None
