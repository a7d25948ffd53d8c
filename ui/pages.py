"""The app's pages, in the order the sidebar shows them: the one place that knows their files.

``app.py`` builds the navigation from :data:`PAGES`; code that sends the listener to another
page calls :func:`go` with one of the constants (never a file path typed again). URL paths are
the titles (``/Recommend``, ``/Spotify``: the Spotify login's redirect URI ends in it).
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

__all__ = ["Page", "HOME", "EXPLORE", "CLUSTERS", "RECOMMEND", "PLAYLIST", "TASTE", "SPOTIFY", "PAGES",
           "navigation", "go"]


@dataclass(frozen=True)
class Page:
    path: str  # the script, relative to the app's folder
    title: str
    icon: str

    @property
    def url_path(self) -> str:
        return "" if self is HOME else self.title


HOME = Page("pages/home.py", "Home", ":material/home:")
EXPLORE = Page("pages/explore.py", "Explore", ":material/scatter_plot:")
CLUSTERS = Page("pages/clusters.py", "Clusters", ":material/bubble_chart:")
RECOMMEND = Page("pages/recommend.py", "Recommend", ":material/recommend:")
PLAYLIST = Page("pages/playlist.py", "Playlist", ":material/queue_music:")
TASTE = Page("pages/taste.py", "Taste", ":material/favorite:")
SPOTIFY = Page("pages/spotify.py", "Spotify", ":material/library_music:")
PAGES: tuple[Page, ...] = (HOME, EXPLORE, CLUSTERS, RECOMMEND, PLAYLIST, TASTE, SPOTIFY)


def navigation() -> st.navigation:
    """The sidebar's page list (Home first and default)."""
    return st.navigation([
        st.Page(page.path, title=page.title, icon=page.icon, default=page is HOME,
                **({"url_path": page.url_path} if page is not HOME else {}))
        for page in PAGES
    ])


def go(page: Page) -> None:
    """Open ``page`` (stops this script run)."""
    st.switch_page(page.path)
