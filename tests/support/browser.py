"""What the browser tests check on every page."""
from __future__ import annotations

import re

from tests.support.paths import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots for a look (git-ignored)
LONG = 180_000  # ms: a step may fit a model first on a busy machine; this only guards a hang


def no_exception_shown(page) -> None:  # noqa: ANN001 - a Playwright page
    assert page.locator('[data-testid="stException"]').count() == 0, "a stack trace is on the page"


def search_and_pick(page, text: str, option: re.Pattern[str]):  # noqa: ANN001, ANN201 - Playwright objects
    """Type ``text`` into Recommend's "Find tracks" search (it searches after a pause in typing),
    then open the pick box and return the option named like ``option`` once the matches are in."""
    page.get_by_role("searchbox", name="Find tracks by title or artist").fill(text)
    page.get_by_text(re.compile(r"^Pick from the \d+\+? matches$")).first.wait_for(timeout=LONG)
    page.locator('[data-testid="stMultiSelect"]').first.click()
    pick = page.get_by_role("option", name=option).first
    pick.wait_for(timeout=LONG)
    return pick
