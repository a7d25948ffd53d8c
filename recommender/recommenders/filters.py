"""What recommendations must satisfy: :class:`Filters` (Spotify's tunable attributes and more)
and the boolean masks they become over a fitted catalog (:class:`FilterMasksMixin`).

Unknown values: a track whose value of a filtered feature is unknown (NaN) does not pass a
min/max bound on that feature, except popularity, whose treatment is set by
``Filters.unknown_popularity``: ``"exclude"`` (default) drops tracks with unknown popularity
only when a popularity bound is set; ``"include"`` lets them pass. Without a popularity bound
they are always kept. A ``target_*`` treats an unknown value as the catalog median. Tracks
with an unknown release year fail a year range.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..catalog import TUNABLE_FEATURES
from ..errors import FilterError
from ..tag_words import TAG_HEARD_AT, plain_tags
from .ranking import DEFAULT_MAX_PER_ARTIST_PER_PAGE

__all__ = ["Filters", "FilterMasksMixin", "coerce_filters", "float32_bound", "TARGET_STRENGTH"]

# A target_* costs a track TARGET_STRENGTH score standard deviations per feature standard
# deviation it is away from the target: a clear pull that still respects the seeds.
TARGET_STRENGTH = 2.0
UNKNOWN_POPULARITY_POLICIES = ("exclude", "include")
FILTER_MASKS_KEPT = 8  # min/max filter masks remembered per fitted model (1 MB each at 1M tracks)


def _shown(value: Any) -> str:
    """A short repr for messages (a huge int cannot even be turned into text)."""
    try:
        text = repr(value)
    except ValueError:
        return "a number too large to use"
    return text if len(text) <= 60 else text[:57] + "..."


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise FilterError(f"{name} must be a number, not {value!r}.")
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        raise FilterError(f"{name} must be a number, not {_shown(value)}.") from None
    if not math.isfinite(out):
        raise FilterError(f"{name} must be a finite number, not {value!r}.")
    return out


def _year(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    out = _number(name, value)
    if out != int(out):
        raise FilterError(f"{name} must be a whole year such as 1999, not {value!r}.")
    return int(out)


def _genre_list(name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items = [v.strip() for v in value.replace(",", ";").split(";")]
    elif isinstance(value, Iterable):
        items = [str(v).strip() for v in value]
    else:
        raise FilterError(f"{name} must be a list of genre names, not {value!r}.")
    return [v for v in items if v]


def _truthy(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise FilterError(f"{name} must be true or false, not {value!r}.")


@dataclass
class Filters:
    """What the recommendations must satisfy (Spotify's tunable attributes and more).

    ``min`` / ``max`` / ``target`` map a feature among :data:`TUNABLE_FEATURES` (including
    ``popularity``) to a value; a target pulls the ranking toward the value (a track one
    standard deviation away loses two standard deviations of score). Genres match the
    track's playlist genres or subgenres, case-insensitively. Diversity, by first-listed
    artist: ``max_per_artist`` is a hard cap over the whole list (default ``None``: off);
    ``max_per_artist_per_page`` (default 2) allows at most that many tracks of one artist
    in each page of 10 results, moving the rest down a page, so every top 10 holds >= 5
    artists (``None`` switches it off); the candidate pool grows until every page keeps it,
    and only when the filters leave too few artists does a page break it (the result's
    ``notes`` say so). Song identity (:mod:`recommender.songs`): a list never holds two
    versions of one song, and holds no version of a seed song unless ``include_versions``. ``unknown_popularity`` says how tracks whose popularity
    is unknown are treated when a popularity bound is set: ``"exclude"`` (default) or
    ``"include"``; without a bound they always stay.
    """

    min: dict[str, float] = field(default_factory=dict)
    max: dict[str, float] = field(default_factory=dict)
    target: dict[str, float] = field(default_factory=dict)
    include_genres: list[str] = field(default_factory=list)
    exclude_genres: list[str] = field(default_factory=list)
    min_year: int | None = None
    max_year: int | None = None
    exclude_seed_artists: bool = False
    include_versions: bool = False
    max_per_artist: int | None = None
    max_per_artist_per_page: int | None = DEFAULT_MAX_PER_ARTIST_PER_PAGE
    unknown_popularity: str = "exclude"
    include_tags: list[str] = field(default_factory=list)  # audio libraries: tags the network heard

    FLAT_KEYS: ClassVar[tuple[str, ...]] = (
        "include_genres", "exclude_genres", "min_year", "max_year",
        "exclude_seed_artists", "include_versions", "max_per_artist", "max_per_artist_per_page",
        "unknown_popularity", "include_tags",
    )

    def __post_init__(self) -> None:
        for kind in ("min", "max", "target"):
            values = getattr(self, kind) or {}
            clean = {}
            for name, value in dict(values).items():
                if name not in TUNABLE_FEATURES:
                    raise FilterError(
                        f"{kind}_{name} is not a tunable attribute; use one of: "
                        + ", ".join(TUNABLE_FEATURES) + "."
                    )
                if value is None or value == "":
                    continue
                clean[name] = _number(f"{kind}_{name}", value)
            setattr(self, kind, clean)
        for name in set(self.min) & set(self.max):
            if self.min[name] > self.max[name]:
                raise FilterError(
                    f"min_{name}={self.min[name]:g} is above max_{name}={self.max[name]:g}; "
                    "swap them or widen the range."
                )
        self.include_genres = _genre_list("include_genres", self.include_genres)
        self.exclude_genres = _genre_list("exclude_genres", self.exclude_genres)
        self.include_tags = [t.lower() for t in _genre_list("include_tags", self.include_tags)]
        self.min_year = _year("min_year", self.min_year)
        self.max_year = _year("max_year", self.max_year)
        if self.min_year is not None and self.max_year is not None and self.min_year > self.max_year:
            raise FilterError(
                f"min_year={self.min_year} is after max_year={self.max_year}; swap them."
            )
        self.exclude_seed_artists = _truthy("exclude_seed_artists", self.exclude_seed_artists)
        self.include_versions = _truthy("include_versions", self.include_versions)
        for key in ("max_per_artist", "max_per_artist_per_page"):
            value = getattr(self, key)
            if value is None or value == "" or (isinstance(value, str) and value.lower() == "none"):
                setattr(self, key, None)
                continue
            n = _number(key, value)
            if n < 1 or n != int(n):
                raise FilterError(f"{key} must be a whole number >= 1 (or None for no cap), not {value!r}.")
            setattr(self, key, int(n))
        if self.unknown_popularity not in UNKNOWN_POPULARITY_POLICIES:
            raise FilterError(
                f"unknown_popularity must be one of {UNKNOWN_POPULARITY_POLICIES}, "
                f"not {self.unknown_popularity!r}."
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Filters:
        """Build from flat keys (``min_energy``, ``target_tempo``, ``min_popularity``,
        ``min_year``, ``include_genres``, ...) or nested ``min``/``max``/``target`` dicts."""
        if data is None:
            return cls()
        if isinstance(data, Filters):
            return data
        kwargs: dict[str, Any] = {"min": {}, "max": {}, "target": {}}
        for key, value in dict(data).items():
            key = str(key)
            if key in ("min", "max", "target") and isinstance(value, Mapping):
                kwargs[key].update(value)
            elif key in cls.FLAT_KEYS:
                kwargs[key] = value
            elif key.startswith(("min_", "max_", "target_")) and key.split("_", 1)[1] in TUNABLE_FEATURES:
                kind, name = key.split("_", 1)
                kwargs[kind][name] = value
            else:
                allowed = ", ".join(
                    [f"min_/max_/target_ + one of {', '.join(TUNABLE_FEATURES)}", *cls.FLAT_KEYS]
                )
                raise FilterError(f"unknown filter {key!r}; allowed: {allowed}.")
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Flat keys for the values that differ from the defaults (URL query strings)."""
        out: dict[str, Any] = {}
        for kind in ("min", "max", "target"):
            for name, value in getattr(self, kind).items():
                out[f"{kind}_{name}"] = value
        default = Filters()
        for key in self.FLAT_KEYS:
            value = getattr(self, key)
            if value != getattr(default, key):
                out[key] = list(value) if isinstance(value, list) else value
        return out


def float32_bound(bound: float, kind: str) -> np.float32:
    """The float32 ``b`` with ``value >= b`` (kind ``"min"``) or ``value <= b`` (``"max"``)
    true for exactly the float32 values that pass the float64 ``bound``: the smallest float32
    at or above a min bound, the largest at or below a max bound. Comparing a float32 column
    to it gives the float64 comparison's answer without a float64 copy of the column."""
    with np.errstate(over="ignore"):
        b = np.float32(bound)  # nearest float32 (+-inf beyond its range)
        if kind == "min" and float(b) < bound:
            b = np.nextafter(b, np.float32(np.inf))
        elif kind == "max" and float(b) > bound:
            b = np.nextafter(b, np.float32(-np.inf))
    return b


def coerce_filters(filters: Filters | Mapping[str, Any] | None) -> Filters:
    if filters is None:
        return Filters()
    if isinstance(filters, Filters):
        return filters
    if isinstance(filters, Mapping):
        return Filters.from_dict(filters)
    raise FilterError(f"filters must be a Filters object or a dict, not {type(filters).__name__}.")



class FilterMasksMixin:
    """The filters as boolean masks over the fitted catalog (part of :class:`BaseRecommender`)."""

    def _filter_masks(self, filters: Filters, seed_pos: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """(label, mask) per active filter, in the order they are reported."""
        masks = [
            self._range_mask(kind, name, bound, filters.unknown_popularity)
            for kind in ("min", "max")
            for name, bound in getattr(filters, kind).items()
        ]
        return masks + self._other_filter_masks(filters, seed_pos)

    def _range_mask(self, kind: str, name: str, bound: float, unknown_popularity: str) -> tuple[str, np.ndarray]:
        """A min_/max_ filter's (label, mask); tracks with an unknown value fail it, except
        unknown popularity under ``unknown_popularity="include"``.

        Remembered per fit for the last FILTER_MASKS_KEPT distinct filters (read-only masks, one
        byte per track each): a listener, or a page of results, asks many seed sets under one
        filter, and a mask costs a pass over every track."""
        memo = self.__dict__.setdefault("_filter_masks_", {})
        key = (kind, name, bound, unknown_popularity)
        found = memo.get(key)
        if found is not None:
            return found
        values, n_unknown = self.index_.filter_values(self.catalog_.tracks, name)
        limit = float32_bound(bound, kind) if values.dtype == np.float32 else bound
        with np.errstate(invalid="ignore"):  # an unknown (NaN) value fails both
            ok = values >= limit if kind == "min" else values <= limit
        label = f"{kind}_{name}={bound:g}"
        if name == "popularity":
            if unknown_popularity == "include":
                if n_unknown:
                    ok |= np.isnan(values)
            elif n_unknown:
                label += f" (excludes the {n_unknown:,} tracks with unknown popularity)"
        elif n_unknown:
            label += f" ({name} is unknown for {n_unknown:,} tracks)"
        ok.flags.writeable = False
        memo[key] = (label, ok)
        while len(memo) > FILTER_MASKS_KEPT:
            memo.pop(next(iter(memo)), None)  # the oldest
        return label, ok

    def _other_filter_masks(self, filters: Filters, seed_pos: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """(label, mask) of the genre, year and seed-artist filters."""
        idx = self.index_
        masks: list[tuple[str, np.ndarray]] = []
        if filters.include_genres or filters.exclude_genres:
            names = {g: i for i, g in enumerate(idx.genre_names)}
            for kind, wanted in (("include_genres", filters.include_genres), ("exclude_genres", filters.exclude_genres)):
                if not wanted:
                    continue
                cols = [names[g.lower()] for g in wanted if g.lower() in names]
                unknown = [g for g in wanted if g.lower() not in names]
                if unknown and kind == "include_genres" and not cols:
                    known = ", ".join(sorted(idx.genre_names)[:30]) or "none"
                    raise FilterError(
                        f"genre {unknown[0]!r} is not in this catalog; known genres: {known}."
                    )
                if cols:
                    has = np.asarray(idx.genres[:, cols].sum(axis=1)).ravel() > 0
                else:
                    has = np.zeros(idx.n, dtype=bool)
                masks.append((f"{kind}={', '.join(wanted)}", has if kind == "include_genres" else ~has))
        if filters.min_year is not None or filters.max_year is not None:
            year = idx.year
            with np.errstate(invalid="ignore"):
                ok = ~np.isnan(year)
                if filters.min_year is not None:
                    ok &= year >= filters.min_year
                if filters.max_year is not None:
                    ok &= year <= filters.max_year
            label = f"release year {filters.min_year or '…'}–{filters.max_year or '…'}"
            masks.append((label, ok))
        if filters.include_tags:
            masks.append(self._tag_mask(filters.include_tags))
        if filters.exclude_seed_artists and len(seed_pos):
            masks.append(("exclude_seed_artists", ~idx.has_artist(idx.seed_artist_columns(seed_pos))))
        return masks

    def _tag_mask(self, wanted: list[str]) -> tuple[str, np.ndarray]:
        """Tracks in which the network heard every wanted tag (audio libraries only)."""
        sound = self.catalog_.sound
        if sound is None:
            raise FilterError(
                "tag filters work on an audio library (a scanned music folder); this catalog has no "
                "analysed audio. Remove the tag filter or load a library."
            )
        words, matrix = self.__dict__.get("_plain_tags_") or plain_tags(sound.tag_names, sound.tags)
        self.__dict__["_plain_tags_"] = (words, matrix)
        column = {w: j for j, w in enumerate(words)}
        unknown = [t for t in wanted if t not in column]
        if unknown:
            raise FilterError(f"tag {unknown[0]!r} is not one the network knows; known tags: {', '.join(sorted(words))}.")
        ok = (matrix[:, [column[t] for t in wanted]] >= TAG_HEARD_AT).all(axis=1)
        return f"tags {', '.join(wanted)}", ok

    def _apply_targets(self, scores: np.ndarray, candidates: np.ndarray, filters: Filters) -> np.ndarray:
        if not filters.target:
            return scores
        t = self.catalog_.tracks
        spread = float(np.std(scores[candidates])) if candidates.any() else 1.0
        spread = spread if spread > 1e-9 else 1.0
        penalty = np.zeros(len(scores), dtype=np.float32)
        for name, value in filters.target.items():
            if name not in t or t[name].isna().all():
                continue
            col = t[name].to_numpy(dtype=np.float32, na_value=np.nan)
            median = np.nanmedian(col)
            scale = np.nanstd(col) or 1.0
            col = np.where(np.isnan(col), median, col)
            penalty += np.abs(col - value) / scale
        return (scores - TARGET_STRENGTH * spread * penalty).astype(np.float32)

