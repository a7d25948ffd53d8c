"""Reading a file as raw text columns: bytes, gzip, text encodings, CSV separators, Parquet.

Every way a file can be unreadable (empty, binary, zipped, damaged, wrongly encoded, a
compression bomb) ends in a :class:`CatalogError` that says what to do.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import warnings as _warnings
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from ..errors import CatalogError
from .schema import ALIASES, AUDIO_FEATURES, normalize_header
from .sound import is_sound_table, read_sound_table

MAX_DECOMPRESSED_BYTES = 2 * 1024**3  # refuse gzip bombs
# Parquet text columns whose stored dictionaries hold at most this share of their rows are
# loaded as categoricals and cleaned once per distinct value (see _read_parquet).
_MAX_CATEGORY_SHARE = 0.25

Source = str | os.PathLike | bytes | IO[bytes]


def _read_bytes(source: Source) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "uploaded data"
    if hasattr(source, "read"):
        data = source.read()
        name = getattr(source, "name", "uploaded file")
        return (data.encode("utf-8") if isinstance(data, str) else data), str(name)
    path = Path(source)
    if not path.exists():
        raise CatalogError(f"{path}: no such file. Check the path, or load another file.")
    if path.is_dir():
        raise CatalogError(f"{path} is a folder; give the path of a CSV, CSV.gz or Parquet file.")
    try:
        return path.read_bytes(), str(path)
    except OSError as exc:
        raise CatalogError(f"{path}: cannot be read ({exc.strerror or exc}).") from None


def _gunzip(data: bytes, name: str, limit: int) -> bytes:
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            while chunk := fh.read(1 << 20):
                out.write(chunk)
                if out.tell() > limit:
                    raise CatalogError(
                        f"{name}: unpacks to more than {limit / 1024**3:.1f} GiB; refusing it as "
                        "a possible compression bomb. Load a smaller file or Parquet instead."
                    )
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise CatalogError(f"{name}: the gzip file is damaged or truncated ({exc}).") from None
    return out.getvalue()


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NUL bytes sit on every other position (Excel exports)."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _decode(data: bytes, name: str, warnings: list[str]) -> str:
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else None
    if encoding is None and b"\x00" in data[:65536]:
        encoding = _utf16_without_bom(data)
        if encoding is None:
            raise CatalogError(
                f"{name}: this is a binary file, not CSV or Parquet. Export your data as CSV "
                "(UTF-8) or Parquet and load that."
            )
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise CatalogError(
                f"{name}: looks like UTF-16 text but byte {exc.start} cannot be decoded (the file "
                "may be truncated). Save it as CSV UTF-8 and load it again."
            ) from None
        if "\x00" in text:
            raise CatalogError(
                f"{name}: this is a binary file, not CSV or Parquet. Export your data as CSV "
                "(UTF-8) or Parquet and load that."
            )
        return text.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise CatalogError(
                f"{name}: the text is not UTF-8 (byte {exc.start} cannot be read) nor "
                "Windows-1252. Save the file as CSV UTF-8 and load it again."
            ) from None
        warnings.append(
            "The file is not UTF-8; it was read as Windows-1252. Check that accented names look "
            "right, or save the file as CSV UTF-8."
        )
        return text


def read_table(source: Source, *, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> tuple[pd.DataFrame, str, list[str]]:
    """Read a CSV, CSV.gz or Parquet file (path, bytes or file object) as raw text columns.

    Returns ``(frame, source_name, warnings)``. Only the columns the alias table knows are
    returned; every header name of the file is in
    ``frame.attrs["source_columns"]`` and the number of malformed lines skipped in
    ``frame.attrs["bad_lines"]``. Raises :class:`CatalogError` with a specific message for
    empty, binary, zipped, damaged or wrongly encoded input.
    """
    return _read_table(source, max_bytes=max_bytes)


def _read_table(
    source: Source, *, max_bytes: int = MAX_DECOMPRESSED_BYTES, text_categories: bool = False
) -> tuple[pd.DataFrame, str, list[str]]:
    """:func:`read_table`; ``text_categories``: Parquet text columns other than the track
    ID stay pandas categoricals (dictionary-encoded, as stored), which :func:`canonical_rows`
    cleans once per distinct value (:func:`load_catalog` only)."""
    if isinstance(source, (str, os.PathLike)) and str(source).lower().endswith(".parquet"):
        path = Path(source)
        if not path.is_file():
            _read_bytes(path)  # raises the "no such file" / "is a folder" message
        return _read_parquet(path, str(path), text_categories), str(path), []
    data, name = _read_bytes(source)
    warnings: list[str] = []
    if not data or data.isspace():
        raise CatalogError(f"{name}: the file is empty. Load a CSV, CSV.gz or Parquet file with track rows.")
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, name, max_bytes)
        if not data or data.isspace():
            raise CatalogError(f"{name}: the compressed file holds nothing.")
    if data[:4] == b"PAR1":
        return _read_parquet(io.BytesIO(data), name, text_categories), name, warnings
    if data[:2] == b"PK":
        raise CatalogError(
            f"{name}: this is a zip archive (or an Excel workbook). Unzip it, or export the sheet "
            "as CSV, and load the CSV."
        )
    text = _decode(data, name, warnings)
    if not text or text.isspace():
        raise CatalogError(f"{name}: the file is empty. Load a CSV, CSV.gz or Parquet file with track rows.")
    sep = _sniff_sep(text)
    try:
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                sep=sep,
                # No usecols: with it pandas stops checking field counts, and a line with an
                # unquoted comma would shift its values into the wrong columns unnoticed.
                on_bad_lines="warn",
                engine="c",
            )
    except pd.errors.EmptyDataError:
        raise CatalogError(f"{name}: no header row was found. The first line must name the columns.") from None
    except (pd.errors.ParserError, ValueError, csv.Error, OverflowError, UnicodeError) as exc:
        raise CatalogError(f"{name}: this is not a readable CSV file ({_short(exc)}).") from None
    bad_lines = sum(str(w.message).count("Skipping line") for w in caught)
    header = [str(c) for c in frame.columns]
    frame = frame[[c for c in frame.columns if _known(c)]]
    if frame.shape[1] == 0:
        raise CatalogError(_missing_message(name, ["track_id", *AUDIO_FEATURES], header))
    frame.attrs["source_columns"] = header
    frame.attrs["bad_lines"] = bad_lines
    return frame, name, warnings


def _short(exc: Exception) -> str:
    msg = str(exc).strip().splitlines()
    return msg[0][:200] if msg else type(exc).__name__


def _sniff_sep(text: str) -> str:
    first = re.split(r"\r\n|\r|\n", text[:65536].lstrip(), maxsplit=1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


_KNOWN = {alias for names in ALIASES.values() for alias in names}
_KNOWN |= {"target", "liked", "label", "like", "songtitle"}  # label files (taste model)


def _known(column: object) -> bool:
    return normalize_header(column) in _KNOWN


def _read_parquet(source: Path | IO[bytes], name: str, text_categories: bool = False) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(source)
        names = [str(c) for c in schema.names]
        columns = [c for c in schema.names if _known(c)]
        if not columns:
            raise CatalogError(_missing_message(name, ["track_id", *AUDIO_FEATURES], names))
        if hasattr(source, "seek"):
            source.seek(0)
        # Text columns repeat values (one row per track x playlist): those that repeat within a
        # row group are read as the file stores them, dictionary-encoded, kept as categoricals
        # and cleaned once per distinct value. Expanded here (one take per column), the
        # 1M-track file took 0.6 s instead of 0.7-1.1 s (less time in the kernel handing out
        # fresh memory). Track IDs are nearly all distinct: read as they are.
        ids = set(ALIASES["track_id"])
        text = [
            f.name for f in schema
            if f.name in columns and normalize_header(f.name) not in ids
            and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
        ]
        dictionaries = _repeating_columns(source, text) if text_categories else []
        if hasattr(source, "seek"):
            source.seek(0)
        table = pq.read_table(source, columns=columns, read_dictionary=dictionaries or None)
        for i, field in enumerate(table.schema):
            if not pa.types.is_dictionary(field.type):
                continue
            column = table.column(i)
            # pandas builds categories slowly (0.7 s for 286k artist names): only columns
            # with few distinct values per row stay categorical.
            if not text_categories or _distinct_in_groups(column) > _MAX_CATEGORY_SHARE * max(len(column), 1):
                table = table.set_column(i, field.name, column.cast(field.type.value_type))
        table = _dictionaries_stay_categorical(table)
        # self_destruct: Arrow buffers are freed column by column as pandas takes them over,
        # so the file is not held twice in memory.
        frame = table.to_pandas(self_destruct=True, split_blocks=True)
        del table
        _release_arrow_memory()
    except CatalogError:
        raise
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise CatalogError(f"{name}: the Parquet file is damaged or unreadable ({_short(exc)}).") from None
    # Nested values (lists, structs) and bytes are read as their text form, like a CSV cell.
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(_cell_text, na_action="ignore").astype("string")
    frame.attrs["source_columns"] = names
    frame.attrs["bad_lines"] = 0
    if is_sound_table(names):
        # An audio library: its embeddings, tags and file paths, attached after the build.
        try:
            frame.attrs["sound"] = read_sound_table(source)
        except Exception as exc:
            raise CatalogError(f"{name}: the audio library's sound columns are damaged ({_short(exc)}).") from None
    return frame


def _distinct_in_groups(column) -> int:
    """The values of a dictionary column's row-group dictionaries, summed (its distinct
    values once the dictionaries are unified)."""
    return sum(len(chunk.dictionary) for chunk in column.chunks)


def _repeating_columns(source: Path | IO[bytes], text: list[str], probe: int = 2) -> list[str]:
    """The ``text`` columns whose values repeat within a row group (their dictionaries in the
    first ``probe`` row groups hold at most :data:`_MAX_CATEGORY_SHARE` of the rows): read
    dictionary-encoded. The others are read as plain text: decoding a dictionary per row group
    only to expand it again cost more than the text itself (10M tracks: a playlist ID column
    took 1.6 s that way, 0.4 s as text, and unifying its 89 groups' dictionaries 1.3-2.6 s more;
    per group 65% of its rows were distinct values). A file of a few row groups is read
    dictionary-encoded whole and each column decided after (the probe would be the file)."""
    import pyarrow.parquet as pq

    if not text:
        return []
    file = pq.ParquetFile(source, read_dictionary=text)
    if file.metadata.num_row_groups <= 2 * probe:
        return text
    first = file.read_row_groups(range(probe), columns=text)
    return [
        name for name in text
        if _distinct_in_groups(first.column(name)) <= _MAX_CATEGORY_SHARE * max(first.num_rows, 1)
    ]


def _dictionaries_stay_categorical(table):
    """The table, its pandas metadata naming no dtype for dictionary columns. pyarrow < 19
    turns a dictionary column back into text when the writer's metadata says pandas "string"
    (a file from pandas 2 with string columns); 19 and later ignore it there themselves."""
    import pyarrow as pa

    meta = table.schema.pandas_metadata
    dictionaries = {f.name for f in table.schema if pa.types.is_dictionary(f.type)}
    if not meta or not dictionaries:
        return table
    for column in meta.get("columns", []):
        if column.get("field_name", column.get("name")) in dictionaries:
            column["numpy_type"] = "object"
    return table.replace_schema_metadata({**table.schema.metadata, b"pandas": json.dumps(meta).encode()})


@contextmanager
def loading_pool() -> Iterator[None]:
    """Arrow allocates from jemalloc while a catalog is read and built, instead of its default
    mimalloc (unless ``ARROW_DEFAULT_MEMORY_POOL`` chooses one). On this machine's virtual
    machine the memory mimalloc takes fresh from the system is faulted in slowly: reading the
    10M-track file took 20-24 s with it, 7-9 s with jemalloc (``python -m bench.arrow_pool``).
    Queries keep mimalloc, faster at a recommendation's small allocations (1M tracks: similar
    p50 2.5 ms with it, 3.9 ms with jemalloc). Every pool gives the same tables; a second load
    that starts while one runs simply shares its pool."""
    import pyarrow as pa

    previous = pa.default_memory_pool()
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL") or previous.backend_name != "mimalloc":
        yield
        return
    try:
        pool = pa.jemalloc_memory_pool()
    except (NotImplementedError, AttributeError):  # a pyarrow built without jemalloc
        pool = pa.system_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
        pool.release_unused()


def _release_arrow_memory() -> None:
    """Hand memory Arrow's allocator keeps after frees back to the system: on a 1M-row file
    it holds ~800 MB of freed buffers otherwise, which counts against the process."""
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except Exception:  # an allocator without the call: nothing to release
        pass


def _cell_text(value: object) -> object:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        return repr(value.tolist())
    return value if isinstance(value, str) else str(value)


def _missing_message(name: str, missing: list[str], found: Iterable[object]) -> str:
    found = [str(c) for c in found if str(c).strip() and not str(c).startswith("Unnamed")]
    shown = ", ".join(c[:60] for c in found[:40]) + (f" (and {len(found) - 40} more)" if len(found) > 40 else "")
    hint = ""
    if "track_id" in missing:
        hint = " A track ID column may be named track_id, id, Track URI, uri or spotify_id."
    return (
        f"{name}: required columns are missing: {', '.join(missing)}. "
        f"Columns found: {shown or 'none'}.{hint} "
        "Load a file with a track ID column and the Spotify audio features, or an Exportify "
        "export."
    )
