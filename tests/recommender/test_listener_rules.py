"""What a listener rejects at a glance: seed songs back, one song twice, one artist everywhere.

A small catalog is built where the traps are known by construction: one seed song has two
other versions (a remaster and a remix), two tracks are versions of one other song, and one
artist ("Queen-like") owns 30 near-identical tracks, so without the rules every list would
repeat it. The real default catalog checks the cases the first-look review found.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from recommender.catalog import load_catalog
from recommender.recommenders import METHODS, PAGE_SIZE, RECOMMENDERS, make_recommender
from recommender.songs import song_codes, song_title

BIG = "Big Artist"
SEED = "s".ljust(22, "0")


def _tid(name: str, i: int) -> str:
    return f"{name}{i:03d}".ljust(22, "0")


def _row(track_id: str, title: str, artist: str, energy: float, genre: str = "rock",
         popularity: float = 50.0) -> dict:
    return {
        "track_id": track_id, "track_name": title, "track_artist": artist,
        "track_popularity": popularity, "track_album_id": f"alb-{artist}".ljust(22, "a")[:22],
        "track_album_name": f"{artist} album", "track_album_release_date": "1975-10-31",
        "playlist_id": f"pl-{genre}".ljust(22, "p"), "playlist_name": genre, "playlist_genre": genre,
        "playlist_subgenre": f"{genre} classics",
        "danceability": 0.4, "energy": energy, "key": 5, "loudness": -8.0, "mode": 1,
        "speechiness": 0.05, "acousticness": 0.2, "instrumentalness": 0.0, "liveness": 0.2,
        "valence": 0.3, "tempo": 120.0, "duration_ms": 300000,
    }


@pytest.fixture(scope="module")
def trap_catalog():
    rows = [
        _row(SEED, "Rhapsody - 2011 Mix", BIG, 0.50),
        _row(_tid("v", 1), "Rhapsody - Remastered 2011", BIG, 0.50),
        _row(_tid("v", 2), "Rhapsody (feat. Someone) - Club Remix", BIG, 0.51),
        _row(_tid("d", 1), "Other Song", "Band B", 0.52),
        _row(_tid("d", 2), "Other Song - Radio Edit", "Band B", 0.52),
    ]
    rows += [_row(_tid("q", i), f"Big song {i}", BIG, 0.50 + 0.001 * i) for i in range(30)]
    # Other artists, further away in sound (and a second genre, for the filter tests).
    rows += [_row(_tid("o", i), f"Far song {i}", f"Artist {i}", 0.60 + 0.01 * i,
                  genre="pop" if i % 2 else "rock", popularity=20 + i) for i in range(30)]
    buffer = io.StringIO()
    pd.DataFrame(rows).to_csv(buffer, index=False)
    catalog = load_catalog(buffer.getvalue().encode(), name="traps")
    # Also an audio library: embeddings that follow the energy (the versions sound alike), so
    # the sound method meets the same traps.
    from recommender.catalog import SoundData

    energy = catalog.tracks["energy"].to_numpy(dtype=np.float32)
    embeddings = np.column_stack([energy, np.sin(8 * energy), np.cos(8 * energy), energy ** 2]).astype(np.float32)
    tags = np.random.default_rng(0).uniform(0, 1, (len(catalog), 3)).astype(np.float32)
    catalog.sound = SoundData(embeddings, tags, ("mtt:guitar", "mtt:slow", "msd:rock"), "test")
    return catalog


@pytest.fixture(scope="module")
def trap_models(trap_catalog):
    return {name: make_recommender(name, **({"n_clusters": 2} if name == "cluster" else {})).fit(trap_catalog)
            for name in RECOMMENDERS}


# ----------------------------------------------------------------------------- song identity
@pytest.mark.parametrize("title, song", [
    ("Bohemian Rhapsody - Remastered 2011", "bohemian rhapsody"),
    ("Bohemian Rhapsody - 2011 Mix", "bohemian rhapsody"),
    ("Stairway to Heaven - Remaster", "stairway to heaven"),
    ("Poker Face (Radio Edit)", "poker face"),
    ("Summer Days (feat. Macklemore) - Tiësto Remix", "summer days"),
    ("I Don't Care (with Justin Bieber)", "i don t care"),
    ("Dancing Queen - Live at Wembley", "dancing queen"),
    ("Yesterday - Mono", "yesterday"),
    ("Señorita", "senorita"),
    ("(I Can't Get No) Satisfaction", "i can t get no satisfaction"),  # not a version mark
    ("Tusa - Pt. 2", "tusa pt 2"),
    ("Live", "live"),  # a title that is only a version word keeps it
])
def test_version_marks_are_set_aside(title, song):
    assert song_title(title) == song


def test_same_song_needs_the_same_first_artist():
    codes = song_codes(pd.Series(["Hello", "Hello - Remastered", "Hello", None]),
                       pd.Series(["Adele", "Adele", "Lionel Richie", "Adele"]))
    assert codes[0] == codes[1] != codes[2]
    assert codes[3] not in codes[:3]  # no title: a song of its own


# ----------------------------------------------------------------------------- the rules
@pytest.mark.parametrize("name", ["hybrid", "similar", "cluster", "popular", "random"])
def test_no_version_of_a_seed_and_no_song_twice(trap_models, trap_catalog, name):
    result = trap_models[name].recommend([SEED], k=40)
    ids = result.recommendations["track_id"].tolist()
    assert not {SEED, _tid("v", 1), _tid("v", 2)} & set(ids)
    songs = trap_catalog.tracks.set_index("track_id").loc[ids, "track_name"].map(song_title)
    assert songs.is_unique
    assert any("2 other versions of your seed songs" in note for note in result.notes)


def test_versions_come_back_when_asked(trap_models):
    ids = trap_models["similar"].recommend(
        [SEED], k=40, filters={"include_versions": True, "max_per_artist_per_page": None}).recommendations
    assert {_tid("v", 1), _tid("v", 2)} <= set(ids["track_id"])


@pytest.mark.parametrize("name", ["hybrid", "similar"])
def test_the_artist_cap_holds_on_every_page(trap_models, trap_catalog, name):
    # 30 tracks of the seed's artist sound closest: the pool must grow past them.
    recs = trap_models[name].recommend([SEED], k=30).recommendations
    assert len(recs) == 30
    for page in range(0, 30, PAGE_SIZE):
        artists = recs["artists"].iloc[page:page + PAGE_SIZE]
        assert artists.value_counts().max() <= 2, artists.tolist()


def test_an_impossible_cap_is_said(trap_models):
    # Only the big artist's tracks have energy <= 0.55: the pages cannot hold the cap.
    result = trap_models["similar"].recommend([SEED], k=10, filters={"max_energy": 0.55})
    assert len(result) == 10
    assert any("Only 2 artists can fill this list" in note for note in result.notes), result.notes


def test_leaving_out_the_seed_artist(trap_models):
    recs = trap_models["hybrid"].recommend([SEED], k=10, filters={"exclude_seed_artists": True}).recommendations
    assert BIG not in set(recs["artists"])


def test_a_filter_that_changed_nothing_is_said(trap_models):
    # Every track has popularity >= 20: the range 10-100 cannot change the list.
    result = trap_models["popular"].recommend(None, k=10, filters={"min_popularity": 10, "max_popularity": 100})
    assert any("popularity 10/100 to 100/100" in note and "changed nothing" in note for note in result.notes)
    changed = trap_models["popular"].recommend(None, k=10, filters={"min_popularity": 45})
    assert not any("changed nothing" in note for note in changed.notes)


@pytest.mark.parametrize("name", list(RECOMMENDERS))
def test_match_is_0_to_100_and_never_rises(trap_models, name):
    recs = trap_models[name].recommend([SEED], k=20).recommendations
    match = recs["match"]
    if name == "random":
        assert match.isna().all()
        return
    values = match.to_numpy(dtype=float)
    assert ((values >= 0) & (values <= 100)).all()
    assert (np.diff(values) <= 0).all()
    assert recs["rank"].tolist() == list(range(1, len(recs) + 1))


def test_a_target_is_named_in_the_why(trap_models):
    recs = trap_models["hybrid"].recommend([SEED], k=5, filters={"target_energy": 0.8}).recommendations
    assert recs["why"].str.startswith("Energy ").all()
    assert recs["why"].str.contains(r"\(your target: 80%\)").all()


# ----------------------------------------------------------------------------- the real catalog
SPOTIFY_METHODS = [m for m in METHODS if not RECOMMENDERS[m].requires_sound]  # no audio in it

@pytest.fixture(scope="module")
def real_models(default_catalog):
    return {name: make_recommender(name).fit(default_catalog) for name in SPOTIFY_METHODS}


def _ids_by_title(catalog, title: str, artist: str) -> list[str]:
    t = catalog.tracks
    return t.loc[(t["track_name"] == title) & (t["artists"] == artist), "track_id"].tolist()


@pytest.mark.parametrize("name", SPOTIFY_METHODS)
def test_bohemian_rhapsody_seed_gets_no_version_and_varied_artists(real_models, default_catalog, name):
    seed = _ids_by_title(default_catalog, "Bohemian Rhapsody - 2011 Mix", "Queen")[:1]
    assert seed
    recs = real_models[name].recommend(seed, k=20).recommendations
    titles = recs["track_name"].map(song_title)
    assert "bohemian rhapsody" not in set(titles)
    assert not recs.assign(song=titles).duplicated(["artists", "song"]).any()
    for page in (recs.iloc[:10], recs.iloc[10:]):
        assert page["artists"].value_counts().max() <= 2


def test_listener_checks_count_what_a_listener_sees(trap_catalog):
    from recommender.evaluation import listener_checks

    bad = [_tid("v", 1), _tid("d", 1), _tid("d", 2), *(_tid("q", i) for i in range(3))]
    assert listener_checks(trap_catalog, [SEED], bad) == {
        "lists_with_seed_version": 1, "lists_with_repeated_song": 1, "pages_over_artist_cap": 1}
    good = [_tid("d", 1), _tid("q", 0), _tid("o", 1)]
    assert listener_checks(trap_catalog, [SEED], good) == {
        "lists_with_seed_version": 0, "lists_with_repeated_song": 0, "pages_over_artist_cap": 0}
