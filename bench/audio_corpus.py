"""Free-licensed game soundtracks from Debian's archive, as a folder per soundtrack, for the
audio benchmarks (bench.audio_quality, bench.audio_speed).

Run:  .venv/bin/python -m bench.audio_corpus bench/results/audio-corpus

Downloads the packages with ``apt-get download`` (no install, no root needed for that step),
unpacks them with ``dpkg-deb -x`` into a temporary folder and copies up to ``--per-soundtrack``
music files of each (spread over the sorted file list) into ``OUT/<soundtrack>/``. Six styles:
orchestral fantasy (Wesnoth), platformer tunes (SuperTux), a party game's themes (Hedgewars),
sci-fi ambient (FreedroidRPG), strategy-game rock/electronic (Warzone 2100), real-time strategy
(MegaGlest). About 1.1 GB of packages.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

# soundtrack -> (Debian package, a path part every music file of it has)
SOUNDTRACKS: dict[str, tuple[str, str]] = {
    "wesnoth": ("wesnoth-1.16-music", "/music/"),
    "supertux": ("supertux-data", "/music/"),
    "hedgewars": ("hedgewars-data", "/Music/"),
    "freedroidrpg": ("freedroidrpg-data", "/music/"),
    "warzone2100": ("warzone2100-music", "/music/"),
    "megaglest": ("megaglest-data", "/music/"),
}
MUSIC_SUFFIXES = (".ogg", ".opus", ".mp3", ".flac")


def build(out: Path, per_soundtrack: int = 15) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, (package, part) in SOUNDTRACKS.items():
            target = out / name
            if target.is_dir() and any(target.iterdir()):
                counts[name] = sum(1 for _ in target.iterdir())
                continue
            subprocess.run(["apt-get", "download", package], cwd=work, check=True, capture_output=True)
            deb = next(work.glob(f"{package}_*.deb"))
            unpacked = work / package
            subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
            files = sorted(
                p for p in unpacked.rglob("*")
                if p.suffix.lower() in MUSIC_SUFFIXES and part.lower() in str(p).lower()
            )
            step = max(1, len(files) / per_soundtrack)
            chosen = [files[int(i * step)] for i in range(min(per_soundtrack, len(files)))]
            target.mkdir(exist_ok=True)
            for p in chosen:
                shutil.copy2(p, target / f"{p.parent.name}-{p.name}")
            counts[name] = len(chosen)
            shutil.rmtree(unpacked)
            deb.unlink()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--per-soundtrack", type=int, default=15)
    args = parser.parse_args(argv)
    for name, n in build(args.out, args.per_soundtrack).items():
        print(f"{name}: {n} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
