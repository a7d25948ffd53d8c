"""Reading the playlist ID out of a pasted link, URI or bare ID."""
from __future__ import annotations

import re

from ..errors import SpotifyError

__all__ = ["parse_playlist_id"]

_PLAYLIST_URL = re.compile(r"(?i)^(?:https?://)?(?:open|play)\.spotify\.com/(?:intl-[a-z-]+/|embed/)*(\w+)/([^/?#]*)")
_PLAYLIST_URI = re.compile(r"^spotify:(?:user:[^:]+:)?(\w+):([^:]*)$")
_BASE62 = re.compile(r"[0-9A-Za-z]{1,64}")


def parse_playlist_id(text: str) -> str:
    """The playlist ID in a pasted link, URI or bare ID; :class:`SpotifyError` explains a miss."""
    token = (text or "").strip().strip("<>\"'")
    if not token:
        raise SpotifyError("Paste a playlist link (https://open.spotify.com/playlist/...) first.")
    match = _PLAYLIST_URL.match(token) or _PLAYLIST_URI.match(token)
    if match:
        kind, candidate = match.group(1).lower(), match.group(2)
        if kind != "playlist":
            raise SpotifyError(f"{token!r} is a Spotify {kind} link, not a playlist link.")
    elif "://" in token or "." in token or ":" in token:
        raise SpotifyError(f"{token!r} is not a Spotify playlist link; it should look like https://open.spotify.com/playlist/ID.")
    else:
        candidate = token
    if not _BASE62.fullmatch(candidate):
        raise SpotifyError(f"{token!r} does not contain a valid playlist ID (letters and digits only).")
    return candidate
