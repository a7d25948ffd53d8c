"""General file helpers: atomic writes, spreadsheet-safe CSV export, the data folder.

Everything the app writes goes through :func:`atomic_write_bytes` (write a temporary file in
the same folder, flush, fsync, then ``os.replace``), so a crash leaves either the old file or
the new one, never half of each. :func:`to_safe_csv` writes CSV whose cells cannot run as
formulas in a spreadsheet. What users save lives in the data folder (:func:`data_dir`):
``$TASTEMAP_DATA_DIR`` or, when unset, ``.tastemap/`` in the repository (git-ignored).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

__all__ = [
    "DATA_DIR_ENV",
    "atomic_write_bytes",
    "atomic_write_text",
    "data_dir",
    "neutralize_cell",
    "safe_csv_frame",
    "to_safe_csv",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "TASTEMAP_DATA_DIR"

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
        # mkstemp makes the file private (0600); give it the mode a plain write would have.
        os.chmod(tmp, _existing_mode(path))
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def _existing_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        # Not os.umask(): reading it means setting it, which races other threads.
        return 0o644


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every platform allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
    columns = {}
    # By position, so duplicated column names are handled too.
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            col = col.astype(object).map(neutralize_cell)
        columns[i] = col
    out = pd.DataFrame(columns, index=frame.index)
    out.columns = [neutralize_cell(str(c)) for c in frame.columns]
    return out


def to_safe_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes (UTF-8 with BOM so Excel shows accents) with formula cells neutralised."""
    return safe_csv_frame(frame).to_csv(index=False).encode("utf-8-sig")


def data_dir() -> Path:
    """Where Tastemap keeps what users save: ``$TASTEMAP_DATA_DIR``, else ``.tastemap/`` in the repo."""
    configured = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(configured).expanduser() if configured else REPO_ROOT / ".tastemap"
