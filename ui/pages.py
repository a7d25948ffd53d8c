"""The app's pages, in the order the sidebar shows them: the one place that knows their files.

``app.py`` builds the navigation from :data:`PAGES`; code that sends the listener to another
page calls :func:`go` with one of the constants (never a file path typed again).

A page's file is named by its title (``pages/Recommend.py``) because its URL path is the
title (``/Recommend``, ``/Spotify``: shared links and the redirect URI registered with Spotify
end in it), and Streamlit resolves a browser's first request by the files in ``pages/`` before
``app.py`` has listed them: a file ``recommend.py`` served at ``/Recommend`` opened that first
page behind a "Page not found" dialog.
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui import auth

__all__ = ["Page", "HOME", "EXPLORE", "CLUSTERS", "RECOMMEND", "PLAYLIST", "TASTE", "SPOTIFY", "PAGES",
           "navigation", "go"]


@dataclass(frozen=True)
class Page:
    path: str  # the script, relative to the app's folder
    title: str
    icon: str

    @property
    def url_path(self) -> str:  # Streamlit's, from the file name (Home: the default page, "/")
        return "" if self is HOME else self.title


HOME = Page("pages/Home.py", "Home", ":material/home:")
EXPLORE = Page("pages/Explore.py", "Explore", ":material/scatter_plot:")
CLUSTERS = Page("pages/Clusters.py", "Clusters", ":material/bubble_chart:")
RECOMMEND = Page("pages/Recommend.py", "Recommend", ":material/recommend:")
PLAYLIST = Page("pages/Playlist.py", "Playlist", ":material/queue_music:")
TASTE = Page("pages/Taste.py", "Taste", ":material/favorite:")
SPOTIFY = Page("pages/Spotify.py", "Spotify", ":material/library_music:")
PAGES: tuple[Page, ...] = (HOME, EXPLORE, CLUSTERS, RECOMMEND, PLAYLIST, TASTE, SPOTIFY)


def navigation() -> st.navigation:
    """The sidebar's page list (Home first and default).

    With sign-in configured (``[auth]`` in the secrets, see :mod:`ui.auth`), a session that must
    sign in first gets the sign-in screen at every page's address instead of the page (a link
    to ``/Taste`` shows it too, and no page script runs), and a signed-in one a Sign out button
    in the sidebar."""
    if auth.sign_in_required() and auth.signed_in_user() is None:
        return st.navigation([
            st.Page(auth.sign_in_screen, title=page.title, icon=page.icon, url_path=page.title, default=page is HOME)
            for page in PAGES
        ], position="hidden")
    nav = st.navigation([
        st.Page(page.path, title=page.title, icon=page.icon, default=page is HOME)
        for page in PAGES
    ])
    auth.account_control()
    return nav


def go(page: Page) -> None:
    """Open ``page`` (stops this script run)."""
    st.switch_page(page.path)
