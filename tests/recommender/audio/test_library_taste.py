"""The taste model on a music library: it learns from what the pretrained network heard."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recommender.catalog import load_catalog
from recommender.errors import ModelError
from recommender.taste import (
    SOUND_INPUTS,
    TasteModel,
    clean_playlist,
    evaluate,
    labels_from_catalog,
    model_settings,
    refit,
    train,
)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    from tests.support.taste_library import make_taste_library

    return load_catalog(make_taste_library(tmp_path_factory.mktemp("taste_library")))


def album_labels(library, liked: str = "Album A", disliked: str = "Album B") -> pd.DataFrame:
    tracks = library.tracks
    return pd.concat([labels_from_catalog(library, tracks.loc[tracks["album_name"] == liked, "track_id"], 1),
                      labels_from_catalog(library, tracks.loc[tracks["album_name"] == disliked, "track_id"], 0)],
                     ignore_index=True)


def test_a_library_model_learns_one_album_liked_and_the_other_disliked_on_held_out_tracks(library):
    labels = album_labels(library)
    assert len(labels) == 16
    model, report = train(labels, catalog=library)
    assert model.inputs == SOUND_INPUTS
    # the embedding's 400 numbers and the measured features, nothing Spotify-only
    assert sum(f.startswith("sound_") for f in report.features) == 400
    assert set(report.features) - {f for f in report.features if f.startswith("sound_")} == {
        "tempo", "loudness", "key", "mode", "duration_ms"}
    assert "not grouped" in report.cv  # the synthetic files name no artist
    # out-of-fold accuracy on 16 tracks: chance is 0.5
    assert report.accuracy >= 0.85 and report.roc_auc >= 0.9
    scored = model.score_catalog(library)
    albums = library.tracks.set_index("track_id").loc[scored["track_id"], "album_name"].to_numpy()
    assert (albums[:8] == "Album A").all()  # best first: the liked album


def test_the_labels_flipped_flip_the_model(library):
    model, report = train(album_labels(library, liked="Album B", disliked="Album A"), "logreg", catalog=library)
    scored = model.score_catalog(library).set_index("track_id")
    album = library.tracks.set_index("track_id")["album_name"]
    assert scored.loc[album[album == "Album B"].index, "like_probability"].min() > \
        scored.loc[album[album == "Album A"].index, "like_probability"].max()
    assert report.accuracy >= 0.85


def test_pca_is_fitted_inside_each_fold_on_its_training_rows_only(library):
    # 16 labels, 5 folds: 12 or 13 training rows, so at most 11 or 12 components; a PCA fitted on
    # all 16 rows once would keep 15
    taste = TasteModel("logreg", inputs=SOUND_INPUTS)
    labels = album_labels(library)
    from recommender.taste import choose_features, training_frame
    from recommender.taste.model import _training_data

    features = choose_features(labels, library)
    X, y, *_ = _training_data(training_frame(labels, SOUND_INPUTS, library), features)
    fitted = taste.make_estimator().fit(X.iloc[:12], y[:12])
    assert fitted.named_steps["inputs"].named_transformers_["sound"].named_steps["pca"].pca_.n_components_ == 11
    report = evaluate(labels, "logreg", catalog=library, importance=True)
    assert report.importance.empty  # not measured on 400 embedding numbers


def test_saved_settings_are_json_and_refit_the_same_model(library):
    labels = album_labels(library)
    model, _ = train(labels, "logreg", catalog=library)
    settings = json.loads(json.dumps(model_settings(model)))
    assert settings["inputs"] == "sound" and settings["sound_dim"] == 400
    again = refit(labels.sample(frac=1.0, random_state=3), settings, catalog=library)
    np.testing.assert_allclose(again.score_catalog(library)["like_probability"],
                               model.score_catalog(library)["like_probability"])


def test_the_downloaded_model_file_round_trips_and_records_its_inputs(library):
    model, _ = train(album_labels(library), "logreg", catalog=library)
    loaded = TasteModel.from_bytes(model.to_bytes(), catalog=library)
    assert loaded.inputs == SOUND_INPUTS
    np.testing.assert_allclose(loaded.score_catalog(library)["like_probability"],
                               model.score_catalog(library)["like_probability"])


def test_a_library_model_is_refused_on_a_catalog_without_sound_and_the_reverse(library, default_catalog):
    labels = album_labels(library)
    model, _ = train(labels, "logreg", catalog=library)
    small = default_catalog.subset(np.arange(len(default_catalog)) < 300)
    with pytest.raises(ModelError, match="how your music sounds to a pretrained network.*Load the music library"):
        refit(labels, model_settings(model), catalog=small)
    with pytest.raises(ModelError, match="no such analysis"):
        TasteModel.from_bytes(model.to_bytes(), catalog=small)
    with pytest.raises(ModelError, match="no such analysis"):
        clean_playlist(model, small.tracks[["track_id"]].head(5), catalog=small)

    spotify_labels = pd.concat([labels_from_catalog(small, small.tracks["track_id"][:15], 1),
                                labels_from_catalog(small, small.tracks["track_id"][15:30], 0)], ignore_index=True)
    spotify_model, _ = train(spotify_labels, "logreg", catalog=small)
    assert model_settings(spotify_model)["inputs"] == "audio_features"
    # settings stored before inputs were recorded mean Spotify's audio features
    old = {k: v for k, v in model_settings(spotify_model).items() if k not in ("inputs", "sound_model", "sound_dim")}
    assert refit(spotify_labels, old, catalog=small).inputs == "audio_features"
    with pytest.raises(ModelError, match="Spotify's audio features"):
        refit(spotify_labels, old, catalog=library)
    with pytest.raises(ModelError, match="Spotify's audio features.*Train a new model on this library"):
        refit(spotify_labels, model_settings(spotify_model), catalog=library)
    with pytest.raises(ModelError, match="Spotify's audio features"):
        TasteModel.from_bytes(spotify_model.to_bytes(), catalog=library)
    with pytest.raises(ModelError, match="Spotify's audio features"):
        clean_playlist(spotify_model, library.tracks[["track_id"]], catalog=library)


def test_cleaning_a_library_playlist_flags_the_disliked_album_and_leaves_unknown_tracks_unscored(library):
    model, _ = train(album_labels(library), "logreg", catalog=library)
    playlist = pd.DataFrame({"track_id": [*library.tracks["track_id"], "0000000000000000000000"]})
    result = clean_playlist(model, playlist, catalog=library)
    album = library.tracks["album_name"].to_numpy()
    assert result["flagged"].iloc[:16].tolist() == (album == "Album B").tolist()
    assert not result["scored"].iloc[16] and not result["flagged"].iloc[16]


def test_too_few_library_labels_say_how_many_are_needed(library):
    from recommender.errors import LabelError

    few = album_labels(library).groupby("label").head(3)
    with pytest.raises(LabelError, match="Only 6 labelled track.* of this music library.*at least 10"):
        train(few, catalog=library)
