"""Helpers shared by the CLI command groups: the ``--catalog`` option and output formats."""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..catalog import Catalog, load_catalog, load_default_catalog
from ..files import safe_csv_frame


def add_catalog_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog",
        metavar="PATH",
        help="CSV, CSV.gz or Parquet catalog in any known layout (default: the embedded one)",
    )


def add_format_option(parser: argparse.ArgumentParser, choices: Iterable[str] = ("table", "json")) -> None:
    choices = tuple(choices)
    parser.add_argument("--format", choices=choices, default=choices[0], help="output format")


def catalog_from_args(args: argparse.Namespace) -> Catalog:
    """The catalog named by ``--catalog``, or the embedded default."""
    return load_catalog(args.catalog) if getattr(args, "catalog", None) else load_default_catalog()


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, default=_json_default)
    sys.stdout.write("\n")


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if value is pd.NA:
        return None
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_table(frame: pd.DataFrame, *, max_colwidth: int = 40) -> None:
    if frame.empty:
        print("(no rows)")
        return
    with pd.option_context("display.max_colwidth", max_colwidth, "display.width", 200):
        print(frame.to_string(index=False))


def print_csv(frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    safe_csv_frame(frame).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    sys.stdout.write(buffer.getvalue())
