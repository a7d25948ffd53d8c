"""What the browser tests check on every page."""
from __future__ import annotations

from tests.support.paths import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots for a look (git-ignored)
LONG = 180_000  # ms: a step may fit a model first on a busy machine; this only guards a hang


def no_exception_shown(page) -> None:  # noqa: ANN001 - a Playwright page
    assert page.locator('[data-testid="stException"]').count() == 0, "a stack trace is on the page"
