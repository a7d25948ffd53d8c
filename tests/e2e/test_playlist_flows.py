"""Playlist page in a real browser: paste links, sort by BPM (high to low), check the first track.

Drives `streamlit run app.py` with headless Debian Chromium through the suite's shared helpers
(bench.ui_speed: server, browser, readiness), waiting on the page, never on the clock.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.ui_speed import (
    fill_seeds,
    wait_idle,
)
from tests.support.browser import ARTIFACTS

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
LONG = 180_000  # ms; a first visit may load the catalog on a busy machine


def test_paste_links_sort_by_bpm_and_the_fastest_track_comes_first(app_page, default_catalog):
    url, page, errors = app_page
    five = default_catalog.tracks.iloc[[7, 4100, 9000, 17000, 26000]]
    fastest = five.sort_values("tempo", ascending=False).iloc[0]
    links = [f"https://open.spotify.com/track/{t}" for t in five["track_id"]]

    page.goto(url + "/Playlist", timeout=LONG)
    page.get_by_text("Organize a playlist").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    fill_seeds(page, "\n".join(links))  # the page's only text area
    page.get_by_text(re.compile(r"5 tracks, in playlist order")).first.wait_for(timeout=LONG)
    wait_idle(page, LONG)

    page.locator('[data-testid="stSelectbox"]').filter(has_text="Sort by").first.click()
    page.get_by_role("option", name="BPM", exact=True).click()
    page.get_by_text(re.compile(r"sorted by BPM, low to high")).first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    page.get_by_text("High to low", exact=True).click()
    caption = page.get_by_text(re.compile(r"sorted by BPM, high to low")).first
    caption.wait_for(timeout=LONG)
    wait_idle(page, LONG)

    assert f"First: {fastest['track_name']}" in caption.inner_text()
    # The copy-as-links box lists the new order: the fastest track first.
    code = page.locator('[data-testid="stCode"]').first.inner_text()
    lines = [line.strip() for line in code.splitlines() if line.strip()]
    assert lines[0] == f"https://open.spotify.com/track/{fastest['track_id']}"
    assert sorted(lines) == sorted(links)
    page.locator(".js-plotly-plot").first.wait_for(timeout=LONG)  # the map is drawn
    assert page.locator('[data-testid="stException"]').count() == 0, "a stack trace is on the page"
    assert not errors, errors
    page.set_viewport_size({"width": 1440, "height": 2400})
    page.screenshot(path=str(ARTIFACTS / "playlist.png"), full_page=True)
