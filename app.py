"""Tastemap: the entry point. Sets up navigation, and draws the Home page (catalog and uploads).

Pages are the files in ``pages/`` named ``<number>_<Name>.py``, shown in number order after Home.
"""
from pathlib import Path
from typing import Iterable

import pandas as pd
import streamlit as st

from recommender.catalog import AUDIO_FEATURES, MIN_SOUND_FEATURES, Catalog, LoadReport, layout_display_name
from recommender.errors import CatalogError
from recommender.features import FEATURE_WORDS

try:  # what the Playlist page sorts and maps by (it needs every one of them)
    from recommender.playlist import _NEEDED as PLAYLIST_FEATURES
except ImportError:  # renamed there: Home must still work (tests/test_page_home.py notices the drift)
    PLAYLIST_FEATURES = ()
from ui.data import (
    active_catalog,
    catalog_summary,
    default_catalog,
    is_default,
    load_upload,
    set_active_catalog,
    warm_up_steps,
)
from ui.text import md_escape
from ui.widgets import track_table

UPLOAD_SERIAL = "home_upload_serial"  # bumping it gives a fresh, empty uploader
UPLOAD_DONE = "home_upload_done"  # file_id of the upload already handled (no reload on reruns)
UPLOAD_NOTE = "home_upload_note"  # (kind, text, kept catalog name) shown under the uploader
ROOT = Path(__file__).resolve().parent
PAGE_ICONS = {
    "Explore": ":material/scatter_plot:",
    "Clusters": ":material/bubble_chart:",
    "Recommend": ":material/recommend:",
    "Playlist": ":material/queue_music:",
    "Taste": ":material/favorite:",
    "Spotify": ":material/library_music:",
}


# The Home page's next steps: (page file, button label, page title, needs audio features).
NEXT_STEPS = [
    ("pages/1_Explore.py", "Explore the sound of the catalog", "Explore", True),
    ("pages/2_Clusters.py", "See its clusters", "Clusters", True),
    ("pages/3_Recommend.py", "Recommend tracks", "Recommend", False),
]
# Plain words for the feature names where FEATURE_WORDS' noun alone would not do.
_FEATURE_PLAIN = {"duration_ms": "length", "valence": "mood (valence)", "mode": "major or minor (mode)"}
# Catalog columns as words, for the load report's "columns used" table.
COLUMN_WORDS = {
    "track_id": "Spotify track ID",
    "track_name": "Title",
    "artists": "Artists",
    "album_name": "Album",
    "album_id": "Album ID",
    "release_date": "Release date",
    "year": "Release year",
    "popularity": "Popularity",
    "explicit": "Explicit",
    "genre": "Genre",
    "subgenre": "Subgenre",
    "playlist_id": "Playlist ID",
    "playlist_name": "Playlist name",
    "time_signature": "Time signature",
}


def feature_words(names: Iterable[str]) -> str:
    """'danceability, energy and mood (valence)': feature names as a listener reads them."""
    words = [_FEATURE_PLAIN.get(f, FEATURE_WORDS.get(f, (f.replace("_", " "),))[0]) for f in names]
    if not words:
        return "none"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def column_word(name: str) -> str:
    """A catalog column as a word (the load report's "Used as" column)."""
    if name in COLUMN_WORDS:
        return COLUMN_WORDS[name]
    return feature_words([name]).capitalize() + " (audio feature)"


def feature_notice(catalog: Catalog) -> str | None:
    """What a catalog without some (or all) audio features cannot do, and why, in plain words
    (Markdown); None when every audio feature is there."""
    missing = [f for f in AUDIO_FEATURES if f not in catalog.feature_names]
    if not missing:
        return None
    if not catalog.has_features:
        given = [f for f in AUDIO_FEATURES if f != "duration_ms" and catalog.tracks[f].notna().any()]
        which = (f"It gives only {feature_words(given)}, but comparing tracks by sound needs at least "
                 f"{MIN_SOUND_FEATURES} audio features (such as danceability and energy)."
                 if given else "It has no audio features (Spotify stopped giving them to new apps in Nov 2024).")
        return (
            f"**This catalog is a track list only.** {which}\n\n"
            "- **Explore** and **Clusters** have nothing to show: they place tracks by their audio features.\n"
            "- **Recommend** cannot compare tracks by sound.\n"
            "- Its tracks can still be used as seeds or liked tracks for a catalog that has audio features.\n\n"
            "Load a file with audio features to use every page."
        )
    known = list(catalog.feature_names)
    known_audio = [f for f in known if f in AUDIO_FEATURES]
    return (
        f"**This catalog has {len(known_audio)} of the {len(AUDIO_FEATURES)} audio features:** "
        f"{feature_words(known_audio)}. **Missing (unknown for every track):** {feature_words(missing)}. "
        "Everything that compares tracks by sound uses only the features that are there:\n\n"
        f"- **Explore** plots only {feature_words(known_audio)}.\n"
        f"- **Clusters** groups tracks by those {len(known_audio)} features only, so the groups and their "
        "names are rougher.\n"
        "- **Recommend**: the *hybrid*, *similar* and *cluster* methods judge \"sounds alike\" by those "
        f"{len(known_audio)} features only (the hybrid also uses playlists, genres and popularity); "
        "filters exist only for the features that are there.\n"
        f"- **Taste**: the taste model learns from all {len(AUDIO_FEATURES)} audio features, so it cannot "
        "learn from or score this catalog's tracks.\n"
        + (f"- **Playlist** sorts and maps tracks by {feature_words(PLAYLIST_FEATURES)}: without "
           f"{feature_words([f for f in PLAYLIST_FEATURES if f in missing])} it cannot show this catalog's tracks "
           "(an Exportify file with those features still works there).\n"
           if any(f in missing for f in PLAYLIST_FEATURES) else "")
        + "\nFor full results, load a file with every audio feature."
    )


def load_with_progress(name: str, data: bytes) -> Catalog:
    """Load an upload, then prepare what the pages need first, under a progress bar (a million
    tracks take seconds: the listener sees each step)."""
    bar = st.progress(0.02, text=f"Reading {md_escape(name)} ({len(data) / 1e6:,.1f} MB) …")
    try:
        catalog = load_upload(name, data)
        steps = warm_up_steps(catalog)
        for done, (label, step) in enumerate(steps, start=1):
            bar.progress(done / (len(steps) + 1), text=f"{label} …")
            step()
        return catalog
    finally:
        bar.empty()


def home() -> None:
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
        "danceability and energy); the page then says what that limits."
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
            st.rerun()

    with summary_box:
        summary = catalog_summary(catalog)
        label = "the embedded default catalog" if is_default(catalog) else "your uploaded catalog"
        st.markdown(f"**Catalog in use** ({label}): " + md_escape(summary["name"]))
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
        for col, (page, label, title, needs_features) in zip(nav, NEXT_STEPS):
            blocked = needs_features and not catalog.has_features
            if col.button(label, key=f"home_go_{title.lower()}", icon=PAGE_ICONS[title], width="stretch",
                          type="primary" if title == "Recommend" else "secondary", disabled=blocked,
                          help="Needs audio features: this catalog is a track list." if blocked else f"Open the {title} page"):
                st.switch_page(page)

        report = catalog.report
        with st.expander("Load report: how the file was read", expanded=not is_default(catalog)):
            load_report(report)

        with st.expander("Preview: the 200 most popular tracks"):
            known = catalog.tracks["popularity"].notna().any()
            top = catalog.tracks.nlargest(200, "popularity") if known else catalog.tracks.head(200)
            track_table(top, columns=["track_name", "artists", "popularity", "release_year", "genres"])


def load_report(report: LoadReport) -> None:
    """How the file was read, in words: layout, rows read and kept, merged and dropped rows."""
    lines = [
        f"- File layout: **{md_escape(layout_display_name(report.layout))}**",
        f"- Rows read: **{report.rows_read:,}**; tracks kept: **{report.tracks:,}**",
    ]
    merged = getattr(report, "merged_rows", 0)
    if merged:
        lines.append(
            f"- **{merged:,}** rows repeated a track already read (the same track in several playlists): "
            "merged into one track each, keeping all its playlists."
        )
    dropped = sum(report.dropped.values())
    lines.append(f"- Rows dropped: **{dropped:,}** (reasons below)." if dropped else "- Rows dropped: none, every row was usable.")
    st.markdown("\n".join(lines))
    left, right = st.columns(2)
    with left:
        st.caption("Columns used")
        st.dataframe(
            pd.DataFrame({"used": [column_word(c) for c in report.columns], "file": list(report.columns.values())}),
            hide_index=True,
            column_config={"used": st.column_config.TextColumn("Used as"),
                           "file": st.column_config.TextColumn("Column in your file")},
        )
    with right:
        if report.dropped:
            st.caption("Rows dropped, by reason")
            st.dataframe(
                pd.DataFrame({"reason": list(report.dropped), "rows": list(report.dropped.values())}),
                hide_index=True,
                column_config={"reason": st.column_config.TextColumn("Why the rows were dropped", width="large"),
                               "rows": st.column_config.NumberColumn("Rows", format="%d")},
            )
        if report.unused_columns:
            st.caption("Columns not used")
            st.text(", ".join(report.unused_columns[:60]))
    for warning in report.warnings:
        st.warning(md_escape(warning))


def pages() -> list:
    found = []
    for path in sorted((ROOT / "pages").glob("[0-9]*_*.py"), key=lambda p: int(p.name.split("_", 1)[0])):
        title = path.stem.split("_", 1)[1].replace("_", " ")
        found.append(st.Page(f"pages/{path.name}", title=title, icon=PAGE_ICONS.get(title)))
    return found


st.set_page_config(page_title="Tastemap", page_icon="🎧", layout="wide")
st.navigation([st.Page(home, title="Home", icon=":material/home:", default=True), *pages()]).run()
