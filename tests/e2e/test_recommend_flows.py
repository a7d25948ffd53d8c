"""The Recommend page's flows in a real browser (`streamlit run app.py`, headless Debian Chromium).

Paste + "Get recommendations"; search as you type (on the server), pick a match; the advanced filters stay open while edited;
a thumbs up on a row lands in the label store, and "more like this" makes the row the only seed;
the CSV download's columns. Every wait is on the page being ready, never on a fixed time.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from bench.ui_speed import SEEDS, wait_idle
from tests.support.browser import search_and_pick

playwright_api = pytest.importorskip("playwright.sync_api")

LONG = 180_000  # ms; the first recommendation fits the hybrid model on a busy machine
RESULTS = re.compile(r"\d+ tracks by the hybrid method")


@pytest.fixture
def page(app_server):
    url, browser = app_server.url, app_server.browser
    context = browser.new_context(viewport={"width": 1440, "height": 1100}, accept_downloads=True)
    tab = context.new_page()
    tab.goto(url + "/Recommend", timeout=LONG)
    tab.get_by_text("1. Seed tracks").first.wait_for(timeout=LONG)
    wait_idle(tab, LONG)
    yield tab
    assert tab.locator('[data-testid="stException"]').count() == 0, "a stack trace is on the page"
    context.close()


def wait_grids(page, count: int) -> None:  # noqa: ANN001
    """Wait until ``count`` data grids are drawn (Streamlit shows a skeleton while a grid's code loads)."""
    page.wait_for_function("n => document.querySelectorAll('[data-testid=\"stDataFrame\"]').length >= n",
                           arg=count, timeout=LONG)


def press_get_recommendations(page) -> None:  # noqa: ANN001
    page.get_by_role("button", name="Get recommendations").click()
    page.get_by_text(RESULTS).first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    wait_grids(page, 2)  # the seeds in use and the results


def paste_and_press(page, ids: list[str]) -> None:  # noqa: ANN001
    page.locator('[data-testid="stTextArea"] textarea').first.fill("\n".join(ids))
    press_get_recommendations(page)


def click_first_result(page) -> str:  # noqa: ANN001
    """Click the first row of the results grid; returns its track ID (from the player that opens)."""
    grid = page.locator('[data-testid="stDataFrame"]').last
    grid.scroll_into_view_if_needed()
    page.wait_for_function("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's tick box, under the header
    player = page.locator('iframe[src^="https://open.spotify.com/embed/track/"]').first
    player.wait_for(state="attached", timeout=LONG)
    wait_idle(page, LONG)
    return player.get_attribute("src").rsplit("/", 1)[1]


def test_pasted_seeds_apply_when_get_recommendations_is_pressed(page):
    page.locator('[data-testid="stTextArea"] textarea').first.fill("\n".join(SEEDS))
    wait_idle(page)
    assert page.get_by_text(RESULTS).count() == 0, "a paste is a draft until the button is pressed"
    assert "seeds=" not in page.url
    press_get_recommendations(page)
    assert "seeds=" + ",".join(SEEDS) in page.url.replace("%2C", ",")
    page.get_by_text("Seeds in use (3)").wait_for(timeout=LONG)


def test_search_suggests_tracks_while_typing_and_the_pick_becomes_a_seed(page):
    # Two copies of the same mix, told apart by their albums.
    pick = search_and_pick(page, "bohemian rhapsody - 2011",
                           re.compile(r"Bohemian Rhapsody - 2011 Mix — Queen \(A Night At The Opera \(2011 Remaster\), 1975\)"))
    assert page.get_by_role("option", name=re.compile(r"2011 Mix — Queen \(A Night At The Opera \(Deluxe")).count() == 1
    pick.click()
    page.keyboard.press("Escape")
    press_get_recommendations(page)
    page.get_by_text("Seeds in use (1)").wait_for(timeout=LONG)
    assert re.search(r"seeds=4u7EnebtmKWzUH433cf5Qv(&|$)", page.url), page.url
    assert page.get_by_text(re.compile(r"tracks by the hybrid method for 1 seed")).count() == 1


def test_the_advanced_filters_stay_open_while_edited(page):
    paste_and_press(page, SEEDS)
    page.get_by_text("Advanced filters: audio features, genres, years, artists").click()
    genres = page.get_by_text("Only these genres")
    genres.wait_for(timeout=LONG)
    wait_idle(page)
    # Drag the release-years slider's left thumb: one filter set, the panel stays open.
    thumb = page.locator('[data-testid="stSlider"]', has_text="Release years").get_by_role("slider").first
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")
    box = thumb.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 80, box["y"] + box["height"] / 2, steps=6)
    page.mouse.up()
    page.get_by_text("Advanced filters: 1 set.").wait_for(timeout=LONG)
    wait_idle(page, LONG)
    assert genres.is_visible(), "the panel closed after a slider moved"
    # A toggle outside the panel and one more filter inside: still open.
    page.get_by_text("Leave out the seeds' artists").click()
    wait_idle(page, LONG)
    page.locator('[data-testid="stMultiSelect"]', has_text="Never these genres").click()
    page.get_by_role("option", name="rock", exact=True).click()
    page.keyboard.press("Escape")
    page.get_by_text("Advanced filters: 2 set.").wait_for(timeout=LONG)
    wait_idle(page, LONG)
    assert genres.is_visible(), "the panel closed after a filter was added"
    assert "exclude_genres=rock" in page.url and "exclude_seed_artists=1" in page.url


def test_thumbs_up_reaches_the_labels_and_more_like_this_makes_the_only_seed(page, app_server):
    from recommender.store import DEFAULT_PROFILE, LabelStore

    data_dir = app_server.data_dir
    paste_and_press(page, SEEDS)
    track_id = click_first_result(page)
    page.get_by_role("button", name="I like it").click()
    page.get_by_text(re.compile(r"Saved: you like")).first.wait_for(timeout=LONG)
    wait_idle(page)
    labels = LabelStore(data_dir / "labels.sqlite3").load(DEFAULT_PROFILE)
    liked = labels.loc[labels["track_id"] == track_id, "label"].tolist()
    assert liked == [1], (track_id, labels[["track_id", "label"]])

    page.get_by_role("button", name="More like this").click()
    page.get_by_text("Seeds in use (1)").wait_for(timeout=LONG)
    page.get_by_text(re.compile(r"tracks by the hybrid method for 1 seed")).first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    assert re.search(rf"seeds={track_id}(&|$)", page.url), page.url


def test_the_csv_download_has_links_features_and_whole_numbers(page):
    paste_and_press(page, SEEDS)
    with page.expect_download(timeout=LONG) as download:
        page.get_by_role("button", name="Download these recommendations (CSV)").click()
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 20
    header = list(rows[0])
    for column in ("Rank", "Title", "Artist", "Album", "Year", "Popularity", "Match (0-100)", "Why",
                   "Spotify URL", "Spotify URI", "Danceability", "Energy", "Tempo (BPM)"):
        assert column in header, header
    assert [r["Rank"] for r in rows] == [str(i) for i in range(1, 21)]
    for r in rows:
        assert re.fullmatch(r"\d{1,3}", r["Popularity"]) and re.fullmatch(r"\d{4}", r["Year"]), r
        assert re.fullmatch(r"https://open\.spotify\.com/track/[0-9A-Za-z]{22}", r["Spotify URL"])
        assert r["Spotify URI"] == "spotify:track:" + r["Spotify URL"].rsplit("/", 1)[1]
    matches = [int(r["Match (0-100)"]) for r in rows]
    assert matches == sorted(matches, reverse=True) and 0 <= min(matches) <= max(matches) <= 100
