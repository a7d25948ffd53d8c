"""Tastemap: the entry point. Page settings and the page list (ui/pages.py); nothing else."""
import streamlit as st

from ui.pages import navigation

st.set_page_config(page_title="Tastemap", page_icon="🎧", layout="wide")
navigation().run()
