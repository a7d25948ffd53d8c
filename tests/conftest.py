"""Shared fixtures: the real default catalog (loaded once) and paths to sample files."""
from __future__ import annotations

from pathlib import Path

import pytest

from recommender.catalog import Catalog, load_default_catalog

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "samples"


@pytest.fixture(scope="session")
def default_catalog() -> Catalog:
    return load_default_catalog()


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES
