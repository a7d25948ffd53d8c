"""Many users at once, short versions of bench/load_test.py.

- Websocket client (no browser): 4 sessions for 15 s speaking Streamlit's own protocol.
- Chromium: 4 concurrent browser sessions for 20 s.

Each session pastes its own seeds on Recommend and labels tracks in its own profile on Taste.
No timing goals here (those are the benchmark's): no errors, every session did work, no
session saw another's seeds or labels, and the server holds the catalog and models once.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.load_test import CHROMIUM, run


def _assert_healthy_shared_run(result: dict, sessions: int) -> None:
    assert result["server_alive_after"]
    assert result["warmup_errors"] == []
    assert result["errors"] == 0, result["error_examples"]
    assert result["isolation_violations"] == 0, result["isolation_examples"]
    assert len(result["per_session_interactions"]) == sessions
    assert all(n >= 2 for n in result["per_session_interactions"]), result["per_session_interactions"]
    assert result["per_kind"]["paste seeds -> recommendations"]["n"] >= sessions
    assert result["labels_added"] >= sessions
    # The catalog and fitted models (hundreds of MiB) are shared: extra sessions add little.
    rss = result["rss_mib"]
    loaded = rss["1 session (catalog + models loaded)"] - rss["bare server"]
    assert loaded > 100
    assert result["rss_mib_per_extra_session"] < loaded / 4


@pytest.mark.slow
def test_four_websocket_sessions_at_once_no_errors_no_leaks():
    result = run(sessions=4, duration=15, quiet=True, write_json=False, client="ws")
    _assert_healthy_shared_run(result, 4)
    # Every step of both flows ran, for every session.
    for kind in ("open Taste", "create label profile", "label: search a title", "label: pick the track",
                 "label: Liked -> saved", "open Recommend"):
        assert result["per_kind"][kind]["n"] >= 1, kind
    assert result["per_kind"]["create label profile"]["n"] == 4


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing: run `make browser`")
def test_four_browser_sessions_at_once_no_errors_no_leaks():
    pytest.importorskip("playwright.async_api")
    result = run(sessions=4, duration=20, quiet=True, write_json=False, client="browser")
    _assert_healthy_shared_run(result, 4)
