"""Dashboard speed: first page after the server starts, and interactions, in AppTest and a browser.

Goals (issue 4), on the default catalog: the first page is rendered within 3 s of the server
accepting connections; each interaction after that takes under 300 ms (median).

Run:  .venv/bin/python -m bench.ui_speed            (AppTest + browser)
      .venv/bin/python -m bench.ui_speed --no-browser
      .venv/bin/python -m bench.ui_speed --catalog .tastemap/bench/synthetic-1M.parquet --repeats 5
      .venv/bin/python -m bench.ui_speed --catalog .tastemap/bench/synthetic-10M.parquet --repeats 3 \
          --max-upload-mb 2000 --wait-min 30     (issue 18: the 1.4 GB file is over the app's 400 MB limit)

With ``--catalog`` (issue 7: a 1M-track upload stays usable, interactions under 1 s) only the
browser runs: it uploads the file through the Home page's file input, times upload-to-ready
(logging the spinners shown meanwhile), the first render and a second visit of each page, and
the Recommend and Explore interactions, all in that one browser session.

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
from collections.abc import Callable, Iterator
from pathlib import Path

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
                      env: dict[str, str] | None = None,
                      max_upload_mb: int | None = None) -> Iterator[tuple[str, subprocess.Popen, float]]:
    """Run ``streamlit run <script>`` headless on a free loopback port.

    Yields ``(base_url, process, accepted_at)`` where ``accepted_at`` is the
    ``time.perf_counter()`` when the server first accepted a TCP connection. The server is
    stopped afterwards. ``max_upload_mb`` overrides the app's upload limit (.streamlit/config.toml)
    for this server only.
    """
    port = free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]
    if max_upload_mb is not None:
        cmd += ["--server.maxUploadSize", str(max_upload_mb)]
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
    for page in ("pages/Explore.py", "pages/Clusters.py"):
        first = _timed(lambda p=page: at.switch_page(p).run())
        rows.append((f"{page.split('_', 1)[1][:-3]}: rerun", first,
                     statistics.median(_timed(at.run) for _ in range(repeats))))
    at.switch_page("pages/Explore.py").run()
    xs = ["tempo", "loudness", "danceability", "energy"]
    times = []
    for i in range(repeats):
        at.selectbox(key="w_explore_x").set_value(xs[i % len(xs)])
        times.append(_timed(at.run))
    rows.append(("Explore: change X axis", times[0], statistics.median(times[1:])))

    at.switch_page("pages/Recommend.py").run()
    seed_sets = ["\n".join(SEEDS), "\n".join(SEEDS[:2]), "\n".join(SEEDS[1:])]
    times = []
    for i in range(repeats + 1):  # the first paste also fits the hybrid model (once per catalog)
        at.text_area(key="w_seed_text").input(seed_sets[i % len(seed_sets)])
        at.button(key="rec_get").click()  # "Get recommendations" applies the pasted seeds
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


# ----------------------------------------------------------------------------- an uploaded catalog (--catalog)

CATALOG_INTERACTION_GOAL_MS = 1000.0  # issue 7: interactions on a 1M-track upload under 1 s
# The longest wait for one step of a --catalog run (upload to ready: twice this); --wait-min
# raises it for big files (10M tracks: the upload, the load and the first fits take minutes).
catalog_wait_ms = 300_000.0
PY_SPY = os.environ.get("PY_SPY", "/tmp/spyenv/bin/py-spy")

# Installed before the app loads. Counts finished script runs (full and fragment runs) by
# reading the top-level fields of each ForwardMsg on the websocket: field 6 is script_finished.
# (The app's data-test-script-state attribute can skip "running" when a short run's messages
# are rendered together, so it cannot tell that a run happened.) Also logs when a spinner or a
# progress bar is on screen, so "the upload shows progress" is checked, not assumed.
OBSERVER_JS = """
(() => {
  window.__tm = {runs: 0, log: [], longTaskMs: 0};
  const now = () => performance.now();
  // Main-thread tasks over 50 ms (parsing, React, Plotly drawing): the browser's share of a wait.
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) window.__tm.longTaskMs += e.duration;
  }).observe({type: 'longtask', buffered: false});
  const countFinished = (buf) => {
    const b = new Uint8Array(buf);
    let i = 0;
    const varint = () => { let v = 0, m = 1, x; do { x = b[i++]; v += (x & 127) * m; m *= 128; } while (x & 128); return v; };
    while (i < b.length) {
      const tag = varint(), field = Math.floor(tag / 8), wire = tag % 8;
      if (field === 6) window.__tm.runs += 1;
      if (wire === 0) varint(); else if (wire === 1) i += 8; else if (wire === 5) i += 4;
      else if (wire === 2) { const n = varint(); i += n; } else break;
    }
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', ev => { if (ev.data instanceof ArrayBuffer) countFinished(ev.data); });
    }
  };
  const progress = () => [...document.querySelectorAll('[data-testid="stSpinner"], [data-testid="stProgress"]')]
    .map(e => e.getAttribute('data-testid') === 'stProgress' ? `[progress bar] ${e.innerText.trim()}` : e.innerText.trim())
    .join(' | ');
  let last = '';
  new MutationObserver(() => {
    const p = progress();
    if (p !== last) { window.__tm.log.push([now(), p]); last = p; }
  }).observe(document, {subtree: true, childList: true, characterData: true});
})();
"""


def _runs(page) -> int:  # noqa: ANN001
    return page.evaluate("window.__tm.runs")


def wait_rerun(page, runs_before: int, timeout_ms: float = 120_000) -> None:  # noqa: ANN001
    """Wait until a script run (full or fragment) started after ``runs_before`` and finished."""
    page.wait_for_function(
        """(n) => {
            const app = document.querySelector('[data-testid="stApp"]');
            return window.__tm.runs > n && app
                && app.getAttribute('data-test-script-state') === 'notRunning'
                && app.getAttribute('data-test-connection-state') === 'CONNECTED';
        }""",
        arg=runs_before,
        timeout=timeout_ms,
    )


def wait_plot_drawn(page, timeout_ms: float | None = None) -> None:  # noqa: ANN001
    timeout_ms = catalog_wait_ms if timeout_ms is None else timeout_ms
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=timeout_ms)


def process_rss_mib(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of ``pid`` in MiB; ``field="VmHWM"``: its peak so far (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def catalog_seed_ids(path: Path, count: int = 12) -> list[str]:
    """``count`` track IDs of the file (fixed random pick among tracks with a popularity), read
    with pyarrow so the benchmark process does not load the catalog itself."""
    import numpy as np
    import pyarrow.parquet as pq

    if path.suffix != ".parquet":
        raise SystemExit("--catalog: seeds are read from a .parquet file (bench/synthetic.py writes those)")
    table = pq.read_table(path, columns=["track_id", "track_popularity"])
    ids = table.column("track_id").to_numpy(zero_copy_only=False)
    pop = table.column("track_popularity").to_numpy(zero_copy_only=False)
    known = np.unique(ids[~np.isnan(pop.astype("float64"))])
    rng = np.random.default_rng(7)
    return [str(t) for t in rng.choice(known, size=count, replace=False)]


class Timer:
    """Rows of (measure, times in ms, server CPU ms per repeat, browser long-task ms per repeat)
    for one browser session."""

    def __init__(self, page, proc: subprocess.Popen) -> None:  # noqa: ANN001
        self.page, self.proc = page, proc
        self.rows: list[tuple[str, list[float], float, float]] = []

    def measure(self, name: str, action: Callable[[int], None], done: Callable[[int], None],
                repeats: int = 1) -> list[float]:
        times = []
        cpu_start = process_cpu_seconds(self.proc.pid)
        long_start = self.page.evaluate("window.__tm.longTaskMs")
        for i in range(repeats):
            runs = _runs(self.page)
            start = time.perf_counter()
            action(i)
            wait_rerun(self.page, runs, catalog_wait_ms)
            done(i)
            # Two animation frames: the browser has finished the drawing queued by this run.
            self.page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            times.append((time.perf_counter() - start) * 1000)
        cpu = (process_cpu_seconds(self.proc.pid) - cpu_start) * 1000 / repeats
        browser = (self.page.evaluate("window.__tm.longTaskMs") - long_start) / repeats
        self.rows.append((name, times, cpu, browser))
        print(f"  {name}: {', '.join(f'{t:.0f}' for t in times)} ms (server CPU {cpu:.0f} ms, browser long "
              f"tasks {browser:.0f} ms per run, RSS {process_rss_mib(self.proc.pid):,.0f} MiB)", flush=True)
        return times


def _nav(page, title: str) -> Callable[[int], None]:  # noqa: ANN001
    return lambda _i: page.locator('[data-testid="stSidebarNavLink"]', has_text=title).first.click()


def _text(page, text: str, *, exact: bool = False) -> Callable[[int], None]:  # noqa: ANN001
    return lambda _i: page.get_by_text(text, exact=exact).first.wait_for(timeout=catalog_wait_ms)


def browser_catalog(path: Path, repeats: int, profile_dir: Path | None = None,
                    max_upload_mb: int | None = None) -> dict:
    """Upload ``path`` on the Home page of a fresh server, then time each page and interaction
    in that same browser session (navigation by the app's own links: a reload would start a new
    session without the upload). ``max_upload_mb``: the server's upload limit, if not the app's."""
    from playwright.sync_api import sync_playwright

    seeds = catalog_seed_ids(path)
    spy: list[subprocess.Popen] = []
    with (sync_playwright() as p,
          streamlit_process("app.py", timeout=120, max_upload_mb=max_upload_mb) as (url, proc, _)):
        browser = launch_browser(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.add_init_script(OBSERVER_JS)
        page.goto(url, timeout=120_000)
        page.get_by_text("Catalog in use").first.wait_for(timeout=120_000)
        wait_idle(page, 120_000)
        if profile_dir is not None:  # py-spy on the server for everything after the first page
            profile_dir.mkdir(parents=True, exist_ok=True)
            spy.append(subprocess.Popen(  # collapsed stacks: flamegraph.pl / speedscope read them
                [PY_SPY, "record", "--pid", str(proc.pid), "--rate", "50", "--format", "raw",
                 "-o", str(profile_dir / "server.folded")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(1.0)
        try:
            out = _catalog_flows(page, proc, path, seeds, repeats)
        finally:
            browser.close()
            for s in spy:
                s.send_signal(2)  # SIGINT: py-spy writes its profile and exits
                s.wait(timeout=60)
    return out


def _catalog_flows(page, proc: subprocess.Popen, path: Path, seeds: list[str], repeats: int) -> dict:  # noqa: ANN001
    out: dict = {}
    timer = Timer(page, proc)
    cpu_start = process_cpu_seconds(proc.pid)

    # -- upload to ready: file handed to the page until the Home page shows the loaded catalog
    page.evaluate("window.__tm.log = []")
    t0_js = page.evaluate("performance.now()")
    runs = _runs(page)
    start = time.perf_counter()
    page.get_by_role("region", name="Catalog file").locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text("The other pages now work on this catalog").first.wait_for(timeout=2 * catalog_wait_ms)
    wait_rerun(page, runs, 2 * catalog_wait_ms)
    ready_s = time.perf_counter() - start
    log = [(round((t - t0_js) / 1000, 2), text) for t, text in page.evaluate("window.__tm.log")]
    out["upload"] = {"ready_s": ready_s, "cpu_s": process_cpu_seconds(proc.pid) - cpu_start, "progress_log": log,
                     "tracks": page.locator('[data-testid="stMetric"]').first.inner_text().replace("\n", " ")}
    print(f"  upload to ready: {ready_s:.1f} s; {out['upload']['tracks']}", flush=True)
    shown = [(t, text) for t, text in log if text]
    gaps, prev = [], 0.0
    for t, text in log:  # longest stretch with no spinner or progress bar on screen
        if text:
            if prev is not None:
                gaps.append(t - prev)
            prev = None
        elif prev is None:
            prev = t
    gaps.append(ready_s - prev if prev is not None else 0.0)
    out["upload"]["first_progress_s"] = shown[0][0] if shown else None
    out["upload"]["longest_no_progress_s"] = max(gaps)

    # -- first render of each page with the uploaded catalog, then a second visit
    name = path.name
    checks = {
        "Explore": lambda i: (_text(page, f"{name}: ")(i), wait_plot_drawn(page)),
        "Clusters": lambda i: (_text(page, "Clusters of tracks that sound alike")(i), wait_plot_drawn(page)),
        "Recommend": _text(page, "1. Seed tracks"),
        "Taste": _text(page, "Your taste"),
        "Home": _text(page, "Catalog in use"),
    }
    for visit in ("first render", "second visit"):
        for title, done in checks.items():
            timer.measure(f"{title}: {visit}", _nav(page, title), done)

    # -- Recommend: paste seeds (the first paste fits hybrid), then change method
    timer.measure("Recommend: open", _nav(page, "Recommend"), _text(page, "1. Seed tracks"))
    seed_sets = [seeds[i % 6: i % 6 + 2 + i % 3] for i in range(repeats + 1)]

    def paste(i: int) -> None:
        fill_seeds(page, "\n".join(seed_sets[i]))

    def pasted(i: int) -> None:
        n = len(seed_sets[i])
        page.get_by_text(f"tracks by the hybrid method for {n} seed(s)").first.wait_for(timeout=catalog_wait_ms)

    timer.measure("Recommend: first paste (fits hybrid)", paste, pasted)
    timer.measure("Recommend: paste seeds", lambda i: paste(i + 1), lambda i: pasted(i + 1), repeats)
    methods = [("similar", "Similar:"), ("hybrid", "Hybrid:")]

    def click_method(i: int) -> None:
        page.get_by_text(methods[i % 2][1]).first.click()

    def method_shown(i: int) -> None:
        page.get_by_text(f"tracks by the {methods[i % 2][0]} method").first.wait_for(timeout=catalog_wait_ms)

    timer.measure("Recommend: first similar (fits it)", click_method, method_shown)
    timer.measure("Recommend: back to hybrid", lambda i: click_method(1), lambda i: method_shown(1))
    timer.measure("Recommend: change method", click_method, method_shown, repeats)
    queries = ["love", "night", "dance", "heart", "girl", "remix", "summer"]

    def search(i: int) -> None:
        box = page.locator('[data-testid="stTextInput"] input').first
        box.fill(queries[i % len(queries)])
        box.press("Enter")

    timer.measure("Recommend: search title/artist", search, lambda i: None, repeats)

    # -- Explore interactions
    timer.measure("Explore: open", _nav(page, "Explore"), lambda i: wait_plot_drawn(page))
    axes = ["Tempo (BPM)", "Loudness (dB)", "Danceability", "Energy"]

    def pick_x(i: int) -> None:
        page.locator('[data-testid="stSelectbox"]').first.click()
        page.get_by_role("option", name=axes[i % len(axes)], exact=True).click()

    timer.measure("Explore: change X axis", pick_x, lambda i: wait_plot_drawn(page), repeats)
    tabs = ["By genre", "Free scatter"]
    timer.measure("Explore: switch tab", lambda i: page.get_by_role("tab", name=tabs[i % 2]).click(),
                  lambda i: wait_plot_drawn(page), repeats)
    if repeats % 2 == 0:  # end on "By genre"
        timer.measure("Explore: switch tab (to genre)", lambda i: page.get_by_role("tab", name="By genre").click(),
                      lambda i: wait_plot_drawn(page))
    timer.measure("Explore: box/violin toggle",
                  lambda i: page.get_by_text("violin" if i % 2 == 0 else "box", exact=True).first.click(),
                  lambda i: wait_plot_drawn(page), repeats)
    out["rows"] = timer.rows
    out["rss_mib"] = process_rss_mib(proc.pid)
    out["peak_rss_mib"] = process_rss_mib(proc.pid, "VmHWM")
    return out


def print_catalog_report(path: Path, result: dict) -> None:
    up = result["upload"]
    print(f"\nBrowser, uploaded catalog {path.name} (headless Chromium, streamlit run on loopback)")
    print(f"upload to ready: {up['ready_s']:.1f} s (server CPU {up['cpu_s']:.1f} s); home shows {up['tracks']}")
    first = up["first_progress_s"]
    print(f"  first spinner/progress bar after {first if first is not None else 'never'} s; longest stretch without one "
          f"{up['longest_no_progress_s']:.1f} s")
    for t, text in up["progress_log"]:
        print(f"  {t:7.2f} s  {text or '(no spinner or progress bar)'}")
    print("\nms from the click until the new content is drawn and the script is idle; 'server CPU' and "
          "'browser' (main-thread tasks over 50 ms) are per run")
    print(f"{'measure':40s} {'median ms':>10s} {'n':>3s} {'min':>7s} {'max':>7s} {'server CPU':>10s} "
          f"{'browser':>8s} {'goal 1 s':>9s}")
    for name, times, cpu, browser in result["rows"]:
        med = statistics.median(times)
        verdict = "(once)" if "fits" in name else ("ok" if med <= CATALOG_INTERACTION_GOAL_MS else "SLOW")
        print(f"{name:40s} {med:10.0f} {len(times):3d} {min(times):7.0f} {max(times):7.0f} {cpu:10.0f} "
              f"{browser:8.0f} {verdict:>9s}")
    print(f"server RSS at the end: {result['rss_mib']:,.0f} MiB (peak {result['peak_rss_mib']:,.0f} MiB)")


def main(argv: list[str] | None = None) -> int:
    global catalog_wait_ms
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true", help="AppTest timings only")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--catalog", type=Path, metavar="PATH",
                        help="instead: upload PATH (a .parquet catalog) on the Home page in Chromium and time "
                             "upload-to-ready, each page and the Recommend and Explore interactions with it")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="with --catalog: record the server with py-spy (PY_SPY, default /tmp/spyenv/bin/py-spy) "
                             "into DIR/server.folded")
    parser.add_argument("--max-upload-mb", type=int, metavar="N",
                        help="with --catalog: start the server with --server.maxUploadSize N (MB) instead of the "
                             "app's limit in .streamlit/config.toml, for files over it")
    parser.add_argument("--wait-min", type=float, default=catalog_wait_ms / 60_000, metavar="M",
                        help="with --catalog: the longest wait for one step, in minutes (upload to ready: twice "
                             "this; default %(default)g)")
    args = parser.parse_args(argv)

    if args.catalog is not None:
        print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs", flush=True)
        catalog_wait_ms = args.wait_min * 60_000
        result = browser_catalog(args.catalog.resolve(), args.repeats, args.profile, args.max_upload_mb)
        print_catalog_report(args.catalog, result)
        print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
        return 0

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
