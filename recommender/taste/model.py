"""The taste model (:class:`TasteModel`) and how it is stored.

A model is stored two ways. :meth:`TasteModel.save` writes a joblib pickle behind a header
and a SHA-256 digest, with the feature list and library versions (only load model files this
app wrote: unpickling runs code). The label store keeps no pickle: :func:`model_settings`
(JSON) and :func:`label_digest` (a fingerprint of the labels) are enough for :func:`refit` to
rebuild the same model from the same labels.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn

from ..catalog import AUDIO_FEATURES, Catalog
from ..errors import LabelError, ModelError, check_fitted
from ..files import atomic_write_bytes
from .estimators import DEFAULT_MODEL, MODELS, _build_estimator
from .labels import LABEL_FEATURES, canonical_labels, label_groups
from .sound import AUDIO_INPUTS, SOUND_INPUTS, check_inputs, is_sound_column, sound_features, with_sound

_log = logging.getLogger(__name__)

__all__ = ["MIN_LABELS", "MIN_SOUND_LABELS", "TasteModel", "choose_features", "label_digest", "model_settings",
           "refit", "training_frame"]

MIN_LABELS = 20
MIN_PER_CLASS = 5
# A music library is small, and the network's description separates sounds with fewer examples
# than Spotify's 12 numbers do: fewer labels are enough to start (CV then has 4 folds).
MIN_SOUND_LABELS = 10
MIN_SOUND_PER_CLASS = 4
# Extra columns used when the labels (and the catalog to score) know them for most tracks.
EXTRA_FEATURES: tuple[str, ...] = ("popularity", "release_year")
_EXTRA_MIN_KNOWN = 0.9

_MAGIC = b"TASTEMAP-TASTE-MODEL v1\n"
_FORMAT_VERSION = 1
_NOT_TRAINED = "The taste model is not trained yet; train it on your labels first."


def choose_features(labels: pd.DataFrame, catalog: Catalog | None = None) -> list[str]:
    """The 12 audio features, plus extras known for most labels (and most catalog tracks); on an
    audio library, its measured features and the network's embedding (:func:`sound_features`)."""
    if catalog is not None and catalog.has_sound:
        return sound_features(catalog)
    features = list(AUDIO_FEATURES)
    for extra in EXTRA_FEATURES:
        if extra not in labels.columns:
            continue
        if pd.to_numeric(labels[extra], errors="coerce").notna().mean() < _EXTRA_MIN_KNOWN:
            continue
        if catalog is not None and (
            extra not in catalog.tracks.columns or catalog.tracks[extra].notna().mean() < _EXTRA_MIN_KNOWN
        ):
            continue
        features.append(extra)
    return features


def training_frame(labels: pd.DataFrame, inputs: str, catalog: Catalog | None) -> pd.DataFrame:
    """The labels with what a model on ``inputs`` learns from: on an audio library, each
    label's embedding and measured features looked up by track ID (:func:`with_sound`)."""
    if inputs != SOUND_INPUTS:
        return labels
    check_inputs(inputs, catalog)
    if not isinstance(labels, pd.DataFrame) or "label" not in labels.columns:
        raise LabelError("Labels must be a table with a 'label' column (1 liked, 0 disliked).")
    return with_sound(labels, catalog)


def _required(features: list[str]) -> tuple[list[str], bool]:
    """The columns a usable label must know, and whether these are a library's inputs."""
    sound = any(is_sound_column(f) for f in features)
    return (list(features) if sound else list(AUDIO_FEATURES)), sound


def _training_data(labels: pd.DataFrame, features: list[str]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, bool, int]:
    """Check labels and return ``(X, y, groups, artists_known, n_dropped)``."""
    if not isinstance(labels, pd.DataFrame) or "label" not in labels.columns:
        raise LabelError("Labels must be a table with a 'label' column (1 liked, 0 disliked).")
    required, sound = _required(features)
    missing_cols = [f for f in required if f not in labels.columns]
    if missing_cols:
        raise LabelError(f"The labels lack the audio feature column(s) {', '.join(missing_cols[:12])}.")
    y_all = pd.to_numeric(labels["label"], errors="coerce")
    known = labels[required].apply(pd.to_numeric, errors="coerce").notna().all(axis=1)
    usable = y_all.isin([0, 1]) & known
    dropped = int((~usable).sum())
    data = labels[usable.to_numpy()].reset_index(drop=True)
    y = y_all[usable].to_numpy(dtype=int)
    n = len(y)
    min_labels, min_per_class = (MIN_SOUND_LABELS, MIN_SOUND_PER_CLASS) if sound else (MIN_LABELS, MIN_PER_CLASS)
    if n < min_labels:
        raise LabelError(
            (f"Only {n} labelled track(s) of this music library" if sound else
             f"Only {n} labelled track(s) with audio features")
            + ((f" ({dropped} more labels are of tracks outside it or lack a 1/0 label)" if sound else
                f" ({dropped} more lack features or a 1/0 label)") if dropped else "")
            + f"; label at least {min_labels} tracks, both liked and disliked, before training."
        )
    liked, disliked = int(y.sum()), int(n - y.sum())
    if min(liked, disliked) == 0:
        which = "liked" if liked else "disliked"
        raise LabelError(
            f"All {n} labels say {which}; the model needs both likes and dislikes. Label some "
            f"{'disliked' if liked else 'liked'} tracks too."
        )
    if min(liked, disliked) < min_per_class:
        raise LabelError(
            f"Only {min(liked, disliked)} track(s) are labelled "
            f"{'liked' if liked < disliked else 'disliked'}; label at least {min_per_class} of each "
            "class before training."
        )
    X = data.reindex(columns=features).apply(pd.to_numeric, errors="coerce").astype("float64")
    groups, known = label_groups(data)
    return X, y, groups, known, dropped


class TasteModel:
    """A liked/disliked classifier over audio features (a scikit-learn pipeline inside).

    >>> model = TasteModel("ensemble").fit(labels)            # doctest: +SKIP
    >>> model.score_catalog(catalog).head()                   # doctest: +SKIP
    """

    def __init__(self, model: str = DEFAULT_MODEL, *, features: list[str] | None = None,
                 params: dict | None = None, random_state: int = 0, n_jobs: int = 1,
                 inputs: str = AUDIO_INPUTS) -> None:
        if model not in MODELS:
            raise ModelError(f"Unknown model {model!r}; choose one of: {', '.join(MODELS)}.")
        if inputs not in (AUDIO_INPUTS, SOUND_INPUTS):
            raise ModelError(f"Unknown model inputs {inputs!r}; a model learns from {AUDIO_INPUTS!r} or {SOUND_INPUTS!r}.")
        self.model = model
        self.inputs = inputs
        self.features = list(features) if features is not None else None
        self.params = dict(params or {})
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __repr__(self) -> str:
        return f"TasteModel({self.model!r}, params={self.params!r})"

    def make_estimator(self):
        """The unfitted scikit-learn estimator (pipeline) this model trains."""
        estimator = _build_estimator(self.model, self.random_state, self.n_jobs, sound=self.inputs == SOUND_INPUTS)
        if self.params:
            try:
                estimator.set_params(**self.params)
            except ValueError as exc:
                raise ModelError(f"Invalid parameter for model {self.model!r}: {exc}") from None
        return estimator

    def fit(self, labels: pd.DataFrame, *, catalog: Catalog | None = None) -> TasteModel:
        """Train on all usable labels; ``catalog`` limits extra features to what it holds (and
        gives a library model its tracks' sound: it is required then)."""
        check_inputs(self.inputs, catalog)
        features = self.features or choose_features(labels, catalog)
        X, y, _groups, _known, dropped = _training_data(training_frame(labels, self.inputs, catalog), features)
        self.sound_model_, self.sound_dim_ = "", 0
        if self.inputs == SOUND_INPUTS:
            self.sound_model_ = catalog.sound.model
            self.sound_dim_ = int(catalog.sound.embeddings.shape[1])
        self.feature_names_ = list(features)
        self.estimator_ = self.make_estimator().fit(X, y)
        self.n_labels_ = int(len(y))
        self.n_liked_ = int(y.sum())
        self.n_dropped_ = dropped
        self.trained_at_ = datetime.now(UTC).isoformat(timespec="seconds")
        self.versions_ = _versions()
        self.metadata_: dict = {}
        _log.info("trained %s on %d labels (%d features)", self.model, len(y), len(features))
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of "liked" for each row of ``frame`` (NaN where audio features are missing)."""
        check_fitted(self, "estimator_", message=_NOT_TRAINED)
        missing = [f for f in self.feature_names_ if f not in frame.columns]
        if missing:
            raise ModelError(
                f"The tracks to score lack the feature(s) {', '.join(missing)} this model was "
                "trained on; retrain the model on this catalog's features."
            )
        X = frame[self.feature_names_].apply(pd.to_numeric, errors="coerce").astype("float64")
        out = np.full(len(X), np.nan)
        ok = X[_required(self.feature_names_)[0]].notna().all(axis=1).to_numpy()
        if ok.any():
            out[ok] = self.estimator_.predict_proba(X[ok])[:, 1]
        return out

    def check_catalog(self, catalog: Catalog) -> None:
        """Raise :class:`ModelError` unless ``catalog`` holds every feature the model uses."""
        check_fitted(self, "estimator_", message=_NOT_TRAINED)
        self.check_inputs(catalog)
        if self.inputs == SOUND_INPUTS:
            return
        if not catalog.has_features:
            raise ModelError(
                f"The catalog '{catalog.name}' has no audio features (a track list); the taste "
                "model cannot score it. Load a catalog with audio features."
            )
        absent = [
            f for f in self.feature_names_
            if f not in catalog.tracks.columns or catalog.tracks[f].notna().mean() < 0.5
        ]
        if absent:
            raise ModelError(
                f"The catalog '{catalog.name}' has no {', '.join(absent)} for its tracks (its file does not give "
                f"them), and this taste model judges tracks by {len(self.feature_names_)} features including them, "
                "so it cannot score this catalog. Load a file that gives them, or train a model on features it has."
            )

    def check_inputs(self, catalog: Catalog | None) -> None:
        """Raise :class:`ModelError` when ``catalog`` cannot give what this model learned from
        (a library model on a catalog without sound, or the reverse)."""
        check_inputs(self.inputs, catalog, sound_model=getattr(self, "sound_model_", ""),
                     dim=getattr(self, "sound_dim_", 0))

    def score_catalog(self, catalog: Catalog, track_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """Catalog tracks (all, or ``track_ids`` in order) with ``like_probability``, best first
        when scoring everything."""
        self.check_catalog(catalog)
        tracks = catalog.tracks
        if track_ids is not None:
            pos = catalog.positions(list(track_ids))
            tracks = tracks.iloc[pos[pos >= 0]]
        out = tracks[["track_id", "track_name", "artists", "genres"]].copy().reset_index(drop=True)
        if self.inputs == SOUND_INPUTS:
            tracks = with_sound(tracks[["track_id"]], catalog)
        out["like_probability"] = self.predict_proba(tracks)
        if track_ids is None:
            out = out.sort_values("like_probability", ascending=False, kind="stable")
        return out.reset_index(drop=True)

    # -- persistence

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model atomically: header, SHA-256 digest of the payload, joblib payload."""
        return atomic_write_bytes(path, self.to_bytes())

    def to_bytes(self) -> bytes:
        """The saved-model file as bytes (for a download button)."""
        check_fitted(self, "estimator_", message=_NOT_TRAINED)
        payload = {
            "format_version": _FORMAT_VERSION,
            "model": self.model,
            "params": self.params,
            "random_state": self.random_state,
            "features": list(self.feature_names_),
            "inputs": self.inputs,
            "sound_model": getattr(self, "sound_model_", ""),
            "sound_dim": getattr(self, "sound_dim_", 0),
            "estimator": self.estimator_,
            "n_labels": self.n_labels_,
            "n_liked": self.n_liked_,
            "trained_at": self.trained_at_,
            "versions": self.versions_,
            "metadata": getattr(self, "metadata_", {}),
        }
        buffer = io.BytesIO()
        joblib.dump(payload, buffer, compress=3)
        body = buffer.getvalue()
        return _MAGIC + hashlib.sha256(body).hexdigest().encode("ascii") + b"\n" + body

    @classmethod
    def load(cls, path: str | os.PathLike, *, catalog: Catalog | None = None) -> TasteModel:
        """Load a saved model; refuse (:class:`ModelError`) a corrupt file, another library
        version, or features ``catalog`` does not hold."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ModelError(f"{path}: no such model file. Train and save a model first.") from None
        except OSError as exc:
            raise ModelError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
        return cls.from_bytes(data, name=str(path), catalog=catalog)

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str = "model file", catalog: Catalog | None = None) -> TasteModel:
        if not data.startswith(_MAGIC):
            raise ModelError(f"{name}: not a Tastemap taste model file (wrong header). Save a model "
                             "with 'taste train --save' or the Taste page.")
        rest = data[len(_MAGIC):]
        digest, sep, body = rest.partition(b"\n")
        if not sep or len(digest) != 64:
            raise ModelError(f"{name}: the model file is truncated (no complete header). Train and save it again.")
        if hashlib.sha256(body).hexdigest().encode("ascii") != digest:
            raise ModelError(f"{name}: the model file is corrupt or truncated (checksum mismatch). "
                             "Train and save it again.")
        try:
            payload = joblib.load(io.BytesIO(body))
        except Exception as exc:  # unpickling fails in many ways on a foreign library version
            raise ModelError(f"{name}: the model cannot be read with this installation ({type(exc).__name__}: "
                             f"{str(exc)[:160]}). Retrain it.") from None
        if not isinstance(payload, dict) or payload.get("format_version") != _FORMAT_VERSION:
            raise ModelError(f"{name}: unsupported model file version; retrain the model.")
        saved, current = payload.get("versions", {}), _versions()
        for lib in ("sklearn", "numpy"):
            if _major_minor(saved.get(lib)) != _major_minor(current[lib]):
                raise ModelError(
                    f"{name}: saved with {lib} {saved.get(lib)}, but this installation has "
                    f"{current[lib]}; a model is only loaded by the versions that wrote it. Retrain it."
                )
        inputs = payload.get("inputs", AUDIO_INPUTS)
        if inputs not in (AUDIO_INPUTS, SOUND_INPUTS):
            raise ModelError(f"{name}: the model learned from inputs this version does not know ({inputs!r}); retrain it.")
        model = cls(payload["model"], features=payload["features"], params=payload.get("params"),
                    random_state=payload.get("random_state", 0), inputs=inputs)
        model.sound_model_ = str(payload.get("sound_model", ""))
        model.sound_dim_ = int(payload.get("sound_dim", 0))
        model.feature_names_ = list(payload["features"])
        model.estimator_ = payload["estimator"]
        model.n_labels_ = int(payload.get("n_labels", 0))
        model.n_liked_ = int(payload.get("n_liked", 0))
        model.n_dropped_ = 0
        model.trained_at_ = payload.get("trained_at")
        model.versions_ = saved
        model.metadata_ = payload.get("metadata", {})
        if catalog is not None:
            model.check_catalog(catalog)
        return model


def _versions() -> dict[str, str]:
    return {"sklearn": sklearn.__version__, "numpy": np.__version__, "joblib": joblib.__version__}


def _major_minor(version: str | None) -> tuple[str, ...]:
    return tuple(re.split(r"[.+]", str(version))[:2]) if version else ()


def refit(labels: pd.DataFrame, settings: dict, *, catalog: Catalog | None = None) -> TasteModel:
    """The model :func:`~recommender.taste.selection.train` made from these labels and
    ``settings`` (:func:`model_settings`). A model trained on a music library needs that library
    as ``catalog`` (its tracks' sound); settings and catalog that do not match raise
    :class:`ModelError` saying so (settings saved before inputs were recorded mean audio features)."""
    inputs = settings.get("inputs", AUDIO_INPUTS)
    model = TasteModel(settings["model"], features=settings["features"], params=settings.get("params") or {},
                       random_state=int(settings.get("random_state", 0)), inputs=inputs)
    check_inputs(inputs, catalog, sound_model=str(settings.get("sound_model", "")), dim=int(settings.get("sound_dim", 0)))
    return model.fit(canonical_labels(labels), catalog=catalog)


def model_settings(model: TasteModel) -> dict:
    """What :func:`refit` needs to rebuild ``model`` (JSON-safe; no estimator, nothing to unpickle)."""
    check_fitted(model, "estimator_", message=_NOT_TRAINED)
    return {"model": model.model, "features": list(model.feature_names_), "params": dict(model.params),
            "random_state": int(model.random_state), "sklearn": sklearn.__version__, "inputs": model.inputs,
            "sound_model": getattr(model, "sound_model_", ""), "sound_dim": int(getattr(model, "sound_dim_", 0))}


def label_digest(labels: pd.DataFrame) -> str:
    """A fingerprint of what a model learns from: each label's key, like/dislike and features."""
    frame = canonical_labels(labels)
    cols = [c for c in ("label_key", "label", *LABEL_FEATURES) if c in frame.columns]
    digest = hashlib.sha256()
    for row in frame[cols].itertuples(index=False):
        digest.update("\x1f".join("" if pd.isna(v) else (f"{float(v):.9g}" if isinstance(v, (int, float, np.number))
                                                       else str(v)) for v in row).encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()
