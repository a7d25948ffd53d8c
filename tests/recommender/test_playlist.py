"""recommender.playlist: resolving pasted tracks and Exportify files, sorting, filtering, export."""
from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from recommender.catalog import load_catalog
from recommender.playlist import (
    MAX_PLAYLIST_TRACKS,
    PLAYLIST_ORDER,
    export_table,
    filter_tracks,
    from_file,
    from_pasted,
    sort_tracks,
    spotify_links,
)
from recommender.store import to_safe_csv

NOT_IN_CATALOG = "4uLU6hMCjMI75M1A2tKUQC"  # well formed, absent from the default catalog


@pytest.fixture(scope="module")
def five_ids(default_catalog) -> list[str]:
    # Spread over the file (it is ordered by playlist genre) so tempos and energies differ.
    return default_catalog.tracks["track_id"].iloc[[7, 4100, 9000, 17000, 26000]].tolist()


def tiny(values: dict[str, list]) -> pd.DataFrame:
    n = len(next(iter(values.values())))
    base = {"track_id": [f"{i:022d}"[:22] for i in range(n)], "position": list(range(1, n + 1))}
    return pd.DataFrame({**base, **values})


# ----------------------------------------------------------------------------- resolving

def test_pasted_links_uris_and_ids_resolve_in_paste_order(default_catalog, five_ids):
    text = "\n".join([
        f"https://open.spotify.com/track/{five_ids[0]}?si=abc",
        f"spotify:track:{five_ids[1]}",
        five_ids[2],
        f"https://open.spotify.com/intl-de/track/{five_ids[3]}",
        f"{five_ids[4]}, {five_ids[0]}",  # a repeat counts once
    ])
    playlist = from_pasted(text, default_catalog)
    assert playlist.tracks["track_id"].tolist() == five_ids
    assert playlist.tracks["position"].tolist() == [1, 2, 3, 4, 5]
    assert playlist.duplicates == 1
    assert playlist.unresolved == []
    expected = default_catalog.tracks.set_index("track_id").loc[five_ids, "tempo"].to_numpy()
    assert np.allclose(playlist.tracks["tempo"].to_numpy(), expected)


def test_items_that_cannot_be_used_come_back_with_their_reason(default_catalog, five_ids):
    text = f"{five_ids[0]}\n{NOT_IN_CATALOG}\nhttps://open.spotify.com/album/{five_ids[1]}\nabc"
    playlist = from_pasted(text, default_catalog)
    assert playlist.tracks["track_id"].tolist() == [five_ids[0]]
    reasons = {u.item: u.reason for u in playlist.unresolved}
    assert set(reasons) == {NOT_IN_CATALOG, f"https://open.spotify.com/album/{five_ids[1]}", "abc"}
    assert "not in the catalog in use" in reasons[NOT_IN_CATALOG]
    assert default_catalog.name in reasons[NOT_IN_CATALOG]
    assert "Exportify" in reasons[NOT_IN_CATALOG]  # says what to do
    assert "album" in reasons[f"https://open.spotify.com/album/{five_ids[1]}"]
    assert "22" in reasons["abc"]


def test_positions_count_every_valid_id_even_the_missing_ones(default_catalog, five_ids):
    playlist = from_pasted(f"{five_ids[0]}\n{NOT_IN_CATALOG}\n{five_ids[1]}", default_catalog)
    # The original place in the playlist, so "Was #" matches what the listener pasted.
    assert playlist.tracks["position"].tolist() == [1, 3]


def test_empty_paste_is_an_empty_playlist_not_an_error(default_catalog):
    for text in ("", None, "  \n\n ,; "):
        playlist = from_pasted(text, default_catalog)
        assert len(playlist) == 0 and playlist.unresolved == [] and playlist.notes == []


def test_pastes_beyond_a_playlists_size_are_cut_with_a_note(default_catalog):
    ids = default_catalog.tracks["track_id"].iloc[: MAX_PLAYLIST_TRACKS + 5].tolist()
    playlist = from_pasted("\n".join(ids), default_catalog)
    assert len(playlist) == MAX_PLAYLIST_TRACKS
    assert any("10,000" in note for note in playlist.notes)


def test_exportify_file_with_features_brings_its_own(default_catalog, samples_dir):
    exported = load_catalog(samples_dir / "exportify_with_features.csv")
    playlist = from_file(exported, default_catalog)
    assert playlist.tracks["track_id"].tolist() == exported.tracks["track_id"].tolist()
    assert playlist.tracks["position"].tolist() == list(range(1, len(exported) + 1))
    raw = pd.read_csv(samples_dir / "exportify_with_features.csv")
    assert np.allclose(playlist.tracks["tempo"].to_numpy(), raw["Tempo"].to_numpy(), atol=1e-3)
    assert playlist.notes == [] and playlist.unresolved == []


def test_exportify_file_without_features_is_looked_up_in_the_catalog(default_catalog, samples_dir, five_ids):
    exported = load_catalog(samples_dir / "exportify_no_features.csv")
    assert not exported.has_features
    playlist = from_file(exported, default_catalog)
    known = [t for t in exported.tracks["track_id"] if t in default_catalog]
    assert playlist.tracks["track_id"].tolist() == known
    assert playlist.tracks["tempo"].notna().all()
    assert any("no audio features" in note for note in playlist.notes)
    # A track of the file the catalog lacks: named, with the reason.
    lacking = exported.tracks.iloc[[0]].assign(track_id=NOT_IN_CATALOG, track_name="Nowhere Song")
    partial = exported.subset(np.ones(len(exported), dtype=bool))
    partial.tracks = pd.concat([lacking, exported.tracks], ignore_index=True)
    result = from_file(partial, default_catalog)
    assert [u.item for u in result.unresolved] == [f"Nowhere Song ({NOT_IN_CATALOG})"]
    assert "not in the catalog in use" in result.unresolved[0].reason
    assert result.tracks["position"].tolist()[0] == 2


def test_rows_the_loader_left_out_and_repeats_are_reported(default_catalog, samples_dir):
    raw = pd.read_csv(samples_dir / "exportify_with_features.csv", dtype=str, keep_default_na=False)
    local = raw.iloc[[0]].assign(**{"Track URI": "spotify:local:Artist:Album:Song:200"})
    no_energy = raw.iloc[[1]].assign(**{"Track URI": "spotify:track:" + NOT_IN_CATALOG, "Energy": ""})
    data = io.BytesIO(pd.concat([raw.iloc[:5], local, no_energy, raw.iloc[[3]], raw.iloc[5:]])
                      .to_csv(index=False).encode())
    data.name = "with extras.csv"
    playlist = from_file(load_catalog(data), default_catalog)
    assert playlist.tracks["track_id"].tolist() == raw["Track URI"].str.removeprefix("spotify:track:").tolist()
    assert playlist.duplicates == 1
    assert len(playlist.notes) == 2
    assert any("1 row of the file left out" in n and "local files" in n for n in playlist.notes)
    assert any("1 row of the file left out: missing energy" in n for n in playlist.notes)


def test_a_catalog_without_energy_names_what_each_track_lacks(samples_dir):
    raw = pd.read_csv(samples_dir / "tidytuesday_spotify_songs.csv").drop(columns=["energy"])
    data = io.BytesIO(raw.to_csv(index=False).encode())
    data.name = "no energy.csv"
    catalog = load_catalog(data)
    assert "energy" not in catalog.feature_names
    ids = catalog.tracks["track_id"].head(3).tolist()
    playlist = from_pasted("\n".join(ids), catalog)
    assert len(playlist) == 0
    assert [u.item for u in playlist.unresolved] == ids
    assert all("without its energy there" in u.reason and "no energy.csv" in u.reason for u in playlist.unresolved)


def test_an_exportify_file_lacking_some_features_takes_them_from_the_catalog(default_catalog, samples_dir):
    raw = pd.read_csv(samples_dir / "exportify_with_features.csv", dtype=str, keep_default_na=False)
    raw = raw.drop(columns=["Energy", "Danceability"])
    raw.loc[1, "Track URI"] = "spotify:track:" + NOT_IN_CATALOG
    data = io.BytesIO(raw.to_csv(index=False).encode())
    data.name = "partial.csv"
    playlist = from_file(load_catalog(data), default_catalog)
    ids = raw["Track URI"].str.removeprefix("spotify:track:").tolist()
    assert playlist.tracks["track_id"].tolist() == [t for t in ids if t != NOT_IN_CATALOG]
    assert playlist.tracks["position"].tolist() == [1, *range(3, len(ids) + 1)]
    expected = default_catalog.tracks.set_index("track_id").loc[playlist.tracks["track_id"], "energy"]
    assert np.allclose(playlist.tracks["energy"].to_numpy(), expected.to_numpy())
    [missing] = playlist.unresolved
    assert missing.item == f"{raw.loc[1, 'Track Name']} ({NOT_IN_CATALOG})"
    assert "no energy and danceability" in missing.reason
    assert any("come from the catalog in use" in n for n in playlist.notes)


# ----------------------------------------------------------------------------- sort and filter

def test_sort_ascending_descending_and_back_to_playlist_order():
    tracks = tiny({"tempo": [120.0, 90.0, 150.0, 90.0], "energy": [0.5, 0.9, 0.1, 0.3]})
    assert sort_tracks(tracks, "tempo")["position"].tolist() == [2, 4, 1, 3]  # ties keep playlist order
    assert sort_tracks(tracks, "tempo", descending=True)["position"].tolist() == [3, 1, 2, 4]
    assert sort_tracks(tracks, "energy", descending=True)["position"].tolist() == [2, 1, 4, 3]
    shuffled = sort_tracks(tracks, "energy")
    assert sort_tracks(shuffled, PLAYLIST_ORDER)["position"].tolist() == [1, 2, 3, 4]
    assert sort_tracks(shuffled, PLAYLIST_ORDER, descending=True)["position"].tolist() == [4, 3, 2, 1]


def test_unknown_values_sort_last_both_ways():
    tracks = tiny({"popularity": [50.0, np.nan, 10.0, np.nan, 70.0]})
    assert sort_tracks(tracks, "popularity")["position"].tolist() == [3, 1, 5, 2, 4]
    assert sort_tracks(tracks, "popularity", descending=True)["position"].tolist() == [5, 1, 3, 2, 4]


def test_sort_by_an_unknown_column_names_it():
    with pytest.raises(KeyError, match="bpm"):
        sort_tracks(tiny({"tempo": [1.0]}), "bpm")


def test_filter_keeps_tracks_inside_every_range_ends_included():
    tracks = tiny({"tempo": [100.0, 120.0, 140.0, 160.0], "energy": [0.2, 0.5, 0.8, np.nan]})
    assert filter_tracks(tracks, {})["position"].tolist() == [1, 2, 3, 4]
    assert filter_tracks(tracks, {"tempo": (120, 160)})["position"].tolist() == [2, 3, 4]
    assert filter_tracks(tracks, {"tempo": (120, 160), "energy": (0.0, 0.5)})["position"].tolist() == [2]
    assert filter_tracks(tracks, {"energy": (0.0, 1.0)})["position"].tolist() == [1, 2, 3]  # unknown fails
    assert filter_tracks(tracks, {"tempo": (170, 200)}).empty


def test_filter_after_sort_keeps_the_sorted_order():
    tracks = tiny({"tempo": [100.0, 140.0, 120.0, 160.0]})
    kept = filter_tracks(sort_tracks(tracks, "tempo", descending=True), {"tempo": (110, 150)})
    assert kept["position"].tolist() == [2, 3]


# ----------------------------------------------------------------------------- export

def test_export_is_the_new_order_with_links_uris_and_integers(default_catalog, five_ids):
    playlist = from_pasted("\n".join(five_ids), default_catalog)
    ordered = sort_tracks(playlist.tracks, "tempo", descending=True)
    table = export_table(ordered)
    assert table["Position"].tolist() == [1, 2, 3, 4, 5]
    assert table["Original Position"].tolist() == ordered["position"].tolist()
    assert table["Track URI"].tolist() == [f"spotify:track:{t}" for t in ordered["track_id"]]
    assert table["Spotify URL"].tolist() == [f"https://open.spotify.com/track/{t}" for t in ordered["track_id"]]
    rows = list(csv.DictReader(io.StringIO(to_safe_csv(table).decode("utf-8-sig"))))
    assert [float(r["Tempo"]) for r in rows] == sorted((float(r["Tempo"]) for r in rows), reverse=True)
    for row in rows:
        for column in ("Position", "Original Position", "Popularity", "Key", "Mode", "Duration (ms)"):
            assert row[column].lstrip("-").isdigit(), (column, row[column])  # 3, not 3.0
        assert len(row["Tempo"].split(".")[-1]) <= 6  # the file's value, not float32 noise
    first = default_catalog.tracks.set_index("track_id").loc[ordered["track_id"].iat[0]]
    assert rows[0]["Track Name"] == first["track_name"]
    assert float(rows[0]["Energy"]) == pytest.approx(float(first["energy"]), abs=1e-6)


def test_export_loads_back_as_the_same_playlist(default_catalog, samples_dir):
    exported = load_catalog(samples_dir / "exportify_with_features.csv")
    ordered = sort_tracks(from_file(exported, default_catalog).tracks, "energy")
    data = io.BytesIO(to_safe_csv(export_table(ordered)))
    data.name = "tastemap_playlist.csv"
    back = load_catalog(data)
    assert back.has_features
    assert back.tracks["track_id"].tolist() == ordered["track_id"].tolist()
    assert np.allclose(back.tracks["energy"], ordered["energy"])


def test_export_neutralises_formula_cells():
    tracks = tiny({"track_name": ["=HYPERLINK(\"x\")", "fine"], "artists": ["+1", "@me"], "tempo": [-1.0, 2.0]})
    text = to_safe_csv(export_table(tracks)).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["Track Name"].startswith("'=") and rows[0]["Artists"] == "'+1" and rows[1]["Artists"] == "'@me"
    assert rows[0]["Tempo"] == "-1.0"  # numbers stay numbers


def test_spotify_links_one_per_line_in_order():
    tracks = tiny({"tempo": [1.0, 2.0]}).iloc[::-1]
    assert spotify_links(tracks).splitlines() == [f"https://open.spotify.com/track/{t}" for t in tracks["track_id"]]
