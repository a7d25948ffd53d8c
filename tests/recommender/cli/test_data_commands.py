"""`python -m recommender validate|info`, run as a user would (a real subprocess)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "recommender", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize(
    "name, layout, tracks",
    [
        ("tidytuesday_spotify_songs.csv.gz", "tidytuesday_spotify_songs", 35),
        ("exportify_no_features.csv", "exportify", 20),
    ],
)
def test_validate_json_usable(name: str, layout: str, tracks: int) -> None:
    result = run("validate", str(SAMPLES / name), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"rows_read", "tracks", "layout", "columns", "dropped", "warnings"} <= set(report)
    assert report["usable"] is True
    assert report["layout"] == layout
    assert report["tracks"] == tracks
    assert report["columns"]["track_id"]
    assert isinstance(report["dropped"], dict) and isinstance(report["warnings"], list)


def test_validate_counts_dropped_rows(tmp_path: Path) -> None:
    lines = (SAMPLES / "SpotifyFeatures.csv").read_text().splitlines()
    fields = lines[1].split(",")
    fields[6] = "7"  # danceability 7
    lines[1] = ",".join(fields)
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    result = run("validate", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dropped"] == {"danceability outside 0 to 1": 1}
    assert report["rows_read"] == 30 and report["tracks"] == 29


def test_validate_text_output() -> None:
    result = run("validate", str(SAMPLES / "tracks_features_1m.csv"))
    assert result.returncode == 0
    assert "layout: kaggle_tracks_features_1m" in result.stdout
    assert "tracks: 30" in result.stdout
    assert "popularity is unknown" in result.stdout


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "empty"),
        (b"song,singer\nx,y\n", "required columns are missing: track_id"),
    ],
)
def test_validate_unusable_exits_2_with_message(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    result = run("validate", str(path), "--format", "json")
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)["usable"] is False


def test_validate_missing_file() -> None:
    result = run("validate", "no/such/file.csv")
    assert result.returncode == 2
    assert "no such file" in result.stderr and "Traceback" not in result.stderr


def test_info_json_default_catalog() -> None:
    result = run("info", "--format", "json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["tracks"] == 28_356
    assert info["playlists"] == 471
    assert info["genres"] == 6
    assert info["artists"] > 10_000
    ranges = info["feature_ranges"]
    assert ranges["danceability"]["min"] >= 0 and ranges["danceability"]["max"] <= 1
    assert ranges["key"] == {"min": 0.0, "median": ranges["key"]["median"], "max": 11.0}


def test_info_other_catalog_text_and_bad_catalog(tmp_path: Path) -> None:
    result = run("info", "--catalog", str(SAMPLES / "kaggle_dataset.csv"))
    assert result.returncode == 0, result.stderr
    assert "tracks: 30" in result.stdout and "genres:" in result.stdout
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02" * 100)
    result = run("info", "--catalog", str(bad))
    assert result.returncode == 2 and "binary file" in result.stderr
