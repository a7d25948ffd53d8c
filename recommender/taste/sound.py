"""What a taste model learns from: Spotify's audio features, or, on an audio library, how the
music sounds to a pretrained network (its embedding) plus the tempo, loudness, key, mode and
duration measured from the files.

The inputs a model used are recorded with it (:data:`AUDIO_INPUTS` or :data:`SOUND_INPUTS`),
so a model is never applied to a catalog that cannot give them (:func:`check_inputs`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..catalog import Catalog
from ..errors import ModelError

__all__ = [
    "AUDIO_INPUTS",
    "MEASURED_FEATURES",
    "SOUND_INPUTS",
    "check_inputs",
    "describe_inputs",
    "inputs_of",
    "is_sound_column",
    "sound_columns",
    "sound_features",
    "with_sound",
]

AUDIO_INPUTS = "audio_features"
SOUND_INPUTS = "sound"
SOUND_PREFIX = "sound_"
# Measured from the audio files of a library (Spotify's other features are unknown there).
MEASURED_FEATURES: tuple[str, ...] = ("tempo", "loudness", "key", "mode", "duration_ms")


def inputs_of(catalog: Catalog | None) -> str:
    """:data:`SOUND_INPUTS` for an audio library, :data:`AUDIO_INPUTS` for any other catalog."""
    return SOUND_INPUTS if catalog is not None and catalog.has_sound else AUDIO_INPUTS


def sound_columns(dim: int) -> list[str]:
    """Column names of the embedding's ``dim`` numbers: ``sound_000``, ``sound_001``, …"""
    return [f"{SOUND_PREFIX}{i:03d}" for i in range(dim)]


def is_sound_column(name: str) -> bool:
    return str(name).startswith(SOUND_PREFIX)


def sound_features(catalog: Catalog) -> list[str]:
    """The inputs of a model trained on ``catalog`` (an audio library): the measured features
    it knows for every track, then the embedding's columns."""
    measured = [f for f in MEASURED_FEATURES if f in catalog.feature_names]
    return measured + sound_columns(catalog.sound.embeddings.shape[1])


def with_sound(frame: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """``frame`` (a ``track_id`` column) with the library's measured features filled in and the
    embedding's columns added; rows whose track is not in the library get NaN there."""
    out = frame.reset_index(drop=True)
    ids = out["track_id"].astype(object).where(out["track_id"].notna(), "") if "track_id" in out.columns \
        else pd.Series([""] * len(out), dtype=object)
    pos = catalog.positions(ids.astype(str))
    hit = pos >= 0
    measured = {}
    for f in MEASURED_FEATURES:
        if f not in catalog.tracks.columns:
            continue
        fill = np.full(len(out), np.nan)
        fill[hit] = pd.to_numeric(catalog.tracks[f].iloc[pos[hit]], errors="coerce").to_numpy(dtype="float64")
        current = pd.to_numeric(out[f], errors="coerce").to_numpy(dtype="float64") if f in out.columns \
            else np.full(len(out), np.nan)
        measured[f] = np.where(np.isnan(current), fill, current)
    dim = catalog.sound.embeddings.shape[1]
    embedding = np.full((len(out), dim), np.nan)
    embedding[hit] = catalog.sound.embeddings[pos[hit]]
    names = sound_columns(dim)
    rest = out.drop(columns=[c for c in out.columns if c in measured or is_sound_column(c)])
    # One concat, not 400 column assignments (a fragmented frame is slow).
    return pd.concat([rest, pd.DataFrame(measured, index=rest.index),
                      pd.DataFrame(embedding, columns=names, index=rest.index)], axis=1)


def check_inputs(inputs: str, catalog: Catalog | None, *, sound_model: str = "", dim: int = 0) -> None:
    """Raise :class:`ModelError` (in words a listener reads) when ``catalog`` cannot give a model
    trained on ``inputs`` what it learned from. ``catalog`` None passes for audio features."""
    if inputs == SOUND_INPUTS:
        if catalog is None or not catalog.has_sound:
            where = f"the catalog '{catalog.name}'" if catalog is not None else "this catalog"
            raise ModelError(
                "This taste model learned how your music sounds to a pretrained network (it was trained "
                f"on a music library you scanned), but {where} has no such analysis, so the model cannot "
                "judge its tracks. Load the music library it was trained on, or train a new model here."
            )
        have = catalog.sound.embeddings.shape[1]
        if (dim and have != dim) or (sound_model and catalog.sound.model and catalog.sound.model != sound_model):
            raise ModelError(
                f"This taste model learned from another network's description of the sound ({sound_model or '?'}, "
                f"{dim} numbers) than the library '{catalog.name}' holds ({catalog.sound.model or '?'}, {have}); "
                "train the model again on this library."
            )
        return
    if catalog is not None and catalog.has_sound:
        raise ModelError(
            "This taste model learned from Spotify's audio features (energy, danceability, …), which "
            f"the music library '{catalog.name}' does not have (it knows how its tracks sound to a "
            "pretrained network instead), so the model cannot judge its tracks. Train a new model on "
            "this library's labels on the Taste page."
        )


def describe_inputs(features: list[str]) -> str:
    """The feature list in short words, with the embedding's columns counted, not listed."""
    sound = [f for f in features if is_sound_column(f)]
    rest = [f for f in features if not is_sound_column(f)]
    if not sound:
        return ", ".join(rest)
    return (f"the network's {len(sound)}-number description of the sound (standardized, then reduced by PCA "
            f"fitted inside each training fold)" + (f", plus {', '.join(rest)}" if rest else ""))
