"""The Recommend page's results as a listener reads them: the table, the chosen row's player and
actions (more like this, thumbs up / down), the CSV export and the list as Spotify links.

On an audio library (a folder of the listener's own files) the table shows each file's path in
the library, and the chosen row plays the file itself instead of Spotify's player."""
from __future__ import annotations

import hashlib
import mimetypes

import numpy as np
import pandas as pd
import streamlit as st

from recommender.audio.playback import audio_file
from recommender.catalog import Catalog
from recommender.catalog.sound import FILE_PATH_COLUMN
from recommender.errors import TastemapError
from recommender.files import to_safe_csv
from recommender.ids import is_track_id, track_uri, track_url
from recommender.tag_words import TAG_HEARD_AT, plain_tags
from recommender.taste import labels_from_catalog

from .charts import FEATURE_LABELS
from .taste import add_labels, current_profile
from .text import md_escape
from .widgets import spotify_player

__all__ = [
    "PANEL_HEIGHT",
    "renumbered",
    "is_library",
    "sound_tags",
    "with_file_paths",
    "results_table",
    "row_panel",
    "export_frame",
    "recommendations_csv",
    "recommendations_json",
    "spotify_links",
]

# Audio features exported to the CSV, in this order (the catalog's names; headers from FEATURE_LABELS).
EXPORT_FEATURES = ("danceability", "energy", "valence", "acousticness", "instrumentalness", "liveness",
                   "speechiness", "loudness", "tempo", "key", "mode", "time_signature", "duration_ms")
# Whole numbers in the export ("67", never "67.0").
WHOLE_NUMBERS = ("rank", "popularity", "release_year", "match", "key", "mode", "time_signature", "duration_ms")
# Album, year and popularity are in the row's panel and the CSV.
TABLE_COLUMNS = ["rank", "spotify", "match", "track_name", "artists", FILE_PATH_COLUMN, "like_probability", "why"]
# Browsers name these types differently from Python's mimetypes (or it does not know them).
AUDIO_TYPES = {".flac": "audio/flac", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg",
               ".m4a": "audio/mp4", ".mp3": "audio/mpeg", ".wav": "audio/wav", ".aac": "audio/aac"}


# The chosen row's panel sits above the table at a constant height (Spotify's player is 152 px),
# so the table never moves under the pointer when a row is clicked.
PANEL_HEIGHT = 235


def renumbered(recs: pd.DataFrame) -> pd.DataFrame:
    """The table with ``rank`` 1, 2, 3 … in the order shown (after the taste filter hid or re-ranked rows)."""
    return recs.reset_index(drop=True).assign(rank=np.arange(1, len(recs) + 1))


def is_library(catalog: Catalog) -> bool:
    """An audio library: its tracks are the listener's files (played here), not Spotify's."""
    return bool(catalog.has_sound) and FILE_PATH_COLUMN in catalog.tracks


def sound_tags(catalog: Catalog) -> list[str]:
    """The network's tags in plain words that it heard in at least one track of ``catalog``
    (the words :class:`~recommender.recommenders.Filters` ``include_tags`` takes), most common
    first; empty for a catalog without analysed audio."""
    if not catalog.has_sound:
        return []
    words, matrix = plain_tags(catalog.sound.tag_names, catalog.sound.tags)
    heard = (matrix >= TAG_HEARD_AT).sum(axis=0)
    order = np.argsort(-heard, kind="stable")
    return [words[j] for j in order if heard[j] > 0]


def with_file_paths(recs: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """``recs`` with each track's file path in the library (relative to its folder), when it has one."""
    if FILE_PATH_COLUMN not in catalog.tracks or recs.empty or FILE_PATH_COLUMN in recs:
        return recs
    pos = catalog.positions(recs["track_id"].astype(str).tolist())
    paths = catalog.tracks[FILE_PATH_COLUMN].to_numpy(dtype=object)
    return recs.assign(**{FILE_PATH_COLUMN: [paths[p] if p >= 0 else None for p in pos]})


def _spotify_urls(recs: pd.DataFrame) -> list[str | None]:
    # A library file's track ID looks like Spotify's but names no Spotify track.
    files = recs[FILE_PATH_COLUMN] if FILE_PATH_COLUMN in recs else pd.Series(None, index=recs.index)
    return [track_url(t) if is_track_id(t) and not isinstance(f, str) else None
            for t, f in zip(recs["track_id"].astype(str), files)]


def _table_key(recs: pd.DataFrame) -> str:
    # A new list (or a new order) is a new table: a row chosen in the old one must not point at
    # whichever track now sits in that row.
    digest = hashlib.blake2b("\n".join(recs["track_id"].astype(str)).encode(), digest_size=6).hexdigest()
    return f"rec_table_{digest}"


def results_table(recs: pd.DataFrame) -> int | None:
    """Draw the results; returns the position of the row the listener chose, or None.

    The Spotify link sits on the left, next to the row's tick box (which plays the row);
    ``match`` (0-100) is shown, never the raw score.
    """
    view = recs.copy()
    view["spotify"] = _spotify_urls(recs)
    if not view["spotify"].notna().any():
        view = view.drop(columns="spotify")  # a library: no track is on Spotify
    config = {
        "rank": st.column_config.NumberColumn("Rank", width="small", format="%d"),
        "spotify": st.column_config.LinkColumn("Spotify", display_text="Open ↗", width="small",
                                               help="Open the track on open.spotify.com"),
        "match": st.column_config.ProgressColumn(
            "Match", min_value=0, max_value=100, format="%d", width="small",
            help="How well the track fits your seeds and settings, 0-100 (100 = the best fit found)"),
        "track_name": st.column_config.TextColumn("Title", width="medium"),
        "artists": st.column_config.TextColumn("Artist", width="medium"),
        FILE_PATH_COLUMN: st.column_config.TextColumn("File", width="medium",
                                                      help="Where the file is, inside your music folder"),
        "like_probability": st.column_config.ProgressColumn(
            "You'd like it", min_value=0.0, max_value=1.0, format="percent",
            help="How likely you like it, from your taste model (Taste page)"),
        "why": st.column_config.TextColumn("Why", width="large",
                                           help="Click a row: the whole reason is shown above the table"),
    }
    # A library's files often carry no artist tag: no column of empty cells.
    shown = [c for c in TABLE_COLUMNS
             if c in view and not (c in (FILE_PATH_COLUMN, "artists") and view[c].isna().all())]
    event = st.dataframe(view[shown], column_order=shown, column_config=config, hide_index=True,
                         key=_table_key(recs), on_select="rerun", selection_mode="single-row",
                         height=min(38 + 35 * len(view), 740))
    rows = event.selection.rows if hasattr(event, "selection") else []
    return rows[0] if rows and rows[0] < len(recs) else None


def _label(catalog: Catalog, track_id: str, liked: int, title: str) -> None:
    """Store one thumbs up (1) / down (0) in this session's taste profile, and say so."""
    profile = current_profile()
    try:
        added = add_labels(profile, labels_from_catalog(catalog, [track_id], liked))
    except TastemapError as exc:
        st.error("The label could not be saved: " + md_escape(exc))
        return
    if added:
        st.toast(f"Saved: you {'like' if liked else 'do not like'} “{title}” (taste profile “{profile}”).",
                 icon="👍" if liked else "👎")
    else:
        st.toast("This track is not in the catalog in use, so it could not be labelled.", icon="⚠️")


def file_player(catalog: Catalog, track_id: str, shown_path: object) -> bool:
    """Play a library track's own file; say plainly when it is not on this machine."""
    path = audio_file(catalog, track_id)
    if path is None:
        where = f" ({shown_path})" if isinstance(shown_path, str) and shown_path else ""
        st.info(md_escape(f"This file{where} is not on this computer (the library was made elsewhere, or the "
                          "file was moved or deleted), so it cannot be played here."), icon=":material/music_off:")
        return False
    suffix = path.suffix.lower()
    st.audio(str(path), format=AUDIO_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "audio/mpeg")
    return True


def row_panel(recs: pd.DataFrame, row: int | None, catalog: Catalog) -> str | None:
    """The chosen row: its player (the file itself for a library, else Spotify's), the whole
    "why", and one-click actions.

    Returns the track ID when the listener asked for "more like this" (the caller makes it the
    only seed), else None. Draw it in ``st.container(height=PANEL_HEIGHT)``.
    """
    if row is None:
        st.caption("Click a row of the table below to play it here, read why it was picked, "
                   "rate it, or get more like it.")
        return None
    rec = recs.iloc[row]
    track_id = str(rec["track_id"])
    title = rec["track_name"] if isinstance(rec["track_name"], str) else "(no title)"
    artists = rec["artists"] if isinstance(rec["artists"], str) else "(unknown artist)"
    player, about, actions = st.columns([4, 5, 2], gap="medium")
    with player:
        if is_library(catalog):
            file_player(catalog, track_id, rec.get(FILE_PATH_COLUMN))
        else:
            spotify_player(track_id)
    with about:
        st.markdown(f"**{int(rec['rank'])}. {md_escape(title)}**  \n{md_escape(artists)}")
        album = rec.get("album_name")
        year = pd.to_numeric(rec.get("release_year"), errors="coerce")
        popularity = pd.to_numeric(rec.get("popularity"), errors="coerce")
        path = rec.get(FILE_PATH_COLUMN)
        facts = [f"File: {path}" if isinstance(path, str) and path else "",
                 f"Album: {album}" if isinstance(album, str) and album else "",
                 f"{int(year)}" if pd.notna(year) else "",
                 f"popularity {int(round(popularity))} of 100" if pd.notna(popularity) else ""]
        if any(facts):
            st.caption(md_escape(" · ".join(f for f in facts if f)))
        if isinstance(rec.get("why"), str) and rec["why"]:
            st.caption("Why: " + md_escape(rec["why"]))
    with actions:
        more = st.button("More like this", icon=":material/auto_awesome:", key="rec_more_like", type="primary",
                         help="Make this track the only seed and recommend again", width="stretch")
        if st.button("I like it", icon=":material/thumb_up:", key="rec_thumb_up", width="stretch",
                     help="Adds this track to your taste labels as liked (Taste page)"):
            _label(catalog, track_id, 1, title)
        if st.button("Not for me", icon=":material/thumb_down:", key="rec_thumb_down", width="stretch",
                     help="Adds this track to your taste labels as disliked (Taste page)"):
            _label(catalog, track_id, 0, title)
    return track_id if more else None


def export_frame(recs: pd.DataFrame) -> pd.DataFrame:
    """The recommendations as a spreadsheet reads them: headers in words, whole numbers as whole
    numbers, Spotify links and URIs, the audio features; ranks as shown."""
    ids = recs["track_id"].astype(str)
    columns: dict[str, pd.Series] = {}
    for name, header in (("rank", "Rank"), ("track_name", "Title"), ("artists", "Artist"),
                         ("album_name", "Album"), ("release_year", "Year"), ("genres", "Genres"),
                         ("popularity", "Popularity"), ("match", "Match (0-100)"),
                         ("like_probability", "You'd like it (%)"), ("why", "Why"), (FILE_PATH_COLUMN, "File")):
        if name not in recs:
            continue
        col = recs[name]
        if name == "like_probability":
            col = (pd.to_numeric(col, errors="coerce") * 100).round()
        if name in WHOLE_NUMBERS or name == "like_probability":
            col = pd.to_numeric(col, errors="coerce").round().astype("Int64")
        columns[header] = col
    urls = pd.Series(_spotify_urls(recs), index=recs.index, dtype=object)
    if urls.notna().any() or FILE_PATH_COLUMN not in recs:
        columns["Spotify URL"] = urls
        columns["Spotify URI"] = ids.map(lambda t: track_uri(t) if is_track_id(t) else None).where(urls.notna())
    if "score" in recs:
        columns["Score"] = pd.to_numeric(recs["score"], errors="coerce").round(3)
    library = FILE_PATH_COLUMN in recs and recs[FILE_PATH_COLUMN].notna().any()
    for f in EXPORT_FEATURES:
        if f in recs and not (library and recs[f].isna().all()):  # a library measures only a few features
            col = pd.to_numeric(recs[f], errors="coerce")
            # A library's loudness is measured as in broadcasting (EBU R 128), in LUFS.
            header = "Loudness (LUFS)" if library and f == "loudness" else FEATURE_LABELS.get(f, f)
            columns[header] = col.round().astype("Int64") if f in WHOLE_NUMBERS else col.round(3)
    return pd.DataFrame(columns).reset_index(drop=True)


def recommendations_csv(recs: pd.DataFrame) -> bytes:
    """:func:`export_frame` as CSV bytes whose cells cannot run as spreadsheet formulas."""
    return to_safe_csv(export_frame(recs))


def recommendations_json(recs: pd.DataFrame) -> bytes:
    """:func:`export_frame` as a JSON list of records (one object per track, headers as keys)."""
    return export_frame(recs).to_json(orient="records", force_ascii=False, indent=1).encode("utf-8")


def spotify_links(recs: pd.DataFrame) -> str:
    """The open.spotify.com link of each track, one a line (paste into Spotify or a chat)."""
    return "\n".join(url for url in _spotify_urls(recs) if url)
