"""The public loaders: a file (path, bytes or file object) or the embedded catalog."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import CatalogError, TastemapError
from .build import build_catalog
from .model import Catalog, LoadReport
from .parse import canonical_rows
from .read import MAX_DECOMPRESSED_BYTES, Source, _missing_message, _read_table, _release_arrow_memory, loading_pool
from .schema import DEFAULT_CATALOG_PATH, identify_layout, map_columns
from .sound import FILE_PATH_COLUMN, SoundData

_log = logging.getLogger(__name__)


# What load_catalog's on_step is told, in order (ten million tracks take minutes).
LOAD_STEPS: tuple[str, ...] = ("Reading the file", "Checking every row", "Merging each track's rows and playlists")


def load_catalog(source: Source, *, name: str | None = None, max_bytes: int = MAX_DECOMPRESSED_BYTES,
                 on_step: Callable[[int, int, str], None] | None = None) -> Catalog:
    """Load a catalog from a path, bytes or a file object; the layout is detected from headers.

    Raises :class:`CatalogError` when the file cannot be read or no usable track remains; the
    message says what is wrong and what to do. Otherwise every dropped row is counted in
    ``catalog.report``. ``on_step(done, total, what)`` is called as each of :data:`LOAD_STEPS`
    starts.
    """
    source_name = _source_name(source)
    step = _stepper(on_step)
    try:
        with loading_pool():
            step(0)
            # A list the callee empties: the raw table can be freed as soon as it is parsed.
            loaded = list(_read_table(source, max_bytes=max_bytes, text_categories=True))
            source_name = loaded[1]
            return _catalog_from_raw(loaded, name, step)
    except TastemapError:
        raise
    except (MemoryError, RecursionError):
        raise CatalogError(f"{source_name}: the file is too large or too deeply nested to load here.") from None
    except Exception as exc:
        # A bug of ours, not the user's fault: keep the trace in the log, give a message.
        _log.exception("unexpected error while loading %s", source_name)
        raise CatalogError(
            f"{source_name}: could not be loaded because of an unexpected problem "
            f"({type(exc).__name__}). Check that it is a Spotify tracks CSV or Parquet file."
        ) from None


def _source_name(source: object) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return str(getattr(source, "name", "uploaded data"))


def _stepper(on_step: Callable[[int, int, str], None] | None) -> Callable[[int], None]:
    def step(i: int) -> None:
        if on_step is not None:
            on_step(i, len(LOAD_STEPS), LOAD_STEPS[i])
    return step


def _catalog_from_raw(loaded: list, name: str | None, step: Callable[[int], None] = lambda i: None) -> Catalog:
    """``loaded`` = ``[raw frame, source name, warnings]`` as from :func:`read_table`; the
    list is emptied so that the raw frame is freed once its rows are parsed (peak memory)."""
    raw, source_name, warnings = loaded
    loaded.clear()
    header = raw.attrs.get("source_columns") or [str(c) for c in raw.columns]
    bad_lines = int(raw.attrs.get("bad_lines", 0))
    report = LoadReport(source=source_name, rows_read=len(raw) + bad_lines, warnings=warnings)
    if bad_lines:
        report.dropped["line with the wrong number of fields"] = bad_lines
        report.warnings.append(f"{bad_lines:,} lines had the wrong number of fields and were skipped.")
    report.layout = identify_layout(header)
    mapping = map_columns(raw.columns)
    report.columns = mapping
    report.unused_columns = [c for c in header if c not in mapping.values()]
    if "track_id" not in mapping:
        raise CatalogError(_missing_message(source_name, ["track_id"], header))
    if len(raw) == 0:
        raise CatalogError(
            f"{source_name}: the file has a header but no rows. Load a file with at least one track."
        )
    raw.attrs["source_columns"] = header
    sound_table = raw.attrs.pop("sound", None)
    step(1)
    rows = canonical_rows(raw, mapping, report)
    del raw
    _release_arrow_memory()
    if rows.empty:
        reasons = "; ".join(f"{v:,} {k}" for k, v in report.dropped.items()) or "no rows"
        raise CatalogError(
            f"{source_name}: no usable track remains after checking every row ({reasons}). "
            "Fix those values or load another file."
        )
    step(2)
    catalog = build_catalog(rows, report, name=name or Path(source_name).name)
    if sound_table is not None:
        attach_sound(catalog, *sound_table)
    return catalog


def attach_sound(catalog: Catalog, frame, sound: SoundData) -> None:
    """Put an audio library's file paths and :class:`SoundData` on ``catalog`` in its track
    order (rows dropped while loading are left out; the first row of a repeated ID wins)."""
    at = frame.drop_duplicates("track_id").reset_index()
    at = at.set_index("track_id").reindex(catalog.tracks["track_id"].to_numpy())
    rows = at["index"].to_numpy()
    if np.isnan(rows).any():  # cannot happen: every track came from this file
        raise CatalogError(f"{catalog.name}: the audio library's sound columns do not match its tracks.")
    rows = rows.astype(np.intp)
    if FILE_PATH_COLUMN in frame:
        catalog.tracks[FILE_PATH_COLUMN] = frame[FILE_PATH_COLUMN].astype("string").to_numpy()[rows]
    catalog.sound = sound.take(rows)
    catalog.__dict__.pop("content_hash", None)


def load_default_catalog() -> Catalog:
    """The embedded TidyTuesday catalog (28,356 tracks in 471 playlists)."""
    return load_catalog(DEFAULT_CATALOG_PATH, name="spotify_songs (TidyTuesday 2020-01-21)")
