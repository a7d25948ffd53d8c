"""The label store in one SQLite file (the default: no server to run)."""
from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from ..errors import LabelError, StoreError
from ..files import data_dir
from .base import BaseLabelStore, LabelRow, check_owner, now_text
from .migrations import SCHEMA_VERSION_TABLE, SQLITE_MIGRATIONS, Migration, pending

_log = logging.getLogger(__name__)


def label_store_path() -> Path:
    """The default SQLite file of the label store: ``<data dir>/labels.sqlite3``."""
    return data_dir() / "labels.sqlite3"


def use_wal(conn: sqlite3.Connection, *, timeout: float) -> None:
    """Put the file in write-ahead-log mode, waiting up to ``timeout`` seconds for other openers.

    Switching a new file to WAL needs its write lock while holding a read lock, and SQLite then
    answers "database is locked" at once instead of calling the busy handler (it could deadlock).
    So several processes opening a new file together retry here until the first one's switch is
    done; after that the mode is already ``wal`` (it is kept in the file) and nothing is taken."""
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def migrate_sqlite(conn: sqlite3.Connection, migrations: Sequence[Migration] = SQLITE_MIGRATIONS,
                   *, where: str = "SQLite") -> list[int]:
    """Apply the missing ``migrations`` in one write transaction; returns the versions applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``). ``BEGIN IMMEDIATE`` takes the
    file's write lock first, so a second process waits and then finds nothing left to do."""
    try:  # up to date (the usual case): no write lock taken
        if not pending(migrations, {int(r[0]) for r in conn.execute("SELECT version FROM schema_version")},
                       where=where):
            return []
    except sqlite3.OperationalError:  # no schema_version table yet
        pass
    conn.execute("PRAGMA foreign_keys=OFF")  # table swaps; checked below before the commit
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(SCHEMA_VERSION_TABLE)
            applied = {int(r[0]) for r in conn.execute("SELECT version FROM schema_version")}
            todo = pending(migrations, applied, where=where)
            for migration in todo:
                for statement in migration.statements:
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                             (migration.version, migration.description, now_text()))
            if todo and conn.execute("PRAGMA foreign_key_check").fetchall():
                raise LabelError("The label store's rows do not match their profiles after an upgrade.")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("PRAGMA foreign_keys=ON")
    if todo:
        _log.info("label store %s upgraded to schema version %d", where, todo[-1].version)
    return [m.version for m in todo]


class LabelStore(BaseLabelStore):
    """Liked / disliked labels of named profiles, in one SQLite file.

    Every write is one transaction (SQLite's write-ahead log), so a crash or a ``kill -9``
    in the middle of a save leaves the labels as they were before it or as they are after
    it, never a mix. The default file is :func:`label_store_path`
    (``$TASTEMAP_DATA_DIR/labels.sqlite3``). Only the rows of ``owner`` are read or written.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, timeout: float = 30.0, owner: str = "") -> None:
        self.path = Path(path) if path is not None else label_store_path()
        self.timeout = timeout
        self.owner = check_owner(owner)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as conn:
                use_wal(conn, timeout=self.timeout)
                migrate_sqlite(conn, where=self.location)
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

    @property
    def location(self) -> str:
        return f"SQLite file {self.path.name} in the data folder"

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: transactions are opened explicitly with BEGIN IMMEDIATE.
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def _read(self, sql: str, params: tuple) -> list[tuple]:
        try:
            with closing(self._connect()) as conn:
                return conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._error(exc, write=False) from None

    def _write(self, work) -> object:
        """Run ``work(conn)`` inside one write transaction; roll back on any error."""
        try:
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
        except sqlite3.DatabaseError as exc:
            raise self._error(exc, write=True) from None

    def _error(self, exc: sqlite3.DatabaseError, *, write: bool) -> StoreError:
        """A plain :class:`StoreError` (the file's name, not its folder); locked = try again."""
        _log.error("label store %s: %s", self.path, exc)
        busy = isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)
        then = "Nothing was changed; try again." if write else "Try again."
        if busy:
            return StoreError(f"The label store ({self.path.name}) is busy with another save. {then}", retryable=True)
        return StoreError(f"The label store ({self.path.name} in the data folder) refused the request "
                          f"({type(exc).__name__}: {exc}). {then}", retryable=False)

    def _ensure_profile(self, conn: sqlite3.Connection, name: str, now: str) -> None:
        conn.execute("INSERT OR IGNORE INTO profiles (owner, name, created_at) VALUES (?, ?, ?)",
                     (self.owner, name, now))

    def profiles(self) -> list[str]:
        rows = self._read("SELECT name FROM profiles WHERE owner = ? ORDER BY created_at, rowid", (self.owner,))
        return [r[0] for r in rows]

    def _create_profile(self, name: str, now: str) -> None:
        self._write(lambda c: self._ensure_profile(c, name, now))

    def _delete_profile(self, name: str) -> None:
        key = (self.owner, name)
        self._write(lambda c: (c.execute("DELETE FROM labels WHERE owner = ? AND profile = ?", key),
                               c.execute("DELETE FROM taste_models WHERE owner = ? AND profile = ?", key),
                               c.execute("DELETE FROM profiles WHERE owner = ? AND name = ?", key),
                               c.execute("DELETE FROM owner_settings WHERE owner = ? AND last_profile = ?", key)))

    def _remember_profile(self, name: str, now: str) -> None:
        self._write(lambda c: c.execute(
            "INSERT INTO owner_settings (owner, last_profile, updated_at) VALUES (?, ?, ?) ON CONFLICT (owner) "
            "DO UPDATE SET last_profile = excluded.last_profile, updated_at = excluded.updated_at",
            (self.owner, name, now)))

    def _last_profile(self) -> str | None:
        rows = self._read("SELECT s.last_profile FROM owner_settings AS s JOIN profiles AS p "
                          "ON p.owner = s.owner AND p.name = s.last_profile WHERE s.owner = ?", (self.owner,))
        return rows[0][0] if rows else None

    def _count(self, profile: str) -> int:
        return self._read("SELECT COUNT(*) FROM labels WHERE owner = ? AND profile = ?", (self.owner, profile))[0][0]

    def _load_rows(self, profile: str) -> list[tuple]:
        return self._read(
            "SELECT label_key, track_id, track_name, artists, genres, label, features, created_at, updated_at "
            "FROM labels WHERE owner = ? AND profile = ? ORDER BY rowid", (self.owner, profile))

    def _store_rows(self, profile: str, rows: list[LabelRow], *, replace: bool, now: str) -> int:
        def work(conn: sqlite3.Connection) -> int:
            self._ensure_profile(conn, profile, now)
            created: dict[str, str] = dict(conn.execute(
                "SELECT label_key, created_at FROM labels WHERE owner = ? AND profile = ?", (self.owner, profile)
            ).fetchall())
            if replace:
                conn.execute("DELETE FROM labels WHERE owner = ? AND profile = ?", (self.owner, profile))
            conn.executemany(
                "INSERT OR REPLACE INTO labels (owner, profile, label_key, track_id, track_name, artists, genres, "
                "label, features, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(self.owner, profile, *row, created.get(row[0], now), now) for row in rows],
            )
            return len(rows)

        return self._write(work)

    def _remove(self, profile: str, keys: list[str]) -> int:
        return self._write(lambda c: c.executemany(
            "DELETE FROM labels WHERE owner = ? AND profile = ? AND label_key = ?",
            [(self.owner, profile, k) for k in keys]).rowcount)

    def _save_model(self, profile: str, row: tuple, now: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            self._ensure_profile(conn, profile, now)
            conn.execute(
                "INSERT OR REPLACE INTO taste_models (owner, profile, label_digest, n_labels, settings, report, "
                "trained_at) VALUES (?, ?, ?, ?, ?, ?, ?)", (self.owner, profile, *row, now))

        self._write(work)

    def _load_model_row(self, profile: str) -> tuple | None:
        rows = self._read("SELECT label_digest, n_labels, settings, report, trained_at FROM taste_models "
                          "WHERE owner = ? AND profile = ?", (self.owner, profile))
        return rows[0] if rows else None

    def _delete_model(self, profile: str) -> None:
        self._write(lambda c: c.execute("DELETE FROM taste_models WHERE owner = ? AND profile = ?",
                                        (self.owner, profile)))
