"""Many users at once, short version: 4 concurrent Chromium sessions for 20 s (bench/load_test.py).

Each session pastes its own seeds on Recommend and labels tracks in its own profile on Taste.
No timing goals here (those are the benchmark's): no errors, every session did work, no
session saw another's seeds or labels, and the server holds the catalog and models once.
"""
from __future__ import annotations

from pathlib import Path

import pytest


from bench.load_test import CHROMIUM, run  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing: run `make browser`"),
]
pytest.importorskip("playwright.async_api")


def test_four_sessions_at_once_no_errors_no_leaks():
    result = run(sessions=4, duration=20, quiet=True, write_json=False)
    assert result["server_alive_after"]
    assert result["warmup_errors"] == []
    assert result["errors"] == 0, result["error_examples"]
    assert result["isolation_violations"] == 0, result["isolation_examples"]
    assert all(n >= 2 for n in result["per_session_interactions"]), result["per_session_interactions"]
    assert result["per_kind"]["paste seeds -> recommendations"]["n"] >= 4
    assert result["labels_added"] >= 4
    # The catalog and fitted models (hundreds of MiB) are shared: extra sessions add little.
    rss = result["rss_mib"]
    loaded = rss["1 session (catalog + models loaded)"] - rss["bare server"]
    assert loaded > 100
    assert result["rss_mib_per_extra_session"] < loaded / 4
