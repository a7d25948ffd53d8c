"""The label store: liked / disliked labels of named profiles, in one SQLite file.

Labels live in SQLite (:class:`LabelStore`) under the data folder
(:func:`recommender.files.data_dir`: ``$TASTEMAP_DATA_DIR`` or, when unset, ``.tastemap/`` in
the repository, git-ignored). The store also keeps each profile's trained taste model as
JSON settings and scores (refitted from the labels on load, nothing to unpickle).
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import LabelError
from .files import data_dir, to_safe_csv  # tests/test_playlist.py and test_hostile.py import to_safe_csv from here
from .taste.labels import LABEL_COLUMNS, LABEL_FEATURES, LABEL_TEXT, read_labels  # below the store: no cycle

_log = logging.getLogger(__name__)

__all__ = ["DEFAULT_PROFILE", "LABEL_COLUMNS", "LABEL_FEATURES", "LabelStore", "label_store_path"]

DEFAULT_PROFILE = "default"
_MAX_PROFILE_NAME = 60

_SCHEMA = """
CREATE TABLE IF NOT EXISTS profiles (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS labels (
    profile TEXT NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
    label_key TEXT NOT NULL,
    track_id TEXT,
    track_name TEXT,
    artists TEXT,
    genres TEXT,
    label INTEGER NOT NULL CHECK (label IN (0, 1)),
    features TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (profile, label_key)
);
CREATE TABLE IF NOT EXISTS taste_models (
    profile TEXT PRIMARY KEY REFERENCES profiles(name) ON DELETE CASCADE,
    label_digest TEXT NOT NULL,
    n_labels INTEGER NOT NULL,
    settings TEXT NOT NULL,
    report TEXT NOT NULL,
    trained_at TEXT NOT NULL
);
"""


def label_store_path() -> Path:
    """The default SQLite file of the label store: ``<data dir>/labels.sqlite3``."""
    return data_dir() / "labels.sqlite3"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _check_profile(name: object) -> str:
    text = str(name if name is not None else "").strip()
    if not text:
        raise LabelError("The profile name is empty; type a name such as 'me' or 'party'.")
    if len(text) > _MAX_PROFILE_NAME:
        raise LabelError(f"The profile name is {len(text)} characters long; use at most {_MAX_PROFILE_NAME}.")
    if any(ord(ch) < 32 for ch in text):
        raise LabelError("The profile name holds control characters; use letters, digits and spaces.")
    return text


def _cell(value: object) -> object:
    """A text cell for SQLite: None for missing values (NaN, pd.NA, empty)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    text = str(value)
    return text if text.strip() else None


class LabelStore:
    """Liked / disliked labels of named profiles, in one SQLite file.

    Every write is one transaction (SQLite's write-ahead log), so a crash or a ``kill -9``
    in the middle of a save leaves the labels as they were before it or as they are after
    it, never a mix. :meth:`save` replaces a profile's whole label table in one transaction.
    The default file is :func:`label_store_path` (``$TASTEMAP_DATA_DIR/labels.sqlite3``).
    """

    def __init__(self, path: str | os.PathLike | None = None, *, timeout: float = 30.0) -> None:
        self.path = Path(path) if path is not None else label_store_path()
        self.timeout = timeout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            # The message reaches pages: name the file, never the server's folders (logged instead).
            _log.error("label store %s cannot be opened: %s", self.path, exc)
            raise LabelError(
                f"The label store ({self.path.name} in the data folder) cannot be opened ({exc}). "
                "Move that file away to start a new one, or set TASTEMAP_DATA_DIR to another folder."
            ) from None
        except OSError as exc:
            _log.error("data folder %s cannot be created: %s", self.path.parent, exc)
            raise LabelError(
                f"The data folder cannot be created ({exc.strerror or exc}). "
                "Set TASTEMAP_DATA_DIR to a writable folder."
            ) from None

    def __repr__(self) -> str:
        return f"LabelStore({str(self.path)!r})"

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: transactions are opened explicitly with BEGIN IMMEDIATE.
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def _write(self, work) -> object:
        """Run ``work(conn)`` inside one write transaction; roll back on any error."""
        with closing(self._connect()) as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
                result = work(conn)
                conn.execute("COMMIT")
                return result
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    # -- profiles

    def profiles(self) -> list[str]:
        """Profile names, oldest first."""
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT name FROM profiles ORDER BY created_at, rowid").fetchall()
        return [r[0] for r in rows]

    def create_profile(self, name: str) -> str:
        """Create a profile (no-op when it exists); returns the cleaned name."""
        name = _check_profile(name)
        self._write(lambda c: c.execute("INSERT OR IGNORE INTO profiles VALUES (?, ?)", (name, _now())))
        return name

    def delete_profile(self, name: str) -> None:
        name = _check_profile(name)
        self._write(lambda c: (c.execute("DELETE FROM labels WHERE profile = ?", (name,)),
                               c.execute("DELETE FROM taste_models WHERE profile = ?", (name,)),
                               c.execute("DELETE FROM profiles WHERE name = ?", (name,))))

    # -- labels

    def count(self, profile: str = DEFAULT_PROFILE) -> int:
        with closing(self._connect()) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM labels WHERE profile = ?", (_check_profile(profile),)).fetchone()[0])

    def load(self, profile: str = DEFAULT_PROFILE) -> pd.DataFrame:
        """The profile's labels: :data:`LABEL_COLUMNS` plus ``created_at``/``updated_at``."""
        profile = _check_profile(profile)
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT label_key, track_id, track_name, artists, genres, label, features, created_at, updated_at "
                "FROM labels WHERE profile = ? ORDER BY rowid",
                (profile,),
            ).fetchall()
        records = []
        for key, track_id, name, artists, genres, label, features, created, updated in rows:
            values = json.loads(features or "{}")
            records.append({
                "label_key": key, "track_id": track_id, "track_name": name, "artists": artists,
                "genres": genres, "label": int(label),
                **{f: values.get(f) for f in LABEL_FEATURES},
                "created_at": created, "updated_at": updated,
            })
        frame = pd.DataFrame.from_records(records, columns=[*LABEL_COLUMNS, "created_at", "updated_at"])
        for col in LABEL_FEATURES:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        frame["label"] = frame["label"].astype("int64")
        return frame

    def save(self, profile: str, labels: pd.DataFrame) -> int:
        """Replace the profile's labels with ``labels`` in one transaction; returns the count."""
        return self._store(profile, labels, replace=True)

    def add(self, profile: str, labels: pd.DataFrame) -> int:
        """Add or update labels (same ``label_key`` = same track) in one transaction."""
        return self._store(profile, labels, replace=False)

    def remove(self, profile: str, keys: list[str]) -> int:
        profile = _check_profile(profile)
        keys = [str(k) for k in keys]
        return self._write(lambda c: c.executemany(
            "DELETE FROM labels WHERE profile = ? AND label_key = ?", [(profile, k) for k in keys]
        ).rowcount)

    def _store(self, profile: str, labels: pd.DataFrame, *, replace: bool) -> int:
        profile = _check_profile(profile)
        rows = _label_rows(labels)
        now = _now()

        def work(conn: sqlite3.Connection) -> int:
            conn.execute("INSERT OR IGNORE INTO profiles VALUES (?, ?)", (profile, now))
            created: dict[str, str] = dict(conn.execute(
                "SELECT label_key, created_at FROM labels WHERE profile = ?", (profile,)
            ).fetchall())
            if replace:
                conn.execute("DELETE FROM labels WHERE profile = ?", (profile,))
            conn.executemany(
                "INSERT OR REPLACE INTO labels (profile, label_key, track_id, track_name, artists, genres, "
                "label, features, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(profile, *row, created.get(row[0], now), now) for row in rows],
            )
            return len(rows)

        count = self._write(work)
        _log.info("%s %d labels of profile %r in %s", "saved" if replace else "added", count, profile, self.path)
        return count

    # -- trained taste model (settings and scores only: it is refitted from the labels on load)

    def save_model_record(self, profile: str, *, label_digest: str, n_labels: int, settings: dict,
                          report: dict) -> None:
        """Remember the profile's trained model: the settings to refit it, the digest of the
        labels it learned from, and its scores. JSON only, so loading it runs no code."""
        profile = _check_profile(profile)
        now = _now()
        try:
            settings_json = json.dumps(settings, allow_nan=True)
            report_json = json.dumps(report, allow_nan=True, default=_json_default)
        except (TypeError, ValueError) as exc:
            raise LabelError(f"The trained model's settings cannot be stored ({exc}).") from None

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT OR IGNORE INTO profiles VALUES (?, ?)", (profile, now))
            conn.execute(
                "INSERT OR REPLACE INTO taste_models (profile, label_digest, n_labels, settings, report, "
                "trained_at) VALUES (?, ?, ?, ?, ?, ?)",
                (profile, str(label_digest), int(n_labels), settings_json, report_json, now),
            )

        self._write(work)

    def load_model_record(self, profile: str) -> dict | None:
        """The stored model record of ``profile`` (keys label_digest, n_labels, settings,
        report, trained_at), or None when none is stored or it cannot be read."""
        profile = _check_profile(profile)
        with closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT label_digest, n_labels, settings, report, trained_at FROM taste_models WHERE profile = ?",
                (profile,),
            ).fetchone()
        if row is None:
            return None
        try:
            settings, report = json.loads(row[2]), json.loads(row[3])
        except ValueError:
            _log.warning("stored taste model of profile %r is unreadable; ignored", profile)
            return None
        return {"label_digest": row[0], "n_labels": int(row[1]), "settings": settings, "report": report,
                "trained_at": row[4]}

    def delete_model_record(self, profile: str) -> None:
        profile = _check_profile(profile)
        self._write(lambda c: c.execute("DELETE FROM taste_models WHERE profile = ?", (profile,)))

    # -- CSV

    def export_csv(self, profile: str = DEFAULT_PROFILE) -> bytes:
        """The profile's labels as spreadsheet-safe CSV bytes (re-importable with :meth:`import_csv`)."""
        frame = self.load(profile).drop(columns=["created_at", "updated_at"])
        return to_safe_csv(frame)

    def import_csv(self, profile: str, source, *, replace: bool = False, catalog=None) -> int:
        """Import a labelled file (any catalog layout + a label column); returns the count."""
        return self.import_file(profile, source, replace=replace, catalog=catalog)[0]

    def import_file(self, profile: str, source, *, replace: bool = False, catalog=None) -> tuple[int, dict]:
        """Like :meth:`import_csv`, plus what the reader dropped and why: ``(count, notes)``
        (``notes`` as :func:`recommender.taste.explain_import` reads them)."""
        labels = read_labels(source, catalog=catalog)
        notes = dict(labels.attrs.get("import_notes", {}))
        return self._store(profile, labels, replace=replace), notes


def _json_default(value: object) -> object:
    """numpy numbers and arrays as plain JSON values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _label_rows(labels: pd.DataFrame) -> list[tuple]:
    """Validated rows ``(label_key, track_id, track_name, artists, genres, label, features_json)``."""
    if not isinstance(labels, pd.DataFrame):
        raise LabelError("Labels must be a table with at least the columns 'label_key' and 'label'.")
    missing = [c for c in ("label_key", "label") if c not in labels.columns]
    if missing:
        raise LabelError(
            f"The label table lacks the column(s) {', '.join(missing)}. Import the file with "
            "the label importer, which adds them."
        )
    values = pd.to_numeric(labels["label"], errors="coerce")
    bad = values.isna() | ~values.isin([0, 1])
    if bad.any():
        raise LabelError(
            f"{int(bad.sum())} label value(s) are not 1 (liked) or 0 (disliked), e.g. row "
            f"{int(np.flatnonzero(bad.to_numpy())[0]) + 1}."
        )
    keys = labels["label_key"].map(_cell)
    if keys.isna().any():
        raise LabelError(f"{int(keys.isna().sum())} label row(s) have no key (track ID or synthetic key).")
    rows: dict[str, tuple] = {}  # a repeated key keeps its last label
    text_cols = {c: (labels[c] if c in labels.columns else pd.Series(None, index=labels.index)) for c in LABEL_TEXT[1:]}
    numbers = {f: pd.to_numeric(labels[f], errors="coerce").astype("float64") for f in LABEL_FEATURES if f in labels.columns}
    for i, key in enumerate(keys):
        features = {}
        for f, col in numbers.items():
            v = col.iat[i]
            if np.isfinite(v):
                features[f] = float(v)
        rows[str(key)] = (
            str(key),
            *(_cell(text_cols[c].iat[i]) for c in LABEL_TEXT[1:]),
            int(values.iat[i]),
            json.dumps(features, separators=(",", ":")),
        )
    return list(rows.values())
