"""``playlist2vec`` and ``als``: vectors learned from playlists, on a catalog where the answer is
known by construction.

Four groups of 12 tracks, each group in 6 playlists of its own. Sound is a trap: groups 0 and
2 sound alike, as do 1 and 3, so only the playlists can tell group 0 from group 2. Four more
tracks are in no playlist and sound exactly like group 0. Group 0 also holds the listener's
traps: two songs with a second version, and a "Big Artist" owning half the group.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from recommender.catalog import SoundData, load_catalog
from recommender.errors import ModelError
from recommender.recommenders import METHODS, PAGE_SIZE, RECOMMENDERS, make_recommender
from recommender.songs import song_title
from tests.support.paths import SAMPLES

NAMES = ["playlist2vec", "als"]
PER_GROUP = 12
BIG = "Big Artist"
# Sound centres (energy, danceability, valence, speechiness): 0 and 2 alike, 1 and 3 alike.
CENTRES = {0: (0.9, 0.3, 0.3, 0.05), 1: (0.3, 0.8, 0.8, 0.30), 2: (0.9, 0.3, 0.3, 0.05), 3: (0.3, 0.8, 0.8, 0.30)}
SEEDS = ["g0t00", "g0t04", "g0t05"]  # g0t01 is a version of g0t00; g0t03 of g0t02


def tid(name: str) -> str:
    return name.ljust(22, "x")


def _artist_and_title(g: int, i: int) -> tuple[str, str]:
    if g == 0 and i in (1, 3):  # other versions of tracks 0 and 2 (same first artist)
        return BIG, f"Song g0 {i - 1} - {'Remastered 2011' if i == 1 else 'Radio Edit'}"
    return (BIG if g == 0 and i % 2 == 0 else f"Artist g{g}-{i}"), f"Song g{g} {i}"


def _rows(track: str, artist: str, title: str, centre: tuple[float, ...], rng: np.random.Generator,
          playlists: list[str]) -> list[dict]:
    """One row per playlist of the track (the same features on each: one track)."""
    energy, dance, valence, speech = (v + rng.normal(0, 0.01) for v in centre)
    return [{
        "track_id": tid(track), "track_name": title, "track_artist": artist, "track_popularity": 50,
        "track_album_id": tid(f"al-{track}"), "track_album_name": f"album of {track}",
        "track_album_release_date": "2001-01-01",
        "playlist_id": tid(playlist) if playlist else None, "playlist_name": playlist,
        "playlist_genre": "pop" if playlist else None, "playlist_subgenre": None,
        "danceability": dance, "energy": energy, "key": 5, "loudness": -7.0, "mode": 1,
        "speechiness": abs(speech), "acousticness": 0.1, "instrumentalness": 0.0, "liveness": 0.1,
        "valence": valence, "tempo": 120.0, "duration_ms": 200_000,
    } for playlist in playlists or [None]]


def playlist_frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g, centre in CENTRES.items():
        members: dict[int, list[str]] = {i: [] for i in range(PER_GROUP)}
        for p in range(6):
            for i in rng.choice(PER_GROUP, size=8, replace=False).tolist():
                members[i].append(f"pl{g}-{p}")
        for i in range(PER_GROUP):
            artist, title = _artist_and_title(g, i)
            assert members[i], "every group track is in a playlist"
            rows += _rows(f"g{g}t{i:02d}", artist, title, centre, rng, members[i])
    for i in range(4):
        rows += _rows(f"cold{i}", f"Loner {i}", f"Lone song {i}", CENTRES[0], rng, [])
    return pd.DataFrame(rows)


def group(track_id: str) -> str:
    return track_id[:2] if track_id.startswith("g") else "cold"


@pytest.fixture(scope="module")
def catalog():
    buffer = io.StringIO()
    playlist_frame().to_csv(buffer, index=False)
    return load_catalog(buffer.getvalue().encode(), name="playlist groups")


def _fit(name: str, catalog, **params):
    if name == "als":
        params.setdefault("num_threads", 1)  # the tests share two cores
    else:
        # Word2Vec's down-sampling of frequent words (the default, tuned on the real catalog)
        # would drop nearly every occurrence in a 52-track vocabulary.
        params.setdefault("sample", 0.0)
    return make_recommender(name, **params).fit(catalog)


@pytest.fixture(scope="module")
def fitted(catalog):
    return {name: _fit(name, catalog) for name in NAMES}


def test_registered_for_evaluation_but_not_offered_on_the_pages():
    assert {"playlist2vec", "als"} <= set(RECOMMENDERS)
    assert not {"playlist2vec", "als"} & set(METHODS)


@pytest.mark.parametrize("name", NAMES)
def test_tracks_sharing_playlists_with_the_seeds_come_first(fitted, catalog, name):
    seeds = [tid(s) for s in SEEDS]
    recs = fitted[name].recommend(seeds, k=30, filters={"max_per_artist_per_page": None}).recommendations
    # group 0 has 12 tracks: 3 seeds, 1 version of a seed, 8 others (one of them a version
    # of another: one of the two is shown) -> 7 group-0 tracks, and they lead the tracks
    # with playlists, above group 2, which sounds the same but shares no playlist with the
    # seeds. (Tracks in no playlist are ranked by sound among them: the next test.)
    playlisted = recs[recs["track_id"].map(group) != "cold"]
    assert [group(t) for t in playlisted["track_id"].iloc[:7]] == ["g0"] * 7, playlisted["track_id"].tolist()
    assert "g0" not in set(playlisted["track_id"].iloc[7:].map(group))
    first = playlisted["why"].iloc[0]
    assert first.lower().startswith(fitted[name].says[1])
    # with no weight on sound for tracks in no playlist, the 7 lead the whole list
    strict = _fit(name, catalog, cold_weight=0.0).recommend(seeds, k=7, filters={"max_per_artist_per_page": None})
    assert [group(t) for t in strict.recommendations["track_id"]] == ["g0"] * 7
    # the sound trap: `similar` cannot tell the two groups apart
    similar = make_recommender("similar").fit(catalog).recommend(seeds, k=7, filters={"max_per_artist_per_page": None})
    assert {group(t) for t in similar.recommendations["track_id"]} >= {"g0", "g2"}


@pytest.mark.parametrize("name", NAMES)
def test_tracks_in_no_playlist_fall_back_to_sound_and_say_so(fitted, name):
    recs = fitted[name].recommend([tid(s) for s in SEEDS], k=40).recommendations
    cold = recs[recs["track_id"].map(group) == "cold"]
    assert len(cold) == 4  # they sound like the seeds: in the list, ranked by sound
    assert cold["why"].str.lower().str.contains("in no playlist here, so matched by sound alone").all()
    warm = recs[recs["track_id"].map(group) != "cold"]
    assert not warm["why"].str.contains("matched by sound alone").any()


@pytest.mark.parametrize("name", NAMES)
def test_a_seed_in_no_playlist_is_stood_in_for_by_the_tracks_that_sound_like_it(fitted, name):
    recs = fitted[name].recommend([tid("cold0")], k=10, filters={"max_per_artist_per_page": None}).recommendations
    playlisted = recs[recs["track_id"].map(group) != "cold"]
    assert len(playlisted) >= 5
    # the stand-ins sound like group 0 (and its twin, group 2): never the other sound
    assert set(playlisted["track_id"].map(group)) <= {"g0", "g2"}
    assert playlisted["why"].str.contains("'Lone song 0' is in no playlist here, so the songs that sound "
                                          "most like it stood in", regex=False).all()


@pytest.mark.parametrize("name", NAMES)
def test_the_listener_rules_hold(fitted, catalog, name):
    seeds = [tid(s) for s in SEEDS]
    result = fitted[name].recommend(seeds, k=30)
    recs = result.recommendations
    ids = recs["track_id"].tolist()
    assert tid("g0t01") not in ids  # a version of the seed g0t00
    assert not {tid("g0t02"), tid("g0t03")} <= set(ids)  # one song, shown once
    titles = catalog.tracks.set_index("track_id").loc[ids, "track_name"].map(song_title)
    assert titles.is_unique
    assert any("1 other version of your seed songs" in note for note in result.notes), result.notes
    for page in range(0, len(recs), PAGE_SIZE):
        assert (recs["artists"].iloc[page:page + PAGE_SIZE] == BIG).sum() <= 2
    # without the cap, the Big Artist's co-playlisted tracks would crowd the first page
    free = fitted[name].recommend(seeds, k=10, filters={"max_per_artist_per_page": None}).recommendations
    assert (free["artists"] == BIG).sum() > 2


@pytest.mark.parametrize("name", NAMES)
def test_the_same_state_gives_the_same_list_and_another_may_not(fitted, catalog, name):
    again = _fit(name, catalog, random_state=0)
    seeds = [tid(s) for s in SEEDS]
    a = fitted[name].recommend(seeds, k=25).recommendations
    b = again.recommend(seeds, k=25).recommendations
    assert a["track_id"].tolist() == b["track_id"].tolist()
    np.testing.assert_array_equal(fitted[name].vectors_, again.vectors_)
    other = _fit(name, catalog, random_state=7)
    assert not np.array_equal(fitted[name].vectors_, other.vectors_)


def test_als_mean_factor_query_also_finds_the_group(catalog):
    model = _fit("als", catalog, query="mean")  # the default is "pseudo_playlist"
    recs = model.recommend([tid(s) for s in SEEDS], k=30, filters={"max_per_artist_per_page": None}).recommendations
    playlisted = recs[recs["track_id"].map(group) != "cold"]
    assert [group(t) for t in playlisted["track_id"].iloc[:7]] == ["g0"] * 7
    with pytest.raises(ValueError, match="query"):
        _fit("als", catalog, query="nearest")


@pytest.mark.parametrize("name", NAMES)
def test_a_catalog_without_playlists_is_refused_naming_what_to_use(name):
    kaggle = load_catalog(SAMPLES / "kaggle_dataset.csv")
    assert kaggle.summary()["playlists"] == 0
    with pytest.raises(ModelError, match=r"has no playlists.*Use 'hybrid'"):
        _fit(name, kaggle)
    # an audio library (music files: sound, no playlists) is sent to the sound method
    kaggle.sound = SoundData(
        np.random.default_rng(0).normal(size=(len(kaggle), 4)).astype(np.float32),
        np.zeros((len(kaggle), 1), dtype=np.float32), ("msd:rock",), "test",
    )
    with pytest.raises(ModelError, match="Use 'sound'"):
        _fit(name, kaggle)


@pytest.mark.parametrize("name", NAMES)
def test_playlists_of_one_track_teach_nothing_and_are_refused(name):
    frame = playlist_frame()
    frame = frame.drop_duplicates("track_id").assign(playlist_id=lambda f: f["track_id"])  # one each
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    lonely = load_catalog(buffer.getvalue().encode(), name="lonely")
    with pytest.raises(ModelError, match="no playlist of lonely holds two of its tracks"):
        _fit(name, lonely)
