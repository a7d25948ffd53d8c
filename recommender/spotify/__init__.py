"""Spotify Web API access through spotipy: name tracks, import playlists, save playlists.

The app must stay useful without Spotify, and Spotify has closed much of its API to new apps
(audio features and recommendations since Nov 2024; batch ``GET /tracks``, ``popularity`` and
``/playlists/{id}/tracks`` for development-mode apps since Feb 2026). So every call here is
defensive: waits are bounded, failures become a :class:`~recommender.errors.SpotifyError`
with a plain message that never carries a secret or a token, and partial results are kept.

One job per module:

* :mod:`.settings`: credentials (env or ``[spotify]`` secrets), endpoints, patience;
* :mod:`.redaction`: tokens and secrets kept out of logs and messages;
* :mod:`.auth`: OAuth scopes, the per-session token store, single-use login states;
* :mod:`.connection`: spotipy with bounded 429 waits, 5xx retries, token refresh, login and
  every failure mapped to :class:`~recommender.errors.SpotifyApiError`;
* :mod:`.client`: :class:`SpotifyClient`, what the app asks (tracks, audio features, playlists);
* :mod:`.models`: the small result types; :mod:`.playlist_links`: a pasted playlist link;
* :mod:`.catalog_merge`: tracks named by Spotify added to a catalog.

Import from here (``from recommender.spotify import SpotifyClient``); the modules are the
layout, this is the API.
"""
from __future__ import annotations

from ..errors import SpotifyApiError
from .auth import SCOPES, USER_TOKEN_KEY, LoginStates, MappingCacheHandler
from .catalog_merge import catalog_with_spotify_tracks
from .client import AUDIO_FEATURES_CLOSED, SpotifyClient
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
    "SCOPES",
    "USER_TOKEN_KEY",
    "LoginStates",
    "MappingCacheHandler",
    "PlaylistImport",
    "RedactingFilter",
    "SavedPlaylist",
    "SpotifyApiError",
    "SpotifyClient",
    "SpotifyConfig",
    "SpotifyCredentials",
    "SpotifyTrack",
    "TrackLookup",
    "catalog_with_spotify_tracks",
    "install_redaction",
    "load_credentials",
    "parse_playlist_id",
    "redact",
]
