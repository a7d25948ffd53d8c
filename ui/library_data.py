"""What the Explore and Clusters pages plot of a listener's own library, built once per library.

A library frame has, per track: ``track_id``, ``label`` (title and artist), ``album``, ``file``
(its path inside the library), the measured features in the listener's units (``tempo`` BPM,
``loudness`` LUFS, ``key_name`` "A minor", ``length_min`` minutes) and one ``tag:<word>``
column per plain tag (the network's estimate, 0..1). Text from the files is escaped here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from recommender.catalog import Catalog
from recommender.tag_words import plain_tags

from .data import PLOT_SAMPLE, _sample_positions, catalog_key
from .library_charts import NO_ALBUM, TAG_PREFIX, key_names
from .text import hover_escape, hover_labels

__all__ = ["library_frame", "tag_means", "tag_columns"]


@st.cache_resource(max_entries=8, show_spinner=False)
def _library_frame(catalog_hash: str, _catalog: Catalog) -> pd.DataFrame:
    positions = _sample_positions(catalog_hash, len(_catalog), PLOT_SAMPLE)  # the same tracks as Explore's other plots
    t = _catalog.tracks.iloc[positions]

    def column(name: str) -> np.ndarray:
        return t[name].to_numpy(dtype="float64", na_value=np.nan) if name in t else np.full(len(t), np.nan)

    albums = t["album_name"].astype("string").str.strip() if "album_name" in t else pd.Series([pd.NA] * len(t))
    albums = albums.mask(albums == "").fillna(NO_ALBUM)
    paths = t["file_path"].astype("string").fillna("") if "file_path" in t else pd.Series([""] * len(t))
    frame = pd.DataFrame({
        "track_id": t["track_id"].astype(str).to_numpy(),
        "label": hover_labels(t["track_name"].tolist(), t["artists"].tolist()),
        "album": [hover_escape(a) if a != NO_ALBUM else a for a in albums],
        "file": [hover_escape(p) for p in paths],
        "tempo": column("tempo"),
        "loudness": column("loudness"),
        "key_name": key_names(column("key"), column("mode")),
        "length_min": column("duration_ms") / 60_000.0,
    })
    if _catalog.has_sound:
        words, tags = plain_tags(_catalog.sound.tag_names, _catalog.sound.tags)
        tag_frame = pd.DataFrame(tags[positions].astype("float64"), columns=[TAG_PREFIX + w for w in words])
        frame = pd.concat([frame, tag_frame], axis=1)
    return frame


def library_frame(catalog: Catalog) -> pd.DataFrame:
    """The plotted tracks of a library (a fixed random sample of a big one). Shared read-only."""
    return _library_frame(catalog_key(catalog), catalog)


@st.cache_resource(max_entries=8, show_spinner=False)
def _tag_means(catalog_hash: str, _catalog: Catalog) -> pd.Series:
    words, tags = plain_tags(_catalog.sound.tag_names, _catalog.sound.tags)
    return pd.Series(tags.mean(axis=0, dtype=np.float64), index=list(words)).sort_values(ascending=False)


def tag_means(catalog: Catalog) -> pd.Series:
    """Plain tag -> its mean probability over every track of the library, strongest first."""
    return _tag_means(catalog_key(catalog), catalog)


def tag_columns(frame: pd.DataFrame, order: pd.Series | None = None) -> list[str]:
    """The frame's tag columns, strongest tag first when ``order`` (from :func:`tag_means`) is given."""
    cols = [c for c in frame.columns if c.startswith(TAG_PREFIX)]
    if order is None:
        return cols
    rank = {TAG_PREFIX + w: i for i, w in enumerate(order.index)}
    return sorted(cols, key=lambda c: rank.get(c, len(rank)))
