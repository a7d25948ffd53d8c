"""In a real browser: a listener loads their analysed music library on Home, Explore shows what
the network hears in it (the tag chart), and Clusters shows groups named by tags.

Waits on readiness only (text appearing, the script idle), never on the clock. Screenshots go to
tests/artifacts/ (git-ignored) for a look at clipping.
"""
from __future__ import annotations

import re

import pytest

from bench.ui_speed import wait_idle
from recommender.catalog import load_catalog
from recommender.clustering import ClusterModel
from recommender.tag_words import plain_tags
from tests.support.browser import ARTIFACTS, no_exception_shown

playwright_api = pytest.importorskip("playwright.sync_api")

VIEWPORT = {"width": 1440, "height": 1400}
LONG = 240_000  # ms; a first visit may load and fit on a busy machine


def test_library_loaded_then_explore_tags_then_named_clusters(app_page, audio_library):
    url, page, errors = app_page
    library_file = audio_library[1]
    page.goto(url, timeout=LONG)
    page.get_by_text("Catalog in use").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    # The catalog uploader (Home may also offer one for music files).
    uploader = page.locator('[data-testid="stFileUploader"]', has=page.get_by_text("Catalog file", exact=False)).first
    uploader.locator('input[type="file"]').set_input_files(str(library_file))
    page.get_by_text(re.compile(f"Loaded {re.escape(library_file.name)}")).first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    no_exception_shown(page)

    # Explore: the tag chart, and the plain warning that tags are estimates.
    page.get_by_role("button", name=re.compile("Explore the sound of the catalog")).click()
    page.get_by_role("heading", name="Explore the catalog").wait_for(timeout=LONG)
    page.locator(".js-plotly-plot .gtitle", has_text="What the network hears most in your music").first.wait_for(
        timeout=LONG)
    wait_idle(page, LONG)
    no_exception_shown(page)
    assert page.get_by_text("not Spotify's audio features").count() >= 1
    ticks = page.locator(".js-plotly-plot .yaxislayer-above .ytick text")
    # Bar labels from the top of the chart down (by where they are drawn, not their DOM order).
    bars = [text for _, text in sorted((t.bounding_box()["y"], t.text_content()) for t in ticks.all())]
    catalog = load_catalog(library_file)
    words, tags = plain_tags(catalog.sound.tag_names, catalog.sound.tags)
    strongest = [words[j] for j in (-tags.mean(axis=0)).argsort(kind="stable")[:15]]
    assert bars == strongest  # the strongest tag on top, the next ones below it
    page.screenshot(path=str(ARTIFACTS / "explore-library-tags.png"))
    for tab, name in (("Tags against each other", "scatter"), ("Tempo, loudness, key and length", "measured")):
        page.get_by_role("tab", name=tab).click()
        page.locator(".js-plotly-plot .gtitle", has_text="Tempo (BPM)").first.wait_for(timeout=LONG)
        wait_idle(page, LONG)
        no_exception_shown(page)
        page.screenshot(path=str(ARTIFACTS / f"explore-library-{name}.png"))

    # Clusters (through the sidebar, keeping the session's library): groups named by tags.
    page.get_by_role("link", name="Clusters").first.click()
    page.get_by_role("heading", name="Clusters of tracks that sound alike").wait_for(timeout=LONG)
    page.locator(".js-plotly-plot .legendtext").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    no_exception_shown(page)
    names = ClusterModel(2, random_state=0).fit(catalog).cluster_names_
    legend = page.locator(".js-plotly-plot .legendtext").all_text_contents()
    assert legend == [f"{i}: {name}" for i, name in enumerate(names)]
    assert all(set(name.split(", ")) <= set(words) for name in names)
    page.screenshot(path=str(ARTIFACTS / "clusters-library-map.png"))
    page.get_by_role("tab", name="Profiles").click()
    page.locator(".js-plotly-plot .gtitle", has_text="What the network hears in each cluster").first.wait_for(
        timeout=LONG)
    wait_idle(page, LONG)
    no_exception_shown(page)
    page.screenshot(path=str(ARTIFACTS / "clusters-library-profiles.png"), full_page=True)
    assert not errors
