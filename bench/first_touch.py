"""How long this machine takes to hand a process fresh memory (first touch of each page).

    python -m bench.first_touch [--gib 2] [--rounds 3]

Each round runs in a new process: it writes ``--gib`` GiB of freshly allocated memory once
(every page faulted in), frees it, then writes a second fresh allocation of the same size
(pages the process just gave back). On a bare machine both take a fraction of a second per GiB;
on a virtual machine whose host backs guest memory lazily (or takes freed pages back), the first
can take seconds per GiB. Every load and fit figure of a large catalog pays this cost for the
memory it touches, so the benchmarks print it beside their results (docs/benchmarks.md).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

GIB = 1 << 30


def touch_seconds(gib: float) -> tuple[float, float]:
    """(first, second): seconds to fill ``gib`` GiB of fresh memory, twice, in this process."""
    times = []
    for _ in range(2):
        started = time.perf_counter()
        block = np.ones(int(gib * GIB) // 4, dtype=np.float32)  # np.ones writes every page
        times.append(time.perf_counter() - started)
        del block
    return times[0], times[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=2.0, help="GiB per allocation (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="new processes, one after the other (default 3)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(touch_seconds(args.gib)))
        return 0
    for round_no in range(1, args.rounds + 1):
        out = subprocess.run([sys.executable, "-m", "bench.first_touch", "--worker", "--gib", str(args.gib)],
                             capture_output=True, text=True, check=True).stdout
        first, second = json.loads(out)
        print(f"round {round_no}: fresh memory {first / args.gib:.2f} s/GiB, "
              f"again in the same process {second / args.gib:.2f} s/GiB ({args.gib:g} GiB each)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
