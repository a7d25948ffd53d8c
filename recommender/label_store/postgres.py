"""The label store in PostgreSQL, for a server shared by several app processes or a host whose
disk does not last (``TASTEMAP_DATABASE_URL=postgresql://...``).

One short connection per operation (nothing is held between a listener's clicks), one
transaction per write. Connection failures are retried a few times with a short pause; every
write can be repeated safely (a replace, or an upsert by key), so a retry after a commit whose
answer was lost never duplicates labels.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import psycopg
from psycopg.conninfo import conninfo_to_dict

from ..errors import StoreError
from .base import BaseLabelStore, LabelRow, check_owner, now_text
from .migrations import POSTGRES_MIGRATIONS, SCHEMA_VERSION_TABLE, Migration, pending

_log = logging.getLogger(__name__)

# pg_advisory_xact_lock key of schema upgrades: any number the app uses for nothing else.
_MIGRATION_LOCK = 0x7A57E_1AB

_ROW_COLUMNS = "label_key, track_id, track_name, artists, genres, label, features, created_at, updated_at"


def server_of(url: str) -> tuple[str, str, str, str]:
    """(host, port, database, password) of a PostgreSQL URL; the host of a unix socket is
    'a local socket' (its folder is a server path)."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise StoreError(
            "TASTEMAP_DATABASE_URL is not a valid PostgreSQL address; write it as "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE."
        ) from None
    host = str(parts.get("host") or "localhost")
    if host.startswith("/"):
        host = "a local socket"
    return host, str(parts.get("port") or 5432), str(parts.get("dbname") or ""), str(parts.get("password") or "")


def _reason(exc: BaseException, password: str) -> tuple[str, bool]:
    """A plain reason for a connection failure, and whether trying again later may help."""
    text = str(exc)
    if password:
        text = text.replace(password, "***")
    low = text.lower()
    if "password" in low or "authentication" in low or ("role" in low and "does not exist" in low):
        return "it refused the user name or password", False
    if "database" in low and "does not exist" in low:
        return "the database named in the address does not exist", False
    if "translate host name" in low or "name or service not known" in low:
        return "the host name is unknown", False
    if "refused" in low:
        return "nothing answers there (connection refused)", True
    if "timeout" in low or "timed out" in low:
        return "it did not answer in time", True
    if "shutting down" in low or "starting up" in low or "terminat" in low or "closed the connection" in low:
        return "the server is restarting or shutting down", True
    return "the connection failed", True


class PostgresLabelStore(BaseLabelStore):
    """Liked / disliked labels of named profiles in PostgreSQL, scoped to ``owner``.

    ``url``: ``postgresql://USER:PASSWORD@HOST:PORT/DATABASE``. ``retries`` connection
    failures are retried after ``backoff`` seconds each (growing); then :class:`StoreError`.
    Opening applies the missing schema migrations (see :mod:`.migrations`).
    """

    def __init__(self, url: str, *, owner: str = "", connect_timeout: float = 5.0, retries: int = 2,
                 backoff: float = 0.3) -> None:
        self._url = url
        self.host, self.port, self.database, self._password = server_of(url)
        self.owner = check_owner(owner)
        self.connect_timeout = connect_timeout
        self.retries = retries
        self.backoff = backoff
        self.migrate()

    def __repr__(self) -> str:  # never the URL: it may hold the password
        return f"PostgresLabelStore({self.location!r}, owner={self.owner!r})"

    @property
    def location(self) -> str:
        return f"PostgreSQL at {self.host}:{self.port}" + (f"/{self.database}" if self.database else "")

    # -- connections

    def _run(self, work: Callable[[psycopg.Cursor], object], *, write: bool) -> object:
        """``work(cursor)`` in one transaction, retried on connection failures."""
        for attempt in range(self.retries + 1):
            conn = None
            try:
                conn = psycopg.connect(self._url, autocommit=True,  # BEGIN/COMMIT come from transaction()
                                       connect_timeout=max(1, round(self.connect_timeout)))
                with conn.transaction(), conn.cursor() as cur:
                    return work(cur)
            except psycopg.OperationalError as exc:
                lost = conn is None or conn.broken or conn.closed
                reason, retryable = _reason(exc, self._password)
                if lost and retryable and attempt < self.retries:
                    _log.info("label database %s: %s; retrying", self.location, reason)
                    time.sleep(self.backoff * (2 ** attempt))
                    continue
                if not lost:
                    reason, retryable = f"it stopped the request ({type(exc).__name__})", True
                raise self._error(reason, retryable, write) from None
            except psycopg.Error as exc:
                _log.error("label database %s refused a request: %s", self.location, type(exc).__name__)
                raise StoreError(
                    f"The label database ({self.location}) refused the request ({type(exc).__name__}). "
                    "Ask whoever runs the server to check its log."
                ) from None
            finally:
                if conn is not None:
                    conn.close()
        raise AssertionError("unreachable")  # the loop returns or raises

    def _error(self, reason: str, retryable: bool, write: bool) -> StoreError:
        then = ("The save may not have finished; try again (saving twice does not duplicate labels)."
                if write else "Try again in a moment.")
        todo = ("Check that the PostgreSQL server is running and that TASTEMAP_DATABASE_URL points to it."
                if retryable else "Check the user, password and database name in TASTEMAP_DATABASE_URL.")
        return StoreError(f"The label database ({self.location}) cannot be used: {reason}. {todo} {then}",
                          retryable=retryable)

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._run(lambda cur: cur.execute(sql, params).fetchall(), write=False)

    def _write(self, work: Callable[[psycopg.Cursor], object]) -> object:
        return self._run(work, write=True)

    def migrate(self, migrations: Sequence[Migration] = POSTGRES_MIGRATIONS) -> list[int]:
        """Apply the missing migrations in one transaction under an advisory lock, so two
        processes starting at once apply each exactly once; returns the versions applied."""
        def work(cur: psycopg.Cursor) -> list[int]:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            cur.execute(SCHEMA_VERSION_TABLE)
            applied = {int(r[0]) for r in cur.execute("SELECT version FROM schema_version").fetchall()}
            todo = pending(migrations, applied, where=self.location)
            for migration in todo:
                for statement in migration.statements:
                    cur.execute(statement)
                cur.execute("INSERT INTO schema_version VALUES (%s, %s, %s)",
                            (migration.version, migration.description, now_text()))
            return [m.version for m in todo]

        done = self._run(work, write=False)  # no listener's data in it: not "a save" to them
        if done:
            _log.info("label database %s upgraded to schema version %d", self.location, done[-1])
        return done

    def _ensure_profile(self, cur: psycopg.Cursor, name: str, now: str) -> None:
        cur.execute("INSERT INTO profiles (owner, name, created_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    (self.owner, name, now))

    # -- the rows

    def profiles(self) -> list[str]:
        rows = self._read("SELECT name FROM profiles WHERE owner = %s ORDER BY seq", (self.owner,))
        return [r[0] for r in rows]

    def _create_profile(self, name: str, now: str) -> None:
        self._write(lambda cur: self._ensure_profile(cur, name, now))

    def _delete_profile(self, name: str) -> None:
        # labels and taste_models go with it (ON DELETE CASCADE)
        key = (self.owner, name)
        self._write(lambda cur: (cur.execute("DELETE FROM profiles WHERE owner = %s AND name = %s", key),
                                 cur.execute("DELETE FROM owner_settings WHERE owner = %s AND last_profile = %s", key)))

    def _remember_profile(self, name: str, now: str) -> None:
        self._write(lambda cur: cur.execute(
            "INSERT INTO owner_settings (owner, last_profile, updated_at) VALUES (%s, %s, %s) ON CONFLICT (owner) "
            "DO UPDATE SET last_profile = EXCLUDED.last_profile, updated_at = EXCLUDED.updated_at",
            (self.owner, name, now)))

    def _last_profile(self) -> str | None:
        rows = self._read("SELECT s.last_profile FROM owner_settings AS s JOIN profiles AS p "
                          "ON p.owner = s.owner AND p.name = s.last_profile WHERE s.owner = %s", (self.owner,))
        return rows[0][0] if rows else None

    def _count(self, profile: str) -> int:
        return self._read("SELECT COUNT(*) FROM labels WHERE owner = %s AND profile = %s", (self.owner, profile))[0][0]

    def _load_rows(self, profile: str) -> list[tuple]:
        rows = self._read(f"SELECT {_ROW_COLUMNS} FROM labels WHERE owner = %s AND profile = %s ORDER BY seq",
                          (self.owner, profile))
        return [(*row[:7], _text_time(row[7]), _text_time(row[8])) for row in rows]

    def _store_rows(self, profile: str, rows: list[LabelRow], *, replace: bool, now: str) -> int:
        def work(cur: psycopg.Cursor) -> int:
            self._ensure_profile(cur, profile, now)
            # Writers of one profile take turns: a replace is never mixed with another save.
            cur.execute("SELECT 1 FROM profiles WHERE owner = %s AND name = %s FOR UPDATE", (self.owner, profile))
            created = {}
            if replace:
                created = dict(cur.execute("DELETE FROM labels WHERE owner = %s AND profile = %s "
                                           "RETURNING label_key, created_at", (self.owner, profile)).fetchall())
            cur.executemany(
                "INSERT INTO labels (owner, profile, label_key, track_id, track_name, artists, genres, label, "
                "features, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s) "
                "ON CONFLICT (owner, profile, label_key) DO UPDATE SET track_id = EXCLUDED.track_id, "
                "track_name = EXCLUDED.track_name, artists = EXCLUDED.artists, genres = EXCLUDED.genres, "
                "label = EXCLUDED.label, features = EXCLUDED.features, updated_at = EXCLUDED.updated_at",
                [(self.owner, profile, *row, created.get(row[0], now), now) for row in rows],
            )
            return len(rows)

        return self._write(work)

    def _remove(self, profile: str, keys: list[str]) -> int:
        return self._write(lambda cur: cur.execute(
            "DELETE FROM labels WHERE owner = %s AND profile = %s AND label_key = ANY(%s)",
            (self.owner, profile, keys)).rowcount)

    def _save_model(self, profile: str, row: tuple, now: str) -> None:
        def work(cur: psycopg.Cursor) -> None:
            self._ensure_profile(cur, profile, now)
            cur.execute(
                "INSERT INTO taste_models (owner, profile, label_digest, n_labels, settings, report, trained_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (owner, profile) DO UPDATE SET "
                "label_digest = EXCLUDED.label_digest, n_labels = EXCLUDED.n_labels, settings = EXCLUDED.settings, "
                "report = EXCLUDED.report, trained_at = EXCLUDED.trained_at", (self.owner, profile, *row, now))

        self._write(work)

    def _load_model_row(self, profile: str) -> tuple | None:
        rows = self._read("SELECT label_digest, n_labels, settings, report, trained_at FROM taste_models "
                          "WHERE owner = %s AND profile = %s", (self.owner, profile))
        return (*rows[0][:4], _text_time(rows[0][4])) if rows else None

    def _delete_model(self, profile: str) -> None:
        self._write(lambda cur: cur.execute("DELETE FROM taste_models WHERE owner = %s AND profile = %s",
                                            (self.owner, profile)))


def _text_time(value: datetime | str | None) -> str | None:
    """A stored time as the SQLite store writes it: ISO 8601 in UTC, to the second."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return value
