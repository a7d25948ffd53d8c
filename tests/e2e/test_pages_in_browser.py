"""End to end in a real browser: `streamlit run app.py` driven by headless Debian Chromium.

Opens every page, pastes three real IDs on Recommend and expects at least 10 results with a
Spotify player, selects tracks with a lasso on Explore and sends them to Recommend, and
saves a screenshot of each page under tests/artifacts/ (git-ignored).

"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.browser import ARTIFACTS, no_exception_shown

ROOT = Path(__file__).resolve().parents[2]

from bench.ui_speed import SEEDS, fill_seeds, wait_idle  # noqa: E402

playwright_api = pytest.importorskip("playwright.sync_api")

LONG = 180_000  # ms; the first visit of a page may fit models on a busy machine


def shoot(page, name: str, path: Path | None = None, height: int = 2200) -> None:
    # Streamlit scrolls inside its own container, so a tall viewport shows the whole page.
    page.set_viewport_size({"width": 1440, "height": height})
    page.wait_for_timeout(400)
    page.screenshot(path=str(path or ARTIFACTS / f"{name}.png"))
    page.set_viewport_size({"width": 1440, "height": 1000})


def test_home_shows_the_default_catalog(app_page):
    url, page, errors = app_page
    page.goto(url, timeout=LONG)
    page.get_by_text("Catalog in use").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    page.locator('[data-testid="stMetricValue"]', has_text="28,356").first.wait_for(timeout=30_000)
    no_exception_shown(page)
    shoot(page, "home")


def test_explore_draws_charts_and_a_lasso_selection_becomes_seeds(app_page):
    url, page, errors = app_page
    page.goto(url + "/Explore", timeout=LONG)
    page.get_by_text("Explore the catalog").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for(timeout=LONG)
    no_exception_shown(page)
    shoot(page, "explore")
    # Lasso around the middle of the free scatter (the chart's default drag mode is lasso).
    box = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    w, h = box["width"] * 0.12, box["height"] * 0.12
    page.mouse.move(cx - w, cy - h)
    page.mouse.down()
    for x, y in [(cx + w, cy - h), (cx + w, cy + h), (cx - w, cy + h), (cx - w, cy - h + 1)]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()
    page.get_by_text(re.compile(r"tracks selected")).first.wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_role("button", name=re.compile("Recommend from these")).click()
    page.get_by_text("Get recommendations").first.wait_for(timeout=LONG)
    page.get_by_text(re.compile(r"tracks by the hybrid method")).first.wait_for(timeout=LONG)
    no_exception_shown(page)


def test_clusters_page_renders(app_page):
    url, page, errors = app_page
    page.goto(url + "/Clusters", timeout=LONG)
    page.get_by_text("groups of tracks that sound alike").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    page.locator(".js-plotly-plot").first.wait_for(timeout=LONG)
    no_exception_shown(page)
    shoot(page, "clusters")


def test_recommend_three_pasted_ids_give_results_and_a_player(app_page):
    url, page, errors = app_page
    page.goto(url + "/Recommend", timeout=LONG)
    page.get_by_text("Get recommendations").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    fill_seeds(page, "\n".join([SEEDS[0], f"spotify:track:{SEEDS[1]}", f"https://open.spotify.com/track/{SEEDS[2]}"]))
    caption = page.get_by_text(re.compile(r"\d+ tracks by the hybrid method")).first
    caption.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    count = int(re.match(r"(\d+)", caption.inner_text()).group(1))
    assert count >= 10
    # The result grid is a canvas; its row count is checked through the caption above and
    # the shareable link, and the player is an iframe on Spotify's embed URL.
    assert "seeds=" + SEEDS[0] in page.url
    # The player loads for the row the listener clicks: click the first result row's marker.
    iframe = page.locator('iframe[src^="https://open.spotify.com/embed/track/"]')
    assert iframe.count() == 0
    grid = page.locator('[data-testid="stDataFrame"]').last
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # let the scroll settle before reading the grid's position
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    iframe.first.wait_for(state="attached", timeout=LONG)
    wait_idle(page, LONG)
    assert iframe.count() == 1
    assert re.fullmatch(r"https://open\.spotify\.com/embed/track/[0-9A-Za-z]{22}", iframe.get_attribute("src"))
    no_exception_shown(page)
    shoot(page, "recommend")


def test_a_shared_link_restores_the_recommendations(app_page):
    url, page, errors = app_page
    page.goto(url + "/Recommend?seeds=" + ",".join(SEEDS) + "&method=similar&min_energy=0.7", timeout=LONG)
    page.get_by_text(re.compile(r"\d+ tracks by the similar method")).first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    assert "min_energy=0.7" in page.url
    no_exception_shown(page)


@pytest.mark.parametrize("path, title", [("/Taste", "Taste"), ("/Spotify", "Spotify")])
def test_taste_and_spotify_pages_render(app_page, path, title):
    url, page, errors = app_page
    page.goto(url + path, timeout=LONG)
    page.locator("h1").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    no_exception_shown(page)
    shoot(page, title.lower())


def test_every_page_opens_directly_from_its_address(app_page):
    """A shared link or a bookmark is a browser's first request: it opens its page, with no
    "Page not found" dialog (Streamlit resolves it by the files in pages/ before app.py runs)."""
    from ui.pages import PAGES

    url, page, _ = app_page
    browser = page.context.browser
    for listed in PAGES:
        fresh = browser.new_context().new_page()  # a new session, as a link opened elsewhere
        fresh.goto(f"{url}/{listed.url_path}", timeout=LONG)
        fresh.locator("h1").first.wait_for(timeout=LONG)
        wait_idle(fresh, LONG)
        assert fresh.get_by_text("Page not found").count() == 0, listed.title
        assert fresh.url.rstrip("/") == f"{url}/{listed.url_path}".rstrip("/"), listed.title
        fresh.context.close()
