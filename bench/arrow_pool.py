"""Reading a large Parquet file with each of Arrow's allocators, each run in a new process.

    python -m bench.arrow_pool --catalog .tastemap/bench/synthetic-10M.parquet [--rounds 3]

Times the catalog reader's own read (``recommender.catalog.read._read_table``, as
``load_catalog`` calls it) with ``ARROW_DEFAULT_MEMORY_POOL`` set to mimalloc (Arrow's
default), jemalloc and the system allocator, and once unset (the loader's own choice, see
``read.loading_pool``). Rounds interleave the allocators so a slower spell of the machine
does not fall on one of them.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

POOLS = ("mimalloc", "jemalloc", "system", "")


def read_seconds(path: str) -> dict:
    import pyarrow as pa

    from recommender.catalog.read import _read_table, loading_pool

    started = time.perf_counter()
    with loading_pool():  # as load_catalog reads
        frame, _, _ = _read_table(path, text_categories=True)
        pool = pa.default_memory_pool().backend_name
    return {"seconds": time.perf_counter() - started, "rows": len(frame), "pool": pool,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", required=True, help="a Parquet file")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(read_seconds(args.catalog)))
        return 0
    for round_no in range(1, args.rounds + 1):
        for pool in POOLS:
            env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
            if pool:
                env["ARROW_DEFAULT_MEMORY_POOL"] = pool
            out = subprocess.run([sys.executable, "-m", "bench.arrow_pool", "--worker", "--catalog", args.catalog],
                                 capture_output=True, text=True, check=True, env=env).stdout
            got = json.loads(out)
            chosen = pool or f"unset (reader chose {got['pool']})"
            print(f"round {round_no}: ARROW_DEFAULT_MEMORY_POOL={chosen}: read {got['rows']:,} rows in "
                  f"{got['seconds']:.1f} s, peak RSS {got['peak_rss_mib']:,.0f} MiB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
