"""Widgets shared by the pages: values that survive page switches, messages, track tables.

Streamlit forgets a widget's value when the user visits a page that does not draw it. The
:func:`bound` helper keeps each value under a plain session key (``seed_text``, ``rec_method``
…) and mirrors it into the widget, so seeds and filters are still there when the user
comes back, and other pages (Explore, Clusters, Spotify, Taste) can set them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from recommender.errors import TastemapError
from recommender.ids import is_track_id, track_url

from . import pages, state
from .text import md_escape

__all__ = [
    "WIDGET_PREFIX",
    "bound",
    "form_bound",
    "submit_form",
    "widget_key",
    "show_error",
    "track_table",
    "send_seeds",
    "spotify_player",
]

WIDGET_PREFIX = "w_"


def widget_key(key: str) -> str:
    """The widget key that mirrors the persistent session value ``key``."""
    return WIDGET_PREFIX + key


def _sync(key: str) -> None:
    st.session_state[key] = st.session_state[widget_key(key)]


def _store_default(key: str, default: Any, valid: Callable[[Any], Any] | None) -> None:
    """The stored value of ``key``: ``default`` the first time, then made acceptable by ``valid``."""
    if key not in st.session_state:
        st.session_state[key] = default
    if valid is not None:
        st.session_state[key] = valid(st.session_state[key])


def bound(
    widget: Callable[..., Any],
    label: str,
    key: str,
    default: Any,
    *,
    valid: Callable[[Any], Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Draw ``widget`` whose value lives in ``st.session_state[key]`` across pages and reruns.

    ``valid`` maps a stored value to one the widget accepts now (e.g. drops genres the
    active catalog no longer has); it must return a value, falling back to a default.
    Do not pass ``value=``/``index=``/``default=``: the stored value is the value.
    """
    _store_default(key, default, valid)
    wkey = widget_key(key)
    st.session_state[wkey] = st.session_state[key]
    value = widget(label, key=wkey, on_change=_sync, args=(key,), **kwargs)
    st.session_state[key] = value
    return value


MIRRORED_PREFIX = "mirrored_"  # the value form_bound last copied into a form widget


def form_bound(
    widget: Callable[..., Any],
    label: str,
    key: str,
    default: Any,
    *,
    valid: Callable[[Any], Any] | None = None,
    **kwargs: Any,
) -> Any:
    """:func:`bound` for a widget inside an ``st.form``: returns the value last *submitted*.

    What the listener types is a draft until the form's submit button (with
    ``on_click=submit_form, args=(key, ...)``) copies it into ``st.session_state[key]``; a value
    set elsewhere (another page, a link) is copied into the widget, and a draft is never
    overwritten otherwise. Widgets in a form may not have ``on_change`` callbacks, hence this.
    """
    _store_default(key, default, valid)
    wkey, mirrored = widget_key(key), MIRRORED_PREFIX + key
    if wkey not in st.session_state or st.session_state.get(mirrored) != st.session_state[key]:
        st.session_state[wkey] = st.session_state[key]
        st.session_state[mirrored] = st.session_state[key]
    widget(label, key=wkey, **kwargs)
    return st.session_state[key]


def submit_form(*keys: str) -> None:
    """The submit button's callback: the form's drafts become the values of ``keys``."""
    for key in keys:
        wkey = widget_key(key)
        if wkey in st.session_state:
            st.session_state[key] = st.session_state[wkey]
            st.session_state[MIRRORED_PREFIX + key] = st.session_state[wkey]


def in_options(options: Iterable[Any], fallback: Any) -> Callable[[Any], Any]:
    """A ``valid`` function for selectbox/radio: keep the value if it is an option."""
    allowed = list(options)

    def check(value: Any) -> Any:
        return value if value in allowed else fallback

    return check


def subset_of(options: Iterable[Any]) -> Callable[[Any], list]:
    """A ``valid`` function for multiselect: keep only values that are options (a set or a dict
    of them is used as it is: no copy of 28k options on every rerun)."""
    allowed = options if isinstance(options, (set, frozenset, dict)) else set(options)

    def check(value: Any) -> list:
        return [v for v in (value or []) if v in allowed]

    return check


def within(lo: float, hi: float, *, pair: bool = True) -> Callable[[Any], Any]:
    """A ``valid`` function for sliders: clip stored values into the slider's range."""

    def clip(v: Any) -> Any:
        return min(max(type(lo)(v), lo), hi)

    def check(value: Any) -> Any:
        try:
            if pair:
                a, b = value
                a, b = clip(a), clip(b)
                return (min(a, b), max(a, b))
            return clip(value)
        except (TypeError, ValueError):
            return (lo, hi) if pair else lo

    return check


def show_error(exc: BaseException, *, prefix: str = "") -> None:
    """Show a library error as a plain message (no stack trace, user text escaped)."""
    text = str(exc) if isinstance(exc, TastemapError) else f"Something went wrong ({type(exc).__name__})."
    st.error((prefix + " " if prefix else "") + md_escape(text))


def link_column(label: str = "Spotify") -> Any:
    return st.column_config.LinkColumn(label, display_text="Open ↗", help="Open the track on open.spotify.com")


def track_table(frame: pd.DataFrame, *, columns: list[str] | None = None, key: str | None = None,
                height: int | str = "auto", select: str | None = None, wide: bool = False) -> Any:
    """A read-only grid of tracks with a Spotify link column. Names render as plain text.

    ``wide``: give titles and artists the room to be read whole (few columns, full width).
    """
    cols = columns or [c for c in frame.columns if c != "track_id"]
    if "file_path" in frame:  # a music library: files without an artist or album tag leave no empty column
        cols = [c for c in cols if c == "track_name" or c not in frame or frame[c].notna().any()]
    # Only the shown columns go to the browser: Streamlit converts every column it is given.
    view = frame[[c for c in dict.fromkeys([*cols, "track_id"]) if c in frame.columns]].copy()
    if "track_id" in frame:
        # A library file's track ID looks like Spotify's but names no Spotify track.
        files = frame["file_path"] if "file_path" in frame else pd.Series(None, index=frame.index)
        view["spotify"] = [track_url(t) if is_track_id(t) and not isinstance(f, str) else None
                           for t, f in zip(frame["track_id"].astype(str), files)]
        if "spotify" not in cols and view["spotify"].notna().any():
            cols = [*cols, "spotify"]
    config = {
        "spotify": link_column(),
        "rank": st.column_config.NumberColumn("#", width="small"),
        "track_name": st.column_config.TextColumn("Title", width="large" if wide else None),
        "artists": st.column_config.TextColumn("Artists", width="medium" if wide else None),
        "album_name": st.column_config.TextColumn("Album", width="medium" if wide else None),
        "popularity": st.column_config.NumberColumn("Popularity", format="%d"),
        "score": st.column_config.NumberColumn("Score", format="%.3f"),
        "like_probability": st.column_config.ProgressColumn(
            "You'd like it", min_value=0.0, max_value=1.0, format="%.2f",
            help="Probability from your taste model (Taste page)",
        ),
        "why": st.column_config.TextColumn("Why", width="large"),
        "release_year": st.column_config.NumberColumn("Year", format="%d"),
        "genres": st.column_config.TextColumn("Genres"),
        "file_path": st.column_config.TextColumn("File", help="Where the file is, inside your music folder"),
    }
    kwargs: dict[str, Any] = {}
    if select:  # "single-row" or "multi-row"
        kwargs = {"on_select": "rerun", "selection_mode": select}
    return st.dataframe(
        view,
        column_order=[c for c in cols if c in view],
        column_config=config,
        hide_index=True,
        key=key,
        height=height,
        **kwargs,
    )


def selected_track_ids(event: Any) -> list[str]:
    """Track IDs of the points selected (box/lasso/click) on a chart whose customdata[0] is the ID."""
    selection = getattr(event, "selection", None) if event is not None else None
    points = (selection.get("points") if isinstance(selection, dict) else getattr(selection, "points", None)) or []
    out: list[str] = []
    for point in points:
        data = point.get("customdata") if isinstance(point, dict) else None
        track_id = data[0] if isinstance(data, (list, tuple)) and data else data
        if is_track_id(track_id) and track_id not in out:
            out.append(track_id)
    return out


def send_seeds(track_ids: list[str], *, method: str | None = None) -> None:
    """Put ``track_ids`` in the Recommend page's seed box and go there."""
    ids = [t for t in track_ids if is_track_id(t)]
    st.session_state[state.SEED_TEXT] = "\n".join(ids)
    if method is not None:
        st.session_state[state.REC_METHOD] = method
    try:
        pages.go(pages.RECOMMEND)
    except StreamlitPageNotFoundError:  # page run on its own (no multipage app around it)
        st.success(f"{len(ids)} seeds are ready: open the Recommend page.")


def spotify_player(track_id: str, *, height: int = 152) -> bool:
    """Embed Spotify's player for one track. Only a validated 22-character ID reaches the URL."""
    if not is_track_id(track_id):
        st.info("This track has no valid Spotify ID, so it cannot be played here.")
        return False
    st.iframe(f"https://open.spotify.com/embed/track/{track_id}", height=height)
    return True
