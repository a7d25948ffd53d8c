"""Dashboard speed: first page after the server starts, and interactions, in AppTest and a browser.

Goals (issue 4), on the default catalog: the first page is rendered within 3 s of the server
accepting connections; each interaction after that takes under 300 ms (median).

Run:  .venv/bin/python -m bench.ui_speed            (AppTest + browser)
      .venv/bin/python -m bench.ui_speed --no-browser

AppTest timings are script runs in this process (no network, no drawing). Browser timings
drive Debian's /usr/bin/chromium with Playwright against ``streamlit run app.py`` on a free
loopback port: from a click until the page shows the new content and the script is idle.
Baselines, measured in the same run: an empty script (AppTest) and a bare app with one radio
button (browser), so the ratios show what our pages add on top of Streamlit itself on this
machine at this moment (the load average is printed: other work on the machine slows both).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SEEDS = ["6f807x0ima9a1j3VPbc7VN", "0r7CVbZTWZgbTCYdfa2P31", "1z1Hg7Vb0AhHDiEmnDE79l"]
FIRST_PAGE_GOAL_S = 3.0
INTERACTION_GOAL_MS = 300.0


# ----------------------------------------------------------------------------- server

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepting(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def streamlit_process(script: str | Path = "app.py", *, timeout: float = 60.0,
                      env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen, float]]:
    """Run ``streamlit run <script>`` headless on a free loopback port.

    Yields ``(base_url, process, accepted_at)`` where ``accepted_at`` is the
    ``time.perf_counter()`` when the server first accepted a TCP connection. The server is
    stopped afterwards.
    """
    port = free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    try:
        deadline = time.perf_counter() + timeout
        while not _accepting(port):
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"streamlit exited early:\n{log.read().decode(errors='replace')[-3000:]}")
            if time.perf_counter() > deadline:
                raise TimeoutError(f"streamlit did not accept connections on port {port} within {timeout:.0f} s")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}", proc, time.perf_counter()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextlib.contextmanager
def streamlit_server(script: str | Path = "app.py", *, timeout: float = 60.0,
                     env: dict[str, str] | None = None) -> Iterator[tuple[str, float]]:
    """:func:`streamlit_process`, yielding ``(base_url, accepted_at)``."""
    with streamlit_process(script, timeout=timeout, env=env) as (url, _proc, accepted_at):
        yield url, accepted_at


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def launch_browser(playwright):  # noqa: ANN001 - playwright's types are optional here
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_idle(page, timeout_ms: float = 60_000) -> None:  # noqa: ANN001
    """Wait until the Streamlit script is not running (and the app is connected)."""
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') === 'notRunning'
                && app.getAttribute('data-test-connection-state') === 'CONNECTED';
        }""",
        timeout=timeout_ms,
    )


def fill_seeds(page, text: str) -> None:  # noqa: ANN001
    box = page.locator('[data-testid="stTextArea"] textarea').first
    box.fill(text)
    box.press("Control+Enter")


# ----------------------------------------------------------------------------- AppTest timings

def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def apptest_timings(repeats: int = 7) -> list[tuple[str, float, float]]:
    """(name, first-run ms, median rerun/interaction ms) per page and flow, in this process."""
    sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    rows = []
    empty = AppTest.from_string('import streamlit as st\nst.title("Baseline")\n', default_timeout=60)
    first = _timed(empty.run)
    rows.append(("Baseline: empty script rerun", first, statistics.median(_timed(empty.run) for _ in range(repeats))))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    first = _timed(at.run)
    rows.append(("Home: rerun", first, statistics.median(_timed(at.run) for _ in range(repeats))))
    for page in ("pages/1_Explore.py", "pages/2_Clusters.py"):
        first = _timed(lambda p=page: at.switch_page(p).run())
        rows.append((f"{page.split('_', 1)[1][:-3]}: rerun", first,
                     statistics.median(_timed(at.run) for _ in range(repeats))))
    at.switch_page("pages/1_Explore.py").run()
    xs = ["tempo", "loudness", "danceability", "energy"]
    times = []
    for i in range(repeats):
        at.selectbox(key="w_explore_x").set_value(xs[i % len(xs)])
        times.append(_timed(at.run))
    rows.append(("Explore: change X axis", times[0], statistics.median(times[1:])))

    at.switch_page("pages/3_Recommend.py").run()
    seed_sets = ["\n".join(SEEDS), "\n".join(SEEDS[:2]), "\n".join(SEEDS[1:])]
    times = []
    for i in range(repeats + 1):  # the first paste also fits the hybrid model (once per catalog)
        at.text_area(key="w_seed_text").input(seed_sets[i % len(seed_sets)])
        times.append(_timed(at.run))
    rows.append(("Recommend: paste seeds", times[0], statistics.median(times[1:])))
    methods = ["similar", "popular", "hybrid"]
    times = []
    for i in range(repeats + len(methods)):
        at.radio(key="w_rec_method").set_value(methods[i % len(methods)])
        times.append(_timed(at.run))
    rows.append(("Recommend: change method", times[0], statistics.median(times[len(methods):])))
    times = []
    for i in range(repeats):
        at.slider(key="w_rec_pop").set_value((5 * (i + 1), 100))
        times.append(_timed(at.run))
    rows.append(("Recommend: move popularity", times[0], statistics.median(times)))
    return rows


# ----------------------------------------------------------------------------- browser timings

def browser_first_page(script: str | Path, expect: str, *, timeout_s: float = 60) -> float:
    """Seconds from the server accepting connections until ``expect`` is visible."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_browser(p)  # launched first: browser start-up is not the app's time
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        with streamlit_server(script) as (url, accepted):
            page.goto(url, timeout=timeout_s * 1000)
            page.get_by_text(expect, exact=False).first.wait_for(timeout=timeout_s * 1000)
            elapsed = time.perf_counter() - accepted
        browser.close()
    return elapsed


def browser_interactions(repeats: int = 9) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Milliseconds per interaction on Explore and Recommend (warm server), and the server's CPU
    milliseconds per interaction."""
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {}
    cpu: dict[str, float] = {}
    with sync_playwright() as p, streamlit_process("app.py") as (url, proc, _):
        browser = launch_browser(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + "/Recommend", timeout=120_000)
        wait_idle(page, 120_000)
        fill_seeds(page, "\n".join(SEEDS))
        page.get_by_text("tracks by the hybrid method").first.wait_for(timeout=120_000)
        wait_idle(page)
        methods = [("similar", "Similar:"), ("popular", "Popular:"), ("hybrid", "Hybrid:")]
        for name, label in methods:  # warm every method's fitted model first
            page.get_by_text(label).first.click()
            page.get_by_text(f"tracks by the {name} method").first.wait_for(timeout=120_000)
            wait_idle(page)
        times = []
        cpu_start = process_cpu_seconds(proc.pid)
        for i in range(repeats):
            name, label = methods[i % len(methods)]
            start = time.perf_counter()
            page.get_by_text(label).first.click()
            page.get_by_text(f"tracks by the {name} method").first.wait_for(timeout=30_000)
            wait_idle(page)
            times.append((time.perf_counter() - start) * 1000)
        out["Recommend: change method"] = times
        cpu["Recommend: change method"] = (process_cpu_seconds(proc.pid) - cpu_start) * 1000 / repeats

        page.goto(url + "/Explore", timeout=60_000)
        wait_idle(page, 120_000)
        page.get_by_role("tab", name="By genre").click()
        times = []
        cpu_start = process_cpu_seconds(proc.pid)
        for i in range(repeats):
            kind = "violin" if i % 2 == 0 else "box"
            start = time.perf_counter()
            page.get_by_text(kind, exact=True).first.click()
            page.wait_for_timeout(30)  # let the rerun start before waiting for idle
            wait_idle(page)
            times.append((time.perf_counter() - start) * 1000)
        out["Explore: box/violin toggle"] = times
        cpu["Explore: box/violin toggle"] = (process_cpu_seconds(proc.pid) - cpu_start) * 1000 / repeats
        browser.close()
    return out, cpu


BASELINE_APP = (
    "import streamlit as st\n"
    "st.title('Baseline')\n"
    "choice = st.radio('Pick', ['alpha', 'beta', 'gamma'])\n"
    "st.caption(f'picked {choice} now')\n"
)


def browser_baseline(script: Path, repeats: int) -> tuple[list[float], float]:
    """Milliseconds per radio click on a bare Streamlit app (what Streamlit itself costs), and
    the server's CPU milliseconds per click."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p, streamlit_process(script) as (url, proc, _):
        browser = launch_browser(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url, timeout=60_000)
        page.get_by_text("picked alpha now").wait_for(timeout=60_000)
        wait_idle(page)
        for i in range(repeats + 1):
            if i == 1:
                cpu_start = process_cpu_seconds(proc.pid)
            name = ["beta", "gamma", "alpha"][i % 3]
            start = time.perf_counter()
            page.get_by_text(name, exact=True).first.click()
            page.get_by_text(f"picked {name} now").wait_for(timeout=30_000)
            wait_idle(page)
            times.append((time.perf_counter() - start) * 1000)
        cpu_ms = (process_cpu_seconds(proc.pid) - cpu_start) * 1000 / repeats
        browser.close()
    return times[1:], cpu_ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true", help="AppTest timings only")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args(argv)

    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print("AppTest (script runs in-process, default catalog)")
    print(f"{'flow':32s} {'first run ms':>13s} {'median ms':>10s} {'ratio':>6s} {'goal':>7s}")
    rows = apptest_timings(args.repeats)
    base = rows[0][2]
    for name, first, median in rows:
        ok = "ok" if median <= INTERACTION_GOAL_MS else "SLOW"
        print(f"{name:32s} {first:13.0f} {median:10.0f} {median / base:6.1f} {ok:>7s}")

    if args.no_browser:
        return 0
    if not Path(CHROMIUM).exists():
        print(f"\n{CHROMIUM} is missing: install Debian's chromium (make browser) for the browser rows.")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "baseline_app.py"
        empty.write_text(BASELINE_APP, encoding="utf-8")
        baseline = browser_first_page(empty, "picked alpha")
        base_times, base_cpu = browser_baseline(empty, args.repeats)
        base_clicks = statistics.median(base_times)
    first = browser_first_page("app.py", "Catalog in use")
    print("\nBrowser (headless Chromium, streamlit run on loopback)")
    print(f"{'measure':40s} {'value':>9s} {'baseline':>9s} {'ratio':>6s} {'goal':>8s}")
    print(f"{'first page after server accepts (s)':40s} {first:9.2f} {baseline:9.2f} {first / baseline:6.1f} "
          f"{'ok' if first <= FIRST_PAGE_GOAL_S else 'SLOW':>8s}")
    interactions, server_cpu = browser_interactions(args.repeats)
    for name, times in interactions.items():
        med = statistics.median(times)
        print(f"{name + ' median (ms)':40s} {med:9.0f} {base_clicks:9.0f} {med / base_clicks:6.1f} "
              f"{'ok' if med <= INTERACTION_GOAL_MS else 'SLOW':>8s}   (n={len(times)}, min {min(times):.0f}, "
              f"max {max(times):.0f})")
    for name, ms in server_cpu.items():
        print(f"{name + ' server CPU (ms)':40s} {ms:9.0f} {base_cpu:9.0f} {ms / base_cpu:6.1f}")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
