"""Taste page speed: from pressing Train to the result shown, on the 2,009 demo labels.

Goal (issue 14): under 8 s, median of 3, in a real browser, with the default taste model
(whose grouped-CV ROC AUC must stay >= 0.86: checked in tests/test_taste.py, and printed here
from the page's Details).

Run:  .venv/bin/python -m bench.taste_speed            (3 rounds)
      .venv/bin/python -m bench.taste_speed --rounds 5

Each round works in a label profile without a model yet (so no earlier result is on
screen: "default" first, then new ones), loads the demo labels, then times: the click on Train until the plain-words headline is visible ("result
shown"), and until the app is idle (the Discover list below it scored too). A last step
reloads the page (a new session opens the "default" profile) and times until its stored model
is back (refitted from the stored labels).
``streamlit run app.py`` runs with a temporary TASTEMAP_DATA_DIR, driven by headless Debian
Chromium (helpers from :mod:`bench.ui_speed`). The load average is printed: the machine is
shared, and other work slows every figure; the server's CPU seconds per Train click are
printed too, a figure other work barely changes.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time

from bench.ui_speed import launch_browser, process_cpu_seconds, streamlit_process, wait_idle

GOAL_S = 8.0
LONG = 300_000  # ms
HEADLINE = re.compile(r"^Right .* on artists it has not seen$")


def _round(page, pid: int, name: str) -> tuple[float, float, float]:  # noqa: ANN001
    """One fresh profile: load the demo labels, press Train. Returns (to headline, to idle, server
    CPU seconds from the click to idle) in s."""
    if name != "default":
        box = page.get_by_label("New profile")
        box.fill(name)
        box.press("Enter")
    page.get_by_text(f"0 labels in profile '{name}'").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    page.get_by_role("button", name="Load the demo labels").click()
    page.get_by_text(f"2,009 labels in profile '{name}'").first.wait_for(timeout=LONG)
    page.get_by_role("button", name="Train", exact=True).wait_for(timeout=LONG)
    wait_idle(page, LONG)
    assert page.get_by_role("heading", name=HEADLINE).count() == 0, "a result is already on screen"
    cpu = process_cpu_seconds(pid)
    start = time.perf_counter()
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_role("heading", name=HEADLINE).first.wait_for(timeout=LONG)
    shown = time.perf_counter() - start
    wait_idle(page, LONG)
    idle = time.perf_counter() - start
    return shown, idle, process_cpu_seconds(pid) - cpu


def _auc(page) -> str:  # noqa: ANN001
    page.get_by_text("Details", exact=True).first.click()
    metric = page.locator('[data-testid="stMetric"]', has_text="ROC AUC").first
    metric.wait_for(timeout=LONG)
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="training rounds (default 3; the median is reported)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    shown: list[float] = []
    idle: list[float] = []
    cpu: list[float] = []
    with tempfile.TemporaryDirectory() as data_dir, sync_playwright() as p, \
            streamlit_process("app.py", timeout=120, env={"TASTEMAP_DATA_DIR": data_dir}) as (url, proc, _):
        browser = launch_browser(p)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        try:
            page.goto(url + "/Taste", timeout=LONG)
            page.get_by_text("Your taste").first.wait_for(timeout=LONG)
            wait_idle(page, LONG)
            for i in range(args.rounds):
                # Round 1 in the profile a reload opens ("default"), for the reload step below.
                a, b, c = _round(page, proc.pid, "default" if i == 0 else f"bench-{i + 1}")
                shown.append(a)
                idle.append(b)
                cpu.append(c)
                print(f"round {i + 1}: result shown {a:.2f} s, page idle {b:.2f} s, server CPU {c:.2f} s "
                      f"(load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)", flush=True)
            auc = _auc(page)
            start = time.perf_counter()
            page.reload(timeout=LONG)
            page.get_by_role("heading", name=HEADLINE).first.wait_for(timeout=LONG)
            reload_s = time.perf_counter() - start
            wait_idle(page, LONG)
        finally:
            browser.close()
    median = statistics.median(shown)
    print(f"\nTrain -> result shown: median {median:.2f} s of {args.rounds} "
          f"({', '.join(f'{t:.2f}' for t in shown)}); goal < {GOAL_S:.0f} s: {'met' if median < GOAL_S else 'MISSED'}")
    print(f"Train -> page idle (Discover scored too): median {statistics.median(idle):.2f} s")
    # Load-independent: what the click costs the server, whatever else the machine is doing.
    print(f"Server CPU from Train to idle: median {statistics.median(cpu):.2f} s")
    print(f"Reload -> stored model shown again: {reload_s:.2f} s")
    print(f"Grouped-CV ROC AUC shown under Details: {auc} (must stay >= 0.86)")
    return 0 if median < GOAL_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
