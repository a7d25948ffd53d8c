"""``audio scan``: analyse a folder of music files into a library catalog (Parquet).

The library loads like any catalog (``--catalog library.parquet``) and answers the ``sound``
method. Progress goes to stderr; the result (a summary, and in JSON every file with its
status and reason) to stdout.

Exit codes: 0 when at least one file was analysed (the library is written); 1 when none could
be (the list of files and reasons is still printed, nothing is written); 2 for an unusable
folder or ``--out``; 130 when stopped with Ctrl-C (finished files stay in the analysis cache,
so the same command continues where it stopped).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pandas as pd

from ..errors import AudioError, TastemapError
from ._common import StderrProgress, print_json, print_table

EXIT_NOTHING_ANALYSED = 1
EXIT_STOPPED = 130


def register(sub: argparse._SubParsersAction) -> None:
    audio = sub.add_parser("audio", help="your own music: analyse a folder of audio files")
    commands = audio.add_subparsers(dest="audio_command", metavar="SUBCOMMAND", required=True)

    p = commands.add_parser(
        "scan",
        help="analyse every music file under a folder and write the library (Parquet)",
        description="Analyse every music file under FOLDER (sound, tempo, loudness, key) and write "
        "the library to --out; use it with --catalog, e.g. 'recommend --method sound'. Files "
        "analysed before are taken from the analysis cache (TASTEMAP_CACHE_DIR), so a second "
        "scan, or one after Ctrl-C, only analyses what is new. Exit 0 when at least one file was "
        "analysed, 1 when none could be, 2 for an unusable folder or --out, 130 when stopped.",
    )
    p.add_argument("folder", metavar="FOLDER", help="folder holding music files (searched with its subfolders)")
    p.add_argument("--out", required=True, metavar="FILE.parquet", help="where to write the library")
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="output format (json lists every file with its track ID, status and reason)")
    p.add_argument("--workers", type=_workers, default=None, metavar="N",
                   help="files analysed at once (default: one per core, at most 4; 0 = in this process)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=scan)


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def _shown(path: str) -> str:
    """A path from the command line as printable text (undecodable bytes become U+FFFD)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _check_folder(folder: str) -> None:
    if not os.path.exists(folder):
        raise AudioError(f"{_shown(folder)}: no such folder. Give the path of a folder that holds music files.", "not found")
    if not os.path.isdir(folder):
        raise AudioError(f"{_shown(folder)}: not a folder. Give the folder that holds the file, not the file.", "not a folder")
    try:
        with os.scandir(folder) as entries:
            next(entries, None)
    except OSError as exc:
        raise AudioError(
            f"{_shown(folder)}: the folder cannot be read ({exc.strerror or exc}). "
            "Check its permissions, or scan a folder you can open.", "folder cannot be read",
        ) from None


def _check_out(out: str) -> None:
    if not out.lower().endswith(".parquet"):
        raise TastemapError(f"--out {_shown(out)}: the library is a Parquet file; give a name ending in .parquet.")
    if os.path.isdir(out):
        raise TastemapError(f"--out {_shown(out)}: this is a folder; give a file name ending in .parquet.")


@contextmanager
def _stop_on_ctrl_c() -> Iterator[Callable[[], bool]]:
    """First Ctrl-C: ask the scan to stop after the files in flight (they are kept). A second
    Ctrl-C stops at once (files finished so far are still kept: each is committed on arrival)."""
    asked = False

    def handler(signum: int, frame: object) -> None:
        nonlocal asked
        if asked:
            raise KeyboardInterrupt
        asked = True
        print("\nstopping after the files being analysed now (Ctrl-C again to stop at once)...", file=sys.stderr, flush=True)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: Ctrl-C raises KeyboardInterrupt as usual
        yield lambda: False
        return
    try:
        yield lambda: asked
    finally:
        signal.signal(signal.SIGINT, previous)


def _stopped_message(kept: int) -> str:
    return (f"stopped: {kept:,} files finished and are kept in the analysis cache; run the same "
            "command again to continue where it stopped (no library was written).")


def scan(args: argparse.Namespace) -> int:
    from ..audio.analysis_cache import AnalysisCache
    from ..audio.library import write_library
    from ..audio.scan import scan_folder

    _check_folder(args.folder)
    _check_out(args.out)
    cache = AnalysisCache()
    with StderrProgress(quiet=args.quiet) as progress, _stop_on_ctrl_c() as should_stop:
        try:
            result = scan_folder(
                args.folder, cache=cache, workers=args.workers, should_stop=should_stop,
                progress=lambda p: progress.update(p.done, p.total, p.describe()),
            )
        except KeyboardInterrupt:
            progress.close()
            print(_stopped_message_plain(), file=sys.stderr)
            return EXIT_STOPPED
    if result.stopped:
        print(_stopped_message(len(result.files)), file=sys.stderr)
        return EXIT_STOPPED

    library = None
    error = None
    try:
        catalog = write_library(result, args.out)
        library = {"path": _shown(args.out), "tracks": len(catalog)}
    except AudioError as exc:  # nothing analysed: still show every file and its reason
        error = str(exc)
    except OSError as exc:
        raise TastemapError(f"--out {_shown(args.out)}: cannot be written ({exc.strerror or exc}).") from None

    summary = {
        "folder": result.folder,
        "library": library,
        "files": len(result.files) + len(result.skipped),
        "analysed": len(result.analysed),
        "failed": len(result.failed),
        "skipped": len(result.skipped),
        "from_cache": result.from_cache,
        "seconds": round(result.seconds, 1),
    }
    if args.format == "json":
        print_json({**summary, **({"error": error} if error else {}), "records": result.records()})
    else:
        _print_summary(summary, result.records())
    if error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_NOTHING_ANALYSED
    return 0


def _stopped_message_plain() -> str:
    return ("stopped: the files finished so far are kept in the analysis cache; run the same "
            "command again to continue where it stopped (no library was written).")


def _print_summary(summary: dict, records: list[dict]) -> None:
    print(f"folder: {summary['folder']}")
    print(f"files: {summary['files']:,} ({summary['analysed']:,} analysed, {summary['failed']:,} failed, "
          f"{summary['skipped']:,} not audio)")
    print(f"from earlier scans: {summary['from_cache']:,}")
    print(f"seconds: {summary['seconds']:,}")
    if summary["library"]:
        print(f"library: {summary['library']['path']} ({summary['library']['tracks']:,} tracks)")
    problems = [r for r in records if r["status"] != "analysed"]
    if problems:
        print("\nfiles not in the library:")
        print_table(pd.DataFrame(problems)[["path", "status", "reason"]], max_colwidth=70)
    if summary["library"]:
        print(f"\nnext: python -m recommender recommend --catalog {summary['library']['path']} "
              "--method sound --seeds TRACK_ID  (track IDs: --format json)")
