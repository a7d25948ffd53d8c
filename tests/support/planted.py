"""A small planted-cluster catalog where the right answers are known by construction.

Three groups of 12 tracks (rock / pop / rap), far apart in audio space; each group has 3
artists and its own playlist (plus one shared "mix" playlist of two tracks per group).
Group g's tracks have IDs ``g{g}t{i:02d}`` padded to 22 characters.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from recommender.catalog import Catalog, load_catalog

GROUPS = {0: "rock", 1: "pop", 2: "rap"}
PER_GROUP = 12
# Audio centres per group: (energy, danceability, acousticness, valence, speechiness, tempo)
CENTRES = {
    0: (0.9, 0.3, 0.05, 0.3, 0.05, 150.0),
    1: (0.5, 0.8, 0.30, 0.8, 0.05, 110.0),
    2: (0.6, 0.7, 0.10, 0.5, 0.40, 90.0),
}


def track_id(group: int, i: int) -> str:
    return f"g{group}t{i:02d}".ljust(22, "x")


def planted_frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g, genre in GROUPS.items():
        energy, dance, acoustic, valence, speech, tempo = CENTRES[g]
        for i in range(PER_GROUP):
            base = {
                "track_id": track_id(g, i),
                "track_name": f"{genre.title()} song {i}",
                "track_artist": f"{genre.title()} Artist {i % 3}",
                "track_popularity": 10 + 7 * i if i != 11 else np.nan,
                "track_album_id": f"album{g}{i % 4}".ljust(22, "y"),
                "track_album_name": f"{genre} album {i % 4}",
                "track_album_release_date": f"{2000 + g * 5 + i % 3}-06-01",
                "danceability": dance + rng.normal(0, 0.02),
                "energy": energy + rng.normal(0, 0.02),
                "key": int(rng.integers(0, 12)),
                "loudness": -6.0 + rng.normal(0, 0.5),
                "mode": int(rng.integers(0, 2)),
                "speechiness": speech + abs(rng.normal(0, 0.01)),
                "acousticness": acoustic + abs(rng.normal(0, 0.01)),
                "instrumentalness": 0.0,
                "liveness": 0.1 + abs(rng.normal(0, 0.01)),
                "valence": valence + rng.normal(0, 0.02),
                "tempo": tempo + rng.normal(0, 2.0),
                "duration_ms": 200000 + int(rng.integers(-5000, 5000)),
            }
            playlists = [(f"pl{g}".ljust(22, "p"), f"{genre} playlist", genre, f"{genre} classics")]
            if i < 2:
                playlists.append(("mix".ljust(22, "p"), "mix", genre, f"{genre} classics"))
            for pid, pname, pgenre, psub in playlists:
                rows.append({**base, "playlist_id": pid, "playlist_name": pname,
                             "playlist_genre": pgenre, "playlist_subgenre": psub})
    return pd.DataFrame(rows)


def planted_csv_bytes(seed: int = 0) -> bytes:
    buffer = io.StringIO()
    planted_frame(seed).to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def planted_catalog(seed: int = 0) -> Catalog:
    return load_catalog(planted_csv_bytes(seed), name="planted")
