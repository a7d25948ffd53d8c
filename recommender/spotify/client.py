"""What the app asks of Spotify: name tracks, fetch audio features, read and save playlists.

Spotify has closed much of its API to new apps (audio features and recommendations since
Nov 2024; batch ``GET /tracks``, ``popularity`` and ``/playlists/{id}/tracks`` for
development-mode apps since Feb 2026), so each call falls back or stops politely: a refused
batch becomes one request per track, a refused audio-features call is not tried again, and a
failure part-way keeps what was read with ``error`` set.
"""
from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from ..catalog import AUDIO_FEATURES, OPTIONAL_FEATURES
from ..errors import SpotifyApiError, SpotifyError
from ..ids import InvalidToken, is_track_id, parse_track_ids, track_uri
from .connection import ACCESS_HINT, SpotifyConnection
from .models import PlaylistImport, SavedPlaylist, SpotifyTrack, TrackLookup
from .playlist_links import parse_playlist_id
from .redaction import LOGGER_NAME

__all__ = ["ADD_BATCH", "AUDIO_FEATURES_CLOSED", "TRACKS_BATCH", "SpotifyClient"]

_log = logging.getLogger(LOGGER_NAME)

# spotipy marks audio_features as deprecated; we call it on purpose, once, and handle the 403.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"spotipy(\.|$)")

ADD_BATCH = 100  # POST /playlists/{id}/items takes at most 100 URIs
TRACKS_BATCH = 50  # GET /tracks?ids= takes at most 50 IDs
_TRACK_CACHE_LIMIT = 20_000

AUDIO_FEATURES_CLOSED = (
    "Spotify does not give audio features to this app (HTTP 403): the audio-features endpoint "
    "is closed to apps created after 27 Nov 2024 and to development-mode apps. Tracks that are "
    "not in the catalog can be named and linked, but not recommended from. To use them, load a "
    "data set that has their audio features (Tastemap reads the common Kaggle and "
    "Exportify layouts)."
)
_PLAYLIST_FORBIDDEN = (
    "Spotify does not let this app read that playlist (HTTP 403). Since Feb 2026 a "
    "development-mode app may only read the items of playlists the logged-in user owns or "
    "collaborates on: log in on the Spotify page as that user, or copy the playlist into one "
    "of your own. " + ACCESS_HINT
)
_PLAYLIST_NOT_FOUND = (
    "Spotify has no playlist {id} that this app may see (HTTP 404). Check the link; note that "
    "playlists made by Spotify (editorial and 'Made for you' mixes) are hidden from apps "
    "created after Nov 2024."
)


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class SpotifyClient(SpotifyConnection):
    """One session's connection to Spotify (app token for catalog reads, user token to log in).

    Parameters
    ----------
    credentials : the app's client ID / secret (and redirect URI for logging users in).
    config : endpoints and patience; default :meth:`SpotifyConfig.from_env`.
    token_store : where the logged-in user's token lives (pass the session's state); a
        private dict by default. Never shared between users.
    on_wait : called as ``on_wait(seconds, message)`` before every wait (429 or backoff), so a
        page or the CLI can show it.
    sleep : the waiting function (``time.sleep``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # SpotifyConnection's parameters (above)
        super().__init__(*args, **kwargs)
        # What this client has learnt about Spotify: named tracks and which endpoints it refuses.
        self._track_cache: dict[str, SpotifyTrack | None] = {}
        self._batch_tracks: bool | None = None  # None: not tried yet
        self._audio_features: bool | None = None
        self.audio_features_notice: str | None = None
        self._lock = threading.RLock()

    # -- tracks ---------------------------------------------------------------------------

    def lookup_tracks(self, ids: str | Iterable[str]) -> TrackLookup:
        """Name tracks: title, artists, album, link. Accepts pasted text or a list of IDs.

        Tries the batch endpoint once; where Spotify refuses it (development-mode apps since
        Feb 2026) it looks tracks up one by one. Answers are cached for this client. If Spotify
        fails part-way, the tracks named so far are kept and ``error`` says what happened.
        """
        if isinstance(ids, str):
            parsed = parse_track_ids(ids)
            wanted, invalid = parsed.ids, list(parsed.invalid)
        else:
            wanted, invalid = [], []
            for value in ids:
                if is_track_id(value):
                    if value not in wanted:
                        wanted.append(value)
                else:
                    invalid.append(InvalidToken(str(value), "not a 22-character Spotify track ID"))
        result = TrackLookup(invalid=invalid)
        with self._lock:
            todo = [i for i in wanted if i not in self._track_cache]
            try:
                if todo and self._batch_tracks is not False:
                    self._lookup_batch(todo)
                    todo = [i for i in todo if i not in self._track_cache]
                for position, track_id in enumerate(todo):
                    try:
                        data = self._call(f"looking up track {track_id}", lambda t=track_id: self._app.track(t))
                    except SpotifyApiError as exc:
                        if exc.status in (400, 404):
                            self._remember(track_id, None)
                            continue
                        result.not_looked_up = todo[position:]
                        raise
                    self._remember(track_id, SpotifyTrack.from_json(data))
            except SpotifyError as exc:
                result.error = str(exc)
                if not result.not_looked_up:
                    result.not_looked_up = [i for i in wanted if i not in self._track_cache]
            for track_id in wanted:
                if track_id in result.not_looked_up:
                    continue
                track = self._track_cache.get(track_id)
                if track is None:
                    result.not_found.append(track_id)
                else:
                    result.tracks.append(track)
        return result

    def _remember(self, track_id: str, track: SpotifyTrack | None) -> None:
        if len(self._track_cache) >= _TRACK_CACHE_LIMIT:
            self._track_cache.clear()
        self._track_cache[track_id] = track

    def _lookup_batch(self, ids: list[str]) -> None:
        for chunk in _chunks(ids, TRACKS_BATCH):
            try:
                data = self._call("looking up tracks", lambda c=chunk: self._app.tracks(c))
            except SpotifyApiError as exc:
                if exc.status in (403, 404, 410) and self._batch_tracks is None:
                    # Gone for development-mode apps since Feb 2026: one request per track.
                    _log.info("batch GET /tracks refused (HTTP %s): looking tracks up one by one", exc.status)
                    self._batch_tracks = False
                    return
                raise
            self._batch_tracks = True
            for track_id, item in zip(chunk, (data or {}).get("tracks") or []):
                self._remember(track_id, SpotifyTrack.from_json(item) if item else None)

    def audio_features(self, ids: Iterable[str]) -> pd.DataFrame | None:
        """Audio features for ``ids`` if this app may read them, else ``None``.

        Tried once per client: after a 403 (closed to new apps since Nov 2024) it returns
        ``None`` without calling Spotify again and :attr:`audio_features_notice` says why.
        """
        wanted = [i for i in dict.fromkeys(ids) if is_track_id(i)]
        if self._audio_features is False or not wanted:
            return None
        rows: list[dict[str, Any]] = []
        for chunk in _chunks(wanted, 100):
            try:
                items = self._call("fetching audio features", lambda c=chunk: self._app.audio_features(c))
            except SpotifyApiError as exc:
                if exc.status in (403, 404, 410):
                    self._audio_features = False
                    self.audio_features_notice = AUDIO_FEATURES_CLOSED
                    _log.info("audio features refused (HTTP %s)", exc.status)
                    return None
                raise
            self._audio_features = True
            for item in items or []:
                if isinstance(item, Mapping) and is_track_id(item.get("id")):
                    rows.append({"track_id": item["id"], **{f: item.get(f) for f in AUDIO_FEATURES + OPTIONAL_FEATURES}})
        columns = ["track_id", *AUDIO_FEATURES, *OPTIONAL_FEATURES]
        frame = pd.DataFrame(rows, columns=columns)
        for f in AUDIO_FEATURES + OPTIONAL_FEATURES:
            frame[f] = pd.to_numeric(frame[f], errors="coerce").astype("float32")
        return frame

    # -- playlists ------------------------------------------------------------------------

    def import_playlist(
        self,
        link: str,
        *,
        resume: PlaylistImport | None = None,
        on_progress: Callable[[int, int | None], None] | None = None,
    ) -> PlaylistImport:
        """Read every track of a playlist (``/playlists/{id}/items``, all pages).

        Uses the logged-in user's token when there is one (development-mode apps may only
        read playlists the user owns or collaborates on), else the app's. Raises
        :class:`SpotifyError` only when nothing could be read; a failure on a later page
        returns what was read with ``error`` set. Pass an incomplete result as ``resume`` to
        continue where it stopped.
        """
        playlist_id = parse_playlist_id(link)
        user = self.logged_in
        sp = self._user_client() if user else self._app
        if resume is not None and resume.playlist_id == playlist_id:
            result = replace(resume, tracks=list(resume.tracks), skipped=dict(resume.skipped), error=None)
        else:
            result = PlaylistImport(playlist_id)
        seen = set(result.track_ids)
        first = not result.tracks and result.next_offset == 0
        limit = self.config.page_size
        while True:
            offset = result.next_offset
            what = f"reading playlist {playlist_id}" + (f" (items from {offset})" if offset else "")
            try:
                page = self._call(
                    what,
                    lambda o=offset: sp.playlist_items(playlist_id, limit=limit, offset=o, additional_types=("track",)),
                    user=user,
                    forbidden=_PLAYLIST_FORBIDDEN,
                    not_found=_PLAYLIST_NOT_FOUND.format(id=playlist_id),
                )
                if not isinstance(page, Mapping):
                    raise SpotifyApiError(f"Spotify sent an answer this app cannot read while {what}.")
            except SpotifyError as exc:
                if first:
                    raise
                result.error = (
                    f"The import stopped after {len(result.tracks)} tracks"
                    + (f" of {result.total}" if result.total is not None else "")
                    + f": {exc} The tracks read so far are kept; try again to fetch the rest."
                )
                _log.info("playlist import stopped early: %s", result.error)
                return result
            first = False
            if isinstance(page.get("total"), int):
                result.total = page["total"]
            entries = page.get("items") or []
            for entry in entries:
                self._collect(entry, result, seen)
            result.next_offset = offset + len(entries)
            if on_progress is not None:
                on_progress(result.next_offset, result.total)
            if not entries or not page.get("next") or result.next_offset >= self.config.max_items:
                break
            if result.total is not None and result.next_offset >= result.total:
                break
        return result

    def _collect(self, entry: Any, result: PlaylistImport, seen: set[str]) -> None:
        def skip(reason: str) -> None:
            result.skipped[reason] = result.skipped.get(reason, 0) + 1

        if not isinstance(entry, Mapping):
            skip("unreadable entries")
            return
        # The Feb 2026 API calls the entry's object "item"; older answers call it "track".
        item = entry.get("item") if entry.get("item") is not None else entry.get("track")
        if not isinstance(item, Mapping):
            skip("unavailable tracks")
            return
        if entry.get("is_local") or item.get("is_local"):
            skip("local files")
            return
        if item.get("type", "track") != "track":
            skip("podcast episodes")
            return
        track = SpotifyTrack.from_json(item)
        if track is None:
            skip("unavailable tracks")
            return
        if track.track_id in seen:
            skip("repeated tracks")
            return
        seen.add(track.track_id)
        result.tracks.append(track)
        self._remember(track.track_id, track)

    def my_playlists(self, max_playlists: int = 500) -> pd.DataFrame:
        """The logged-in user's playlists: ``playlist_id, name, owner, tracks, yours, url``."""
        sp = self._require_login()
        me = self.me()
        rows: list[dict[str, Any]] = []
        offset = 0
        while len(rows) < max_playlists:
            page = self._call("listing your playlists", lambda o=offset: sp.current_user_playlists(limit=50, offset=o), user=True) or {}
            items = page.get("items") or []
            for item in items:
                if not isinstance(item, Mapping) or not item.get("id"):
                    continue
                owner = item.get("owner") if isinstance(item.get("owner"), Mapping) else {}
                # Feb 2026 renamed the simplified playlist's "tracks" summary to "items".
                summary = item.get("items") if isinstance(item.get("items"), Mapping) else item.get("tracks")
                total = summary.get("total") if isinstance(summary, Mapping) else None
                rows.append(
                    {
                        "playlist_id": str(item["id"]),
                        "name": str(item.get("name") or ""),
                        "owner": str(owner.get("display_name") or owner.get("id") or ""),
                        "tracks": total if isinstance(total, int) else None,
                        "yours": owner.get("id") == me["id"],
                        "url": f"https://open.spotify.com/playlist/{item['id']}",
                    }
                )
            offset += len(items)
            if not items or not page.get("next"):
                break
        return pd.DataFrame(rows[:max_playlists], columns=["playlist_id", "name", "owner", "tracks", "yours", "url"])

    def create_playlist(
        self, name: str, track_ids: Iterable[str], *, description: str = "", public: bool = False
    ) -> SavedPlaylist:
        """Create a playlist for the logged-in user (``POST /me/playlists``) and add the tracks
        in batches of 100. If a batch fails, the playlist stays with the tracks added so far
        and ``error`` says so."""
        ids = [i for i in dict.fromkeys(track_ids) if is_track_id(i)]
        if not ids:
            raise SpotifyError("There are no tracks to save: get recommendations first.")
        name = " ".join(str(name or "").split())[:100] or "Tastemap recommendations"
        description = " ".join(str(description or "").split())[:300]
        sp = self._require_login()
        created = self._call(
            "creating the playlist",
            lambda: sp.current_user_playlist_create(name, public=public, description=description),
            user=True,
            method="POST",
        )
        playlist_id = (created or {}).get("id")
        if not playlist_id:
            raise SpotifyApiError("Spotify did not say which playlist it created. Check your playlists in Spotify.")
        saved = SavedPlaylist(str(playlist_id), name, added=0, requested=len(ids))
        for batch in _chunks(ids, ADD_BATCH):
            try:
                self._call(
                    "adding tracks to the playlist",
                    lambda b=batch: sp.playlist_add_items(playlist_id, [track_uri(i) for i in b]),
                    user=True,
                    method="POST",
                )
            except SpotifyError as exc:
                saved.error = f"The playlist was created but only {saved.added} of {saved.requested} tracks were added: {exc}"
                return saved
            saved.added += len(batch)
        return saved
