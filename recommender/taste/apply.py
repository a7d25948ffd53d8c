"""Putting a trained taste model to work: clean a playlist, discover new tracks.

(Re-ranking recommendations by the model is the taste filter in ``ui/taste.py``; it scores
them with :func:`clean_playlist`.)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..catalog import Catalog, split_list
from ..errors import LabelError
from .model import TasteModel
from .sound import SOUND_INPUTS, is_sound_column, with_sound

__all__ = ["clean_playlist", "discover"]


def clean_playlist(model: TasteModel, tracks: pd.DataFrame, *, catalog: Catalog | None = None,
                   threshold: float = 0.5) -> pd.DataFrame:
    """Score a playlist's tracks and flag the likely dislikes (probability below ``threshold``).

    ``tracks`` has a ``track_id`` column and, optionally, the audio features; missing
    features are looked up in ``catalog``. Tracks that cannot be scored keep ``flagged``
    False and a NaN probability (unknown, not disliked). Order is kept. A model trained on a
    music library scores that library's tracks (their sound comes from ``catalog``); a model
    and a catalog that do not match raise :class:`~recommender.errors.ModelError` saying so.
    """
    if not 0.0 <= threshold <= 1.0:
        raise LabelError(f"The threshold must be between 0 and 1, not {threshold}.")
    frame = tracks.reset_index(drop=True).copy()
    if "track_id" not in frame.columns:
        raise LabelError("The playlist has no track_id column.")
    if catalog is not None or model.inputs == SOUND_INPUTS:
        model.check_inputs(catalog)
    if model.inputs == SOUND_INPUTS:
        frame = with_sound(frame, catalog)
    base = [f for f in model.feature_names_ if not is_sound_column(f)]
    for f in base:
        frame[f] = pd.to_numeric(frame[f], errors="coerce").astype("float64") if f in frame.columns else np.nan
    for col in ("track_name", "artists"):
        frame[col] = frame[col].astype(object) if col in frame.columns else None
    if catalog is not None:
        pos = catalog.positions(frame["track_id"].astype(str))
        hit = pos >= 0
        src = catalog.tracks.iloc[pos[hit]]
        for col in [*base, "track_name", "artists"]:
            if col not in src.columns:
                continue
            cur = frame.loc[hit, col]
            if col in base:
                fill = pd.to_numeric(src[col], errors="coerce").to_numpy(dtype="float64")
                frame.loc[hit, col] = np.where(cur.isna().to_numpy(), fill, cur.to_numpy(dtype="float64"))
            else:
                fill = src[col].astype(object).where(src[col].notna(), None).to_numpy(dtype=object)
                frame.loc[hit, col] = np.where(cur.isna().to_numpy(), fill, cur.to_numpy(dtype=object))
    proba = model.predict_proba(frame)
    out = pd.DataFrame({
        "position": np.arange(1, len(frame) + 1),
        "track_id": frame["track_id"].astype(object),
        "track_name": frame["track_name"].astype(object),
        "artists": frame["artists"].astype(object),
        "like_probability": proba,
    })
    out["flagged"] = out["like_probability"] < threshold  # NaN compares False: unknown stays
    out["scored"] = out["like_probability"].notna()
    return out


def discover(model: TasteModel, catalog: Catalog, labels: pd.DataFrame, *, k: int = 20) -> tuple[pd.DataFrame, str]:
    """The ``k`` catalog tracks the model likes most, by artists and in genres not yet labelled.

    Returns ``(tracks, note)``. Labelled genres come from the labels' own genres and from
    catalog tracks of labelled artists. If that leaves no genre, only labelled artists are
    excluded and the note says so.
    """
    scored = model.score_catalog(catalog)
    label_artists = {a.casefold() for cell in labels.get("artists", pd.Series(dtype=object)).dropna()
                     for a in split_list(cell)}
    label_ids = set(labels.get("track_id", pd.Series(dtype=object)).dropna().astype(str))
    genres = {g for cell in labels.get("genres", pd.Series(dtype=object)).dropna() for g in split_list(cell)}
    # Plain lists, not .map on a string column: pandas 3 would cast the results back to text.
    by_labelled_artist = pd.Series(
        [bool({a.casefold() for a in split_list(c)} & label_artists) for c in scored["artists"].astype(object)],
        index=scored.index,
    )
    genres |= {g for cell in scored.loc[by_labelled_artist, "genres"].dropna() for g in split_list(cell)}
    fresh = ~by_labelled_artist & ~scored["track_id"].astype(str).isin(label_ids)
    in_new_genre = pd.Series([not (set(split_list(c)) & genres) for c in scored["genres"].astype(object)],
                             index=scored.index)
    candidates = scored[fresh & in_new_genre & scored["like_probability"].notna()]
    note = (f"Excluded {int(by_labelled_artist.sum()):,} tracks by {len(label_artists):,} labelled artists "
            f"and the genres already labelled ({', '.join(sorted(genres)) or 'none'}).")
    if candidates.empty:
        candidates = scored[fresh & scored["like_probability"].notna()]
        note = (f"Every catalog genre already holds labelled artists ({', '.join(sorted(genres))}), so only "
                f"the {len(label_artists):,} labelled artists are excluded.")
    return candidates.head(k).reset_index(drop=True), note
