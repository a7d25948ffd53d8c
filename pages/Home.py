"""Home: the catalog in use, your own catalog file, your own music files, and where to go next."""
import streamlit as st

from recommender.catalog import MIN_SOUND_FEATURES
from recommender.errors import CatalogError
from ui import audio_library, auth, pages
from ui.data import active_catalog, catalog_summary, default_catalog, is_default, set_active_catalog
from ui.home import feature_notice, library_metrics, library_notice, load_report, load_with_progress
from ui.state import UPLOAD_DONE, UPLOAD_NOTE, UPLOAD_SERIAL
from ui.text import md_escape
from ui.widgets import track_table

auth.require_sign_in()  # a fresh server's first request for this address skips the navigation's gate

# The next steps: (page, button label, needs audio features).
NEXT_STEPS = [
    (pages.EXPLORE, "Explore the sound of the catalog", True),
    (pages.CLUSTERS, "See its clusters", True),
    (pages.RECOMMEND, "Recommend tracks", False),
]

st.title("Tastemap")
st.caption("Explore a Spotify catalog by sound, and get recommendations you can play and explain.")
summary_box = st.container()
st.divider()
st.subheader("Use your own catalog")
st.markdown(
    "Upload a **CSV**, **CSV.gz** or **Parquet** file with Spotify track IDs and audio features: "
    "the TidyTuesday, Kaggle (*dataset.csv*, *SpotifyFeatures.csv*, *tracks.csv*, "
    "*tracks_features.csv*) and Exportify layouts are recognised from their column names. "
    f"A file with only some audio features works too (at least {MIN_SOUND_FEATURES}, such as "
    "danceability and energy); the page then says what that limits. "
    f"Files up to **{int(st.get_option('server.maxUploadSize')):,} MB** (a million tracks as Parquet take "
    "about 130 MB): for a larger file, save it as Parquet or keep only the track and audio-feature "
    "columns, or ask whoever runs this Tastemap to raise the limit (`server.maxUploadSize`)."
)
serial = st.session_state.setdefault(UPLOAD_SERIAL, 0)
uploaded = st.file_uploader(
    "Catalog file",
    type=["csv", "gz", "parquet", "tsv", "txt"],
    key=f"home_upload_{serial}",
    help="The file stays in this browser session; other people using Tastemap do not see it.",
)
if uploaded is not None and uploaded.file_id != st.session_state.get(UPLOAD_DONE):
    st.session_state[UPLOAD_DONE] = uploaded.file_id
    previous = active_catalog()
    try:
        catalog = load_with_progress(uploaded.name, uploaded.getvalue())
    except CatalogError as exc:
        st.session_state[UPLOAD_NOTE] = ("error", str(exc), previous.name)
    except MemoryError:
        st.session_state[UPLOAD_NOTE] = ("error", f"{uploaded.name}: the file is too large to load in memory.",
                                         previous.name)
    else:
        set_active_catalog(catalog)
        st.session_state[UPLOAD_NOTE] = ("success", catalog.name, "")

note = st.session_state.get(UPLOAD_NOTE)
if note is not None:
    kind, text, kept = note
    if kind == "error":
        st.error(
            "This file could not be used: " + md_escape(text)
            + "  \nThe catalog in use did not change: **" + md_escape(kept) + "**."
        )
    else:
        st.success("Loaded **" + md_escape(text) + "**. The other pages now work on this catalog.")

catalog = active_catalog()
if not is_default(catalog):
    if st.button("Back to the default catalog", key="home_back_default", icon=":material/undo:", help="Use the embedded TidyTuesday catalog again"):
        set_active_catalog(default_catalog())
        st.session_state[UPLOAD_SERIAL] = serial + 1
        st.session_state.pop(UPLOAD_NOTE, None)
        st.session_state.pop(UPLOAD_DONE, None)
        audio_library.reset()
        st.rerun()

st.divider()
audio_library.music_files_section()
catalog = active_catalog()

with summary_box:
    summary = catalog_summary(catalog)
    label = ("the embedded default catalog" if is_default(catalog) else "your music library" if catalog.has_sound
             else "your uploaded catalog")
    st.markdown(f"**Catalog in use** ({label}): " + md_escape(summary["name"]))
    if catalog.has_sound:  # tracks, artists, albums: no empty genre, playlist or popularity counts
        metrics = library_metrics(catalog, summary)
        for col, (name, value, hint) in zip(st.columns(len(metrics)), metrics):
            col.metric(name, value, help=hint)
        st.info(library_notice(catalog), icon=":material/graphic_eq:")
    else:
        cols = st.columns([1, 1, 0.8, 0.8, 1, 1.4])
        cols[0].metric("Tracks", f"{summary['tracks']:,}")
        cols[1].metric("Artists", f"{summary['artists']:,}")
        cols[2].metric("Genres", f"{summary['genres']:,}", help=f"{summary['subgenres']:,} subgenres")
        cols[3].metric("Playlists", f"{summary['playlists']:,}")
        pop = summary["popularity_range"]
        cols[4].metric("Popularity", f"{pop[0]:.0f}–{pop[1]:.0f}" if pop else "unknown",
                       help=f"known for {summary['popularity_known']:,} tracks")
        years = summary["year_range"]
        cols[5].metric("Release years", f"{years[0]}–{years[1]}" if years else "unknown")
        notice = feature_notice(catalog)
        if notice:
            st.warning(notice, icon=":material/graphic_eq:")

    st.markdown("**Next steps**")
    nav = st.columns(len(NEXT_STEPS))
    for col, (page, label, needs_features) in zip(nav, NEXT_STEPS):
        blocked = needs_features and not catalog.has_features
        if col.button(label, key=f"home_go_{page.title.lower()}", icon=page.icon, width="stretch",
                      type="primary" if page is pages.RECOMMEND else "secondary", disabled=blocked,
                      help="Needs audio features: this catalog is a track list." if blocked
                      else f"Open the {page.title} page"):
            pages.go(page)

    if not catalog.has_sound:  # a library's report would only list its sound columns as unused
        report = catalog.report
        with st.expander("Load report: how the file was read", expanded=not is_default(catalog)):
            load_report(report)

    if catalog.has_sound:
        with st.expander("Preview: the first 200 tracks"):
            track_table(catalog.tracks.head(200), columns=["track_name", "artists", "album_name", "file_path"])
    else:
        with st.expander("Preview: the 200 most popular tracks"):
            known = catalog.tracks["popularity"].notna().any()
            top = catalog.tracks.nlargest(200, "popularity") if known else catalog.tracks.head(200)
            track_table(top, columns=["track_name", "artists", "popularity", "release_year", "genres"])
