"""Numbered schema migrations of the label store, one list per backend.

The database remembers what it has in a ``schema_version`` table (one row per applied
migration). Opening a store applies the missing migrations in order, all in one transaction
that first takes a lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock), so two
processes starting at once apply each migration exactly once. Never edit a migration that has
shipped: add the next number.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import StoreError


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""

# Version 1 is the schema of the stores made before versioning (CREATE ... IF NOT EXISTS, so an
# old file is taken as it is); version 2 scopes every row to an owner; version 3 remembers each
# owner's last chosen profile.
SQLITE_MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "profiles, labels, taste models", (
        """CREATE TABLE IF NOT EXISTS profiles (
            name TEXT PRIMARY KEY,
            created_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS labels (
            profile TEXT NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
            label_key TEXT NOT NULL,
            track_id TEXT, track_name TEXT, artists TEXT, genres TEXT,
            label INTEGER NOT NULL CHECK (label IN (0, 1)),
            features TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (profile, label_key))""",
        """CREATE TABLE IF NOT EXISTS taste_models (
            profile TEXT PRIMARY KEY REFERENCES profiles(name) ON DELETE CASCADE,
            label_digest TEXT NOT NULL, n_labels INTEGER NOT NULL,
            settings TEXT NOT NULL, report TEXT NOT NULL, trained_at TEXT NOT NULL)""",
    )),
    # SQLite cannot change a primary key in place: new tables, copy (rowid order kept), swap.
    # Runs with foreign keys off (checked with foreign_key_check before the commit).
    Migration(2, "owner column on every row", (
        """CREATE TABLE profiles_new (
            owner TEXT NOT NULL DEFAULT '',
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (owner, name))""",
        "INSERT INTO profiles_new (owner, name, created_at) SELECT '', name, created_at FROM profiles ORDER BY rowid",
        """CREATE TABLE labels_new (
            owner TEXT NOT NULL DEFAULT '',
            profile TEXT NOT NULL,
            label_key TEXT NOT NULL,
            track_id TEXT, track_name TEXT, artists TEXT, genres TEXT,
            label INTEGER NOT NULL CHECK (label IN (0, 1)),
            features TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (owner, profile, label_key),
            FOREIGN KEY (owner, profile) REFERENCES profiles(owner, name) ON DELETE CASCADE)""",
        "INSERT INTO labels_new SELECT '', profile, label_key, track_id, track_name, artists, genres, label, "
        "features, created_at, updated_at FROM labels ORDER BY rowid",
        """CREATE TABLE taste_models_new (
            owner TEXT NOT NULL DEFAULT '',
            profile TEXT NOT NULL,
            label_digest TEXT NOT NULL, n_labels INTEGER NOT NULL,
            settings TEXT NOT NULL, report TEXT NOT NULL, trained_at TEXT NOT NULL,
            PRIMARY KEY (owner, profile),
            FOREIGN KEY (owner, profile) REFERENCES profiles(owner, name) ON DELETE CASCADE)""",
        "INSERT INTO taste_models_new SELECT '', profile, label_digest, n_labels, settings, report, trained_at "
        "FROM taste_models",
        "DROP TABLE taste_models",
        "DROP TABLE labels",
        "DROP TABLE profiles",
        "ALTER TABLE profiles_new RENAME TO profiles",
        "ALTER TABLE labels_new RENAME TO labels",
        "ALTER TABLE taste_models_new RENAME TO taste_models",
    )),
    # No foreign key to profiles: the chosen profile may not be stored yet (the default one before
    # its first label). Reads join profiles, so a name that no longer exists is never returned.
    Migration(3, "each owner's last chosen profile", (
        """CREATE TABLE owner_settings (
            owner TEXT NOT NULL PRIMARY KEY,
            last_profile TEXT,
            updated_at TEXT NOT NULL)""",
    )),
)

# PostgreSQL had owners from its first version. ``seq`` keeps the order rows were stored in;
# settings and reports stay TEXT because they may hold NaN, which JSONB refuses.
POSTGRES_MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "profiles, labels, taste models, each row with its owner", (
        """CREATE TABLE profiles (
            owner TEXT NOT NULL DEFAULT '',
            name TEXT NOT NULL,
            seq BIGINT GENERATED ALWAYS AS IDENTITY,
            created_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (owner, name))""",
        """CREATE TABLE labels (
            owner TEXT NOT NULL DEFAULT '',
            profile TEXT NOT NULL,
            label_key TEXT NOT NULL,
            seq BIGINT GENERATED ALWAYS AS IDENTITY,
            track_id TEXT, track_name TEXT, artists TEXT, genres TEXT,
            label SMALLINT NOT NULL CHECK (label IN (0, 1)),
            features JSONB NOT NULL DEFAULT '{}',
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (owner, profile, label_key),
            FOREIGN KEY (owner, profile) REFERENCES profiles(owner, name) ON DELETE CASCADE)""",
        """CREATE TABLE taste_models (
            owner TEXT NOT NULL DEFAULT '',
            profile TEXT NOT NULL,
            label_digest TEXT NOT NULL, n_labels INTEGER NOT NULL,
            settings TEXT NOT NULL, report TEXT NOT NULL,
            trained_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (owner, profile),
            FOREIGN KEY (owner, profile) REFERENCES profiles(owner, name) ON DELETE CASCADE)""",
    )),
    Migration(2, "each owner's last chosen profile", (  # as SQLite's version 3
        """CREATE TABLE owner_settings (
            owner TEXT NOT NULL PRIMARY KEY,
            last_profile TEXT,
            updated_at TIMESTAMPTZ NOT NULL)""",
    )),
)


def pending(migrations: Sequence[Migration], applied: set[int], *, where: str) -> list[Migration]:
    """The migrations not yet in ``applied``, in order; a database newer than this code is an
    error (its tables may mean something this version does not know)."""
    numbers = [m.version for m in migrations]
    if numbers != sorted(set(numbers)):
        raise ValueError(f"migration numbers must increase: {numbers}")
    unknown = sorted(v for v in applied if v not in numbers)
    if unknown:
        raise StoreError(
            f"The label database ({where}) has schema version {max(unknown)}, made by a newer Tastemap "
            f"than this one (which knows up to {max(numbers, default=0)}). Update Tastemap before using it."
        )
    return [m for m in migrations if m.version not in applied]
