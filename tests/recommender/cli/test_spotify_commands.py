"""``python -m recommender spotify ...`` against the fake Spotify Web API."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recommender.catalog import load_catalog
from recommender.cli import main
from tests.support.fake_spotify import CLIENT_SECRET, FakeSpotify, fake_id

ROOT = Path(__file__).resolve().parents[3]
PLAYLIST = fake_id(3, "P")


@pytest.fixture
def fake(monkeypatch):
    with FakeSpotify(owner_only=False) as server:
        for key, value in server.env(redirect_uri=None).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("SPOTIFY_TIMEOUT", "0.5")
        monkeypatch.setenv("SPOTIFY_BACKOFF", "0.01")
        monkeypatch.setenv("SPOTIFY_MAX_WAIT", "2")
        yield server


@pytest.fixture
def small_catalog(samples_dir) -> Path:
    return samples_dir / "tidytuesday_spotify_songs.csv"


def test_tracks_json(fake, capsys):
    ids = fake.add_tracks(2)
    code = main(["spotify", "tracks", f"{ids[0]}, https://open.spotify.com/track/{ids[1]} {fake_id(9)} junk", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0
    data = json.loads(out)
    assert [t["track_id"] for t in data["tracks"]] == ids
    assert data["tracks"][0]["track_name"] == fake.tracks[ids[0]]["name"]
    assert data["tracks"][0]["url"] == f"https://open.spotify.com/track/{ids[0]}"
    assert data["not_found"] == [fake_id(9)] and data["complete"] is True
    assert data["invalid"][0]["token"] == "junk" and "skipped" in err


def test_tracks_table(fake, capsys):
    ids = fake.add_tracks(1)
    assert main(["spotify", "tracks", ids[0]]) == 0
    out, _ = capsys.readouterr()
    assert ids[0] in out and "Fake Artist" in out and "track_name" in out


def test_playlist_marks_catalog_tracks(fake, capsys, small_catalog):
    catalog = load_catalog(small_catalog)
    known = catalog.tracks["track_id"].iloc[:3].tolist()
    for track_id in known:
        fake.add_track(track_id, "Known one")
    unknown = fake.add_tracks(60)
    fake.add_playlist(PLAYLIST, "Mix", "bob", known + unknown)
    code = main(["spotify", "playlist", f"https://open.spotify.com/playlist/{PLAYLIST}", "--catalog", str(small_catalog), "--format", "json"])
    out, _ = capsys.readouterr()
    assert code == 0
    data = json.loads(out)
    assert data["total"] == 63 and data["complete"] is True and data["in_catalog"] == 3
    assert list(data["tracks"][0]) == ["track_id", "track_name", "artists", "in_catalog"]
    flags = {t["track_id"]: t["in_catalog"] for t in data["tracks"]}
    assert all(flags[k] for k in known) and not any(flags[u] for u in unknown)
    assert fake.count("GET", "/items") == 2  # all pages


def test_playlist_partial_import_prints_what_it_got(fake, capsys, small_catalog):
    ids = fake.add_tracks(70)
    fake.add_playlist(PLAYLIST, "Mix", "bob", ids)
    fake.fail("/items$", 503, times=5, query={"offset": "50"})
    code = main(["spotify", "playlist", PLAYLIST, "--catalog", str(small_catalog)])
    out, err = capsys.readouterr()
    assert code == 1
    assert ids[0] in out and ids[49] in out and ids[50] not in out
    assert "stopped after 50 tracks of 70" in err and "HTTP 503" in err
    assert "note: Spotify had a server error" in err  # the waits are visible


def test_rate_limit_wait_is_visible(fake, capsys):
    ids = fake.add_tracks(1)
    fake.fail(f"/v1/tracks/{ids[0]}", 429, headers={"Retry-After": "0.1"})
    assert main(["spotify", "tracks", ids[0]]) == 0
    _, err = capsys.readouterr()
    assert "note: Spotify asked this app to slow down: waiting 0.1 s" in err


def test_errors_are_one_line_without_secrets(fake, capsys, monkeypatch):
    fake.add_playlist(PLAYLIST, "Mix", "bob", [])
    assert main(["spotify", "playlist", "https://open.spotify.com/track/6f807x0ima9a1j3VPbc7VN"]) == 2
    assert "not a playlist link" in capsys.readouterr().err
    assert main(["spotify", "playlist", fake_id(404, "P")]) == 2
    assert "HTTP 404" in capsys.readouterr().err
    monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", "wrong-" + CLIENT_SECRET)
    assert main(["spotify", "tracks", fake_id(1)]) == 2
    err = capsys.readouterr().err
    assert "rejected the app credentials" in err and CLIENT_SECRET not in err and "Traceback" not in err


def test_without_credentials_explains_how_to_connect():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPOTIPY_", "SPOTIFY_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "recommender", "spotify", "tracks", "6f807x0ima9a1j3VPbc7VN"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "SPOTIPY_CLIENT_ID" in proc.stderr and "Traceback" not in proc.stderr
