"""Home's "Use your own music files" in a real browser (issue 16): three generated audio files
and a text file go through the uploader, the scan runs to its end with the real network, the
summary and the text file's reason are shown, and the catalog in use becomes the library."""
from __future__ import annotations

import re

import pytest

from bench.ui_speed import wait_idle
from tests.support import synth
from tests.support.browser import ARTIFACTS, no_exception_shown

playwright_api = pytest.importorskip("playwright.sync_api")

VIEWPORT = {"width": 1440, "height": 1400}
LONG = 240_000  # ms; only guards a hang: the scan's own speed is not a test's business


def test_uploaded_music_is_scanned_and_becomes_the_catalog_in_use(app_page, tmp_path):
    url, page, errors = app_page
    files = []
    for seed, name in [(1, "01 Dawn.ogg"), (7, "02 Noon.flac"), (3, "03 Dusk.wav")]:
        files.append(synth.write_audio(tmp_path / name, synth.piece(seed, 6.0, sr=16_000), sr=16_000))
    notes = tmp_path / "notes.txt"
    notes.write_text("not music")
    files.append(notes)

    page.goto(url, timeout=LONG)
    page.get_by_text("Catalog in use").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    before = page.locator('[data-testid="stMarkdownContainer"]', has_text="Catalog in use").first.inner_text()
    assert "your music library" not in before

    page.get_by_role("region", name="Music files").locator('input[type="file"]').set_input_files([str(f) for f in files])
    analyse = page.get_by_role("button", name=re.compile("Analyse 4 files"))
    analyse.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    analyse.click()
    summary = page.get_by_text(re.compile(r"3 tracks analysed, 1 file is not music")).first
    summary.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    assert "now the catalog in use" in page.locator('[data-testid="stAlert"]', has_text="3 tracks analysed").first.inner_text()

    # the catalog in use changed: the top of Home names the library and counts its tracks
    top = page.locator('[data-testid="stMarkdownContainer"]', has_text="Catalog in use").first.inner_text()
    assert "your music library" in top and "Your music files (3 files)" in top
    tracks = page.locator('[data-testid="stMetric"]', has_text="Tracks").first.inner_text()
    assert re.search(r"\b3\b", tracks)
    assert page.locator('[data-testid="stMetric"]', has_text="Genres").count() == 0

    # the text file's reason, in the expander's table (a canvas grid with an accessible table inside)
    page.get_by_text(re.compile(r"Files not used \(1\) and why")).first.click()
    reason = page.locator('[data-testid="stDataFrame"] [role="gridcell"]', has_text="not an audio file").first
    reason.wait_for(state="attached", timeout=LONG)
    assert page.locator('[data-testid="stDataFrame"] [role="gridcell"]', has_text="notes.txt").count() >= 1
    assert page.get_by_role("button", name=re.compile(r"Download the library \(\.parquet\)")).count() == 1
    no_exception_shown(page)
    assert not errors, errors
    page.screenshot(path=str(ARTIFACTS / "home-audio-library.png"), full_page=True)
