"""A scanned folder becomes a catalog like any other, and the 'sound' method works on it."""
from __future__ import annotations

import numpy as np
import pytest

from recommender.audio.analysis import track_id_for
from recommender.audio.musicnn import TAG_COLUMNS
from recommender.catalog import load_catalog
from recommender.errors import CatalogError
from recommender.recommenders import make_recommender


@pytest.fixture(scope="module")
def library(audio_library):
    return load_catalog(audio_library[1])


def test_library_loads_with_measured_features_sound_and_paths(library):
    assert library.report.layout == "tastemap_audio_library"
    assert len(library) == 8 and library.has_sound and library.has_features
    assert set(library.feature_names) == {"duration_ms", "key", "loudness", "mode", "tempo"}
    assert library.sound.embeddings.shape == (8, 400) and library.sound.tags.shape == (8, len(TAG_COLUMNS))
    assert sorted(library.tracks["album_name"].unique()) == ["Album A", "Album B"]
    assert library.tracks["file_path"].str.endswith((".ogg", ".flac", ".mp3", ".wav")).all()
    # the stable ID is the relative path's
    first = library.tracks.iloc[0]
    assert first["track_id"] == track_id_for(first["file_path"])
    assert (library.tracks["duration_ms"].between(8_900, 9_100)).all()


def test_sound_method_finds_the_same_album_first_and_explains_with_shared_tags(library):
    rec = make_recommender("sound").fit(library)
    albums = library.tracks["album_name"].to_numpy()
    hits = 0
    for pos in range(len(library)):
        result = rec.recommend([library.tracks["track_id"].iloc[pos]], k=3)
        top = result.recommendations
        assert library.tracks["track_id"].iloc[pos] not in set(top["track_id"])
        assert top["why"].str.startswith("Sounds like your seed").all()
        hits += int(albums[library.positions(top["track_id"])].tolist().count(albums[pos]))
    # 3 neighbours each, 3 others in the same album: a random list would hit ~1.3 of 3
    assert hits / (3 * len(library)) >= 0.6


def test_sound_method_on_a_catalog_without_audio_says_what_to_do(default_catalog):
    with pytest.raises(CatalogError, match="Scan a folder of music files"):
        make_recommender("sound").fit(default_catalog.subset(np.arange(len(default_catalog)) < 500))


def test_library_survives_subset_and_pickle(library):
    import pickle

    sub = library.subset(library.tracks["album_name"].eq("Album B").to_numpy())
    assert len(sub) == 4 and sub.has_sound and sub.sound.embeddings.shape == (4, 400)
    again = pickle.loads(pickle.dumps(library))
    assert again.content_hash == library.content_hash and np.array_equal(again.sound.tags, library.sound.tags)


def test_tag_filter_keeps_only_tracks_with_the_tag_and_names_unknown_tags(library):
    from recommender.errors import FilterError
    from recommender.tag_words import TAG_HEARD_AT, plain_tags

    rec = make_recommender("sound").fit(library)
    words, matrix = plain_tags(library.sound.tag_names, library.sound.tags)
    strongest = words[int(np.argmax(matrix.mean(axis=0)))]
    seed = library.tracks["track_id"].iloc[0]
    result = rec.recommend([seed], k=7, filters={"include_tags": [strongest]})
    kept = matrix[library.positions(result.recommendations["track_id"]), words.index(strongest)]
    assert len(kept) and (kept >= TAG_HEARD_AT).all()
    assert len(result.recommendations) == int((matrix[1:, words.index(strongest)] >= TAG_HEARD_AT).sum())
    with pytest.raises(FilterError, match="not one the network knows"):
        rec.recommend([seed], filters={"include_tags": ["bagpipes"]})


def test_audio_file_plays_only_files_inside_the_library_folder(library, audio_library, tmp_path):
    from recommender.audio.playback import audio_file

    first = library.tracks.iloc[0]
    found = audio_file(library, first["track_id"])
    assert found is not None and found == (audio_library[0] / first["file_path"]).resolve()
    assert audio_file(library, "0" * 22) is None
    outside = tmp_path / "secret.mp3"
    outside.write_bytes(b"x")
    escaped = library.subset(np.arange(len(library)) == 0)
    escaped.tracks.loc[0, "file_path"] = "../" * 12 + str(outside).lstrip("/")
    assert audio_file(escaped, first["track_id"]) is None


def test_sound_match_is_the_share_of_library_pairs_that_sound_less_alike(library):
    rec = make_recommender("sound").fit(library)
    result = rec.recommend([library.tracks["track_id"].iloc[0]], k=7).recommendations
    match = result["match"].to_numpy(dtype=float)
    assert (np.diff(match) <= 0).all()  # never rises down the list
    # 28 pairs; the best neighbour (same album) is closer than most pairs, the last (other album) than few
    assert match[0] >= 60 and match[-1] <= 50
