"""Fuzzing the catalog loader: whatever bytes come in, the only error is a CatalogError.

Quick profile by default (60 examples per test); ``TASTEMAP_FUZZ=long`` runs >= 10,000
(profiles in conftest.py). A loaded catalog must also be consistent: unique IDs, features in
their documented ranges, counts that add up.
"""
from __future__ import annotations

import gzip
import io
import math
import string
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from recommender.catalog import AUDIO_FEATURES, FEATURE_RANGES, Catalog, load_catalog
from recommender.errors import CatalogError

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
BASE62 = string.digits + string.ascii_letters
TIDY = (SAMPLES / "tidytuesday_spotify_songs.csv").read_bytes()
KNOWN_HEADERS = [
    "track_id", "id", "Track URI", "track_name", "name", "artists", "track_artist", "Artist Name(s)",
    "album", "album_id", "release_date", "year", "popularity", "explicit", "genre", "track_genre",
    "playlist_id", "playlist_name", "playlist_genre", "playlist_subgenre", "time_signature",
    *AUDIO_FEATURES, "Danceability", "Duration (ms)", "KEY", "Unnamed: 0", "",
]


def check(data: bytes) -> Catalog | None:
    """Load ``data``; a failure must be a CatalogError with a real message, never our bug."""
    try:
        catalog = load_catalog(data)
    except CatalogError as exc:
        message = str(exc)
        assert message.strip()
        assert "unexpected problem" not in message, message  # the safety net must stay unused
        return None
    t = catalog.tracks
    report = catalog.report
    assert len(t) == report.tracks > 0
    assert t["track_id"].is_unique
    assert t["track_id"].str.fullmatch(r"[0-9A-Za-z]{22}").all()
    assert report.rows_read >= len(t)
    assert sum(report.dropped.values()) <= report.rows_read
    assert all(count > 0 for count in report.dropped.values())
    # Every row read is accounted for: dropped (by reason), kept as a track, or merged into one.
    assert report.rows_read == sum(report.dropped.values()) + report.tracks + report.merged_rows
    if catalog.has_features:
        assert set(catalog.feature_names) | set(catalog.missing_features) >= set(AUDIO_FEATURES)
        for feature in AUDIO_FEATURES:
            lo, hi = FEATURE_RANGES[feature]
            values = t[feature].to_numpy(dtype=float)
            if feature in catalog.missing_features:  # unknown for every track, never made up
                assert np.isnan(values).all(), feature
                continue
            assert np.isfinite(values).all() and (values >= lo).all() and (values <= hi).all(), feature
    pop = t["popularity"].dropna()
    assert ((pop >= 0) & (pop <= 100)).all()
    assert set(catalog.memberships["track_id"]) <= set(t["track_id"])
    catalog.summary()
    return catalog


# ----------------------------------------------------------------------------- strategies

track_ids = st.text(alphabet=BASE62, min_size=22, max_size=22)
cells = st.one_of(
    st.sampled_from(["", "nan", "NaN", "inf", "-inf", "1e400", "-0", "0.5", "7", "-1", "C#", "Major",
                     "4/4", "True", "None", "null", '"', "'", ",", ";", "\n", "=1+1", "[", "['a', 'b'"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**20, 10**20).map(str),
    st.text(max_size=12),
    track_ids,
)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(st.one_of(st.sampled_from(KNOWN_HEADERS), st.text(max_size=10)), min_size=1, max_size=25))
    n_rows = draw(st.integers(0, 12))
    rows = [[draw(cells) for _ in headers] for _ in range(n_rows)]
    # Repeat an ID, sometimes with other values, to exercise duplicate handling.
    if rows and draw(st.booleans()):
        rows.append([rows[0][0]] + [draw(cells) for _ in headers[1:]])
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    frame = pd.DataFrame(rows, columns=range(len(headers)))
    text = sep.join(_quote(h, sep) for h in headers) + "\n" + frame.to_csv(index=False, header=False, sep=sep)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # truncated
    if draw(st.integers(0, 4)) == 0:
        data = gzip.compress(data, mtime=0)
    return data


def _quote(value: str, sep: str) -> str:
    if any(ch in value for ch in (sep, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def damaged_samples(draw: st.DrawFn) -> bytes:
    """A real sample file with bytes flipped, cut, or repeated."""
    name = draw(st.sampled_from(sorted(p.name for p in SAMPLES.iterdir() if p.suffix != ".py")))
    data = bytearray((SAMPLES / name).read_bytes())
    for _ in range(draw(st.integers(0, 5))):
        pos = draw(st.integers(0, len(data) - 1))
        data[pos] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@st.composite
def edited_tidy(draw: st.DrawFn) -> bytes:
    """The real TidyTuesday sample with cells overwritten by hostile values."""
    frame = pd.read_csv(io.BytesIO(TIDY), dtype=str, keep_default_na=False)
    for _ in range(draw(st.integers(1, 30))):
        row = draw(st.integers(0, len(frame) - 1))
        col = draw(st.sampled_from(list(frame.columns)))
        frame.iat[row, frame.columns.get_loc(col)] = draw(cells)
    if draw(st.booleans()):  # conflicting duplicates of a real track
        frame = pd.concat([frame, frame.sample(3, random_state=draw(st.integers(0, 99))).assign(energy="0.123")])
    return frame.to_csv(index=False).encode("utf-8")


# ----------------------------------------------------------------------------- tests

@given(csv_files())
@example(b"track_id\n" + b"x" * 2_000_000 + b"\n")  # one huge cell
@example(b"\xff\xfe\x00")  # a lone byte of UTF-16
@example(b"id,danceability\n" + b"a" * 22 + b",0.5\n")
def test_random_csv_only_raises_catalog_error(data: bytes) -> None:
    check(data)


@given(st.binary(max_size=2000))
def test_random_bytes_only_raise_catalog_error(data: bytes) -> None:
    check(data)


@given(damaged_samples())
def test_damaged_samples_only_raise_catalog_error(data: bytes) -> None:
    check(data)


@given(edited_tidy())
def test_hostile_cells_in_real_rows(data: bytes) -> None:
    catalog = check(data)
    if catalog is not None:
        assert catalog.report.rows_read >= 37


@given(st.dictionaries(st.sampled_from(["danceability", "energy", "tempo", "loudness", "key"]),
                       st.floats(allow_nan=True, allow_infinity=True), min_size=1))
def test_feature_values_in_range_are_kept_and_others_counted(values: dict[str, float]) -> None:
    frame = pd.read_csv(io.BytesIO(TIDY), dtype=str, keep_default_na=False).head(5)
    for feature, value in values.items():
        frame.loc[0, feature] = repr(value)
    catalog = check(frame.to_csv(index=False).encode())
    ok = all(math.isfinite(v) and FEATURE_RANGES[f][0] <= v <= FEATURE_RANGES[f][1] for f, v in values.items())
    assert catalog is not None
    assert (frame.loc[0, "track_id"] in catalog) == ok
    assert sum(catalog.report.dropped.values()) == (0 if ok else 1)
