"""recommender.audio.measure: time to measure tempo, loudness and key of 60 s of music.

Goal (issue 16): the whole analysis (decode, CNN and these measurements) at >= 60x real time,
so 60 s of audio in under 1 s; this measures the measurement's share of that.

Run:  .venv/bin/python -m bench.measure_speed               (median of 5 calls)
      .venv/bin/python -m bench.measure_speed --repeats 9 --seconds 120

The audio is tests.support.synth.piece (notes, bass, drums) at 22.05 kHz, resampled to the
16 kHz analysis rate with soxr as decode does, as two slightly different channels (stereo). A
first call (imports, librosa's filter caches) is reported apart. Also times each part.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def _median_seconds(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args(argv)

    import soxr

    from recommender.audio import measure as m
    from tests.support import synth

    rate = 16_000
    left = soxr.resample(synth.piece(3, seconds=args.seconds), synth.SR, rate, quality="HQ")
    right = soxr.resample(synth.piece(3, seconds=args.seconds) * 0.8, synth.SR, rate, quality="HQ")
    channels = np.stack([left, np.roll(right, 40)]).astype(np.float32)
    mono = channels.mean(axis=0)

    start = time.perf_counter()
    result = m.measure(channels, rate)
    first = time.perf_counter() - start
    total = _median_seconds(lambda: m.measure(channels, rate), args.repeats)
    parts = {
        "loudness": _median_seconds(lambda: m.integrated_loudness(channels, rate), args.repeats),
        "tempo": _median_seconds(lambda: m.estimate_tempo(mono, rate), args.repeats),
        "key": _median_seconds(lambda: m.estimate_key(mono, rate), args.repeats),
    }
    print(f"{args.seconds:g} s of 16 kHz stereo: {result}")
    print(f"first call {first:.3f} s (imports and caches)")
    print(f"measure(): median {total:.3f} s of {args.repeats} = {args.seconds / total:.0f}x real time")
    print("  " + ", ".join(f"{name} {seconds:.3f} s" for name, seconds in parts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
