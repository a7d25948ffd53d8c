"""``learned``: the hybrid's candidates re-ranked by boosted trees trained on the catalog's own
playlists (on the planted catalog of test_playlist_vectors: four groups of tracks, each in
playlists of its own, groups 0 and 2 sounding alike)."""
from __future__ import annotations

import io

import numpy as np
import pytest

from recommender.catalog import load_catalog
from recommender.recommenders import METHODS, RECOMMENDERS, make_recommender
from recommender.recommenders.learned import FEATURES, candidate_features
from recommender.recommenders.learned_features import ALL_FEATURES, feature_columns, query_candidates, title_words
from tests.recommender.test_playlist_vectors import SEEDS, group, playlist_frame, tid
from tests.support.paths import SAMPLES


@pytest.fixture(scope="module")
def catalog():
    buffer = io.StringIO()
    playlist_frame().to_csv(buffer, index=False)
    return load_catalog(buffer.getvalue().encode(), name="playlist groups")


@pytest.fixture(scope="module")
def learned(catalog):
    return make_recommender("learned").fit(catalog)


def test_registered_for_evaluation_but_not_offered_on_the_pages():
    assert "learned" in RECOMMENDERS and "learned" not in METHODS


def test_it_learns_from_every_playlist_and_ranks_the_seeds_group_first(learned, catalog):
    assert learned.fallback_ is None and learned.ranker_ is not None
    playlists = sorted(catalog.memberships["playlist_id"].dropna().astype(str).unique())
    assert learned.training_playlists_ == playlists
    assert learned.training_["positives"] > 0 and learned.training_["rows"] > learned.training_["positives"]
    recs = learned.recommend([tid(s) for s in SEEDS], k=7, filters={"max_per_artist_per_page": None})
    assert [group(t) for t in recs.recommendations["track_id"]] == ["g0"] * 7
    assert recs.recommendations["match"].iloc[0] == 100


def test_a_blanked_playlist_is_never_a_training_query(catalog):
    held_out = [tid(f"pl0-{p}") for p in range(3)]
    model = make_recommender("learned").fit(catalog.without_playlists(held_out))
    assert model.ranker_ is not None
    assert not set(held_out) & set(model.training_playlists_)


def test_its_list_is_the_hand_candidates_reordered(catalog):
    learned = make_recommender("learned", n_candidates=20).fit(catalog)
    seed_pos = catalog.positions([tid(s) for s in SEEDS])
    rows, X = candidate_features(learned, seed_pos, 20)
    assert X.shape == (20, len(FEATURES)) and not np.isin(rows, seed_pos).any()
    scores = learned._score(seed_pos)
    top = np.argsort(-scores)[:20]
    assert set(top.tolist()) == set(rows.tolist()), "the re-ranker orders the candidates only"
    assert (scores[rows] >= 0).all() and (np.delete(scores, rows) < 0).all()


def test_without_playlists_it_keeps_the_hand_weights_and_says_why():
    kaggle = load_catalog(SAMPLES / "kaggle_dataset.csv")
    model = make_recommender("learned").fit(kaggle)
    assert model.ranker_ is None and "no playlists" in model.fallback_
    hybrid = make_recommender("hybrid").fit(kaggle)
    seeds = kaggle.tracks["track_id"].head(3).tolist()
    assert (model.recommend(seeds, k=15).recommendations["track_id"].tolist()
            == hybrid.recommend(seeds, k=15).recommendations["track_id"].tolist())


def test_the_same_state_gives_the_same_list(learned, catalog):
    again = make_recommender("learned").fit(catalog)
    seeds = [tid(s) for s in SEEDS]
    assert (again.recommend(seeds, k=25).recommendations["track_id"].tolist()
            == learned.recommend(seeds, k=25).recommendations["track_id"].tolist())


def test_why_names_only_shared_signals_that_raised_the_learned_score(learned, catalog):
    seeds = [tid(s) for s in SEEDS]
    hybrid = make_recommender("hybrid").fit(catalog)
    recs = learned.recommend(seeds, k=10, filters={"max_per_artist_per_page": None}).recommendations
    seed_pos, rec_pos = catalog.positions(seeds), catalog.positions(recs["track_id"].tolist())
    learned_says, hybrid_says = learned._signals(seed_pos, rec_pos), hybrid._signals(seed_pos, rec_pos)
    assert any(learned_says), "the seeds' group shares playlists and artists with them"
    for mine, theirs in zip(learned_says, hybrid_says):
        assert set(mine) <= set(theirs)
    shown = recs["why"].iloc[0].lower()
    assert learned_says[0] and learned_says[0][0].lower() in shown, (learned_says[0], shown)


def test_relative_features_place_a_candidate_among_this_querys_candidates(learned, catalog):
    seed_pos = catalog.positions([tid(s) for s in SEEDS])
    query = query_candidates(learned, seed_pos, 20)
    X = feature_columns(learned, query, query.rows, ALL_FEATURES)
    column = {name: X[:, i] for i, name in enumerate(ALL_FEATURES)}
    # The best hand candidate: nothing above it, and the best of every signal scores 1 of the best.
    assert column["hand_score_above"][0] == 0 and column["hand_rank"][0] == 0
    assert np.all(np.diff(column["hand_score_above"]) >= 0), "candidates come best first"
    for name in ("audio", "same_artist", "style"):
        best = int(np.argmax(column[name]))
        assert column[f"{name}_above"][best] == 0 and column[f"{name}_of_best"][best] == pytest.approx(1.0)
        worst = int(np.argmin(column[name]))
        assert column[f"{name}_above"][worst] == pytest.approx((column[name] > column[name][worst]).mean())
    # Artist concentration: how many of the best candidates share the track's first artist.
    primary = learned.index_.primary_artist[query.rows]
    assert column["artist_in_top"].tolist() == [float((primary == a).sum()) for a in primary]
    assert column["artist_in_top"][primary == primary[0]].min() > 1, "Big Artist owns half of the seeds' group"


def test_a_signal_left_out_lowers_the_hand_score_by_its_weighted_value(learned, catalog):
    seed_pos = catalog.positions([tid(s) for s in SEEDS])
    query = query_candidates(learned, seed_pos, 30)
    names = ALL_FEATURES
    X = feature_columns(learned, query, query.rows, names)
    without = feature_columns(learned, query, query.rows, names, without="same_artist")
    at = names.index
    weight = learned.weights_["same_artist"]
    assert (without[:, at("same_artist")] == 0).all() and (without[:, at("same_artist_of_best")] == 0).all()
    np.testing.assert_allclose(without[:, at("hand_score")],
                               X[:, at("hand_score")] - weight * X[:, at("same_artist")], rtol=1e-5, atol=1e-6)
    shared = X[:, at("same_artist")] > 0
    assert shared.any() and (without[shared, at("hand_rank")] >= X[shared, at("hand_rank")]).all()
    assert (without[:, at("audio")] == X[:, at("audio")]).all(), "the other signals stay"


@pytest.mark.parametrize("n_folds", [4, 3])
def test_a_fit_reports_each_fold_and_the_trees_in_order(catalog, n_folds):
    seen = []
    model = make_recommender("learned", n_folds=n_folds).fit(catalog, on_step=lambda *step: seen.append(step))
    folds = [f"Learning from the playlists: part {f} of {n_folds}" for f in range(1, n_folds + 1)]
    # The sound index is built only above the hybrid's candidate-mode size: not a step here.
    assert [what for _, _, what in seen] == [
        "Indexing the artists, albums, playlists and songs", "Scaling the audio features",
        "Linking the artists, albums and playlists", *folds, "Training the ranking trees", "Indexing the track IDs"]
    total = 5 + n_folds + 1
    assert {count for _, count, _ in seen} == {total} and [done for done, _, _ in seen] == [0, 1, 2, *range(4, total)]
    assert model.ranker_ is not None and "_fit_progress_" not in model.__dict__


def test_title_words_are_the_cosine_with_the_seeds_titles_and_no_signal_touches_them(learned, catalog):
    words = title_words(catalog)
    assert words.shape[0] == len(catalog.tracks)
    seed_pos = catalog.positions([tid("g0t04")])  # "Song g0 4"
    query = query_candidates(learned, seed_pos, 20)
    rows = catalog.positions([tid("g0t06"), tid("g1t06"), tid("g2t04")])  # any tracks, candidates or not
    at = ALL_FEATURES.index("title_words")
    X = feature_columns(learned, query, rows, ALL_FEATURES)
    # "song" and "g0" of three words each; "song" only; "song" and "4".
    np.testing.assert_allclose(X[:, at], [2 / 3, 1 / 3, 2 / 3], rtol=1e-6)
    for signal in ("same_artist", "audio"):
        without = feature_columns(learned, query, rows, ALL_FEATURES, without=signal)
        assert (without[:, at] == X[:, at]).all()
