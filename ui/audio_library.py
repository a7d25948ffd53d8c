"""The Home page's "Use your own music files" part: upload audio files (or, on one's own
computer, name a folder), scan them under a progress bar that can be stopped, and make the
library the session's catalog.

A scan runs inside the script: Streamlit interrupts a running script when the listener clicks
anything (the Stop button included), and every finished file is already in the analysis cache,
so the next run of the same scan continues where the last one stopped. The job lives in
``st.session_state`` until it ends, which is how a rerun knows whether to go on or to stop.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from recommender.audio.analysis import display_path
from recommender.audio.decode import AUDIO_SUFFIXES, EXCERPT_SECONDS, EXCERPTS, WHOLE_FILE_SECONDS
from recommender.audio.library import library_bytes
from recommender.audio.scan import ScanProgress, ScanResult, list_files, scan_folder
from recommender.audio.uploads import music_folder, store_uploads
from recommender.catalog import Catalog
from recommender.errors import AudioError, CatalogError

from . import state
from .data import active_catalog, set_active_catalog
from .text import md_escape
from .uploads import load_library

__all__ = ["ScanJob", "ScanOutcome", "folder_scan_allowed", "music_files_section", "plural", "reset", "scan_summary"]

_log = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
FOLDER_SCAN_ENV = "TASTEMAP_ALLOW_FOLDER_SCAN"
SUFFIX_WORDS = "MP3, OGG, Opus, FLAC, WAV, M4A/AAC, AIFF, WMA and more"


@dataclass
class ScanJob:
    """A scan the listener asked for: it runs on every rerun of Home until it ends or is stopped."""

    folder: str  # absolute path on the server (an upload folder, or the listener's own folder)
    name: str  # the library's name on the pages
    file_name: str  # the download's file name
    refused: list[tuple[str, str]] = field(default_factory=list)  # uploaded files not kept: (name, reason)
    stopped: bool = False
    partial: ScanResult | None = None  # after a stop: what the cache already holds


@dataclass
class ScanOutcome:
    """A finished scan as the page shows it."""

    name: str
    summary: str
    problems: pd.DataFrame  # file, reason: what could not be used or is not music
    excerpts: pd.DataFrame  # file, note: long files of which excerpts were analysed
    library: bytes | None  # the Parquet file (None when nothing could be analysed)
    file_name: str
    catalog: Catalog | None = None
    error: str = ""


def plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def folder_scan_allowed() -> bool:
    """Whether to offer scanning a folder in place: only when the server listens on loopback (one
    person on their own machine) or ``TASTEMAP_ALLOW_FOLDER_SCAN=1`` says so; on a shared server
    it would let anyone read the server's folders."""
    if os.environ.get(FOLDER_SCAN_ENV, "").strip() == "1":
        return True
    address = str(st.get_option("server.address") or "").strip().strip("[]").lower()
    return address in LOOPBACK


def scan_summary(scan: ScanResult, refused: list[tuple[str, str]]) -> str:
    """'38 tracks analysed, 2 files could not be used, 5 files are not music' (plain words)."""
    not_music = len(scan.skipped) + sum(1 for _, reason in refused if "not an audio file" in reason)
    unusable = len(scan.failed) + sum(1 for _, reason in refused if "not an audio file" not in reason)
    parts = [plural(len(scan.analysed), "track analysed", "tracks analysed")]
    if unusable:
        parts.append(plural(unusable, "file could not be used", "files could not be used"))
    if not_music:
        parts.append(plural(not_music, "file is not music", "files are not music"))
    text = ", ".join(parts)
    if scan.from_cache:
        text += f" ({plural(scan.from_cache, 'file', 'files')} from earlier scans)"
    return text


def _problem_table(scan: ScanResult, refused: list[tuple[str, str]]) -> pd.DataFrame:
    rows = [{"file": name, "reason": reason} for name, reason in refused]
    rows += [{"file": display_path(f.path), "reason": f.reason} for f in sorted(scan.failed + scan.skipped, key=lambda f: f.path)]
    return pd.DataFrame(rows, columns=["file", "reason"])


def _excerpt_table(scan: ScanResult) -> pd.DataFrame:
    rows = [{"file": display_path(f.path), "note": f.excerpts} for f in scan.analysed if f.excerpts]
    return pd.DataFrame(rows, columns=["file", "note"])


def _finish(job: ScanJob, scan: ScanResult) -> ScanOutcome:
    """The outcome of a scan; a usable library becomes the catalog in use."""
    scan.folder = job.name  # messages name the library, never a server folder
    outcome = ScanOutcome(name=job.name, summary=scan_summary(scan, job.refused), problems=_problem_table(scan, job.refused),
                          excerpts=_excerpt_table(scan), library=None, file_name=job.file_name)
    try:
        outcome.library = library_bytes(scan)
        outcome.catalog = load_library(job.name, outcome.library)
    except (AudioError, CatalogError) as exc:
        outcome.library = None
        outcome.error = ("No track could be analysed, so there is no library to use. " if not scan.analysed
                         else f"The library could not be made ({exc}). ")
        return outcome
    set_active_catalog(outcome.catalog)
    st.session_state.pop(state.UPLOAD_NOTE, None)  # the catalog uploader's note is about another catalog now
    return outcome


def _start(job: ScanJob) -> None:
    st.session_state[state.AUDIO_JOB] = job
    st.session_state.pop(state.AUDIO_RESULT, None)


def _run(job: ScanJob) -> None:
    """Scan under a progress bar with a Stop button; store the outcome and rerun."""
    stop_slot = st.empty()
    if stop_slot.button("Stop", key="home_audio_stop", icon=":material/stop_circle:",
                        help="Stop the scan; what is finished is kept, and scanning again continues from there"):
        stop_slot.empty()
        job.stopped = True
        try:  # what the cache holds already: nothing is analysed (stop is asked before each file)
            job.partial = scan_folder(job.folder, workers=0, should_stop=lambda: True)
        except (AudioError, OSError):
            job.partial = None
        return
    bar = st.progress(0.0, text="Looking for music files …")
    shown: list[tuple[float, str]] = [(0.0, "Looking for music files …")]

    def on_progress(progress: ScanProgress) -> None:
        text = f"Analysing your music: {progress.describe()}"
        if progress.current:
            text += " — last: " + md_escape(progress.current)
        shown[0] = (progress.fraction, text)
        bar.progress(progress.fraction, text=text)

    def should_stop() -> bool:
        # Redraw the bar as it is: Streamlit checks for a click (a rerun) when the page is
        # updated, so Stop is noticed while a long file is being analysed too.
        bar.progress(*shown[0])
        return False

    try:
        scan = scan_folder(job.folder, workers=None, progress=on_progress, should_stop=should_stop)
    except AudioError as exc:
        outcome = ScanOutcome(job.name, "", pd.DataFrame(columns=["file", "reason"]), pd.DataFrame(columns=["file", "note"]),
                              None, job.file_name, error=f"{job.name}: the folder could not be scanned ({exc.reason}). ")
    except Exception as exc:  # a full disk, a broken cache: a message, never a traceback
        _log.exception("music scan failed")
        outcome = ScanOutcome(job.name, "", pd.DataFrame(columns=["file", "reason"]), pd.DataFrame(columns=["file", "note"]),
                              None, job.file_name, error=f"The scan failed ({type(exc).__name__}). Try again; files "
                              "already analysed are kept. ")
    else:
        outcome = _finish(job, scan)
    bar.empty()
    st.session_state.pop(state.AUDIO_JOB, None)
    st.session_state[state.AUDIO_RESULT] = outcome
    st.rerun()  # the whole page (catalog summary, buttons) now shows the new catalog


def _stopped(job: ScanJob) -> None:
    partial = job.partial
    done = len(partial.files) if partial is not None else 0
    total = done + (_remaining(partial) if partial is not None else 0)
    st.info(
        f"**The scan was stopped** after {done:,} of {total:,} music files. What is finished is kept: "
        "scanning again continues where it stopped.",
        icon=":material/pause_circle:",
    )
    left, right = st.columns(2)
    if left.button("Continue scanning", key="home_audio_continue", icon=":material/play_arrow:", type="primary"):
        job.stopped = False
        job.partial = None
        st.rerun()
    if partial is not None and partial.analysed and right.button(
        f"Use the {plural(len(partial.analysed), 'track', 'tracks')} analysed so far", key="home_audio_use_partial",
        icon=":material/library_music:",
    ):
        st.session_state.pop(state.AUDIO_JOB, None)
        st.session_state[state.AUDIO_RESULT] = _finish(job, partial)
        st.rerun()


def _remaining(partial: ScanResult) -> int:
    audio, _ = list_files(partial.root)
    return max(0, len(audio) - len(partial.files))


def _show(outcome: ScanOutcome) -> None:
    kept = active_catalog()
    if outcome.error:
        st.error(md_escape(outcome.error) + "The catalog in use did not change: **" + md_escape(kept.name) + "**.",
                 icon=":material/error:")
    else:
        in_use = outcome.catalog is not None and kept is outcome.catalog
        st.success(
            "**" + md_escape(outcome.summary[:1].upper() + outcome.summary[1:]) + ".** "
            + ("Your library is now the catalog in use: every page works on it." if in_use
               else "Your library is ready (another catalog is in use now)."),
            icon=":material/library_music:",
        )
        if not in_use and outcome.catalog is not None and st.button("Use my library again", key="home_audio_reuse"):
            set_active_catalog(outcome.catalog)
            st.rerun()
    if outcome.error and outcome.summary:
        st.markdown(md_escape(outcome.summary[:1].upper() + outcome.summary[1:]) + ".")
    if len(outcome.problems):
        with st.expander(f"Files not used ({len(outcome.problems):,}) and why", expanded=bool(outcome.error)):
            st.dataframe(outcome.problems, hide_index=True, column_config={
                "file": st.column_config.TextColumn("File"),
                "reason": st.column_config.TextColumn("Why it was not used", width="large"),
            })
    if len(outcome.excerpts):
        with st.expander(f"Long files: excerpts analysed ({len(outcome.excerpts):,})"):
            st.caption(f"Files longer than {WHOLE_FILE_SECONDS // 60} minutes are judged from {EXCERPTS} excerpts of "
                       f"{EXCERPT_SECONDS:.0f} seconds spread over the file (sound, tempo, loudness and key alike).")
            st.dataframe(outcome.excerpts, hide_index=True, column_config={
                "file": st.column_config.TextColumn("File"),
                "note": st.column_config.TextColumn("What was analysed", width="large"),
            })
    if outcome.library is not None:
        st.download_button(
            "Download the library (.parquet)", outcome.library, file_name=outcome.file_name,
            mime="application/octet-stream", key="home_audio_download", icon=":material/download:",
            help="Load this file later with the catalog uploader above (or `--catalog` on the command line): "
                 "no second scan needed.",
        )


def _upload_part(start: Callable[[ScanJob], None]) -> None:
    serial = st.session_state.setdefault(state.AUDIO_UPLOAD_SERIAL, 0)
    files = st.file_uploader(
        "Music files",
        accept_multiple_files=True,
        key=f"home_audio_files_{serial}",
        help=f"Audio files ({SUFFIX_WORDS}). They are kept on this server to be analysed; files that are not "
             "music are listed with the reason.",
    )
    if files and st.button(f"Analyse {plural(len(files), 'file', 'files')}", key="home_audio_analyse",
                           type="primary", icon=":material/graphic_eq:"):
        try:
            stored = store_uploads((f.name, f.getvalue()) for f in files)
        except OSError as exc:
            st.error(f"The files could not be kept on the server ({md_escape(exc.strerror or type(exc).__name__)}). "
                     "Try fewer files, or later.")
            return
        refused = [(r.name, r.reason) for r in stored.refused]
        if not stored.kept:
            st.session_state[state.AUDIO_RESULT] = ScanOutcome(
                "your files", "", pd.DataFrame(refused, columns=["file", "reason"]), pd.DataFrame(columns=["file", "note"]),
                None, "", error="None of these files is music (by its name: " + ", ".join(sorted(AUDIO_SUFFIXES)[:8])
                + " …). ")
            st.session_state.pop(state.AUDIO_JOB, None)
            return
        name = f"Your music files ({plural(len(stored.kept), 'file', 'files')})"
        start(ScanJob(str(stored.folder), name, "my-music-library.parquet", refused))


def _folder_part(start: Callable[[ScanJob], None]) -> None:
    if not folder_scan_allowed():
        st.caption(
            "Scanning a folder in place is off: this app runs on a shared server, where it would open the "
            "server's folders, not yours. Upload the files above, or run Tastemap on your own computer."
        )
        return
    typed = st.text_input("Folder on this computer", key="home_audio_folder", placeholder="~/Music",
                          help="The folder is read where it is (sub-folders too); nothing is copied.")
    if st.button("Scan this folder", key="home_audio_scan_folder", icon=":material/folder_open:"):
        try:
            folder = music_folder(typed)
        except AudioError as exc:
            st.error(md_escape(str(exc)), icon=":material/folder_off:")
            return
        label = folder.name or str(folder)
        start(ScanJob(str(folder), display_path(label), f"{display_path(label)}-library.parquet".replace(" ", "-")))


def music_files_section() -> None:
    """The whole section: where the music comes from, the running scan, the last outcome."""
    st.subheader("Use your own music files")
    st.markdown(
        "Tastemap listens to your music: it measures each track's **tempo, loudness and key** from the audio, "
        "and a pretrained network describes its **sound**, so tracks can be compared by how they sound. "
        "Tags (title, artist, album) come from the files. Your library then works on every page."
    )
    _upload_part(_start)
    _folder_part(_start)
    job: ScanJob | None = st.session_state.get(state.AUDIO_JOB)
    if job is not None and not job.stopped:
        _run(job)  # returns only when the listener stopped it
    if job is not None and job.stopped:
        _stopped(job)
    outcome: ScanOutcome | None = st.session_state.get(state.AUDIO_RESULT)
    if outcome is not None:
        _show(outcome)


def reset() -> None:
    """Forget the scan and its outcome (back to the default catalog)."""
    for key in (state.AUDIO_JOB, state.AUDIO_RESULT):
        st.session_state.pop(key, None)
    st.session_state[state.AUDIO_UPLOAD_SERIAL] = st.session_state.get(state.AUDIO_UPLOAD_SERIAL, 0) + 1
