"""CLI: `fit` stores fits in the fit cache (the app's keys), reuses them, retrains with --refit;
`recommend` uses a stored fit."""
from __future__ import annotations

import json

import pytest

from recommender.cache import CACHE_ENV, FitCache, dashboard_kind
from recommender.catalog import load_catalog
from recommender.cli.fit import cached_fit
from recommender.recommenders import make_recommender
from recommender.recommenders.learned import LearnedRecommender
from tests.support.planted import track_id


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


def test_fit_stores_then_reuses_then_refits(run, catalog_path, cache_dir):
    code, out, _ = run("fit", "--catalog", catalog_path, "--methods", "similar", "learned")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("similar: fitted in ")
    assert lines[1].startswith("learned: fitted in ") and "playlist queries" in lines[1]
    assert len(list(cache_dir.glob("*.tmcache"))) == 2

    code, out, _ = run("fit", "--catalog", catalog_path, "--methods", "similar", "learned")
    assert code == 0
    assert out.splitlines() == ["similar: already in the cache", lines[1].replace(lines[1].split(" (")[0], "learned: already in the cache")]

    code, out, _ = run("fit", "--catalog", catalog_path, "--methods", "similar", "--refit")
    assert code == 0 and out.startswith("similar: fitted in ")


def test_the_stored_fit_is_the_one_the_app_reads(catalog_path, cache_dir, run):
    assert run("fit", "--catalog", catalog_path, "--methods", "hybrid")[0] == 0
    catalog = load_catalog(catalog_path)
    key = FitCache().fit_key(make_recommender("hybrid"), catalog, kind=dashboard_kind("hybrid"))
    assert FitCache().load(key, catalog=catalog) is not None  # ui/data.py asks under this key


def test_recommend_uses_the_stored_learned_fit(run, catalog_path, cache_dir, monkeypatch):
    assert run("fit", "--catalog", catalog_path, "--methods", "learned")[0] == 0
    stored = cached_fit("learned", load_catalog(catalog_path))
    expected = stored.recommend([track_id(0, 0)], k=5).recommendations["track_id"].tolist()

    def no_training(self, catalog):  # noqa: ANN001
        raise AssertionError("recommend trained the learned model again instead of using the stored fit")

    monkeypatch.setattr(LearnedRecommender, "fit", no_training)
    code, out, _ = run("recommend", "--catalog", catalog_path, "--seeds", track_id(0, 0), "--method", "learned",
                       "--k", "5", "--format", "json")
    assert code == 0
    assert [r["track_id"] for r in json.loads(out)["recommendations"]] == expected
    assert expected[0].startswith("g0")  # the seed's own group first


def test_without_a_stored_fit_recommend_fits_and_stores_nothing(catalog_path, cache_dir):
    model = cached_fit("similar", load_catalog(catalog_path))
    assert model.recommend([track_id(0, 0)], k=3).recommendations["track_id"].str.startswith("g0").all()
    assert not cache_dir.exists() or not list(cache_dir.glob("*.tmcache"))


def test_a_method_this_catalog_cannot_fit_is_named_and_the_exit_code_says_so(run, catalog_path, cache_dir):
    code, out, _ = run("fit", "--catalog", catalog_path, "--methods", "sound", "similar")
    assert code == 1
    assert out.splitlines()[0].startswith("sound: not fitted: it needs the sound of audio files")
    assert out.splitlines()[1].startswith("similar: fitted in ")


def test_learned_on_a_catalog_without_playlists_says_it_keeps_the_hand_weights(run, tmp_path, cache_dir):
    from tests.support.planted import planted_frame

    path = tmp_path / "no_playlists.csv"
    planted_frame().drop(columns=["playlist_id", "playlist_name", "playlist_genre", "playlist_subgenre"]) \
        .drop_duplicates("track_id").to_csv(path, index=False)
    code, out, _ = run("fit", "--catalog", str(path), "--methods", "learned")
    assert code == 0
    assert "keeps the hand weights: this catalog has no playlists to learn from" in out
