"""Persistence: atomic file writes and spreadsheet-safe CSV export.

Everything the app writes goes through :func:`atomic_write_bytes` (write a temporary file in
the same folder, flush, fsync, then ``os.replace``), so a crash leaves either the old file or
the new one, never half of each.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

__all__ = ["atomic_write_bytes", "atomic_write_text", "neutralize_cell", "safe_csv_frame", "to_safe_csv"]

# A cell starting with one of these can run as a formula in Excel, LibreOffice or Sheets
# (CSV injection); tab and carriage return are used to smuggle them past naive checks.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file + fsync + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    return atomic_write_bytes(path, text.encode(encoding))


def neutralize_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot run as formulas.

    Numbers stay numbers: ``-3.2`` in a float column is data, not a formula. Only text cells
    are neutralised, which is where hostile names come in.
    """
    out = frame.copy()
    out.columns = [neutralize_cell(str(c)) for c in out.columns]
    for col in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col])):
            out[col] = out[col].map(neutralize_cell)
    return out


def to_safe_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes (UTF-8 with BOM so Excel shows accents) with formula cells neutralised."""
    return safe_csv_frame(frame).to_csv(index=False).encode("utf-8-sig")
