"""Where Spotify is, which app calls it, and how patient to be with it.

Credentials come from ``SPOTIPY_CLIENT_ID`` / ``SPOTIPY_CLIENT_SECRET`` /
``SPOTIPY_REDIRECT_URI`` or a ``[spotify]`` secrets mapping; ``SPOTIFY_API_BASE`` and
``SPOTIFY_ACCOUNTS_BASE`` point the client at another server (tests, proxies).
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from ..errors import SpotifyError

__all__ = [
    "DEFAULT_ACCOUNTS_BASE",
    "DEFAULT_API_BASE",
    "SpotifyConfig",
    "SpotifyCredentials",
    "load_credentials",
]

DEFAULT_API_BASE = "https://api.spotify.com/v1/"
DEFAULT_ACCOUNTS_BASE = "https://accounts.spotify.com/"


@dataclass(frozen=True)
class SpotifyCredentials:
    """An app's client ID and secret (and redirect URI for logging users in)."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str | None = None

    def __repr__(self) -> str:  # never show the secret, not even in a debugger or a log
        return f"SpotifyCredentials(client_id={self.client_id!r}, redirect_uri={self.redirect_uri!r})"

    @property
    def can_log_in(self) -> bool:
        return bool(self.redirect_uri)


_CREDENTIAL_KEYS = {
    "client_id": ("client_id", "SPOTIPY_CLIENT_ID"),
    "client_secret": ("client_secret", "SPOTIPY_CLIENT_SECRET"),
    "redirect_uri": ("redirect_uri", "SPOTIPY_REDIRECT_URI"),
}


def _pick(mapping: Mapping[str, Any] | None, names: Sequence[str]) -> str | None:
    if not mapping:
        return None
    for name in names:
        try:
            value = mapping.get(name)
        except Exception:
            value = None
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def load_credentials(
    secrets: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> SpotifyCredentials | None:
    """Credentials from a ``[spotify]`` secrets mapping, else from the environment.

    Returns ``None`` when neither holds a client ID or secret. Raises :class:`SpotifyError`
    when only one half is set, naming the missing one.
    """
    environ = os.environ if environ is None else environ
    for source, label in ((secrets, "the [spotify] section of .streamlit/secrets.toml"), (environ, "the environment")):
        client_id = _pick(source, _CREDENTIAL_KEYS["client_id"])
        client_secret = _pick(source, _CREDENTIAL_KEYS["client_secret"])
        if not client_id and not client_secret:
            continue
        if not client_id or not client_secret:
            missing = "client_id (SPOTIPY_CLIENT_ID)" if not client_id else "client_secret (SPOTIPY_CLIENT_SECRET)"
            raise SpotifyError(
                f"Spotify credentials in {label} are incomplete: {missing} is missing. Copy both "
                "values from your app's settings in the Spotify developer dashboard."
            )
        redirect = _pick(source, _CREDENTIAL_KEYS["redirect_uri"])
        if redirect is None and source is secrets:
            redirect = _pick(environ, _CREDENTIAL_KEYS["redirect_uri"])
        if redirect is not None:
            _check_url(redirect, "SPOTIPY_REDIRECT_URI")
        return SpotifyCredentials(client_id, client_secret, redirect)
    return None


def _check_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SpotifyError(f"{name} must be an http:// or https:// URL, not {url!r}.")
    return url


def _base(url: str, name: str) -> str:
    _check_url(url, name)
    return url if url.endswith("/") else url + "/"


@dataclass(frozen=True)
class SpotifyConfig:
    """Where Spotify is and how patient to be with it.

    ``max_wait``: the longest ``Retry-After`` (seconds) that is waited out; a longer one fails
    at once with a message. ``rate_limit_retries``: how many 429s one call may wait out.
    ``server_retries`` / ``backoff``: retries of a read after a 5xx, waiting ``backoff * 2**n``.
    ``timeout``: seconds to wait for any answer. ``max_items``: cap on a playlist import.
    """

    api_base: str = DEFAULT_API_BASE
    accounts_base: str = DEFAULT_ACCOUNTS_BASE
    timeout: float = 5.0
    max_wait: float = 30.0
    rate_limit_retries: int = 3
    server_retries: int = 2
    backoff: float = 0.5
    page_size: int = 50
    max_items: int = 10_000

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_base", _base(self.api_base, "SPOTIFY_API_BASE"))
        object.__setattr__(self, "accounts_base", _base(self.accounts_base, "SPOTIFY_ACCOUNTS_BASE"))
        for name in ("timeout", "max_wait", "backoff"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and np.isfinite(value) and value >= 0):
                raise SpotifyError(f"Spotify setting {name} must be a number of seconds >= 0, not {value!r}.")
        if not 1 <= self.page_size <= 50:
            raise SpotifyError(f"page_size must be between 1 and 50, not {self.page_size}.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> SpotifyConfig:
        """Defaults, overridden by ``SPOTIFY_API_BASE``, ``SPOTIFY_ACCOUNTS_BASE``,
        ``SPOTIFY_TIMEOUT``, ``SPOTIFY_MAX_WAIT``, ``SPOTIFY_BACKOFF``, then ``overrides``."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for key, env in (("api_base", "SPOTIFY_API_BASE"), ("accounts_base", "SPOTIFY_ACCOUNTS_BASE")):
            if environ.get(env, "").strip():
                values[key] = environ[env].strip()
        for key, env in (("timeout", "SPOTIFY_TIMEOUT"), ("max_wait", "SPOTIFY_MAX_WAIT"), ("backoff", "SPOTIFY_BACKOFF")):
            raw = environ.get(env, "").strip()
            if raw:
                try:
                    values[key] = float(raw)
                except ValueError:
                    raise SpotifyError(f"{env} must be a number of seconds, not {raw!r}.") from None
        values.update(overrides)
        return cls(**values)
