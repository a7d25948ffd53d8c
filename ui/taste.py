"""Taste page widgets, and the taste filter the Recommend page calls.

The trained model lives in ``st.session_state`` (one per browser session), never in a shared
cache: it is learned from one user's labels. It also survives a reload: training stores the
model's settings, scores and a digest of the labels in the label store (JSON, no pickle), and a
new session refits it from the stored labels (deterministic, under a second) when the labels
are unchanged. When they changed, the page says so and asks for a retrain.

Labels go to the configured store (PostgreSQL with ``TASTEMAP_DATABASE_URL`` / ``database_url``,
else SQLite) under this session's owner (:func:`ui.auth.owner`: the signed-in account, or ''). A
write the database refuses is kept in the session and tried again (see ``_write``).
"""
from __future__ import annotations

import functools
import hashlib
import os
import secrets
from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from recommender.catalog import DATA_DIR, Catalog, load_catalog
from recommender.errors import StoreError, TastemapError
from recommender.files import to_safe_csv
from recommender.ids import is_track_id, parse_track_ids, track_url
from recommender.label_store import (
    DATABASE_URL_ENV,
    DEFAULT_PROFILE,
    LABEL_COLUMNS,
    BaseLabelStore,
    label_store_path,
    open_label_store,
)
from recommender.taste import (
    AUDIO_INPUTS,
    DEFAULT_MODEL,
    MODEL_DESCRIPTIONS,
    MODEL_PLAIN,
    TasteModel,
    TasteReport,
    as_labels,
    check_inputs,
    clean_playlist,
    describe_inputs,
    discover,
    explain_import,
    label_digest,
    labels_from_catalog,
    model_settings,
    refit,
    train,
)
from ui import auth, pages
from ui.data import active_catalog, catalog_key, search_tracks, track_labels
from ui.run_secrets import secret
from ui.state import SEED_TEXT as SEED_TEXT_KEY
from ui.text import md_escape

# ((database, owner), store handle) of this session (see label_store()).
STORE_HANDLE_KEY = "taste_store_handle"
# Writes the label database refused, kept for a retry (see _write()).
PENDING_WRITES_KEY = "taste_pending_writes"
PROBLEM_KEY = "taste_store_problem"  # the label database's refusal in this run (shown once)
LAST_PROFILES_KEY = "taste_last_profiles"  # (owner, names) read last: shown while the database is away
LAST_LABELS_KEY = "taste_last_labels"  # (owner, profile, labels) read last: the same
MODEL_KEY = "taste_model"
REPORT_KEY = "taste_report"
PROFILE_KEY = "taste_profile"
REMEMBER_WAITING_KEY = "taste_profile_to_remember"  # (owner, profile) the label database refused to keep
# {"profile", "digest", "n_labels"} of the labels the session's model learned from.
MODEL_META_KEY = "taste_model_meta"
# Profiles whose stored model this session already tried to restore (once each).
RESTORE_TRIED_KEY = "taste_restore_tried"
# The profile whose stored model no longer matches its labels (found by session_model()).
STALE_KEY = "taste_stored_model_stale"
# (profile, message) when the profile's stored model learned from inputs the active catalog lacks
# (a music library's model on a catalog without sound, or the reverse).
MISMATCH_KEY = "taste_stored_model_mismatch"
DEMO_LABELS = DATA_DIR / "liked_disliked.csv"
EDITOR_COLUMNS = ["label", "track_name", "artists", "track_id", "genres"]
LIKE_HEADER = "How likely you like it"


def _database_url() -> str | None:
    """The configured PostgreSQL address: ``$TASTEMAP_DATABASE_URL``, else ``database_url`` in the
    secrets Streamlit reads (``st.secrets``; it also honours ``--secrets.files``); None = SQLite."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if not url:
        url = str(secret("database_url") or secret(DATABASE_URL_ENV) or "").strip()
    return url or None


def label_store() -> BaseLabelStore:
    """The configured label store (PostgreSQL or SQLite) for this session's owner (:func:`ui.auth.owner`).

    The handle is kept in this session's state, keyed on (database, owner): opening one checks the
    schema, too slow to repeat on every call of every rerun, and a handle of one person is never
    in a cache another session could reach. A SQLite file replaced since (new inode) gets a new
    handle. Raises :class:`~recommender.errors.StoreError` when the database cannot be reached."""
    owner = auth.owner()
    url = _database_url()
    if url:
        target = "postgresql:" + hashlib.sha256(url.encode("utf-8")).hexdigest()  # no password in state
        path = None
    else:
        path = label_store_path()
        try:
            inode = path.stat().st_ino
        except OSError:
            inode = None
        target = f"sqlite:{path}:{inode}"
    held = st.session_state.get(STORE_HANDLE_KEY)
    if held is not None and held[0] == (target, owner):
        return held[1]
    store = open_label_store(owner=owner, url=url, path=path)
    st.session_state[STORE_HANDLE_KEY] = ((target, owner), store)
    return store


# ----------------------------------------------------------------------------- writes kept on failure
# A write the database refused (down, restarting, busy) is kept in this session, in order, with
# the owner it was for: nothing the listener entered is lost. Before every later write, and on
# every run of the Taste page, the kept writes are tried again first (so their order holds);
# every write is a replace or an upsert by label key, so trying one again never duplicates labels.


def pending_writes() -> list[dict]:
    """This session's writes waiting for the database (oldest first)."""
    return st.session_state.setdefault(PENDING_WRITES_KEY, [])


def pending_label_count() -> int:
    return sum(int(w.get("n", 0)) for w in pending_writes())


def _apply(write: dict) -> int:
    store = label_store()
    op, profile = write["op"], write["profile"]
    if op == "save":
        return store.save(profile, write["labels"])
    if op == "add":
        return store.add(profile, write["labels"])
    source = DEMO_LABELS if op == "demo" else write["data"]
    n, notes = store.import_file(profile, source, replace=write["replace"], catalog=write.get("catalog"))
    write["notes"] = notes
    return n


def flush_pending() -> int:
    """Try the kept writes of this session's owner again, in order; returns how many labels were
    stored. Stops at the first that fails (raising its :class:`StoreError`), keeping the rest."""
    owner = auth.owner()
    waiting = pending_writes()
    stored = 0
    while waiting:
        write = waiting[0]
        if write["owner"] != owner:  # another account's (signed out since): never written as this one
            waiting.pop(0)
            continue
        try:
            stored += _apply(write)
        except StoreError:
            raise  # still kept
        except TastemapError:
            waiting.pop(0)  # the write itself is wrong (a bad file): trying again cannot help
            raise
        waiting.pop(0)
    return stored


def _write(write: dict) -> int:
    """Apply ``write`` after the kept ones; on a :class:`StoreError` keep it (and raise)."""
    write["owner"] = auth.owner()  # in place: the caller reads the import's notes from it
    try:
        flush_pending()
        return _apply(write)
    except StoreError:
        pending_writes().append(write)
        raise


def note_problem(exc: StoreError) -> None:
    """Remember that the label database refused something in this run; the page shows it once
    (:func:`take_problem`, :func:`store_problem`) after drawing what it could."""
    st.session_state[PROBLEM_KEY] = exc


def take_problem() -> StoreError | None:
    return st.session_state.pop(PROBLEM_KEY, None)


def store_problem(exc: StoreError) -> None:
    """Say that the label database cannot be used (its message as it is), what is kept, and offer
    "Try again" when trying again may work. Call it once per run (the page does)."""
    st.error(md_escape(exc))
    waiting = pending_writes()
    if waiting:
        n = pending_label_count()
        st.info(f"{n:,} label{'s' if n != 1 else ''} you entered {'are' if n != 1 else 'is'} kept in this "
                "session and will be saved as soon as the label database answers: nothing is lost.")
        frames = [w["labels"] for w in waiting if isinstance(w.get("labels"), pd.DataFrame)]
        if frames:
            st.download_button("Download the unsaved labels (CSV)", to_safe_csv(pd.concat(frames)),
                               file_name="tastemap_unsaved_labels.csv", mime="text/csv", key="taste_unsaved_download")
    if exc.retryable:
        st.button("Try again", key="taste_try_again", type="primary")  # a rerun tries the kept writes first


def current_profile() -> str:
    """The label profile this session works in: the one picked on the Taste page in this session;
    else, in a new session, the one this owner picked last (read once from the label store, so a
    reload, or a failover to another app process of a shared server, starts in it); else the
    default profile. A database that cannot be read now means the default profile, silently: the
    page's other reads say that the database is away."""
    if PROFILE_KEY not in st.session_state:
        st.session_state[PROFILE_KEY] = _remembered_profile() or DEFAULT_PROFILE
    return st.session_state[PROFILE_KEY]


def remembers_profile() -> bool:
    """Whether the chosen profile is kept in the label store for the next session of this owner:
    for a signed-in person, and without sign-in on one's own machine (owner '').

    Not with private profiles (:func:`private_profiles`), and not for anonymous use of a server
    with sign-in: there anonymous people share one owner (''), and one person's choice must not
    open in a stranger's session."""
    if private_profiles():
        return False
    try:
        return bool(auth.owner()) or not auth.auth_configured()
    except TastemapError:  # sign-in required and nobody is signed in
        return False


def _remembered_profile() -> str | None:
    if not remembers_profile():
        return None
    try:
        return label_store().last_profile()
    except TastemapError:
        return None


def _remember_choice(profile: str | None = None) -> None:
    """Keep ``profile`` (else the choice a refusal left waiting) as this owner's choice for their
    next session. A refusal loses nothing of this session (the choice is in its state), is not
    shown (saving labels says plainly that the database is away) and is tried on the next run."""
    if not remembers_profile():
        st.session_state.pop(REMEMBER_WAITING_KEY, None)
        return
    owner = auth.owner()
    if profile is not None:
        st.session_state[REMEMBER_WAITING_KEY] = (owner, profile)
    waiting = st.session_state.get(REMEMBER_WAITING_KEY)
    if waiting is None or waiting[0] != owner:  # another account's choice: never kept as this one's
        st.session_state.pop(REMEMBER_WAITING_KEY, None)
        return
    try:
        label_store().remember_profile(waiting[1])
    except TastemapError:
        return
    st.session_state.pop(REMEMBER_WAITING_KEY, None)


def session_model() -> TasteModel | None:
    """This session's trained taste model, if any.

    After a reload the session starts empty: the model stored for the current profile is
    rebuilt from its labels once (a short progress bar) if those labels have not changed.
    """
    model = st.session_state.get(MODEL_KEY)
    if model is not None:
        return model
    profile = current_profile()
    tried = st.session_state.setdefault(RESTORE_TRIED_KEY, set())
    if profile in tried:
        return None
    tried.add(profile)
    try:
        record = restore_model(profile, load_labels(profile))
    except TastemapError:
        return None
    if record is not None and st.session_state.get(MODEL_KEY) is None:
        st.session_state[STALE_KEY] = profile  # a model is stored, but for other labels
    return st.session_state.get(MODEL_KEY)


def restore_model(profile: str, labels: pd.DataFrame) -> dict | None:
    """Rebuild the profile's stored model into this session when ``labels`` are the ones it
    learned from. Returns the stored record (None when nothing is stored); the caller compares
    ``record["label_digest"]`` with the labels to tell a stale model."""
    record = label_store().load_model_record(profile)
    if record is None or record["label_digest"] != label_digest(labels):
        return record
    catalog = active_catalog()
    settings = record["settings"] if isinstance(record.get("settings"), dict) else {}
    try:
        check_inputs(settings.get("inputs", AUDIO_INPUTS), catalog, sound_model=str(settings.get("sound_model", "")),
                     dim=int(settings.get("sound_dim", 0) or 0))
    except TastemapError as exc:
        st.session_state[MISMATCH_KEY] = (profile, str(exc))
        return None  # not stale, not restorable here: model_status says why
    st.session_state.pop(MISMATCH_KEY, None)
    bar = st.progress(0.0, text="Rebuilding your taste model from your labels (step 1 of 1)…")
    try:
        model = refit(labels, settings, catalog=catalog)
        report = TasteReport.from_dict(record["report"])
    except (TastemapError, KeyError, TypeError, ValueError):
        bar.empty()
        return None  # an unreadable record: the page offers to train again
    bar.empty()
    model.trained_at_ = record.get("trained_at")
    _remember(profile, model, report, record["label_digest"], int(record["n_labels"]))
    return record


def _mismatch(profile: str) -> str | None:
    """Why the profile's stored model cannot work on the active catalog (None when it can)."""
    found = st.session_state.get(MISMATCH_KEY)
    return found[1] if found and found[0] == profile else None


def is_library(catalog: Catalog | None = None) -> bool:
    """Whether the active catalog (or ``catalog``) is a music library the network analysed."""
    catalog = catalog if catalog is not None else active_catalog()
    return bool(catalog.has_sound)


def _remember(profile: str, model: TasteModel, report: TasteReport, digest: str, n_labels: int) -> None:
    st.session_state.pop(STALE_KEY, None)
    st.session_state.pop(MISMATCH_KEY, None)
    st.session_state[MODEL_KEY] = model
    st.session_state[REPORT_KEY] = report
    st.session_state[MODEL_META_KEY] = {"profile": profile, "digest": digest, "n_labels": n_labels}


def _forget_model() -> None:
    for key in (MODEL_KEY, REPORT_KEY, MODEL_META_KEY):
        st.session_state.pop(key, None)


def taste_filter(recommendations: pd.DataFrame, *, model: TasteModel | None = None) -> pd.DataFrame:
    """Add ``like_probability`` to a recommendation table (needs a ``track_id`` column).

    Uses this session's taste model (or ``model``); features are looked up in the active
    catalog when the table lacks them. Without a model the table comes back unchanged.
    Rows keep their order; unknown tracks get NaN.
    """
    model = model or session_model()
    if model is None or recommendations.empty or "track_id" not in recommendations.columns:
        return recommendations
    scored = clean_playlist(model, recommendations[["track_id"]], catalog=active_catalog())
    out = recommendations.copy()
    out["like_probability"] = scored["like_probability"].to_numpy()
    return out


# How far "Hide likely dislikes" asks the engine for more: the pool grows 2x per round.
_REFILL_ROUNDS = 4


def taste_filter_widget(recommendations: pd.DataFrame, *, key: str = "taste_filter",
                        more: Callable[[int], pd.DataFrame] | None = None) -> pd.DataFrame:
    """A small control block: score recommendations, then show all / hide likely dislikes / re-rank.

    Returns the table to display. Shows a hint and returns the input when no model is trained.
    ``more(n)``, when given, returns the engine's best ``n`` results for the same request (the
    same table layout, best first, a superset of ``recommendations``): when likely dislikes are
    hidden, the list is refilled from it to as many rows as ``recommendations`` had. Without
    ``more`` the hidden rows are only removed. A caption says how many were hidden.
    """
    model = session_model()
    if model is not None:
        try:
            model.check_inputs(active_catalog())
        except TastemapError as exc:
            st.caption(md_escape(exc))
            return recommendations
    if model is None:
        if _mismatch(current_profile()):
            st.caption(md_escape(_mismatch(current_profile())))
        elif st.session_state.get(STALE_KEY) == current_profile():
            st.caption("Your labels changed since your taste model was trained: retrain it on the Taste page "
                       "to score these tracks by how likely you like them.")
        else:
            st.caption("Train a taste model on the Taste page to score these tracks by how likely you like them.")
        return recommendations
    mode = st.radio("Taste filter", ["Show score", "Hide likely dislikes", "Re-rank by taste"],
                    horizontal=True, key=f"{key}_mode")
    threshold = st.slider("Likely dislike below", 0.0, 1.0, 0.5, 0.05, key=f"{key}_threshold",
                          help="How sure the taste model must be that you like a track to keep it.")
    try:
        out = taste_filter(recommendations)
    except TastemapError as exc:
        st.warning("The taste model cannot score these tracks: " + md_escape(exc))
        return recommendations
    if mode == "Hide likely dislikes":
        out, hidden, note = hide_dislikes(out, threshold, want=len(recommendations), more=more)
        st.caption(note)
    elif mode == "Re-rank by taste":
        out = out.sort_values("like_probability", ascending=False, kind="stable")
    return out.reset_index(drop=True)


def hide_dislikes(scored: pd.DataFrame, threshold: float, *, want: int,
                  more: Callable[[int], pd.DataFrame] | None = None) -> tuple[pd.DataFrame, int, str]:
    """Drop rows scored below ``threshold``; refill to ``want`` rows from ``more`` (see
    :func:`taste_filter_widget`). Returns ``(rows, hidden_count, caption)``; the count is of the
    likely dislikes passed over on the way to the rows shown. Unscored rows (unknown tracks)
    stay: unknown is not disliked."""
    considered = scored
    pool = len(scored)
    for _ in range(_REFILL_ROUNDS if more is not None else 0):
        if int((~(considered["like_probability"] < threshold)).sum()) >= want:
            break
        pool *= 2
        try:
            bigger = more(pool)
        except TastemapError:
            break
        if bigger is None or bigger.empty or "track_id" not in bigger.columns:
            break
        bigger = taste_filter(bigger.drop(columns=["like_probability"], errors="ignore"))
        if "like_probability" not in bigger.columns or len(bigger) <= len(considered):
            break  # the engine has no more to give
        considered = bigger
    passes = ~(considered["like_probability"] < threshold).to_numpy()
    # Rows up to the one that completes the list: the dislikes among them are the ones hidden.
    reached = np.flatnonzero(np.cumsum(passes) >= want) if want else np.array([len(passes) - 1])
    end = int(reached[0]) + 1 if len(reached) else len(passes)
    window = considered.iloc[:end]
    kept = window[passes[:end]]
    hidden = int((~passes[:end]).sum())
    s = "" if hidden == 1 else "s"
    if not hidden:
        note = "No likely dislike among these tracks."
    elif more is None:
        note = f"{hidden} likely dislike{s} hidden."
    elif len(kept) >= want:
        note = f"{hidden} likely dislike{s} hidden; the list was refilled to {want} with the next best matches."
    else:
        note = (f"{hidden} likely dislike{s} hidden; only {len(kept)} of {want} tracks pass your taste "
                "filter. Lower “Likely dislike below” to see more.")
    return kept, hidden, note


# ----------------------------------------------------------------------------- labels


def load_labels(profile: str) -> pd.DataFrame:
    """The profile's labels from the label store (:data:`~recommender.store.LABEL_COLUMNS`)."""
    return label_store().load(profile)


def save_labels(profile: str, labels: pd.DataFrame) -> None:
    """Replace the profile's labels; kept in the session when the database refuses (see :func:`_write`)."""
    _write({"op": "save", "profile": profile, "labels": labels.copy(), "n": len(labels)})


def add_labels(profile: str, labels: pd.DataFrame) -> int:
    """Add or update labels of ``profile`` (e.g. thumbs up/down on the Recommend page); returns
    how many were stored.

    Columns of ``labels``:

    - ``label`` (required): like/dislike, liked/disliked, 1/0, True/False or yes/no.
    - ``track_id``: the Spotify track ID. Tracks the active catalog holds get their audio
      features (what the model learns from), names and genres from it.
    - ``track_name``, ``artists``, ``genres`` (optional): shown in the label table.
    - audio features such as ``energy`` (optional): used for tracks outside the catalog.
    - ``label_key`` (optional): defaults to the track ID.

    Rows without a readable label, or with neither a track ID nor the audio features, are
    skipped. Labelling a track again replaces its label. A trained model is not changed: the
    Taste page then says the labels changed and offers to retrain. When the label database
    refuses, the labels are kept in this session (saved on the next try) and the
    :class:`StoreError` is raised for the caller to show.
    """
    if not len(labels):
        return 0
    rows = as_labels(labels, catalog=active_catalog())
    return _write({"op": "add", "profile": profile, "labels": rows, "n": len(rows)}) if len(rows) else 0


KNOWN_PROFILES_KEY = "taste_known_profiles"


def private_profiles() -> bool:
    """Shared-server mode: a session sees only the profiles it created or opened by name.

    On a laptop the listener owns every profile, so all are listed. On a server several people
    use, set ``TASTEMAP_PRIVATE_PROFILES=1``: the list then holds only this session's profiles,
    each session starts in a fresh random profile, another profile opens only by typing its
    exact name (a private name works like a passphrase), and the store's path is not shown.
    """
    return os.environ.get("TASTEMAP_PRIVATE_PROFILES", "").strip().lower() in {"1", "true", "yes", "on"}


def profile_picker() -> str:
    if private_profiles():
        known = st.session_state.setdefault(KNOWN_PROFILES_KEY, [f"guest-{secrets.token_hex(6)}"])
        names = list(known)
    else:
        try:
            names = label_store().profiles() or [DEFAULT_PROFILE]
            st.session_state[LAST_PROFILES_KEY] = (auth.owner(), names)
        except StoreError as exc:  # the page goes on with the names it had, so no click is lost
            last = st.session_state.get(LAST_PROFILES_KEY)
            names = list(last[1]) if last and last[0] == auth.owner() else [current_profile()]
            note_problem(exc)
        if DEFAULT_PROFILE not in names:
            names = [DEFAULT_PROFILE, *names]
    col1, col2 = st.columns([2, 1])
    current = current_profile() if current_profile() in names else names[0]
    profile = col1.selectbox("Profile", names, index=names.index(current), key="taste_profile_select")
    # Typing an existing name opens that profile.
    new = col2.text_input("New profile", key="taste_new_profile", placeholder="name, then Enter")
    if new:
        try:
            profile = label_store().create_profile(new)
        except StoreError as exc:
            note_problem(exc)
        except TastemapError as exc:
            st.error(md_escape(exc))
        else:
            if private_profiles() and profile not in st.session_state[KNOWN_PROFILES_KEY]:
                st.session_state[KNOWN_PROFILES_KEY].append(profile)
    if profile != st.session_state.get(PROFILE_KEY):
        st.session_state[PROFILE_KEY] = profile
        _forget_model()
        _remember_choice(profile)
    elif REMEMBER_WAITING_KEY in st.session_state:
        _remember_choice()
    return profile


def label_sources(profile: str) -> None:
    """Ways to add labels: demo (your library's tracks, on a library), upload, catalog search,
    recommendations, pending likes."""
    catalog = active_catalog()
    library = is_library(catalog)
    tabs = st.tabs(["Your library" if library else "Demo", "Upload",
                    "Search the library" if library else "Search the catalog", "From recommendations"])
    with tabs[0]:
        if library:
            library_picker(profile, catalog)
        else:
            demo_labels(profile)
    _other_label_sources(profile, catalog, tabs)


def library_options(catalog: Catalog) -> tuple[list[str], dict[str, str]]:
    """A library's track IDs and 'Title — Artist · file' for each (the listener's own paths)."""
    t = catalog.tracks
    text = "string[pyarrow]"
    names = (t["track_name"].astype(text).fillna("(no title)") + " — "
             + t["artists"].astype(text).fillna("(unknown artist)"))
    if "file_path" in t.columns:
        names = names + (" · " + t["file_path"].astype(text)).fillna("")
    ids = [str(v) for v in t["track_id"]]
    return ids, dict(zip(ids, (str(v) for v in names)))


def library_picker(profile: str, catalog: Catalog) -> None:
    """Label tracks of the listener's own library: pick them, then like or dislike."""
    st.write("Pick tracks of your library you like, press “Liked”; then some you do not like, press "
             "“Disliked”. The model learns how they sound to a pretrained network.")
    ids, names = library_options(catalog)
    picked = st.multiselect("Tracks of your library", ids, key="taste_library_pick",
                            format_func=lambda tid: names.get(tid, tid))
    _like_buttons(profile, picked, "library")


def demo_labels(profile: str) -> None:
    """The demo labels (a Spotify listener's), replacing the profile's labels."""
    st.write("One listener's real likes and dislikes: 2,017 rows covering 2,009 different songs "
             "(George McIntire, Kaggle 2017). They replace this profile's labels.")
    if st.button("Load the demo labels", key="taste_demo"):
        write = {"op": "demo", "profile": profile, "replace": True, "n": 0}
        try:
            n = _write(write)
        except StoreError as exc:  # kept in the session; the page says so
            note_problem(exc)
            return
        st.success(f"Loaded {n:,} demo labels into profile '{md_escape(profile)}'.")
        why = explain_import(write.get("notes") or {})
        if why:
            st.caption(md_escape(why))


def _other_label_sources(profile: str, catalog: Catalog, tabs: list) -> None:
    with tabs[1]:
        upload = st.file_uploader("Labelled file (CSV/Parquet: track IDs or audio features + a liked/target/label column)",
                                  key="taste_upload")
        replace = st.checkbox("Replace this profile's labels", key="taste_upload_replace")
        if upload is not None and st.button("Import", key="taste_import"):
            write = {"op": "import", "profile": profile, "data": upload.getvalue(), "replace": replace,
                     "catalog": catalog, "n": 0}
            try:
                n = _write(write)
                st.success(f"Imported {n:,} labels.")
                why = explain_import(write.get("notes") or {})
                if why:
                    st.caption(md_escape(why))
            except StoreError as exc:  # kept in the session; the page says so
                note_problem(exc)
            except TastemapError as exc:
                st.error(md_escape(exc))
    with tabs[2]:
        query = st.text_input("Track or artist contains", key="taste_search")
        if query.strip():
            found = search_tracks(catalog, query)  # cached index, most popular first
            names = dict(zip(found["track_id"], found["label"]))
            picked = st.multiselect("Tracks", found["track_id"].tolist(), key="taste_search_pick",
                                    format_func=lambda tid: names.get(tid, tid))
            _like_buttons(profile, picked, "search")
    with tabs[3]:
        recs = st.session_state.get("last_recommendations")
        pending = list(st.session_state.get("pending_likes", []))
        ids: list[str] = []
        if isinstance(recs, pd.DataFrame) and "track_id" in recs.columns:
            ids = recs["track_id"].astype(str).tolist()
        if pending:
            st.caption(f"{len(pending)} tracks marked liked elsewhere in the app.")
            if st.button("Add them as liked", key="taste_pending"):
                likes = labels_from_catalog(catalog, pending, 1)
                st.session_state["pending_likes"] = []  # stored next, or kept among the writes waiting
                try:
                    n = add_labels(profile, likes)
                except StoreError as exc:
                    note_problem(exc)
                else:
                    st.success(f"Added {n} liked tracks.")
        if ids:
            names = track_labels(catalog, ids)
            picked = st.multiselect("Recommended tracks", ids, key="taste_recs_pick",
                                    format_func=lambda tid: names.get(tid, tid))
            _like_buttons(profile, picked, "recs")
        elif not pending:
            st.info("No recommendations yet: get some on the Recommend page, then label them here.")


def _like_buttons(profile: str, picked: list[str], key: str) -> None:
    c1, c2 = st.columns(2)
    for col, label, text in ((c1, 1, "👍 Liked"), (c2, 0, "👎 Disliked")):
        if col.button(text, key=f"taste_{key}_{label}", disabled=not picked):
            try:
                n = _add_catalog_labels(profile, picked, label)
            except StoreError as exc:  # kept in the session; the page says so
                note_problem(exc)
            else:
                st.success(f"Labelled {n} track(s).")


def _add_catalog_labels(profile: str, track_ids: list[str], label: int) -> int:
    """:func:`add_labels` for tracks of the active catalog. ``labels_from_catalog`` already gives
    finished label rows (key = track ID, features from the catalog): passing them through
    ``as_labels`` again would store the same rows, at about 25 ms a click."""
    rows = labels_from_catalog(active_catalog(), track_ids, label)
    return _write({"op": "add", "profile": profile, "labels": rows, "n": len(rows)}) if len(rows) else 0


def _editor_view(labels: pd.DataFrame) -> pd.DataFrame:
    """The label table as the editor shows it: ``label`` as a tick box, empty text cells as ""
    (not "None"). Built column by column with NumPy: pandas' astype/where per column cost
    about 1 ms more on every rerun."""
    columns = {"label_key": labels["label_key"], "label": labels["label"].astype(bool)}
    for col in EDITOR_COLUMNS[1:]:  # track_name, artists, track_id, genres
        values = labels[col].to_numpy(dtype=object)
        columns[col] = pd.Series(np.where(pd.isna(values), "", values), index=labels.index, dtype=object)
    return pd.DataFrame(columns)


def label_editor(profile: str) -> pd.DataFrame:
    """The editable label table; edits are saved to the store in one transaction.

    When the database cannot be read, the labels read last in this session are shown (so the
    table's unsaved edits and a click on Save are not lost) and the problem is noted."""
    try:
        labels = load_labels(profile)
        st.session_state[LAST_LABELS_KEY] = (auth.owner(), profile, labels)
    except StoreError as exc:
        last = st.session_state.get(LAST_LABELS_KEY)
        if not last or last[:2] != (auth.owner(), profile):
            raise
        labels = last[2]
        note_problem(exc)
    liked = int(labels["label"].sum()) if len(labels) else 0
    # No server path here: the store's location is the operator's business, not the listener's.
    st.caption(f"{len(labels):,} labels in profile '{md_escape(profile)}': {liked:,} liked, "
               f"{len(labels) - liked:,} disliked. They are saved on this server and kept across visits.")
    if labels.empty:
        return labels
    view = _editor_view(labels)
    # A column empty on every row (the demo labels have no Spotify IDs or genres) is not shown.
    empty = {col: None for col in ("track_id", "genres") if not (view[col] != "").any()}
    if is_library():
        empty["track_id"] = None  # a library's IDs are not Spotify's: nothing to show the listener
    edited = st.data_editor(
        view, key=f"taste_editor_{profile}", hide_index=True, num_rows="dynamic",
        disabled=["label_key", "track_name", "artists", "track_id", "genres"],
        column_config={"label": st.column_config.CheckboxColumn("Liked"), "label_key": None,
                       "track_name": st.column_config.TextColumn("Title"),
                       "artists": st.column_config.TextColumn("Artists"),
                       "track_id": st.column_config.TextColumn("Spotify ID"),
                       "genres": st.column_config.TextColumn("Genres"), **empty},
    )
    c1, c2 = st.columns(2)
    if c1.button("Save label edits", key="taste_save_edits"):
        merged = labels.set_index("label_key").loc[edited["label_key"].dropna()].reset_index()
        merged["label"] = edited.set_index("label_key").loc[merged["label_key"], "label"].astype(int).to_numpy()
        try:
            save_labels(profile, merged[list(LABEL_COLUMNS)])
        except StoreError as exc:  # kept in the session; the page says so
            note_problem(exc)
        else:
            st.success(f"Saved {len(merged):,} labels.")
            labels = load_labels(profile)
    # A callable: the CSV (what the store's export_csv writes: no times) is built when the button
    # is clicked, not on every rerun of the page.
    c2.download_button("Export labels (CSV)", lambda: to_safe_csv(labels.drop(columns=["created_at", "updated_at"])),
                       file_name=f"tastemap_labels_{profile}.csv", mime="text/csv", key="taste_export")
    return labels


# ----------------------------------------------------------------------------- model


def plain_fraction(share: float) -> str:
    """A share as words a listener reads: 0.79 -> "about 4 times in 5"."""
    if not np.isfinite(share):
        return "an unknown share of the time"
    for n in range(2, 11):  # the smallest denominator within 2.5 points
        m = int(round(share * n))
        if abs(m / n - share) <= 0.025:
            if m == n:
                return "almost every time"
            if m == 0:
                return "almost never"
            return f"about {m} times in {n}" if m > 1 else f"about 1 time in {n}"
    return f"{share:.0%} of the time"


def headline(report: TasteReport) -> str:
    """The one sentence the Taste page leads with, from grouped-CV accuracy on held-out artists."""
    return f"Right {plain_fraction(report.accuracy)} {_held_out(report)}"


def _held_out(report: TasteReport) -> str:
    return "on artists it has not seen" if "grouped by artist" in report.cv else "on songs it has not seen"


def learned_from(report: TasteReport) -> str:
    """What the model learned from, in plain words."""
    if any(f.startswith("sound_") for f in report.features):
        return ("how your music sounds to a pretrained network (what it heard in each file), with the tempo, "
                "loudness and key measured from the files")
    return "Spotify's audio features of the songs (energy, danceability, mood and more)"


def model_status(profile: str, labels: pd.DataFrame) -> tuple[TasteModel | None, TasteReport | None, str | None]:
    """This session's model for ``profile`` (restored from the store after a reload), its
    report, and a warning when the labels changed since it was trained (None otherwise)."""
    # Only a stored or trained model needs the labels' digest (a few ms): not computed without one.
    digest = functools.cache(lambda: label_digest(labels))
    meta = st.session_state.get(MODEL_META_KEY)
    model = st.session_state.get(MODEL_KEY)
    if model is not None:
        try:  # trained on another catalog this session (a library, or the Spotify one)
            model.check_inputs(active_catalog())
        except TastemapError as exc:
            _forget_model()
            return None, None, md_escape(exc)
    if st.session_state.get(MODEL_KEY) is None or not meta or meta.get("profile") != profile:
        _forget_model()
        record = restore_model(profile, labels)
        st.session_state.setdefault(RESTORE_TRIED_KEY, set()).add(profile)
        if _mismatch(profile):
            return None, None, md_escape(_mismatch(profile)) + " (Your saved model is kept: train here to replace it.)"
        if record is not None and record["label_digest"] != digest():
            return None, None, (f"Your saved model was trained on {record['n_labels']:,} labels; you have "
                                f"{len(labels):,} now (or some changed): retrain it to use them.")
        meta = st.session_state.get(MODEL_META_KEY)
    model, report = st.session_state.get(MODEL_KEY), st.session_state.get(REPORT_KEY)
    if model is None or meta is None:
        return None, None, None
    if meta["digest"] != digest():
        return model, report, (f"The model was trained on {meta['n_labels']:,} labels; you have "
                               f"{len(labels):,} now (or some changed): retrain to include the changes.")
    return model, report, None


def train_panel(profile: str, labels: pd.DataFrame) -> None:
    """Settings (in an expander) and the Train button, with a progress bar over the steps."""
    names = list(MODEL_DESCRIPTIONS)
    with st.expander("Settings"):
        model_name = st.selectbox("How the model learns", names, index=names.index(DEFAULT_MODEL),
                                  key="taste_model_choice", format_func=lambda m: MODEL_PLAIN.get(m, m))
        do_tune = st.checkbox("Try several settings and keep the best (much slower)", key="taste_tune")
        importance = False
        if not is_library():  # on a library the inputs are 400 network numbers: no listener reads those one by one
            importance = st.checkbox("Also measure which sounds matter most to you (slower)", key="taste_importance")
    if not st.button("Train", key="taste_train", type="primary"):
        return
    bar = st.progress(0.0, text="Starting…")

    def progress(done: int, total: int, what: str) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=f"{what} (step {min(done + 1, total)} of {total})"
                     if done < total else f"{what} ({total} of {total} steps)")

    try:
        model, report = train(labels, model_name, catalog=active_catalog(), tune_grid=do_tune,
                              importance=importance, progress=progress)
    except TastemapError as exc:
        bar.empty()
        st.error(md_escape(exc))
        return
    bar.empty()
    digest = label_digest(labels)
    _remember(profile, model, report, digest, len(labels))
    try:
        label_store().save_model_record(profile, label_digest=digest, n_labels=len(labels),
                                        settings=model_settings(model), report=report.to_dict())
    except TastemapError as exc:
        st.warning("The model works now but could not be saved for your next visit: " + md_escape(exc))


def report_panel(report: TasteReport) -> None:
    """The plain-words headline, then every expert number under "Details"."""
    st.subheader(headline(report))
    fair = ("it was tested on songs by artists kept out of its training" if "grouped by artist" in report.cv
            else "it was tested on songs kept out of its training")
    st.caption(f"Learned {learned_from(report)}, from your {report.n_labels:,} labels ({report.n_liked:,} liked, "
               f"{report.n_disliked:,} disliked). Checked fairly: {fair} ({report.accuracy:.0%} right).")
    with st.expander("Details", key="taste_details"):
        st.write(f"Estimator: **{report.model}** ({md_escape(MODEL_DESCRIPTIONS.get(report.model, ''))}). "
                 f"Split: {md_escape(report.cv)}. Imbalance: {md_escape(report.imbalance)}.")
        sound = any(f.startswith("sound_") for f in report.features)
        skipped = "labels of tracks outside this library" if sound else "labels without audio features"
        st.write(f"Features: {md_escape(describe_inputs(report.features))}."
                 + (f" {report.n_dropped:,} {skipped} were skipped." if report.n_dropped else ""))
        if report.tuning:
            st.write(f"Tuning (nested grouped CV) chose {md_escape(report.tuning['chosen'])}.")
        cols = st.columns(5)
        for col, (name, value) in zip(cols, [("ROC AUC", report.roc_auc), ("Accuracy", report.accuracy),
                                             ("Precision", report.precision), ("Recall", report.recall),
                                             ("F1", report.f1)]):
            col.metric(name, f"{value:.3f}")
        c1, c2 = st.columns(2)
        cm = np.asarray(report.confusion_matrix)
        c1.plotly_chart(px.imshow(cm, text_auto=True, x=["disliked", "liked"], y=["disliked", "liked"],
                                  labels={"x": "predicted", "y": "true"}, title="Confusion matrix",
                                  color_continuous_scale="Greens"), key="taste_cm")
        roc = go.Figure([go.Scatter(x=report.roc_curve["fpr"], y=report.roc_curve["tpr"], mode="lines", name="model"),
                         go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot"}, name="chance")])
        roc.update_layout(title=f"ROC curve (AUC {report.roc_auc_pooled:.3f} pooled)",
                          xaxis_title="false positive rate", yaxis_title="true positive rate",
                          xaxis={"range": [0, 1], "dtick": 0.2}, yaxis={"range": [0, 1.02], "dtick": 0.2})
        c2.plotly_chart(roc, key="taste_roc")
        if len(report.importance):
            imp = report.importance.sort_values("importance")
            st.plotly_chart(px.bar(imp, x="importance", y="feature", orientation="h", error_x="std",
                                   title="Permutation importance (drop in ROC AUC on held-out artists)"),
                            key="taste_importance_chart")
        elif sound:
            st.caption("Permutation importance is not measured on a music library: the network's description "
                       "is 400 numbers, none of which means something on its own.")
        else:
            st.caption("Permutation importance was not measured: tick “Also measure which sounds matter most” "
                       "in the settings and train again.")


def model_download(model: TasteModel) -> None:
    # A callable: the 2 MB file is built when the button is clicked, not on every rerun.
    st.download_button("Download model", model.to_bytes, file_name=f"taste_{model.model}.model",
                       key="taste_model_download",
                       help="For the command line ('tastemap taste score --model ...'); this page never loads model files.")


def _plain_table(frame: pd.DataFrame, catalog: Catalog | None = None) -> pd.DataFrame:
    """Text cells empty instead of None, and a Spotify link for each valid track ID; on a music
    library, each track's file (inside the listener's library) instead of a link."""
    out = frame.copy()
    for col in ("track_name", "artists", "genres", "track_id"):
        if col in out.columns:
            out[col] = out[col].astype(object).where(out[col].notna(), "")
    if catalog is not None and is_library(catalog) and "track_id" in out.columns:
        pos = catalog.positions(out["track_id"].astype(str))
        paths = catalog.tracks["file_path"].astype(object).to_numpy() if "file_path" in catalog.tracks else None
        out["file"] = ["" if p < 0 or paths is None or pd.isna(paths[p]) else str(paths[p]) for p in pos]
    elif "track_id" in out.columns:
        out["spotify"] = [track_url(t) if is_track_id(t) else None for t in out["track_id"].astype(str)]
    return out


def _columns(names: list[str], catalog: Catalog) -> list[str]:
    """A table's column order: the file instead of the Spotify link on a library."""
    return [("file" if c == "spotify" else c) for c in names] if is_library(catalog) else names


_TABLE_CONFIG = {
    "position": st.column_config.NumberColumn("#", width="small"),
    "track_name": st.column_config.TextColumn("Title"),
    "artists": st.column_config.TextColumn("Artists"),
    "genres": st.column_config.TextColumn("Genres"),
    "like_probability": st.column_config.ProgressColumn(
        LIKE_HEADER, min_value=0.0, max_value=1.0, format="percent",
        help="Your taste model's estimate (empty: the track is not in the catalog)"),
    "flagged": st.column_config.CheckboxColumn("Likely dislike"),
    "spotify": st.column_config.LinkColumn("Open on Spotify", display_text="Open ↗"),
    "file": st.column_config.TextColumn("File"),
}


def clean_panel(model: TasteModel) -> None:
    catalog = active_catalog()
    library = is_library(catalog)
    picked: list[str] = []
    upload = None
    if library:
        ids, names = library_options(catalog)
        picked = st.multiselect("Tracks of your playlist (from your library)", ids, key="taste_clean_pick",
                                format_func=lambda tid: names.get(tid, tid))
        text = ""
    else:
        text = st.text_area("Paste track IDs or links", key="taste_clean_text")
        upload = st.file_uploader("…or an Exportify CSV", key="taste_clean_upload")
    threshold = st.slider("Flag as a likely dislike below", 0.0, 1.0, 0.5, 0.05, key="taste_clean_threshold",
                          help="How likely you like a track (0 to 1) below which it is flagged.")
    tracks = None
    try:
        if picked:
            tracks = pd.DataFrame({"track_id": picked})
        elif upload is not None:
            tracks = load_catalog(upload.getvalue(), name=upload.name).tracks
        elif text.strip():
            parsed = parse_track_ids(text)
            for bad in parsed.invalid[:5]:
                st.warning(f"Not a track ID: {md_escape(bad.token)} ({md_escape(bad.reason)})")
            tracks = pd.DataFrame({"track_id": parsed.ids}) if parsed.ids else None
        if tracks is None:
            return
        result = clean_playlist(model, tracks, catalog=catalog, threshold=threshold)
    except TastemapError as exc:
        st.error(md_escape(exc))
        return
    st.write(f"{int(result['flagged'].sum())} of {len(result)} tracks flagged as likely dislikes; "
             f"{int((~result['scored']).sum())} could not be scored (not in the catalog, no features).")
    table = _plain_table(result, catalog)
    st.dataframe(table, hide_index=True, key="taste_clean_table",
                 column_order=_columns(["position", "track_name", "artists", "like_probability", "flagged", "spotify"],
                                       catalog),
                 column_config=_TABLE_CONFIG)
    kept = table[~result["flagged"].to_numpy()].drop(columns=["flagged", "scored", "spotify"], errors="ignore")
    kept = kept.rename(columns={"position": "Position", "track_id": "Track ID" if library else "Spotify ID",
                                "track_name": "Title", "artists": "Artists", "like_probability": LIKE_HEADER,
                                "file": "File"})
    st.download_button("Download the cleaned playlist (CSV)", to_safe_csv(kept),
                       file_name="cleaned_playlist.csv", mime="text/csv", key="taste_clean_download")


DISCOVER_MEMO_KEY = "taste_discover_memo"
DISCOVER_MAX_K = 100
DISCOVER_SEEDS = 5  # sent to Recommend when no row is ticked


def discover_panel(model: TasteModel, labels: pd.DataFrame) -> None:
    k = st.slider("Tracks", 5, DISCOVER_MAX_K, 20, key="taste_discover_k")
    catalog = active_catalog()
    # discover() scores every track of the catalog (seconds on a million tracks): run it once per
    # model, catalog and labels, for the largest k, and cut the list on each rerun. The memo holds
    # the model itself, so an identity check cannot mistake a new model for a freed one.
    labels_digest = int(pd.util.hash_pandas_object(labels.astype(str), index=False).sum()) if len(labels) else 0
    memo = st.session_state.get(DISCOVER_MEMO_KEY)
    if memo is not None and memo[0] is model and memo[1] == (catalog_key(catalog), labels_digest):
        found, note = memo[2]
    else:
        try:
            with st.spinner(f"Scoring the {len(catalog):,} tracks of the catalog with your taste model…"):
                found, note = discover(model, catalog, labels, k=DISCOVER_MAX_K)
        except TastemapError as exc:
            st.error(md_escape(exc))
            return
        st.session_state[DISCOVER_MEMO_KEY] = (model, (catalog_key(catalog), labels_digest), (found, note))
    found = found.head(k)
    st.caption(md_escape(note))
    event = st.dataframe(_plain_table(found, catalog), hide_index=True, key="taste_discover_table",
                         column_order=_columns(["track_name", "artists", "genres", "like_probability", "spotify"],
                                               catalog),
                         column_config=_TABLE_CONFIG, on_select="rerun", selection_mode="multi-row")
    rows = list(getattr(getattr(event, "selection", None), "rows", None) or [])
    picked = found.iloc[[r for r in rows if 0 <= r < len(found)]]["track_id"].tolist()
    label = (f"Use the {len(picked)} ticked track{'s' if len(picked) != 1 else ''} as seeds on Recommend" if picked
             else f"Use the top {min(DISCOVER_SEEDS, len(found))} as seeds on Recommend")
    if st.button(label, key="taste_discover_send", disabled=found.empty,
                 help="Tick rows in the table to choose the tracks; without a tick the top ones are sent."):
        send_to_recommend(picked or found["track_id"].head(DISCOVER_SEEDS).tolist())


def send_to_recommend(track_ids: list[str]) -> None:
    """Put ``track_ids`` in the Recommend page's seed box and open that page."""
    ids = [t for t in track_ids if is_track_id(t)]
    st.session_state[SEED_TEXT_KEY] = "\n".join(ids)
    try:
        pages.go(pages.RECOMMEND)
    except StreamlitPageNotFoundError:  # the page run on its own (no multipage app around it)
        st.success(f"{len(ids)} seeds are ready: open the Recommend page.")
