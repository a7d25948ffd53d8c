"""Where the app's music comes from: audio files uploaded through the app, kept on the server so
they can be scanned like a folder (:func:`store_uploads`), and a folder the listener names on
their own computer (:func:`music_folder`).

An uploaded set goes in ``<data dir>/audio-uploads/<digest>/``, the digest covering every kept
file's clean name and bytes: the same set uploaded again lands in the same folder, its files are
not rewritten (same modification time), so the analysis cache answers and nothing is analysed
twice. Names come from the browser and are not trusted: any folder part is dropped, control
characters go, a name that is empty or only dots after that is refused, and two files with one
name are told apart. Only files with an audio suffix are written; the bytes are only ever decoded
as audio later, never executed or unpickled.
"""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AudioError
from ..files import atomic_write_bytes, data_dir
from .analysis import display_path
from .decode import AUDIO_SUFFIXES, is_audio_name

__all__ = [
    "UPLOADS_FOLDER", "RefusedUpload", "StoredUploads", "clean_upload_name", "music_folder", "store_uploads",
    "uploads_root",
]

UPLOADS_FOLDER = "audio-uploads"
MAX_NAME_BYTES = 200  # well under the 255 bytes most file systems allow per name
NOT_AUDIO = "not an audio file (by its name)"
BAD_NAME = "the file name is empty once cleaned (no letters or digits a file can be named by)"
# Characters no file name here may hold: path separators, NUL and other controls, and the ones
# Windows refuses (a library folder may be copied there).
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


@dataclass(frozen=True)
class RefusedUpload:
    """An uploaded file that was not kept, and why (plain words)."""

    name: str
    reason: str


@dataclass
class StoredUploads:
    folder: Path  # where the kept files are (scan this)
    kept: list[str] = field(default_factory=list)  # file names inside ``folder``
    refused: list[RefusedUpload] = field(default_factory=list)


def uploads_root() -> Path:
    """``<data dir>/audio-uploads``: one folder per uploaded set."""
    return data_dir() / UPLOADS_FOLDER


def clean_upload_name(name: str) -> str | None:
    """A safe file name for an uploaded file's name, or None when nothing usable is left.

    ``"../../x.mp3"`` -> ``"x.mp3"``, ``"a/b.mp3"`` and ``"a\\b.mp3"`` -> ``"b.mp3"``; NUL and
    control characters are removed; leading dots and spaces go (no hidden files, no ``..``).
    """
    text = unicodedata.normalize("NFC", str(name))
    text = re.split(r"[/\\]", text)[-1]  # the browser may send a path: keep its last part
    text = _UNSAFE.sub("", text).strip()
    core = text[: -len(_audio_suffix(text))] if _audio_suffix(text) else text
    if not any(ch.isalnum() for ch in core):
        return None  # "", "..", ".mp3", "*?.mp3": nothing to name the file by
    text = text.lstrip(". ").rstrip(". ")  # no hidden files, no ".." parts
    stem, suffix = os.path.splitext(text)
    while len(text.encode("utf-8")) > MAX_NAME_BYTES and stem:
        stem = stem[:-1]
        text = stem.rstrip() + suffix
    return text or None


def _audio_suffix(name: str) -> str:
    lower = name.lower()
    return next((s for s in AUDIO_SUFFIXES if lower.endswith(s)), "")


def _unique(name: str, taken: set[str]) -> str:
    if name.lower() not in taken:
        return name
    stem, suffix = os.path.splitext(name)
    number = 2
    while f"{stem} ({number}){suffix}".lower() in taken:
        number += 1
    return f"{stem} ({number}){suffix}"


def store_uploads(files: Iterable[tuple[str, bytes]], root: str | os.PathLike | None = None) -> StoredUploads:
    """Keep the audio files among ``files`` (``(name as uploaded, bytes)``) in one folder under
    ``root`` (default :func:`uploads_root`) and say which were refused and why.

    The same file twice (same clean name, same bytes) is kept once; two different files with one
    name become ``name.mp3`` and ``name (2).mp3``. Writes are atomic.
    """
    base = Path(root) if root is not None else uploads_root()
    chosen: list[tuple[str, bytes]] = []
    refused: list[RefusedUpload] = []
    taken: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for original, data in files:
        clean = clean_upload_name(original)
        shown = str(original).replace("\x00", "")[:200] or "(no name)"
        if clean is None:
            refused.append(RefusedUpload(shown, BAD_NAME))
            continue
        if not is_audio_name(clean):
            refused.append(RefusedUpload(clean, NOT_AUDIO))
            continue
        digest = hashlib.sha256(data).hexdigest()
        if (clean.lower(), digest) in seen:
            continue  # the very same file twice
        seen.add((clean.lower(), digest))
        name = _unique(clean, taken)
        taken.add(name.lower())
        chosen.append((name, data))
    whole = hashlib.sha256()
    for name, data in sorted(chosen):
        whole.update(name.encode("utf-8", "surrogatepass") + b"\x00" + hashlib.sha256(data).digest())
    folder = base / whole.hexdigest()[:32]
    for name, data in chosen:
        target = folder / name
        # Same folder means same names and bytes: an existing file is this one, and leaving it
        # untouched keeps its modification time, which the analysis cache keys on.
        if not (target.is_file() and target.stat().st_size == len(data)):
            atomic_write_bytes(target, data)
    return StoredUploads(folder=folder, kept=[name for name, _ in chosen], refused=refused)


def music_folder(text: str) -> Path:
    """The folder the listener typed, checked: it exists, is a folder and can be read.

    Raises :class:`AudioError` naming the problem and what to do. Quotes around a pasted path
    and a leading ``~`` are understood.
    """
    typed = str(text or "").strip().strip('"').strip("'").strip()
    if not typed:
        raise AudioError("Type the path of a folder that holds your music files, such as ~/Music.", "no folder given")
    if "\x00" in typed:
        raise AudioError("That path holds a character no folder name can have. Copy the path from your file manager.",
                         "not a path")
    folder = Path(os.path.expanduser(typed))
    shown = display_path(typed)
    if not folder.exists():
        raise AudioError(f"{shown}: there is no such folder on this computer. Check the spelling, or copy the "
                         "path from your file manager.", "not found")
    if not folder.is_dir():
        raise AudioError(f"{shown}: this is a file, not a folder. Give the folder that holds your music files.",
                         "not a folder")
    try:
        with os.scandir(folder) as entries:
            next(entries, None)
    except OSError as exc:
        raise AudioError(f"{shown}: this folder cannot be read ({exc.strerror or 'error'}). Choose a folder you "
                         "may open, or change its permissions.", "cannot be read") from None
    return folder.resolve()
