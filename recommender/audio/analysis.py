"""One audio file, analysed: what its tags say, what was measured, what the network heard.

:func:`analyse_file` never raises for a bad file: it returns a :class:`FileAnalysis` whose
``status`` is ``"failed"`` with the plain ``reason`` (the scan lists it), so one damaged file
never stops a folder.
"""
from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import AudioError

_log = logging.getLogger(__name__)

ANALYSED, FAILED = "analysed", "failed"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def track_id_for(relative_path: str) -> str:
    """A stable 22-character track ID (the catalog's ID shape) for a file in a library,
    from its path relative to the library's folder: rescans and moved libraries keep it."""
    number = int.from_bytes(hashlib.sha256(b"tastemap-audio:" + relative_path.encode("utf-8", "surrogateescape")).digest()[:17], "big")
    out = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        out.append(_BASE62[digit])
    return "".join(out)


def display_path(relative_path: str | bytes) -> str:
    """A file name as text a page can show (undecodable bytes become U+FFFD)."""
    if isinstance(relative_path, bytes):
        return relative_path.decode("utf-8", "replace")
    return relative_path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@dataclass
class FileAnalysis:
    """The result for one file; ``embedding`` and ``tags`` are None when it failed."""

    path: str  # relative to the library folder, '/'-separated (may hold surrogate escapes)
    status: str = ANALYSED
    reason: str = ""
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    year: int | None = None
    genre: str | None = None
    duration_s: float = 0.0
    seconds_analysed: float = 0.0
    excerpts: str = ""  # plain note when only excerpts of a long file were analysed
    tempo: float = 0.0
    loudness: float = -70.0
    key: int = -1
    mode: int = 0
    key_confidence: float = 0.0
    embedding: np.ndarray | None = field(default=None, repr=False)
    tags: np.ndarray | None = field(default=None, repr=False)

    @property
    def track_id(self) -> str:
        return track_id_for(self.path)

    @property
    def ok(self) -> bool:
        return self.status == ANALYSED

    def scalars(self) -> dict:
        """Everything but the arrays (JSON-ready)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("embedding", "tags")}


def analyse_file(path: str | os.PathLike | bytes, relative_path: str, model=None) -> FileAnalysis:
    """Decode, read tags, measure and embed one file (``model``: a musicnn SoundModel)."""
    from .decode import decode_file
    from .file_tags import read_file_tags
    from .measure import measure
    from .musicnn import SoundModel

    result = FileAnalysis(path=relative_path)
    try:
        audio = decode_file(path)
    except AudioError as exc:
        result.status, result.reason = FAILED, exc.reason
        return result
    except Exception as exc:  # a decoder bug must not stop a folder: the file is listed
        _log.exception("decoding %s failed", display_path(relative_path))
        result.status, result.reason = FAILED, f"could not be decoded ({type(exc).__name__})"
        return result
    try:
        tags = read_file_tags(path)
        stem = Path(display_path(relative_path)).stem
        result.title = tags.title or stem
        result.artist, result.album, result.year, result.genre = tags.artist, tags.album, tags.year, tags.genre
        if result.album is None and "/" in relative_path:
            result.album = display_path(relative_path).rsplit("/", 2)[-2]  # the folder it is in
        result.duration_s = float(audio.duration_s)
        result.seconds_analysed = float(audio.channels.shape[-1] / audio.sample_rate)
        result.excerpts = audio.describe_excerpts() if audio.is_excerpt else ""
        measured = measure(audio.channels, audio.sample_rate)
        result.tempo, result.loudness = float(measured.tempo), float(measured.loudness)
        result.key, result.mode, result.key_confidence = int(measured.key), int(measured.mode), float(measured.key_confidence)
        heard = (model or SoundModel()).analyse(audio.mono, audio.sample_rate)
        result.embedding, result.tags = heard.embedding, heard.tags
    except Exception as exc:
        _log.exception("analysing %s failed", display_path(relative_path))
        return FileAnalysis(path=relative_path, status=FAILED, reason=f"could not be analysed ({type(exc).__name__})")
    return result
