"""Fuzzing the other user inputs: filter values, shared-link query strings and labelled files.

Whatever comes in, the only exceptions that escape are the library's own documented types
(FilterError for filters, LabelError/CatalogError for label files), each with a message that
names the thing at fault. The shareable link's parser never raises at all: it turns what it
cannot use into notes for the page. Profiles as in test_fuzz_loader.py: quick (60 examples)
in ``make test``; ``TASTEMAP_FUZZ=long`` runs >= 10,000 per target (``make fuzz``).
"""
from __future__ import annotations

import io
import math
import string

import pandas as pd
import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from recommender.catalog import AUDIO_FEATURES, TUNABLE_FEATURES
from recommender.errors import CatalogError, FilterError, LabelError
from recommender.recommenders import METHODS, Filters
from recommender.store import LABEL_COLUMNS
from ui.query import query_to_state

BASE62 = string.digits + string.ascii_letters
KINDS = ("min", "max", "target")

# ----------------------------------------------------------------------------- filters

# Values a page, a link, the CLI or a JSON file could hand over. Integers stay within the
# float range here; beyond it, see test_filter_integer_beyond_float_range below.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**300, 10**300),
    st.sampled_from(["", " ", "0", "1", "-1", "0.5", "1e999", "-1e999", "nan", "NaN", "inf", "-inf",
                     "true", "false", "yes", "off", "None", "none", "2020", "1999.5", "0x10", "1_000",
                     "exclude", "include", "pop; rock", "=1+1", "<script>", "\x00", "١٢"]),
    st.text(max_size=20),
)
values = st.one_of(scalars, st.lists(scalars, max_size=4), st.dictionaries(st.text(max_size=8), scalars, max_size=3))
filter_names = st.one_of(
    st.sampled_from(Filters.FLAT_KEYS),
    st.builds(lambda kind, name: f"{kind}_{name}", st.sampled_from(KINDS), st.sampled_from(TUNABLE_FEATURES)),
    st.builds(lambda kind, name: f"{kind}_{name}", st.sampled_from(KINDS), st.text(max_size=12)),
    st.sampled_from(KINDS),
    st.text(max_size=15),
)
nested = st.builds(
    lambda kind, inner: {kind: inner},
    st.sampled_from(KINDS),
    st.dictionaries(st.one_of(st.sampled_from(TUNABLE_FEATURES), st.text(max_size=10)), values, max_size=4),
)
filter_dicts = st.one_of(
    st.dictionaries(filter_names, values, max_size=8),
    st.builds(lambda a, b: {**a, **b}, st.dictionaries(filter_names, values, max_size=5), nested),
)


def _names_in(data: dict) -> set[str]:
    """Every name a message about ``data`` may use: flat keys and min_x for nested {"min": {x: ..}}."""
    names = {str(k) for k in data}
    for kind in KINDS:
        inner = data.get(kind)
        if isinstance(inner, dict):
            names |= {f"{kind}_{name}" for name in inner}
    return names


@given(filter_dicts)
@example({"min_energy": 0.9, "max_energy": 0.1})
@example({"min_year": 2020, "max_year": 1990})
@example({"min_popularity": float("nan")})
@example({"max_tempo": float("inf")})
@example({"max_per_artist": 0})
@example({"target_valence": "1e999"})
@example({"min": {"energy": 0.8}, "max_energy": 0.2})
@example({"include_genres": 5})
@example({"unknown_popularity": "maybe"})
@example({"min_year": 1999.5})
def test_filters_from_dict_only_raises_filter_error_naming_the_key(data: dict) -> None:
    try:
        filters = Filters.from_dict(data)
    except FilterError as exc:
        event("refused with FilterError")
        message = str(exc)
        assert message.strip()
        named = [name for name in _names_in(data) if repr(name) in message or (name and name in message)]
        assert named, f"{message!r} names none of {sorted(_names_in(data))}"
        return
    event("accepted")
    # Accepted: every bound is a finite number, no range is upside down, and it round-trips.
    for kind in KINDS:
        for name, value in getattr(filters, kind).items():
            assert name in TUNABLE_FEATURES and isinstance(value, float) and math.isfinite(value)
    for name in set(filters.min) & set(filters.max):
        assert filters.min[name] <= filters.max[name]
    if filters.min_year is not None and filters.max_year is not None:
        assert filters.min_year <= filters.max_year
    for cap in (filters.max_per_artist, filters.max_per_artist_per_page):
        assert cap is None or (isinstance(cap, int) and cap >= 1)
    assert isinstance(filters.exclude_seed_artists, bool)
    assert Filters.from_dict(filters.to_dict()) == filters


@given(st.sampled_from(TUNABLE_FEATURES), st.floats(allow_nan=False, allow_infinity=False),
       st.floats(min_value=1e-9, max_value=1e9))
def test_min_above_max_is_refused_and_both_keys_are_named(name: str, low: float, gap: float) -> None:
    high = low + gap
    if not high > low:  # the gap vanished in rounding
        return
    with pytest.raises(FilterError) as caught:
        Filters.from_dict({f"min_{name}": high, f"max_{name}": low})
    assert f"min_{name}" in str(caught.value) and f"max_{name}" in str(caught.value)


def test_filter_integer_beyond_float_range_is_a_filter_error() -> None:
    with pytest.raises(FilterError, match="min_energy"):
        Filters.from_dict({"min_energy": 10**400})


# ----------------------------------------------------------------------------- shared links

BOUNDS = {"energy": (0.0, 1.0, 0.01), "tempo": (0.0, 240.0, 1.0), "popularity": (0.0, 100.0, 1.0),
          "loudness": (-60.0, 5.0, 0.5)}
GENRES = ["edm", "latin", "pop", "r&b", "rap", "rock"]
query_keys = st.one_of(
    st.sampled_from(["seeds", "method", "k", *Filters.FLAT_KEYS]),
    st.builds(lambda kind, name: f"{kind}_{name}", st.sampled_from(KINDS), st.sampled_from(TUNABLE_FEATURES)),
    st.text(max_size=15),
)
query_values = st.one_of(
    st.sampled_from(["", "0", "1", "-5", "1e999", "nan", "inf", "hybrid", "similar", "bogus", "rock,pop",
                     "6f807x0ima9a1j3VPbc7VN,0r7CVbZTWZgbTCYdfa2P31", "2030", "1800", "none", "true"]),
    st.floats().map(repr),
    st.integers(-10**30, 10**30).map(str),
    st.text(max_size=40),
)


@given(st.dictionaries(query_keys, st.one_of(query_values, st.lists(query_values, max_size=3)), max_size=10))
@example({"k": "1" * 400, "min_energy": "1" * 400})
@example({"min_year": "2020", "max_year": "1990", "max_per_artist": "0"})
def test_shared_link_query_never_raises_and_stays_in_range(query: dict) -> None:
    state, notes = query_to_state(query, methods=METHODS, bounds=BOUNDS, genres=GENRES, year_range=(1957, 2020))
    assert all(isinstance(note, str) and note for note in notes)
    if "rec_k" in state:
        assert 5 <= state["rec_k"] <= 100
    lo, hi = state.get("rec_pop", (0, 100))
    assert 0 <= lo <= 100 and 0 <= hi <= 100
    for f in state.get("rec_features", []):
        b_lo, b_hi, _ = BOUNDS[f]
        r_lo, r_hi = state[f"rec_range_{f}"]
        assert b_lo <= r_lo <= b_hi and b_lo <= r_hi <= b_hi
    assert set(state.get("rec_genres_in", [])) <= set(GENRES)
    if state.get("rec_years"):
        assert 1957 <= state["rec_years"][0] <= state["rec_years"][1] <= 2020
    assert state.get("rec_method", "hybrid") in METHODS


# ----------------------------------------------------------------------------- label files

LABEL_HEADERS = ["liked", "target", "label", "Like", "rating", "LIKES", "labelled"]
OTHER_HEADERS = ["track_id", "id", "track_name", "name", "artists", "artist", "genre", *AUDIO_FEATURES,
                 "Danceability", "duration_ms", "popularity", "", "Unnamed: 0"]
label_values = st.one_of(
    st.sampled_from(["1", "0", "1.0", "0.0", "true", "False", "yes", "no", "like", "dislike", "+", "-",
                     "+1", "-1", "2", "maybe", "", "nan", " 1 ", "LIKED", "=1", "\x00"]),
    st.text(max_size=6),
)
label_cells = st.one_of(
    st.sampled_from(["", "nan", "inf", "-inf", "0.5", "1e400", "120", "-7.5", "<script>", "=cmd", ";", '"']),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet=BASE62, min_size=22, max_size=22),
    st.text(max_size=10),
)


def _catalog_rows(catalog, n: int, start: int) -> pd.DataFrame:
    rows = catalog.tracks.iloc[start:start + n]
    return pd.DataFrame({"track_id": rows["track_id"].to_numpy(), "track_name": rows["track_name"].to_numpy(),
                         "artists": rows["artists"].to_numpy(),
                         **{f: rows[f].to_numpy() for f in AUDIO_FEATURES}})


@st.composite
def label_files(draw: st.DrawFn) -> bytes:
    """A CSV with a (maybe) label column and random other columns and cells; sometimes real rows."""
    header = draw(st.lists(st.one_of(st.sampled_from(OTHER_HEADERS), st.text(max_size=8)), max_size=18))
    if draw(st.integers(0, 5)):
        header.insert(draw(st.integers(0, len(header))), draw(st.sampled_from(LABEL_HEADERS)))
    n_rows = draw(st.integers(0, 10))
    rows = []
    for _ in range(n_rows):
        rows.append([draw(label_values) if h.lower() in {x.lower() for x in LABEL_HEADERS} else draw(label_cells)
                     for h in header])
    frame = pd.DataFrame(rows, columns=range(len(header)))
    text = ",".join(_quote(h) for h in header) + "\n" + frame.to_csv(index=False, header=False)
    data = text.encode(draw(st.sampled_from(["utf-8", "utf-16", "cp1252"])), errors="replace")
    if draw(st.integers(0, 3)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return data


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(ch in value for ch in ',"\n\r') else value


@st.composite
def edited_label_files(draw: st.DrawFn, catalog) -> bytes:
    """Real catalog rows with a label column, then cells overwritten with hostile values."""
    frame = _catalog_rows(catalog, draw(st.integers(1, 12)), draw(st.integers(0, 28_000)))
    frame.insert(draw(st.integers(0, len(frame.columns))), draw(st.sampled_from(LABEL_HEADERS[:6])),
                 [draw(label_values) for _ in range(len(frame))])
    frame = frame.astype(object)
    for _ in range(draw(st.integers(0, 12))):
        col = draw(st.integers(0, len(frame.columns) - 1))
        frame.iat[draw(st.integers(0, len(frame) - 1)), col] = draw(label_cells)
    if draw(st.booleans()):  # drop some feature columns: the catalog must fill them in
        frame = frame.drop(columns=draw(st.lists(st.sampled_from(list(AUDIO_FEATURES)), max_size=12, unique=True)))
    return frame.to_csv(index=False).encode("utf-8")


def check_labels(data: bytes, catalog=None) -> pd.DataFrame | None:
    from recommender.taste import read_labels

    buffer = io.BytesIO(data)
    buffer.name = "fuzzed_labels.csv"
    try:
        labels = read_labels(buffer, catalog=catalog)
    except (LabelError, CatalogError) as exc:
        event(f"refused with {type(exc).__name__}")
        assert str(exc).strip()
        assert "unexpected problem" not in str(exc), str(exc)
        return None
    event("accepted")
    assert list(labels.columns) == list(LABEL_COLUMNS)
    assert len(labels) > 0
    assert set(labels["label"].unique()) <= {0, 1}
    assert labels["label_key"].is_unique
    assert labels["label_key"].map(lambda k: isinstance(k, str) and bool(k)).all()
    return labels


@given(label_files())
@example(b"liked\n1\n0\n")
@example(b"liked,track_id\nmaybe,6f807x0ima9a1j3VPbc7VN\n")
@example(b"liked,danceability\n1,nan\n0,inf\n")
@example(b"\xff\xfeliked")
def test_random_label_files_only_raise_label_or_catalog_errors(data: bytes) -> None:
    check_labels(data)


@given(st.data())
def test_real_rows_with_hostile_label_cells(default_catalog, data) -> None:
    check_labels(data.draw(edited_label_files(default_catalog)), catalog=default_catalog)
