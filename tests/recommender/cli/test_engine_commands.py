"""CLI: the recommend JSON contract, --seeds-file JSON Lines, cluster, evaluate, exit codes."""
from __future__ import annotations

import json

import pytest

from recommender.cli import main
from tests.support.planted import planted_csv_bytes, track_id

ROCK = [track_id(0, i) for i in range(3)]
UNKNOWN = "Z" * 22


def test_recommend_json_contract(run, catalog_path):
    code, out, err = run("recommend", "--catalog", catalog_path, "--seeds",
                         f"{ROCK[0]}, spotify:track:{UNKNOWN} nope", "--k", "4", "--format", "json")
    assert code == 0
    obj = json.loads(out)
    assert list(obj) == ["seeds", "not_in_catalog", "invalid", "recommendations"]
    assert obj["seeds"] == [ROCK[0]] and obj["not_in_catalog"] == [UNKNOWN]
    assert obj["invalid"][0]["token"] == "nope" and "22" in obj["invalid"][0]["reason"]
    assert len(obj["recommendations"]) == 4
    for rec in obj["recommendations"]:
        assert list(rec) == ["track_id", "track_name", "artists", "popularity", "score", "match", "why"]
        assert rec["track_id"].startswith("g0")


@pytest.mark.parametrize("method", ["hybrid", "similar", "cluster", "popular"])
def test_every_method_and_popularity_bounds(run, catalog_path, method):
    code, out, _ = run("recommend", "--catalog", catalog_path, "--seeds", ROCK[0],
                       "--method", method, "--min-popularity", "30", "--max-popularity", "60",
                       "--format", "json")
    assert code == 0
    pops = [r["popularity"] for r in json.loads(out)["recommendations"]]
    assert pops and all(30 <= p <= 60 for p in pops)


def test_seeds_file_gives_json_lines_in_order(run, catalog_path, tmp_path):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"{ROCK[0]}\n\n{track_id(1, 0)} {track_id(1, 1)}\nnot an id\n{track_id(2, 5)}\n")
    code, out, err = run("recommend", "--catalog", catalog_path, "--seeds-file", str(seeds), "--k", "3")
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 4  # one per non-empty input line
    assert lines[0]["seeds"] == [ROCK[0]]
    assert lines[1]["seeds"] == [track_id(1, 0), track_id(1, 1)]
    assert lines[2]["recommendations"] == [] and "error" in lines[2] and lines[2]["invalid"]
    assert lines[3]["recommendations"][0]["track_id"].startswith("g2")
    assert code == 1 and "line 4" in err


def test_csv_output_is_formula_safe(run, tmp_path):
    frame_bytes = planted_csv_bytes().replace(b"Rock song 1,", b"=HYPERLINK(1),")
    path = tmp_path / "evil.csv"
    path.write_bytes(frame_bytes)
    code, out, _ = run("recommend", "--catalog", str(path), "--seeds", ROCK[0], "--k", "11", "--format", "csv")
    assert code == 0
    assert out.splitlines()[0] == "track_id,track_name,artists,popularity,score,match,why"
    assert "'=HYPERLINK(1)" in out and ",=HYPERLINK" not in out


def test_exit_codes_and_messages(run, capsys, catalog_path):
    code, _, err = run("recommend", "--catalog", catalog_path, "--seeds", UNKNOWN)
    assert code == 2 and "not in the catalog" in err or "none of" in err
    code, _, err = run("recommend", "--catalog", catalog_path, "--seeds", ROCK[0],
                       "--filter", "min_energy=0.9", "--filter", "max_energy=0.1")
    assert code == 2 and "min_energy=0.9 is above max_energy=0.1" in err
    code, _, err = run("recommend", "--catalog", catalog_path, "--seeds-file", "/nonexistent/x.txt")
    assert code == 2 and "no such file" in err
    code, out, err = run("recommend", "--catalog", catalog_path, "--seeds", ROCK[0],
                         "--min-popularity", "99", "--format", "json")
    assert code == 0 and json.loads(out)["recommendations"] == []
    assert "min_popularity=99" in json.loads(out)["message"]
    with pytest.raises(SystemExit) as exc:
        main(["recommend", "--seeds", ROCK[0], "--method", "magic"])
    assert exc.value.code == 2
    capsys.readouterr()


def test_table_output(run, catalog_path):
    code, out, err = run("recommend", "--catalog", catalog_path, "--seeds", f"{ROCK[0]} {UNKNOWN}", "--k", "2")
    assert code == 0 and "track_id" in out.splitlines()[0] and UNKNOWN in err


def test_cluster_command(run, catalog_path):
    code, out, _ = run("cluster", "--catalog", catalog_path, "--k", "3", "--format", "json")
    obj = json.loads(out)
    assert code == 0 and obj["k"] == 3 and len(obj["clusters"]) == 3
    code, out, _ = run("cluster", "--catalog", catalog_path, "--k", "auto", "--format", "json")
    obj = json.loads(out)
    assert obj["k"] == 3 and [s["k"] for s in obj["scores"]][:2] == [2, 3]
    code, _, err = run("cluster", "--catalog", catalog_path, "--k", "lots")
    assert code == 2 and "auto" in err


def test_evaluate_command(run, catalog_path):
    code, out, _ = run("evaluate", "--catalog", catalog_path, "--playlists", "2", "--n-seeds", "2",
                       "--k", "5", "10", "--methods", "similar", "random", "--format", "json")
    obj = json.loads(out)
    assert code == 0 and set(obj["methods"]) == {"similar", "random"}
    assert {"recall@5", "recall@10", "ndcg@10"} <= set(obj["methods"]["similar"])
    code, out, _ = run("evaluate", "--catalog", catalog_path, "--playlists", "2", "--n-seeds", "2",
                       "--methods", "popular")
    assert code == 0 and "recall@100" in out and "popular" in out
    code, _, err = run("evaluate", "--catalog", catalog_path, "--n-seeds", "50")
    assert code == 2 and "more than 50 tracks" in err


def test_the_tastemap_command_is_the_same_program(tmp_path):
    """`make` installs the library with a `tastemap` console script (pyproject.toml)."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "tastemap"
    if not script.exists():
        pytest.skip("the tastemap command is installed by `make venv` (pip install -e .)")
    done = subprocess.run([str(script), "recommend", "--seeds", "6f807x0ima9a1j3VPbc7VN", "--k", "3",
                           "--format", "json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert '"recommendations"' in done.stdout and "usage: tastemap" in subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=60).stdout
