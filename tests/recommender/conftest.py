"""Fixtures of the library's tests."""
from __future__ import annotations

import pytest

from recommender.catalog import Catalog
from tests.support.planted import planted_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The planted three-group catalog (tests/support/planted.py), where the answers are known."""
    return planted_catalog()
