"""Title, artist, album, year and genre as the file's own tags say (ID3, Vorbis comments, MP4
atoms, ASF, ...), read with mutagen. A file without tags, or one mutagen cannot read, gives
``FileTags()``: tags are a nicety, never a reason to drop a file (the caller falls back to the
file name for the title).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

__all__ = ["ARTIST_SEPARATOR", "FileTags", "read_file_tags"]

ARTIST_SEPARATOR = "; "  # the catalog's list separator

# Tag keys per field, lower-case, in order of preference: easy names (EasyID3, EasyMP4, Vorbis
# comments, APEv2), then raw ID3 frames (WAV/AIFF carry those), MP4 atoms and ASF (WMA) names.
_KEYS = {
    "title": ("title", "tit2", "\xa9nam", "wm/title"),
    "artist": ("artist", "tpe1", "\xa9art", "author", "albumartist", "tpe2", "aart", "wm/albumartist"),
    "album": ("album", "talb", "\xa9alb", "wm/albumtitle"),
    "year": ("date", "year", "tdrc", "tyer", "\xa9day", "wm/year", "originaldate", "tdor"),
    "genre": ("genre", "tcon", "\xa9gen", "wm/genre"),
}
_YEAR = re.compile(r"^\s*(\d{4})(?!\d)")


@dataclass(frozen=True)
class FileTags:
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    year: int | None = None
    genre: str | None = None


def read_file_tags(path: str | os.PathLike | bytes) -> FileTags:
    """The file's tags; ``FileTags()`` (all ``None``) when it has none or cannot be read.
    Never raises. Several artists (or genres) are joined with ``"; "``."""
    try:
        import mutagen

        # mutagen reads a file object fine; opening it here keeps non-UTF-8 names working.
        with open(path, "rb") as file:
            audio = mutagen.File(file, easy=True)
        tags = getattr(audio, "tags", None) if audio is not None else None
        if not tags:
            return FileTags()
        by_key = {str(key).lower(): value for key, value in tags.items()}
    except Exception:  # unreadable, not audio, a tag parser's surprise: no tags, not an error
        return FileTags()
    values = {field: _first(by_key, keys) for field, keys in _KEYS.items()}
    return FileTags(
        title=_joined(values["title"][:1]),
        artist=_joined(values["artist"]),
        album=_joined(values["album"][:1]),
        year=_year(values["year"]),
        genre=_joined(values["genre"]),
    )


def _first(by_key: dict, keys: tuple[str, ...]) -> list[str]:
    """The clean text values of the first key that has any."""
    for key in keys:
        if key in by_key:
            texts = _texts(by_key[key])
            if texts:
                return texts
    return []


def _texts(value) -> list[str]:
    items = getattr(value, "text", value)  # an ID3 frame holds its values in .text
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        items = [items]
    out: list[str] = []
    for item in items:
        text = item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
        # ID3v2.4 and some taggers pack several values into one string with NUL separators.
        for part in text.split("\x00"):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def _joined(texts: list[str]) -> str | None:
    return ARTIST_SEPARATOR.join(texts) if texts else None


def _year(texts: list[str]) -> int | None:
    for text in texts:
        match = _YEAR.match(text)
        if match and 1000 <= int(match.group(1)) <= 2999:
            return int(match.group(1))
    return None
