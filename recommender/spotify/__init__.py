"""Spotify Web API access through spotipy: name tracks, import playlists, save playlists.

The app must stay useful without Spotify, and Spotify has closed much of its API to new apps
(audio features and recommendations since Nov 2024; batch ``GET /tracks``, ``popularity`` and
``/playlists/{id}/tracks`` for development-mode apps since Feb 2026). So every call here is
defensive:

* credentials come from ``SPOTIPY_CLIENT_ID`` / ``SPOTIPY_CLIENT_SECRET`` /
  ``SPOTIPY_REDIRECT_URI`` or a ``[spotify]`` secrets mapping; ``SPOTIFY_API_BASE`` and
  ``SPOTIFY_ACCOUNTS_BASE`` point the client at another server (tests, proxies);
* ``429`` waits for ``Retry-After`` only up to :attr:`SpotifyConfig.max_wait` and tells the
  caller it is waiting (``on_wait``); ``5xx`` on reads is retried a bounded number of times
  with exponential backoff; timeouts are short; ``401`` refreshes the token once;
* every failure becomes a :class:`~recommender.errors.SpotifyError` with a plain message
  that says what to do, and never carries a secret or a token;
* tokens live in the mapping the caller passes (a browser session's state), never on disk.

spotipy's own retry adapter is not used: it sleeps for whatever ``Retry-After`` says.
"""
from __future__ import annotations

import logging
import threading
import time
import warnings
from dataclasses import replace
from typing import Any, Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError

from ..catalog import AUDIO_FEATURES, OPTIONAL_FEATURES
from ..errors import SpotifyApiError, SpotifyError
from ..ids import InvalidToken, is_track_id, parse_track_ids, track_uri
from .auth import SCOPES, USER_TOKEN_KEY, LoginStates, MappingCacheHandler, NoPromptOAuth
from .catalog_merge import catalog_with_spotify_tracks
from .models import PlaylistImport, SavedPlaylist, SpotifyTrack, TrackLookup
from .playlist_links import parse_playlist_id
from .redaction import RedactingFilter, install_redaction, redact
from .settings import (
    DEFAULT_ACCOUNTS_BASE,
    DEFAULT_API_BASE,
    SpotifyConfig,
    SpotifyCredentials,
    load_credentials,
)

__all__ = [
    "AUDIO_FEATURES_CLOSED",
    "DEFAULT_ACCOUNTS_BASE",
    "DEFAULT_API_BASE",
    "LoginStates",
    "MappingCacheHandler",
    "PlaylistImport",
    "RedactingFilter",
    "SavedPlaylist",
    "SCOPES",
    "SpotifyApiError",
    "SpotifyClient",
    "SpotifyConfig",
    "SpotifyCredentials",
    "SpotifyTrack",
    "TrackLookup",
    "USER_TOKEN_KEY",
    "catalog_with_spotify_tracks",
    "install_redaction",
    "load_credentials",
    "parse_playlist_id",
    "redact",
]

_log = logging.getLogger(__name__)

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
_ACCESS_HINT = (
    "In development mode only the app owner (who needs Spotify Premium) and up to 5 users added "
    "under 'User Management' in the Spotify developer dashboard may use the app."
)
_PLAYLIST_FORBIDDEN = (
    "Spotify does not let this app read that playlist (HTTP 403). Since Feb 2026 a "
    "development-mode app may only read the items of playlists the logged-in user owns or "
    "collaborates on: log in on the Spotify page as that user, or copy the playlist into one "
    "of your own. " + _ACCESS_HINT
)
_PLAYLIST_NOT_FOUND = (
    "Spotify has no playlist {id} that this app may see (HTTP 404). Check the link; note that "
    "playlists made by Spotify (editorial and 'Made for you' mixes) are hidden from apps "
    "created after Nov 2024."
)


# ----------------------------------------------------------------------------- helpers


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    raw = None
    for key, value in headers.items():
        if str(key).lower() == "retry-after":
            raw = value
            break
    if raw is None:
        return None
    try:
        value = float(str(raw).strip())
    except ValueError:
        return None  # an HTTP date: treat as unknown, fall back to the backoff
    return max(0.0, value) if np.isfinite(value) else None


def _server_message(exc: SpotifyException) -> str:
    msg = str(exc.msg or "")
    if ":\n" in msg:  # spotipy prefixes the URL
        msg = msg.split(":\n", 1)[1]
    msg = msg.strip()
    return redact(msg)[:200] if msg and msg != "None" else ""


# ----------------------------------------------------------------------------- client


class SpotifyClient:
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

    def __init__(
        self,
        credentials: SpotifyCredentials,
        *,
        config: SpotifyConfig | None = None,
        token_store: MutableMapping[str, Any] | None = None,
        on_wait: Callable[[float, str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not isinstance(credentials, SpotifyCredentials):
            raise SpotifyError("Spotify credentials are missing: set SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET.")
        install_redaction(credentials.client_secret)
        self.credentials = credentials
        self.config = config or SpotifyConfig.from_env()
        self.token_store: MutableMapping[str, Any] = {} if token_store is None else token_store
        self.on_wait = on_wait
        self._sleep = sleep
        self._app_auth = spotipy.SpotifyClientCredentials(
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            requests_session=requests.Session(),
            requests_timeout=self.config.timeout,
            cache_handler=MemoryCacheHandler(),
        )
        self._app_auth.OAUTH_TOKEN_URL = self.config.accounts_base + "api/token"
        self._app = self._spotify(self._app_auth)
        self._user_auth: NoPromptOAuth | None = None
        self._user: spotipy.Spotify | None = None
        self._track_cache: dict[str, SpotifyTrack | None] = {}
        self._batch_tracks: bool | None = None  # None: not tried yet
        self._audio_features: bool | None = None
        self.audio_features_notice: str | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"SpotifyClient(client_id={self.credentials.client_id!r}, api_base={self.config.api_base!r}, logged_in={self.logged_in})"

    # -- plumbing -------------------------------------------------------------------------

    def _spotify(self, auth: Any) -> spotipy.Spotify:
        # A plain requests.Session: no urllib3 retry adapter, so waits stay ours and bounded.
        sp = spotipy.Spotify(
            auth_manager=auth,
            requests_session=requests.Session(),
            requests_timeout=self.config.timeout,
            retries=0,
            status_retries=0,
        )
        sp.prefix = self.config.api_base
        return sp

    def _user_client(self) -> spotipy.Spotify:
        if not self.credentials.redirect_uri:
            raise SpotifyError(
                "Logging in needs a redirect URI: set SPOTIPY_REDIRECT_URI (or redirect_uri in the "
                "[spotify] secrets) to the Spotify page's address, e.g. http://127.0.0.1:8501/Spotify, "
                "and add the same URI to your app in the Spotify developer dashboard."
            )
        if self._user is None:
            auth = NoPromptOAuth(
                client_id=self.credentials.client_id,
                client_secret=self.credentials.client_secret,
                redirect_uri=self.credentials.redirect_uri,
                scope=list(SCOPES),
                requests_session=requests.Session(),
                requests_timeout=self.config.timeout,
                open_browser=False,
                cache_handler=MappingCacheHandler(self.token_store),
            )
            auth.OAUTH_TOKEN_URL = self.config.accounts_base + "api/token"
            auth.OAUTH_AUTHORIZE_URL = self.config.accounts_base + "authorize"
            self._user_auth = auth
            self._user = self._spotify(auth)
        return self._user

    def _wait(self, seconds: float, message: str) -> None:
        _log.info("%s", message)
        if self.on_wait is not None:
            try:
                self.on_wait(seconds, message)
            except Exception:  # a display problem must not break the import
                _log.debug("on_wait callback failed", exc_info=True)
        self._sleep(seconds)

    def _refresh(self, user: bool) -> None:
        if user:
            token = self.token_store.get(USER_TOKEN_KEY) or {}
            refresh_token = token.get("refresh_token") if isinstance(token, Mapping) else None
            if not refresh_token:
                self.log_out()
                raise SpotifyApiError("Your Spotify login has expired: log in again.", 401)
            self._user_client()
            assert self._user_auth is not None
            self._user_auth.refresh_access_token(refresh_token)
        else:
            self._app_auth.get_access_token(as_dict=False, check_cache=False)

    def _call(
        self,
        what: str,
        fn: Callable[[], Any],
        *,
        user: bool = False,
        method: str = "GET",
        forbidden: str | None = None,
        not_found: str | None = None,
    ) -> Any:
        """Run one API call with bounded 429 waits, 5xx retries and one token refresh."""
        cfg = self.config
        refreshed = rate_waits = server_tries = 0
        while True:
            try:
                return fn()
            except SpotifyException as exc:
                status = int(exc.http_status or 0)
                _log.debug("Spotify answered HTTP %s while %s", status, what)
                if status == 401 and not refreshed:
                    refreshed = 1
                    try:
                        self._refresh(user)
                    except SpotifyOauthError as oauth_exc:
                        if user:
                            self.log_out()
                        raise self._oauth_error(oauth_exc, what) from None
                    except requests.RequestException as req_exc:
                        raise self._network_error(req_exc, what) from None
                    continue
                if status == 429:
                    wait = _retry_after(exc.headers)
                    if wait is None:
                        wait = cfg.backoff * 2**rate_waits
                    if wait > cfg.max_wait or rate_waits >= cfg.rate_limit_retries:
                        raise SpotifyApiError(
                            f"Spotify is limiting how often this app may call it (HTTP 429) while "
                            f"{what}: it asks to wait {wait:g} s"
                            + (f", longer than the {cfg.max_wait:g} s this app waits" if wait > cfg.max_wait else f", after {rate_waits} waits already")
                            + ". Try again in a few minutes.",
                            429,
                        ) from None
                    rate_waits += 1
                    self._wait(wait, f"Spotify asked this app to slow down: waiting {wait:g} s before {what} again.")
                    continue
                if status >= 500 and method == "GET" and server_tries < cfg.server_retries:
                    # Only reads are repeated: a repeated POST could create a playlist twice.
                    delay = cfg.backoff * 2**server_tries
                    server_tries += 1
                    self._wait(delay, f"Spotify had a server error (HTTP {status}) while {what}: retry {server_tries} of {cfg.server_retries} in {delay:g} s.")
                    continue
                raise self._http_error(exc, status, what, user=user, forbidden=forbidden, not_found=not_found) from None
            except SpotifyOauthError as exc:
                raise self._oauth_error(exc, what) from None
            except requests.RequestException as exc:
                raise self._network_error(exc, what) from None
            except (ValueError, KeyError, TypeError) as exc:
                _log.debug("unreadable Spotify answer while %s: %s", what, type(exc).__name__)
                raise SpotifyApiError(f"Spotify sent an answer this app cannot read while {what}. Try again later.") from None

    def _http_error(
        self, exc: SpotifyException, status: int, what: str, *, user: bool, forbidden: str | None, not_found: str | None
    ) -> SpotifyApiError:
        detail = _server_message(exc)
        said = f" Spotify said: {detail!r}." if detail else ""
        if status == 401:
            if user:
                self.log_out()
                return SpotifyApiError(f"Spotify no longer accepts your login (HTTP 401) while {what}: log in again.", 401)
            return SpotifyApiError(
                f"Spotify rejected this app's access token (HTTP 401) while {what}. Check SPOTIPY_CLIENT_ID and "
                "SPOTIPY_CLIENT_SECRET, and that the app owner's Spotify Premium is active.",
                401,
            )
        if status == 403:
            return SpotifyApiError(forbidden or f"Spotify refused access (HTTP 403) while {what}. {_ACCESS_HINT}{said}", 403)
        if status == 404:
            return SpotifyApiError(not_found or f"Spotify could not find what was asked for (HTTP 404) while {what}. Check the link or ID.", 404)
        if status == 429:
            return SpotifyApiError(f"Spotify is limiting how often this app may call it (HTTP 429) while {what}. Try again in a few minutes.", 429)
        if status >= 500:
            tries = f", also after {self.config.server_retries} retries" if exc is not None and self.config.server_retries else ""
            return SpotifyApiError(f"Spotify had a server error (HTTP {status}) while {what}{tries}. Try again in a few minutes.", status)
        if status == 400:
            return SpotifyApiError(f"Spotify refused the request (HTTP 400) while {what}.{said}", 400)
        return SpotifyApiError(f"Spotify answered HTTP {status} while {what}.{said}", status)

    def _oauth_error(self, exc: SpotifyOauthError, what: str) -> SpotifyApiError:
        error = str(getattr(exc, "error", "") or "")
        if error == "invalid_client":
            return SpotifyApiError(
                f"Spotify rejected the app credentials while {what} (invalid client). Check SPOTIPY_CLIENT_ID and "
                "SPOTIPY_CLIENT_SECRET (or the [spotify] section of .streamlit/secrets.toml) against your app's "
                "settings in the Spotify developer dashboard.",
                400,
            )
        if error == "invalid_grant":
            return SpotifyApiError(
                f"Spotify did not accept the login while {what}: the code or refresh token has expired or was "
                "already used. Log in again.",
                400,
            )
        description = redact(getattr(exc, "error_description", "") or error or "no details")[:200]
        return SpotifyApiError(f"Spotify's login service refused the request while {what} ({description}).", 400)

    def _network_error(self, exc: requests.RequestException, what: str) -> SpotifyApiError:
        host = urlsplit(self.config.api_base).netloc
        if isinstance(exc, requests.Timeout):
            return SpotifyApiError(
                f"Spotify did not answer within {self.config.timeout:g} s while {what}. It may be slow or down: "
                "try again in a minute.",
            )
        if isinstance(exc, requests.ConnectionError):
            return SpotifyApiError(
                f"Cannot reach Spotify ({host}) while {what}. Check the internet connection"
                + (" and SPOTIFY_API_BASE." if self.config.api_base != DEFAULT_API_BASE else "."),
            )
        return SpotifyApiError(f"The request to Spotify failed while {what} ({type(exc).__name__}). Try again later.")

    # -- login ----------------------------------------------------------------------------

    @property
    def logged_in(self) -> bool:
        token = self.token_store.get(USER_TOKEN_KEY)
        return isinstance(token, Mapping) and bool(token.get("access_token"))

    def authorize_url(self, state: str) -> str:
        """The Spotify page where the user approves this app; it redirects back with a code."""
        self._user_client()
        assert self._user_auth is not None
        return self._user_auth.get_authorize_url(state=state)

    def log_in(self, code: str) -> dict[str, Any]:
        """Exchange the ``code`` from the redirect for a token (kept in ``token_store``).

        Returns the user's profile (``id``, ``display_name``).
        """
        if not code or not isinstance(code, str):
            raise SpotifyError("The redirect from Spotify carried no login code: log in again.")
        self._user_client()
        assert self._user_auth is not None
        auth = self._user_auth
        self.log_out()
        try:
            auth.get_access_token(code=code, as_dict=False, check_cache=False)
        except SpotifyOauthError as exc:
            raise self._oauth_error(exc, "logging in") from None
        except requests.RequestException as exc:
            raise self._network_error(exc, "logging in") from None
        return self.me()

    def log_out(self) -> None:
        self.token_store.pop(USER_TOKEN_KEY, None)

    def _require_login(self) -> spotipy.Spotify:
        sp = self._user_client()
        if not self.logged_in:
            raise SpotifyError("Log in with Spotify first (on the Spotify page).")
        return sp

    def me(self) -> dict[str, Any]:
        sp = self._require_login()
        data = self._call("reading your profile", sp.me, user=True) or {}
        profile = {"id": str(data.get("id") or ""), "display_name": str(data.get("display_name") or data.get("id") or "")}
        return profile

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
