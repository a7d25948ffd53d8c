"""In a real browser: a listener loads their analysed music library on Home, picks a seed by its
title on Recommend, gets recommendations by sound (the default there), clicks a row and hears the
file itself: an <audio> element whose source is the file's bytes, never Spotify's player.

Waits on readiness only (text appearing, the script idle), never on the clock. Screenshots go to
tests/artifacts/ (git-ignored) for a look.
"""
from __future__ import annotations

import re

import pytest

from bench.ui_speed import wait_idle
from recommender.audio.playback import audio_file
from recommender.catalog import load_catalog
from tests.support.browser import ARTIFACTS, no_exception_shown, search_and_pick

playwright_api = pytest.importorskip("playwright.sync_api")

VIEWPORT = {"width": 1440, "height": 1400}
LONG = 240_000  # ms; a first visit may load and fit on a busy machine


def click_first_result(page) -> None:  # noqa: ANN001
    """Tick the first row of the results grid (a canvas: clicked by position, under its header)."""
    grid = page.locator('[data-testid="stDataFrame"]').last
    grid.scroll_into_view_if_needed()
    page.wait_for_function("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)


def test_library_seed_by_name_then_sound_recommendations_then_the_file_plays(app_page, audio_library):
    url, page, errors = app_page
    library_file = audio_library[1]
    catalog = load_catalog(library_file)
    page.goto(url, timeout=LONG)
    page.get_by_text("Catalog in use").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    page.get_by_role("region", name="Catalog file").locator('input[type="file"]').set_input_files(str(library_file))
    page.get_by_text(re.compile(f"Loaded {re.escape(library_file.name)}")).first.wait_for(timeout=LONG)
    wait_idle(page, LONG)

    # Recommend, through the sidebar (the session keeps its library).
    page.get_by_role("link", name="Recommend").first.click()
    page.get_by_text("1. Seed tracks").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    sound = page.get_by_role("radio", name=re.compile("Sound: sounds alike to a pretrained music network"))
    assert sound.is_checked(), "sound is the default on a library"
    assert page.get_by_role("radio", name=re.compile("^Popular")).count() == 0
    assert page.get_by_text("Sounds like these tags").count() == 1

    # A seed by its name (the file's name, since the synthetic files carry no title tag).
    search_and_pick(page, "01 Part 1", re.compile(r"01 Part 1 — .*Album A")).click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Get recommendations").click()
    page.get_by_text(re.compile(r"\d+ tracks by the sound method for 1 seed")).first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stDataFrame\"]').length >= 2",
                           timeout=LONG)
    no_exception_shown(page)
    seed_id = catalog.tracks["track_id"][catalog.tracks["file_path"] == "Album A/01 Part 1.ogg"].iloc[0]
    assert f"seeds={seed_id}" in page.url and "method=sound" in page.url

    # A row: its file plays here, the reason names what the seed and the track share.
    click_first_result(page)
    player = page.locator("audio").first
    player.wait_for(state="attached", timeout=LONG)
    wait_idle(page, LONG)
    no_exception_shown(page)
    why = page.get_by_text(re.compile(r"^Why: Sounds like your seed")).first
    why.wait_for(timeout=LONG)
    assert re.search(r"Sounds like your seed( \(both: [a-z ,&-]+\))?", why.inner_text())
    assert page.locator('iframe[src*="open.spotify.com"]').count() == 0
    file_text = page.get_by_text(re.compile(r"^File: Album [AB]/")).first.inner_text()
    relative = file_text.split("File: ", 1)[1].split(" · ")[0].strip()
    # What the player loads is that file's bytes, served by the app.
    served = page.request.get(url + player.get_attribute("src") if player.get_attribute("src").startswith("/")
                              else player.get_attribute("src"))
    assert served.ok
    track_id = catalog.tracks["track_id"][catalog.tracks["file_path"] == relative].iloc[0]
    assert served.body() == audio_file(catalog, track_id).read_bytes()
    page.screenshot(path=str(ARTIFACTS / "recommend-library-player.png"))
    assert not errors
