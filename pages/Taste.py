"""Taste: label liked/disliked tracks, train a classifier with honest scores, put it to work."""
import streamlit as st

from recommender.errors import StoreError, TastemapError
from ui import auth, taste
from ui.text import md_escape

st.set_page_config(page_title="Taste · Tastemap", page_icon="🎧", layout="wide")
auth.require_sign_in()  # labels are the signed-in person's own (the navigation asks first; see ui/auth.py)
st.title("Your taste")
try:
    library = taste.is_library()
except TastemapError as exc:
    st.error(md_escape(exc))
    st.stop()
if library:
    st.caption("Tell Tastemap which tracks of your music library you like and dislike; it learns how your "
               "music sounds to a pretrained network (plus the tempo, loudness and key it measured), tells you "
               "how often it guesses right on tracks it has not seen, and then finds or filters tracks for you.")
else:
    st.caption("Tell Tastemap which songs you like and dislike; it learns your taste, tells you how often it "
               "guesses right on artists it has never seen, and then finds or filters songs for you.")

problem_box = st.container()  # the label database's refusal, said once above the labels
taste.take_problem()
try:
    # Labels this session could not save before (the database was down) go first, in order.
    if taste.pending_writes():
        saved = taste.flush_pending()
        problem_box.success(f"Saved {saved:,} label{'s' if saved != 1 else ''} that were waiting for the "
                            "label database.")
except StoreError as exc:  # still away: the page goes on, so what the listener does now is kept too
    taste.note_problem(exc)
except TastemapError as exc:
    st.error(md_escape(exc))
    st.stop()
try:
    profile = taste.profile_picker()
    taste.label_sources(profile)
    labels = taste.label_editor(profile)
except StoreError as exc:
    taste.note_problem(exc)
except TastemapError as exc:
    st.error(md_escape(exc))
    st.stop()
problem = taste.take_problem()
if problem is not None:  # the database cannot be used: say so (what was entered is kept) and stop here
    with problem_box:
        taste.store_problem(problem)
    st.stop()

st.header("Model")
if len(labels) == 0:
    st.info("No labels yet: pick tracks of your library above and mark them liked or disliked." if library else
            "No labels yet: load the demo labels, upload a labelled file or label tracks above.")
    st.stop()
try:
    model, report, stale = taste.model_status(profile, labels)
except TastemapError as exc:
    st.error(md_escape(exc))
    model, report, stale = None, None, None
taste.train_panel(profile, labels)
if st.session_state.get(taste.MODEL_KEY) is not model:  # just trained
    model, report, stale = taste.model_status(profile, labels)
if stale:
    st.warning(stale)
if report is None or model is None:
    st.info("Press Train to teach the model your taste (a few seconds).")
    st.stop()
taste.report_panel(report)
with st.expander("Use the model elsewhere"):
    taste.model_download(model)

st.header("Clean a playlist")
taste.clean_panel(model)
st.header("Discover")
st.caption("Tracks of your library the model expects you to like, among those you have not labelled yet "
           "(and not by artists you labelled)." if library else
           "Songs the model expects you to like, by artists and in genres you have not labelled yet.")
taste.discover_panel(model, labels)
