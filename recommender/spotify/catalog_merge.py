"""Adding tracks named by Spotify, with their audio features, to a catalog (so they can be seeds)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd

from ..catalog import AUDIO_FEATURES, FEATURE_RANGES, OPTIONAL_FEATURES, Catalog
from .models import SpotifyTrack

__all__ = ["catalog_with_spotify_tracks"]


def catalog_with_spotify_tracks(
    catalog: Catalog, tracks: Iterable[SpotifyTrack], features: pd.DataFrame
) -> tuple[Catalog, list[str]]:
    """A copy of ``catalog`` with the named tracks that have complete, in-range audio features
    added (so they can be seeds). Returns the new catalog and the IDs added."""
    by_id = {t.track_id: t for t in tracks if t.track_id not in catalog}
    if features is None or features.empty or not by_id:
        return catalog, []
    feats = features.drop_duplicates("track_id").set_index("track_id")
    rows = []
    for track_id, track in by_id.items():
        if track_id not in feats.index:
            continue
        values = feats.loc[track_id]
        ok = all(
            pd.notna(values[f]) and FEATURE_RANGES[f][0] <= float(values[f]) <= FEATURE_RANGES[f][1]
            for f in AUDIO_FEATURES
        )
        if not ok:
            continue
        year = pd.to_numeric(str(track.release_date or "")[:4], errors="coerce")
        row = {
            "track_id": track_id,
            "track_name": track.track_name,
            "artists": "; ".join(track.artists) or pd.NA,
            "album_name": track.album_name,
            "album_id": track.album_id,
            "release_date": track.release_date,
            "release_year": year if pd.notna(year) and 1900 <= year <= 2100 else np.nan,
            "popularity": track.popularity if track.popularity is not None else np.nan,
            "explicit": track.explicit if track.explicit is not None else pd.NA,
            "genres": pd.NA,
            "subgenres": pd.NA,
            "playlist_count": 0,
        }
        row.update({f: values[f] for f in AUDIO_FEATURES + OPTIONAL_FEATURES if f in values.index})
        rows.append(row)
    if not rows:
        return catalog, []
    old = catalog.tracks
    new = pd.DataFrame(rows).reindex(columns=old.columns)
    for col in old.columns:
        try:
            new[col] = new[col].astype(old[col].dtype)
        except (TypeError, ValueError):
            new[col] = pd.Series([pd.NA] * len(new), dtype=old[col].dtype)
    tracks_frame = pd.concat([old, new], ignore_index=True)
    report = replace(catalog.report, tracks=len(tracks_frame), warnings=list(catalog.report.warnings))
    added = new["track_id"].astype(str).tolist()
    report.warnings.append(f"{len(added)} tracks were added from Spotify with their audio features.")
    return Catalog(tracks=tracks_frame, memberships=catalog.memberships, report=report, name=catalog.name), added
