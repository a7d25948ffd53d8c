"""The taste model: learn a listener's likes and dislikes from labelled tracks.

The package, bottom up (each module imports only those above it):

- :mod:`~recommender.taste.labels`: label files and tables (:func:`read_labels`,
  :func:`explain_import`, :func:`as_labels`, :func:`labels_from_catalog`).
- :mod:`~recommender.taste.sound`: what a model learns from: Spotify's audio features, or on an
  audio library the network's embedding plus measured features (:func:`check_inputs`).
- :mod:`~recommender.taste.estimators`: the model choices (:data:`MODELS`) as scikit-learn
  pipelines over engineered audio features (:class:`AudioFeatures`).
- :mod:`~recommender.taste.model`: :class:`TasteModel`, its saved-file format, and the JSON
  settings and label fingerprint the label store keeps (:func:`model_settings`,
  :func:`label_digest`, :func:`refit`).
- :mod:`~recommender.taste.selection`: honest scores and training (:func:`evaluate`,
  :func:`tune`, :func:`train` with progress).
- :mod:`~recommender.taste.apply`: putting a model to work (:func:`clean_playlist`,
  :func:`discover`).

Everything public is re-exported here, so ``from recommender.taste import X`` works. (Model
files saved before the split name ``recommender.taste.AudioFeatures`` in their pickle; the
re-export keeps them loadable.)
"""
from __future__ import annotations

from .apply import clean_playlist, discover
from .estimators import (
    DEFAULT_MODEL,
    ENGINEERED,
    ENSEMBLE_TREES,
    IMBALANCE_NOTE,
    MODEL_DESCRIPTIONS,
    MODEL_PLAIN,
    MODELS,
    AudioFeatures,
)
from .labels import (
    as_labels,
    canonical_labels,
    explain_import,
    label_groups,
    labels_from_catalog,
    parse_label_values,
    read_labels,
    synthetic_key,
)
from .model import (
    MIN_LABELS,
    MIN_SOUND_LABELS,
    TasteModel,
    choose_features,
    label_digest,
    model_settings,
    refit,
    training_frame,
)
from .selection import TUNING_GRIDS, Progress, TasteReport, evaluate, train, tune
from .sound import AUDIO_INPUTS, SOUND_INPUTS, check_inputs, describe_inputs, inputs_of

__all__ = [
    "AUDIO_INPUTS",
    "DEFAULT_MODEL",
    "ENGINEERED",
    "ENSEMBLE_TREES",
    "IMBALANCE_NOTE",
    "MIN_LABELS",
    "MIN_SOUND_LABELS",
    "MODELS",
    "MODEL_DESCRIPTIONS",
    "MODEL_PLAIN",
    "SOUND_INPUTS",
    "TUNING_GRIDS",
    "AudioFeatures",
    "Progress",
    "TasteModel",
    "TasteReport",
    "as_labels",
    "canonical_labels",
    "check_inputs",
    "choose_features",
    "clean_playlist",
    "describe_inputs",
    "discover",
    "evaluate",
    "explain_import",
    "inputs_of",
    "label_digest",
    "label_groups",
    "labels_from_catalog",
    "model_settings",
    "parse_label_values",
    "read_labels",
    "refit",
    "synthetic_key",
    "train",
    "training_frame",
    "tune",
]
