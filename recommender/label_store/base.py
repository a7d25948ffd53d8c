"""What every label store does, whatever holds the rows: validation, the label table's shape,
CSV import and export. A backend (:mod:`.sqlite`, :mod:`.postgres`) only reads and writes rows."""
from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from ..errors import LabelError
from ..files import to_safe_csv
from ..taste.labels import LABEL_FEATURES, LABEL_TEXT, read_labels

_log = logging.getLogger(__name__)

DEFAULT_PROFILE = "default"
_MAX_PROFILE_NAME = 60
_MAX_OWNER = 200

# One label row as the backends write it: (label_key, track_id, track_name, artists, genres,
# label, features_json).
LabelRow = tuple


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_profile(name: object) -> str:
    text = str(name if name is not None else "").strip()
    if not text:
        raise LabelError("The profile name is empty; type a name such as 'me' or 'party'.")
    if len(text) > _MAX_PROFILE_NAME:
        raise LabelError(f"The profile name is {len(text)} characters long; use at most {_MAX_PROFILE_NAME}.")
    if any(ord(ch) < 32 for ch in text):
        raise LabelError("The profile name holds control characters; use letters, digits and spaces.")
    return text


def check_owner(owner: object) -> str:
    """The owner of the rows a store reads and writes: '' (anonymous / this machine) or the
    signed-in person's stable id."""
    if owner is None:
        return ""
    if not isinstance(owner, str):
        raise LabelError(f"The owner must be text, not {type(owner).__name__}.")
    if len(owner) > _MAX_OWNER or any(ord(ch) < 32 for ch in owner):
        raise LabelError(f"The owner id is not usable (at most {_MAX_OWNER} printable characters).")
    return owner


class BaseLabelStore(ABC):
    """Liked / disliked labels and trained taste models of named profiles, of one ``owner``.

    Every method reads or writes only the rows of ``self.owner`` ('' = anonymous / local).
    Every write is one transaction and can be repeated safely: :meth:`save` replaces a
    profile's labels, :meth:`add` upserts by ``label_key``, so saving the same labels twice
    never duplicates them.
    """

    owner: str = ""

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the rows live, in words safe to show (no password, no server folders)."""

    # -- what a backend implements

    @abstractmethod
    def profiles(self) -> list[str]:
        """Profile names of this owner, oldest first."""

    @abstractmethod
    def _create_profile(self, name: str, now: str) -> None: ...

    @abstractmethod
    def _delete_profile(self, name: str) -> None:
        """Delete the profile, its labels and model, and forget it as the owner's last choice."""

    @abstractmethod
    def _remember_profile(self, name: str, now: str) -> None:
        """Upsert this owner's row of ``owner_settings`` in one statement."""

    @abstractmethod
    def _last_profile(self) -> str | None:
        """This owner's remembered profile when that profile exists, else None."""

    @abstractmethod
    def _count(self, profile: str) -> int: ...

    @abstractmethod
    def _load_rows(self, profile: str) -> list[tuple]:
        """(label_key, track_id, track_name, artists, genres, label, features dict, created_at,
        updated_at) in the order they were stored."""

    @abstractmethod
    def _store_rows(self, profile: str, rows: list[LabelRow], *, replace: bool, now: str) -> int: ...

    @abstractmethod
    def _remove(self, profile: str, keys: list[str]) -> int: ...

    @abstractmethod
    def _save_model(self, profile: str, row: tuple, now: str) -> None:
        """Upsert ``row`` = (label_digest, n_labels, settings_json, report_json)."""

    @abstractmethod
    def _load_model_row(self, profile: str) -> tuple | None:
        """(label_digest, n_labels, settings_json, report_json, trained_at) or None."""

    @abstractmethod
    def _delete_model(self, profile: str) -> None: ...

    # -- profiles

    def create_profile(self, name: str) -> str:
        """Create a profile (no-op when it exists); returns the cleaned name."""
        name = check_profile(name)
        self._create_profile(name, now_text())
        return name

    def delete_profile(self, name: str) -> None:
        """Delete a profile with its labels and model; when it was the owner's last choice
        (:meth:`last_profile`), that is forgotten too."""
        self._delete_profile(check_profile(name))

    # -- the profile this owner chose last (a new session, e.g. after a failover, starts in it)

    def remember_profile(self, name: str) -> str:
        """Remember ``name`` as the profile this owner chose last; returns the cleaned name.

        One upsert of the owner's row: atomic, and repeating it changes nothing but the time.
        The profile need not be stored yet (the default one has no row before its first label);
        :meth:`last_profile` only returns a name that exists."""
        name = check_profile(name)
        self._remember_profile(name, now_text())
        return name

    def last_profile(self) -> str | None:
        """The profile this owner chose last, or None when nothing is remembered or that
        profile does not exist (any more)."""
        return self._last_profile()

    # -- labels

    def count(self, profile: str = DEFAULT_PROFILE) -> int:
        return int(self._count(check_profile(profile)))

    def load(self, profile: str = DEFAULT_PROFILE) -> pd.DataFrame:
        """The profile's labels: :data:`LABEL_COLUMNS` plus ``created_at``/``updated_at``."""
        records, numbers = [], []
        for key, track_id, name, artists, genres, label, features, created, updated in self._load_rows(
                check_profile(profile)):
            values = features if isinstance(features, dict) else json.loads(features or "{}")
            records.append((key, track_id, name, artists, genres, int(label), created, updated))
            numbers.append([values.get(f) for f in LABEL_FEATURES])
        frame = pd.DataFrame.from_records(records, columns=[*LABEL_TEXT, "label", "created_at", "updated_at"])
        columns = {c: frame[c] for c in LABEL_TEXT}
        columns["label"] = frame["label"].astype("int64")
        # The stored features are numbers (label_rows writes floats): one float matrix instead of
        # a conversion per column, which cost ~5 ms per load of a few labels (every Taste rerun).
        if all(type(v) in (float, int) or v is None for row in numbers for v in row):
            matrix = np.array(numbers, dtype=np.float64).reshape(len(numbers), len(LABEL_FEATURES))
            columns.update((f, matrix[:, j]) for j, f in enumerate(LABEL_FEATURES))
        else:  # anything else (text): pandas' conversion, unreadable values missing
            raw = pd.DataFrame(numbers, columns=list(LABEL_FEATURES), dtype=object)
            columns.update((f, pd.to_numeric(raw[f], errors="coerce").astype("float64")) for f in LABEL_FEATURES)
        columns["created_at"] = frame["created_at"]
        columns["updated_at"] = frame["updated_at"]
        return pd.DataFrame(columns)

    def save(self, profile: str, labels: pd.DataFrame) -> int:
        """Replace the profile's labels with ``labels`` in one transaction; returns the count."""
        return self._store(profile, labels, replace=True)

    def add(self, profile: str, labels: pd.DataFrame) -> int:
        """Add or update labels (same ``label_key`` = same track) in one transaction."""
        return self._store(profile, labels, replace=False)

    def remove(self, profile: str, keys: list[str]) -> int:
        return int(self._remove(check_profile(profile), [str(k) for k in keys]))

    def _store(self, profile: str, labels: pd.DataFrame, *, replace: bool) -> int:
        profile = check_profile(profile)
        rows = label_rows(labels)
        count = self._store_rows(profile, rows, replace=replace, now=now_text())
        _log.info("%s %d labels of profile %r in %s", "saved" if replace else "added", count, profile, self.location)
        return count

    # -- trained taste model (settings and scores only: it is refitted from the labels on load)

    def save_model_record(self, profile: str, *, label_digest: str, n_labels: int, settings: dict,
                          report: dict) -> None:
        """Remember the profile's trained model: the settings to refit it, the digest of the
        labels it learned from, and its scores. JSON only, so loading it runs no code."""
        profile = check_profile(profile)
        try:
            settings_json = json.dumps(settings, allow_nan=True)
            report_json = json.dumps(report, allow_nan=True, default=_json_default)
        except (TypeError, ValueError) as exc:
            raise LabelError(f"The trained model's settings cannot be stored ({exc}).") from None
        self._save_model(profile, (str(label_digest), int(n_labels), settings_json, report_json), now_text())

    def load_model_record(self, profile: str) -> dict | None:
        """The stored model record of ``profile`` (keys label_digest, n_labels, settings,
        report, trained_at), or None when none is stored or it cannot be read."""
        profile = check_profile(profile)
        row = self._load_model_row(profile)
        if row is None:
            return None
        try:
            settings, report = json.loads(row[2]), json.loads(row[3])
        except ValueError:
            _log.warning("stored taste model of profile %r is unreadable; ignored", profile)
            return None
        return {"label_digest": row[0], "n_labels": int(row[1]), "settings": settings, "report": report,
                "trained_at": row[4]}

    def delete_model_record(self, profile: str) -> None:
        self._delete_model(check_profile(profile))

    # -- files

    def export_csv(self, profile: str = DEFAULT_PROFILE) -> bytes:
        """The profile's labels as spreadsheet-safe CSV bytes (re-importable with :meth:`import_csv`)."""
        frame = self.load(profile).drop(columns=["created_at", "updated_at"])
        return to_safe_csv(frame)

    def import_csv(self, profile: str, source, *, replace: bool = False, catalog=None) -> int:
        """Import a labelled file (any catalog layout + a label column); returns the count."""
        return self.import_file(profile, source, replace=replace, catalog=catalog)[0]

    def import_file(self, profile: str, source, *, replace: bool = False, catalog=None) -> tuple[int, dict]:
        """Like :meth:`import_csv`, plus what the reader dropped and why: ``(count, notes)``
        (``notes`` as :func:`recommender.taste.explain_import` reads them)."""
        labels = read_labels(source, catalog=catalog)
        notes = dict(labels.attrs.get("import_notes", {}))
        return self._store(profile, labels, replace=replace), notes


def _json_default(value: object) -> object:
    """numpy numbers and arrays as plain JSON values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _cell(value: object) -> object:
    """A text cell: None for missing values (NaN, pd.NA, empty)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    text = str(value).replace("\x00", "")  # PostgreSQL text cannot hold NUL; SQLite gets the same
    return text if text.strip() else None


def label_rows(labels: pd.DataFrame) -> list[LabelRow]:
    """Validated rows ``(label_key, track_id, track_name, artists, genres, label, features_json)``."""
    if not isinstance(labels, pd.DataFrame):
        raise LabelError("Labels must be a table with at least the columns 'label_key' and 'label'.")
    missing = [c for c in ("label_key", "label") if c not in labels.columns]
    if missing:
        raise LabelError(
            f"The label table lacks the column(s) {', '.join(missing)}. Import the file with "
            "the label importer, which adds them."
        )
    values = pd.to_numeric(labels["label"], errors="coerce")
    bad = values.isna() | ~values.isin([0, 1])
    if bad.any():
        raise LabelError(
            f"{int(bad.sum())} label value(s) are not 1 (liked) or 0 (disliked), e.g. row "
            f"{int(np.flatnonzero(bad.to_numpy())[0]) + 1}."
        )
    keys = labels["label_key"].map(_cell)
    if keys.isna().any():
        raise LabelError(f"{int(keys.isna().sum())} label row(s) have no key (track ID or synthetic key).")
    rows: dict[str, tuple] = {}  # a repeated key keeps its last label
    text_cols = {c: (labels[c] if c in labels.columns else pd.Series(None, index=labels.index)) for c in LABEL_TEXT[1:]}
    numbers = {f: pd.to_numeric(labels[f], errors="coerce").astype("float64") for f in LABEL_FEATURES if f in labels.columns}
    for i, key in enumerate(keys):
        features = {}
        for f, col in numbers.items():
            v = col.iat[i]
            if np.isfinite(v):
                features[f] = float(v)
        rows[str(key)] = (
            str(key),
            *(_cell(text_cols[c].iat[i]) for c in LABEL_TEXT[1:]),
            int(values.iat[i]),
            json.dumps(features, separators=(",", ":")),
        )
    return list(rows.values())
