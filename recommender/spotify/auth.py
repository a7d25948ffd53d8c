"""Logging users in: OAuth scopes, where a user's token lives, and single-use login states.

Tokens live in the mapping the caller passes (a browser session's state), never on disk.
"""
from __future__ import annotations

import secrets as _secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import spotipy
from spotipy.cache_handler import CacheHandler

from ..errors import SpotifyApiError

__all__ = ["SCOPES", "USER_TOKEN_KEY", "LoginStates", "MappingCacheHandler"]

SCOPES = (
    "playlist-read-private",
    "playlist-read-collaborative",
    "playlist-modify-private",
    "playlist-modify-public",
)
USER_TOKEN_KEY = "spotify_user_token"


class MappingCacheHandler(CacheHandler):
    """spotipy cache handler that keeps the token in a caller's mapping (a session's state).

    Nothing is written to disk and nothing is shared: each browser session passes its own
    mapping.
    """

    def __init__(self, store: MutableMapping[str, Any], key: str = USER_TOKEN_KEY) -> None:
        self.store = store
        self.key = key

    def get_cached_token(self) -> dict | None:
        token = self.store.get(self.key)
        return dict(token) if isinstance(token, Mapping) else None

    def save_token_to_cache(self, token_info: dict) -> None:
        self.store[self.key] = dict(token_info)


class LoginStates:
    """Single-use ``state`` values for the authorization code flow (CSRF protection).

    The redirect back from Spotify opens a new browser session, so the value issued before the
    redirect cannot live in session state; it is kept here, only as a random nonce with an
    expiry, never with a token.
    """

    def __init__(self, ttl: float = 600.0, max_size: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._clock = clock
        self._issued: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self) -> str:
        state = _secrets.token_urlsafe(24)
        now = self._clock()
        with self._lock:
            self._issued[state] = now + self.ttl
            while len(self._issued) > self.max_size:
                self._issued.popitem(last=False)
        return state

    def consume(self, state: str | None) -> bool:
        """True once for a state this object issued that has not expired."""
        if not state:
            return False
        with self._lock:
            expires = self._issued.pop(state, None)
        return expires is not None and self._clock() <= expires


class NoPromptOAuth(spotipy.SpotifyOAuth):
    # spotipy falls back to an interactive prompt (input()) when it has no token; a web
    # server must never block on stdin.
    def get_auth_response(self, open_browser: bool | None = None) -> str:
        raise SpotifyApiError("You are not logged in to Spotify: log in first.", 401)
