"""Command-line interface: ``python -m recommender COMMAND ...``.

Each command group lives in its own module with a ``register(subparsers)`` function that adds
its parsers and sets ``func``; a command returns the process exit code. Library errors
(:class:`~recommender.errors.TastemapError`) become a one-line message on stderr and exit 2,
never a stack trace.
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Sequence

from ..errors import TastemapError
from . import data

# Command groups, in the order ``--help`` lists them.
COMMAND_MODULES = [data]
for _name in ("engine", "taste", "spotify", "scale"):
    try:  # groups are added as the library grows; a missing one is simply not offered
        COMMAND_MODULES.append(__import__(f"{__name__}.{_name}", fromlist=["register"]))
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{_name}":
            raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recommender",
        description="Tastemap: explore a Spotify catalog and get explained recommendations.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except TastemapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
    except KeyboardInterrupt:
        return 130
