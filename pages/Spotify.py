"""Spotify: name pasted tracks, import a playlist as seeds or liked tracks, log in, save
recommendations as a playlist. Without credentials it explains how to connect."""
import streamlit as st

from recommender.errors import SpotifyError
from ui import auth
from ui import spotify as spotify_ui
from ui.data import active_catalog

auth.require_sign_in()  # a fresh server's first request for this address skips the navigation's gate

st.set_page_config(page_title="Spotify · Tastemap", page_icon="🎧", layout="wide")
st.title("Spotify")

credentials, problem = spotify_ui.credentials()
if credentials is None:
    spotify_ui.render_not_connected(problem)
    st.stop()

try:
    client = spotify_ui.session_client(credentials)
except SpotifyError as exc:  # e.g. a malformed SPOTIFY_API_BASE
    st.error(spotify_ui.plain(exc))
    st.stop()

spotify_ui.handle_login_redirect(client)
client.on_wait = spotify_ui.wait_notifier(st.empty())
catalog = active_catalog()

spotify_ui.render_lookup(client, catalog)
st.divider()
spotify_ui.render_import(client, catalog)
st.divider()
spotify_ui.render_account(client)
