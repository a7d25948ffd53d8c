"""Helpers shared by the CLI command groups: the ``--catalog`` option, output formats and
progress on stderr."""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
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


class StderrProgress:
    """Progress of long work on stderr, for a person watching or a log.

    On a terminal: one line that updates in place (``12/40 files, about 1 min left``). Otherwise
    (a pipe, a log file): plain lines, at most one every ``interval`` seconds, plus the first and
    the last, so a log shows the work moving without thousands of lines. ``quiet``: nothing.
    """

    def __init__(self, *, quiet: bool = False, stream: Any = None, interval: float = 5.0) -> None:
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self._live = not quiet and _is_terminal(self.stream)
        self._last_printed: float | None = None
        self._last_text = ""
        self._width = 0

    def update(self, done: int, total: int, text: str) -> None:
        """Report ``done`` of ``total`` steps, described by ``text``."""
        if self.quiet or text == self._last_text:
            return
        self._last_text = text
        now = time.monotonic()
        if self._live:
            # \r and padding over the longer line before: the line updates in place
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            first_or_last = self._last_printed is None or done >= total
            if not first_or_last and now - self._last_printed < self.interval:
                return
            self.stream.write(text + "\n")
        self._last_printed = now
        self.stream.flush()

    def close(self) -> None:
        """End the updating line (call before printing anything else on stderr)."""
        if self._live and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0

    def __enter__(self) -> StderrProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
