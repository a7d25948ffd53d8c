"""Fixtures shared by the command-line tests."""
from __future__ import annotations

import pytest

from tests.support.planted import planted_csv_bytes


@pytest.fixture(scope="module")
def catalog_path(tmp_path_factory) -> str:
    """The planted catalog as a CSV file (tests/support/planted.py)."""
    path = tmp_path_factory.mktemp("cli") / "planted.csv"
    path.write_bytes(planted_csv_bytes())
    return str(path)


@pytest.fixture
def run(capsys):
    """``run(*argv)`` -> (exit code, stdout, stderr) of ``python -m recommender *argv``, in process."""
    from recommender.cli import main

    def run_cli(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run_cli
