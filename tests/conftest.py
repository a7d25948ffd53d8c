"""Shared fixtures: the real default catalog (loaded once), the sample files, downloads a page offers."""
from __future__ import annotations

import os as _os
from pathlib import Path

import pytest
from hypothesis import HealthCheck as _HealthCheck
from hypothesis import settings as _settings

from recommender.catalog import Catalog, load_default_catalog
from tests.support.paths import SAMPLES


@pytest.fixture(scope="session")
def default_catalog() -> Catalog:
    return load_default_catalog()


@pytest.fixture(scope="session")
def audio_library(tmp_path_factory) -> tuple[Path, Path]:
    """(music folder, library.parquet): 8 synthetic pieces in two album folders, analysed
    with the real network once per test session (tests/support/audio_library.py)."""
    from tests.support.audio_library import make_library

    return make_library(tmp_path_factory.mktemp("audio_library"))


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


# Hypothesis profiles for the property and fuzz tests: "quick" runs in `make test`;
# `TASTEMAP_FUZZ=long` runs at least 10,000 examples per target (the README's figures).
# No deadline: the machine is shared, and speed goals live in bench/, not in tests.
_settings.register_profile(
    "quick",
    max_examples=60,
    deadline=None,
    suppress_health_check=[_HealthCheck.too_slow],
)
_settings.register_profile(
    "long",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[_HealthCheck.too_slow, _HealthCheck.data_too_large],
)
_FUZZ = _os.environ.get("TASTEMAP_FUZZ", "quick")
if _FUZZ.isdigit():  # TASTEMAP_FUZZ=500: any number of examples, for a look in between
    _settings.register_profile("custom", parent=_settings.get_profile("long"), max_examples=int(_FUZZ))
    _FUZZ = "custom"
_settings.load_profile(_FUZZ)


@pytest.fixture
def downloads(monkeypatch) -> list[tuple[str, bytes]]:
    """Every (file name, bytes) a page offers through a download button (st.* or a column's)."""
    import streamlit as st
    from streamlit.delta_generator import DeltaGenerator

    seen: list[tuple[str, bytes]] = []
    method = DeltaGenerator.download_button

    def record(data, kwargs) -> bytes:
        payload = data() if callable(data) else data
        payload = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
        seen.append((kwargs.get("file_name") or "", payload))
        return payload

    def capture_method(self, label, data, *args, **kwargs):
        return method(self, label, record(data, kwargs), *args, **kwargs)

    module_level = st.download_button

    def capture_module(label, data, *args, **kwargs):
        return module_level(label, record(data, kwargs), *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", capture_method)
    monkeypatch.setattr(st, "download_button", capture_module)
    return seen
