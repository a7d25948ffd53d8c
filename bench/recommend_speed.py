"""Recommend page: time from pressing "Get recommendations" to the results table shown, in a browser.

Goal (issue 14): under 1 s on the default catalog, median of 3 presses.

Run:  .venv/bin/python -m bench.recommend_speed            (3 timed presses)
      .venv/bin/python -m bench.recommend_speed --repeats 5

Drives Debian's /usr/bin/chromium with Playwright against ``streamlit run app.py`` on a free
loopback port (bench.ui_speed's helpers). A first press fits the hybrid model (once per server)
and is reported apart; each timed press then pastes a different seed set and clicks the button,
and the clock stops when the script run it started has finished, the caption names the new
number of seeds, the results grid is drawn and two animation frames have passed. Also prints the
bytes the browser received over the websocket for the page's first render (the search box sends
every track's label once) and per press.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import time

from bench.ui_speed import (
    CHROMIUM,
    OBSERVER_JS,
    SEEDS,
    _runs,
    launch_browser,
    process_cpu_seconds,
    streamlit_process,
    wait_idle,
    wait_rerun,
)

GOAL_MS = 1000.0
LONG_MS = 300_000
# Seed sets for the presses: each press changes the number of seeds, so the caption that says
# "for N seed(s)" tells the new table from the one before.
WARM_UP = SEEDS
ROUNDS = [SEEDS[:2], SEEDS[2:], SEEDS[1:], SEEDS[:1], SEEDS, SEEDS[1:2]]


def _frames(page) -> None:  # noqa: ANN001
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def press(page, seeds: list[str]) -> float:  # noqa: ANN001
    """Paste ``seeds``, press the button; milliseconds until the new table is drawn."""
    page.locator('[data-testid="stTextArea"] textarea').first.fill("\n".join(seeds))
    runs = _runs(page)
    start = time.perf_counter()
    page.get_by_role("button", name="Get recommendations").click()
    wait_rerun(page, runs, LONG_MS)
    page.get_by_text(re.compile(rf"\d+ tracks by the hybrid method for {len(seeds)} seed")).first.wait_for(
        timeout=LONG_MS)
    # Seeds in use + results: Streamlit shows a skeleton while a grid's code loads.
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stDataFrame\"]').length >= 2",
                           timeout=LONG_MS)
    _frames(page)
    return (time.perf_counter() - start) * 1000


def run(repeats: int) -> dict:
    from playwright.sync_api import sync_playwright

    received = {"bytes": 0}
    with sync_playwright() as p, streamlit_process("app.py", timeout=120) as (url, proc, _):
        browser = launch_browser(p)
        page = browser.new_page(viewport={"width": 1440, "height": 1100})
        page.add_init_script(OBSERVER_JS)

        def on_socket(ws) -> None:  # noqa: ANN001
            ws.on("framereceived", lambda payload: received.__setitem__(
                "bytes", received["bytes"] + len(payload if isinstance(payload, (bytes, str)) else b"")))

        page.on("websocket", on_socket)
        page.goto(url + "/Recommend", timeout=LONG_MS)
        page.get_by_text("1. Seed tracks").first.wait_for(timeout=LONG_MS)
        wait_idle(page, LONG_MS)
        first_page_bytes = received["bytes"]
        cold_ms = press(page, WARM_UP)  # fits the hybrid model (once per server)
        times, sizes = [], []
        cpu_start = process_cpu_seconds(proc.pid)
        for i in range(repeats):
            before = received["bytes"]
            times.append(press(page, ROUNDS[i % len(ROUNDS)]))
            sizes.append(received["bytes"] - before)
        cpu_ms = (process_cpu_seconds(proc.pid) - cpu_start) * 1000 / repeats
        browser.close()
    return {"cold_ms": cold_ms, "times": times, "cpu_ms": cpu_ms, "first_page_bytes": first_page_bytes,
            "press_bytes": sizes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed presses (default 3; the median is reported)")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"{CHROMIUM} is missing")
    load = os.getloadavg()
    result = run(args.repeats)
    median = statistics.median(result["times"])
    print(f"Recommend, default catalog, headless Chromium (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    print(f"first page: {result['first_page_bytes'] / 1e6:.2f} MB received over the websocket")
    print(f"first press (fits the hybrid model): {result['cold_ms']:.0f} ms")
    print("press 'Get recommendations' -> table drawn: "
          + ", ".join(f"{t:.0f}" for t in result["times"])
          + f" ms; median {median:.0f} ms (goal < {GOAL_MS:.0f} ms: {'met' if median < GOAL_MS else 'MISSED'})")
    print(f"server CPU per press {result['cpu_ms']:.0f} ms; received per press "
          + ", ".join(f"{b / 1e3:.0f} kB" for b in result["press_bytes"]))
    return 0 if median < GOAL_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
