"""Where a catalog load spends its time: each of load_catalog's steps, one process per round.

    python -m bench.catalog_load --catalog .tastemap/bench/synthetic-10M.parquet [--rounds 3]

Per step: wall seconds, CPU seconds in the program (user) and in the kernel (sys) and the
pages faulted in. On this project's virtual machine the kernel time is mostly fresh memory
being handed over (``python -m bench.first_touch``), so the same code varies by 20-30% from
one round to the next: compare medians of several rounds, taken back to back.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _usage() -> tuple[float, float, float, int]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), r.ru_utime, r.ru_stime, r.ru_minflt


def load_once(path: str) -> dict:
    """Load ``path`` in this process; the figures of each step and the whole load."""
    from recommender.catalog import load_catalog
    from recommender.catalog.load import LOAD_STEPS

    steps: list[dict] = []
    marks = [_usage()]

    def on_step(done: int, total: int, what: str) -> None:
        marks.append(_usage())

    catalog = load_catalog(path, on_step=on_step)
    marks.append(_usage())
    marks = marks[1:]  # the first step starts inside load_catalog
    for name, (a, b) in zip(LOAD_STEPS, zip(marks, marks[1:])):
        steps.append({"step": name, "wall_s": b[0] - a[0], "user_s": b[1] - a[1], "sys_s": b[2] - a[2],
                      "faults": b[3] - a[3]})
    return {"steps": steps, "wall_s": marks[-1][0] - marks[0][0], "tracks": len(catalog.tracks),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalog", required=True, help="a catalog file (CSV or Parquet)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a round's own process
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(load_once(args.catalog)))
        return
    if not Path(args.catalog).is_file():
        parser.error(f"--catalog: no such file {args.catalog}")
    walls = []
    for round_no in range(1, args.rounds + 1):
        out = subprocess.run([sys.executable, "-m", "bench.catalog_load", "--catalog", args.catalog, "--one"],
                             check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        walls.append(result["wall_s"])
        print(f"round {round_no}: {result['wall_s']:.1f} s, {result['tracks']:,} tracks, "
              f"peak RSS {result['peak_rss_mib']:,.0f} MiB", flush=True)
        for s in result["steps"]:
            print(f"  {s['step']:<42} {s['wall_s']:5.1f} s  (user {s['user_s']:5.1f}, sys {s['sys_s']:5.1f}, "
                  f"{s['faults'] / 1e6:.2f}M pages faulted)", flush=True)
    print(f"median {statistics.median(walls):.1f} s over {len(walls)} rounds (min {min(walls):.1f}, max {max(walls):.1f})")


if __name__ == "__main__":
    main()
