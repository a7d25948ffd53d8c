"""The Home page's parts: what a catalog without some audio features cannot do, the load
report in words, and loading an upload under a progress bar."""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st

from recommender.catalog import AUDIO_FEATURES, MIN_SOUND_FEATURES, Catalog, LoadReport, layout_display_name
from recommender.features import FEATURE_WORDS
from recommender.playlist import REQUIRED_FEATURES as PLAYLIST_FEATURES

from .data import warm_up_steps
from .text import md_escape
from .uploads import load_upload

__all__ = [
    "feature_words", "column_word", "feature_notice", "library_metrics", "library_notice", "load_with_progress",
    "load_report",
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


def _length_words(total_ms: float) -> str:
    minutes = int(round(total_ms / 60_000))
    if minutes < 1:
        return f"{total_ms / 1000:.0f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def library_metrics(catalog: Catalog, summary: dict) -> list[tuple[str, str, str]]:
    """``(label, value, help)`` for the top of Home when the catalog is a music library: tracks,
    artists, albums and length always; genres and release years only when the tags give them."""
    t = catalog.tracks
    albums = t["album_name"].dropna().astype(str).str.strip() if "album_name" in t else pd.Series(dtype=str)
    untagged = int(t["artists"].isna().sum()) if "artists" in t else len(t)
    n_albums = int(albums[albums != ""].nunique())
    out = [
        ("Tracks", f"{summary['tracks']:,}", "Music files analysed"),
        ("Artists", f"{summary['artists']:,}" if summary["artists"] else "unknown",
         "From the files' tags" + (f"; {untagged:,} tracks have no artist tag" if untagged else "")),
        ("Albums", f"{n_albums:,}" if n_albums else "unknown",
         "From the files' tags, or the folder a file is in when it has no album tag"),
        ("Length", _length_words(float(t["duration_ms"].sum(skipna=True)) if "duration_ms" in t else 0.0),
         "All tracks together"),
    ]
    if summary["genres"]:
        out.append(("Genres", f"{summary['genres']:,}", "From the files' genre tags"))
    years = summary["year_range"]
    if years:
        out.append(("Release years", f"{years[0]}–{years[1]}", "From the files' tags"))
    return out


def library_notice(catalog: Catalog) -> str:
    """What a music library's numbers are and where they come from, in plain words (Markdown)."""
    missing = [f for f in AUDIO_FEATURES if f not in catalog.feature_names]
    return (
        "**This is your own music.** Tempo, loudness and key (major or minor) were measured from the audio "
        "of each file. The **sound** recommendations use a pretrained network's description of each track "
        "(musicnn), whose tags name instruments, voices, moods and styles: tracks that sound alike are found "
        "even when the files have no tags."
        + ("\n\nSpotify's other audio features (such as danceability, energy and mood) are not estimated "
           "from audio: pages that need them say so." if missing else "")
    )


def load_with_progress(name: str, data: bytes) -> Catalog:
    """Load an upload, then prepare what the pages need first, under a progress bar (a million
    tracks take seconds: the listener sees each step)."""
    size = f"{md_escape(name)} ({len(data) / 1e6:,.1f} MB)"
    bar = st.progress(0.02, text=f"Reading {size} …")
    loading = 0.6  # of the bar: reading and checking the rows (the rest: what the pages need first)

    def on_step(done: int, total: int, what: str) -> None:
        text = f"Reading {size} …" if done == 0 else f"{what} ({done + 1} of {total}) …"
        bar.progress(0.02 + (loading - 0.02) * done / total, text=text)

    try:
        catalog = load_upload(name, data, on_step=on_step)
        steps = warm_up_steps(catalog)
        for done, (label, step) in enumerate(steps):
            bar.progress(loading + (1 - loading) * done / len(steps), text=f"{label} …")
            step()
        return catalog
    finally:
        bar.empty()


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
