"""Canonical rows to a :class:`Catalog`: one row per track ID, every membership kept."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import _as_text, _as_text_columns, _contains, _take
from .codes import _attach_membership_summary, _codes, _codes_for_repeats, _distinct_rows
from .model import Catalog, LoadReport, split_list
from .read import _release_arrow_memory
from .schema import AUDIO_FEATURES, OPTIONAL_FEATURES
from .track_ids import _track_codes

TRACK_COLUMNS = (
    "track_id", "track_name", "artists", "album_name", "album_id", "release_date",
    "release_year", "popularity", "explicit",
)
MEMBERSHIP_COLUMNS = ("track_id", "playlist_id", "playlist_name", "genre", "subgenre")


def build_catalog(rows: pd.DataFrame, report: LoadReport, name: str = "catalog") -> Catalog:
    """Collapse canonical rows to one row per track ID, keeping every membership.

    Rows that repeat an ID with different audio features are dropped (the first one wins) and
    counted; rows that repeat it with the same features add their playlist/genre membership.
    Track IDs are turned into integer codes once (first-seen order = track row order) and
    every grouping below works on those codes, not on strings.
    """
    features = [f for f in AUDIO_FEATURES + OPTIONAL_FEATURES if f in rows]
    codes, first_at = _track_codes(rows["track_id"])  # first_at: each track's first row
    repeated = np.bincount(codes)[codes] > 1
    row_repeats = repeated  # per kept row: does its track have other rows?
    if repeated.any():
        at = np.flatnonzero(repeated)
        dups = rows[features].iloc[at]
        first = dups.groupby(codes[at], sort=False).transform("first")
        same = ((dups == first) | (dups.isna() & first.isna())).all(axis=1).to_numpy()
        if not same.all():
            conflicting = at[~same]
            report.dropped["duplicate track ID with conflicting audio features"] = int(len(conflicting))
            report.warnings.append(
                f"{len(conflicting):,} rows repeat a track ID with different audio features; the "
                "first row of each ID was kept."
            )
            keep = np.ones(len(rows), dtype=bool)
            keep[conflicting] = False
            rows, codes, row_repeats = rows[keep], codes[keep], repeated[keep]
            first_at = (np.cumsum(keep) - 1)[first_at]  # a track's first row is never dropped
    # A frame of its own (no data copied): its columns are replaced below, never written into.
    membership = rows[list(MEMBERSHIP_COLUMNS)].copy(deep=False)
    has_group = membership[["playlist_id", "playlist_name", "genre", "subgenre"]].notna().any(axis=1).to_numpy()
    if not has_group.all():
        membership = membership[has_group].copy()
    member_pos: np.ndarray | None = codes[has_group]
    if _contains(membership["genre"], ";"):
        # Several genres in one cell (Exportify): one membership row per genre.
        membership["genre"] = _as_text(membership["genre"]).map(split_list, na_action="ignore")
        membership = membership.explode("genre")
        member_pos = None  # rows were repeated: look the tracks up again below
    # Exact duplicate memberships, found on integer codes (hashing strings is the slow part).
    if member_pos is not None:
        # Only rows of a track with several rows can repeat a membership: the others are
        # distinct already (at 10M tracks ~1.6M of 11.6M rows need the check). The playlist
        # name is needed for that check alone, so only those rows are factorized.
        several = np.flatnonzero(row_repeats[has_group])
        # Genres are summarised per track (every row's code); playlists only counted.
        member_codes = {c: _codes(membership[c]) for c in ("genre", "subgenre")}
        member_codes["playlist_id"] = _codes_for_repeats(membership["playlist_id"], several)
        unique = np.ones(len(membership), dtype=bool)
        if len(several):
            names = _codes(_take(membership["playlist_name"], several))[0]
            unique[several] = _distinct_rows([
                member_pos[several], member_codes["playlist_id"][0][several], names,
                member_codes["genre"][0][several], member_codes["subgenre"][0][several],
            ])
    else:
        member_codes = {c: _codes(membership[c]) for c in MEMBERSHIP_COLUMNS}
        unique = _distinct_rows([member_codes[c][0] for c in MEMBERSHIP_COLUMNS])
    repeats = not unique.all()
    if repeats:
        membership = membership[unique]
    membership = membership.reset_index(drop=True)
    summary_codes = None
    if member_pos is not None:
        # Dropping later repeats keeps every value's first row: the codes stay first-seen codes.
        summary_codes = {c: member_codes[c] for c in ("genre", "subgenre", "playlist_id")}
        if repeats:
            member_pos = member_pos[unique]
            summary_codes = {c: (codes[unique], values) for c, (codes, values) in summary_codes.items()}
    _as_text_columns(membership, MEMBERSHIP_COLUMNS)

    columns = [c for c in TRACK_COLUMNS if c in rows] + features
    arrow_text = [c for c in columns if getattr(rows[c].dtype, "storage", None) == "pyarrow"]
    tracks = rows[[c for c in columns if c not in arrow_text]].iloc[first_at].reset_index(drop=True)
    for column in arrow_text:  # chunk by chunk (see _take)
        tracks.insert(columns.index(column), column, _take(rows[column], first_at))
    if repeated.any():
        # Popularity can differ between snapshots of the same track: keep the highest known
        # (only rows of tracks with several rows can raise it).
        popularity = rows["popularity"].to_numpy(dtype=np.float64, na_value=np.nan)
        pop = popularity[first_at]
        again = np.flatnonzero(row_repeats)
        np.fmax.at(pop, codes[again], popularity[again])
        tracks["popularity"] = pop
    tracks["popularity"] = tracks["popularity"].astype("float32")
    tracks["release_year"] = tracks["release_year"].astype("float32")
    _as_text_columns(tracks, ("track_id", "track_name", "artists", "album_name", "album_id", "release_date"), one_chunk=True)
    tracks = _attach_membership_summary(tracks, membership, member_pos, summary_codes)
    _release_arrow_memory()
    report.tracks = len(tracks)
    report.merged_rows = len(rows) - len(tracks)  # same track again (another playlist): merged
    return Catalog(tracks=tracks, memberships=membership, report=report, name=name)
