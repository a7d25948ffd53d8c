"""CLI `evaluate` (issue 18): several seed counts, --cold-start, beyond-accuracy columns."""
from __future__ import annotations

import io
import json

from tests.support.planted import planted_frame


def test_several_seed_counts_give_one_report_each(run, catalog_path):
    code, out, _ = run("evaluate", "--catalog", catalog_path, "--playlists", "3", "--n-seeds", "1", "3",
                       "--k", "5", "10", "--methods", "similar", "popular", "--format", "json", "--quiet")
    obj = json.loads(out)
    assert code == 0 and list(obj) == ["by_n_seeds"] and list(obj["by_n_seeds"]) == ["1", "3"]
    for n, report in obj["by_n_seeds"].items():
        assert report["protocol"]["n_seeds"] == int(n) and report["protocol"]["cold_start"] is None
        for figures in report["methods"].values():
            assert 0 < figures["coverage@20"] <= 1 and 0 < figures["popularity_percentile"] < 100
    # one seed count keeps the single report's shape
    code, out, _ = run("evaluate", "--catalog", catalog_path, "--playlists", "3", "--n-seeds", "3",
                       "--methods", "popular", "--format", "json", "--quiet")
    assert code == 0 and json.loads(out)["protocol"]["n_seeds"] == 3


def test_cold_start_tables_say_how_many_queries_qualified(run, catalog_path):
    code, out, _ = run("evaluate", "--catalog", catalog_path, "--playlists", "3", "--n-seeds", "1", "2",
                       "--methods", "similar", "--cold-start", "--quiet")
    assert code == 0
    assert out.count("playlist continuation:") == 2 and out.count("cold start (seeds by artists") == 2
    assert "held-out playlists of the standard sample qualified" in out
    assert "coverage@20" in out and "popularity_percentile" in out
    code, out, _ = run("evaluate", "--catalog", catalog_path, "--playlists", "3", "--n-seeds", "2",
                       "--methods", "similar", "--cold-start", "--format", "json", "--quiet")
    cold = json.loads(out)["protocol"]["cold_start"]
    assert cold["standard_queries"] == 3 and cold["mode"] in ("filtered", "sampled")
    code, _, err = run("evaluate", "--catalog", catalog_path, "--n-seeds", "2", "50", "--cold-start", "--quiet")
    assert code == 2 and "more than 50 tracks" in err and "Traceback" not in err


def test_a_catalog_without_popularity_says_so(run, tmp_path):
    path = tmp_path / "no_popularity.csv"
    buffer = io.StringIO()
    planted_frame().drop(columns=["track_popularity"]).to_csv(buffer, index=False)
    path.write_text(buffer.getvalue())
    code, out, _ = run("evaluate", "--catalog", str(path), "--playlists", "2", "--n-seeds", "2",
                       "--methods", "similar", "--quiet")
    assert code == 0 and "popularity_percentile: NaN, the catalog has no track popularity" in out
    code, out, _ = run("evaluate", "--catalog", str(path), "--playlists", "2", "--n-seeds", "2",
                       "--methods", "similar", "--format", "json", "--quiet")
    assert json.loads(out)["methods"]["similar"]["popularity_percentile"] is None
