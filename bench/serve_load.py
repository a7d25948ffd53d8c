"""The goals of several app processes (`make serve`), measured with the project's load client.

Run:  .venv/bin/python -m bench.serve_load                      (all four scenarios, 2 processes)
      .venv/bin/python -m bench.serve_load --only kill --duration 60

Starts what `make serve` starts (recommender/cli/serve.py, in this process: a fresh PostgreSQL
in a temporary folder, the warmed fit cache, N `streamlit run` processes, HAProxy with sticky
cookies on a free loopback port) and drives it through the proxy with bench/load_test.py's
websocket client (Recommend, then label a track on Taste, in the session's own profile):

- ``b2b``: 20 sessions back to back. Goal: p95 < 1 s, 0 errors, 0 isolation violations.
- ``think``: 40 sessions pausing 1.5-4.5 s (3 s on average) before each interaction. Goal: p95 < 1 s.
- ``kill``: 20 sessions back to back; half-way through, ``kill -9`` of one app process. Its
  sessions' connections drop; each reconnects with its old cookie (HAProxy redispatches it)
  and goes on. Goal: served again within 5 s of reconnecting (timed from the reconnect until
  the page's run finished), 0 labels lost, 0 duplicated (each session's profile in PostgreSQL
  holds exactly the labels the session saw confirmed). serve starts the killed process again.
- ``pg-restart``: 20 sessions back to back; half-way through, PostgreSQL restarts (pg_ctl
  restart -m fast). Goal: every label saved before the restart is there after it; a save during
  it either succeeds after the store's retry or the page says so (counted as an error then,
  with the page's message).

Writes bench/results/serve-<UTC time>.json (and each run's load-ws-serve-*.json) and prints a table.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import load_test  # noqa: E402
from recommender.cli.serve import free_port, running_group  # noqa: E402

SCENARIOS = ("b2b", "think", "kill", "pg-restart")
RECONNECT_GOAL_MS = 5000.0


def _labels_in_store(url: str, profiles: dict[str, int]) -> dict[str, dict]:
    """Per profile: labels stored and duplicated keys, read from PostgreSQL directly."""
    from recommender.label_store import open_label_store

    store = open_label_store(url=url)
    out = {}
    for profile in profiles:
        frame = store.load(profile)
        key = next((c for c in ("label_key", "track_id") if c in frame), frame.columns[0])
        out[profile] = {"stored": len(frame), "duplicated": int(frame[key].duplicated().sum())}
    return out


def _label_check(url: str, result: dict) -> dict:
    """Labels lost (confirmed on the page, not in the store) and duplicated, over every profile."""
    stored = _labels_in_store(url, result["profiles"])
    lost = sum(max(0, added - stored[p]["stored"]) for p, added in result["profiles"].items())
    extra = sum(max(0, stored[p]["stored"] - added) for p, added in result["profiles"].items())
    dup = sum(s["duplicated"] for s in stored.values())
    return {"labels_confirmed": sum(result["profiles"].values()), "labels_stored": sum(s["stored"] for s in stored.values()),
            "labels_lost": lost, "labels_extra": extra, "labels_duplicated": dup}


def run_scenario(name: str, group, duration: float) -> dict:
    db_url = group.env["TASTEMAP_DATABASE_URL"]
    fault: dict = {}
    on_start = None
    if name == "kill":
        def on_start() -> None:
            time.sleep(duration / 2)
            victim, (_, proc) = next(iter(group.backends.items()))
            fault.update(what=f"kill -9 {victim} (pid {proc.pid})", at_s=round(duration / 2))
            os.kill(proc.pid, signal.SIGKILL)
    elif name == "pg-restart":
        def on_start() -> None:
            time.sleep(duration / 2)
            from recommender.label_store import open_label_store

            store = open_label_store(url=db_url)
            fault["before"] = {p: store.count(p) for p in store.profiles() if p.startswith("load-")}
            started = time.monotonic()
            group.postgres.restart()
            fault.update(what="pg_ctl restart -m fast", at_s=round(duration / 2),
                         restart_s=round(time.monotonic() - started, 1))

    sessions, think = (40, 3000.0) if name == "think" else (20, 0.0)
    result = load_test.run(sessions=sessions, duration=duration, think_ms=think, quiet=True, url=group.url,
                           server_pids=group.pids, on_start=on_start, label=f"serve-{name}")
    result["scenario"], result["fault"] = name, fault
    result.update(_label_check(db_url, result))
    if "before" in fault:
        from recommender.label_store import open_label_store

        store = open_label_store(url=db_url)
        result["labels_missing_after_restart"] = sum(max(0, n - store.count(p)) for p, n in fault["before"].items())
    return result


def print_summary(rows: list[dict]) -> None:
    print(f"\n{'scenario':12s} {'sess':>4s} {'inter':>6s} {'err':>4s} {'iso':>4s} {'p50':>6s} {'p95':>6s} {'max':>6s} "
          f"{'cores':>5s} {'drops':>5s} {'reconn max':>10s} {'lost':>4s} {'dup':>4s}")
    for r in rows:
        cpu = r["cpu_during_load"]
        cores = cpu["server_cpu_s"] / max(cpu["wall_s"], 1e-9)
        reconn = max(r["reconnect_ms"]) if r["reconnect_ms"] else 0
        print(f"{r['scenario']:12s} {r['sessions']:4d} {r['interactions']:6d} {r['errors']:4d} "
              f"{r['isolation_violations']:4d} {r['p50_ms']:6.0f} {r['p95_ms']:6.0f} {r['max_ms'] or 0:6.0f} "
              f"{cores:5.2f} {r['dropped_connections']:5d} {reconn:10.0f} {r['labels_lost']:4d} "
              f"{r['labels_duplicated']:4d}")
        if r.get("fault"):
            print(f"    fault: {r['fault'].get('what')} at {r['fault'].get('at_s')} s; reconnects (ms, until served): "
                  f"{r['reconnect_ms']}; Taste showed another profile after it: "
                  f"{r['profile_reselected_after_failover']} time(s)"
                  + (f", labels missing after it: {r['labels_missing_after_restart']}"
                     if "labels_missing_after_restart" in r else ""))
        for e in r["error_examples"][:5]:
            print(f"    error: {e}")
        for e in r["isolation_examples"][:3]:
            print(f"    isolation: {e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load per scenario")
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="run only these scenarios")
    args = parser.parse_args(argv)
    scenarios = args.only or list(SCENARIOS)
    data = Path(tempfile.mkdtemp(prefix="tastemap-serve-load-"))
    data.chmod(0o711)  # PostgreSQL runs as nobody under root and must reach its folder
    os.environ["TASTEMAP_DATA_DIR"] = str(data)
    os.environ.pop("TASTEMAP_DATABASE_URL", None)  # a fresh local PostgreSQL, as make serve starts
    rows: list[dict] = []
    load_before = os.getloadavg()
    with running_group(args.processes, f"127.0.0.1:{free_port()}", data / "serve") as group:
        stop = threading.Event()

        def watch() -> None:  # what `make serve` does while it runs: restart a process that died
            while not stop.wait(1.0):
                group.check()

        threading.Thread(target=watch, daemon=True).start()
        try:
            for name in scenarios:
                print(f"scenario {name}: running ({args.duration:.0f} s of load)...", flush=True)
                rows.append(run_scenario(name, group, args.duration))
                print(f"  p95 {rows[-1]['p95_ms']:.0f} ms, errors {rows[-1]['errors']}", flush=True)
        finally:
            stop.set()
    summary = {"processes": args.processes, "duration_s": args.duration, "cpus": os.cpu_count(),
               "load_average_before": [round(x, 2) for x in load_before],
               "load_average_after": [round(x, 2) for x in os.getloadavg()],
               "command": "python -m bench.serve_load " + " ".join(argv if argv is not None else sys.argv[1:]),
               "scenarios": rows}
    print_summary(rows)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = load_test.RESULTS / f"serve-{stamp}.json"
    path.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print(f"results: {path.relative_to(ROOT)} (load average before {load_before[0]:.1f}, "
          f"after {os.getloadavg()[0]:.1f})")
    ok = all(r["errors"] == 0 and r["isolation_violations"] == 0 and r["labels_lost"] == 0 for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
