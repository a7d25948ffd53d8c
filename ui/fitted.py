"""Fitted recommenders, one per method and catalog, shared by every session: fitted once, under
a progress bar that names each step (minutes at ten million tracks), and for the default catalog
kept in the on-disk fit cache (where ``python -m recommender fit`` puts them too)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import streamlit as st

from recommender.cache import dashboard_kind
from recommender.catalog import Catalog

from .data import catalog_key, default_catalog, disk_cache
from .slots import filled, slot

_log = logging.getLogger(__name__)

__all__ = ["recommender_for"]


def _fit_with_disk_cache(estimator: Any, catalog: Catalog, kind: str,
                         on_step: Callable[[int, int, str], None] | None = None) -> Any:
    """Fit ``estimator`` (``on_step``: see ``BaseRecommender.fit``); for the default catalog
    reuse (or store) the fit on disk."""
    cache = disk_cache() if catalog is default_catalog() else None
    if cache is not None:
        try:
            return cache.fitted(estimator, catalog, kind=kind, on_step=on_step)
        except Exception as exc:
            _log.warning("fit cache failed for %s (%s); fitting in memory", kind, exc)
    return estimator.fit(catalog, on_step=on_step)


def recommender_for(method: str, catalog: Catalog) -> Any:
    """A fitted recommender for ``catalog``, shared by every session (fitted once per catalog);
    the first time, a progress bar names each step of the fit, also for a session that waits
    for another one's fit."""
    from recommender.recommenders import make_recommender

    shared = slot("recommender", method, catalog_key(catalog))
    if shared.value is not None:
        return shared.value
    intro = f"Preparing the {method} method for this catalog (once)"
    bar = st.progress(0.0, text=f"{intro} …")

    def show(done: int, total: int, what: str) -> None:
        bar.progress(done / total, text=f"{intro}: {what.lower()} (step {done + 1} of {total}) …")

    try:
        return filled(shared, lambda: _fit_with_disk_cache(make_recommender(method), catalog,
                                                           kind=dashboard_kind(method), on_step=shared.recording(show)),
                      while_waiting=lambda: show(*shared.step))
    finally:
        bar.empty()
