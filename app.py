"""Tastemap home: the active catalog at a glance."""
import streamlit as st

from ui.data import active_catalog

st.set_page_config(page_title="Tastemap", page_icon="🎧", layout="wide")
st.title("Tastemap")
st.caption("Explore a Spotify catalog by sound, and get recommendations you can play and explain.")

catalog = active_catalog()
summary = catalog.summary()
cols = st.columns(4)
cols[0].metric("Tracks", f"{summary['tracks']:,}")
cols[1].metric("Artists", f"{summary['artists']:,}")
cols[2].metric("Genres", f"{summary['genres']:,}")
cols[3].metric("Playlists", f"{summary['playlists']:,}")
st.dataframe(catalog.tracks.head(200), hide_index=True)
