"""In a real browser: Clusters shows its clusters by name and its details expander opens;
Explore's glossary opens. Screenshots go to tests/artifacts/ (git-ignored) for a look at
clipping (the radar chart's labels, the year chart's axes).

Waits on readiness only (text appearing, the script idle), never on the clock.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.ui_speed import wait_idle
from recommender.clustering import ClusterModel
from tests.support.browser import ARTIFACTS, no_exception_shown

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1440, "height": 1400}
LONG = 240_000  # ms; a first visit may fit models on a busy machine


def test_clusters_show_their_names_and_the_details_open(app_page, default_catalog):
    url, page, _ = app_page
    page.goto(url + "/Clusters", timeout=LONG)
    page.get_by_text("groups of tracks that sound alike").first.wait_for(timeout=LONG)
    page.locator(".js-plotly-plot .legendtext").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    no_exception_shown(page)
    # The map's legend names every cluster as the library names it (the page's k is 8).
    names = ClusterModel(8, random_state=0).fit(default_catalog).cluster_names_
    legend = page.locator(".js-plotly-plot .legendtext").all_text_contents()  # SVG text
    assert legend == [f"{i}: {name}" for i, name in enumerate(names)]
    # The expert numbers are not on the page until the details expander is opened.
    assert page.get_by_text("Silhouette", exact=True).count() == 0
    page.get_by_text(re.compile(r"^Details: how the groups were made")).first.click()
    page.get_by_text("Silhouette", exact=True).first.wait_for(timeout=LONG)
    page.get_by_text("Inertia", exact=True).first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    no_exception_shown(page)
    page.screenshot(path=str(ARTIFACTS / "clusters-details.png"))
    # The profiles tab: the radar chart and the genre mix.
    page.get_by_role("tab", name="Profiles").click()
    page.locator(".js-plotly-plot .polarlayer").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    no_exception_shown(page)
    page.locator(".js-plotly-plot .polarlayer").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "clusters-profiles.png"))


def test_explore_glossary_opens(app_page):
    url, page, _ = app_page
    page.goto(url + "/Explore", timeout=LONG)
    page.get_by_text("Explore the catalog").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    page.get_by_role("button", name=re.compile("What do these words mean")).click()
    page.get_by_text(re.compile(r"How happy the track sounds")).first.wait_for(timeout=LONG)
    no_exception_shown(page)
    page.keyboard.press("Escape")
    page.get_by_role("tab", name="Over the years").click()
    page.locator(".js-plotly-plot").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    no_exception_shown(page)
    page.screenshot(path=str(ARTIFACTS / "explore-years.png"))
