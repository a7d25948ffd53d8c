"""Text columns as the reader gives them, plain or categorical (a Parquet dictionary).

A categorical column is cleaned once per distinct value and the result spread to its rows
by the integer codes; the helpers here give the same answer for either kind of column.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..cores import map_on_cores


def _clean_text(series: pd.Series) -> pd.Series:
    if _is_categorical(series):  # once per distinct value
        return _spread(series, _clean_text(_categories(series)))
    s = series.astype("string").str.strip()
    return s.mask(s == "")


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
    """:func:`_clean_text` that keeps a categorical column categorical (see :func:`_recategorize`)."""
    if _is_categorical(series):
        return _recategorize(series, _clean_text(_categories(series)))
    return _clean_text(series)


def _as_text(series: pd.Series) -> pd.Series:
    """A text column as Arrow-backed ``string``; a categorical one by one Arrow take."""
    if _is_categorical(series):
        return _spread(series, _categories(series))
    return series.astype("string")


def _as_text_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """:func:`_as_text` on ``columns`` of ``frame``, in place, one column per core: the Arrow
    takes behind it run without Python's lock (10M tracks: the memberships' four columns
    took 3.8 s one after another)."""
    columns = [c for c in columns if c in frame]
    texts = map_on_cores(lambda c: _as_text(frame[c]), columns)
    for column, text in zip(columns, texts):
        frame[column] = text


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
