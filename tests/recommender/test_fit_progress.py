"""A fit and a load report their steps (the dashboard's progress bars), and the fitted model keeps no trace of
the callback (it is pickled into the fit cache)."""
from __future__ import annotations

import pickle

import pytest

import recommender.recommenders.hybrid as hybrid
from recommender.recommenders import make_recommender
from tests.support.planted import planted_catalog


@pytest.mark.parametrize("method, middle", [
    ("similar", ["Building the sound index"]),
    ("popular", []),
])
def test_every_step_is_reported_in_order_before_it_runs(method, middle):
    seen = []
    model = make_recommender(method).fit(planted_catalog(), on_step=lambda *step: seen.append(step))
    names = ["Indexing the artists, albums, playlists and songs", "Scaling the audio features", *middle,
             "Indexing the track IDs"]
    assert seen == [(i, len(names), name) for i, name in enumerate(names)]
    assert "_fit_progress_" not in model.__dict__
    pickle.dumps(model)  # a closure in the model would not pickle


def test_the_hybrid_reports_its_sound_index_only_where_it_builds_one(monkeypatch):
    seen = []
    make_recommender("hybrid").fit(planted_catalog(), on_step=lambda *step: seen.append(step[2]))
    assert "Building the sound index" not in seen  # small catalogs score every track
    monkeypatch.setattr(hybrid, "HYBRID_CANDIDATES_ABOVE", 10)
    seen.clear()
    make_recommender("hybrid").fit(planted_catalog(), on_step=lambda *step: seen.append(step[2]))
    assert seen[2:4] == ["Linking the artists, albums and playlists", "Building the sound index"]


def test_a_failing_fit_leaves_no_callback_behind():
    model = make_recommender("similar", aggregate="median")
    with pytest.raises(ValueError, match="aggregate"):
        model.fit(planted_catalog(), on_step=lambda *step: None)
    assert "_fit_progress_" not in model.__dict__


def test_loading_a_file_reports_its_steps_in_order():
    from recommender.catalog import load_catalog
    from recommender.catalog.load import LOAD_STEPS
    from tests.support.planted import planted_csv_bytes

    seen = []
    catalog = load_catalog(planted_csv_bytes(), on_step=lambda *step: seen.append(step))
    assert len(catalog) > 0
    assert seen == [(i, 3, name) for i, name in enumerate(LOAD_STEPS)]
    assert LOAD_STEPS[0] == "Reading the file"
