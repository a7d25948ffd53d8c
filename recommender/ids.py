"""Spotify track IDs: recognise them in whatever a person pastes.

A track ID is 22 base62 characters. People paste them bare, as ``spotify:track:ID`` URIs or
as ``https://open.spotify.com/track/ID`` links (with ``intl-xx/`` locale paths and ``?si=``
share queries), separated by commas, semicolons, spaces or newlines, often mixed. The parser
keeps the valid IDs in input order without duplicates and explains every token it rejects,
so the app can tell the user exactly what to fix.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = [
    "InvalidToken",
    "ParsedIds",
    "is_track_id",
    "parse_track_ids",
    "track_id_from_token",
    "track_url",
    "track_uri",
]

ID_LENGTH = 22
_BASE62 = re.compile(r"[0-9A-Za-z]+")
_TRACK_ID = re.compile(r"[0-9A-Za-z]{22}")
# Separators people use between pasted items. Whitespace covers newlines and tabs.
_SEPARATORS = re.compile(r"[\s,;]+")
# Other Spotify object kinds, named in the message so the user knows what they pasted.
_OTHER_KINDS = {
    "album": "an album link: open the album in Spotify and copy the links of its tracks "
    "(or import it on the Spotify page)",
    "playlist": "a playlist link: import it on the Spotify page, or paste its track links",
    "artist": "an artist link: paste links to the artist's tracks instead",
    "episode": "a podcast episode, not a music track",
    "show": "a podcast show, not a music track",
    "user": "a user profile, not a track",
    "local": "a local file, which has no Spotify track ID",
}


@dataclass(frozen=True)
class InvalidToken:
    """One pasted token that is not a usable track ID, and why."""

    token: str
    reason: str


@dataclass(frozen=True)
class ParsedIds:
    """The result of parsing pasted text: valid IDs in input order, and rejects with reasons."""

    ids: list[str] = field(default_factory=list)
    invalid: list[InvalidToken] = field(default_factory=list)
    duplicates: int = 0

    def __bool__(self) -> bool:  # truthy when there is at least one usable ID
        return bool(self.ids)


def is_track_id(value: object) -> bool:
    """True when ``value`` is a bare 22-character base62 Spotify ID."""
    return isinstance(value, str) and _TRACK_ID.fullmatch(value) is not None


def track_uri(track_id: str) -> str:
    """The ``spotify:track:`` URI of a track ID."""
    return f"spotify:track:{track_id}"


def track_url(track_id: str) -> str:
    """The open.spotify.com link that plays a track in the browser or the Spotify app."""
    return f"https://open.spotify.com/track/{track_id}"


def _check_bare_id(candidate: str, token: str) -> tuple[str | None, str | None]:
    if not candidate:
        return None, f"{token!r} has no track ID in it"
    if not _BASE62.fullmatch(candidate):
        bad = sorted({c for c in candidate if not c.isascii() or not c.isalnum()})
        shown = "".join(bad[:5])
        return None, f"{token!r} contains characters a Spotify ID cannot have ({shown!r})"
    if len(candidate) != ID_LENGTH:
        return None, (
            f"{token!r} has {len(candidate)} characters; a Spotify track ID has exactly {ID_LENGTH}"
        )
    return candidate, None


def track_id_from_token(token: str) -> tuple[str | None, str | None]:
    """Return ``(track_id, None)`` for a usable token, or ``(None, reason)``.

    Accepts a bare ID, a ``spotify:track:ID`` URI (also ``spotify:user:x:track:ID``-style
    legacy forms are refused with a reason) or an open.spotify.com track link.
    """
    original = token
    token = token.strip().strip("<>\"'()[]")
    if not token:
        return None, ("empty token" if not original.strip() else f"{original!r} is not a track ID")
    lowered = token.lower()
    if lowered.startswith("spotify:"):
        parts = token.split(":")
        if len(parts) == 3 and parts[1].lower() == "track":
            return _check_bare_id(parts[2], token)
        kind = parts[1].lower() if len(parts) > 1 else ""
        if kind in _OTHER_KINDS:
            return None, f"{token!r} is {_OTHER_KINDS[kind]}"
        return None, f"{token!r} is not a spotify:track: URI"
    if "spotify.com" in lowered or lowered.startswith(("http://", "https://", "www.")):
        url = token if "://" in token else "https://" + token
        try:
            parts = urlsplit(url)
        except ValueError:
            return None, f"{token!r} is not a valid link"
        host = (parts.hostname or "").lower()
        if host not in {"open.spotify.com", "play.spotify.com"}:
            if host.endswith("spotify.link") or host == "spotify.link":
                return None, (
                    f"{token!r} is a shortened spotify.link; open it in a browser and paste the "
                    "open.spotify.com link it leads to"
                )
            return None, f"{token!r} is not an open.spotify.com link"
        segments = [s for s in parts.path.split("/") if s]
        # Locale prefixes such as /intl-de/ and legacy /embed/ come before the kind.
        while segments and (segments[0].lower().startswith("intl-") or segments[0] == "embed"):
            segments = segments[1:]
        if len(segments) >= 2 and segments[0].lower() == "track":
            return _check_bare_id(segments[1], token)
        kind = segments[0].lower() if segments else ""
        if kind in _OTHER_KINDS:
            return None, f"{token!r} is {_OTHER_KINDS[kind]}"
        return None, f"{token!r} is not a link to a track"
    return _check_bare_id(token, token)


def parse_track_ids(text: str | None) -> ParsedIds:
    """Parse free text into Spotify track IDs.

    Tokens may be separated by commas, semicolons, spaces or newlines, in any mix. Valid IDs
    come back in input order without duplicates; every invalid token comes back with its
    reason. Never raises on user text.

    >>> parse_track_ids("spotify:track:6f807x0ima9a1j3VPbc7VN, nope").ids
    ['6f807x0ima9a1j3VPbc7VN']
    """
    if not text:
        return ParsedIds()
    return parse_tokens(_SEPARATORS.split(str(text)))


def parse_tokens(tokens: Iterable[object]) -> ParsedIds:
    """:func:`parse_track_ids` for items already split (a list of IDs, URIs or links)."""
    ids: list[str] = []
    seen: set[str] = set()
    invalid: list[InvalidToken] = []
    duplicates = 0
    for item in tokens:
        token = str(item)
        if not token:
            continue
        track_id, reason = (token, None) if is_track_id(token) else track_id_from_token(token)
        if track_id is None:
            if reason != "empty token":
                invalid.append(InvalidToken(token, reason or "not a track ID"))
        elif track_id in seen:
            duplicates += 1
        else:
            seen.add(track_id)
            ids.append(track_id)
    return ParsedIds(ids=ids, invalid=invalid, duplicates=duplicates)
