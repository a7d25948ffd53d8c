"""Seeds and filters <-> the URL query string, so a Recommend page can be shared as a link.

The Recommend page keeps its settings under plain session keys (see :data:`ui.state.RECOMMEND_DEFAULTS`);
:func:`state_to_query` turns them into flat query parameters (``seeds``, ``method``, ``k``
and the flat filter names of :meth:`recommender.recommenders.Filters.to_dict`, e.g.
``min_energy=0.5&include_genres=pop,rock``), and :func:`query_to_state` does the reverse,
checking every value and explaining what it could not use.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from recommender.catalog import TUNABLE_FEATURES
from recommender.errors import FilterError
from recommender.recommenders.hybrid import HYBRID_CANDIDATES_ABOVE as LEARNED_UP_TO

from .state import DEFAULT_K, RECOMMEND_DEFAULTS

__all__ = [
    "MAX_SHARED_SEEDS",
    "VERSIONS_PARAM",
    "MAIN_FILTER_KEYS",
    "advanced_filter_count",
    "filters_from_state",
    "feature_bounds",
    "offered_methods",
    "page_state",
    "query_to_state",
    "state_to_query",
]

# The link parameter for the include_versions filter: short, since links are pasted in chats.
VERSIONS_PARAM = "versions"
MAX_SHARED_SEEDS = 50  # a link with more seeds gets too long for some chat apps
K_RANGE = (5, 100)

# Flat filters set outside the advanced panel (next to the method and the number of tracks).
MAIN_FILTER_KEYS = ("min_popularity", "max_popularity", "exclude_seed_artists", "include_versions")
# Per-feature keys: rec_range_<f> (lo, hi), rec_target_on_<f> (bool), rec_target_<f> (float).
FEATURES = tuple(f for f in TUNABLE_FEATURES if f != "popularity")


def offered_methods(summary: Mapping[str, Any], has_sound: bool) -> tuple[str, ...]:
    """The methods that give a sensible list on this catalog, the default first.

    ``sound`` needs analysed audio (and is then the default); ``popular`` and ``cluster`` rank by
    popularity, so they need some; on an audio library without playlists ``hybrid`` has only the
    measured features ``similar`` already uses, so it is left out there; ``learned`` needs
    playlists to learn from, and up to LEARNED_UP_TO tracks (above, it keeps the hybrid's order).
    """
    methods: list[str] = ["sound"] if has_sound else []
    if not has_sound or summary.get("playlists", 0) or summary.get("year_range"):
        methods.append("hybrid")
    if summary.get("playlists", 0) and summary.get("tracks", 0) <= LEARNED_UP_TO:
        methods.append("learned")  # it learns from the playlists; above LEARNED_UP_TO it is the hybrid
    methods.append("similar")
    if summary.get("popularity_known", 0):
        methods += ["cluster", "popular"]
    return tuple(methods)


def feature_bounds(summary: Mapping[str, Any]) -> dict[str, tuple[float, float, float]]:
    """Slider (lo, hi, step) per tunable feature, from the catalog's observed ranges."""
    out: dict[str, tuple[float, float, float]] = {}
    for f, r in summary.get("feature_ranges", {}).items():
        if f not in FEATURES:
            continue
        lo, hi = float(r["min"]), float(r["max"])
        if f in ("key", "mode", "time_signature"):
            out[f] = (math.floor(lo), math.ceil(hi) if hi > lo else lo + 1, 1.0)
        elif f == "duration_ms":
            out[f] = (math.floor(lo / 1000) * 1000.0, math.ceil(hi / 1000) * 1000.0, 1000.0)
        elif f == "tempo":
            out[f] = (math.floor(lo), math.ceil(hi), 1.0)
        elif f == "loudness":
            out[f] = (math.floor(lo), math.ceil(hi), 0.5)
        else:
            out[f] = (round(math.floor(lo * 100) / 100, 2), round(math.ceil(hi * 100) / 100, 2), 0.01)
        out[f] = tuple(float(v) for v in out[f])  # sliders want one numeric type
        if out[f][1] <= out[f][0]:
            out[f] = (out[f][0], out[f][0] + out[f][2], out[f][2])
    return out


def filters_from_state(state: Mapping[str, Any], bounds: Mapping[str, tuple[float, float, float]],
                       year_range: tuple[int, int] | None) -> dict[str, Any]:
    """Flat filter keys from the page's settings (only what differs from "no filter")."""
    out: dict[str, Any] = {}
    lo, hi = state.get("rec_pop", (0, 100))
    if lo > 0:
        out["min_popularity"] = float(lo)
    if hi < 100:
        out["max_popularity"] = float(hi)
    for f in state.get("rec_features", []):
        if f not in bounds:
            continue
        b_lo, b_hi, _ = bounds[f]
        r_lo, r_hi = state.get(f"rec_range_{f}", (b_lo, b_hi))
        if r_lo > b_lo:
            out[f"min_{f}"] = float(r_lo)
        if r_hi < b_hi:
            out[f"max_{f}"] = float(r_hi)
        if state.get(f"rec_target_on_{f}"):
            out[f"target_{f}"] = float(state.get(f"rec_target_{f}", (b_lo + b_hi) / 2))
    if state.get("rec_genres_in"):
        out["include_genres"] = list(state["rec_genres_in"])
    if state.get("rec_genres_out"):
        out["exclude_genres"] = list(state["rec_genres_out"])
    if state.get("rec_tags"):
        out["include_tags"] = list(state["rec_tags"])
    years = state.get("rec_years")
    if years and year_range:
        if years[0] > year_range[0]:
            out["min_year"] = int(years[0])
        if years[1] < year_range[1]:
            out["max_year"] = int(years[1])
    if state.get("rec_excl_artists"):
        out["exclude_seed_artists"] = True
    if state.get("rec_include_versions"):
        out["include_versions"] = True
    cap = state.get("rec_max_per_artist", 0)
    if cap:
        out["max_per_artist"] = int(cap)
    return out


def page_state(session: Mapping[str, Any]) -> dict[str, Any]:
    """The page's settings from ``st.session_state`` (or any mapping): :data:`RECOMMEND_DEFAULTS`
    where unset, plus the per-feature keys that are set."""
    state = {key: session.get(key, default) for key, default in RECOMMEND_DEFAULTS.items()}
    for f in FEATURES:
        for key in (f"rec_range_{f}", f"rec_target_on_{f}", f"rec_target_{f}"):
            if key in session:
                state[key] = session[key]
    return state


def advanced_filter_count(filters: Mapping[str, Any]) -> int:
    """How many of the flat ``filters`` are set in the advanced panel."""
    return sum(1 for key in filters if key not in MAIN_FILTER_KEYS)


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e6 else f"{value:.0f}"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def state_to_query(seed_ids: list[str], method: str, k: int, filters: Mapping[str, Any]) -> dict[str, str]:
    """Flat query parameters for the current seeds, method, k and filters (flat keys).

    ``seed_ids`` should be the seeds the catalog resolved: a shared link holds no ID the page
    rejected.
    """
    query: dict[str, str] = {}
    if seed_ids:
        query["seeds"] = ",".join(seed_ids[:MAX_SHARED_SEEDS])
    if method != RECOMMEND_DEFAULTS["rec_method"]:
        query["method"] = method
    if k != DEFAULT_K:
        query["k"] = str(int(k))
    for key, value in filters.items():
        if key == "max_per_artist":
            if (value or 0) != RECOMMEND_DEFAULTS["rec_max_per_artist"]:
                query[key] = str(int(value or 0))
            continue
        if value is None or value == [] or value is False:
            continue
        query[VERSIONS_PARAM if key == "include_versions" else key] = _fmt(value)
    return query


def query_to_state(query: Mapping[str, Any], *, methods: tuple[str, ...],
                   bounds: Mapping[str, tuple[float, float, float]], genres: list[str],
                   year_range: tuple[int, int] | None,
                   tags: list[str] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Page settings from query parameters, and a message for everything not used.

    ``methods`` are the ones this catalog offers, its default first; ``tags`` the sound tags it
    offers (audio libraries). Unknown parameters, bad numbers, genres or tags this catalog lacks
    and values outside the sliders' ranges are reported (and clipped or skipped), never raised.
    """
    from recommender.recommenders import Filters

    state: dict[str, Any] = {}
    notes: list[str] = []
    params = {str(k): (v[-1] if isinstance(v, list) and v else v) for k, v in query.items()}

    seeds = params.pop("seeds", None)
    if seeds:
        text = str(seeds)[:20_000].replace(",", "\n")
        state["seed_text"] = text
        state["rec_search_ids"] = []
    method = params.pop("method", None)
    if method is not None:
        if method in methods:
            state["rec_method"] = method
        elif method == "sound":
            notes.append(f"the sound method needs a library of analysed music files, and this catalog has "
                         f"none; using {methods[0]} instead.")
        else:
            notes.append(f"method {method!r} is not available here (use one of {', '.join(methods)}); "
                         f"using {methods[0]}.")
    k = params.pop("k", None)
    if k is not None:
        try:
            state["rec_k"] = min(max(int(float(k)), K_RANGE[0]), K_RANGE[1])
        except (TypeError, ValueError, OverflowError):
            notes.append(f"k={k!r} is not a number; using {DEFAULT_K}.")

    versions = params.pop(VERSIONS_PARAM, params.pop("include_versions", None))
    if versions is not None:
        if str(versions).strip().lower() in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
            state["rec_include_versions"] = str(versions).strip().lower() in ("1", "true", "yes", "on")
        else:
            notes.append(f"{VERSIONS_PARAM}={versions!r} is not 1 or 0; other versions of the seeds stay out.")

    flat: dict[str, Any] = {}
    for key, value in params.items():
        kind, _, name = key.partition("_")
        if key in Filters.FLAT_KEYS or (kind in ("min", "max", "target") and name in TUNABLE_FEATURES):
            flat[key] = value
        else:
            notes.append(f"the link parameter {key!r} is not a known setting and was ignored.")
    if flat.get("max_per_artist") in ("0", 0, ""):
        flat["max_per_artist"] = None
    try:
        filters = Filters.from_dict(flat)
    except FilterError as exc:
        notes.append(f"the link's filters could not be used ({exc}); they were left out.")
        return state, notes

    pop_lo = filters.min.get("popularity", 0.0)
    pop_hi = filters.max.get("popularity", 100.0)
    state["rec_pop"] = (int(max(0, min(100, pop_lo))), int(max(0, min(100, pop_hi))))
    chosen: list[str] = []
    for f in FEATURES:
        has_bound = f in filters.min or f in filters.max
        has_target = f in filters.target
        if not (has_bound or has_target):
            continue
        if f not in bounds:
            notes.append(f"this catalog has no {f} values; the {f} filter was left out.")
            continue
        lo, hi, _ = bounds[f]
        r_lo = min(max(filters.min.get(f, lo), lo), hi)
        r_hi = min(max(filters.max.get(f, hi), lo), hi)
        state[f"rec_range_{f}"] = (r_lo, r_hi)
        state[f"rec_target_on_{f}"] = has_target
        if has_target:
            state[f"rec_target_{f}"] = min(max(filters.target[f], lo), hi)
        chosen.append(f)
    state["rec_features"] = chosen
    known = {g.lower(): g for g in genres}
    for key, values in (("rec_genres_in", filters.include_genres), ("rec_genres_out", filters.exclude_genres)):
        kept = [known[g.lower()] for g in values if g.lower() in known]
        missing = [g for g in values if g.lower() not in known]
        if missing:
            notes.append("genres not in this catalog were left out: " + ", ".join(missing[:10]) + ".")
        state[key] = kept
    known_tags = {t.lower(): t for t in (tags or [])}
    kept_tags = [known_tags[t] for t in filters.include_tags if t in known_tags]
    missing_tags = [t for t in filters.include_tags if t not in known_tags]
    if missing_tags:
        notes.append("sound tags not heard in this catalog were left out: " + ", ".join(missing_tags[:10]) + ".")
    state["rec_tags"] = kept_tags
    if year_range and (filters.min_year is not None or filters.max_year is not None):
        lo = filters.min_year if filters.min_year is not None else year_range[0]
        hi = filters.max_year if filters.max_year is not None else year_range[1]
        lo, hi = min(max(lo, year_range[0]), year_range[1]), min(max(hi, year_range[0]), year_range[1])
        state["rec_years"] = (min(lo, hi), max(lo, hi))
    else:
        state["rec_years"] = None
    state["rec_excl_artists"] = filters.exclude_seed_artists
    state["rec_max_per_artist"] = filters.max_per_artist or 0
    return state, notes
