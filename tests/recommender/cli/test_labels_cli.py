"""`python -m recommender labels import | export | profiles`, run as a user would (a real
subprocess), against SQLite (no TASTEMAP_DATABASE_URL) and PostgreSQL (a real server, URL in the
environment)."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from recommender.label_store import LabelStore
from recommender.label_store.postgres import PostgresLabelStore
from tests.support.postgres import PASSWORD, postgres_server, postgres_url  # noqa: F401 - fixtures

LABELS = pd.DataFrame({
    "track_name": ["=cmd|' /C calc'!A0", "Mask Off", "Redbone", "Xanny Family"],
    "artists": ["Evil", "Future", "Childish Gambino", "Future"],
    "target": [1, 1, 0, 0],
    **{f: [0.1, 0.5, 0.7, 0.9] for f in ("acousticness", "danceability", "energy", "instrumentalness",
                                         "liveness", "speechiness", "valence")},
    "loudness": [-8.0, -6.0, -5.0, -4.0], "tempo": [90.0, 150.0, 160.0, 120.0], "key": [1, 2, 3, 4],
    "mode": [1, 0, 1, 0], "duration_ms": [200_000] * 4, "time_signature": [4] * 4,
})


@pytest.fixture(params=["sqlite", "postgres"])
def env(request, tmp_path: Path) -> dict[str, str]:
    base = {**os.environ, "TASTEMAP_DATA_DIR": str(tmp_path / "data"), "PYTHONIOENCODING": "utf-8", "HOME": str(tmp_path)}
    base.pop("TASTEMAP_DATABASE_URL", None)
    if request.param == "postgres":
        base["TASTEMAP_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    return base


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recommender", "labels", *args], cwd=env["HOME"], env=env,
                          capture_output=True, text=True, timeout=300)


def test_import_export_and_profiles(env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "mine.csv"
    LABELS.to_csv(source, index=False)
    done = cli("import", str(source), "--profile", "party", env=env)
    assert done.returncode == 0, done.stderr
    assert "imported 4 labels into profile 'party'" in done.stdout
    again = cli("import", str(source), "--profile", "party", "--format", "json", env=env)  # no duplicates
    assert json.loads(again.stdout)["labels"] == 4

    listed = json.loads(cli("profiles", "--format", "json", env=env).stdout)
    assert listed["profiles"] == [{"profile": "party", "labels": 4}]
    assert listed["store"].startswith("PostgreSQL at 127.0.0.1:" if "TASTEMAP_DATABASE_URL" in env else "SQLite file")
    assert "party" in cli("profiles", env=env).stdout

    exported = cli("export", "--profile", "party", env=env)
    assert exported.returncode == 0, exported.stderr
    frame = pd.read_csv(io.StringIO(exported.stdout))
    assert sorted(frame["label"]) == [0, 0, 1, 1] and "'=cmd|' /C calc'!A0" in set(frame["track_name"])
    records = json.loads(cli("export", "--profile", "party", "--format", "json", env=env).stdout)["labels"]
    assert sorted(r["track_name"] for r in records)[0] == "=cmd|' /C calc'!A0"  # JSON keeps the text as it is

    # the rows are where the environment says, and only there
    url = env.get("TASTEMAP_DATABASE_URL")
    store = PostgresLabelStore(url) if url else LabelStore(Path(env["TASTEMAP_DATA_DIR"]) / "labels.sqlite3")
    assert store.count("party") == 4
    assert (Path(env["TASTEMAP_DATA_DIR"]) / "labels.sqlite3").exists() is (url is None)

    missing = cli("export", "--profile", "nobody here", env=env)
    assert missing.returncode == 2 and "no profile 'nobody here'" in missing.stderr


def test_an_unreachable_database_is_one_plain_line(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "TASTEMAP_DATA_DIR": str(tmp_path / "data"),
           "TASTEMAP_DATABASE_URL": f"postgresql://tastemap:{PASSWORD}@127.0.0.1:9/labels"}  # port 9: discard
    done = cli("profiles", env=env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: The label database (PostgreSQL at 127.0.0.1:9/labels) cannot be used")
    assert "Traceback" not in done.stderr and PASSWORD not in done.stderr and len(done.stderr.splitlines()) == 1
