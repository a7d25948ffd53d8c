"""Text columns as the reader gives them, plain or categorical (a Parquet dictionary).

A categorical column is cleaned once per distinct value and the result spread to its rows
by the integer codes; the helpers here give the same answer for either kind of column.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..cores import map_on_cores

# UTF-8 bytes that can begin (resp. end) a whitespace character: ASCII controls and space, and
# the lead (resp. last) bytes of Unicode's White_Space characters (U+0085, U+00A0, U+1680,
# U+2000-200A, U+2028-2029, U+202F, U+205F, U+3000), which str.strip also removes.
_MAY_START_SPACE = np.zeros(256, dtype=bool)
_MAY_START_SPACE[:0x21] = True
_MAY_START_SPACE[[0xC2, 0xE1, 0xE2, 0xE3]] = True
_MAY_END_SPACE = np.zeros(256, dtype=bool)
_MAY_END_SPACE[:0x21] = True
_MAY_END_SPACE[[*range(0x80, 0x8B), 0x8E, 0x9F, 0xA0, 0xA8, 0xA9, 0xAF]] = True


def _clean_text(series: pd.Series) -> pd.Series:
    if _is_categorical(series):  # once per distinct value
        return _spread(series, _clean_text(_categories(series)))
    s = series.astype("string")
    cleaned = _cleaned(s)
    return s if cleaned is None else cleaned


def _cleaned(s: pd.Series) -> pd.Series | None:
    """``s`` (``string`` dtype) stripped, empty cells missing; None when no cell would change
    (Arrow-backed text, looked up in its buffers: see :func:`_may_need_strip`)."""
    odd = _may_need_strip(s)
    if odd is None:
        s = s.str.strip()
        return s.mask(s == "")
    at = np.flatnonzero(odd)
    cells = s.iloc[at]
    stripped = cells.str.strip()
    changed = ((stripped != cells) | (stripped == "")).to_numpy(dtype=bool, na_value=False)
    if not changed.any():  # the common case (a name that starts with '’' or '♥'): no copy
        return None
    new = stripped[changed]
    return _replace_at(s, at[changed], new.mask(new == ""))


def _replace_at(text: pd.Series, rows: np.ndarray, values: pd.Series) -> pd.Series:
    """A copy of text column ``text`` with ``values`` at positions ``rows`` (increasing). An
    Arrow-backed column by one Arrow pass: pandas' assignment into one took 0.8-1.2 s at 11.6M
    rows, however few were assigned."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if getattr(text.dtype, "storage", None) != "pyarrow" or getattr(values.dtype, "storage", None) != "pyarrow":
        out = text.copy()
        out.iloc[rows] = values.to_numpy()
        return out
    mask = np.zeros(len(text), dtype=bool)
    mask[rows] = True
    whole = pa.chunked_array(pa.array(text.array)).combine_chunks()
    new = pa.chunked_array(pa.array(values.array)).combine_chunks().cast(whole.type)
    replaced = pc.replace_with_mask(whole, pa.array(mask), new)
    return pd.Series(pd.array(replaced, dtype=text.dtype), index=text.index, name=text.name)


def _may_need_strip(s: pd.Series) -> np.ndarray | None:
    """Per cell of an Arrow-backed text column: is it empty or may it begin or end with
    whitespace? Read off the first and last bytes in Arrow's buffers (10M cells: 0.1 s; a
    strip of every cell took 0.5 s and copied all the text). None for other storage."""
    import pyarrow as pa

    if getattr(s.dtype, "storage", None) != "pyarrow":
        return None
    parts = []
    for chunk in pa.chunked_array(pa.array(s.array)).chunks:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return None
        _, offsets, data = chunk.buffers()
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        at = np.frombuffer(offsets, dtype=width)[chunk.offset: chunk.offset + len(chunk) + 1]
        start, end = at[:-1], at[1:]
        valid = chunk.is_valid().to_numpy(zero_copy_only=False)
        odd = valid & (end == start)
        text = valid & (end > start)
        if text.any():
            data = np.frombuffer(data, dtype=np.uint8)
            odd[text] = _MAY_START_SPACE[data[start[text]]] | _MAY_END_SPACE[data[end[text] - 1]]
        parts.append(odd)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _is_categorical(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.CategoricalDtype)


def _categories(series: pd.Series) -> pd.Series:
    """The distinct values of a categorical column as text, one row per category."""
    return pd.Series(series.cat.categories, dtype="string", name=series.name)


def _spread(series: pd.Series, per_category: pd.Series) -> pd.Series:
    """Results computed once per category of categorical ``series`` (a text Series in category
    order) spread to its rows with one Arrow take; rows with no value stay missing. Equals the
    result on the rows themselves for any function of the cell alone."""
    import pyarrow as pa

    codes = series.cat.codes.to_numpy()
    taken = pa.array(per_category.array).take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.array(taken, dtype=per_category.dtype), index=series.index, name=series.name)


def _recategorize(series: pd.Series, per_category: pd.Series) -> pd.Series:
    """Like :func:`_spread`, but the rows stay categorical: the categories become the
    distinct results (two raw values may clean to the same text; an empty result is a
    missing value) and only the integer codes are remapped, no text is copied per row.
    :func:`_as_text` turns it into text once the rows are final."""
    codes = series.cat.codes.to_numpy()
    result_codes, results = pd.factorize(per_category)  # per raw category: its result's code
    result_codes = np.append(np.asarray(result_codes, dtype=np.int32), np.int32(-1))
    mapped = result_codes[codes]  # code -1 (no value) reads the appended -1
    categories = pd.Index(results, dtype=per_category.dtype)
    return pd.Series(pd.Categorical.from_codes(mapped, dtype=pd.CategoricalDtype(categories)), index=series.index, name=series.name)


def _clean_column(series: pd.Series) -> pd.Series:
    """:func:`_clean_text` that keeps a categorical column categorical (see :func:`_recategorize`;
    returned as it is when no category changes: 10M tracks, four columns of 0.4-2M distinct
    titles, albums and dates, each took 0.2-0.5 s to recategorize for nothing)."""
    if _is_categorical(series):
        cleaned = _cleaned(_categories(series))
        return series if cleaned is None else _recategorize(series, cleaned)
    return _clean_text(series)


def _as_text(series: pd.Series) -> pd.Series:
    """A text column as Arrow-backed ``string``; a categorical one by one Arrow take."""
    if _is_categorical(series):
        return _spread(series, _categories(series))
    return series.astype("string")


def _one_chunk(series: pd.Series, max_bytes: int = 1 << 30) -> pd.Series:
    """An Arrow-backed text column in one chunk (one per Parquet row group otherwise). Each
    query takes a few rows from the track columns, and Arrow joins a column's chunks before
    every take: at 10M tracks in 89 chunks a query took 35 ms instead of 11. (The memberships
    are read whole, never a few rows at a time: they keep their chunks, not copied.) Left as
    it is past ``max_bytes`` (one chunk's offsets count to 2 GiB) or in other storage."""
    import pyarrow as pa

    if getattr(series.dtype, "storage", None) != "pyarrow":
        return series
    values = pa.chunked_array(pa.array(series.array))
    if values.num_chunks <= 1 or values.nbytes > max_bytes:
        return series
    return pd.Series(pd.array(values.combine_chunks(), dtype=series.dtype), index=series.index, name=series.name)


def _as_text_columns(frame: pd.DataFrame, columns: Sequence[str], one_chunk: bool = False) -> None:
    """:func:`_as_text` on ``columns`` of ``frame``, in place, one column per core: the Arrow
    takes behind it run without Python's lock (10M tracks: the memberships' four columns
    took 3.8 s one after another). ``one_chunk``: each also in one chunk (:func:`_one_chunk`)."""
    columns = [c for c in columns if c in frame]
    texts = map_on_cores(lambda c: _one_chunk(_as_text(frame[c])) if one_chunk else _as_text(frame[c]), columns)
    for column, text in zip(columns, texts):
        frame[column] = text


def _take(series: pd.Series, rows: np.ndarray) -> pd.Series:
    """``series.iloc[rows]`` for increasing ``rows``, with a new 0..n-1 index. An Arrow-backed
    text column is taken chunk by chunk, then joined into one chunk: Arrow joins a column's
    chunks before taking rows from it (10M track IDs in 89 row groups: 0.33-0.95 s; chunk by
    chunk 0.10-0.37 s)."""
    import pyarrow as pa

    if getattr(series.dtype, "storage", None) != "pyarrow" or not len(rows):
        return series.iloc[rows].reset_index(drop=True)
    values = pa.chunked_array(pa.array(series.array))
    bounds = np.cumsum([0] + [len(chunk) for chunk in values.chunks])
    cuts = np.searchsorted(rows, bounds)
    pieces = [chunk.take(pa.array(rows[cuts[i]:cuts[i + 1]] - bounds[i])) for i, chunk in enumerate(values.chunks)]
    return _one_chunk(pd.Series(pd.array(pa.chunked_array(pieces, values.type), dtype=series.dtype), name=series.name))


def _contains(series: pd.Series, text: str) -> bool:
    """Does any cell contain ``text``? (a categorical column: looked up in its categories)"""
    values = _categories(series) if _is_categorical(series) else series.astype("string")
    return bool(values.str.contains(text, regex=False).any())


def _at_codes(per_category: np.ndarray, series: pd.Series, missing: object) -> np.ndarray:
    """Per-category NumPy values spread to the rows of categorical ``series`` (``missing``
    where a row has no value)."""
    codes = series.cat.codes.to_numpy()
    out = np.full(len(codes), missing, dtype=per_category.dtype)
    has = codes >= 0
    out[has] = per_category[codes[has]]
    return out
