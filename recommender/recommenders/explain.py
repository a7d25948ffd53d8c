"""Why each track, in a listener's words (:class:`ExplainMixin`, part of
:class:`BaseRecommender`), and the plain names and values of the features."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..catalog import TUNABLE_FEATURES, split_list
from ..neighbors import sorted_unique

if TYPE_CHECKING:
    from .filters import Filters

__all__ = ["PLAIN_FEATURE_NAMES", "PLAIN_DIRECTIONS", "plain_value", "plain_filter", "ExplainMixin"]

# What a listener calls each feature (explanations, notes); units where they help.
PLAIN_FEATURE_NAMES: dict[str, str] = {
    "acousticness": "acoustic sound",
    "danceability": "danceability",
    "duration_ms": "length",
    "energy": "energy",
    "instrumentalness": "instrumental (no vocals)",
    "key": "key",
    "liveness": "live-concert feel",
    "loudness": "loudness",
    "mode": "major/minor",
    "popularity": "popularity",
    "release_year": "release year",
    "speechiness": "spoken words",
    "tempo": "tempo",
    "time_signature": "beats per bar",
    "valence": "mood",
}
# (higher, lower) in plain words, for "but ..." in explanations.
PLAIN_DIRECTIONS: dict[str, tuple[str, str]] = {
    "acousticness": ("more acoustic", "less acoustic"),
    "danceability": ("more danceable", "less danceable"),
    "duration_ms": ("longer", "shorter"),
    "energy": ("more energetic", "calmer"),
    "instrumentalness": ("more instrumental", "more vocal"),
    "liveness": ("sounds more like a live recording", "sounds less like a live recording"),
    "loudness": ("louder", "quieter"),
    "release_year": ("newer", "older"),
    "speechiness": ("more spoken words", "fewer spoken words"),
    "tempo": ("faster", "slower"),
    "valence": ("happier", "sadder"),
}
_KEY_NAMES = ("C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B")


def plain_value(name: str, value: float) -> str:
    """A feature value as a listener reads it: 0-1 features in %, BPM, dB, m:ss, key names."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    v = float(value)
    if name == "tempo":
        return f"{v:.0f} BPM"
    if name == "loudness":
        return f"{v:.1f} dB"
    if name == "duration_ms":
        seconds = int(round(v / 1000))
        return f"{seconds // 60}:{seconds % 60:02d}"
    if name == "popularity":
        return f"{v:.0f}/100"
    if name == "release_year":
        return f"{v:.0f}"
    if name == "key":
        return _KEY_NAMES[int(v)] if 0 <= v < 12 else "no key"
    if name == "mode":
        return "major" if v >= 0.5 else "minor"
    if name == "time_signature":
        return f"{v:.0f}"
    return f"{100 * v:.0f}%"


def plain_filter(label: str, filters: Filters) -> str:
    """A filter's mask label (``min_popularity=60 (...)``) in a listener's words."""
    kind, _, rest = label.partition("_")
    name = rest.split("=", 1)[0]
    if kind in ("min", "max") and name in TUNABLE_FEATURES:
        words = PLAIN_FEATURE_NAMES.get(name, name)
        lo, hi = filters.min.get(name), filters.max.get(name)
        if lo is not None and hi is not None:
            return f"{words} {plain_value(name, lo)} to {plain_value(name, hi)}"
        return f"{words} at least {plain_value(name, lo)}" if lo is not None else f"{words} at most {plain_value(name, hi)}"
    if label.startswith("include_genres="):
        return "only " + label.split("=", 1)[1]
    if label.startswith("exclude_genres="):
        return "never " + label.split("=", 1)[1]
    if label == "exclude_seed_artists":
        return "leave out the seeds' artists"
    return label




class ExplainMixin:
    """The ``why`` column (part of :class:`BaseRecommender`)."""

    def _explain(self, seed_pos: np.ndarray, rec_pos: np.ndarray, filters: Filters | None = None) -> list[str]:
        """Why each track, in a listener's words, the strongest reason first: the user's
        targets when they drove the pick, the method's signals (same artist, shared
        playlists, ...), then how it sounds next to the closest seed."""
        extra = self._signals(seed_pos, rec_pos)
        base = self._base_reason(rec_pos)
        targets = self._target_reasons(rec_pos, filters)
        sound = self._sound_reasons(seed_pos, rec_pos)
        out = []
        for i in range(len(rec_pos)):
            parts = [targets[i], *extra[i], base[i], sound[i]]
            text = "; ".join(p for p in parts if p)
            out.append(text[:1].upper() + text[1:])
        return out

    def _target_reasons(self, rec_pos: np.ndarray, filters: Filters | None) -> list[str]:
        """"near your target tempo 120 BPM (118 BPM)" for each target the user set."""
        if filters is None or not filters.target:
            return ["" for _ in rec_pos]
        t = self.catalog_.tracks
        phrases = []
        for name, goal in filters.target.items():
            if name not in t:
                continue
            values = t[name].iloc[rec_pos].to_numpy(dtype=np.float64, na_value=np.nan)  # k rows, not the column
            words = PLAIN_FEATURE_NAMES.get(name, name)
            phrases.append([f"{words} {plain_value(name, v)} (your target: {plain_value(name, goal)})" for v in values])
        return [", ".join(row) for row in zip(*phrases)] if phrases else ["" for _ in rec_pos]

    def _sound_reasons(self, seed_pos: np.ndarray, rec_pos: np.ndarray) -> list[str]:
        """"sounds like 'Seed' by Artist: similar energy and mood, but faster"; the seed is
        named only when there are several (one seed: "like your seed")."""
        if self.space_ is None or len(seed_pos) == 0:
            return ["" for _ in rec_pos]
        space = self.space_
        X = space.transform_catalog()
        R, S = X[rec_pos], X[seed_pos]
        rn = R / np.maximum(np.linalg.norm(R, axis=1, keepdims=True), 1e-9)
        sn = S / np.maximum(np.linalg.norm(S, axis=1, keepdims=True), 1e-9)
        closest = seed_pos[np.argmax(rn @ sn.T, axis=1)]
        names = space.feature_names_
        cols = [i for i, f in enumerate(names) if f in PLAIN_DIRECTIONS]
        if not cols:
            return ["" for _ in rec_pos]
        w = space.weights_
        Zr = R[:, cols] / np.where(w[cols] > 0, w[cols], 1)
        Zs = X[closest][:, cols] / np.where(w[cols] > 0, w[cols], 1)
        # The closest seeds' names, gathered once for all rows (not row by row).
        columns = self._table_columns()
        t = self.catalog_.tracks
        seed_names, seed_artists = (
            (columns[c].take(closest) if c in columns else t[c].iloc[closest]).tolist()
            for c in ("track_name", "artists")
        )
        # Every row at once: the two closest features (a match counts more where the seed is
        # distinctive: two tracks both near the catalog average instrumentalness, zero, is no
        # reason worth telling) and the widest difference.
        words = [PLAIN_FEATURE_NAMES[names[c]] for c in cols]
        directions = [PLAIN_DIRECTIONS[names[c]] for c in cols]
        diff = Zr - Zs
        closeness = np.abs(diff) - 0.5 * np.minimum(np.abs(Zs), 2.0)
        closest_features = np.argsort(closeness, axis=1, kind="stable")[:, :2].tolist()
        widest = np.argmax(np.abs(diff), axis=1)
        widest_diff = diff[np.arange(len(rec_pos)), widest].tolist()
        widest = widest.tolist()
        several = len(sorted_unique(seed_pos)) > 1
        out = []
        for i in range(len(rec_pos)):
            if several and pd.notna(seed_names[i]):
                artist = split_list(seed_artists[i])
                like = f"sounds like '{seed_names[i]}'" + (f" by {artist[0]}" if artist else "")
            else:
                like = "sounds like your seed" if not several else "sounds like one of your seeds"
            reason = f"{like}: similar {' and '.join(words[j] for j in closest_features[i])}"
            if abs(widest_diff[i]) >= 0.5:
                higher, lower = directions[widest[i]]
                reason += f", but {higher if widest_diff[i] > 0 else lower}"
            out.append(reason)
        return out

    def _base_reason(self, rec_pos: np.ndarray) -> list[str]:
        return ["" for _ in rec_pos]

