"""Many users at once, a short version of bench/load_test.py (`make load` runs the long ones).

Websocket client (no browser): 4 sessions at once, speaking Streamlit's own protocol, each doing
exactly 2 rounds: paste its own seeds on Recommend and press "Get recommendations", then open
Taste and label one track in its own profile. Counted in rounds, never in seconds: every wait is
on the server finishing the run the session asked for, so a slow or busy machine only takes
longer. No timing goals here (those are the benchmark's): no errors, every step of every round
ran, no session saw another's seeds or labels, and the server holds the catalog and models once.
"""
from __future__ import annotations

import pytest

from bench.load_test import run

SESSIONS, ROUNDS = 4, 2


@pytest.mark.slow
def test_four_websocket_sessions_at_once_no_errors_no_leaks():
    result = run(sessions=SESSIONS, duration=0, rounds=ROUNDS, quiet=True, write_json=False, client="ws")
    assert result["server_alive_after"]
    assert result["warmup_errors"] == []
    assert result["errors"] == 0, result["error_examples"]
    assert result["isolation_violations"] == 0, result["isolation_examples"]
    # Every step of every round, for every session: no more (duration 0), no fewer.
    counts = {kind: v["n"] for kind, v in result["per_kind"].items()}
    assert counts == {
        "paste seeds -> recommendations": SESSIONS * ROUNDS,
        "open Taste": SESSIONS * ROUNDS,
        "create label profile": SESSIONS,
        "label: search a title": SESSIONS * ROUNDS,
        "label: pick the track": SESSIONS * ROUNDS,
        "label: Liked -> saved": SESSIONS * ROUNDS,
        "open Recommend": SESSIONS * (ROUNDS - 1),
    }
    assert result["labels_added"] == SESSIONS * ROUNDS
    # The catalog and fitted models (hundreds of MiB) are shared: extra sessions add little.
    rss = result["rss_mib"]
    loaded = rss["1 session (catalog + models loaded)"] - rss["bare server"]
    assert loaded > 100
    assert result["rss_mib_per_extra_session"] < loaded / 4
