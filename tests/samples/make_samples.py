"""Regenerate the small sample files in this folder from the default catalog's real rows.

Every value comes from ``data/spotify_songs.csv.gz`` (TidyTuesday 2020-01-21); only the
layout changes: headers, how artists are joined, how key/mode/time signature are written.
The choice of rows is fixed (a seeded pick plus named tracks), so running this again gives
byte-identical files::

    .venv/bin/python tests/samples/make_samples.py
"""
from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent.parent / "data" / "spotify_songs.csv.gz"

# Tracks the tests name (all real rows of the default catalog).
IN_THREE_PLAYLISTS = "1z1Hg7Vb0AhHDiEmnDE79l"  # 3 playlists: 1 pop, 2 edm
PITCHES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
FEATURES = [
    "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
    "instrumentalness", "liveness", "valence", "tempo",
]


def _pick(songs: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` distinct tracks (first row of each), chosen reproducibly, named rows excluded."""
    firsts = songs.drop_duplicates("track_id")
    firsts = firsts[firsts["track_name"].notna() & firsts["track_artist"].notna()]
    return firsts.sample(n=n, random_state=seed).sort_index()


def _artist_pairs(tracks: pd.DataFrame, seed: int) -> list[list[str]]:
    """A real second artist for every other track (a name from another real row)."""
    rng = np.random.default_rng(seed)
    pool = sorted(set(tracks["track_artist"]))
    out = []
    for i, artist in enumerate(tracks["track_artist"]):
        if i % 2:
            other = pool[int(rng.integers(len(pool)))]
            out.append([artist, other] if other != artist else [artist])
        else:
            out.append([artist])
    return out


def _write_csv(frame: pd.DataFrame, name: str, *, index: bool = False) -> None:
    text = frame.to_csv(index=index, lineterminator="\n")
    (HERE / name).write_text(text, encoding="utf-8")


def tidytuesday(songs: pd.DataFrame) -> pd.DataFrame:
    """A few dozen rows in the original layout, incl. every row of a 3-playlist track."""
    three = songs[songs["track_id"] == IN_THREE_PLAYLISTS]
    apostrophe = songs[songs["track_artist"] == "Why Don't We"].head(1)
    rest = _pick(songs[~songs["track_id"].isin([IN_THREE_PLAYLISTS, *apostrophe["track_id"]])], 33, 1)
    return pd.concat([three, apostrophe, rest]).sort_index()


def kaggle_dataset(songs: pd.DataFrame) -> pd.DataFrame:
    """Kaggle "Spotify Tracks Dataset" dataset.csv: unnamed index, ';'-joined artists."""
    picked = _pick(songs, 30, 2)
    # The Kaggle file repeats a track under each track_genre it was gathered for.
    again = picked.iloc[[0]].assign(playlist_genre="dance")
    picked = pd.concat([picked, again]).reset_index(drop=True)
    artists = _artist_pairs(picked, 2)
    out = pd.DataFrame(
        {
            "track_id": picked["track_id"],
            "artists": [";".join(a) for a in artists],
            "album_name": picked["track_album_name"],
            "track_name": picked["track_name"],
            "popularity": picked["track_popularity"],
            "duration_ms": picked["duration_ms"],
            "explicit": [bool(i % 3 == 0) for i in range(len(picked))],
            **{f: picked[f] for f in FEATURES[:4]},
            "mode": picked["mode"],
            **{f: picked[f] for f in FEATURES[5:]},
            "time_signature": 4,
            "track_genre": picked["playlist_genre"],
        }
    ).reset_index(drop=True)
    out = out[[
        "track_id", "artists", "album_name", "track_name", "popularity", "duration_ms", "explicit",
        "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
        "instrumentalness", "liveness", "valence", "tempo", "time_signature", "track_genre",
    ]]
    out.index.name = ""
    return out


def spotify_features(songs: pd.DataFrame) -> pd.DataFrame:
    """Kaggle SpotifyFeatures.csv: pitch-name keys, Major/Minor, '4/4'."""
    picked = _pick(songs, 30, 3)
    return pd.DataFrame(
        {
            "genre": picked["playlist_genre"].str.title(),
            "artist_name": picked["track_artist"],
            "track_name": picked["track_name"],
            "track_id": picked["track_id"],
            "popularity": picked["track_popularity"],
            "acousticness": picked["acousticness"],
            "danceability": picked["danceability"],
            "duration_ms": picked["duration_ms"],
            "energy": picked["energy"],
            "instrumentalness": picked["instrumentalness"],
            "key": [PITCHES[int(k)] for k in picked["key"]],
            "liveness": picked["liveness"],
            "loudness": picked["loudness"],
            "mode": np.where(picked["mode"] == 1, "Major", "Minor"),
            "speechiness": picked["speechiness"],
            "tempo": picked["tempo"],
            "time_signature": ["3/4" if i == 0 else "4/4" for i in range(len(picked))],
            "valence": picked["valence"],
        }
    )


def _python_list(names: list[str]) -> str:
    return repr(list(names))  # "['A', 'B']"; a name with an apostrophe gets double quotes


def tracks_600k(songs: pd.DataFrame) -> pd.DataFrame:
    """Kaggle 600k tracks.csv: artists as a Python list string."""
    apostrophe = songs[songs["track_artist"] == "Gigi D'Agostino"].head(1)
    picked = pd.concat([apostrophe, _pick(songs[~songs["track_id"].isin(apostrophe["track_id"])], 29, 4)])
    artists = _artist_pairs(picked, 4)
    artists[0] = ["Gigi D'Agostino", "Luca Noise"]
    return pd.DataFrame(
        {
            "id": picked["track_id"],
            "name": picked["track_name"],
            "popularity": picked["track_popularity"],
            "duration_ms": picked["duration_ms"],
            "explicit": [i % 4 == 1 for i in range(len(picked))],
            "artists": [_python_list(a) for a in artists],
            "id_artists": ["['" + "', '".join("0" * 22 for _ in a) + "']" for a in artists],
            "release_date": picked["track_album_release_date"],
            **{f: picked[f] for f in FEATURES},
            "time_signature": 4,
        }
    ).astype({"explicit": int})


def tracks_features_1m(songs: pd.DataFrame) -> pd.DataFrame:
    """Kaggle 1.2M tracks_features.csv: no popularity column."""
    picked = _pick(songs, 30, 5)
    artists = _artist_pairs(picked, 5)
    year = picked["track_album_release_date"].str[:4].astype(int)
    return pd.DataFrame(
        {
            "id": picked["track_id"],
            "name": picked["track_name"],
            "album": picked["track_album_name"],
            "album_id": picked["track_album_id"],
            "artists": [_python_list(a) for a in artists],
            "artist_ids": ["['" + "', '".join("0" * 22 for _ in a) + "']" for a in artists],
            "track_number": 1,
            "disc_number": 1,
            "explicit": False,
            **{f: picked[f] for f in FEATURES[:10]},
            "tempo": picked["tempo"],
            "duration_ms": picked["duration_ms"],
            "time_signature": 4.0,
            "year": year,
            "release_date": picked["track_album_release_date"],
        }
    )


def exportify_with_features(songs: pd.DataFrame) -> pd.DataFrame:
    """The classic Exportify export (Artist URI(s), Album URI, ..., features filled)."""
    picked = _pick(songs, 25, 6)
    artists = _artist_pairs(picked, 6)
    return pd.DataFrame(
        {
            "Track URI": "spotify:track:" + picked["track_id"],
            "Track Name": picked["track_name"],
            "Artist URI(s)": [",".join(f"spotify:artist:{'0' * 22}" for _ in a) for a in artists],
            "Artist Name(s)": [",".join(a) for a in artists],
            "Album URI": "spotify:album:" + picked["track_album_id"],
            "Album Name": picked["track_album_name"],
            "Album Artist URI(s)": f"spotify:artist:{'0' * 22}",
            "Album Artist Name(s)": picked["track_artist"],
            "Album Release Date": picked["track_album_release_date"],
            "Album Image URL": "",
            "Disc Number": 1,
            "Track Number": 1,
            "Track Duration (ms)": picked["duration_ms"],
            "Track Preview URL": "",
            "Explicit": "false",
            "Popularity": picked["track_popularity"],
            "ISRC": "",
            "Added By": "spotify:user:tastemap",
            "Added At": "2024-01-02T03:04:05Z",
            "Artist Genres": picked["playlist_subgenre"] + "," + picked["playlist_genre"],
            "Danceability": picked["danceability"],
            "Energy": picked["energy"],
            "Key": picked["key"],
            "Loudness": picked["loudness"],
            "Mode": picked["mode"],
            "Speechiness": picked["speechiness"],
            "Acousticness": picked["acousticness"],
            "Instrumentalness": picked["instrumentalness"],
            "Liveness": picked["liveness"],
            "Valence": picked["valence"],
            "Tempo": picked["tempo"],
            "Time Signature": 4,
            "Album Genres": "",
            "Label": "",
            "Copyrights": "",
        }
    )


def exportify_no_features(songs: pd.DataFrame) -> pd.DataFrame:
    """The newer Exportify export, after Nov 2024: feature columns present but empty."""
    picked = _pick(songs, 20, 7)
    artists = _artist_pairs(picked, 7)
    empty = {c: "" for c in (
        "Danceability", "Energy", "Key", "Loudness", "Mode", "Speechiness", "Acousticness",
        "Instrumentalness", "Liveness", "Valence", "Tempo", "Time Signature",
    )}
    return pd.DataFrame(
        {
            "Track URI": "spotify:track:" + picked["track_id"],
            "Track Name": picked["track_name"],
            "Album Name": picked["track_album_name"],
            "Artist Name(s)": [",".join(a) for a in artists],
            "Release Date": picked["track_album_release_date"],
            "Duration (ms)": picked["duration_ms"],
            "Popularity": picked["track_popularity"],
            "Explicit": "false",
            "Added By": "",
            "Added At": "2025-01-02T03:04:05Z",
            "Genres": picked["playlist_subgenre"] + "," + picked["playlist_genre"],
            "Record Label": "",
            **empty,
        }
    )


def four_features(songs: pd.DataFrame) -> pd.DataFrame:
    """A playlist dump with only four audio features (no key, mode, loudness, duration, ...):
    300 tracks of every genre, each with all its playlist rows (so some rows repeat a track)."""
    picked = _pick(songs, 300, 4)
    rows = songs[songs["track_id"].isin(picked["track_id"])]
    columns = ["track_id", "track_name", "track_artist", "track_popularity", "playlist_id", "playlist_name",
               "playlist_genre", "danceability", "energy", "tempo", "valence"]
    return rows[columns]


def main() -> None:
    songs = pd.read_csv(SOURCE, dtype={"track_album_release_date": str})
    _write_csv(tidytuesday(songs), "tidytuesday_spotify_songs.csv")
    _write_csv(kaggle_dataset(songs), "kaggle_dataset.csv", index=True)
    _write_csv(spotify_features(songs), "SpotifyFeatures.csv")
    _write_csv(tracks_600k(songs), "tracks_600k.csv")
    _write_csv(tracks_features_1m(songs), "tracks_features_1m.csv")
    _write_csv(exportify_with_features(songs), "exportify_with_features.csv")
    _write_csv(exportify_no_features(songs), "exportify_no_features.csv")
    _write_csv(four_features(songs), "four_features.csv")

    # Compressed and Parquet variants of the default layout (same rows as the CSV sample).
    tidy = tidytuesday(songs)
    buffer = io.BytesIO()
    # mtime=0 and no file name keep the .gz bytes identical from run to run.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as fh:
        fh.write(tidy.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    (HERE / "tidytuesday_spotify_songs.csv.gz").write_bytes(buffer.getvalue())
    tidy.reset_index(drop=True).to_parquet(
        HERE / "tidytuesday_spotify_songs.parquet", index=False, compression="zstd"
    )
    for path in sorted(HERE.iterdir()):
        if path.suffix != ".py":
            print(f"{path.name:<40} {path.stat().st_size:>7,} bytes")


if __name__ == "__main__":
    main()
