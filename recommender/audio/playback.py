"""Which file on this machine plays a track of an audio library, if any.

Only a file inside the library's own folder, with an audio suffix, that exists: a path in a
library file (which anyone can edit or upload) never reaches anything else on the server.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..catalog import Catalog
from ..catalog.sound import FILE_PATH_COLUMN
from .decode import is_audio_name


def audio_file(catalog: Catalog, track_id: str) -> Path | None:
    """The playable file of ``track_id``, or None (not a library, files elsewhere, gone)."""
    if catalog.sound is None or not catalog.sound.root or FILE_PATH_COLUMN not in catalog.tracks:
        return None
    pos = catalog.positions([track_id])[0]
    if pos < 0:
        return None
    relative = catalog.tracks[FILE_PATH_COLUMN].iloc[pos]
    if not isinstance(relative, str) or not relative or not is_audio_name(relative):
        return None
    root = os.path.realpath(catalog.sound.root)
    candidate = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([root, candidate]) != root or not os.path.isfile(candidate):
        return None
    return Path(candidate)
