"""Finished analyses kept per file (path, size, modification time, model version) in SQLite.

A second scan of an unchanged folder reads every result from here and analyses nothing; a
scan that is stopped (or killed) keeps every file finished before it, because each result is
committed as soon as it arrives. Failed files are kept too: a broken file is not retried until
it changes.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

import numpy as np

from ..cache import default_cache_dir
from .analysis import FileAnalysis

CACHE_FILE = "audio-analyses.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS analyses (
    path BLOB PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    model TEXT NOT NULL,
    scalars TEXT NOT NULL,
    embedding BLOB,
    tags BLOB
)
"""


def file_signature(path: str | os.PathLike | bytes) -> tuple[bytes, int, int]:
    """(absolute path as bytes, size, modification time in ns) of a file."""
    absolute = os.path.abspath(os.fsencode(path))
    info = os.stat(absolute)
    return absolute, int(info.st_size), int(info.st_mtime_ns)


class AnalysisCache:
    """Per-file analyses in one SQLite file (default: ``<cache dir>/audio-analyses.sqlite3``)."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path else default_cache_dir() / CACHE_FILE
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)
            self._local.db = db
        return db

    def get(self, signature: tuple[bytes, int, int], model: str) -> FileAnalysis | None:
        path, size, mtime = signature
        row = self._db().execute(
            "SELECT scalars, embedding, tags FROM analyses WHERE path=? AND size=? AND mtime_ns=? AND model=?",
            (path, size, mtime, model),
        ).fetchone()
        if row is None:
            return None
        try:
            result = FileAnalysis(**json.loads(row[0]))
        except (TypeError, ValueError):
            return None  # written by another version of the fields: analyse again
        if row[1] is not None:
            result.embedding = np.frombuffer(row[1], dtype=np.float32).copy()
            result.tags = np.frombuffer(row[2], dtype=np.float32).copy()
        return result

    def put(self, signature: tuple[bytes, int, int], model: str, result: FileAnalysis) -> None:
        path, size, mtime = signature
        scalars = result.scalars()
        db = self._db()
        with db:  # one transaction per file: committed, or not there at all
            db.execute(
                "INSERT OR REPLACE INTO analyses VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    path, size, mtime, model,
                    json.dumps(scalars, ensure_ascii=True, default=_plain),
                    None if result.embedding is None else np.asarray(result.embedding, np.float32).tobytes(),
                    None if result.tags is None else np.asarray(result.tags, np.float32).tobytes(),
                ),
            )

    def __len__(self) -> int:
        return int(self._db().execute("SELECT COUNT(*) FROM analyses").fetchone()[0])

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")
