"""Fixtures shared by the page tests."""
from __future__ import annotations

import pytest

from tests.support.postgres import postgres_server, postgres_url  # noqa: F401 - fixtures


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path, monkeypatch) -> dict:
    """Where the page keeps labels: ``{"url": ..., "path": ...}`` for open_label_store."""
    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path))
    for name in ("TASTEMAP_ALLOW_ANONYMOUS", "TASTEMAP_PRIVATE_PROFILES"):
        monkeypatch.delenv(name, raising=False)
    if request.param == "sqlite":
        monkeypatch.delenv("TASTEMAP_DATABASE_URL", raising=False)
        return {"url": None, "path": tmp_path / "labels.sqlite3"}
    url = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("TASTEMAP_DATABASE_URL", url)
    return {"url": url, "path": None}
