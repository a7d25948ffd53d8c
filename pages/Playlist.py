"""Playlist: paste a playlist (or upload its Exportify file), see it on the sound map, sort and
filter it by BPM, energy and mood, and take the new order back to Spotify or to Recommend."""
import hashlib

import pandas as pd
import streamlit as st

from recommender.errors import CatalogError
from recommender.files import to_safe_csv
from recommender.playlist import (
    FILTER_FEATURES,
    PLAYLIST_ORDER,
    SORT_FEATURES,
    export_table,
    filter_tracks,
    from_file,
    from_pasted,
    sort_tracks,
    spotify_links,
)
from ui import auth, state
from ui.charts import WEBGL_CONFIG
from ui.data import active_catalog, plot_frame
from ui.glossary import glossary_popover
from ui.playlist import (
    PLOT_FEATURES,
    feature_words,
    playlist_map,
    playlist_table,
    problems_table,
    slider_bounds,
    value_text,
)
from ui.text import md_escape
from ui.uploads import load_upload
from ui.widgets import bound, in_options, send_seeds, spotify_player, within

auth.require_sign_in()  # a fresh server's first request for this address skips the navigation's gate

st.set_page_config(page_title="Playlist · Tastemap", page_icon=":material/queue_music:", layout="wide")
st.title("Organize a playlist")
st.caption("See a playlist's tracks by BPM, energy and mood, put them in a new order, and take that order "
           "back to Spotify.")

PASTE, UPLOAD = "paste", "upload"
SOURCES = {PASTE: "Paste track links", UPLOAD: "Upload an Exportify file"}
# Seeds sent to Recommend: its seed box and shareable link hold them all, and the sound of a
# few hundred tracks says as much as that of ten thousand.
MAX_SEEDS = 200


def track_words(row: pd.Series, feature: str) -> str:
    """'Title — Artist (128 BPM)', escaped for Markdown."""
    title = row["track_name"] if isinstance(row["track_name"], str) else "(no title)"
    artist = row["artists"] if isinstance(row["artists"], str) else "(unknown artist)"
    return f"{md_escape(title)} — {md_escape(artist)} ({md_escape(value_text(feature, row[feature]))})"


catalog = active_catalog()

# ---------------------------------------------------------------- 1. the playlist
st.subheader("1. Your playlist")
source = bound(st.radio, "Where is your playlist?", "pl_source", PASTE, valid=in_options(SOURCES, PASTE),
               options=list(SOURCES), format_func=SOURCES.get, horizontal=True, label_visibility="collapsed")

playlist = None
if source == PASTE:
    text = bound(
        st.text_area,
        "Paste the playlist's tracks: open.spotify.com links, spotify:track: URIs or track IDs (mixed is fine)",
        "pl_text",
        "",
        height=150,
        max_chars=800_000,  # 10,000 share links with their ?si= tails
        placeholder="https://open.spotify.com/track/6f807x0ima9a1j3VPbc7VN\nspotify:track:0r7CVbZTWZgbTCYdfa2P31",
        help="In Spotify's desktop app, select the playlist's tracks (Ctrl+A or Cmd+A), copy them "
             "(Ctrl+C or Cmd+C) and paste here: you get one link per line.",
    )
    if not text.strip():
        st.info("Paste the tracks of a playlist above (one link per line), or choose **Upload an Exportify "
                "file**. Pasted tracks are looked up in the catalog in use: **" + md_escape(catalog.name) + "**.")
        st.stop()
    playlist = from_pasted(text, catalog)
else:
    st.caption("To get an Exportify file: open **exportify.app**, log in with Spotify, and press **Export** next "
               "to a playlist. Files made before Nov 2024 carry BPM, energy and mood; newer ones are looked up "
               "in the catalog in use.")
    uploaded = st.file_uploader("Exportify file (CSV)", type=["csv", "gz", "tsv", "txt", "parquet"], key="pl_upload",
                                help="The file stays in this browser session.")
    stored = st.session_state.get(state.PLAYLIST_FILE)
    if uploaded is not None and (stored is None or stored[0] != uploaded.file_id):
        # The same loader as the Home page's uploads: its checks and messages apply.
        try:
            stored = (uploaded.file_id, uploaded.name, load_upload(uploaded.name, uploaded.getvalue()), None)
        except CatalogError as exc:
            stored = (uploaded.file_id, uploaded.name, None, str(exc))
        except MemoryError:
            stored = (uploaded.file_id, uploaded.name, None, "the file is too large to load in memory.")
        st.session_state[state.PLAYLIST_FILE] = stored
    if stored is None:
        st.info("Upload a playlist exported by Exportify to see it here.")
        st.stop()
    _, file_name, loaded, problem = stored
    if uploaded is None:
        left, right = st.columns([4, 1])
        left.caption("Showing **" + md_escape(file_name) + "**, uploaded earlier. Upload another file to replace it.")
        if right.button("Forget it", icon=":material/close:", key="pl_forget"):
            st.session_state.pop(state.PLAYLIST_FILE, None)
            st.rerun()
    if loaded is None:
        st.error("This file could not be used as a playlist: " + md_escape(problem)
                 + "  \nExport the playlist again on exportify.app, or paste its track links instead.")
        st.stop()
    playlist = from_file(loaded, catalog)

for note in playlist.notes:
    st.info(md_escape(note))
if playlist.unresolved:
    st.warning(f"{len(playlist.unresolved)} of the items you gave are not on the map; each one and why:")
    problems_table(playlist.unresolved)
if playlist.duplicates:
    st.caption(f"{playlist.duplicates} repeated track(s) were counted once.")
if not len(playlist):
    st.error("None of these tracks can be shown: fix the items listed above, or load a catalog that has them on "
             "the Home page" + (", or upload the playlist's Exportify file." if source == PASTE else "."))
    st.stop()

tracks = playlist.tracks

# ---------------------------------------------------------------- 2. sort and filter
title_col, glossary_col = st.columns([3, 1], vertical_alignment="bottom")
title_col.subheader("2. Sort and filter")
with glossary_col:
    glossary_popover([f for f in PLOT_FEATURES if f in tracks and tracks[f].notna().any()])
signature = hashlib.sha1("\n".join(tracks["track_id"].astype(str)).encode()).hexdigest()
if st.session_state.get(state.PLAYLIST_SIGNATURE) != signature:
    # A new playlist: its BPM range differs, so the filters start wide open again.
    for feature in FILTER_FEATURES:
        st.session_state.pop(state.PLAYLIST_RANGE_PREFIX + feature, None)
    st.session_state[state.PLAYLIST_SIGNATURE] = signature

# Only features the playlist has values for (a catalog may lack acousticness or popularity).
sort_options = [PLAYLIST_ORDER, *[f for f in SORT_FEATURES if f in tracks and tracks[f].notna().any()]]
c_sort, c_dir = st.columns([2, 3])
sort_by = bound(c_sort.selectbox, "Sort by", "pl_sort", PLAYLIST_ORDER,
                valid=in_options(sort_options, PLAYLIST_ORDER), options=sort_options, format_func=feature_words)
if sort_by == PLAYLIST_ORDER:
    directions = {False: "As in the playlist", True: "Reversed"}
else:
    directions = {False: "Low to high", True: "High to low"}
descending = bound(c_dir.radio, "Order", "pl_descending", False, valid=in_options([False, True], False),
                   options=[False, True], format_func=directions.get, horizontal=True)

ranges = {}
for column, feature in zip(st.columns(len(FILTER_FEATURES)), FILTER_FEATURES):
    low, high, step = slider_bounds(feature, tracks[feature])
    chosen = bound(column.slider, f"{feature_words(feature)}", state.PLAYLIST_RANGE_PREFIX + feature, (low, high),
                   valid=within(low, high), min_value=low, max_value=high, step=step)
    if tuple(chosen) != (low, high):  # a slider left wide open filters nothing
        ranges[feature] = chosen

ordered = sort_tracks(tracks, sort_by, descending=descending)
kept = filter_tracks(ordered, ranges)
filtered_out = ordered[~ordered["position"].isin(kept["position"])]  # positions are unique ints: fast

if sort_by == PLAYLIST_ORDER:
    how = "in reversed playlist order" if descending else "in playlist order"
else:
    how = f"sorted by {feature_words(sort_by)}, {directions[descending].lower()}"
if kept.empty:
    st.warning(f"No track of the {len(tracks)} passes these filters: widen the sliders.")
    st.stop()
shown_value = sort_by if sort_by != PLAYLIST_ORDER else "tempo"
st.caption(
    (f"{len(kept)} of {len(tracks)} tracks pass the filters" if ranges else f"{len(kept)} tracks")
    + f", {how}. First: {track_words(kept.iloc[0], shown_value)}."
    + (f" Last: {track_words(kept.iloc[-1], shown_value)}." if len(kept) > 1 else "")
)
# Keyed on the order shown: a clicked row belongs to that order (a re-sort clears it, so the
# player never jumps to whichever track moved into the clicked row).
order_key = hashlib.sha1("".join(kept["track_id"].astype(str)).encode()).hexdigest()[:12]
table = playlist_table(kept, extra=None if sort_by == PLAYLIST_ORDER else sort_by, key=f"pl_table_{order_key}")
rows = table.selection.rows if table is not None and hasattr(table, "selection") else []
if rows and rows[0] < len(kept):
    st.text(f"{kept['track_name'].iat[rows[0]]} — {kept['artists'].iat[rows[0]]}")
    spotify_player(str(kept["track_id"].iat[rows[0]]))
else:
    st.caption("Click a row to play that track here; “Open ↗” opens it on Spotify.")

# ---------------------------------------------------------------- 3. the map
st.subheader("3. On the map")
axis = [f for f in PLOT_FEATURES if f in tracks and tracks[f].notna().any()]
m1, m2, m3 = st.columns([2, 2, 3])
x = bound(m1.selectbox, "Across (X)", "pl_x", "tempo", valid=in_options(axis, axis[0]), options=axis,
          format_func=feature_words)
y = bound(m2.selectbox, "Up (Y)", "pl_y", "energy", valid=in_options(axis, axis[min(1, len(axis) - 1)]), options=axis,
          format_func=feature_words)
with m3:
    show_catalog = bound(st.toggle, "Show the catalog behind, faintly", "pl_background", True,
                         disabled=not catalog.has_features,
                         help="A random sample of the catalog in use, to see where the playlist sits.")
    show_path = bound(st.toggle, "Connect the tracks in the new order", "pl_path", False)
background = plot_frame(catalog) if show_catalog and catalog.has_features else None
st.plotly_chart(playlist_map(kept, filtered_out, background, x, y, path=show_path), key="pl_map",
                config=WEBGL_CONFIG)

# ---------------------------------------------------------------- 4. take it with you
st.subheader("4. Take the new order with you")
d1, d2 = st.columns([2, 3], gap="large")
with d1:
    st.download_button(
        "Download the new order (CSV)",
        data=lambda: to_safe_csv(export_table(kept)),
        file_name="tastemap_playlist.csv",
        mime="text/csv",
        icon=":material/download:",
        key="pl_download",
        help="One row per track in the new order, with its Spotify link and URI. Cells a spreadsheet would run "
             "as a formula are neutralised.",
    )
    seeds = kept["track_id"].astype(str).tolist()[:MAX_SEEDS]
    in_catalog = int(sum(t in catalog for t in seeds))
    if st.button("Get recommendations from these tracks", icon=":material/recommend:", key="pl_to_recommend",
                 help="Opens Recommend with these tracks, in this order, as seeds.", disabled=in_catalog == 0):
        send_seeds(seeds)
    if len(kept) > MAX_SEEDS:
        st.caption(f"The first {MAX_SEEDS} tracks of the new order become the seeds.")
    if in_catalog == 0:
        st.caption("None of these tracks is in the catalog in use, so Recommend cannot start from them: load a "
                   "catalog that has them on the Home page.")
    elif in_catalog < len(seeds):
        st.caption(f"{len(seeds) - in_catalog} of these tracks are not in the catalog in use: Recommend lists them "
                   "and uses the others.")
with d2:
    st.markdown("**Copy as Spotify links** (the copy button is at the top right of the box). Paste them into a "
                "new playlist in Spotify's desktop app to get the tracks in this order.")
    st.code(spotify_links(kept), language=None, height=min(40 + 22 * len(kept), 260))
