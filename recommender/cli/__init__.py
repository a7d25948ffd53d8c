"""Command-line interface: ``python -m recommender COMMAND ...``.

Each command group lives in its own module with a ``register(subparsers)`` function that adds
its parsers and sets ``func``; a command returns the process exit code. Library errors
(:class:`~recommender.errors.TastemapError`) become a one-line message on stderr and exit 2,
never a stack trace.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import TastemapError

# command -> the module of ``recommender.cli`` that defines it. Only the module of the command
# being run is imported, so ``validate`` and ``info`` do not pay for scikit-learn or spotipy.
COMMANDS: dict[str, str] = {
    "validate": "data",
    "info": "data",
    "recommend": "engine",
    "cluster": "engine",
    "evaluate": "engine",
    "fit": "fit",
    "taste": "taste",
    "spotify": "spotify",
    "audio": "audio",
    "labels": "labels",
    "serve": "serve",
}


def _command_modules(argv: Sequence[str]) -> list:
    wanted = next((a for a in argv if not a.startswith("-")), None)
    names = [COMMANDS[wanted]] if wanted in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        # `tastemap` (the console script) and `python -m recommender` are one program.
        prog="tastemap" if Path(sys.argv[0]).name == "tastemap" else "python -m recommender",
        description="Tastemap: explore a Spotify catalog and get explained recommendations.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules(argv):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
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
