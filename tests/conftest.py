"""Shared fixtures: the real default catalog (loaded once) and paths to sample files."""
from __future__ import annotations

import os as _os
from pathlib import Path

import pytest
from hypothesis import HealthCheck as _HealthCheck
from hypothesis import settings as _settings

from recommender.catalog import Catalog, load_default_catalog

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "samples"


@pytest.fixture(scope="session")
def default_catalog() -> Catalog:
    return load_default_catalog()


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
