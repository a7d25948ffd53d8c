"""The label store: liked / disliked labels and trained taste models of named profiles.

Two backends behind one interface (:class:`BaseLabelStore`): SQLite in the data folder
(:class:`LabelStore`, the default) and PostgreSQL (:class:`PostgresLabelStore`) when a
database address is configured: ``TASTEMAP_DATABASE_URL=postgresql://...`` in the environment,
or ``database_url = "postgresql://..."`` in ``.streamlit/secrets.toml`` (the environment wins).
:func:`open_label_store` picks the one that is configured; every caller should use it.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path

from ..errors import StoreError
from ..taste.labels import LABEL_COLUMNS, LABEL_FEATURES
from .base import DEFAULT_PROFILE, BaseLabelStore
from .sqlite import LabelStore, label_store_path

__all__ = [
    "DATABASE_URL_ENV", "DEFAULT_PROFILE", "LABEL_COLUMNS", "LABEL_FEATURES", "BaseLabelStore", "LabelStore",
    "database_url", "label_store_path", "open_label_store",
]

DATABASE_URL_ENV = "TASTEMAP_DATABASE_URL"
_SECRETS_KEYS = ("database_url", DATABASE_URL_ENV)


def _secrets_files() -> list[Path]:
    # Where Streamlit reads secrets.toml: the project's folder first, then the user's.
    return [Path.cwd() / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"]


def database_url(secrets_files: list[Path] | None = None) -> str | None:
    """The configured PostgreSQL address, or None for SQLite.

    ``$TASTEMAP_DATABASE_URL`` wins; else ``database_url`` in ``.streamlit/secrets.toml``
    (read as TOML here: the library does not import Streamlit). An address that is not
    ``postgresql://`` (or ``postgres://``) is a :class:`StoreError`, not a silent fallback."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if not url:
        for path in _secrets_files() if secrets_files is None else secrets_files:
            try:
                secrets = tomllib.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                continue
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise StoreError(f"The secrets file .streamlit/{path.name} cannot be read ({type(exc).__name__}); "
                                 "fix its TOML or remove it.") from None
            found = next((secrets[k] for k in _SECRETS_KEYS if isinstance(secrets.get(k), str)), "").strip()
            if found:
                url = found
                break
    if not url:
        return None
    if not url.startswith(("postgresql://", "postgres://")):
        raise StoreError(
            f"The label database address ({DATABASE_URL_ENV} or database_url in secrets.toml) must start with "
            "postgresql:// ; unset it to keep labels in the local SQLite file."
        )
    return url


def open_label_store(*, owner: str = "", url: str | None = None, path: str | os.PathLike | None = None
                     ) -> BaseLabelStore:
    """The configured label store for ``owner`` ('' = anonymous / local).

    ``url`` (else :func:`database_url`) set: PostgreSQL; otherwise the SQLite file ``path``
    (default :func:`label_store_path`). Raises :class:`StoreError` when the database cannot
    be reached, with a message a page or the command line can show as it is."""
    url = url or database_url()
    if url:
        from .postgres import PostgresLabelStore  # psycopg is imported only when it is used

        return PostgresLabelStore(url, owner=owner)
    return LabelStore(path, owner=owner)


def __getattr__(name: str) -> object:
    if name == "PostgresLabelStore":
        from .postgres import PostgresLabelStore

        return PostgresLabelStore
    raise AttributeError(name)
