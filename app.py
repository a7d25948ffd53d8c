"""Tastemap: the entry point. Sets up navigation, and draws the Home page (catalog and uploads).

Pages are the files in ``pages/`` named ``<number>_<Name>.py``, shown in number order after Home.
"""
from pathlib import Path

import pandas as pd
import streamlit as st

from recommender.catalog import Catalog
from recommender.errors import CatalogError
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
    "Taste": ":material/favorite:",
    "Spotify": ":material/library_music:",
}


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
        "*tracks_features.csv*) and Exportify layouts are recognised from their column names."
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
        if st.button("Back to the default catalog", icon=":material/undo:", help="Use the embedded TidyTuesday catalog again"):
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
        if not summary["has_features"]:
            st.warning("This catalog has no audio features: it can be used as a track list only.")

        nav = st.columns(3)
        nav[0].page_link("pages/1_Explore.py", label="Explore the sound of the catalog", icon=PAGE_ICONS["Explore"])
        nav[1].page_link("pages/2_Clusters.py", label="See its clusters", icon=PAGE_ICONS["Clusters"])
        nav[2].page_link("pages/3_Recommend.py", label="Get recommendations", icon=PAGE_ICONS["Recommend"])

        report = catalog.report
        with st.expander("Load report: how the file was read", expanded=not is_default(catalog)):
            st.text(f"Layout recognised: {report.layout}\nRows read: {report.rows_read:,}\nTracks kept: {report.tracks:,}")
            left, right = st.columns(2)
            with left:
                st.caption("Columns used (catalog column ← column in the file)")
                st.dataframe(
                    pd.DataFrame({"catalog column": list(report.columns), "file column": list(report.columns.values())}),
                    hide_index=True,
                )
            with right:
                st.caption("Rows dropped, by reason")
                if report.dropped:
                    st.dataframe(
                        pd.DataFrame({"reason": list(report.dropped), "rows": list(report.dropped.values())}),
                        hide_index=True,
                    )
                else:
                    st.text("None: every row was usable.")
                if report.unused_columns:
                    st.caption("Columns not used")
                    st.text(", ".join(report.unused_columns[:60]))
            for warning in report.warnings:
                st.warning(md_escape(warning))

        with st.expander("Preview: the 200 most popular tracks"):
            known = catalog.tracks["popularity"].notna().any()
            top = catalog.tracks.nlargest(200, "popularity") if known else catalog.tracks.head(200)
            track_table(top, columns=["track_name", "artists", "popularity", "release_year", "genres"])


def pages() -> list:
    found = []
    for path in sorted((ROOT / "pages").glob("[0-9]*_*.py"), key=lambda p: int(p.name.split("_", 1)[0])):
        title = path.stem.split("_", 1)[1].replace("_", " ")
        found.append(st.Page(f"pages/{path.name}", title=title, icon=PAGE_ICONS.get(title)))
    return found


st.set_page_config(page_title="Tastemap", page_icon="🎧", layout="wide")
st.navigation([st.Page(home, title="Home", icon=":material/home:", default=True), *pages()]).run()
