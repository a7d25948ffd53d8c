"""Scale benchmark: load, fit, memory and recommendation latency against the usual approaches.

For each catalog size a synthetic catalog is grown from the real one (:mod:`bench.synthetic`)
and every method runs in its own fresh Python process on the same Parquet file, so its peak
RSS (``ru_maxrss``) is its own. Each process loads the catalog (timed), fits (timed), then
answers the same queries: 5 random seed tracks, k = 20, popularity >= 30 (unknown
popularity excluded). Methods:

- ``floor``: one float32 matrix-vector product over the whole (normalised) feature matrix,
  nothing else: reading every vector once, the memory-bandwidth limit of a full scan.
- ``topk``: the floor plus an exact top 20 of its scores, found fast (:func:`fast_top_k`: a
  threshold from a strided sample, then a partition of the few scores above it; NumPy's
  ``argpartition`` over every score costs several times the product itself).
- ``similar`` / ``hybrid``: this engine's ``recommend()``, end to end (seed lookup, filters,
  search, explanations, the result table).
- ``exact`` / ``ivf``: the engine's search layer alone (:mod:`recommender.neighbors`), the
  blocked exact scan and the faiss IVF index; ``ivf`` also reports recall@20 against ``exact``.
- ``ball_tree``: scikit-learn ``NearestNeighbors(algorithm="ball_tree")`` on unit vectors.
- ``cosine_brute``: scikit-learn ``NearestNeighbors(metric="cosine", algorithm="brute")``.
- ``full_matrix``: a precomputed n x n cosine-similarity matrix (float32), run only while it
  fits in ``--matrix-budget``; above that the size it would need is reported instead.

``recall@20`` is, for ``ivf``, the share of the exact top 20 it returns; for ``hybrid`` above
its candidate threshold, the share of the top 20 from scoring every track that the
candidate-set answer returns (first 20 queries). ``listener checks`` (``similar`` and
``hybrid``, first 20 queries, :func:`recommender.evaluation.listener_checks`): lists holding a
version of a seed song / lists holding one song twice / pages of 10 over the artist cap, each
0 when the engine keeps the listener's rules.

scikit-learn has no filter: its queries over-fetch and drop filtered rows, refetching with
twice as many neighbours until k survive (how it is used in practice).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
DATA_DIR = ROOT / ".tastemap" / "bench"

SIZES = {"30k": 30_000, "300k": 300_000, "1M": 1_000_000, "3M": 3_000_000, "10M": 10_000_000}
DEFAULT_SIZES = ("30k", "300k", "1M", "3M")
QUICK_SIZES = ("30k", "300k")
METHODS = ("floor", "topk", "similar", "hybrid", "exact", "ivf", "ball_tree", "cosine_brute", "full_matrix")
K = 20
N_SEEDS = 5
MIN_POPULARITY = 30
GIB = 1024**3
# At 1M tracks, p50 over the floor (one full matrix-vector product): ``similar`` may skip
# vectors (its IVF index reads a few cells), so it should cost no more than one full pass.
FLOOR_RATIO_GOALS = {"similar": 1.0, "hybrid": 2.0}


# ============================================================================= worker side
def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _queries(n: int, count: int, seed: int = 12345) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice(n, N_SEEDS, replace=False) for _ in range(count)])


def _timed_queries(run, queries: np.ndarray, max_seconds: float, warmup: int = 3) -> list[float]:
    for q in queries[:warmup]:
        run(q)
    times = []
    started = time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        run(q)
        times.append(time.perf_counter() - t)
        if time.perf_counter() - started > max_seconds and len(times) >= 20:
            break
    return times


def _unit(X: np.ndarray) -> np.ndarray:
    from recommender.neighbors import normalize_rows

    return normalize_rows(X)


def fast_top_k(scores: np.ndarray, k: int, stride: int = 64) -> np.ndarray:
    """The positions of the ``k`` largest ``scores`` (exact, in no order). The k-th largest of
    every ``stride``-th score is at most the k-th largest of all, so every top-k score is at
    least it: only the scores above it (about ``stride * k``) are partitioned."""
    if len(scores) <= stride * k * 4:
        return np.argpartition(scores, -k)[-k:]
    sample = scores[::stride]
    threshold = np.partition(sample, len(sample) - k)[len(sample) - k]
    above = np.flatnonzero(scores >= threshold)
    return above[np.argpartition(scores[above], -k)[-k:]]


def _sklearn_query(nn, q: np.ndarray, allowed: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Over-fetch from a filter-less index, drop filtered rows, refetch until k survive."""
    n = len(allowed)
    fetch = 4 * (K + N_SEEDS)
    while True:
        _, idx = nn.kneighbors(q[None, :], n_neighbors=min(fetch, n))
        idx = idx[0]
        keep = idx[allowed[idx] & ~np.isin(idx, seeds)]
        if len(keep) >= K or fetch >= n:
            return keep[:K]
        fetch *= 2


def run_worker(method: str, data: Path, n_queries: int, max_seconds: float, matrix_budget: float) -> dict:
    """Load, fit and query one method in this process; returns the measurements."""
    from recommender.catalog import load_catalog

    out: dict = {"method": method}
    t = time.perf_counter()
    catalog = load_catalog(data)
    out["load_s"] = time.perf_counter() - t
    n = len(catalog)
    out["tracks"] = n
    queries = _queries(n, n_queries)
    popularity = catalog.tracks["popularity"].to_numpy(dtype=np.float32, na_value=np.nan)
    allowed = np.nan_to_num(popularity, nan=-1.0) >= MIN_POPULARITY
    ids = catalog.tracks["track_id"].to_numpy()

    t = time.perf_counter()
    recall = None
    if method in ("similar", "hybrid"):
        from recommender.recommenders import make_recommender

        model = make_recommender(method).fit(catalog)
        out["fit_s"] = time.perf_counter() - t
        filters = {"min_popularity": MIN_POPULARITY}

        def run(seeds):
            result = model.recommend(list(ids[seeds]), k=K, filters=filters)
            assert len(result.recommendations) == K, result.message
        index = getattr(model, "neighbors_", None)
        if index is not None:
            out["index"] = index.kind
    else:
        from recommender.features import FeatureSpace

        X = FeatureSpace().fit(catalog).transform_catalog()
        if method in ("floor", "topk"):
            Xn = _unit(X)
            del X
            out["fit_s"] = time.perf_counter() - t
            scores = np.empty(n, dtype=np.float32)

            if method == "floor":
                def run(seeds):
                    np.matmul(Xn, Xn[seeds].mean(axis=0), out=scores)
            else:
                def run(seeds):
                    np.matmul(Xn, Xn[seeds].mean(axis=0), out=scores)
                    return fast_top_k(scores, K)
        elif method in ("exact", "ivf"):
            from recommender.neighbors import ExactIndex, IVFIndex

            index = ExactIndex(X) if method == "exact" else IVFIndex(X)
            out["fit_s"] = time.perf_counter() - t
            if method == "ivf":
                out["n_lists"], out["n_probe"] = index.n_lists, index.n_probe

            vectors = index.vectors  # normalised; queries are taken from it
            del X  # the index holds its own copy: keep the RSS honest

            def run(seeds):
                mask = allowed.copy()
                mask[seeds] = False
                return index.search(vectors[seeds], K, mask=mask)
            if method == "ivf":
                exact = ExactIndex(vectors)
                recalls = []
                for seeds in queries:
                    mask = allowed.copy()
                    mask[seeds] = False
                    truth = exact.search(vectors[seeds], K, mask=mask).positions
                    found = index.search(vectors[seeds], K, mask=mask).positions
                    recalls.append(np.isin(truth, found).mean())
                recall = float(np.mean(recalls))
                del exact
        elif method in ("ball_tree", "cosine_brute"):
            from sklearn.neighbors import NearestNeighbors

            if method == "ball_tree":
                data_matrix = _unit(X)  # euclidean on unit vectors ranks like cosine
                nn = NearestNeighbors(algorithm="ball_tree").fit(data_matrix)
            else:
                data_matrix = X
                nn = NearestNeighbors(metric="cosine", algorithm="brute").fit(X)
            out["fit_s"] = time.perf_counter() - t
            unit = _unit(X)

            def run(seeds):
                q = unit[seeds].mean(axis=0)
                return _sklearn_query(nn, q, allowed, seeds)
        elif method == "full_matrix":
            need = n * n * 4
            out["matrix_gib"] = need / GIB
            if need > matrix_budget * GIB:
                out["skipped"] = f"needs {need / GIB:,.0f} GiB for the {n:,} x {n:,} float32 matrix"
                out["peak_rss_mib"] = _peak_rss_mib()
                return out
            Xn = _unit(X)
            S = Xn @ Xn.T
            del Xn
            out["fit_s"] = time.perf_counter() - t

            def run(seeds):
                scores = S[seeds].mean(axis=0)
                scores[~allowed] = -np.inf
                scores[seeds] = -np.inf
                return np.argpartition(scores, -K)[-K:]
        else:
            raise SystemExit(f"unknown method {method!r}; choose from {', '.join(METHODS)}")

    times = _timed_queries(run, queries, max_seconds)
    ms = np.array(times) * 1e3
    out.update(
        queries=len(times),
        p50_ms=float(np.percentile(ms, 50)),
        p95_ms=float(np.percentile(ms, 95)),
        peak_rss_mib=_peak_rss_mib(),
    )
    if recall is not None:
        out["recall_at_20"] = recall
    if method in ("similar", "hybrid"):
        from recommender.evaluation import LISTENER_CHECKS, listener_checks

        totals = dict.fromkeys(LISTENER_CHECKS, 0)
        for q in queries[:20]:
            ranked = model.recommend(list(ids[q]), k=K, filters=filters).recommendations["track_id"]
            for name, count in listener_checks(catalog, list(ids[q]), ranked).items():
                totals[name] += count
        out["listener_checks"] = totals
    if method == "hybrid":
        import recommender.recommenders.hybrid as engine

        if n > engine.HYBRID_CANDIDATES_ABOVE:
            # How often the candidate-set hybrid returns what scoring every track returns.
            fast = [set(model.recommend(list(ids[q]), k=K, filters=filters).recommendations["track_id"]) for q in queries[:20]]
            saved, engine.HYBRID_CANDIDATES_ABOVE = engine.HYBRID_CANDIDATES_ABOVE, n
            try:
                full = [set(model.recommend(list(ids[q]), k=K, filters=filters).recommendations["track_id"]) for q in queries[:20]]
            finally:
                engine.HYBRID_CANDIDATES_ABOVE = saved
            out["recall_at_20"] = float(np.mean([len(a & b) / K for a, b in zip(fast, full)]))
    return out


# ============================================================================= parent side
def _parse_sizes(text: str) -> list[str]:
    sizes = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        raise SystemExit(f"unknown size(s) {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    return sizes


def _run_one(method: str, path: Path, args: argparse.Namespace) -> dict:
    cmd = [
        sys.executable, "-m", "bench.scale", "--worker", method, "--data", str(path),
        "--queries", str(args.queries), "--max-seconds", str(args.max_seconds),
        "--matrix-budget", str(args.matrix_budget),
    ]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"method": method, "error": f"timed out after {args.timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"method": method, "error": f"exit {proc.returncode}: {tail[:200]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(value, spec: str, missing: str = "-") -> str:
    return missing if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def format_table(size: str, rows: list[dict], note: str = "") -> str:
    by = {r["method"]: r for r in rows}
    floor = by.get("floor", {}).get("p50_ms")
    ball = by.get("ball_tree", {}).get("p50_ms")
    lines = [
        f"#### {size} tracks{note}",
        "",
        "| method | load s | fit s | peak RSS MiB | p50 ms | p95 ms | queries | p50 / floor | ball_tree p50 / p50 | recall@20 "
        "| listener checks |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        name = r["method"] + (f" ({r['index']})" if r.get("index") else "")
        if "error" in r or "skipped" in r:
            lines.append(f"| {name} | {_fmt(r.get('load_s'), '.2f')} | - | {_fmt(r.get('peak_rss_mib'), ',.0f')} | "
                         f"{r.get('skipped') or r.get('error')} | | | | | | |")
            continue
        p50 = r["p50_ms"]
        lines.append(
            f"| {name} | {r['load_s']:.2f} | {r['fit_s']:.2f} | {r['peak_rss_mib']:,.0f} | {p50:.2f} | "
            f"{r['p95_ms']:.2f} | {r['queries']} | {_fmt(p50 / floor if floor else None, '.2f')} | "
            f"{_fmt(ball / p50 if ball else None, '.1f')} | {_fmt(r.get('recall_at_20'), '.3f')} | "
            f"{'/'.join(str(v) for v in r['listener_checks'].values()) if r.get('listener_checks') else '-'} |"
        )
    return "\n".join(lines)


def median_of_rounds(rounds: list[list[dict]]) -> list[dict]:
    """One row per method from several rounds of the same methods: the median of each time
    (p50, p95, load, fit), the largest peak RSS and the lowest recall; ``p50_rounds`` keeps
    every round's p50. Separate processes on this kind of machine run up to ~40% slower or
    faster as a whole, so a ratio of two single processes carries that noise."""
    out = []
    for i, first in enumerate(rounds[0]):
        rows = [r[i] for r in rounds if "p50_ms" in r[i]]
        if len(rows) < len(rounds):  # an error or a skip in some round: show the first such row
            out.append(next((r[i] for r in rounds if "p50_ms" not in r[i]), first))
            continue
        row = dict(first)
        for key in ("p50_ms", "p95_ms", "load_s", "fit_s"):
            row[key] = float(np.median([r[key] for r in rows]))
        row["peak_rss_mib"] = max(r["peak_rss_mib"] for r in rows)
        row["queries"] = sum(r["queries"] for r in rows)
        if any("recall_at_20" in r for r in rows):
            row["recall_at_20"] = min(r["recall_at_20"] for r in rows if "recall_at_20" in r)
        checks = [r["listener_checks"] for r in rows if r.get("listener_checks")]
        if checks:  # the worst round's count of each check
            row["listener_checks"] = {name: max(c[name] for c in checks) for name in checks[0]}
        row["p50_rounds"] = [r["p50_ms"] for r in rows]
        out.append(row)
    return out


def check_goals(results: dict[str, list[dict]]) -> list[str]:
    """The issue's goals, checked against what this run measured."""
    lines = []
    if "1M" in results:
        by = {r["method"]: r for r in results["1M"] if "p50_ms" in r}
        floor, ball = by.get("floor", {}).get("p50_ms"), by.get("ball_tree", {}).get("p50_ms")
        for name in ("similar", "hybrid"):
            r = by.get(name)
            if not r:
                continue
            rounds = ""
            if "p50_rounds" in r:
                rounds = f" (median of {len(r['p50_rounds'])} rounds: " + ", ".join(f"{v:.1f}" for v in r["p50_rounds"]) + " ms)"
            if floor:
                ratio, goal = r["p50_ms"] / floor, FLOOR_RATIO_GOALS[name]
                lines.append(f"1M {name}: p50 {r['p50_ms']:.1f} ms{rounds} = {ratio:.2f}x floor (goal <= {goal:g}): "
                             f"{'PASS' if ratio <= goal else 'FAIL'}")
            if ball:
                speed = ball / r["p50_ms"]
                lines.append(f"1M {name}: {speed:.1f}x faster than ball_tree (goal >= 5): {'PASS' if speed >= 5 else 'FAIL'}")
            lines.append(f"1M {name}: fit {r['fit_s']:.1f} s (goal < 20): {'PASS' if r['fit_s'] < 20 else 'FAIL'}")
            lines.append(f"1M {name}: peak RSS {r['peak_rss_mib']:,.0f} MiB (goal < 1536): {'PASS' if r['peak_rss_mib'] < 1536 else 'FAIL'}")
            lines.append(f"1M {name}: load {r['load_s']:.2f} s (goal < 3): {'PASS' if r['load_s'] < 3 else 'FAIL'}")
    largest = list(results)[-1] if results else None
    if largest:
        ivf = next((r for r in results[largest] if r["method"] == "ivf" and "p50_ms" in r), None)
        if ivf:
            ok = ivf["p50_ms"] < 20 and ivf["recall_at_20"] >= 0.95
            lines.append(
                f"{largest} ivf: p50 {ivf['p50_ms']:.2f} ms (goal < 20), recall@20 {ivf['recall_at_20']:.3f} "
                f"(goal >= 0.95): {'PASS' if ok else 'FAIL'}"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_parse_sizes, default=None,
                        help=f"comma-separated, from {', '.join(SIZES)} (default {','.join(DEFAULT_SIZES)})")
    parser.add_argument("--quick", action="store_true",
                        help=f"sizes {','.join(QUICK_SIZES)} and 50 queries (for development)")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset of " + ", ".join(METHODS))
    parser.add_argument("--queries", type=int, default=None, help="queries per method (default 200)")
    parser.add_argument("--max-seconds", type=float, default=90.0,
                        help="stop a slow method's queries after this long (at least 20 run)")
    parser.add_argument("--matrix-budget", type=float, default=4.0,
                        help="GiB the full similarity matrix may take before it is reported as not fitting")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per method process")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run the methods this many times, round after round, and report each method's "
                             "median (each round's rows are printed too)")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="where synthetic catalogs are kept")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = run_worker(args.worker, args.data, args.queries or 200, args.max_seconds, args.matrix_budget)
        print(json.dumps(result))
        return 0

    from bench.synthetic import write_synthetic

    sizes = args.sizes or list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    args.queries = args.queries or (50 if args.quick else 200)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}")
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"{command.strip()}  |  {os.cpu_count()} CPUs, {platform.python_version()}, "
          f"{args.queries} queries of {N_SEEDS} seeds, k={K}, popularity >= {MIN_POPULARITY}", flush=True)
    started = time.perf_counter()
    results: dict[str, list[dict]] = {}
    generation: dict[str, float] = {}
    for size in sizes:
        t = time.perf_counter()
        path = write_synthetic(args.data_dir / f"synthetic-{size}.parquet", SIZES[size], random_state=0)
        generation[size] = time.perf_counter() - t
        rounds = []
        for round_no in range(max(1, args.rounds)):
            rows = []
            for method in methods:
                row = _run_one(method, path, args)
                rows.append(row)
                label = f"{size} {method}" + (f" (round {round_no + 1})" if args.rounds > 1 else "")
                print(f"  {label}: " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                                 for k, v in row.items() if k != "method"), flush=True)
            rounds.append(rows)
            if args.rounds > 1:
                print("\n" + format_table(size, rows, f", round {round_no + 1}") + "\n", flush=True)
        rows = median_of_rounds(rounds) if len(rounds) > 1 else rounds[0]
        results[size] = rows
        note = f", median of {len(rounds)} rounds" if len(rounds) > 1 else ""
        print("\n" + format_table(size, rows, note) + "\n", flush=True)
    goals = check_goals(results)
    print("Goals (this run):")
    for line in goals:
        print("  " + line)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = {
        "command": command.strip(),
        "when": stamp,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {"queries": args.queries, "seeds": N_SEEDS, "k": K, "min_popularity": MIN_POPULARITY},
        "generation_s": generation,
        "results": results,
        "rounds": args.rounds,
        "goals": goals,
        "total_s": time.perf_counter() - started,
    }
    out = RESULTS_DIR / f"scale-{stamp}.json"
    text = json.dumps(payload, indent=2)
    out.write_text(text)
    (RESULTS_DIR / "scale-latest.json").write_text(text)
    print(f"results: {out.relative_to(ROOT)} (total {payload['total_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
