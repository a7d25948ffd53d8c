"""Clusters page speed in a real browser: automatic k on the default catalog (issue 14).

Goal: automatic k (Clusters, "Let Tastemap choose") shows its clusters within 3 s on the default
catalog (28k tracks), median of 3 rounds.

Each round starts a fresh ``streamlit run app.py`` with an empty fit cache folder
(``TASTEMAP_CACHE_DIR`` in a temporary directory), so nothing is fitted in advance: the Home page
loads the catalog, the first visit of Clusters fits the default k = 8 ("first visit, k = 8"),
then a click on "Let Tastemap choose" scores k = 2…15 and fits the chosen k ("automatic k":
from the click until the page says which number Tastemap chose and the script is idle).

Run:  .venv/bin/python -m bench.clusters_speed            (3 rounds)
      .venv/bin/python -m bench.clusters_speed --rounds 5
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

from bench.ui_speed import launch_browser, streamlit_server, wait_idle

GOAL_S = 3.0
LONG_MS = 300_000


def one_round() -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="tastemap-bench-cache-") as cache_dir, sync_playwright() as p, \
            streamlit_server("app.py", timeout=120, env={"TASTEMAP_CACHE_DIR": cache_dir}) as (url, _):
        browser = launch_browser(p)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(url, timeout=LONG_MS)
            page.get_by_text("Catalog in use").first.wait_for(timeout=LONG_MS)
            wait_idle(page, LONG_MS)

            start = time.perf_counter()
            page.goto(url + "/Clusters", timeout=LONG_MS)
            page.get_by_text("groups", exact=False).first.wait_for(timeout=LONG_MS)
            page.locator(".js-plotly-plot").first.wait_for(timeout=LONG_MS)
            wait_idle(page, LONG_MS)
            first_visit = time.perf_counter() - start

            start = time.perf_counter()
            page.get_by_text("Let Tastemap choose").first.click()
            page.get_by_text("the number Tastemap chose").first.wait_for(timeout=LONG_MS)
            wait_idle(page, LONG_MS)
            page.locator(".js-plotly-plot").first.wait_for(timeout=LONG_MS)
            automatic = time.perf_counter() - start
            if page.locator('[data-testid="stException"]').count():
                raise RuntimeError("the Clusters page shows an exception")
        finally:
            browser.close()
    return {"first visit, k = 8": first_visit, "automatic k": automatic}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    rounds = []
    for i in range(args.rounds):
        load = os.getloadavg()[0]
        result = one_round()
        rounds.append(result)
        print(f"round {i + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.items()) + f" (load {load:.1f})",
              flush=True)
    print()
    for name in rounds[0]:
        values = [r[name] for r in rounds]
        print(f"{name:>20}: median {statistics.median(values):.2f} s of {len(values)} "
              f"({', '.join(f'{v:.2f}' for v in values)})")
    median_auto = statistics.median(r["automatic k"] for r in rounds)
    verdict = "meets" if median_auto < GOAL_S else "misses"
    print(f"automatic k {verdict} the {GOAL_S:.0f} s goal (median {median_auto:.2f} s)")
    return 0 if median_auto < GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
