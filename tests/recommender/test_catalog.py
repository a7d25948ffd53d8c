"""Catalog loading: every layout of issue 2 on real sample rows, the load report, bad input."""
from __future__ import annotations

import gzip
import io
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender.catalog import (
    AUDIO_FEATURES,
    FEATURE_RANGES,
    LAYOUT_NAMES,
    MIN_SOUND_FEATURES,
    Catalog,
    LoadReport,
    identify_layout,
    layout_display_name,
    load_catalog,
    map_columns,
    normalize_header,
    split_list,
)
from recommender.catalog import (
    LAYOUTS as LAYOUT_SIGNATURES,
)
from recommender.errors import CatalogError

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SOURCE = Path(__file__).resolve().parents[2] / "data" / "spotify_songs.csv.gz"
THREE_PLAYLISTS = "1z1Hg7Vb0AhHDiEmnDE79l"
PITCHES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]

# sample file -> (layout name, rows in the file, tracks after collapsing)
LAYOUTS = {
    "tidytuesday_spotify_songs.csv": ("tidytuesday_spotify_songs", 37, 35),
    "tidytuesday_spotify_songs.csv.gz": ("tidytuesday_spotify_songs", 37, 35),
    "tidytuesday_spotify_songs.parquet": ("tidytuesday_spotify_songs", 37, 35),
    "kaggle_dataset.csv": ("kaggle_spotify_tracks_dataset", 31, 30),
    "SpotifyFeatures.csv": ("kaggle_spotify_features", 30, 30),
    "tracks_600k.csv": ("kaggle_tracks_600k", 30, 30),
    "tracks_features_1m.csv": ("kaggle_tracks_features_1m", 30, 30),
    "exportify_with_features.csv": ("exportify", 25, 25),
    "exportify_no_features.csv": ("exportify", 20, 20),
}


@pytest.fixture(scope="module")
def source_rows() -> pd.DataFrame:
    """The default catalog's raw rows, first row per track (the samples' ground truth)."""
    songs = pd.read_csv(SOURCE, dtype={"track_album_release_date": str})
    return songs.drop_duplicates("track_id").set_index("track_id")


def _load(name: str) -> Catalog:
    return load_catalog(SAMPLES / name)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


@pytest.fixture(scope="module")
def tidy_frame() -> pd.DataFrame:
    return pd.read_csv(SAMPLES / "tidytuesday_spotify_songs.csv", dtype=str, keep_default_na=False)


# ----------------------------------------------------------------------------- layouts

@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_detected_and_counted(name: str) -> None:
    layout, rows, tracks = LAYOUTS[name]
    catalog = _load(name)
    report = catalog.report
    assert report.layout == layout
    assert report.rows_read == rows
    assert report.tracks == tracks == len(catalog)
    assert catalog.tracks["track_id"].is_unique
    assert report.dropped == {}
    assert report.usable


@pytest.mark.parametrize("name", sorted(n for n in LAYOUTS if "no_features" not in n))
def test_features_equal_the_source_rows(name: str, source_rows: pd.DataFrame) -> None:
    """Every layout gives back the real numbers, whatever the way they were written."""
    catalog = _load(name)
    t = catalog.tracks.set_index("track_id")
    truth = source_rows.loc[t.index]
    for feature in AUDIO_FEATURES:
        np.testing.assert_allclose(
            t[feature].to_numpy(dtype=float), truth[feature].to_numpy(dtype=float), rtol=1e-6, err_msg=feature
        )
    assert catalog.feature_matrix().shape == (len(catalog), len(catalog.feature_names))
    assert catalog.feature_matrix().dtype == np.float32


def test_tidytuesday_keeps_every_membership() -> None:
    catalog = _load("tidytuesday_spotify_songs.csv")
    rows = catalog.memberships[catalog.memberships["track_id"] == THREE_PLAYLISTS]
    assert len(rows) == 3
    assert rows["playlist_id"].nunique() == 3
    assert sorted(rows["genre"]) == ["edm", "edm", "pop"]
    track = catalog.tracks.set_index("track_id").loc[THREE_PLAYLISTS]
    assert track["playlist_count"] == 3
    assert split_list(track["genres"]) == ["pop", "edm"]
    assert track["artists"] == "Zara Larsson"
    assert track["popularity"] == 70
    assert track["release_year"] == 2019
    # TidyTuesday has no time signature: unknown, so it is not a model feature.
    assert np.isnan(catalog.tracks["time_signature"]).all()
    assert "time_signature" not in catalog.feature_names
    assert "popularity" in catalog.report.columns and catalog.report.columns["popularity"] == "track_popularity"


def test_tidytuesday_report_columns() -> None:
    report = _load("tidytuesday_spotify_songs.csv").report
    assert report.columns["track_id"] == "track_id"
    assert report.columns["artists"] == "track_artist"
    assert report.columns["genre"] == "playlist_genre"
    assert report.columns["release_date"] == "track_album_release_date"
    assert report.warnings == []
    assert set(report.to_dict()) >= {"rows_read", "tracks", "layout", "columns", "dropped", "warnings"}


def test_compressed_and_parquet_equal_csv() -> None:
    plain = _load("tidytuesday_spotify_songs.csv")
    for name in ("tidytuesday_spotify_songs.csv.gz", "tidytuesday_spotify_songs.parquet"):
        other = _load(name)
        pd.testing.assert_frame_equal(other.tracks, plain.tracks, check_dtype=False)
        assert len(other.memberships) == len(plain.memberships)


def test_bytes_and_file_objects_load_like_paths() -> None:
    path = SAMPLES / "tidytuesday_spotify_songs.parquet"
    from_bytes = load_catalog(path.read_bytes())
    with open(SAMPLES / "tidytuesday_spotify_songs.csv.gz", "rb") as fh:
        from_file = load_catalog(fh)
    assert len(from_bytes) == len(from_file) == 35
    assert from_bytes.report.layout == from_file.report.layout == "tidytuesday_spotify_songs"


def test_kaggle_dataset_artists_and_genres() -> None:
    catalog = _load("kaggle_dataset.csv")
    t = catalog.tracks.set_index("track_id")
    assert t.loc["4R0sTxCaskwCPbzkfXHfWg", "artists"] == "Bad Gyal; The Internet"
    assert split_list(t.loc["4R0sTxCaskwCPbzkfXHfWg", "artists"]) == ["Bad Gyal", "The Internet"]
    # The repeated track keeps both of its track_genres.
    repeated = catalog.memberships[catalog.memberships["track_id"] == "4dSS4hwl81hvbfMsIogJGZ"]
    assert sorted(repeated["genre"]) == ["dance", "pop"]
    assert t.loc["4dSS4hwl81hvbfMsIogJGZ", "genres"] == "pop; dance"
    assert t.loc["4dSS4hwl81hvbfMsIogJGZ", "explicit"] is np.True_ or bool(t.loc["4dSS4hwl81hvbfMsIogJGZ", "explicit"])
    assert (t["time_signature"] == 4).all()
    assert "time_signature" in catalog.feature_names
    assert "Unnamed: 0" in catalog.report.unused_columns
    assert catalog.report.columns["genre"] == "track_genre"


def test_spotify_features_pitch_names_modes_and_meters(source_rows: pd.DataFrame) -> None:
    raw = pd.read_csv(SAMPLES / "SpotifyFeatures.csv")
    catalog = _load("SpotifyFeatures.csv")
    t = catalog.tracks.set_index("track_id").loc[raw["track_id"]]
    assert [PITCHES[int(k)] for k in t["key"]] == raw["key"].tolist()
    assert t["mode"].tolist() == [1.0 if m == "Major" else 0.0 for m in raw["mode"]]
    assert t["time_signature"].tolist() == [3.0] + [4.0] * (len(raw) - 1)
    assert t["artists"].tolist() == raw["artist_name"].tolist()
    assert t["popularity"].tolist() == raw["popularity"].astype(float).tolist()


def test_600k_python_list_artists() -> None:
    raw = pd.read_csv(SAMPLES / "tracks_600k.csv")
    catalog = _load("tracks_600k.csv")
    t = catalog.tracks.set_index("track_id")
    first = raw.iloc[0]
    assert first["artists"] == "[\"Gigi D'Agostino\", 'Luca Noise']"
    assert split_list(t.loc[first["id"], "artists"]) == ["Gigi D'Agostino", "Luca Noise"]
    for _, row in raw.iterrows():
        names = eval(row["artists"], {})  # the test's own oracle for a Python list literal
        assert split_list(t.loc[row["id"], "artists"]) == names
    assert t["explicit"].tolist() == raw.set_index("id").loc[t.index, "explicit"].astype(bool).tolist()
    assert t.loc[first["id"], "release_year"] == 2014
    assert catalog.report.columns["track_id"] == "id"


def test_1m_tracks_features_popularity_unknown_not_zero() -> None:
    catalog = _load("tracks_features_1m.csv")
    assert catalog.tracks["popularity"].isna().all()
    assert "popularity" not in catalog.report.columns
    assert any("popularity" in w for w in catalog.report.warnings)
    assert catalog.summary()["popularity_known"] == 0
    t = catalog.tracks.set_index("track_id")
    assert t.loc["71SvEDmsOwIWw1IozsZoMA", "release_year"] == 1980
    assert t.loc["7DVzPVfsZsItLxOBPrz5Hh", "artists"] == "The Deep Dixie Boys; Nidža Bleja"
    assert t.loc["71SvEDmsOwIWw1IozsZoMA", "album_id"] == "2OyVtIEp7O7a6o82DF4Ba5"


def test_exportify_with_features() -> None:
    catalog = _load("exportify_with_features.csv")
    report = catalog.report
    assert not report.track_list_only and catalog.has_features
    assert report.columns["track_id"] == "Track URI"
    assert report.columns["duration_ms"] == "Track Duration (ms)"
    assert report.columns["artists"] == "Artist Name(s)"
    t = catalog.tracks.set_index("track_id")
    assert t.loc["5mpibPxO6AWUhl2RiHpOGe", "artists"] == "MØ; Maniaxo"
    assert t.loc["5SHhPFh68OhUmuRPymKX9d", "album_id"] == "5Skgz8BwS0Lfw2zlQSy1EB"
    assert t.loc["5SHhPFh68OhUmuRPymKX9d", "genres"] == "electropop; pop"
    assert (t["time_signature"] == 4).all()


def test_exportify_without_features_is_a_track_list(default_catalog: Catalog) -> None:
    catalog = _load("exportify_no_features.csv")
    report = catalog.report
    assert report.track_list_only and not catalog.has_features
    assert catalog.feature_names == ()
    assert report.dropped == {}
    assert any("track list" in w for w in report.warnings)
    assert catalog.tracks["danceability"].isna().all()
    # Still has what the export gives: names, duration, popularity.
    t = catalog.tracks.set_index("track_id")
    assert t.loc["1admfyWHefYAHbwjKdro8b", "artists"] == "Brieuc; Toño Rosario"
    assert t.loc["5qCrT9lVmIGxqB8i6bb83P", "duration_ms"] == 203968
    assert t.loc["5qCrT9lVmIGxqB8i6bb83P", "popularity"] == 46
    # Usable as seeds: every track joins the default catalog on its ID.
    positions = default_catalog.positions(catalog.tracks["track_id"])
    assert (positions >= 0).all()
    assert catalog.summary()["feature_ranges"] == {}


def test_default_catalog_counts(default_catalog: Catalog) -> None:
    summary = default_catalog.summary()
    assert summary["tracks"] == 28_356
    assert summary["playlists"] == 471
    assert summary["genres"] == 6
    assert summary["subgenres"] == 24
    report = default_catalog.report
    assert report.rows_read == 32_833
    assert report.layout == "tidytuesday_spotify_songs"
    assert report.dropped == {}
    assert len(default_catalog.memberships) == 32_833 - int(
        default_catalog.memberships.duplicated().sum()
    )
    assert int((default_catalog.tracks["playlist_count"] > 1).sum()) > 2_000
    for feature in AUDIO_FEATURES:
        lo, hi = FEATURE_RANGES[feature]
        col = default_catalog.tracks[feature]
        assert col.notna().all() and col.between(lo, hi).all(), feature


def test_default_catalog_helpers(default_catalog: Catalog) -> None:
    ids = default_catalog.tracks["track_id"].iloc[[5, 0]].tolist()
    assert default_catalog.positions([*ids, "0" * 22]).tolist() == [5, 0, -1]
    assert ids[0] in default_catalog
    playlist = default_catalog.memberships["playlist_id"].iloc[0]
    hidden = default_catalog.without_playlists([playlist])
    assert playlist not in set(hidden.memberships["playlist_id"])
    assert len(hidden) == len(default_catalog)
    small = default_catalog.subset(default_catalog.tracks["popularity"] > 90)
    assert 0 < len(small) < 200 and small.report.tracks == len(small)
    assert len(default_catalog.content_hash) == 20
    assert small.content_hash != default_catalog.content_hash


# ----------------------------------------------------------------------------- mapping

def test_alias_matching_is_case_and_punctuation_insensitive() -> None:
    assert normalize_header("Artist Name(s)") == "artistnames"
    mapping = map_columns(["TRACK-ID", "Dance ability", "Track Duration (ms)", "track popularity"])
    assert mapping == {
        "track_id": "TRACK-ID",
        "popularity": "track popularity",
        "danceability": "Dance ability",
        "duration_ms": "Track Duration (ms)",
    }
    assert identify_layout(["x", "y"]) == "generic"


def test_renamed_columns_still_load(tidy_frame: pd.DataFrame) -> None:
    renamed = tidy_frame.rename(columns=lambda c: c.upper().replace("_", " "))
    catalog = load_catalog(_csv_bytes(renamed))
    assert len(catalog) == 35
    assert catalog.report.layout == "tidytuesday_spotify_songs"


def test_semicolon_separated_with_decimal_commas(tidy_frame: pd.DataFrame) -> None:
    frame = tidy_frame.copy()
    frame["danceability"] = frame["danceability"].str.replace(".", ",", regex=False)
    text = frame.to_csv(index=False, sep=";")
    catalog = load_catalog(text.encode("utf-8"))
    assert len(catalog) == 35
    first = catalog.tracks.set_index("track_id").loc[THREE_PLAYLISTS]
    assert first["danceability"] == pytest.approx(0.675)


# ----------------------------------------------------------------------------- bad input

def _message(data: bytes | str) -> str:
    with pytest.raises(CatalogError) as info:
        load_catalog(data.encode("utf-8") if isinstance(data, str) else data)
    message = str(info.value)
    assert message and "Traceback" not in message
    return message


def test_empty_file() -> None:
    assert "empty" in _message(b"")
    assert "empty" in _message(b"   \n\n ")


def test_header_only(tidy_frame: pd.DataFrame) -> None:
    assert "header but no rows" in _message(",".join(tidy_frame.columns) + "\n")


def test_binary_file() -> None:
    assert "binary file" in _message(bytes(range(256)) * 20)


def test_zip_archive() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("songs.csv", (SAMPLES / "tidytuesday_spotify_songs.csv").read_text())
    assert "zip" in _message(buffer.getvalue())


def test_damaged_gzip() -> None:
    data = (SAMPLES / "tidytuesday_spotify_songs.csv.gz").read_bytes()
    assert "damaged or truncated" in _message(data[: len(data) // 2])
    assert "damaged or truncated" in _message(data[:10] + b"\x00" * 50 + data[60:])


def test_damaged_parquet() -> None:
    data = (SAMPLES / "tidytuesday_spotify_songs.parquet").read_bytes()
    assert "Parquet" in _message(data[: len(data) // 2])


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no such file"):
        load_catalog(tmp_path / "nope.csv")
    with pytest.raises(CatalogError, match="no such file"):
        load_catalog(tmp_path / "nope.parquet")
    with pytest.raises(CatalogError, match="folder"):
        load_catalog(tmp_path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig"])
def test_unicode_encodings(encoding: str) -> None:
    text = (SAMPLES / "exportify_with_features.csv").read_text(encoding="utf-8")
    catalog = load_catalog(text.encode(encoding))
    assert len(catalog) == 25
    assert "MØ; Maniaxo" in set(catalog.tracks["artists"])
    assert not catalog.report.warnings


def test_cp1252_is_read_with_a_warning() -> None:
    text = (SAMPLES / "SpotifyFeatures.csv").read_text(encoding="utf-8")
    text = text.replace("KEITA", "Beyoncé")
    catalog = load_catalog(text.encode("cp1252", errors="replace"))
    assert "Beyoncé" in set(catalog.tracks["artists"])
    assert any("Windows-1252" in w for w in catalog.report.warnings)


def test_undecodable_text() -> None:
    text = (SAMPLES / "SpotifyFeatures.csv").read_bytes()
    assert "not UTF-8" in _message(text + b"\x81\x8d\x8f")


def test_missing_required_columns_names_missing_and_found(tidy_frame: pd.DataFrame) -> None:
    message = _message(_csv_bytes(tidy_frame.drop(columns=["track_id"])))
    assert "missing: track_id" in message and "track_name" in message
    message = _message("song,singer,mood\na,b,c\n")
    assert "track_id" in message and "song, singer, mood" in message


def test_liked_disliked_file_has_no_track_ids() -> None:
    message = _message((SOURCE.parent / "liked_disliked.csv").read_bytes())
    assert "missing: track_id" in message and "song_title" in message


def test_bad_feature_values_dropped_and_counted(tidy_frame: pd.DataFrame) -> None:
    frame = tidy_frame.copy()
    frame.loc[1, "danceability"] = "7"
    frame.loc[2, "energy"] = "loud"
    frame.loc[3, "tempo"] = ""
    frame.loc[4, "loudness"] = "NaN"
    frame.loc[5, "valence"] = "inf"
    frame.loc[6, "key"] = "12"
    catalog = load_catalog(_csv_bytes(frame))
    dropped = catalog.report.dropped
    assert dropped == {
        "danceability outside 0 to 1": 1,
        "energy is not a number": 1,
        "missing tempo": 1,
        "loudness is not a number": 1,
        "valence is not a number": 1,
        "key outside -1 to 11": 1,
    }
    assert catalog.report.rows_read == 37
    bad_ids = set(frame.loc[1:6, "track_id"])
    assert not bad_ids & set(catalog.tracks["track_id"])
    assert len(catalog) == 35 - len(bad_ids - {THREE_PLAYLISTS})


def test_optional_values_become_unknown_not_zero(tidy_frame: pd.DataFrame) -> None:
    frame = tidy_frame.copy()
    frame.loc[10, "track_popularity"] = "150"
    frame.loc[11, "track_popularity"] = ""
    frame.loc[12, "track_album_release_date"] = "unknown"
    catalog = load_catalog(_csv_bytes(frame))
    t = catalog.tracks.set_index("track_id")
    assert math.isnan(t.loc[frame.loc[10, "track_id"], "popularity"])
    assert math.isnan(t.loc[frame.loc[11, "track_id"], "popularity"])
    assert math.isnan(t.loc[frame.loc[12, "track_id"], "release_year"])
    assert any("popularity values outside 0-100" in w for w in catalog.report.warnings)
    assert len(catalog) == 35 and catalog.report.dropped == {}


def test_duplicate_ids_with_conflicting_values(tidy_frame: pd.DataFrame) -> None:
    frame = tidy_frame.copy()
    clash = frame.iloc[[20]].copy()
    clash["danceability"] = "0.001"
    clash["playlist_id"] = "0" * 22
    same = frame.iloc[[21]].copy()
    same["playlist_id"] = "1" * 22
    catalog = load_catalog(_csv_bytes(pd.concat([frame, clash, same])))
    assert catalog.report.dropped == {"duplicate track ID with conflicting audio features": 1}
    assert any("different audio features" in w for w in catalog.report.warnings)
    t = catalog.tracks.set_index("track_id")
    assert t.loc[clash["track_id"].iloc[0], "danceability"] == pytest.approx(float(frame.loc[20, "danceability"]))
    # The consistent repeat adds a membership; the conflicting one adds nothing.
    assert t.loc[same["track_id"].iloc[0], "playlist_count"] == 2
    assert t.loc[clash["track_id"].iloc[0], "playlist_count"] == 1
    assert len(catalog) == 35


def test_malformed_and_missing_ids(tidy_frame: pd.DataFrame) -> None:
    frame = tidy_frame.copy()
    frame.loc[1, "track_id"] = "short"
    frame.loc[2, "track_id"] = "spotify:album:" + "a" * 22
    frame.loc[3, "track_id"] = ""
    frame.loc[4, "track_id"] = "https://open.spotify.com/intl-de/track/" + frame.loc[4, "track_id"] + "?si=x"
    catalog = load_catalog(_csv_bytes(frame))
    assert catalog.report.dropped == {
        "malformed track ID (not 22 base62 characters)": 2,
        "missing track ID": 1,
    }
    assert tidy_frame.loc[4, "track_id"] in catalog


def test_wrong_number_of_fields_is_counted(tidy_frame: pd.DataFrame) -> None:
    text = _csv_bytes(tidy_frame).decode()
    lines = text.splitlines()
    lines.insert(5, lines[5] + ",extra,fields")
    catalog = load_catalog("\n".join(lines).encode())
    assert catalog.report.dropped == {"line with the wrong number of fields": 1}
    assert catalog.report.rows_read == 38


def test_fails_only_when_nothing_usable_remains(tidy_frame: pd.DataFrame) -> None:
    frame = tidy_frame.copy()
    frame["danceability"] = "7"
    message = _message(_csv_bytes(frame))
    assert "no usable track" in message and "37 danceability outside 0 to 1" in message
    frame.loc[0, "danceability"] = "0.5"
    assert len(load_catalog(_csv_bytes(frame))) == 1


def test_numeric_parquet_columns(tidy_frame: pd.DataFrame) -> None:
    frame = pd.read_csv(SAMPLES / "tidytuesday_spotify_songs.csv")
    frame["explicit"] = [i % 2 == 0 for i in range(len(frame))]
    frame["track_album_release_date"] = pd.to_datetime(frame["track_album_release_date"], format="mixed")
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    catalog = load_catalog(buffer.getvalue())
    assert len(catalog) == 35
    assert catalog.tracks["explicit"].notna().all()
    assert catalog.tracks.set_index("track_id").loc[THREE_PLAYLISTS, "release_year"] == 2019


def test_gzip_bomb_is_refused(tidy_frame: pd.DataFrame) -> None:
    data = gzip.compress(_csv_bytes(tidy_frame) + b"\n" * 3_000_000)
    with pytest.raises(CatalogError, match="compression bomb"):
        load_catalog(data, max_bytes=1_000_000)


# ----------------------------------------------------------------------------- some features only

def test_a_file_with_some_audio_features_loads_with_the_rest_unknown(tidy_frame: pd.DataFrame) -> None:
    catalog = load_catalog(_csv_bytes(tidy_frame.drop(columns=["energy", "tempo"])))
    assert catalog.has_features and len(catalog) == 35
    assert catalog.feature_names == tuple(f for f in AUDIO_FEATURES if f not in ("energy", "tempo"))
    assert catalog.missing_features == catalog.report.missing_features == ("energy", "tempo")
    assert catalog.tracks["energy"].isna().all() and catalog.tracks["tempo"].isna().all()  # unknown, not 0
    assert catalog.tracks["danceability"].notna().all()
    assert "audio features missing (unknown): energy, tempo" in catalog.report.summary_lines()
    assert catalog.report.to_dict()["missing_features"] == ["energy", "tempo"]
    assert "energy" not in catalog.summary()["feature_ranges"]
    assert catalog.feature_matrix().shape == (35, len(AUDIO_FEATURES) - 2)


def test_the_four_feature_sample_keeps_its_four_features_and_every_playlist() -> None:
    catalog = _load("four_features.csv")
    assert catalog.feature_names == ("danceability", "energy", "tempo", "valence")
    assert len(catalog.missing_features) == len(AUDIO_FEATURES) - 4 and "loudness" in catalog.missing_features
    assert not catalog.report.dropped and len(catalog) == 300
    assert catalog.report.merged_rows == catalog.report.rows_read - 300 > 0
    assert catalog.tracks["playlist_count"].max() > 1


def test_an_empty_feature_column_counts_as_missing_not_as_a_reason_to_drop_every_row(tidy_frame: pd.DataFrame) -> None:
    frame = tidy_frame.copy()
    frame["liveness"] = ""
    catalog = load_catalog(_csv_bytes(frame))
    assert len(catalog) == 35 and not catalog.report.dropped
    assert catalog.missing_features == ("liveness",)


def test_fewer_than_the_minimum_sound_features_is_a_track_list_with_a_reason(tidy_frame: pd.DataFrame) -> None:
    assert MIN_SOUND_FEATURES == 2
    keep = ["track_id", "track_name", "track_artist", "playlist_id", "playlist_genre"]
    one = load_catalog(_csv_bytes(tidy_frame[keep + ["tempo", "duration_ms"]]))
    assert not one.has_features and one.feature_names == () and one.report.track_list_only
    assert len(one) == 35  # nothing dropped: a track list keeps its tracks
    assert any("only one audio feature (tempo)" in w and "at least 2" in w for w in one.report.warnings)
    assert one.missing_features == AUDIO_FEATURES
    two = load_catalog(_csv_bytes(tidy_frame[keep + ["tempo", "valence"]]))
    assert two.has_features and two.feature_names == ("tempo", "valence")


def test_merged_rows_count_the_same_track_read_again_in_another_playlist(default_catalog: Catalog) -> None:
    report = default_catalog.report
    assert (report.rows_read, report.tracks, report.dropped) == (32_833, 28_356, {})
    assert report.merged_rows == 4_477
    assert report.to_dict()["merged_rows"] == 4_477
    assert any("merged 4,477 rows" in line for line in report.summary_lines())
    tidy = _load("tidytuesday_spotify_songs.csv").report
    assert tidy.merged_rows == 2  # the track in three playlists: two of its rows merged
    assert tidy.rows_read == tidy.tracks + tidy.merged_rows + sum(tidy.dropped.values())


def test_a_conflicting_row_early_in_the_file_leaves_every_later_track_its_own_row(tidy_frame: pd.DataFrame) -> None:
    frame = tidy_frame.drop_duplicates("track_id").reset_index(drop=True)
    clash = frame.iloc[[0]].copy()
    clash["energy"] = "0.01"
    frame = pd.concat([frame.iloc[:2], clash, frame.iloc[2:]], ignore_index=True)  # the clash at row 2
    catalog = load_catalog(_csv_bytes(frame))
    assert catalog.report.dropped == {"duplicate track ID with conflicting audio features": 1}
    expected = frame.drop(index=2).reset_index(drop=True)
    assert catalog.tracks["track_id"].tolist() == expected["track_id"].tolist()
    for column in ("energy", "danceability", "tempo"):
        np.testing.assert_allclose(catalog.tracks[column].to_numpy(), expected[column].astype(float).to_numpy(), rtol=1e-6)
    assert catalog.tracks["track_name"].tolist() == expected["track_name"].tolist()


def test_conflicting_duplicates_are_dropped_not_merged(tidy_frame: pd.DataFrame) -> None:
    frame = tidy_frame.copy()
    rows = frame.index[frame["track_id"] == THREE_PLAYLISTS]
    frame.loc[rows[1], "energy"] = "0.01"  # the same ID with other audio features
    report = load_catalog(_csv_bytes(frame)).report
    assert report.dropped == {"duplicate track ID with conflicting audio features": 1}
    assert report.merged_rows == 1


def test_a_report_pickled_before_the_merge_count_still_knows_it() -> None:
    report = LoadReport(rows_read=40, tracks=30, dropped={"missing track ID": 4}, merged_rows=6)
    state = report.__dict__.copy()
    del state["merged_rows"], state["missing_features"]  # as an older on-disk cache stored it
    old = LoadReport.__new__(LoadReport)
    old.__setstate__(state)
    assert old.merged_rows == 6 and old.missing_features == ()


def test_every_layout_has_a_plain_display_name() -> None:
    for layout, _signature in LAYOUT_SIGNATURES:
        name = layout_display_name(layout)
        assert name == LAYOUT_NAMES[layout] and name != layout and " " in name
    assert layout_display_name("tidytuesday_spotify_songs") == "TidyTuesday Spotify songs (2020)"
    assert layout_display_name("generic") == "a table with recognised column names"
    assert layout_display_name("some_new_layout") == "some new layout"


def test_a_pickled_catalog_round_trips_also_under_the_module_path_of_before_the_split() -> None:
    import pickle

    catalog = load_catalog(SAMPLES / "tidytuesday_spotify_songs.csv")
    digest = catalog.content_hash  # a derived value, left out of the pickle
    for data in (
        pickle.dumps(catalog, protocol=pickle.HIGHEST_PROTOCOL),
        # protocol 2 names classes as text: rewritten to the path of the one-file module
        pickle.dumps(catalog, protocol=2).replace(b"recommender.catalog.model\n", b"recommender.catalog\n"),
    ):
        back = pickle.loads(data)
        assert type(back) is Catalog and type(back.report) is LoadReport
        pd.testing.assert_frame_equal(back.tracks, catalog.tracks, check_exact=True)
        pd.testing.assert_frame_equal(back.memberships, catalog.memberships, check_exact=True)
        assert back.report.to_dict() == catalog.report.to_dict()
        assert "content_hash" not in back.__getstate__() and back.content_hash == digest
    assert b"recommender.catalog.model\n" in pickle.dumps(catalog, protocol=2)  # the rewrite above happened


def test_a_track_on_several_rows_keeps_its_highest_known_popularity(tidy_frame) -> None:
    frame = tidy_frame.copy()
    single = np.flatnonzero(~frame["track_id"].duplicated(keep=False).to_numpy())[:2]  # tracks on one row
    (first, second), (tid, other) = single, frame["track_id"].iloc[single]
    again = pd.concat([frame.iloc[[first]]] * 2, ignore_index=True)
    again["playlist_id"] = ["p2", "p3"]
    again["track_popularity"] = ["70", "40"]
    frame.loc[first, "track_popularity"] = ""  # unknown on the track's first row, highest on the next
    catalog = load_catalog(_csv_bytes(pd.concat([frame, again], ignore_index=True)))
    tracks = catalog.tracks.set_index("track_id")
    assert tracks.loc[tid, "popularity"] == 70
    assert tracks.loc[other, "popularity"] == float(frame.loc[second, "track_popularity"])  # one row: its own
