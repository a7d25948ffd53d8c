"""Every fuzz target with the long hypothesis profile (>= 10,000 examples each), one command.

Run:  .venv/bin/python -m bench.fuzz_long            (= ``make fuzz``)
      .venv/bin/python -m bench.fuzz_long --examples 500 --time-limit 60 -k filters

Targets are the ``@given`` tests in FUZZ_FILES. Each runs in its own pytest process with
``TASTEMAP_FUZZ=long`` (or ``--examples N``) under a wall-clock limit (``--time-limit``
seconds, default 600): a target that does not reach its examples in time is stopped and
reported with the number it did run. Examples are counted by wrapping each test's
``hypothesis.inner_test`` (explicit ``@example`` cases, generated cases and shrinks); the
hypothesis statistics give the generate phase's passing / failing / invalid split. Prints a
table and writes JSON to bench/results/fuzz-<UTC time>.json.

This module is also the pytest plugin (``-p bench.fuzz_long``) that does the counting.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
FUZZ_FILES = ["tests/test_fuzz_loader.py", "tests/test_ids.py", "tests/test_fuzz_inputs.py"]
STATS_ENV = "TASTEMAP_FUZZ_STATS"  # where the plugin writes one target's counts
COLLECT_ENV = "TASTEMAP_FUZZ_COLLECT"  # where the plugin writes the hypothesis test node IDs
_PHASE = re.compile(r"during (\w+) phase .*?(\d+) passing, (\d+) failing, and (\d+) invalid", re.S)


# ----------------------------------------------------------------------------- pytest plugin

class _Counter:
    def __init__(self, path: str) -> None:
        self.path = path
        self.calls = 0
        self.raised = 0
        self.started = time.perf_counter()
        self.last_write = 0.0
        self.record: dict = {}

    def write(self, **extra) -> None:
        self.record.update(examples=self.calls, raised=self.raised,
                           seconds=round(time.perf_counter() - self.started, 1), **extra)
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.record, fh)
        os.replace(tmp, self.path)  # the parent may read it at any moment (time limit)
        self.last_write = time.perf_counter()

    def wrap(self, inner):
        def counted(*args, **kwargs):
            self.calls += 1
            if time.perf_counter() - self.last_write > 2:
                self.write(done=False)
            try:
                return inner(*args, **kwargs)
            except BaseException as exc:
                # Hypothesis steers generation with exceptions (StopTest, UnsatisfiedAssumption,
                # Frozen): those are not failures of the code under test.
                if type(exc).__module__.split(".")[0] != "hypothesis":
                    self.raised += 1
                raise

        return counted


_counter: _Counter | None = None


def pytest_collection_modifyitems(session, config, items) -> None:  # noqa: ANN001
    path = os.environ.get(COLLECT_ENV)
    if path:
        ids = [item.nodeid for item in items if hasattr(getattr(item, "obj", None), "hypothesis")]
        Path(path).write_text("\n".join(ids), encoding="utf-8")


def pytest_runtest_setup(item) -> None:  # noqa: ANN001
    global _counter
    path = os.environ.get(STATS_ENV)
    handle = getattr(getattr(item, "obj", None), "hypothesis", None)
    if path and handle is not None:
        _counter = _Counter(path)
        _counter.record["target"] = item.nodeid
        handle.inner_test = _counter.wrap(handle.inner_test)
        _counter.write(done=False)


def pytest_runtest_logreport(report) -> None:  # noqa: ANN001
    if _counter is not None and report.when == "call":
        _counter.record["outcome"] = report.outcome
        if report.failed:
            _counter.record["failure"] = str(report.longrepr)[-1500:]


def pytest_runtest_teardown(item, nextitem) -> None:  # noqa: ANN001
    if _counter is None:
        return
    stats = getattr(item, "hypothesis_statistics", "")
    phases = {m[0]: {"passing": int(m[1]), "failing": int(m[2]), "invalid": int(m[3])}
              for m in _PHASE.findall(stats)}
    stopped = re.search(r"Stopped because (.*)", stats)
    _counter.write(done=True, phases=phases, stopped_because=stopped.group(1).strip() if stopped else "")


# ----------------------------------------------------------------------------- runner

def _pytest(args: list[str], env: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """Run pytest in its own process group; on timeout stop the whole group."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "bench.fuzz_long", "-p", "no:cacheprovider",
           "--hypothesis-show-statistics", *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, text=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        return None, out


def collect(files: list[str]) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ids.txt"
        env = {**os.environ, COLLECT_ENV: str(path)}
        code, out = _pytest(["--collect-only", *files], env, timeout=300)
        if not path.exists():
            raise SystemExit(f"collection failed:\n{out[-3000:]}")
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


def run_target(nodeid: str, profile: str, time_limit: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        stats_path = Path(tmp) / "stats.json"
        env = {**os.environ, "TASTEMAP_FUZZ": profile, STATS_ENV: str(stats_path)}
        started = time.perf_counter()
        code, out = _pytest([nodeid], env, timeout=time_limit)
        elapsed = time.perf_counter() - started
        record = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    record["target"] = nodeid
    record["wall_seconds"] = round(elapsed, 1)
    if code is None:
        record["outcome"] = "time limit"
    elif "outcome" not in record:
        record["outcome"] = "error" if code else "passed"
        record["output"] = out[-2000:]
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=None,
                        help="examples per target instead of the long profile's 10,000")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds per target (default 600)")
    parser.add_argument("-k", dest="keyword", default="", help="only targets whose node ID contains this text")
    parser.add_argument("files", nargs="*", default=FUZZ_FILES)
    args = parser.parse_args(argv)
    profile = str(args.examples) if args.examples else "long"

    targets = [t for t in collect(args.files) if args.keyword in t]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{len(targets)} fuzz targets, profile {profile}, time limit {args.time_limit:.0f} s each; "
          f"load average {load} on {os.cpu_count()} CPUs", flush=True)
    rows = []
    for nodeid in targets:
        record = run_target(nodeid, profile, args.time_limit)
        rows.append(record)
        gen = record.get("phases", {}).get("generate", {})
        print(f"  {nodeid}: {record.get('examples', 0):,} examples, {gen.get('failing', record.get('raised', 0))} "
              f"failing, {record['outcome']} in {record['wall_seconds']:.0f} s", flush=True)

    width = max([len(r["target"].split("::")[-1]) for r in rows] + [6])
    print()
    print(f"{'file':22s} {'target':{width}s} {'examples':>9s} {'generated':>10s} {'failing':>8s} "
          f"{'seconds':>8s}  outcome")
    for r in rows:
        file, _, name = r["target"].partition("::")
        gen = r.get("phases", {}).get("generate", {})
        # Failing examples found while generating (and in the explicit examples); shrinking
        # then replays variants of the same failure, which are not counted again.
        phases = r.get("phases", {})
        failing = (phases.get("explicit", {}).get("failing", 0) + phases.get("generate", {}).get("failing", 0)
                   if phases else r.get("raised", 0))
        print(f"{Path(file).name:22s} {name:{width}s} {r.get('examples', 0):9,d} {gen.get('passing', 0):10,d} "
              f"{failing:8d} {r['wall_seconds']:8.0f}  {r['outcome']}")
    total = sum(r.get("examples", 0) for r in rows)
    bad = [r for r in rows if r["outcome"] not in ("passed",)]
    print(f"\n{total:,} examples over {len(rows)} targets; {len(bad)} target(s) not passed"
          f"; load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for r in bad:
        print(f"- {r['target']}: {r['outcome']}\n{r.get('failure', r.get('output', ''))[-1500:]}")

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"fuzz-{stamp}.json"
    out.write_text(json.dumps({"profile": profile, "time_limit_s": args.time_limit, "targets": rows,
                               "command": " ".join(["python -m bench.fuzz_long", *(argv or sys.argv[1:])])},
                              indent=2), encoding="utf-8")
    print(f"results: {out.relative_to(ROOT)}")
    return 1 if any(r["outcome"] == "failed" for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
