"""Labels: liked / disliked tracks, read from a file, a small table or the catalog.

:func:`read_labels` reads any catalog layout plus a label column; :func:`explain_import` says
in words why a file's rows and its labels differ (the demo file repeats tracks, for one).
:func:`as_labels` and :func:`labels_from_catalog` make label rows from tracks the app already
shows. Every label frame has the columns :data:`LABEL_COLUMNS`, which the label store
(:mod:`recommender.store`) keeps too; this module is below the store and never imports it.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..catalog import (
    AUDIO_FEATURES,
    Catalog,
    LoadReport,
    canonical_rows,
    map_columns,
    normalize_header,
    read_table,
    split_list,
)
from ..errors import CatalogError, LabelError

_log = logging.getLogger(__name__)

__all__ = [
    "LABEL_COLUMNS",
    "LABEL_FEATURES",
    "LABEL_TEXT",
    "as_labels",
    "canonical_labels",
    "explain_import",
    "label_groups",
    "labels_from_catalog",
    "parse_label_values",
    "read_labels",
    "synthetic_key",
]

# Numbers kept with each label, so a label on a track outside the loaded catalog stays usable.
LABEL_FEATURES: tuple[str, ...] = (
    "acousticness", "danceability", "duration_ms", "energy", "instrumentalness", "key",
    "liveness", "loudness", "mode", "speechiness", "tempo", "valence",
    "time_signature", "popularity", "release_year",
)
LABEL_TEXT: tuple[str, ...] = ("label_key", "track_id", "track_name", "artists", "genres")
LABEL_COLUMNS: tuple[str, ...] = LABEL_TEXT + ("label",) + LABEL_FEATURES

_LABEL_HEADERS = ("target", "liked", "label", "like", "likes", "rating")
_LIKE = {"1", "1.0", "true", "t", "yes", "y", "like", "liked", "+1", "+"}
_DISLIKE = {"0", "0.0", "false", "f", "no", "n", "dislike", "disliked", "-1", "-"}


def parse_label_values(series: pd.Series) -> pd.Series:
    """1 (liked), 0 (disliked) or <NA> from 1/0, true/false, like/dislike, yes/no."""
    text = series.astype("string").str.strip().str.lower()
    return text.map(lambda v: 1 if v in _LIKE else 0 if v in _DISLIKE else pd.NA).astype("Int64")


def synthetic_key(track_name: object, artists: object, features: Iterable[object]) -> str:
    """A stable key for a labelled track without a Spotify ID (title, artists, features)."""
    # Missing names arrive as None, NaN or pd.NA (whose truth value raises): all mean "".
    parts = ["" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v).strip().lower()
             for v in (track_name, artists)]
    parts += ["" if pd.isna(v) else f"{float(v):.6g}" for v in features]
    return "x:" + hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def _empty_labels() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in LABEL_COLUMNS})
    for c in ("label_key", "track_id", "track_name", "artists", "genres"):
        frame[c] = frame[c].astype(object)
    frame["label"] = frame["label"].astype("int64")
    return frame


def read_labels(source, *, catalog: Catalog | None = None) -> pd.DataFrame:
    """Read a labelled file: any catalog layout plus a label column.

    The label column is named like ``target``, ``liked``, ``label`` or ``like`` and holds
    1/0, true/false, like/dislike or yes/no. Files without track IDs (such as
    ``liked_disliked.csv``) get a synthetic key from title, artist and features. Rows with a
    track ID but no features take them from ``catalog`` when it holds the track.
    Returns a frame with :data:`LABEL_COLUMNS`; raises :class:`LabelError`.
    """
    try:
        raw, name, _warnings = read_table(source)
    except CatalogError as exc:
        raise LabelError(str(exc)) from None
    by_norm = {normalize_header(c): c for c in raw.columns}
    label_col = next((by_norm[h] for h in _LABEL_HEADERS if h in by_norm), None)
    if label_col is None:
        raise LabelError(
            f"{name}: no label column was found. Add a column named 'liked' (or target, label, "
            f"like) holding 1/0, true/false or like/dislike. Columns found: "
            f"{', '.join(map(str, raw.columns[:30])) or 'none'}."
        )
    values = parse_label_values(raw[label_col])
    unreadable = int(values.isna().sum())
    if unreadable == len(raw):
        examples = ", ".join(repr(v) for v in raw[label_col].astype(str).unique()[:5])
        raise LabelError(
            f"{name}: the label column '{label_col}' holds no readable label (found {examples}); "
            "use 1/0, true/false or like/dislike."
        )
    mapping = map_columns([c for c in raw.columns if c != label_col])
    has_features = any(f in mapping for f in AUDIO_FEATURES)
    if "track_id" not in mapping and not has_features:
        raise LabelError(
            f"{name}: the file has neither track IDs nor audio features, so its labels cannot be "
            "matched to tracks. Add a track ID column or the Spotify audio features."
        )
    report = LoadReport(source=name, rows_read=len(raw))
    labelled = raw[values.notna()]
    parts = [(labelled, mapping)]
    if "track_id" in mapping and has_features:
        # Rows without an ID are still usable through their features: read them apart, or
        # the catalog rules would drop them as "missing track ID".
        no_id = labelled[mapping["track_id"]].astype("string").str.strip().fillna("") == ""
        without_id = {k: v for k, v in mapping.items() if k != "track_id"}
        parts = [(labelled[~no_id], mapping), (labelled[no_id], without_id)]
    try:
        frames = [canonical_rows(part, m, report) for part, m in parts if len(part)]
    except CatalogError as exc:
        raise LabelError(str(exc)) from None
    rows = pd.concat(frames) if frames else pd.DataFrame()
    if rows.empty:
        reasons = "; ".join(f"{v:,} {k}" for k, v in report.dropped.items()) or "no rows"
        raise LabelError(f"{name}: no usable labelled track remains ({reasons}).")
    out = _empty_labels().reindex(range(len(rows)))
    out["label"] = values.loc[rows.index].to_numpy(dtype="int64")
    out["track_id"] = (rows["track_id"].astype(object).where(rows["track_id"].notna(), None).to_numpy(dtype=object)
                       if "track_id" in rows else None)
    out["track_name"] = rows["track_name"].to_numpy(dtype=object)
    out["artists"] = rows["artists"].to_numpy(dtype=object)
    out["genres"] = rows["genre"].to_numpy(dtype=object)
    for f in LABEL_FEATURES:
        if f in rows:
            out[f] = pd.to_numeric(rows[f], errors="coerce").to_numpy(dtype="float64")
    if catalog is not None and "track_id" in rows:
        out = _fill_from_catalog(out, catalog)
    out = out.astype({"track_id": object, "track_name": object, "artists": object, "genres": object})
    # A row with neither a track ID nor its audio features cannot be matched to any track.
    has_id = out["track_id"].map(lambda t: isinstance(t, str) and bool(t))
    unmatchable = ~has_id & out[list(AUDIO_FEATURES)].isna().any(axis=1)
    if unmatchable.all():
        raise LabelError(
            f"{name}: no labelled row has a track ID or a full set of audio features, so none can "
            "be matched to a track. Add a track ID column or the Spotify audio features."
        )
    if unmatchable.any():
        _log.warning("%s: %d labelled rows without a track ID or audio features were dropped",
                     name, int(unmatchable.sum()))
        out = out[~unmatchable].reset_index(drop=True)
    keys = [
        tid if isinstance(tid, str) and tid else synthetic_key(n, a, r)
        for tid, n, a, r in zip(out["track_id"], out["track_name"], out["artists"],
                                out[list(AUDIO_FEATURES)].to_numpy())
    ]
    out["label_key"] = keys
    # The same track twice (same ID, or same title, artist and sound) is one label: the last wins.
    per_key = out.groupby("label_key", sort=False)["label"].nunique()
    before = len(out)
    out = out.drop_duplicates("label_key", keep="last").reset_index(drop=True)
    _log.info("read %d labels from %s (%d unreadable label values dropped)", len(out), name, unreadable)
    out = out[list(LABEL_COLUMNS)]
    # Why rows of the file did not become labels, for the page to say in words.
    out.attrs["import_notes"] = {
        "rows_read": int(len(raw)),
        "unreadable_label": unreadable,
        "dropped": {str(k): int(v) for k, v in report.dropped.items()},
        "unmatchable": int(unmatchable.sum()),
        "duplicates": int(before - len(out)),
        "conflicting": int((per_key > 1).sum()),
        "labels": int(len(out)),
    }
    return out


def explain_import(notes: dict | None) -> str:
    """Plain words for why a file's row count and its label count differ ('' when they match)."""
    if not notes or notes.get("rows_read", 0) == notes.get("labels", 0):
        return ""
    parts = []
    dup, conflicting = notes.get("duplicates", 0), notes.get("conflicting", 0)
    if dup:
        text = (f"{dup:,} track{'s' if dup != 1 else ''} appear{'' if dup != 1 else 's'} twice or more "
                "(same title, artist and sound, or same Spotify ID), so each is kept once")
        if conflicting:
            text += (f"; for {conflicting:,} of them the rows disagree (liked in one, disliked in "
                     "another), and the last row wins")
        parts.append(text)
    if notes.get("unreadable_label"):
        n = notes["unreadable_label"]
        parts.append(f"{n:,} row{'s' if n != 1 else ''} had no readable like/dislike value")
    for reason, n in notes.get("dropped", {}).items():
        parts.append(f"{n:,} row{'s' if n != 1 else ''} skipped ({reason})")
    if notes.get("unmatchable"):
        n = notes["unmatchable"]
        parts.append(f"{n:,} row{'s' if n != 1 else ''} had neither a Spotify ID nor the audio features")
    return (f"The file has {notes['rows_read']:,} rows and {notes['labels']:,} labels were kept: "
            + "; ".join(parts) + ".")


def _fill_from_catalog(labels: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """Fill missing features, names and genres of labels whose track ID is in ``catalog``."""
    labels = labels.copy()
    ids = labels["track_id"].astype(object).where(labels["track_id"].notna(), "")
    pos = catalog.positions(ids.astype(str))
    hit = pos >= 0
    if not hit.any():
        return labels
    tracks = catalog.tracks.iloc[pos[hit]]
    for col in [*LABEL_FEATURES, "track_name", "artists", "genres"]:
        if col not in tracks.columns:
            continue
        current = labels.loc[hit, col]
        fill = tracks[col].to_numpy()
        if col in LABEL_FEATURES:
            fill = pd.to_numeric(pd.Series(fill), errors="coerce").to_numpy(dtype="float64")
        else:
            fill = pd.Series(fill, dtype=object).where(pd.Series(fill).notna(), None).to_numpy(dtype=object)
        labels.loc[hit, col] = np.where(current.isna().to_numpy(), fill, current.to_numpy())
    return labels


def as_labels(frame: pd.DataFrame, *, catalog: Catalog | None = None) -> pd.DataFrame:
    """Label rows (:data:`LABEL_COLUMNS`) from a small table of tracks.

    ``frame`` needs ``label`` (1/0, True/False, like/dislike, liked/disliked, yes/no) and
    ``track_id`` and/or the audio features; ``track_name``, ``artists``, ``genres`` and
    ``label_key`` are optional. Features, names and genres missing from ``frame`` come from
    ``catalog`` for tracks it holds. Rows without a readable label, or with neither a track
    ID nor a full set of audio features, are skipped; a track given twice keeps its last label.
    """
    if not isinstance(frame, pd.DataFrame) or "label" not in frame.columns:
        raise LabelError("Labels must be a table with a 'label' column (like/dislike or 1/0).")
    values = parse_label_values(frame["label"])
    rows = frame[values.notna().to_numpy()].reset_index(drop=True)
    out = _empty_labels().reindex(range(len(rows)))
    out["label"] = values.dropna().to_numpy(dtype="int64")
    for col in ("track_id", "track_name", "artists", "genres"):
        if col in rows.columns:
            out[col] = rows[col].astype(object).where(rows[col].notna(), None).to_numpy(dtype=object)
    out["track_id"] = [t.strip() if isinstance(t, str) and t.strip() else None for t in out["track_id"]]
    for f in LABEL_FEATURES:
        if f in rows.columns:
            out[f] = pd.to_numeric(rows[f], errors="coerce").to_numpy(dtype="float64")
    if catalog is not None:
        out = _fill_from_catalog(out, catalog)
    out = out.astype({"track_id": object, "track_name": object, "artists": object, "genres": object})
    given = rows["label_key"] if "label_key" in rows.columns else pd.Series(None, index=rows.index, dtype=object)
    features = out[list(AUDIO_FEATURES)].to_numpy()
    keys = []
    for i, (key, tid, name, artists) in enumerate(zip(given, out["track_id"], out["track_name"], out["artists"])):
        if isinstance(key, str) and key.strip():
            keys.append(key.strip())
        elif isinstance(tid, str):
            keys.append(tid)
        elif not np.isnan(features[i]).any():
            keys.append(synthetic_key(name, artists, features[i]))
        else:
            keys.append(None)  # nothing to match it to a track
    out["label_key"] = keys
    out = out[out["label_key"].notna()].drop_duplicates("label_key", keep="last").reset_index(drop=True)
    return out[list(LABEL_COLUMNS)]


def labels_from_catalog(catalog: Catalog, track_ids: Iterable[str], label: int) -> pd.DataFrame:
    """Label rows (with features, names and genres) for catalog tracks; unknown IDs are skipped."""
    if label not in (0, 1):
        raise LabelError(f"A label is 1 (liked) or 0 (disliked), not {label!r}.")
    ids = list(dict.fromkeys(str(t) for t in track_ids))
    pos = catalog.positions(ids)
    tracks = catalog.tracks.iloc[pos[pos >= 0]]
    out = _empty_labels().reindex(range(len(tracks)))
    out["label_key"] = tracks["track_id"].astype(str).to_numpy(dtype=object)
    out["track_id"] = out["label_key"]
    for col in ("track_name", "artists", "genres"):
        out[col] = tracks[col].astype(object).where(tracks[col].notna(), None).to_numpy(dtype=object)
    for f in LABEL_FEATURES:
        if f in tracks.columns:
            out[f] = pd.to_numeric(tracks[f], errors="coerce").to_numpy(dtype="float64")
    out["label"] = int(label)
    return out[list(LABEL_COLUMNS)]


def label_groups(labels: pd.DataFrame) -> tuple[np.ndarray, bool]:
    """The cross-validation group of each label: its first artist, lower-cased.

    Returns ``(groups, artists_known)``. A label without an artist is its own group, so it
    can never leak; ``artists_known`` is False when no label names an artist.
    """
    artists = labels["artists"] if "artists" in labels.columns else pd.Series(None, index=labels.index)
    firsts = [
        (split_list(a)[0].casefold() if split_list(a) else None) if isinstance(a, str) else None
        for a in artists.astype(object)
    ]
    known = any(f is not None for f in firsts)
    groups = np.asarray([f if f is not None else f"\x00row{i}" for i, f in enumerate(firsts)], dtype=object)
    return groups, known


def canonical_labels(labels: pd.DataFrame) -> pd.DataFrame:
    """Labels sorted by key (when they have one), so row order never changes a trained model."""
    if "label_key" not in labels.columns:
        return labels.reset_index(drop=True)
    return labels.sort_values("label_key", kind="stable").reset_index(drop=True)
