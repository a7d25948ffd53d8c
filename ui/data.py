"""The active catalog of a browser session, and cached fitted state shared between sessions.

Heavy, read-only things (the default catalog, fitted models) are cached with
``st.cache_resource`` keyed on the catalog's content hash, so every session shares one copy.
Per-user things (an uploaded catalog, labels, tokens) live in ``st.session_state`` only.
"""
from __future__ import annotations

import streamlit as st

from recommender.catalog import Catalog, load_default_catalog

CATALOG_KEY = "catalog"


@st.cache_resource(show_spinner="Loading the default catalog…")
def default_catalog() -> Catalog:
    return load_default_catalog()


def active_catalog() -> Catalog:
    """The catalog this session works on: its upload if it made one, else the default."""
    catalog = st.session_state.get(CATALOG_KEY)
    if catalog is None:
        catalog = default_catalog()
        st.session_state[CATALOG_KEY] = catalog
    return catalog


def set_active_catalog(catalog: Catalog) -> None:
    st.session_state[CATALOG_KEY] = catalog
