"""Uploaded catalogs and scanned music libraries, loaded once per file (keyed on the digest of its
bytes: the same file uploaded twice, or by two people, loads once) and shared by every session.
The load runs outside ``st.cache_resource`` (see :mod:`ui.slots`), so the loading session's
progress bar can follow its steps, and a session waiting for the same file follows them too."""
from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import streamlit as st

from recommender.catalog import Catalog, load_catalog

from .data import remember_upload_key
from .slots import Slot, filled

__all__ = ["load_upload", "load_library"]

OnStep = Callable[[int, int, str], None]


@st.cache_resource(max_entries=4, ttl=3600, show_spinner=False)
def _upload_slot(kind: str, digest: str, name: str) -> Slot:
    return Slot()


def _shared_load(kind: str, name: str, data: bytes, load: Callable[[OnStep], Catalog],
                 on_step: OnStep | None) -> Catalog:
    digest = hashlib.sha256(data).hexdigest()
    shared = _upload_slot(kind, digest, name)
    if shared.value is not None:
        return shared.value

    def build() -> Catalog:
        catalog = load(shared.recording(on_step))
        remember_upload_key(catalog, f"{kind}-{digest[:20]}")
        return catalog

    return filled(shared, build, while_waiting=(lambda: on_step(*shared.step)) if on_step is not None else None)


def load_upload(name: str, data: bytes, on_step: OnStep | None = None) -> Catalog:
    """Load an uploaded file (CSV, CSV.gz or Parquet); raises CatalogError with the reason.
    ``on_step(done, total, what)``: see :func:`recommender.catalog.load_catalog`."""
    def load(step: OnStep) -> Catalog:
        buffer = io.BytesIO(data)
        buffer.name = name
        return load_catalog(buffer, name=name, on_step=step)

    return _shared_load("upload", name, data, load, on_step)


def load_library(name: str, data: bytes) -> Catalog:
    """A scanned music library's Parquet bytes (``recommender.audio.library.library_bytes``) as a
    catalog named ``name``, shared like an upload."""
    return _shared_load("library", name, data, lambda step: load_catalog(data, name=name, on_step=step), None)
