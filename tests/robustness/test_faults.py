"""Faults of the running app: the real `streamlit run` server killed while the Taste page saves.

The library-level SIGKILL loop is in test_label_store.py, damaged caches in test_cache.py,
damaged model files in test_taste.py and Spotify outages mid-import in test_spotify.py. Here
the whole server process is killed (SIGKILL) at a random moment after a user clicked "Load
the demo labels" (one transaction replacing a profile's 300 labels with 2,009), in a loop;
after each restart the page and the store hold either the old labels or the new ones, never
a mix and never nothing.
"""
from __future__ import annotations

import os
import random
import re
import signal
from pathlib import Path

import pandas as pd
import pytest

from bench.load_test import server  # noqa: E402
from bench.ui_speed import CHROMIUM, launch_browser, wait_idle  # noqa: E402
from recommender.store import LabelStore  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing: run `make browser`"),
]
playwright_api = pytest.importorskip("playwright.sync_api")

OLD = 300
NEW = 2009  # the demo labels (liked_disliked.csv) after de-duplication
ROUNDS = 5
LONG = 180_000


def old_labels() -> pd.DataFrame:
    return pd.DataFrame({"label_key": [f"old{i}" for i in range(OLD)], "label": [i % 2 for i in range(OLD)],
                         "track_name": ["old"] * OLD, "artists": [f"artist {i % 30}" for i in range(OLD)],
                         "energy": [0.5] * OLD})


def shown_count(page) -> int:
    text = page.locator("body").inner_text()
    match = re.search(r"([\d,]+) labels in profile 'default'", text)
    assert match, "the Taste page shows the label count"
    return int(match.group(1).replace(",", ""))


def test_sigkill_of_the_server_while_saving_labels_leaves_old_or_new(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite3")
    store.save("default", old_labels())
    env = {"TASTEMAP_DATA_DIR": str(tmp_path)}
    rng = random.Random(8)
    outcomes = []
    with playwright_api.sync_playwright() as p:
        browser = launch_browser(p)
        for round_ in range(ROUNDS + 1):
            with server(env=env) as (url, proc):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(url + "/Taste", timeout=LONG)
                page.get_by_text("labels in profile").first.wait_for(timeout=LONG)
                wait_idle(page, LONG)
                assert page.locator('[data-testid="stException"]').count() == 0
                # After a restart the page shows what the store holds: all old or all new.
                labels = LabelStore(tmp_path / "labels.sqlite3").load("default")
                kinds = set(labels["track_name"] == "old")
                assert len(labels) in (OLD, NEW) and len(kinds) == 1, f"round {round_}: {len(labels)} rows, mixed"
                assert shown_count(page) == len(labels)
                if round_:
                    outcomes.append("old" if len(labels) == OLD else "new")
                if round_ == ROUNDS:
                    page.close()
                    break
                if len(labels) == NEW:  # start each round from the old labels
                    store.save("default", old_labels())
                    page.reload(timeout=LONG)
                    page.get_by_text(f"{OLD} labels in profile").first.wait_for(timeout=LONG)
                    wait_idle(page, LONG)
                page.get_by_role("button", name=re.compile("Load the demo labels")).click()
                page.wait_for_timeout(rng.uniform(50, 1500))  # somewhere in reading, writing or after
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                page.close()
        browser.close()
    assert len(outcomes) == ROUNDS
    print("outcomes after SIGKILL:", outcomes)
