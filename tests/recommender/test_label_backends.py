"""One label-store suite run against both backends: SQLite (a file) and PostgreSQL (a real
server the tests start, tests/support/postgres.py). Round trips, profiles, owners, versioned
schema, concurrent writers, and a database that goes away and comes back."""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest

from recommender.errors import LabelError, StoreError
from recommender.label_store import LabelStore, database_url, open_label_store
from recommender.label_store.migrations import POSTGRES_MIGRATIONS, SCHEMA_VERSION_TABLE, SQLITE_MIGRATIONS, Migration
from recommender.label_store.postgres import PostgresLabelStore
from recommender.label_store.sqlite import migrate_sqlite
from recommender.taste import read_labels
from tests.support.label_rows import make_labels
from tests.support.postgres import PASSWORD, postgres_server, postgres_url, running_server  # noqa: F401 - fixtures


class Backend:
    """Opens stores on one database, and reads its schema_version table directly."""

    def __init__(self, kind: str, where: str) -> None:
        self.kind, self.where = kind, where

    def open(self, owner: str = ""):
        if self.kind == "sqlite":
            return LabelStore(self.where, owner=owner)
        return PostgresLabelStore(self.where, owner=owner)

    def versions(self) -> list[int]:
        sql = "SELECT version FROM schema_version ORDER BY version"
        if self.kind == "sqlite":
            with closing(sqlite3.connect(self.where)) as conn:
                return [r[0] for r in conn.execute(sql)]
        with psycopg.connect(self.where) as conn:
            return [r[0] for r in conn.execute(sql)]

    def migrate(self, migrations) -> list[int]:
        if self.kind == "sqlite":
            with closing(sqlite3.connect(self.where, isolation_level=None)) as conn:
                return migrate_sqlite(conn, migrations)
        return self.open().migrate(migrations)

    @property
    def known(self) -> tuple[Migration, ...]:
        return SQLITE_MIGRATIONS if self.kind == "sqlite" else POSTGRES_MIGRATIONS


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", str(tmp_path / "labels.sqlite3"))
    return Backend("postgres", request.getfixturevalue("postgres_url"))


def test_labels_round_trip_through_a_new_store(backend: Backend) -> None:
    backend.open().save("me", make_labels(30))
    loaded = backend.open().load("me")  # a restart: nothing shared but the database
    assert loaded["label_key"].tolist() == [f"t{i}" for i in range(30)]
    assert loaded["label"].tolist() == [i % 2 for i in range(30)]
    assert loaded["track_name"].iloc[0] == "=song 0" and loaded["track_id"].isna().all()
    np.testing.assert_allclose(loaded["energy"], make_labels(30)["energy"])
    assert loaded["danceability"].isna().all()  # unknown stays unknown
    assert loaded["created_at"].str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$").all()


def test_saving_twice_and_adding_upserts_by_key(backend: Backend) -> None:
    store = backend.open()
    assert store.save("me", make_labels(20)) == 20
    first = store.load("me")
    assert store.save("me", make_labels(20)) == 20
    assert store.count("me") == 20
    assert store.load("me")["created_at"].tolist() == first["created_at"].tolist()
    store.add("me", make_labels(30, label_of=lambda i: 1))  # 20 known keys updated, 10 new
    again = store.load("me").set_index("label_key")
    assert len(again) == 30 and again.index.is_unique and (again["label"] == 1).all()
    store.save("me", make_labels(5))  # a save replaces the whole set
    assert store.load("me")["label_key"].tolist() == [f"t{i}" for i in range(5)]
    assert store.remove("me", ["t0", "t1", "absent"]) == 2
    assert store.count("me") == 3


def test_a_failed_save_changes_nothing(backend: Backend) -> None:
    store = backend.open()
    store.save("me", make_labels(10))
    broken_row = ("bad", None, None, None, None, 5, "{}")  # label 5: the database's CHECK refuses it
    original = type(store)._store_rows

    def store_then_fail(self, profile, rows, *, replace, now):  # validation bypassed: the database must refuse
        return original(self, profile, [*rows, broken_row], replace=replace, now=now)

    store._store_rows = store_then_fail.__get__(store)
    with pytest.raises(StoreError, match="refused"):
        store.save("me", make_labels(30, prefix="new"))
    assert backend.open().load("me")["label_key"].tolist() == [f"t{i}" for i in range(10)]  # all or nothing


def test_text_with_nul_characters_is_stored_without_them(backend: Backend) -> None:
    backend.open().save("me", make_labels(2).assign(track_name=["a\x00b", "\x00"]))
    names = backend.open().load("me")["track_name"]
    assert names.iloc[0] == "ab" and pd.isna(names.iloc[1])  # only NUL: no name


def test_profiles_oldest_first_and_delete_takes_labels_and_model(backend: Backend) -> None:
    store = backend.open()
    assert store.profiles() == []
    store.create_profile(" party ")
    store.save("me", make_labels(4))
    assert store.create_profile("party") == "party"  # exists: nothing changes
    assert store.profiles() == ["party", "me"]
    store.save_model_record("me", label_digest="d1", n_labels=4, settings={"model": "logistic"},
                            report={"roc_auc": float("nan"), "n": np.int64(4)})
    record = backend.open().load_model_record("me")
    assert record["label_digest"] == "d1" and record["report"]["n"] == 4 and np.isnan(record["report"]["roc_auc"])
    store.delete_profile("me")
    assert store.profiles() == ["party"] and store.count("me") == 0 and store.load_model_record("me") is None
    with pytest.raises(LabelError, match="empty"):
        store.create_profile("  ")


def test_an_owner_never_sees_or_changes_another_owners_rows(backend: Backend) -> None:
    alice, bob, anonymous = backend.open("alice@example.org"), backend.open("bob"), backend.open()
    alice.save("me", make_labels(6, prefix="a"))
    bob.save("me", make_labels(3, prefix="b"))
    bob.save("bob only", make_labels(2, prefix="b"))
    alice.save_model_record("me", label_digest="alice", n_labels=6, settings={}, report={})
    assert alice.profiles() == ["me"] and sorted(bob.profiles()) == ["bob only", "me"] and anonymous.profiles() == []
    assert set(alice.load("me")["label_key"]) == {f"a{i}" for i in range(6)}
    assert set(bob.load("me")["label_key"]) == {"b0", "b1", "b2"}
    assert bob.load_model_record("me") is None and alice.load("bob only").empty
    bob.delete_profile("me")
    bob.remove("me", ["a0"])
    assert alice.count("me") == 6 and alice.load_model_record("me")["label_digest"] == "alice"


def test_csv_export_is_spreadsheet_safe_and_imports_back(backend: Backend) -> None:
    store = backend.open()
    store.save("me", make_labels(12).assign(track_id=[f"{i:0>22}" for i in range(12)]))
    data = store.export_csv("me")
    assert b"'=song 0" in data and b"\n=song" not in data
    other = backend.open("someone")
    assert other.import_csv("copy", data) == 12
    back = other.load("copy")
    assert sorted(back["label"].tolist()) == sorted(make_labels(12)["label"].tolist())
    assert len(read_labels(data)) == 12


def test_migrations_from_empty_are_numbered_and_rerun_does_nothing(backend: Backend) -> None:
    backend.open()
    known = [m.version for m in backend.known]
    assert backend.versions() == known == list(range(1, len(known) + 1))
    assert backend.migrate(backend.known) == []  # re-running finds nothing to do
    extra = Migration(len(known) + 1, "test: one more table", ("CREATE TABLE later_feature (x INTEGER)",))
    assert backend.migrate((*backend.known, extra)) == [extra.version]
    assert backend.versions() == [*known, extra.version]
    with pytest.raises(StoreError, match="newer Tastemap"):
        backend.open()  # this code does not know version N+1


def errors_opening_at_once(open_store: Callable[[], object], openers: int = 4) -> list[Exception]:
    """Run ``open_store`` in ``openers`` threads released together; the exceptions they raised."""
    start, errors = threading.Barrier(openers), []

    def opener() -> None:
        start.wait()
        try:
            open_store()
        except Exception as exc:  # noqa: BLE001 - returned to the test, which asserts on them
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(openers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_two_processes_opening_an_empty_database_at_once(backend: Backend) -> None:
    assert errors_opening_at_once(lambda: backend.open().count("me")) == []
    assert backend.versions() == [m.version for m in backend.known]  # each applied once


def test_new_sqlite_files_opened_by_four_at_once_every_time(tmp_path: Path) -> None:
    # Switching a new file to WAL answered "database is locked" at once to about one opener in
    # fifty (SQLite skips its busy wait there); many fresh files make that show in every run.
    for round_ in range(40):
        path = tmp_path / f"labels-{round_}.sqlite3"
        assert errors_opening_at_once(lambda p=path: LabelStore(p).count("me")) == [], f"round {round_}"
        with closing(sqlite3.connect(path)) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_concurrent_writers_do_not_duplicate_or_mix(backend: Backend) -> None:
    backend.open().create_profile("me")
    sets = {"x": make_labels(40, prefix="x"), "y": make_labels(25, prefix="y")}
    start, errors = threading.Barrier(2), []

    def writer(name: str) -> None:
        store = backend.open()
        start.wait()
        try:
            for _ in range(8):
                store.add("me", sets["x"])  # both add the same rows
                store.save("me", sets[name])  # and replace with their own set
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in sets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    keys = backend.open().load("me")["label_key"].tolist()
    assert len(keys) == len(set(keys))
    assert sorted(keys) in (sorted(sets["x"]["label_key"]), sorted(sets["y"]["label_key"]))  # one whole set


def test_an_old_sqlite_file_is_upgraded_and_keeps_its_labels(tmp_path: Path) -> None:
    path = tmp_path / "labels.sqlite3"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:  # the schema before versions
        for statement in SQLITE_MIGRATIONS[0].statements:
            conn.execute(statement)
        conn.execute("INSERT INTO profiles VALUES ('me', '2026-01-01T00:00:00+00:00')")
        conn.execute("INSERT INTO labels (profile, label_key, label, created_at, updated_at) VALUES "
                     "('me', 'k1', 1, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')")
    store = LabelStore(path)
    assert store.profiles() == ["me"] and store.load("me")["label_key"].tolist() == ["k1"]
    assert LabelStore(path, owner="other").profiles() == []
    store.add("me", make_labels(2))
    assert store.count("me") == 3


def test_postgres_down_then_back_keeps_labels_and_says_so_plainly() -> None:
    with running_server() as server:
        url = server.create_database()
        store = PostgresLabelStore(url, backoff=0.05)
        store.save("me", make_labels(10))
        server.stop()
        for attempt in (lambda: store.save("me", make_labels(12)), lambda: store.load("me"),
                        lambda: PostgresLabelStore(url, backoff=0.05)):
            with pytest.raises(StoreError) as caught:
                attempt()
            message = str(caught.value)
            assert f"127.0.0.1:{server.port}" in message and "running" in message
            assert PASSWORD not in message and "postgresql://" not in message and caught.value.retryable
        server.start()
        assert store.load("me")["label_key"].tolist() == [f"t{i}" for i in range(10)]
        assert store.save("me", make_labels(12)) == 12 and store.count("me") == 12


def test_a_wrong_password_is_not_retried_and_not_shown(postgres_server) -> None:  # noqa: F811
    url = postgres_server.url().replace(PASSWORD, "wrong-password")
    with pytest.raises(StoreError, match="user name or password") as caught:
        PostgresLabelStore(url)
    assert not caught.value.retryable and "wrong-password" not in str(caught.value)


def test_the_database_address_comes_from_env_then_secrets(tmp_path: Path, monkeypatch, postgres_url) -> None:  # noqa: F811
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'database_url = "{postgres_url}"\n')
    monkeypatch.delenv("TASTEMAP_DATABASE_URL", raising=False)
    assert database_url([tmp_path / "absent.toml"]) is None
    assert database_url([secrets]) == postgres_url
    monkeypatch.setenv("TASTEMAP_DATABASE_URL", "postgresql://u@envhost/db")
    assert database_url([secrets]) == "postgresql://u@envhost/db"  # the environment wins
    monkeypatch.setenv("TASTEMAP_DATABASE_URL", "mysql://u@h/db")
    with pytest.raises(StoreError, match="postgresql://"):
        database_url([])
    monkeypatch.setenv("TASTEMAP_DATABASE_URL", postgres_url)
    assert isinstance(open_label_store(owner="x"), PostgresLabelStore)
    monkeypatch.setenv("TASTEMAP_DATABASE_URL", "")
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    monkeypatch.setenv("HOME", str(tmp_path))
    assert isinstance(open_label_store(path=tmp_path / "l.sqlite3"), LabelStore)


def test_each_owner_remembers_the_profile_chosen_last(backend: Backend) -> None:
    alice, bob = backend.open("alice"), backend.open("bob")
    assert alice.last_profile() is None  # nothing chosen yet
    alice.create_profile("party")
    alice.create_profile("work")
    assert alice.remember_profile(" party ") == "party"
    assert backend.open("alice").last_profile() == "party"  # a new session, another process: the same
    assert alice.remember_profile("party") == "party"  # repeating it changes nothing
    alice.remember_profile("work")
    assert backend.open("alice").last_profile() == "work"
    assert bob.last_profile() is None and backend.open().last_profile() is None  # per owner
    bob.create_profile("work")
    bob.remember_profile("work")
    assert alice.last_profile() == "work" and bob.last_profile() == "work"
    with pytest.raises(LabelError, match="empty"):
        alice.remember_profile("  ")
    assert alice.last_profile() == "work"


def test_a_remembered_profile_that_does_not_exist_is_not_returned(backend: Backend) -> None:
    store = backend.open()
    store.remember_profile("default")  # chosen before its first label: no profile row yet
    assert store.last_profile() is None
    store.save("default", make_labels(3))
    assert store.last_profile() == "default"
    store.create_profile("party")
    store.remember_profile("party")
    store.delete_profile("party")  # deleting forgets it...
    assert store.last_profile() is None
    store.create_profile("party")  # ...so a new profile of the same name is not "chosen" by itself
    assert store.last_profile() is None
    store.remember_profile("party")
    backend.open("bob").delete_profile("party")  # another owner's profile of that name: no effect
    assert store.last_profile() == "party"


def _apply_directly(backend: Backend, migrations) -> None:
    """Give an empty database the schema of ``migrations`` (an older Tastemap's), with no store."""
    if backend.kind == "sqlite":
        backend.migrate(migrations)
        return
    with psycopg.connect(backend.where) as conn:
        conn.execute(SCHEMA_VERSION_TABLE)
        for migration in migrations:
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (%s, %s, now()::text)",
                         (migration.version, migration.description))


def test_the_previous_schema_version_is_upgraded_and_keeps_its_rows(backend: Backend) -> None:
    previous = backend.known[:-1]
    assert backend.known[-1].description == "each owner's last chosen profile"
    _apply_directly(backend, previous)
    assert backend.versions() == [m.version for m in previous]
    owner = "alice"
    if backend.kind == "sqlite":
        with closing(sqlite3.connect(backend.where)) as conn, conn:
            conn.execute("INSERT INTO profiles VALUES (?, 'me', '2026-01-01T00:00:00+00:00')", (owner,))
            conn.execute("INSERT INTO labels (owner, profile, label_key, label, created_at, updated_at) VALUES "
                         "(?, 'me', 'k1', 1, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')", (owner,))
    else:
        with psycopg.connect(backend.where) as conn:
            conn.execute("INSERT INTO profiles (owner, name, created_at) VALUES (%s, 'me', now())", (owner,))
            conn.execute("INSERT INTO labels (owner, profile, label_key, label, created_at, updated_at) VALUES "
                         "(%s, 'me', 'k1', 1, now(), now())", (owner,))
    store = backend.open(owner)  # this version: applies the missing migration
    assert backend.versions() == [m.version for m in backend.known]
    assert store.profiles() == ["me"] and store.load("me")["label_key"].tolist() == ["k1"]
    assert store.last_profile() is None
    store.remember_profile("me")
    assert backend.open(owner).last_profile() == "me"
