"""Taste page widgets, and the taste filter the Recommend page calls.

The trained model lives in ``st.session_state`` (one per browser session), never in a shared
cache: it is learned from one user's labels.
"""
from __future__ import annotations

import os
import secrets

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from recommender.catalog import DATA_DIR, load_catalog
from recommender.errors import TastemapError
from recommender.ids import parse_track_ids
from recommender.store import DEFAULT_PROFILE, LABEL_COLUMNS, LabelStore, label_store_path, to_safe_csv
from recommender.taste import (
    DEFAULT_MODEL,
    IMBALANCE_NOTE,
    MODEL_DESCRIPTIONS,
    TasteModel,
    TasteReport,
    clean_playlist,
    discover,
    evaluate,
    labels_from_catalog,
    read_labels,
    tune,
)
from ui.data import active_catalog, catalog_key, search_tracks, track_labels
from ui.text import md_escape

MODEL_KEY = "taste_model"
REPORT_KEY = "taste_report"
PROFILE_KEY = "taste_profile"
DEMO_LABELS = DATA_DIR / "liked_disliked.csv"
EDITOR_COLUMNS = ["label", "track_name", "artists", "track_id", "genres"]


def label_store() -> LabelStore:
    """The label store. A handle holds only a path (each operation opens its own connection), so
    one is shared by all sessions; opening checks the schema, which is too slow to repeat for
    every call of every rerun. A file replaced or removed since (new inode) gets a new handle."""
    path = label_store_path()
    try:
        inode = path.stat().st_ino
    except OSError:
        inode = None
    return _shared_store(str(path), inode)


@st.cache_resource(max_entries=16, show_spinner=False)
def _shared_store(path: str, inode: int | None) -> LabelStore:  # noqa: ARG001 - inode is the cache key
    return LabelStore(path)


def current_profile() -> str:
    return st.session_state.get(PROFILE_KEY, DEFAULT_PROFILE)


def session_model() -> TasteModel | None:
    """This session's trained taste model, if any."""
    return st.session_state.get(MODEL_KEY)


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


def taste_filter_widget(recommendations: pd.DataFrame, *, key: str = "taste_filter") -> pd.DataFrame:
    """A small control block: score recommendations, then show all / hide likely dislikes / re-rank.

    Returns the table to display. Shows a hint and returns the input when no model is trained.
    """
    if session_model() is None:
        st.caption("Train a taste model on the Taste page to score these tracks by how likely you like them.")
        return recommendations
    mode = st.radio("Taste filter", ["Show score", "Hide likely dislikes", "Re-rank by taste"],
                    horizontal=True, key=f"{key}_mode")
    threshold = st.slider("Likely dislike below", 0.0, 1.0, 0.5, 0.05, key=f"{key}_threshold")
    try:
        out = taste_filter(recommendations)
    except TastemapError as exc:
        st.warning("The taste model cannot score these tracks: " + md_escape(exc))
        return recommendations
    if mode == "Hide likely dislikes":
        hidden = out["like_probability"] < threshold
        st.caption(f"{int(hidden.sum())} likely dislikes hidden.")
        out = out[~hidden]
    elif mode == "Re-rank by taste":
        out = out.sort_values("like_probability", ascending=False, kind="stable")
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------- labels


def load_labels(profile: str) -> pd.DataFrame:
    return label_store().load(profile)


def save_labels(profile: str, labels: pd.DataFrame) -> None:
    label_store().save(profile, labels)


def add_labels(profile: str, labels: pd.DataFrame) -> int:
    return label_store().add(profile, labels) if len(labels) else 0


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
    store = label_store()
    if private_profiles():
        known = st.session_state.setdefault(KNOWN_PROFILES_KEY, [f"guest-{secrets.token_hex(6)}"])
        names = list(known)
    else:
        names = store.profiles() or [DEFAULT_PROFILE]
        if DEFAULT_PROFILE not in names:
            names = [DEFAULT_PROFILE, *names]
    col1, col2 = st.columns([2, 1])
    current = current_profile() if current_profile() in names else names[0]
    profile = col1.selectbox("Profile", names, index=names.index(current), key="taste_profile_select")
    # Typing an existing name opens that profile.
    new = col2.text_input("New profile", key="taste_new_profile", placeholder="name, then Enter")
    if new:
        try:
            profile = store.create_profile(new)
        except TastemapError as exc:
            st.error(md_escape(exc))
        else:
            if private_profiles() and profile not in st.session_state[KNOWN_PROFILES_KEY]:
                st.session_state[KNOWN_PROFILES_KEY].append(profile)
    if profile != st.session_state.get(PROFILE_KEY):
        st.session_state[PROFILE_KEY] = profile
        st.session_state.pop(MODEL_KEY, None)
        st.session_state.pop(REPORT_KEY, None)
    return profile


def label_sources(profile: str) -> None:
    """Ways to add labels: demo, upload, catalog search, recommendations, pending likes."""
    catalog = active_catalog()
    tabs = st.tabs(["Demo", "Upload", "Search the catalog", "From recommendations"])
    with tabs[0]:
        st.write("One listener's 2,017 real labels (George McIntire, Kaggle 2017), no track IDs.")
        if st.button("Load the demo labels (liked_disliked.csv)", key="taste_demo"):
            n = label_store().import_csv(profile, DEMO_LABELS, replace=True)
            st.success(f"Loaded {n:,} demo labels into profile '{md_escape(profile)}'.")
    with tabs[1]:
        upload = st.file_uploader("Labelled file (CSV/Parquet: track IDs or audio features + a liked/target/label column)",
                                  key="taste_upload")
        replace = st.checkbox("Replace this profile's labels", key="taste_upload_replace")
        if upload is not None and st.button("Import", key="taste_import"):
            try:
                n = label_store().import_csv(profile, upload.getvalue(), replace=replace, catalog=catalog)
                st.success(f"Imported {n:,} labels.")
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
                n = add_labels(profile, labels_from_catalog(catalog, pending, 1))
                st.session_state["pending_likes"] = []
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
            n = add_labels(profile, labels_from_catalog(active_catalog(), picked, label))
            st.success(f"Labelled {n} track(s).")


def label_editor(profile: str) -> pd.DataFrame:
    """The editable label table; edits are saved to the store in one transaction."""
    labels = load_labels(profile)
    liked = int(labels["label"].sum()) if len(labels) else 0
    st.caption(f"{len(labels):,} labels in profile '{md_escape(profile)}': {liked:,} liked, {len(labels) - liked:,} disliked."
               + ("" if private_profiles() else f" Stored in {label_store().path}."))
    if labels.empty:
        return labels
    view = labels[["label_key", *EDITOR_COLUMNS]].copy()
    view["label"] = view["label"].astype(bool)
    edited = st.data_editor(
        view, key=f"taste_editor_{profile}", hide_index=True, num_rows="dynamic",
        disabled=["label_key", "track_name", "artists", "track_id", "genres"],
        column_config={"label": st.column_config.CheckboxColumn("Liked"), "label_key": None},
    )
    c1, c2 = st.columns(2)
    if c1.button("Save label edits", key="taste_save_edits"):
        merged = labels.set_index("label_key").loc[edited["label_key"].dropna()].reset_index()
        merged["label"] = edited.set_index("label_key").loc[merged["label_key"], "label"].astype(int).to_numpy()
        save_labels(profile, merged[list(LABEL_COLUMNS)])
        st.success(f"Saved {len(merged):,} labels.")
        labels = load_labels(profile)
    # A callable: the CSV is built when the button is clicked, not on every rerun of the page.
    c2.download_button("Export labels (CSV)", lambda: label_store().export_csv(profile),
                       file_name=f"tastemap_labels_{profile}.csv", mime="text/csv", key="taste_export")
    return labels


# ----------------------------------------------------------------------------- model


def train_panel(labels: pd.DataFrame) -> None:
    names = list(MODEL_DESCRIPTIONS)
    model_name = st.selectbox("Model", names, index=names.index(DEFAULT_MODEL), key="taste_model_choice",
                              format_func=lambda m: f"{m}: {MODEL_DESCRIPTIONS[m]}")
    do_tune = st.checkbox("Tune a small grid (nested grouped CV; slower)", key="taste_tune")
    st.caption(f"Imbalance: {IMBALANCE_NOTE}.")
    if st.button("Train", key="taste_train", type="primary"):
        catalog = active_catalog()
        try:
            with st.spinner("Cross-validating (grouped by artist) and training…"):
                if do_tune:
                    model, report = tune(labels, model_name, catalog=catalog, importance=True)
                else:
                    report = evaluate(labels, model_name, catalog=catalog, importance=True)
                    model = TasteModel(model_name, features=report.features).fit(labels)
        except TastemapError as exc:
            st.error(md_escape(exc))
            return
        st.session_state[MODEL_KEY] = model
        st.session_state[REPORT_KEY] = report


def report_panel(report: TasteReport) -> None:
    st.write(f"**{report.model}** on {report.n_labels:,} labels ({report.n_liked:,} liked, "
             f"{report.n_disliked:,} disliked). Split: {report.cv}.")
    if report.tuning:
        st.write(f"Tuning chose {report.tuning['chosen']}.")
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
                      xaxis_title="false positive rate", yaxis_title="true positive rate")
    c2.plotly_chart(roc, key="taste_roc")
    if len(report.importance):
        imp = report.importance.sort_values("importance")
        st.plotly_chart(px.bar(imp, x="importance", y="feature", orientation="h", error_x="std",
                               title="Permutation importance (drop in ROC AUC on held-out artists)"),
                        key="taste_importance")


def model_download(model: TasteModel) -> None:
    st.download_button("Download model", model.to_bytes(), file_name=f"taste_{model.model}.model",
                       key="taste_model_download")


def clean_panel(model: TasteModel) -> None:
    catalog = active_catalog()
    text = st.text_area("Paste track IDs or links", key="taste_clean_text")
    upload = st.file_uploader("…or an Exportify CSV", key="taste_clean_upload")
    threshold = st.slider("Flag below like probability", 0.0, 1.0, 0.5, 0.05, key="taste_clean_threshold")
    tracks = None
    try:
        if upload is not None:
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
    st.dataframe(result, hide_index=True, key="taste_clean_table")
    st.download_button("Download the cleaned playlist (CSV)", to_safe_csv(result[~result["flagged"]]),
                       file_name="cleaned_playlist.csv", mime="text/csv", key="taste_clean_download")


DISCOVER_MEMO_KEY = "taste_discover_memo"
DISCOVER_MAX_K = 100


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
    st.dataframe(found, hide_index=True, key="taste_discover_table")
