"""How well the taste model learns a listener's likes on a real music library: one style liked,
another disliked, cross-validated on held-out tracks; and which inputs carry the signal (the
network's embedding, the measured tempo/loudness/key, both), with and without PCA.

Run:  .venv/bin/python -m bench.taste_library CORPUS --styles wesnoth supertux megaglest --path-part /music/

``CORPUS`` holds one folder per style (``bench.audio_corpus`` makes one); each folder's audio
files are searched recursively. Up to ``--per-style`` files per style are cut to a 30-s excerpt
(from a third of the way in), scanned with the real network, and every pair of styles is scored.
"""
from __future__ import annotations

import argparse
import itertools
import tempfile
from pathlib import Path

import pandas as pd

SR = 16_000
SUFFIXES = (".ogg", ".opus", ".mp3", ".flac", ".wav")
VARIANTS: dict[str, dict] = {
    "both, PCA 32 (default)": {},
    "both, no PCA": {f"{m}__inputs__sound__pca": "passthrough" for m in ("et", "svc")},
    "embedding only": {f"{m}__inputs__measured": "drop" for m in ("et", "svc")},
    "measured only": {f"{m}__inputs__sound": "drop" for m in ("et", "svc")},
}


def build_library(corpus: Path, styles: list[str], per_style: int, work: Path, path_part: str = ""):
    import soundfile as sf

    from recommender.audio.analysis_cache import AnalysisCache
    from recommender.audio.decode import decode_file
    from recommender.audio.library import write_library
    from recommender.audio.scan import scan_folder

    music = work / "music"
    for style in styles:
        files = sorted(p for p in (corpus / style).rglob("*")
                       if p.suffix.lower() in SUFFIXES and path_part in p.as_posix())
        step = max(1, len(files) // per_style)
        (music / style).mkdir(parents=True, exist_ok=True)
        for f in files[::step][:per_style]:
            y = decode_file(f, sample_rate=SR).mono
            start = min(len(y) // 3, max(0, len(y) - 30 * SR))
            sf.write(music / style / f"{f.stem}.wav", y[start:start + 30 * SR], SR)
    scan = scan_folder(music, cache=AnalysisCache(work / "cache.sqlite3"), workers=0)
    return write_library(scan, work / "library.parquet")  # the library, loaded


def main() -> None:
    from recommender.taste import TasteModel, evaluate, labels_from_catalog

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--styles", nargs="+", required=True)
    parser.add_argument("--per-style", type=int, default=12)
    parser.add_argument("--path-part", default="", help="only files whose path contains this (e.g. /music/)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        library = build_library(args.corpus, args.styles, args.per_style, Path(tmp), args.path_part)
    style = library.tracks["file_path"].str.split("/").str[0]
    print("tracks per style:", style.value_counts().to_dict())
    for liked, disliked in itertools.combinations(args.styles, 2):
        labels = pd.concat([labels_from_catalog(library, library.tracks.loc[style == liked, "track_id"], 1),
                            labels_from_catalog(library, library.tracks.loc[style == disliked, "track_id"], 0)],
                           ignore_index=True)
        for name, params in VARIANTS.items():
            report = evaluate(labels, TasteModel("ensemble", inputs="sound", params=params), catalog=library,
                              importance=False, n_jobs=1)
            print(f"{liked} liked, {disliked} disliked ({report.n_labels} tracks), {name}: "
                  f"accuracy {report.accuracy:.3f}, ROC AUC {report.roc_auc:.3f}")


if __name__ == "__main__":
    main()
