"""Home and Spotify pages in a real browser (issue 14): the next steps are buttons that open
their page, a file with four audio features loads and Home names what is missing, and the
Spotify page's redirect URI carries the port the app really runs on (never a fixed 8501)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.browser import no_exception_shown

ROOT = Path(__file__).resolve().parents[2]

from bench.ui_speed import wait_idle  # noqa: E402

playwright_api = pytest.importorskip("playwright.sync_api")

LONG = 180_000  # ms; the first visit of a page may load and fit on a busy machine
FOUR_FEATURES = ROOT / "tests" / "samples" / "four_features.csv"
# No Spotify app configured, whatever the developer's shell holds: the page explains how to connect.
SERVER_ENV = {"SPOTIPY_CLIENT_ID": "", "SPOTIPY_CLIENT_SECRET": "", "SPOTIPY_REDIRECT_URI": ""}  # no Spotify set-up


def open_home(page, url: str) -> None:
    page.goto(url, timeout=LONG)
    page.get_by_text("Catalog in use").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)


def test_next_steps_are_buttons_that_open_their_pages(app_page):
    url, page, _ = app_page
    open_home(page, url)
    for label in ("Explore the sound of the catalog", "See its clusters", "Recommend tracks"):
        page.get_by_role("button", name=re.compile(label)).first.wait_for(timeout=LONG)  # drawn, not guessed
        assert page.get_by_role("button", name=re.compile(label)).count() == 1, label
        assert page.get_by_role("link", name=re.compile(label)).count() == 0, label
    page.get_by_role("button", name=re.compile("See its clusters")).click()
    page.get_by_role("heading", name="Clusters of tracks that sound alike").wait_for(timeout=LONG)
    assert page.url.rstrip("/").endswith("/Clusters")
    no_exception_shown(page)


def test_a_four_feature_upload_names_the_missing_features_and_explore_opens(app_page):
    url, page, _ = app_page
    open_home(page, url)
    page.get_by_role("region", name="Catalog file").locator('input[type="file"]').set_input_files(str(FOUR_FEATURES))
    page.get_by_text(re.compile("Loaded four_features")).first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    notice = page.locator('[data-testid="stAlert"]', has_text="4 of the 12 audio features").first
    notice.wait_for(timeout=LONG)
    text = notice.inner_text()
    assert "Missing (unknown for every track)" in text and "loudness" in text and "Taste" in text
    page.get_by_role("button", name=re.compile("Explore the sound of the catalog")).click()
    page.get_by_role("heading", name="Explore the catalog").wait_for(timeout=LONG)
    wait_idle(page, LONG)
    page.locator(".js-plotly-plot").first.wait_for(timeout=LONG)
    no_exception_shown(page)


def test_the_spotify_redirect_uri_carries_the_port_in_use(app_page):
    url, page, _ = app_page
    port = url.rsplit(":", 1)[1]
    assert port != "8501"  # the suite's server runs on a free port
    page.goto(url + "/Spotify", timeout=LONG)
    page.get_by_text("Spotify is not connected").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    code = page.locator('[data-testid="stCode"]').first.inner_text()
    assert f'redirect_uri = "http://127.0.0.1:{port}/Spotify"' in code
    assert "8501" not in page.locator('[data-testid="stMain"]').inner_text()
    no_exception_shown(page)
