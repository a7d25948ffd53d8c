"""``recommend``, ``cluster`` and ``evaluate``: the recommendation engine on the command line.

Exit codes: 0 success (also when filters leave no track: the message goes to stderr and, in
JSON, to a ``message`` key); 1 when some lines of a ``--seeds-file`` batch could not be
answered (the other lines are still answered, in order); 2 for unusable input (no usable
seed, bad filter, unreadable file or catalog) with a one-line message on stderr.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from ..catalog.sound import FILE_PATH_COLUMN
from ..errors import SeedError, TastemapError
from ..recommenders import METHODS, RESULT_COLUMNS, Filters, RecommendationResult
from ..seeds import resolve_seeds
from ._common import StderrProgress, add_catalog_option, catalog_from_args, print_csv, print_json, print_table
from .fit import cached_fit


class InputFileError(TastemapError):
    """A file named on the command line cannot be read."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "recommend",
        help="recommend tracks for seed tracks (IDs, URIs or links)",
        description="Recommend tracks similar to the seeds. Exit 0 on success, 1 when some "
        "lines of --seeds-file failed, 2 on unusable input.",
    )
    add_catalog_option(p)
    seeds = p.add_mutually_exclusive_group(required=True)
    seeds.add_argument("--seeds", metavar="TEXT", help="seed tracks: IDs, spotify:track: URIs or links, mixed")
    seeds.add_argument(
        "--seeds-file", metavar="FILE",
        help="one query per non-empty line ('-' = stdin); answers as JSON Lines, one per line",
    )
    p.add_argument("--k", type=_positive_int, default=20, help="number of recommendations (default 20)")
    p.add_argument("--method", choices=(*METHODS, "learned"), default="hybrid",
                   help="method (default hybrid); `learned` trains for minutes unless `fit` stored it")
    p.add_argument("--min-popularity", type=float, metavar="N", help="only tracks with popularity >= N (0-100)")
    p.add_argument("--max-popularity", type=float, metavar="N", help="only tracks with popularity <= N (0-100)")
    p.add_argument(
        "--filter", action="append", default=[], metavar="NAME=VALUE",
        help="any filter, e.g. min_energy=0.6, target_tempo=120, include_genres=rock "
        "(repeatable). Tracks with unknown popularity fail a popularity bound unless "
        "unknown_popularity=include.",
    )
    p.add_argument("--format", choices=("table", "csv", "json"), default=None,
                   help="output format (default: table; JSON Lines with --seeds-file)")
    p.set_defaults(func=recommend)

    p = sub.add_parser("cluster", help="K-means clusters of the catalog's audio features")
    add_catalog_option(p)
    p.add_argument("--k", default="8", metavar="K|auto",
                   help="number of clusters, or 'auto' (the elbow of the inertia curve over k = 2..15); default 8")
    p.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    p.set_defaults(func=cluster)

    p = sub.add_parser(
        "evaluate",
        help="offline playlist-continuation evaluation of every method",
        description="Hold out playlists, blank them in the catalog the models are fitted on, "
        "seed with N of their tracks and score the top-k against the rest.",
    )
    add_catalog_option(p)
    p.add_argument("--n-seeds", type=_positive_int, nargs="+", default=[5], metavar="N",
                   help="seeds per playlist (default 5); several values give one table each, e.g. 1 5 10")
    p.add_argument("--cold-start", action="store_true",
                   help="only seeds by artists in no playlist of the catalog the models are fitted on")
    p.add_argument("--playlists", type=_positive_int, default=100, metavar="N", help="held-out playlists (default 100)")
    p.add_argument("--k", type=_positive_int, nargs="+", default=[10, 100], metavar="K", help="recall cutoffs (default 10 100)")
    p.add_argument("--methods", nargs="+", default=None, metavar="NAME",
                   help="methods to evaluate (default: hybrid similar cluster popular random)")
    p.add_argument("--random-state", type=int, default=0, help="seed of the held-out sample (default 0)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=evaluate_command)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _filters(args: argparse.Namespace) -> Filters:
    flat: dict[str, object] = {}
    for item in args.filter:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise TastemapError(f"--filter {item!r}: write NAME=VALUE, e.g. min_energy=0.6")
        flat[name.strip()] = value.strip()
    if args.min_popularity is not None:
        flat["min_popularity"] = args.min_popularity
    if args.max_popularity is not None:
        flat["max_popularity"] = args.max_popularity
    for key in ("exclude_seed_artists",):
        if key in flat:
            flat[key] = str(flat[key]).lower() in {"1", "true", "yes", "on"}
    return Filters.from_dict(flat)


def _read_lines(path: str) -> list[str]:
    if path == "-":
        return sys.stdin.read().splitlines()
    file = Path(path)
    if not file.is_file():
        raise InputFileError(f"{path}: no such file; give a text file with one query per line.")
    try:
        return file.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not UTF-8 text; save it as UTF-8 with one query per line.") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read ({exc.strerror or exc}).") from None


def _print_notes(result: RecommendationResult) -> None:
    if result.not_in_catalog:
        print(f"note: not in the catalog: {', '.join(result.not_in_catalog)}", file=sys.stderr)
    for bad in result.invalid:
        print(f"note: ignored {bad.reason}", file=sys.stderr)
    if result.message:
        print(f"note: {result.message}", file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)


def _file_paths(catalog) -> pd.Series | None:
    """track_id -> the file's path inside the scanned folder, for a library of the listener's
    own music (None for other catalogs): a listener finds the track by its file."""
    if FILE_PATH_COLUMN not in catalog.tracks:
        return None
    return catalog.tracks.set_index("track_id")[FILE_PATH_COLUMN]


def _rows(result: RecommendationResult, paths: pd.Series | None) -> pd.DataFrame:
    frame = result.recommendations[RESULT_COLUMNS].copy()
    if paths is not None:
        frame.insert(2, FILE_PATH_COLUMN, paths.reindex(frame["track_id"]).to_numpy())
    return frame


def _as_dict(result: RecommendationResult, paths: pd.Series | None) -> dict:
    out = result.to_dict()
    if paths is not None:
        for rec in out["recommendations"]:
            path = paths.get(rec["track_id"])
            rec[FILE_PATH_COLUMN] = None if pd.isna(path) else str(path)
    return out


def recommend(args: argparse.Namespace) -> int:
    filters = _filters(args)
    lines = _read_lines(args.seeds_file) if args.seeds_file else None
    catalog = catalog_from_args(args)
    paths = _file_paths(catalog)
    model = cached_fit(args.method, catalog)  # fitted once for every query (or stored by `fit`)
    if lines is None:
        result = model.recommend(resolve_seeds(catalog, args.seeds), k=args.k, filters=filters)
        fmt = args.format or "table"
        if fmt == "json":
            print_json(_as_dict(result, paths))
        else:
            _print_notes(result)
            frame = _rows(result, paths)
            if fmt == "csv":
                print_csv(frame.round({"score": 6}))
            else:
                frame["score"] = frame["score"].round(3)
                print_table(frame, max_colwidth=60)
        return 0

    failed = 0
    csv_frames = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        seeds = resolve_seeds(catalog, line)  # once: the engine takes the resolved set as it is
        try:
            result = model.recommend(seeds, k=args.k, filters=filters)
        except SeedError as exc:
            failed += 1
            print(f"line {number}: {exc}", file=sys.stderr)
            if args.format in (None, "json"):
                print_json({"seeds": [], "not_in_catalog": list(seeds.not_in_catalog),
                            "invalid": [{"token": t.token, "reason": t.reason} for t in seeds.invalid],
                            "recommendations": [], "error": str(exc), "line": number})
            continue
        if args.format in (None, "json"):
            print_json(_as_dict(result, paths))
        elif args.format == "csv":
            csv_frames.append(_rows(result, paths).assign(query=number))
        else:
            print(f"# line {number}")
            _print_notes(result)
            print_table(_rows(result, paths).round({"score": 3}), max_colwidth=60)
    if args.format == "csv":
        columns = ["query", *RESULT_COLUMNS[:2], *([FILE_PATH_COLUMN] if paths is not None else []), *RESULT_COLUMNS[2:]]
        frame = pd.concat(csv_frames, ignore_index=True) if csv_frames else pd.DataFrame(columns=columns)
        print_csv(frame[columns])
    sys.stdout.flush()
    return 1 if failed else 0


def cluster(args: argparse.Namespace) -> int:
    from ..clustering import ClusterModel

    k: int | str
    if str(args.k).strip().lower() == "auto":
        k = "auto"
    else:
        try:
            k = int(args.k)
        except ValueError:
            raise TastemapError(f"--k {args.k!r}: give a whole number of clusters or 'auto'.") from None
        if k < 1:
            raise TastemapError(f"--k {k}: the number of clusters must be at least 1.")
    catalog = catalog_from_args(args)
    model = ClusterModel(k, random_state=args.random_state).fit(catalog)
    summary = model.summary()
    if args.format == "json":
        print_json(summary)
        return 0
    print(f"k: {summary['k']}  inertia: {summary['inertia']:,.1f}  silhouette: {summary['silhouette']}")
    profile = model.profile()
    cols = ["cluster", "name", "size", "top_genres", "energy", "danceability", "valence", "acousticness", "tempo"]
    print_table(profile[[c for c in cols if c in profile]].round(3), max_colwidth=40)
    if model.scores_ is not None:
        print("\nscores per k (k chosen at the elbow of the inertia curve):")
        print_table(model.scores_.round(4))
    return 0


def evaluate_command(args: argparse.Namespace) -> int:
    from ..evaluation import DEFAULT_EVAL_METHODS, evaluate_seed_counts, evaluation_report, evaluation_reports

    methods = args.methods or list(DEFAULT_EVAL_METHODS)
    catalog = catalog_from_args(args)
    try:
        with StderrProgress(quiet=args.quiet) as progress:
            tables = evaluate_seed_counts(
                catalog, args.n_seeds, methods=methods, n_playlists=args.playlists, ks=args.k,
                random_state=args.random_state, cold_start=args.cold_start, progress=progress.update,
            )
    except ValueError as exc:
        if isinstance(exc, TastemapError):
            raise
        raise TastemapError(str(exc)) from None
    if args.format == "json":
        # one seed count: the single report, as before several counts could be asked for
        print_json(evaluation_report(*tables.values()) if len(tables) == 1 else evaluation_reports(tables))
        return 0
    for i, table in enumerate(tables.values()):
        if i:
            print()
        _print_evaluation(table)
    return 0


def _print_evaluation(table: pd.DataFrame) -> None:
    from ..evaluation import LISTENER_CHECKS

    a = table.attrs
    print(
        f"playlist continuation: {a['n_playlists']} held-out playlists, {a['n_seeds']} seeds each, "
        f"random_state={a['random_state']}"
    )
    cold = a.get("cold_start")
    if cold:
        print(f"cold start (seeds by artists in no playlist of the catalog fitted on): {cold['qualified']} of "
              f"{cold['standard_queries']} held-out playlists of the standard sample qualified"
              + (f"; fewer than {cold['min_queries']}, so the seeds were drawn from tracks whose artists "
                 f"are in no other playlist, in {cold['queries']} playlists (of {cold['eligible_playlists']} "
                 "that have enough such tracks)" if cold["mode"] == "sampled" else ", and are scored"))
    counts = [c for c in LISTENER_CHECKS if c in table]
    rounded = {c: 4 for c in table.columns
               if c not in ("method", "distinct_artists@10", "popularity_percentile", "seconds", *counts)}
    print_table(table.round(rounded).round({"distinct_artists@10": 2, "popularity_percentile": 1, "seconds": 1}))
    if not a.get("has_popularity", True):
        print("popularity_percentile: NaN, the catalog has no track popularity")
    print("listener checks (counts over all lists; 0 is right): "
          + "; ".join(f"{c.replace('_', ' ')}: " + ", ".join(f"{m} {int(v)}" for m, v in zip(table["method"], table[c]))
                      for c in counts))
