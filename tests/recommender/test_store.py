"""Atomic writes and spreadsheet-safe CSV export."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
import pytest

from recommender.files import atomic_write_bytes, atomic_write_text, neutralize_cell, safe_csv_frame, to_safe_csv


def test_atomic_write_creates_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "labels.json"
    atomic_write_text(target, "old")
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["labels.json"]
    assert (target.stat().st_mode & 0o777) != 0o600  # not left private like a temp file


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "labels.json"
    atomic_write_text(target, "old")

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["labels.json"]


def test_write_of_wrong_type_fails_cleanly(tmp_path: Path) -> None:
    target = tmp_path / "x.bin"
    atomic_write_bytes(target, b"kept")
    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"kept"
    assert len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize("cell", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x", "\r=x", "＝1+1"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert neutralize_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Beyoncé", "a=b", "", " =x", 3, -2.5, None])
def test_other_cells_are_untouched(cell: object) -> None:
    assert neutralize_cell(cell) == cell


def test_safe_csv_frame_neutralises_text_but_not_numbers() -> None:
    frame = pd.DataFrame(
        {
            "track_name": ["=HYPERLINK(\"http://x\")", "Plain", "-minus", "@at"],
            "artists": ["+A", "\tB", "\rC", "D"],
            "loudness": [-5.5, -1.0, 0.0, 2.0],
            "key": [-1, 0, 5, 11],
            "explicit": [True, False, True, False],
        }
    )
    safe = safe_csv_frame(frame)
    assert safe["track_name"].tolist() == ["'=HYPERLINK(\"http://x\")", "Plain", "'-minus", "'@at"]
    assert safe["artists"].tolist() == ["'+A", "'\tB", "'\rC", "D"]
    assert safe["loudness"].tolist() == [-5.5, -1.0, 0.0, 2.0]
    assert safe["key"].tolist() == [-1, 0, 5, 11]
    assert safe["explicit"].tolist() == [True, False, True, False]
    assert frame["track_name"].iloc[0].startswith("=")  # the input is not modified


def test_column_names_and_duplicates_are_handled() -> None:
    frame = pd.DataFrame([["=a", "-b", 1]], columns=["=evil", "=evil", "n"])
    safe = safe_csv_frame(frame)
    assert list(safe.columns) == ["'=evil", "'=evil", "n"]
    assert safe.iloc[0].tolist() == ["'=a", "'-b", 1]


def test_to_safe_csv_round_trips() -> None:
    frame = pd.DataFrame({"name": ["=1+2", "Beyoncé", None], "tempo": [-1.5, 120.0, 99.0]})
    data = to_safe_csv(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back["name"].iloc[0] == "'=1+2" and back["name"].iloc[1] == "Beyoncé"
    assert back["tempo"].tolist() == [-1.5, 120.0, 99.0]
