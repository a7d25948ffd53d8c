"""Taste: label liked/disliked tracks, train a classifier with honest scores, put it to work."""
import streamlit as st

from recommender.errors import TastemapError
from ui import taste
from ui.text import md_escape

st.set_page_config(page_title="Taste · Tastemap", page_icon="🎧", layout="wide")
st.title("Your taste")
st.caption("Label tracks you like and dislike; a classifier learns them, scored with cross-validation "
           "grouped by artist so the numbers are honest.")

try:
    profile = taste.profile_picker()
    taste.label_sources(profile)
    labels = taste.label_editor(profile)
except TastemapError as exc:
    st.error(md_escape(exc))
    st.stop()

st.header("Model")
if len(labels) == 0:
    st.info("No labels yet: load the demo labels, upload a labelled file or label tracks above.")
    st.stop()
taste.train_panel(labels)
report = st.session_state.get(taste.REPORT_KEY)
model = taste.session_model()
if report is None or model is None:
    st.info("Train a model to see its scores.")
    st.stop()
taste.report_panel(report)
taste.model_download(model)

st.header("Clean a playlist")
taste.clean_panel(model)
st.header("Discover")
taste.discover_panel(model, labels)
