"""`python -m recommender audio scan`, run as a user would (a real subprocess) on generated audio,
and the library it writes used by `info` and `recommend --method sound`."""
from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from recommender.catalog import AUDIO_FEATURES
from recommender.cli._common import StderrProgress
from tests.support import synth
from tests.support.paths import ROOT
from tests.support.planted import planted_csv_bytes

CLIPS = ("01 Bells.wav", "02 Drums.ogg", "03 Strings.flac", "04 Pads.mp3")
SR = 16_000


def make_music(folder: Path, clips: tuple[str, ...] = CLIPS, seconds: float = 6.0) -> Path:
    """Playable clips, a text file, a zero-byte .mp3 and a subfolder with a non-UTF-8 file name."""
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    for seed, name in enumerate(clips):
        synth.write_audio(folder / name, synth.piece(seed, seconds, sr=SR), sr=SR)
    (folder / "notes.txt").write_text("not music")
    (folder / "broken.mp3").write_bytes(b"")
    with open(os.path.join(os.fsencode(folder / "sub"), b"caf\xe9 menu.txt"), "wb") as fh:
        fh.write(b"a file whose name is not UTF-8")
    return folder


def cli(*args: str, cache: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "TASTEMAP_CACHE_DIR": str(cache), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "recommender", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """One scan (in-process analysis) of the generated folder: (root, result, parsed JSON)."""
    root = tmp_path_factory.mktemp("audio_cli")
    make_music(root / "music")
    result = cli("audio", "scan", str(root / "music"), "--out", str(root / "library.parquet"),
                 "--format", "json", "--workers", "0", cache=root / "cache")
    assert result.returncode == 0, result.stderr
    return root, result, json.loads(result.stdout)


def test_scan_lists_every_file_with_status_and_reason(scanned):
    root, result, report = scanned
    rows = {r["path"]: r for r in report["records"]}
    assert set(rows) == {*CLIPS, "broken.mp3", "notes.txt", "sub/caf\ufffd menu.txt"}
    for name in CLIPS:
        assert rows[name]["status"] == "analysed" and len(rows[name]["track_id"]) == 22
    assert rows["broken.mp3"]["status"] == "failed" and "empty" in rows["broken.mp3"]["reason"]
    assert rows["broken.mp3"]["track_id"] is None
    assert rows["notes.txt"]["status"] == "skipped" and "not an audio file" in rows["notes.txt"]["reason"]
    assert rows["sub/caf\ufffd menu.txt"]["status"] == "skipped"
    assert (report["analysed"], report["failed"], report["skipped"], report["from_cache"]) == (4, 1, 2, 0)
    assert report["library"] == {"path": str(root / "library.parquet"), "tracks": 4}
    assert (root / "library.parquet").is_file()
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]  # written atomically
    # progress on stderr (not a terminal: plain lines, the first and the last at least)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("0 of 5 files") and lines[-1].startswith("5 of 5 files")
    assert "Traceback" not in result.stderr


def test_table_output_names_the_files_not_in_the_library(scanned, tmp_path):
    root, _, _ = scanned
    result = cli("audio", "scan", str(root / "music"), "--out", str(tmp_path / "again.parquet"),
                 "--workers", "0", "--quiet", cache=root / "cache")
    assert result.returncode == 0, result.stderr
    assert "4 analysed, 1 failed, 2 not audio" in result.stdout
    assert "from earlier scans: 5" in result.stdout
    assert "broken.mp3" in result.stdout and "empty file" in result.stdout
    assert result.stderr == ""  # --quiet: no progress


def test_second_scan_takes_everything_from_the_cache(scanned, tmp_path):
    root, _, first = scanned
    result = cli("audio", "scan", str(root / "music"), "--out", str(tmp_path / "lib.parquet"),
                 "--format", "json", "--workers", "0", cache=root / "cache")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["from_cache"] == 5 and report["analysed"] == 4
    assert report["records"] == first["records"]  # same track IDs, statuses and reasons
    assert "5 of 5 files (5 from earlier scans)" in result.stderr


def test_library_loads_in_info_and_recommends_by_sound_with_file_paths(scanned, tmp_path):
    root, _, report = scanned
    library = str(root / "library.parquet")
    info = cli("info", "--catalog", library, "--format", "json", cache=root / "cache")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["tracks"] == 4

    first = next(r for r in report["records"] if r["status"] == "analysed")
    rec = cli("recommend", "--catalog", library, "--method", "sound", "--seeds", first["track_id"],
              "--k", "3", "--format", "json", cache=root / "cache")
    assert rec.returncode == 0, rec.stderr
    answer = json.loads(rec.stdout)
    assert answer["seeds"] == [first["track_id"]]
    paths = {r["path"] for r in report["records"] if r["status"] == "analysed"} - {first["path"]}
    assert {r["file_path"] for r in answer["recommendations"]} == paths
    assert all(r["why"].startswith("Sounds like your seed") for r in answer["recommendations"])

    table = cli("recommend", "--catalog", library, "--method", "sound", "--seeds", first["track_id"],
                "--k", "3", cache=root / "cache")
    assert table.returncode == 0 and "file_path" in table.stdout
    assert all(path in table.stdout for path in paths)

    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"{first['track_id']}\n")
    lines = cli("recommend", "--catalog", library, "--method", "sound", "--seeds-file", str(seeds),
                "--k", "3", cache=root / "cache")
    assert lines.returncode == 0, lines.stderr
    assert {r["file_path"] for r in json.loads(lines.stdout)["recommendations"]} == paths


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_unusable_folder_is_a_clear_error_without_traceback(tmp_path, kind):
    target = tmp_path / "nowhere"
    if kind == "file":
        target.write_text("x")
    result = cli("audio", "scan", str(target), "--out", str(tmp_path / "lib.parquet"), "--workers", "0",
                 cache=tmp_path / "cache")
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {target}: ")
    assert ("no such folder" if kind == "missing" else "not a folder") in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "lib.parquet").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_unreadable_folder_is_a_clear_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        result = cli("audio", "scan", str(locked), "--out", str(tmp_path / "lib.parquet"), cache=tmp_path / "cache")
    finally:
        locked.chmod(0o755)
    assert result.returncode == 2 and "cannot be read" in result.stderr and "Traceback" not in result.stderr


def test_bad_out_name_is_refused_before_scanning(scanned, tmp_path):
    root, _, _ = scanned
    result = cli("audio", "scan", str(root / "music"), "--out", str(tmp_path / "lib.csv"), cache=root / "cache")
    assert result.returncode == 2 and ".parquet" in result.stderr and result.stderr.count("\n") == 1


def test_folder_without_music_lists_reasons_and_exits_non_zero(tmp_path):
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "readme.txt").write_text("hello")
    (folder / "silence.mp3").write_bytes(b"")
    result = cli("audio", "scan", str(folder), "--out", str(tmp_path / "lib.parquet"), "--format", "json",
                 "--workers", "0", cache=tmp_path / "cache")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["library"] is None and report["analysed"] == 0
    assert [r["status"] for r in report["records"]] == ["skipped", "failed"]
    assert "no music file could be analysed" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "lib.parquet").exists()


def test_two_worker_processes_give_the_same_library(scanned, tmp_path):
    _, _, first = scanned
    music = make_music(tmp_path / "music")
    result = cli("audio", "scan", str(music), "--out", str(tmp_path / "lib.parquet"), "--format", "json",
                 "--workers", "2", cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["analysed"] == 4 and report["from_cache"] == 0
    # track IDs come from the relative paths: the same files give the same IDs
    assert [(r["path"], r["track_id"], r["status"]) for r in report["records"]] == [
        (r["path"], r["track_id"], r["status"]) for r in first["records"]]
    assert "Traceback" not in result.stderr


def test_ctrl_c_stops_cleanly_and_the_next_scan_continues(tmp_path):
    clips = tuple(f"{i:02d} Song.wav" for i in range(1, 9))
    music = make_music(tmp_path / "music", clips)
    env = {**os.environ, "TASTEMAP_CACHE_DIR": str(tmp_path / "cache"), "PYTHONIOENCODING": "utf-8"}
    args = [sys.executable, "-m", "recommender", "audio", "scan", str(music), "--out", str(tmp_path / "lib.parquet"),
            "--workers", "0", "--format", "json"]
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # readiness: the first progress line comes before the network is even loaded
    first_line = proc.stderr.readline()
    assert first_line.startswith("0 of 9 files")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 130, err
    assert "run the same command again to continue" in err and "Traceback" not in err
    assert out == "" and not (tmp_path / "lib.parquet").exists()
    kept = int(re.search(r"stopped: (\d+) files finished", err).group(1))
    assert kept < 9

    again = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["analysed"] == 8 and report["from_cache"] == kept  # what finished before Ctrl-C was kept


# Progress on stderr is shared by every long command (_common.StderrProgress).

class _Stream(io.StringIO):
    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


def test_progress_updates_one_line_on_a_terminal_and_writes_plain_lines_otherwise():
    terminal = _Stream(terminal=True)
    with StderrProgress(stream=terminal) as progress:
        for done in range(4):
            progress.update(done, 3, f"{done}/3 files")
    assert terminal.getvalue() == "\r0/3 files\r1/3 files\r2/3 files\r3/3 files\n"

    log = _Stream(terminal=False)
    with StderrProgress(stream=log, interval=3600) as progress:  # nothing between first and last
        for done in range(4):
            progress.update(done, 3, f"{done}/3 files")
    assert log.getvalue() == "0/3 files\n3/3 files\n"

    quiet = _Stream(terminal=True)
    with StderrProgress(stream=quiet, quiet=True) as progress:
        progress.update(1, 3, "1/3 files")
    assert quiet.getvalue() == ""


def test_evaluate_shows_progress_on_stderr_unless_quiet(tmp_path):
    catalog = tmp_path / "planted.csv"
    catalog.write_bytes(planted_csv_bytes())
    args = ("evaluate", "--catalog", str(catalog), "--playlists", "3", "--methods", "similar", "popular",
            "--format", "json")
    result = cli(*args, cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "0 of 2 methods evaluated, now similar" and lines[-1] == "2 of 2 methods evaluated"
    assert list(json.loads(result.stdout)["methods"]) == ["similar", "popular"]
    quiet = cli(*args, "--quiet", cache=tmp_path / "cache")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_taste_train_tune_shows_its_steps_on_stderr(tmp_path, default_catalog):
    t = default_catalog.tracks
    frame = pd.concat([t[t["energy"] > 0.8].head(30).assign(liked="like"),
                       t[t["energy"] < 0.3].head(30).assign(liked="dislike")])
    labels = tmp_path / "labels.csv"
    frame[["track_id", "track_name", "artists", *AUDIO_FEATURES, "liked"]].to_csv(labels, index=False)
    result = cli("taste", "train", "--labels", str(labels), "--model", "logreg", "--tune", "--no-importance",
                 "--format", "json", cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Trying settings on artists held out: part 1 of") and lines[-1] == "Done"
    assert json.loads(result.stdout)["tuning"]
