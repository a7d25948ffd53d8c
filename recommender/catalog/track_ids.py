"""Spotify IDs: from URIs and links to bare IDs, checked and turned into integer codes.

The fast paths read the 22 bytes of each ID straight from the Arrow string buffers; each
has a plain fallback that gives the same answer (tests/test_fast_paths.py compares them).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import _at_codes, _categories, _clean_text, _is_categorical, _recategorize
from .codes import _codes, _first_rows, _first_seen_codes


def _parse_ids(series: pd.Series, kind: str = "track") -> pd.Series:
    return _parse_ids_checked(series, kind)[0]


def _parse_ids_checked(series: pd.Series, kind: str = "track") -> tuple[pd.Series, np.ndarray]:
    """:func:`_parse_ids` and, per row, whether the result is a valid ID (:func:`_valid_ids`)."""
    if _is_categorical(series):  # once per distinct value
        ids, valid = _parse_ids_checked(_categories(series), kind)
        return _recategorize(series, ids), _at_codes(valid, series, False)
    text = series.astype("string")
    bare = _valid_ids(text)
    if bare.all():  # canonical IDs have no blanks to strip (saves a pass over every ID: ~4 s at 10M rows)
        return text, bare.to_numpy()
    s = _clean_text(text)
    bare = _valid_ids(s)
    if bare.all():
        return s, bare.to_numpy()
    # spotify:track:ID URIs and open.spotify.com/track/ID links -> the bare ID.
    rest = s[~bare]
    extracted = rest.str.extract(rf"(?:spotify:{kind}:|/{kind}/)([0-9A-Za-z]+)", expand=False)
    out = s.copy()
    out[~bare] = extracted.fillna(rest).astype("string")
    return out, _valid_ids(out).to_numpy()


def _valid_ids(ids: pd.Series) -> pd.Series:
    """Vectorised :func:`~recommender.ids.is_track_id` (no Python call per row)."""
    checked = _valid_id_bytes(ids)
    if checked is not None:
        return pd.Series(checked, index=ids.index)
    return ids.str.fullmatch(r"[0-9A-Za-z]{22}").fillna(False).astype(bool)


_ID_ROWS_PER_STEP = 65_536  # bounds the temporary byte matrices to ~1.4 MB each


def _base62(codes: np.ndarray) -> np.ndarray:
    """Per byte: is it an ASCII digit or letter? (uint8 arithmetic wraps: one comparison per range)"""
    digit = (codes - np.uint8(48)) < 10
    letter = ((codes | np.uint8(32)) - np.uint8(97)) < 26  # | 32 lower-cases A-Z only onto a-z
    return digit | letter


def _text_chunks(texts: pd.Series) -> list | None:
    """The Arrow chunks behind a text column (None when it is not Arrow-backed text)."""
    import pyarrow as pa

    try:
        arr = pa.array(texts.array)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return None
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    if not all(pa.types.is_string(c.type) or pa.types.is_large_string(c.type) for c in chunks):
        return None
    return chunks


def _text_buffers(chunk) -> tuple[np.ndarray, np.ndarray]:
    """An Arrow text chunk's value offsets (``len(chunk) + 1`` of them, int64) and its bytes."""
    import pyarrow as pa

    _, offsets_buf, data_buf = chunk.buffers()
    offset_type = np.int32 if pa.types.is_string(chunk.type) else np.int64
    offsets = np.frombuffer(offsets_buf, dtype=offset_type)[chunk.offset : chunk.offset + len(chunk) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return offsets.astype(np.int64), data


def _valid_id_bytes(ids: pd.Series) -> np.ndarray | None:
    """What ``fullmatch('[0-9A-Za-z]{22}')`` answers, read from the Arrow string buffers: 22
    bytes that are all ASCII letters or digits (68 ms instead of the regex's 108 ms on a
    million IDs). None when ``ids`` is not Arrow-backed text."""
    chunks = _text_chunks(ids)
    if chunks is None:
        return None
    out = []
    for chunk in chunks:
        n = len(chunk)
        if n == 0:
            continue
        offsets, data = _text_buffers(chunk)
        ok = np.diff(offsets) == 22
        if chunk.null_count:
            ok &= chunk.is_valid().to_numpy(zero_copy_only=False)
        for lo in range(0, n, _ID_ROWS_PER_STEP):
            rows = lo + np.flatnonzero(ok[lo : lo + _ID_ROWS_PER_STEP])
            if len(rows) == 0:
                continue
            first, last = offsets[rows[0]], offsets[rows[-1]] + 22
            if last - first == 22 * len(rows):  # back to back: the bytes as one block
                block = data[first:last].reshape(len(rows), 22)
            else:
                block = data[offsets[rows][:, None] + np.arange(22)]
            ok[rows] = _base62(block).all(axis=1)
        out.append(ok)
    return np.concatenate(out) if out else np.zeros(0, dtype=bool)


# Odd 64-bit multipliers mixing an ID's three 8-byte words into one integer key.
_ID_KEY_MULTIPLIERS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


def _track_codes(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``_codes(ids)[0]`` for the track ID column, and each code's first row. When every ID is
    22 bytes of Arrow text (canonical IDs always are), each ID's bytes are mixed into one
    uint64 and those integers are coded (:func:`~.codes._first_seen_codes`): hashing the
    integers took 60 ms instead of 225-390 ms for hashing 1.16M strings. A mix shared by two
    different IDs is caught (every row that repeats a key is compared with its code's first
    row) and the strings are factorized instead."""
    words = _id_words(ids)
    codes = None
    if words is not None:
        m1, m2, m3 = _ID_KEY_MULTIPLIERS
        with np.errstate(over="ignore"):
            key = (words[:, 0] * m1) ^ (words[:, 1] * m2) ^ (words[:, 2] * m3)
        codes = _first_seen_codes(key)
        first_rows = _first_rows(codes, int(codes.max()) + 1)
        first = first_rows[codes]
        again = np.flatnonzero(first != np.arange(len(codes)))  # rows that repeat an earlier key
        if np.array_equal(words[again], words[first[again]]):
            return codes, first_rows
    codes = _codes(ids)[0]
    present = np.flatnonzero(codes >= 0)  # (no ID is missing by the time tracks are built)
    return codes, present[_first_rows(codes[present], int(codes.max()) + 1 if len(codes) else 0)]


def _id_words(ids: pd.Series) -> np.ndarray | None:
    """Each 22-byte ID as three uint64 words (zero-padded), read from the Arrow buffers; None
    unless the column is Arrow text of 22-byte values without missing ones."""
    chunks = _text_chunks(ids)
    if chunks is None or len(ids) == 0 or any(chunk.null_count for chunk in chunks):
        return None
    padded = np.zeros((len(ids), 24), dtype=np.uint8)
    start = 0
    for chunk in chunks:
        n = len(chunk)
        offsets, data = _text_buffers(chunk)
        if n and (offsets[-1] - offsets[0] != 22 * n or not (np.diff(offsets) == 22).all()):
            return None
        padded[start : start + n, :22] = data[offsets[0] : offsets[-1]].reshape(n, 22)
        start += n
    return padded.view(np.uint64)
