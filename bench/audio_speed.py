"""Audio libraries: analysis speed, a second scan of an unchanged 1,000-file folder, and
recommending by sound on a 10,000-track library.

Run:  .venv/bin/python -m bench.audio_speed                 (all three)
      .venv/bin/python -m bench.audio_speed --files 1000 --library 10000 --workers 2

Goals (issue 16): analysis >= 60x real time on 2 cores; the second scan < 10 s; a
recommendation < 50 ms. The folder holds generated music (tests.support.synth.piece, 20 s
clips as OGG); its first scan is timed too (that is the analysis speed on synthetic music; real
music is in bench.audio_quality). The 10,000-track library is synthetic embeddings and tags
written and loaded as a real library file. Medians of 3 (scans) and of 50 queries.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def make_folder(root: Path, files: int, seconds: float) -> float:
    """``files`` clips of 8 distinct generated pieces (copies renamed: every file is analysed,
    each path is a new file to the cache). Returns the total seconds of audio."""
    from tests.support import synth

    root.mkdir(parents=True, exist_ok=True)
    originals = []
    for seed in range(8):
        path = synth.write_audio(root / f"piece-{seed}.ogg", synth.piece(seed, seconds, sr=16_000), sr=16_000)
        originals.append(path.read_bytes())
    for i in range(8, files):
        (root / f"album-{i % 37:02d}").mkdir(exist_ok=True)
        (root / f"album-{i % 37:02d}" / f"track-{i:04d}.ogg").write_bytes(originals[i % 8])
    return files * seconds


def time_scans(root: Path, workers: int, audio_seconds: float) -> dict:
    from recommender.audio.analysis_cache import AnalysisCache
    from recommender.audio.library import library_bytes
    from recommender.audio.scan import scan_folder

    with tempfile.TemporaryDirectory() as tmp:
        cache = AnalysisCache(Path(tmp) / "a.sqlite3")
        started = time.perf_counter()
        first = scan_folder(root, cache=cache, workers=workers)
        first_seconds = time.perf_counter() - started
        again = []
        for _ in range(3):
            started = time.perf_counter()
            scan = scan_folder(root, cache=cache, workers=workers)
            library_bytes(scan)  # the library file too: what a rescan gives the listener
            again.append(time.perf_counter() - started)
        assert scan.from_cache == len(first.files)
    return {
        "files": len(first.files),
        "analysed": len(first.analysed),
        "first_scan_seconds": round(first_seconds, 1),
        "times_real_time": round(audio_seconds / first_seconds, 1),
        "second_scan_seconds_median_of_3": round(statistics.median(again), 2),
    }


def time_recommend(n_tracks: int, queries: int = 50) -> dict:
    import io

    import pandas as pd

    from recommender.audio.musicnn import MODEL_VERSION, TAG_COLUMNS
    from recommender.catalog import load_catalog
    from recommender.catalog.sound import SoundData, write_sound_parquet
    from recommender.recommenders import make_recommender

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "track_id": [f"{i:022d}" for i in range(n_tracks)],
        "track_name": [f"Track {i}" for i in range(n_tracks)],
        "artists": [f"Artist {i % 900}" for i in range(n_tracks)],
        "album_name": [f"Album {i % 1200}" for i in range(n_tracks)],
        "duration_ms": rng.uniform(60_000, 400_000, n_tracks).astype(np.float32),
        "tempo": rng.uniform(60, 180, n_tracks).astype(np.float32),
        "loudness": rng.uniform(-30, -5, n_tracks).astype(np.float32),
        "key": rng.integers(0, 12, n_tracks).astype(np.float32),
        "mode": rng.integers(0, 2, n_tracks).astype(np.float32),
        "file_path": [f"Album {i % 1200}/{i:05d}.mp3" for i in range(n_tracks)],
    })
    sound = SoundData(rng.standard_normal((n_tracks, 400)).astype(np.float32),
                      rng.uniform(0, 1, (n_tracks, len(TAG_COLUMNS))).astype(np.float32), TAG_COLUMNS, MODEL_VERSION)
    buffer = io.BytesIO()
    write_sound_parquet(frame, sound, buffer)
    catalog = load_catalog(buffer.getvalue(), name="synthetic library")
    started = time.perf_counter()
    rec = make_recommender("sound").fit(catalog)
    fit_seconds = time.perf_counter() - started
    ids = catalog.tracks["track_id"].to_numpy()
    rec.recommend([ids[0]], k=10)  # warm-up
    times = []
    for q in rng.integers(0, n_tracks, queries):
        started = time.perf_counter()
        rec.recommend([ids[q]], k=10)
        times.append(time.perf_counter() - started)
    return {
        "tracks": n_tracks,
        "fit_seconds": round(fit_seconds, 2),
        "recommend_ms_p50": round(1000 * float(np.percentile(times, 50)), 2),
        "recommend_ms_p95": round(1000 * float(np.percentile(times, 95)), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each generated clip")
    parser.add_argument("--library", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "music"
        audio_seconds = make_folder(folder, args.files, args.seconds)
        results["scan"] = time_scans(folder, args.workers, audio_seconds)
    results["recommend"] = time_recommend(args.library)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "audio_speed.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
