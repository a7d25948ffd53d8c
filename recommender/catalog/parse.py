"""Cell parsers and :func:`canonical_rows`: raw source columns to canonical per-row columns.

Rows that cannot be used are dropped and counted by reason in the :class:`LoadReport`.
"""
from __future__ import annotations

import ast
import logging
import re
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .cells import (
    _as_text,
    _at_codes,
    _categories,
    _clean_column,
    _clean_text,
    _contains,
    _is_categorical,
    _recategorize,
    _replace_at,
)
from .schema import (
    _ENDPOINT_FEATURES,
    AUDIO_FEATURES,
    FEATURE_RANGES,
    LIST_SEP,
    MIN_SOUND_FEATURES,
    OPTIONAL_FEATURES,
    normalize_header,
)
from .track_ids import _parse_ids, _parse_ids_checked

if TYPE_CHECKING:
    from .model import LoadReport

_log = logging.getLogger(__name__)

# How several artists are written in a source column (others hold one name each).
_ARTIST_SEPARATORS = {"artists": ";", "artistnames": ",", "trackartists": ","}
# Pitch names and mode words some layouts write instead of numbers; boolean spellings.
_PITCHES = {
    "C": 0, "C#": 1, "DB": 1, "D": 2, "D#": 3, "EB": 3, "E": 4, "F": 5, "F#": 6, "GB": 6,
    "G": 7, "G#": 8, "AB": 8, "A": 9, "A#": 10, "BB": 10, "B": 11,
}
_MODES = {"MAJOR": 1.0, "MINOR": 0.0}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}

# ['A', 'B'] with no quote or backslash inside a name: split without a Python parser.
_SIMPLE_LIST = r"\['[^'\"\\]*'(?:, '[^'\"\\]*')*\]"


def _parse_artists(series: pd.Series, source_norm: str) -> pd.Series:
    if _is_categorical(series):  # once per distinct value
        return _recategorize(series, _parse_artists(_categories(series), source_norm))
    s = _clean_text(series)
    sep = _ARTIST_SEPARATORS.get(source_norm)
    looks_listy = s.str.startswith("[").fillna(False).astype(bool)
    if sep is None and not looks_listy.any():
        return s  # one name per cell, already cleaned (no empty cells left)
    out = s
    if looks_listy.any():
        listy = s[looks_listy]
        simple = listy.str.fullmatch(_SIMPLE_LIST).fillna(False).astype(bool)
        parsed = listy.str.slice(2, -2).str.replace("', '", LIST_SEP, regex=False)
        if not simple.all():
            parsed[~simple] = listy[~simple].map(_literal_list).astype("string")
        out = _replace_at(out, np.flatnonzero(looks_listy.to_numpy()), _tidy_list(parsed, ";"))
    rest = ~looks_listy & s.notna()
    if sep is not None and rest.any():
        out = _replace_at(out, np.flatnonzero(rest.to_numpy()), _tidy_list(s[rest], sep))
    return out.mask(out == "")


def _tidy_list(text: pd.Series, sep: str) -> pd.Series:
    """``'A ;B;; C'`` -> ``'A; B; C'`` (vectorised: no Python call per row)."""
    esc = re.escape(sep)
    # [ \t] rather than \s: pandas runs \s through Python's re, row by row (slow).
    joined = text.str.replace(rf"[ \t]*{esc}[ \t{esc}]*", LIST_SEP, regex=True)
    return joined.str.strip().str.strip(";").str.strip()


def _literal_list(cell: str) -> str:
    items: list = []
    if len(cell) < 100_000:  # literal_eval of a huge hostile cell is slow; fall back to a regex
        try:
            value = ast.literal_eval(cell)
            items = list(value) if isinstance(value, (list, tuple, set)) else [value]
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            items = []
    if not items:
        found = re.findall(r"'([^']*)'|\"([^\"]*)\"", cell)
        items = [a or b for a, b in found] if found else [cell.strip("[] ")]
    return LIST_SEP.join(str(i).strip() for i in items if str(i).strip())


def _as_float(text: pd.Series) -> pd.Series:
    """Parse cleaned text as float64, NaN where it is no number.

    Arrow's cast is ~30x faster than ``pd.to_numeric`` on text; when any cell is not a
    number it raises, and only then the slower, cell-by-cell coercion runs.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        values = pc.cast(pa.array(text.array), pa.float64()).to_numpy(zero_copy_only=False)
        # With nothing missing Arrow lends its own buffer, read-only, and callers write into
        # the result: pandas 3 copies it in the constructor, pandas 2 does not.
        return pd.Series(values, index=text.index, dtype="float64", copy=not values.flags.writeable)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, TypeError):
        values = text.to_numpy(dtype=object, na_value=None)
        return pd.Series(pd.to_numeric(values, errors="coerce"), index=text.index, dtype="float64")


def _number_array(series: pd.Series, feature: str) -> np.ndarray:
    """:func:`_to_number` as a float64 array, without a copy of a NumPy float64 column."""
    if isinstance(series.dtype, np.dtype) and (pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series)):
        return np.asarray(series, dtype=np.float64)
    return _to_number(series, feature).to_numpy(dtype=np.float64)


def _to_number(series: pd.Series, feature: str) -> pd.Series:
    """Numbers as float64; text that is no number becomes NaN (callers count it)."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        if isinstance(series.dtype, np.dtype):  # NumPy numbers have no NA to fill
            return pd.Series(np.asarray(series, dtype=np.float64), index=series.index)
        return pd.Series(series.to_numpy(dtype="float64", na_value=np.nan), index=series.index)
    s = _clean_text(series)
    number = _as_float(s)
    failed = number.isna() & s.notna()
    if not failed.any():
        return number
    # Only the cells that are not plain numbers get the slower treatments.
    rest = s[failed]
    if feature == "key":
        # SpotifyFeatures.csv writes pitch names: C, C#, Db, ... B.
        upper = rest.str.upper().str.replace("♯", "#", regex=False).str.replace("♭", "B", regex=False)
        rest = upper.map(_PITCHES).astype("string").fillna(rest)
    elif feature == "mode":
        rest = rest.str.upper().map(_MODES).astype("string").fillna(rest)
    elif feature == "time_signature":
        rest = rest.str.replace(r"^([0-9]+) */ *[0-9]+$", r"\1", regex=True)  # "4/4" -> 4
    # A decimal comma ("0,52") from a spreadsheet set to a European locale.
    rest = rest.str.replace(r"^([+-]?[0-9]+),([0-9]+)$", r"\1.\2", regex=True)
    number[failed] = pd.to_numeric(rest.to_numpy(dtype=object, na_value=None), errors="coerce")
    return number


def _parse_bool(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series.astype("boolean")
    s = _clean_text(series).str.lower().str.replace(r"^([01])\.0+$", r"\1", regex=True)
    is_true = s.isin(_TRUE).to_numpy(dtype=bool)
    known = is_true | s.isin(_FALSE).to_numpy(dtype=bool)
    return pd.Series(pd.arrays.BooleanArray(is_true, ~known), index=series.index)


def _release_year(date: pd.Series | None, year: pd.Series | None, *, date_is_clean: bool = False) -> pd.Series:
    """Release year from a date's first four digits, else the year column (1900-2100).
    ``date_is_clean``: ``date`` is :func:`_clean_text` output already (it is not cleaned again)."""
    out = None
    if date is not None and _is_categorical(date):  # once per distinct date
        per_date = _release_year(_categories(date), None).to_numpy()
        out = pd.Series(_at_codes(per_date, date, np.nan), index=date.index)
    elif date is not None:
        head = (date if date_is_clean else _clean_text(date)).str.slice(0, 4)
        out = _as_float(head.where(head.str.fullmatch(r"[0-9]{4}").fillna(False).astype(bool)))
    if year is not None:
        y = _to_number(year, "year")
        out = y if out is None else out.fillna(y)
    if out is None:
        return pd.Series(np.nan, index=(date if date is not None else year).index)
    # Year 0 and far-future years are placeholders in some dumps: unknown.
    return out.where((out >= 1900) & (out <= 2100)).astype("float64")


def canonical_rows(raw: pd.DataFrame, mapping: dict[str, str], report: LoadReport) -> pd.DataFrame:
    """Turn raw source columns into canonical per-row columns, dropping unusable rows.

    Every drop is counted in ``report.dropped`` by reason. Sets ``report.track_list_only``
    when the file has no audio feature values at all (an Exportify export made after
    Spotify closed the audio-features endpoint).
    """
    n = len(raw)
    out = pd.DataFrame(index=raw.index)
    dropped: Counter[str] = Counter()

    if "track_id" in mapping:
        out["track_id"], valid_id = _parse_ids_checked(raw[mapping["track_id"]])
    for col in ("track_name", "album_name", "album_id", "release_date", "playlist_id", "playlist_name", "genre", "subgenre"):
        if col == "album_id" and col in mapping:
            continue  # parsed (and cleaned) just below
        # Categorical source columns stay categorical until the rows are final (build_catalog).
        out[col] = _clean_column(raw[mapping[col]]) if col in mapping else pd.Series(pd.NA, index=raw.index, dtype="string")
    if "album_id" in mapping:
        out["album_id"] = _parse_ids(raw[mapping["album_id"]], kind="album")
    if "artists" in mapping:
        out["artists"] = _parse_artists(raw[mapping["artists"]], normalize_header(mapping["artists"]))
    else:
        out["artists"] = pd.Series(pd.NA, index=raw.index, dtype="string")
    if "genre" in mapping:
        # Exportify 'Genres' holds several artist genres joined by commas. Cells without a
        # separator are already clean: only the others go through the regex.
        genre = out["genre"]
        if _contains(genre, ",") or _contains(genre, ";"):
            genre = _as_text(genre)
            listy = (genre.str.contains(",", regex=False) | genre.str.contains(";", regex=False)).fillna(False).astype(bool)
            genre[listy] = _tidy_list(genre[listy].str.replace(",", ";", regex=False), ";")
        out["genre"] = genre.mask(genre == "")
    date = raw[mapping["release_date"]] if "release_date" in mapping else None
    out["release_year"] = _release_year(
        date if date is None or _is_categorical(date) else out["release_date"],  # cleaned above
        raw[mapping["year"]] if "year" in mapping else None,
        date_is_clean=date is not None and not _is_categorical(date),
    ) if ("release_date" in mapping or "year" in mapping) else np.nan
    out["explicit"] = _parse_bool(raw[mapping["explicit"]]) if "explicit" in mapping else pd.Series(pd.NA, index=raw.index, dtype="boolean")

    if "popularity" in mapping:
        pop = _to_number(raw[mapping["popularity"]], "popularity")
        lo, hi = FEATURE_RANGES["popularity"]
        bad = pop.notna() & ((pop < lo) | (pop > hi))
        if bad.any():
            report.warnings.append(
                f"{int(bad.sum()):,} popularity values outside 0-100 were treated as unknown."
            )
        out["popularity"] = pop.mask(bad)
    else:
        out["popularity"] = np.nan
        report.warnings.append("The file has no popularity column: popularity is unknown, not zero.")

    # The row checks below work on NumPy arrays (a pandas operation per check and feature
    # cost ~0.3 s on a million rows).
    keep = np.ones(n, dtype=bool)
    if "track_id" in mapping:
        missing_id = out["track_id"].isna().to_numpy()
        dropped["missing track ID"] += int(missing_id.sum())
        malformed = ~missing_id & ~valid_id
        dropped["malformed track ID (not 22 base62 characters)"] += int(malformed.sum())
        keep &= ~missing_id & ~malformed

    present_features = [f for f in AUDIO_FEATURES if f in mapping]
    values = {f: _number_array(raw[mapping[f]], f) for f in present_features + [f for f in OPTIONAL_FEATURES if f in mapping]}
    nonempty = {
        f: (raw[mapping[f]].notna() if pd.api.types.is_numeric_dtype(raw[mapping[f]]) else _clean_text(raw[mapping[f]]).notna()).to_numpy()
        for f in present_features
    }
    # A feature column without a single value is as good as absent: unknown, not a reason to
    # drop every row.
    valued = [f for f in present_features if nonempty[f].any()]
    sound = [f for f in valued if f in _ENDPOINT_FEATURES]
    any_feature_value = len(sound) >= MIN_SOUND_FEATURES
    report.track_list_only = not any_feature_value
    report.missing_features = tuple(f for f in AUDIO_FEATURES if f not in valued) if any_feature_value else AUDIO_FEATURES
    for f in valued if any_feature_value else ():
        v = values[f]
        lo, hi = FEATURE_RANGES[f]
        finite = np.isfinite(v)
        unknown = np.isnan(v)
        empty = ~nonempty[f] & keep
        nonnum = nonempty[f] & unknown & keep
        nonfinite = ~unknown & ~finite & keep
        with np.errstate(invalid="ignore"):
            out_of_range = finite & ((v < lo) | (v > hi)) & keep
        dropped[f"missing {f}"] += int(empty.sum())
        dropped[f"{f} is not a number"] += int(nonnum.sum() + nonfinite.sum())
        dropped[f"{f} outside {lo:g} to {hi:g}"] += int(out_of_range.sum())
        keep &= ~(empty | nonnum | nonfinite | out_of_range)
    for f in AUDIO_FEATURES + OPTIONAL_FEATURES:
        if f in values:
            v = values[f]
            with np.errstate(invalid="ignore", over="ignore"):
                if f in OPTIONAL_FEATURES or not any_feature_value:
                    # Optional features, and what a track list still has (its duration): a
                    # bad value is unknown, not a reason to drop the track.
                    lo, hi = FEATURE_RANGES[f]
                    v = np.where(np.isfinite(v) & (v >= lo) & (v <= hi), v, np.nan)
                # Values beyond float32 (1e300) belong to rows already dropped: unknown, and
                # no overflow warning. (Looked for before anything is written: 10M rows x 13
                # features took 0.9 s when every column was written.)
                column = v.astype(np.float32)
                huge = np.abs(v) >= 1e38
                if huge.any():
                    column[huge] = np.nan
                out[f] = column
        else:
            out[f] = np.float32(np.nan)

    report.dropped.update({k: v for k, v in dropped.items() if v})
    if report.track_list_only and sound:
        report.warnings.append(
            f"The file gives only one audio feature ({sound[0]}): comparing tracks by sound needs at least "
            f"{MIN_SOUND_FEATURES}, so it was loaded as a track list, usable as seeds or labels for tracks "
            "that are in the loaded catalog."
        )
    elif report.track_list_only:
        report.warnings.append(
            "The file has no audio feature values (Spotify stopped providing them to new apps "
            "in Nov 2024): it was loaded as a track list, usable as seeds or labels for tracks "
            "that are in the loaded catalog."
        )
    _log.debug("canonical rows: %d of %d kept", int(keep.sum()), n)
    if keep.all():  # no copy of every column (most large files drop nothing)
        return out
    return out[pd.Series(keep, index=raw.index)]
