"""How well "sounds alike" finds tracks of the same soundtrack, on real music.

Run:  .venv/bin/python -m bench.audio_corpus bench/results/audio-corpus      (once, ~1.1 GB download)
      .venv/bin/python -m bench.audio_quality bench/results/audio-corpus

For every track, leave-one-out: its 5 nearest other tracks, and the share of them from the same
soundtrack (precision@5), averaged over tracks. Methods:

- ``random``: 5 other tracks at random (expected value, exact);
- ``mfcc``: mean and standard deviation of 20 MFCCs, standardized, cosine (the classic baseline);
- ``musicnn as shipped``: musicnn 0.1.0's own recipe (MTT network, its float16 front end, mean
  of the penultimate layer over patches, cosine) run through our ONNX file; an embedding made
  NaN by the float16 overflow counts as zeros; also "finite patches only", the mean of the
  patches that did not overflow;
- ``sound``: Tastemap's ``sound`` method as a listener gets it: the folder scanned by
  ``recommender.audio.scan`` (both networks, float32 front end), the library loaded as a
  catalog, :class:`~recommender.recommenders.sound.SoundRecommender`'s similarity.

Also prints the scan's speed (seconds of audio per second of wall time, with ``--workers``
processes) and writes everything to ``bench/results/audio_quality.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def hits_at_5(vectors: np.ndarray, labels: np.ndarray, standardize: bool = False) -> np.ndarray:
    """Per track: the share of its 5 nearest other tracks (cosine) with its label."""
    X = np.asarray(vectors, dtype=np.float64)
    if standardize:
        X = (X - X.mean(axis=0)) / np.maximum(X.std(axis=0), 1e-9)
    U = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    S = U @ U.T
    np.fill_diagonal(S, -np.inf)
    top = np.argsort(-S, axis=1, kind="stable")[:, :5]
    return (labels[top] == labels[:, None]).mean(axis=1)


def precision_at_5(vectors: np.ndarray, labels: np.ndarray, standardize: bool = False) -> float:
    return float(hits_at_5(vectors, labels, standardize).mean())


def subsets_of_four(vectors: np.ndarray, labels: np.ndarray, standardize: bool) -> dict[str, float]:
    """precision@5 on every set of four soundtracks (the library holds only those four): how
    much the figure depends on which styles one picks."""
    from itertools import combinations

    out = {}
    for combo in combinations(sorted(set(labels)), 4):
        keep = np.isin(labels, combo)
        out[" + ".join(combo)] = round(precision_at_5(vectors[keep], labels[keep], standardize), 3)
    return out


def random_precision(labels: np.ndarray) -> float:
    """Expected precision@5 of 5 random other tracks: (same-label others) / (all others)."""
    counts = {label: int((labels == label).sum()) for label in set(labels)}
    return float(np.mean([(counts[label] - 1) / (len(labels) - 1) for label in labels]))


def shipped_embedding(mono: np.ndarray, model) -> tuple[np.ndarray, np.ndarray]:
    """musicnn 0.1.0's recipe: mel power cast to float16 *before* the log (overflows to inf
    on loud music), the MTT network's penultimate layer, mean over 3 s patches. Returns the
    plain mean (NaN once one patch overflowed) and the mean of the patches that stayed finite
    (the most charitable reading of it)."""
    import librosa

    from recommender.audio import musicnn as mn

    mel = librosa.feature.melspectrogram(y=mono, sr=mn.SAMPLE_RATE, n_fft=mn.N_FFT, hop_length=mn.HOP, n_mels=mn.N_MELS).T
    with np.errstate(over="ignore"):
        logmel = np.log10(10000 * mel.astype(np.float16) + 1).astype(np.float32)
    batch = mn.patches(logmel)
    session = model._session("mtt_musicnn")
    pen = np.concatenate([session.run([mn.EMBEDDING_OUT], {mn.INPUT: batch[i : i + 8]})[0] for i in range(0, len(batch), 8)])
    finite = np.isfinite(pen).all(axis=1)
    charitable = pen[finite].mean(axis=0) if finite.any() else np.zeros(pen.shape[1], np.float32)
    return pen.mean(axis=0), charitable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="a folder with one sub-folder per soundtrack (bench.audio_corpus)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    import librosa

    from recommender.audio.analysis_cache import AnalysisCache
    from recommender.audio.decode import decode_file
    from recommender.audio.library import library_catalog
    from recommender.audio.musicnn import SoundModel
    from recommender.audio.scan import scan_folder
    from recommender.recommenders import make_recommender

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        scan = scan_folder(args.corpus, cache=AnalysisCache(Path(tmp) / "a.sqlite3"), workers=args.workers)
        scan_seconds = time.perf_counter() - started
    audio_seconds = sum(f.seconds_analysed for f in scan.analysed)
    catalog = library_catalog(scan)
    labels = catalog.tracks["file_path"].str.split("/").str[0].to_numpy()
    sound = make_recommender("sound").fit(catalog)

    model = SoundModel(threads=1)
    mfcc, shipped, shipped_finite = [], [], []
    for rel in catalog.tracks["file_path"]:
        mono = decode_file(os.path.join(args.corpus, rel)).mono
        m = librosa.feature.mfcc(y=mono, sr=16_000, n_mfcc=20)
        mfcc.append(np.concatenate([m.mean(axis=1), m.std(axis=1)]))
        plain, finite_only = shipped_embedding(mono, model)
        shipped.append(plain)
        shipped_finite.append(finite_only)
    shipped_arr = np.array(shipped)
    shipped_clean = np.nan_to_num(shipped_arr, nan=0.0, posinf=0.0, neginf=0.0)
    sound_hits = hits_at_5(sound.unit_, labels)
    sound_subsets = subsets_of_four(sound.unit_, labels, standardize=False)
    results = {
        "tracks": int(len(catalog)),
        "soundtracks": {label: int((labels == label).sum()) for label in sorted(set(labels))},
        "failed_files": [r for r in scan.records() if r["status"] != "analysed"],
        "precision_at_5": {
            "random": round(random_precision(labels), 3),
            "mfcc": round(precision_at_5(np.array(mfcc), labels, standardize=True), 3),
            "musicnn as shipped": round(precision_at_5(shipped_clean, labels), 3),
            "musicnn as shipped, finite patches only": round(precision_at_5(np.array(shipped_finite), labels), 3),
            "sound": round(float(sound_hits.mean()), 3),
        },
        "sound_by_soundtrack": {label: round(float(sound_hits[labels == label].mean()), 3) for label in sorted(set(labels))},
        "four_soundtracks": {
            "sound": sound_subsets,
            "musicnn as shipped, finite patches only": subsets_of_four(np.array(shipped_finite), labels, standardize=False),
            "mfcc": subsets_of_four(np.array(mfcc), labels, standardize=True),
            "sound_median": float(np.median(list(sound_subsets.values()))),
            "sound_at_least_0.70": sum(v >= 0.70 for v in sound_subsets.values()),
        },
        "tracks_with_inf_in_shipped_embedding": int((~np.isfinite(shipped_arr)).any(axis=1).sum()),
        "scan": {
            "workers": args.workers,
            "audio_seconds": round(audio_seconds, 1),
            "wall_seconds": round(scan_seconds, 1),
            "times_real_time": round(audio_seconds / scan_seconds, 1),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "audio_quality.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
