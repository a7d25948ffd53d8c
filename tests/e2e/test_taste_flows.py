"""The Taste flow in a real browser: load the demo labels, train, read the plain-words headline,
reload the page and find the model still there (rebuilt from the stored labels and settings),
then send Discover's top tracks to Recommend as seeds.

Runs `streamlit run app.py` with a temporary TASTEMAP_DATA_DIR, driven by headless Debian
Chromium. Waits on elements and the app being idle, never on the clock.
"""
from __future__ import annotations

import re

import pytest

from bench.ui_speed import launch_browser, streamlit_server, wait_idle

playwright_api = pytest.importorskip("playwright.sync_api")

LONG = 240_000  # ms; training on a busy shared machine
HEADLINE = re.compile(r"^Right .* on artists it has not seen$")


def open_taste(page, url: str) -> None:  # noqa: ANN001
    page.goto(url + "/Taste", timeout=LONG)
    page.get_by_text("Your taste").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)


def test_demo_labels_train_and_the_model_survives_a_reload(tmp_path):
    with playwright_api.sync_playwright() as p, \
            streamlit_server("app.py", timeout=90, env={"TASTEMAP_DATA_DIR": str(tmp_path)}) as (url, _):
        browser = launch_browser(p)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        try:
            open_taste(page, url)
            page.get_by_role("button", name="Load the demo labels").click()
            page.get_by_text("Loaded 2,009 demo labels").first.wait_for(timeout=LONG)
            page.get_by_text("8 tracks appear twice").first.wait_for(timeout=LONG)
            wait_idle(page, LONG)
            page.get_by_role("button", name="Train", exact=True).click()
            headline = page.get_by_role("heading", name=HEADLINE).first
            headline.wait_for(timeout=LONG)
            text = headline.inner_text()
            wait_idle(page, LONG)
            body = page.locator("body").inner_text()
            assert str(tmp_path) not in body, "a server path is on the page"
            assert "ROC AUC" not in body  # behind the closed Details expander
            assert page.locator('[data-testid="stException"]').count() == 0

            page.reload(timeout=LONG)
            page.get_by_role("heading", name=HEADLINE).first.wait_for(timeout=LONG)
            wait_idle(page, LONG)
            assert page.get_by_role("heading", name=HEADLINE).first.inner_text() == text
            assert page.get_by_text("Press Train to teach").count() == 0
            assert page.locator('[data-testid="stException"]').count() == 0

            # Discover links to Spotify and sends its top tracks to Recommend as seeds.
            page.get_by_role("button", name=re.compile(r"^Use the top 5 as seeds on Recommend$")).click()
            page.wait_for_url(re.compile(r"/Recommend"), timeout=LONG)
            wait_idle(page, LONG)
            seeds = page.locator('[data-testid="stTextArea"] textarea').first.input_value().split("\n")
            assert len(seeds) == 5 and all(re.fullmatch(r"[0-9A-Za-z]{22}", s) for s in seeds)
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()
