"""The per-call and loading fast paths give exactly what the plain ways of computing give.

Each test runs a fast path next to the straightforward computation it replaced (kept here or
in the library as the reference) and asserts equal results, bit for bit unless noted.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import scipy.sparse as sp

import recommender.catalog.read as catalog_read
import recommender.catalog.track_ids as catalog_ids
import recommender.recommenders.filters as filters_module
import recommender.recommenders.hybrid as hybrid
import recommender.recommenders.index as index_module
from recommender.catalog import Catalog, load_catalog, split_list
from recommender.catalog.cells import _clean_text, _replace_at, _take
from recommender.catalog.codes import (
    _codes,
    _codes_for_repeats,
    _distinct_rows,
    _first_occurrences,
    _first_pairs,
    _first_seen_codes,
    _joined_per_track,
    _stable_order,
)
from recommender.catalog.track_ids import _valid_ids
from recommender.features import SKEWED_FEATURES, FeatureSpace
from recommender.neighbors import sorted_unique
from recommender.recommenders import make_recommender
from recommender.recommenders.explain import PLAIN_DIRECTIONS, PLAIN_FEATURE_NAMES
from recommender.recommenders.filters import float32_bound as _float32_bound
from recommender.recommenders.sparse import row_dot as _row_dot
from recommender.recommenders.sparse import row_entries as _row_entries
from recommender.recommenders.sparse import rows_touching as _rows_touching

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _seed_sets(catalog, count, seed=5):
    rng = np.random.default_rng(seed)
    ids = catalog.tracks["track_id"].to_numpy()
    return [list(ids[rng.choice(len(ids), size, replace=False)]) for size in rng.integers(1, 8, count)]


@pytest.fixture(scope="module")
def fitted(default_catalog):
    return {name: make_recommender(name).fit(default_catalog) for name in ("similar", "hybrid", "popular")}


# ----------------------------------------------------------------------------- result table
@pytest.mark.parametrize("name", ["similar", "hybrid", "popular"])
def test_result_table_equals_the_frame_take(fitted, default_catalog, name):
    model = fitted[name]
    for seeds in _seed_sets(default_catalog, 6):
        seed_pos = default_catalog.positions(seeds)
        for k in (0, 1, 20):
            rec_pos = np.arange(100, 100 + k) * 7
            scores = np.linspace(1, 0, k).astype(np.float32)
            fast = model._frame(rec_pos, scores, seed_pos)
            slow = model._frame_from_tracks(rec_pos, scores, seed_pos)
            pd.testing.assert_frame_equal(fast, slow, check_exact=True)


def _explain_row_by_row(model, seed_pos, rec_pos):
    """The explanations written one row at a time (the reference for the vectorised text)."""
    t = model.catalog_.tracks
    extra = model._signals(seed_pos, rec_pos)
    base = model._base_reason(rec_pos)
    space = model.space_
    X = space.transform_catalog()
    R, S = X[rec_pos], X[seed_pos]
    rn = R / np.maximum(np.linalg.norm(R, axis=1, keepdims=True), 1e-9)
    sn = S / np.maximum(np.linalg.norm(S, axis=1, keepdims=True), 1e-9)
    closest = seed_pos[np.argmax(rn @ sn.T, axis=1)]
    names = space.feature_names_
    cols = [i for i, f in enumerate(names) if f in PLAIN_DIRECTIONS]
    w = space.weights_
    Zr = R[:, cols] / np.where(w[cols] > 0, w[cols], 1)
    Zs = X[closest][:, cols] / np.where(w[cols] > 0, w[cols], 1)
    several = len(set(seed_pos.tolist())) > 1
    out = []
    for i in range(len(rec_pos)):
        seed_name = t["track_name"].iloc[closest[i]]
        seed_artist = split_list(t["artists"].iloc[closest[i]])
        if several and pd.notna(seed_name):
            like = f"sounds like '{seed_name}'" + (f" by {seed_artist[0]}" if seed_artist else "")
        else:
            like = "sounds like one of your seeds" if several else "sounds like your seed"
        diff = Zr[i] - Zs[i]
        closeness = np.abs(diff) - 0.5 * np.minimum(np.abs(Zs[i]), 2.0)
        same = [PLAIN_FEATURE_NAMES[names[cols[j]]] for j in np.argsort(closeness, kind="stable")[:2]]
        j = int(np.argmax(np.abs(diff)))
        higher, lower = PLAIN_DIRECTIONS[names[cols[j]]]
        reason = f"{like}: similar {' and '.join(same)}"
        if abs(diff[j]) >= 0.5:
            reason += f", but {higher if diff[j] > 0 else lower}"
        text = "; ".join(p for p in [*extra[i], base[i], reason] if p)
        out.append(text[:1].upper() + text[1:])
    return out


@pytest.mark.parametrize("name", ["similar", "hybrid", "popular"])
def test_explanations_equal_the_row_by_row_text(fitted, default_catalog, name):
    model = fitted[name]
    for seeds in _seed_sets(default_catalog, 8):
        result = model.recommend(seeds, k=20)
        seed_pos = default_catalog.positions(result.seeds)
        rec_pos = default_catalog.positions(result.recommendations["track_id"])
        assert model._explain(seed_pos, rec_pos) == _explain_row_by_row(model, seed_pos, rec_pos)


def test_hybrid_signals_equal_the_sparse_products(fitted, default_catalog):
    model = fitted["hybrid"]
    idx = model.index_
    for seeds in _seed_sets(default_catalog, 8):
        seed_pos = default_catalog.positions(seeds)
        rec_pos = model.recommend(seeds, k=30).recommendations["track_id"]
        rec_pos = default_catalog.positions(rec_pos)
        seed_artists = np.unique(idx.artists[seed_pos].indices)
        seed_pl = np.unique(idx.playlists[seed_pos].indices)
        seed_ap = np.unique(model.artist_playlists_[seed_artists].indices)
        same = np.asarray(idx.artists[rec_pos][:, seed_artists].sum(axis=1)).ravel() > 0
        shared = np.asarray(idx.playlists[rec_pos][:, seed_pl].sum(axis=1)).ravel() > 0
        co = np.asarray((idx.artists[rec_pos] @ model.artist_playlists_).tocsc()[:, seed_ap].sum(axis=1)).ravel() > 0
        np.testing.assert_array_equal(_rows_touching(idx.artists, rec_pos, seed_artists), same)
        np.testing.assert_array_equal(_rows_touching(idx.playlists, rec_pos, seed_pl), shared)
        rec_artists, owner = _row_entries(idx.artists, rec_pos)
        hit = _rows_touching(model.artist_playlists_, rec_artists, seed_ap)
        np.testing.assert_array_equal(np.bincount(owner[hit], minlength=len(rec_pos)) > 0, co)


def _with_featured_artists(catalog: Catalog, share: float = 0.2, seed: int = 4) -> Catalog:
    """The catalog with a share of its tracks credited to a second artist (another track's)."""
    rng = np.random.default_rng(seed)
    tracks = catalog.tracks.copy()
    artists = tracks["artists"].astype("string")
    chosen = rng.random(len(tracks)) < share
    guests = artists.iloc[rng.integers(0, len(tracks), len(tracks))].to_numpy()
    tracks["artists"] = np.where(chosen & (guests != artists.to_numpy()), artists + "; " + guests, artists)
    return Catalog(tracks=tracks, memberships=catalog.memberships, report=catalog.report, name=catalog.name)


@pytest.mark.parametrize("featured_artists", [False, True])
def test_hybrid_candidate_scores_equal_the_full_vectors(default_catalog, monkeypatch, featured_artists):
    """Signals computed on candidate rows from their sparse entries (with the scale read from
    the reached tracks only) equal the full-catalog signals at those rows, up to float32
    rounding (a row's entries are summed in another order). With tracks of two artists too:
    a track's artist-playlist value is the sum of its artists' scores, so the scale may come
    from such a track."""
    monkeypatch.setattr(hybrid, "HYBRID_CANDIDATES_ABOVE", 1000)
    catalog = _with_featured_artists(default_catalog) if featured_artists else default_catalog
    model = make_recommender("hybrid").fit(catalog)
    assert ((model.artists_per_track_ > 1).mean() > 0.1) == featured_artists
    rng = np.random.default_rng(3)
    for seeds in _seed_sets(catalog, 10):
        seed_pos = catalog.positions(seeds)
        ap = model.artist_playlists_
        q = np.asarray(ap[model.index_.seed_artist_columns(seed_pos)].sum(axis=0)).ravel() * model.playlist_weight_
        np.testing.assert_allclose(model._artist_playlist_scores(seed_pos), (ap @ q) / model.artist_degree_, rtol=1e-6)
        rows = np.unique(rng.choice(len(catalog), 3000, replace=False))
        full = model._components(seed_pos)
        part = model._row_components(seed_pos, rows)
        assert part.keys() == full.keys()
        for signal in full:
            np.testing.assert_allclose(part[signal], full[signal][rows], rtol=1e-5, atol=1e-7, err_msg=signal)


@pytest.mark.parametrize("style_weight", [0.25, 3.0])
def test_hybrid_pool_pruned_by_the_late_signals_bound_equals_scoring_every_candidate(default_catalog, monkeypatch, style_weight):
    """The pool leaves the late signals (style, co-occurrence) out of rows that cannot reach
    it even with their largest scores; its result equals ranking every candidate row on all
    signals."""
    monkeypatch.setattr(hybrid, "HYBRID_CANDIDATES_ABOVE", 1000)
    model = make_recommender("hybrid", weights={"style": style_weight}).fit(default_catalog)
    late_width = style_weight + model.weights_["cooccurrence"]
    scored_rows = []
    row_components = model._row_components

    def remember_rows(seed_pos, rows, reach=None, signals=None):
        if "audio" in (signals or ["audio"]):  # the first pass: every candidate row
            scored_rows.append(rows)
        return row_components(seed_pos, rows, reach, signals)

    monkeypatch.setattr(model, "_row_components", remember_rows)
    candidates = np.ones(len(default_catalog), dtype=bool)
    candidates[::3] = False
    pruned_some = False
    for seeds in _seed_sets(default_catalog, 10, seed=8):
        seed_pos = default_catalog.positions(seeds)
        size = 120
        positions, scores = model._pool(seed_pos, candidates, size)
        rows = scored_rows[-1]
        every = model._weighted_sum(row_components(seed_pos, rows), len(rows))
        order = np.lexsort((rows, -every))[:size]
        np.testing.assert_array_equal(np.sort(positions), np.sort(rows[order]))
        np.testing.assert_allclose(scores, every[np.searchsorted(rows, positions)], rtol=1e-6, atol=1e-6)
        kth = np.sort(every)[::-1][size - 1]
        pruned_some |= bool(np.count_nonzero(every + late_width < kth))
    assert pruned_some  # the bound did leave rows out


def test_row_dot_equals_the_sparse_product():
    rng = np.random.default_rng(0)
    m = sp.random(500, 40, density=0.1, format="csr", dtype=np.float32, random_state=1)
    vector = rng.normal(size=40).astype(np.float32)
    for rows in (np.array([], dtype=np.int64), np.array([3]), rng.choice(500, 200), np.arange(500)):
        expected = (m[rows] @ vector) if len(rows) else np.zeros(0, np.float32)
        got = _row_dot(m, rows, vector)
        assert got.dtype == np.float32 and got.shape == (len(rows),)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- filters
def test_float32_bounds_compare_like_float64():
    rng = np.random.default_rng(0)
    values = np.concatenate([
        rng.random(2000).astype(np.float32), np.float32([0.3, 0.5, 1e-8, 0, -0.0, 30, 100, np.nan]),
        (rng.integers(0, 101, 500)).astype(np.float32),
    ])
    bounds = [0.3, 0.5, 30, 29.999999, 30.000001, 0.1, 1 / 3, 1e300, -1e300, 3.4028235e38, 5e-324, -0.0]
    bounds += [float(v) for v in values[:50]] + [float(np.nextafter(v, np.inf)) for v in values[:20]]
    bounds += [(float(a) + float(np.nextafter(a, np.float32(np.inf)))) / 2 for a in values[:20]]
    wide = values.astype(np.float64)
    with np.errstate(invalid="ignore"):
        for b in bounds:
            np.testing.assert_array_equal(values >= _float32_bound(b, "min"), wide >= b)
            np.testing.assert_array_equal(values <= _float32_bound(b, "max"), wide <= b)


def test_filtered_recommendations_are_those_of_float64_masks(fitted, default_catalog):
    model = fitted["similar"]
    t = default_catalog.tracks
    for filters in ({"min_popularity": 30}, {"min_energy": 0.3, "max_energy": 0.8}, {"max_valence": 0.3},
                    {"min_popularity": 30, "unknown_popularity": "include"}, {"max_tempo": 120.0}):
        f = filters_module.Filters.from_dict(filters)
        masks = dict(model._filter_masks(f, np.zeros(0, dtype=np.int64)))
        for kind in ("min", "max"):
            for name, bound in getattr(f, kind).items():
                values = t[name].to_numpy(dtype=np.float64, na_value=np.nan)
                with np.errstate(invalid="ignore"):
                    expected = (values >= bound) if kind == "min" else (values <= bound)
                if name == "popularity" and f.unknown_popularity == "include":
                    expected |= np.isnan(values)
                label = next(k for k in masks if k.startswith(f"{kind}_{name}="))
                np.testing.assert_array_equal(masks[label], expected)


# ----------------------------------------------------------------------------- sparse helpers
def test_sparse_row_helpers_equal_scipy_indexing():
    rng = np.random.default_rng(1)
    m = sp.random(500, 300, density=0.02, format="csr", random_state=2, dtype=np.float32)
    m.data[:] = 1.0
    for _ in range(20):
        rows = rng.integers(0, 500, rng.integers(0, 60))
        cols = rng.integers(0, 300, rng.integers(0, 40))
        entries, owner = _row_entries(m, rows)
        np.testing.assert_array_equal(entries, m[rows].indices)
        np.testing.assert_array_equal(owner, np.repeat(np.arange(len(rows)), np.diff(m[rows].indptr)))
        vector = rng.normal(size=300).astype(np.float32)
        np.testing.assert_allclose(_row_dot(m, rows, vector), m[rows] @ vector if len(rows) else [], rtol=1e-5, atol=1e-6)
        expected = np.asarray(m[rows][:, cols].sum(axis=1)).ravel() > 0 if len(cols) else np.zeros(len(rows), bool)
        np.testing.assert_array_equal(_rows_touching(m, rows, cols), expected)


def test_sorted_unique_equals_numpy_unique():
    rng = np.random.default_rng(4)
    for n in (0, 1, 2, 7, 1000):
        for dtype in (np.int32, np.int64):
            values = rng.integers(0, max(n // 3, 1), n).astype(dtype)
            out = sorted_unique(values)
            np.testing.assert_array_equal(out, np.unique(values))
            assert out.dtype == np.unique(values).dtype


# ----------------------------------------------------------------------------- catalog
def test_positions_of_a_few_ids_equal_get_indexer(default_catalog):
    ids = default_catalog.tracks["track_id"].tolist()
    index = default_catalog._position
    for query in ([], ids[:1], ids[5:9] + ["Z" * 22], ["nope", ids[3], ids[3]], [ids[-1], None, 3.0]):
        np.testing.assert_array_equal(default_catalog.positions(query), index.get_indexer(query))
        np.testing.assert_array_equal(default_catalog.positions(np.asarray(query, dtype=object)), index.get_indexer(query))


def test_member_positions_equal_catalog_positions(default_catalog):
    members = default_catalog.memberships
    np.testing.assert_array_equal(index_module._member_positions(default_catalog), default_catalog.positions(members["track_id"]))
    # a membership of a track that is not in the catalog, and one without an ID
    extra = members.iloc[:2].copy()
    extra["track_id"] = pd.array(["Z" * 22, None], dtype="string")
    other = Catalog(default_catalog.tracks, pd.concat([members, extra], ignore_index=True))
    np.testing.assert_array_equal(index_module._member_positions(other), other.positions(other.memberships["track_id"]))
    assert (index_module._member_positions(other)[-2:] == -1).all()


def test_valid_ids_from_the_byte_buffers_equal_the_regex():
    rng = np.random.default_rng(0)
    alphabet = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    odd = list(" -_.é\x00\n٣ÄxZ@[`{/:")
    cells = []
    for _ in range(5000):
        r = rng.random()
        length = 22 if r < 0.7 else int(rng.integers(0, 30))
        pool = alphabet if r < 0.5 else alphabet + odd
        cells.append(None if r > 0.97 else "".join(rng.choice(pool, length)))
    def regex(s):
        return s.str.fullmatch(r"[0-9A-Za-z]{22}").fillna(False).astype(bool)
    series = pd.Series(cells, dtype="string")
    for part in (series, series.iloc[11:], series.iloc[3:4000]):
        pd.testing.assert_series_equal(_valid_ids(part), regex(part))
    chunked = pa.chunked_array([pa.array(cells[:1000]), pa.array(cells[1000:]).slice(7), pa.array([], pa.string())])
    series = pd.Series(pd.arrays.ArrowStringArray(chunked))
    pd.testing.assert_series_equal(_valid_ids(series), regex(series))


def test_memberships_checked_only_on_repeated_tracks_equal_pandas_drop_duplicates():
    # Exact repeats of a membership (on tracks with several rows) are dropped; every other row
    # stays, in file order: what drop_duplicates over the five columns keeps.
    from recommender.catalog.schema import DEFAULT_CATALOG_PATH

    raw = pd.read_csv(DEFAULT_CATALOG_PATH, dtype=str, keep_default_na=False)
    raw = pd.concat([raw, raw.iloc[[5, 5, 17, 300]]], ignore_index=True)  # exact repeats
    catalog = load_catalog(raw.to_csv(index=False).encode())
    columns = ["track_id", "playlist_id", "playlist_name", "playlist_genre", "playlist_subgenre"]
    expected = raw[columns].replace("", np.nan).drop_duplicates().reset_index(drop=True)
    got = catalog.memberships[["track_id", "playlist_id", "playlist_name", "genre", "subgenre"]]
    assert (raw["track_id"].value_counts() > 1).sum() > 1000  # many tracks with several rows
    np.testing.assert_array_equal(got.astype(object).to_numpy(), expected.astype(object).to_numpy())


def test_distinct_rows_and_first_occurrences_equal_pandas():
    rng = np.random.default_rng(6)
    for n in (0, 1, 500):
        columns = [rng.integers(-1, 4, n), rng.integers(-1, 3, n), rng.integers(0, 2, n)]
        expected = ~pd.DataFrame(dict(enumerate(columns))).duplicated().to_numpy()
        np.testing.assert_array_equal(_distinct_rows(columns), expected)
        # few keys, sorted ones, keys too wide to carry positions beside them, negative ones
        for keys in (rng.integers(0, 50, n), np.sort(rng.integers(0, 50, n)), rng.integers(0, 4, n) << 60,
                     rng.integers(-3, 3, n)):
            np.testing.assert_array_equal(_first_occurrences(keys), np.flatnonzero(~pd.Series(keys).duplicated().to_numpy()))
        tracks, values = rng.integers(0, max(n // 3, 1), n), rng.integers(0, 4, n)  # (track, value) pairs
        expected_pairs = np.flatnonzero(~pd.DataFrame({"t": tracks, "v": values}).duplicated().to_numpy())
        np.testing.assert_array_equal(_first_pairs(tracks, values, 4), expected_pairs)
    # codes too wide for one int64 key: the key so far is renumbered, the answer stays the same
    wide = [rng.integers(0, 2**40, 300), rng.integers(0, 2**40, 300), np.repeat(rng.integers(0, 2**40, 100), 3)]
    wide[0][::2] = wide[0][1::2]
    wide[1][::2] = wide[1][1::2]
    np.testing.assert_array_equal(_distinct_rows(wide), ~pd.DataFrame(dict(enumerate(wide))).duplicated().to_numpy())


def _hostile_tidy_frame() -> pd.DataFrame:
    """The TidyTuesday sample, repeated, with text that needs cleaning in most columns."""
    frame = pd.read_csv(SAMPLES / "tidytuesday_spotify_songs.csv", dtype=str, keep_default_na=False)
    frame = pd.concat([frame] * 4, ignore_index=True)
    frame.loc[0, "track_name"] = "  padded name  "
    frame.loc[1, "track_name"] = "   "
    frame.loc[2, "track_artist"] = "['A', 'B ']"
    frame.loc[3, "track_artist"] = ""
    frame.loc[4, "track_album_id"] = "spotify:album:" + "a" * 22
    frame.loc[5, "track_album_id"] = "bad"
    frame.loc[6, "track_album_release_date"] = "unknown"
    frame.loc[7, "track_album_release_date"] = " 1999-01-01 "
    frame.loc[8, "playlist_genre"] = "pop, rock"
    frame.loc[9, "playlist_subgenre"] = ""
    frame.loc[10, "danceability"] = "loud"
    frame.loc[11, "energy"] = " 0,5 "
    frame.loc[12, "track_id"] = "https://open.spotify.com/track/" + frame.loc[12, "track_id"]
    frame.loc[13, "track_id"] = "short"
    frame.loc[14, "track_popularity"] = "150"
    frame.loc[40, "danceability"] = "0.001"  # a repeat of track 3 with other features
    return frame


@pytest.mark.parametrize("variant", ["text", "numeric", "empty columns"])
def test_parquet_text_loaded_as_categories_equals_plain_text(monkeypatch, variant):
    frame = _hostile_tidy_frame()
    numeric = variant == "numeric"
    if numeric:  # feature columns as numbers, text as text
        for col in ("loudness", "tempo", "key", "mode"):
            frame[col] = pd.to_numeric(frame[col])
    if variant == "empty columns":  # no value at all: an empty dictionary
        frame["track_album_id"] = pd.Series([None] * len(frame), dtype="string")
        frame["track_album_release_date"] = pd.Series([None] * len(frame), dtype="string")
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    data = buffer.getvalue()
    loaded = {}
    for share in (1.0, -1.0):  # every text column categorical / every one expanded as text
        monkeypatch.setattr(catalog_read, "_MAX_CATEGORY_SHARE", share)
        raw = catalog_read._read_table(data, text_categories=True)[0]
        text = [c for c in frame.columns if frame[c].dtype != "float64" and frame[c].dtype != "int64" and c != "track_id"]
        categorical = [c for c in raw.columns if isinstance(raw[c].dtype, pd.CategoricalDtype)]
        assert categorical == (text if share > 0 else [])
        loaded[share] = load_catalog(data)
    fast, slow = loaded[1.0], loaded[-1.0]
    pd.testing.assert_frame_equal(fast.tracks, slow.tracks, check_exact=True)
    pd.testing.assert_frame_equal(fast.memberships, slow.memberships, check_exact=True)
    assert fast.report.to_dict() == slow.report.to_dict()
    assert fast.report.dropped  # the hostile rows were seen and counted
    # the text path is the CSV path (features aside, which CSV reads as text too)
    if variant == "text":
        from_csv = load_catalog(frame.to_csv(index=False).encode())
        pd.testing.assert_frame_equal(fast.tracks, from_csv.tracks, check_exact=True)
        assert fast.report.dropped == from_csv.report.dropped


def test_text_mostly_distinct_within_row_groups_is_read_as_text_and_loads_the_same(monkeypatch, tmp_path):
    # Many small row groups, each with its own dictionaries: a playlist's ID is in many of
    # them but few repeat inside one, so decoding a dictionary per group would only cost.
    # Genres repeat inside every group: read as dictionaries, kept categorical.
    import pyarrow.parquet as pq

    frame = pd.read_csv(SAMPLES / "tidytuesday_spotify_songs.csv", dtype=str, keep_default_na=False)
    frame = pd.concat([frame] * 6, ignore_index=True).sample(frac=1.0, random_state=1)
    frame.iloc[:3, frame.columns.get_loc("playlist_name")] = [" padded ", "", "\u3000wide space"]
    frame.iloc[3:60, frame.columns.get_loc("track_id")] = [f"{i:022d}" for i in range(57)]  # one row each
    path = tmp_path / "groups.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=40)
    groups = pq.read_table(path, columns=["playlist_id"], read_dictionary=["playlist_id"]).column(0)
    assert sum(len(c.dictionary) for c in groups.chunks) > catalog_read._MAX_CATEGORY_SHARE * len(frame)
    raw = catalog_read._read_table(str(path), text_categories=True)[0]
    assert not isinstance(raw["playlist_id"].dtype, pd.CategoricalDtype)
    assert not isinstance(raw["playlist_name"].dtype, pd.CategoricalDtype)
    assert isinstance(raw["playlist_genre"].dtype, pd.CategoricalDtype)
    grouped = load_catalog(path)
    monkeypatch.setattr(catalog_read, "_MAX_CATEGORY_SHARE", -1.0)  # every text column as text
    plain = load_catalog(path)
    monkeypatch.setattr(catalog_read, "_MAX_CATEGORY_SHARE", 2.0)  # every one as categories
    categories = load_catalog(path)
    assert isinstance(catalog_read._read_table(str(path), text_categories=True)[0]["playlist_id"].dtype, pd.CategoricalDtype)
    for other in (plain, categories):
        pd.testing.assert_frame_equal(grouped.tracks, other.tracks, check_exact=True)
        pd.testing.assert_frame_equal(grouped.memberships, other.memberships, check_exact=True)
        assert grouped.report.to_dict() == other.report.to_dict()
    assert grouped.memberships["playlist_name"].isin(["padded", "wide space"]).sum() > 0
    pairs = grouped.memberships.dropna(subset=["playlist_id"]).drop_duplicates(["track_id", "playlist_id"])
    assert grouped.tracks["playlist_count"].sum() == len(pairs)
    # Every text column of the tracks is one Arrow chunk, not one per row group: a query's take
    # from a column of many chunks joins them all first (10M tracks: 35 ms a query, not 11).
    for column in grouped.tracks:
        if getattr(grouped.tracks[column].dtype, "storage", None) == "pyarrow":
            assert pa.chunked_array(pa.array(grouped.tracks[column].array)).num_chunks == 1, column


@pytest.mark.parametrize("chosen", ["", "system"])
def test_catalog_loads_with_jemalloc_and_queries_keep_mimalloc_unless_the_user_chose(chosen):
    # Run in a new process: the allocator is per process and Arrow picks it on first use.
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    script = (
        "import pyarrow as pa\n"
        "from recommender.catalog import load_catalog\n"
        "before = pa.default_memory_pool().backend_name\n"
        "during = []\n"
        f"catalog = load_catalog({str(SAMPLES / 'tidytuesday_spotify_songs.parquet')!r}, "
        "on_step=lambda *step: during.append(pa.default_memory_pool().backend_name))\n"
        "print(before, ','.join(sorted(set(during))), pa.default_memory_pool().backend_name, len(catalog.tracks))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    before, during, after, tracks = out.stdout.split()
    assert int(tracks) > 0
    if chosen:
        assert before == during == after == chosen
    elif before == "mimalloc":
        assert during in ("jemalloc", "system") and after == "mimalloc"
    else:  # a pyarrow whose default is not mimalloc: left alone
        assert during == after == before


def test_read_table_still_returns_text_not_categories():
    raw, _, _ = catalog_read.read_table(SAMPLES / "tidytuesday_spotify_songs.parquet")
    assert not any(isinstance(dtype, pd.CategoricalDtype) for dtype in raw.dtypes)


# ----------------------------------------------------------------------------- features
def test_feature_matrix_equals_the_column_stack_formula(default_catalog):
    space = FeatureSpace().fit(default_catalog)
    t = default_catalog.tracks
    cols = []
    for f in space.feature_names_:
        v = t[f].to_numpy(dtype=np.float32, na_value=np.nan)
        cols.append(np.sqrt(np.clip(v, 0.0, None)) if f in SKEWED_FEATURES else v)
    z = (np.column_stack(cols) - space.mean_) / space.scale_
    expected = np.ascontiguousarray(np.nan_to_num(z, nan=0.0).astype(np.float32) * space.weights_)
    X = space.transform_catalog()
    np.testing.assert_array_equal(X, expected)
    assert X.dtype == np.float32 and X.flags["C_CONTIGUOUS"]


def test_track_codes_equal_factorized_strings(monkeypatch):
    rng = np.random.default_rng(4)
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    distinct = ["".join(rng.choice(alphabet, 22)) for _ in range(300)]
    # Arrow-backed text, as "string" is by default from pandas 3 on (pandas 2: Python objects)
    ids = pd.Series(rng.choice(distinct, 2000), dtype=pd.StringDtype("pyarrow"))
    expected = pd.factorize(ids)[0]
    assert catalog_ids._id_words(ids) is not None  # the byte path is the one tested
    np.testing.assert_array_equal(catalog_ids._track_codes(ids)[0], expected)
    np.testing.assert_array_equal(catalog_ids._track_codes(ids)[1], np.flatnonzero(~ids.duplicated().to_numpy()))
    # text held as Python objects is copied to Arrow first: the same codes
    np.testing.assert_array_equal(catalog_ids._track_codes(ids.astype(pd.StringDtype("python")))[0], expected)
    # an Arrow column in several chunks reads each chunk's own buffers
    chunked = pd.concat([ids[:700], ids[700:]], ignore_index=True)
    assert len(catalog_ids._text_chunks(chunked)) == 2
    np.testing.assert_array_equal(catalog_ids._track_codes(chunked)[0], expected)
    # a key shared by different IDs is caught: every ID mixes to 0 here
    monkeypatch.setattr(catalog_ids, "_ID_KEY_MULTIPLIERS", (np.uint64(0),) * 3)
    np.testing.assert_array_equal(catalog_ids._track_codes(ids)[0], expected)
    # not all 22 bytes, or missing values: the strings are factorized
    for other in (pd.Series(["a" * 22, "b" * 21, "a" * 22], dtype="string"),
                  pd.Series(["a" * 22, None, "a" * 22], dtype="string")):
        assert catalog_ids._id_words(other) is None
        np.testing.assert_array_equal(catalog_ids._track_codes(other)[0], pd.factorize(other)[0])
        first_rows = np.flatnonzero((~other.duplicated() & other.notna()).to_numpy())
        np.testing.assert_array_equal(catalog_ids._track_codes(other)[1], first_rows)


def test_joined_per_track_equals_a_groupby_of_each_tracks_distinct_values():
    rng = np.random.default_rng(12)
    for n_rows, n_tracks in ((0, 3), (1, 1), (40, 30), (3000, 900)):
        track_pos = rng.integers(-1, n_tracks, n_rows)  # -1: a membership of no track row
        values = pd.Series(rng.choice(["pop", "rock", "r&b", "latin", None], n_rows), dtype="string")
        expected = [None] * n_tracks
        rows = pd.DataFrame({"t": track_pos, "v": values}).dropna()
        for t, group in rows[rows["t"] >= 0].groupby("t", sort=False):
            expected[t] = "; ".join(dict.fromkeys(group["v"]))  # distinct, first-seen order
        got = _joined_per_track(track_pos, values, n_tracks)
        assert got.astype(object).where(got.notna(), None).tolist() == expected


def test_take_of_arrow_text_in_many_chunks_equals_iloc():
    rng = np.random.default_rng(14)
    chunks = [pa.array([f"t{i}-{j}" if (i + j) % 7 else None for j in range(n)], pa.string()) for i, n in enumerate((5, 0, 1, 9, 4))]
    text = pd.Series(pd.array(pa.chunked_array(chunks), dtype="string"), name="x")
    for series in (text, text.iloc[3:], text.astype(object), text.astype("category")):
        for rows in (np.arange(len(series)), np.sort(rng.choice(len(series), 6, replace=False)), np.zeros(0, dtype=np.int64),
                     np.array([0, len(series) - 1])):
            expected = series.iloc[rows].reset_index(drop=True)
            pd.testing.assert_series_equal(_take(series, rows), expected)


def test_replace_at_equals_assignment_by_position():
    chunks = [pa.array(["a", None, "c"], pa.string()), pa.array(["d", "e"], pa.string())]
    text = pd.Series(pd.array(pa.chunked_array(chunks), dtype="string"), index=[5, 6, 7, 8, 9], name="x")
    values = pd.Series(["C", None], dtype="string")
    for series in (text, text.astype(object).astype(pd.StringDtype("python"))):
        expected = series.copy()
        expected.iloc[[2, 3]] = ["C", None]
        got = _replace_at(series, np.array([2, 3]), values)
        pd.testing.assert_series_equal(got.astype(object), expected.astype(object))
        assert series.iloc[2] == "c"  # the input is left as it was


def test_stable_order_equals_numpys_stable_argsort():
    rng = np.random.default_rng(13)
    for keys in (np.zeros(0, dtype=np.int64), rng.integers(0, 5, 1000), rng.integers(0, 2**40, 1000),
                 rng.integers(0, 3, 1000) << 61, rng.integers(-2, 2, 1000)):
        np.testing.assert_array_equal(_stable_order(keys), np.argsort(keys, kind="stable"))


def test_codes_for_repeats_tell_apart_the_values_of_the_repeated_rows_only():
    values = pd.Series(["a", None, "b", "a", "c", None, "b"], dtype="string")
    repeats = np.array([2, 3, 5, 6])
    codes, uniques = _codes_for_repeats(values, repeats)
    np.testing.assert_array_equal(codes[[0, 1, 4]], [0, -1, 0])  # elsewhere: has a value or not
    np.testing.assert_array_equal(uniques[codes[repeats[[0, 1, 3]]]], ["b", "a", "b"])
    assert codes[5] == -1 and codes[2] == codes[6] != codes[3]
    categorical = values.astype("category")
    np.testing.assert_array_equal(_codes_for_repeats(categorical, repeats)[0], _codes(categorical)[0])


def test_clean_text_reads_arrow_buffers_and_equals_a_strip_of_every_cell():
    # Every Unicode whitespace character at either end, empty cells, missing ones, sliced
    # arrays (an offset into Arrow's buffers) and text that needs nothing.
    import sys

    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    cells = ["plain", "", None, "Tiësto", "é", "🌍 end", "a b"] + [w + "x" for w in spaces] + ["x" + w for w in spaces] + spaces
    for text in (pd.Series(cells, dtype="string"), pd.Series(cells, dtype="string").iloc[5:],
                 pd.Series(["plain", "Tiësto", None] * 3, dtype="string")):
        expected = text.str.strip()
        expected = expected.mask(expected == "")
        pd.testing.assert_series_equal(_clean_text(text), expected)
    for other in ("str", object):
        pd.testing.assert_series_equal(_clean_text(pd.Series(cells, dtype=other)), _clean_text(pd.Series(cells, dtype="string")))


def test_first_seen_codes_of_mostly_distinct_keys_equal_pandas_factorize():
    rng = np.random.default_rng(9)
    for n in (0, 1, 2, 3, 1000, 70_000):
        keys = rng.integers(0, 2**64, n, dtype=np.uint64)
        if n > 2:
            keys[rng.integers(0, n, n // 7)] = keys[rng.integers(0, n, n // 7)]  # repeats
            near = rng.integers(0, n, n // 50)  # same high bits, other low bits: distinct keys
            keys[near] = keys[rng.integers(0, n, len(near))] ^ np.uint64(1)
        np.testing.assert_array_equal(_first_seen_codes(keys), pd.factorize(keys)[0])
    same = np.full(5, 7, dtype=np.uint64)  # one key only
    np.testing.assert_array_equal(_first_seen_codes(same), np.zeros(5))


def test_remembered_filter_masks_give_the_answers_of_a_fresh_model(default_catalog):
    """Filter masks are remembered per fitted model (a few of them): asking under one
    filter, then others, then the first again gives each time what a fresh model gives."""
    model = make_recommender("similar").fit(default_catalog)
    seeds = _seed_sets(default_catalog, 1, seed=11)[0]
    filters = [{"min_popularity": 30}, {"min_popularity": 60, "max_energy": 0.5},
               {"min_popularity": 30, "unknown_popularity": "include"}, {"max_energy": 0.5}]
    many = [{"min_popularity": p} for p in range(0, 2 * filters_module.FILTER_MASKS_KEPT * 5, 5)]  # evicts the first ones
    asked = filters + many + filters
    for f in asked:
        got = model.recommend(seeds, k=20, filters=f).recommendations
        expected = make_recommender("similar").fit(default_catalog).recommend(seeds, k=20, filters=f).recommendations
        pd.testing.assert_frame_equal(got, expected)
    memo = model.__dict__["_filter_masks_"]
    assert 0 < len(memo) <= filters_module.FILTER_MASKS_KEPT
    assert all(not mask.flags.writeable for _, mask in memo.values())
    assert "_filter_masks_" not in model.__getstate__()


def test_match_is_whole_numbers_that_never_rise_with_gaps_for_unknown_scores():
    from recommender.recommenders.result import as_match

    match = as_match(np.array([99.6, np.nan, 120.0, 50.4, 70.0, -3.0]))
    assert str(match.dtype) == "Int64"
    assert match.tolist() == [100, pd.NA, 100, 50, 50, 0]
    assert len(as_match(np.zeros(0))) == 0
