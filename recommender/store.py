"""The label store (kept for its callers; the code is in :mod:`recommender.label_store`).

Labels live in SQLite (:class:`LabelStore`) under the data folder
(:func:`recommender.files.data_dir`: ``$TASTEMAP_DATA_DIR`` or, when unset, ``.tastemap/`` in
the repository, git-ignored), or in PostgreSQL when ``TASTEMAP_DATABASE_URL`` is set: open the
configured one with :func:`open_label_store`.
"""
from __future__ import annotations

from .files import to_safe_csv  # noqa: F401 - tests/test_playlist.py and test_hostile.py import it from here
from .label_store import (
    DEFAULT_PROFILE,
    LABEL_COLUMNS,
    LABEL_FEATURES,
    BaseLabelStore,
    LabelStore,
    database_url,
    label_store_path,
    open_label_store,
)
from .taste.labels import read_labels  # noqa: F401 - the store's callers have read it from here

__all__ = ["DEFAULT_PROFILE", "LABEL_COLUMNS", "LABEL_FEATURES", "BaseLabelStore", "LabelStore", "database_url",
           "label_store_path", "open_label_store"]
